//! The staged plan's use cases: start it, advance it, its status, its expiry, its gate
//! judged from the store. `kizuna plan` and the server call these.

use chrono::NaiveDate;
use kizuna_core::{Knowledge, Timestamp};
use kizuna_plan::status::StatusReport;
use kizuna_plan::store::non_empty;
use kizuna_plan::{
    Action, Advance, GateResult, LogEntry, Params, Plan, PlanError, Scope, StoredFacts, Track,
};
use kizuna_rules::{ExpirySource, WorkaroundExpiry};
use kizuna_store::{FactFilter, Store};

use crate::analyze_stored;

/// The workaround expiry of the newest plan in the store (`kizuna plan init --expires`),
/// which KZ-POL-004 judges by; `None` when no plan was made.
pub fn plan_expiry(store: &Store) -> Result<Option<WorkaroundExpiry>, PlanError> {
    Ok(
        kizuna_plan::store::load_latest(store)?.map(|(p, _)| WorkaroundExpiry {
            date: p.expires,
            source: ExpirySource::Plan {
                id: p.id,
                track: p.track.as_str().to_string(),
            },
        }),
    )
}

/// The expiry a scan judges KZ-POL-004 by: `given` (`--expires`), else the newest plan's.
/// An unreadable plan is returned beside it: the scan goes on without the plan.
pub fn workaround_expiry(
    store: &Store,
    given: Option<NaiveDate>,
) -> (Option<WorkaroundExpiry>, Option<PlanError>) {
    if let Some(date) = given {
        let given = WorkaroundExpiry {
            date,
            source: ExpirySource::Given,
        };
        return (Some(given), None);
    }
    match plan_expiry(store) {
        Ok(e) => (e, None),
        Err(e) => (None, Some(e)),
    }
}

/// The gate of the plan's active phase at `now`, measured from the store's facts with the
/// rules of `kizuna scan`; `None` when no phase is active.
pub fn judge_gate(
    plan: &Plan,
    store: &Store,
    knowledge: &Knowledge,
    now: Timestamp,
) -> Result<Option<GateResult>, PlanError> {
    let Some(gate) = plan.gate(now) else {
        return Ok(None);
    };
    let src = StoredFacts {
        store,
        analyze: |s: &Store, f: &FactFilter| analyze_stored(s, f, knowledge, None, None, now),
    };
    let m = kizuna_plan::measure(&gate, &plan.params, knowledge, &src)?;
    Ok(Some(kizuna_plan::evaluate(&gate, &m)))
}

/// The newest plan's status at `now`, its gate judged (`kizuna plan status`); `None` when
/// no plan was made.
pub fn plan_status(
    store: &Store,
    knowledge: &Knowledge,
    now: Timestamp,
) -> Result<Option<StatusReport>, PlanError> {
    let Some((plan, log)) = kizuna_plan::store::load_latest(store)? else {
        return Ok(None);
    };
    let gate = judge_gate(&plan, store, knowledge, now)?;
    Ok(Some(kizuna_plan::status::status(&plan, &log, gate, now)))
}

/// How to start a plan (`kizuna plan init`): resolved once from the command line.
pub struct PlanStart {
    pub track: Track,
    /// Each phase's devices as `NAME=PATTERNS`, in order.
    pub stages: Vec<String>,
    pub expires: NaiveDate,
    /// Overrides of the thresholds' gate parameters.
    pub quiet_days: Option<i64>,
    pub max_failures_per_day: Option<f64>,
    /// Who starts it.
    pub who: String,
    pub why: Option<String>,
    pub now: Timestamp,
}

/// Starts a plan: its first phase begins now, with the first gate as it stands recorded
/// as the baseline.
pub fn start_plan(
    store: &mut Store,
    knowledge: &Knowledge,
    start: PlanStart,
) -> Result<Plan, PlanError> {
    let stages = start
        .stages
        .iter()
        .map(|s| Scope::stage(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut params = Params::from_thresholds(&knowledge.thresholds);
    if let Some(q) = start.quiet_days {
        params.quiet_days = q;
    }
    if let Some(m) = start.max_failures_per_day {
        params.max_failures_per_day = m;
    }
    let mut plan = Plan::new(start.track, &stages, start.expires, params, start.now)?;
    let who = non_empty(&start.who, "who")?;
    let baseline = judge_gate(&plan, store, knowledge, start.now)?;
    let entry = LogEntry {
        time: start.now,
        who,
        action: Action::Init,
        phase: Some(plan.phases[0].name.clone()),
        reason: start
            .why
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
        helpdesk_tickets: None,
        gate: baseline,
    };
    kizuna_plan::store::create(store, &mut plan, &entry)?;
    Ok(plan)
}

/// Ends the active phase of the newest plan and begins the next, when its gate passes at
/// `now` or `force` says so (logged as forced, with who and why).
pub fn advance_plan(
    store: &mut Store,
    knowledge: &Knowledge,
    (who, why): (&str, &str),
    force: bool,
    now: Timestamp,
) -> Result<Advance, PlanError> {
    let who = non_empty(who, "who")?;
    let why = non_empty(why, "why")?;
    let (mut plan, log) = kizuna_plan::store::load_latest(store)?.ok_or(PlanError::NoPlan)?;
    let transition = plan.transition(now)?;
    let gate = judge_gate(&plan, store, knowledge, now)?.ok_or(PlanError::Complete)?;
    let view = kizuna_plan::status::status(&plan, &log, Some(gate.clone()), now);
    match plan.end_phase(transition, gate, force, (who, why), now) {
        Ok(entry) => {
            kizuna_plan::store::advance(store, &mut plan, transition, &entry)?;
            Ok(Advance::Ended {
                plan,
                transition,
                entry,
                view,
            })
        }
        Err(gate) => Ok(Advance::Refused {
            plan,
            transition,
            gate,
            view,
        }),
    }
}
