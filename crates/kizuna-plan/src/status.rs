//! The plan's status: where it is, what is next, whether the next gate passes (with the
//! measured numbers), the days left before the workaround's expiry, and the log. Shown
//! by kizuna-report (`plan`) as JSON (stable field order) or text.

use kizuna_core::Timestamp;
use serde::Serialize;

use crate::{GateResult, LogEntry, Params, PhaseKind, PhaseState, Plan, Track, Transition};

/// The JSON document's version.
pub const SCHEMA_VERSION: u32 = 1;

/// Log entries the text shows (JSON has them all).
pub const LOG_TAIL: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    pub now: Timestamp,
    pub plan: PlanView,
    pub phases: Vec<PhaseView>,
    /// The active phase.
    pub current: Option<String>,
    pub next: Next,
    /// The gate of the active phase, judged now.
    pub gate: Option<GateResult>,
    /// The whole log, oldest first.
    pub log: Vec<LogEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub id: i64,
    pub track: Track,
    pub created: Timestamp,
    /// The workaround's expiry date.
    pub expires: String,
    /// Days from today to the expiry (negative = overdue); `None` once a completed
    /// rollback removed the workaround.
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub complete: bool,
    pub closed: Option<Timestamp>,
    /// Rollback: the earliest date the remaining phases' minimum times allow.
    pub earliest_finish: Option<String>,
    /// That date is after the expiry.
    pub finishes_after_expiry: bool,
    pub params: Params,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseView {
    pub name: String,
    pub kind: PhaseKind,
    /// Patterns; `["*"]` = every device.
    pub scope: Vec<String>,
    pub state: PhaseState,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
}

/// What the operator does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Next {
    /// End the active phase when its gate passes; `phase` begins.
    Phase { phase: String },
    /// End the last phase when its gate passes: the plan is complete.
    Finish,
    /// The workaround is everywhere: start the rollback once Microsoft's fix is in.
    StartRollback,
    /// The rollback is complete: the workaround is gone.
    Nothing,
}

/// Builds the status of `plan` at `now`; `gate` is its active phase's gate judged now.
pub fn status(
    plan: &Plan,
    log: &[LogEntry],
    gate: Option<GateResult>,
    now: Timestamp,
) -> StatusReport {
    let complete = plan.is_complete();
    let removed = complete && plan.track == Track::Rollback;
    let days_left = (!removed).then(|| plan.days_left(now));
    let earliest = (plan.track == Track::Rollback)
        .then(|| plan.earliest_finish(now))
        .flatten()
        .map(|t| t.date_naive());
    let next = match (plan.current(), plan.next()) {
        (Some(_), Some(n)) => Next::Phase {
            phase: n.name.clone(),
        },
        (Some(_), None) => Next::Finish,
        (None, _) if plan.track == Track::Workaround => Next::StartRollback,
        (None, _) => Next::Nothing,
    };
    StatusReport {
        schema_version: SCHEMA_VERSION,
        now,
        plan: PlanView {
            id: plan.id,
            track: plan.track,
            created: plan.created,
            expires: plan.expires.format("%Y-%m-%d").to_string(),
            days_left,
            overdue: days_left.is_some_and(|d| d < 0),
            complete,
            closed: plan.closed,
            earliest_finish: earliest.map(|d| d.format("%Y-%m-%d").to_string()),
            finishes_after_expiry: earliest.is_some_and(|d| d > plan.expires),
            params: plan.params.clone(),
        },
        phases: plan
            .phases
            .iter()
            .map(|p| PhaseView {
                name: p.name.clone(),
                kind: p.kind,
                scope: p.scope.patterns().to_vec(),
                state: p.state,
                started: p.started,
                finished: p.finished,
            })
            .collect(),
        current: plan.current().map(|p| p.name.clone()),
        next,
        gate,
        log: log.to_vec(),
    }
}

/// What asking to advance the plan came to.
pub enum Advance {
    /// The active phase ended (forced when its gate had not passed).
    Ended {
        plan: Plan,
        transition: Transition,
        entry: LogEntry,
        /// The status as it was judged before the phase ended.
        view: StatusReport,
    },
    /// The gate has not passed and nobody forced it: nothing changed.
    Refused {
        plan: Plan,
        transition: Transition,
        gate: GateResult,
        view: StatusReport,
    },
}
