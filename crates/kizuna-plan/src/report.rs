//! `kizuna plan status`: where the plan is, what is next, whether the next gate passes
//! (with the measured numbers), the days left before the workaround's expiry, and the log.
//! As JSON (`StatusReport`, stable field order) or as text from the message catalogs.

use kizuna_core::{MessageArg, Timestamp};
use kizuna_i18n::Messages;
use serde::Serialize;

use crate::{
    Action, Check, GateResult, LogEntry, Params, PhaseKind, PhaseState, Plan, Status, Track,
};

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

/// The status as JSON (one document, newline-terminated).
pub fn json(r: &StatusReport) -> String {
    serde_json::to_string_pretty(r).expect("a status serializes") + "\n"
}

fn text(s: &str) -> MessageArg {
    MessageArg::Text(s.to_string())
}

fn num(n: i64) -> MessageArg {
    MessageArg::Number(n)
}

fn day(t: &Timestamp) -> MessageArg {
    text(&t.format("%Y-%m-%d").to_string())
}

fn minute(t: &Timestamp) -> MessageArg {
    text(&t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn yes(b: bool) -> MessageArg {
    text(if b { "yes" } else { "no" })
}

fn decimal(x: f64) -> MessageArg {
    text(&format!("{x:.2}"))
}

/// A phase's name in the reader's language (a stage keeps its own name).
pub fn phase_name(msg: &Messages, r: &StatusReport, name: &str) -> String {
    let kind = r
        .phases
        .iter()
        .find(|p| p.name == name)
        .map_or("stage", |p| kind_str(p.kind));
    msg.get(
        "plan-phase-name",
        &[("kind", text(kind)), ("name", text(name))],
    )
}

fn kind_str(k: PhaseKind) -> &'static str {
    k.as_str()
}

/// A scope in the reader's language.
pub fn scope_text(msg: &Messages, patterns: &[String]) -> String {
    scope_short(msg, patterns, usize::MAX)
}

/// A scope in the reader's language, its patterns cut after about `width` characters
/// ("…, and N more").
pub fn scope_short(msg: &Messages, patterns: &[String], width: usize) -> String {
    let all = patterns.len() == 1 && patterns[0] == "*";
    let mut shown: Vec<&str> = Vec::new();
    let mut len = 0;
    for p in patterns {
        if !shown.is_empty() && len + 1 + p.len() > width {
            break;
        }
        len += p.len() + usize::from(!shown.is_empty());
        shown.push(p);
    }
    msg.get(
        "plan-scope",
        &[
            ("all", yes(all)),
            ("patterns", text(&shown.join(","))),
            ("more", num((patterns.len() - shown.len()) as i64)),
        ],
    )
}

/// Width of a scope in the phase table.
pub const SCOPE_WIDTH: usize = 40;

/// The lines of a gate: its verdict, then each check with what was measured.
pub fn gate_lines(msg: &Messages, r: &StatusReport, g: &GateResult) -> Vec<String> {
    let mut out = vec![msg.get(
        "plan-gate",
        &[
            ("phase", text(&phase_name(msg, r, &g.phase))),
            ("status", text(g.status.as_str())),
        ],
    )];
    for c in &g.checks {
        let mark = msg.get("plan-mark", &[("status", text(c.status().as_str()))]);
        let (line, devices) = check_line(msg, c);
        out.push(format!("  [{mark}] {line}"));
        if let Some(d) = devices {
            out.push(format!("        {d}"));
        }
    }
    out
}

fn device_list(msg: &Messages, shown: &[String], total: u64) -> Option<String> {
    if shown.is_empty() {
        return None;
    }
    Some(msg.get(
        "plan-check-devices",
        &[
            ("devices", text(&shown.join(", "))),
            ("more", num(total as i64 - shown.len() as i64)),
        ],
    ))
}

fn check_line(msg: &Messages, c: &Check) -> (String, Option<String>) {
    match c {
        Check::Fresh {
            newest: Some(n),
            age_hours,
            max_days,
            ..
        } => (
            {
                let hours = age_hours.unwrap_or(0);
                let unit = if hours < 0 {
                    "after"
                } else if hours < 48 {
                    "hours"
                } else {
                    "days"
                };
                msg.get(
                    "plan-check-fresh",
                    &[
                        ("newest", minute(n)),
                        ("unit", text(unit)),
                        ("hours", num(hours)),
                        ("days", num(hours / 24)),
                        ("max", num(*max_days)),
                    ],
                )
            },
            None,
        ),
        Check::Fresh { newest: None, .. } => (msg.text("plan-check-fresh-none"), None),
        Check::InPhase { days, min_days, .. } => (
            msg.get(
                "plan-check-in-phase",
                &[("days", num(*days)), ("min", num(*min_days))],
            ),
            None,
        ),
        Check::Cycles {
            days,
            cycles,
            cycle_days,
            ..
        } => (
            msg.get(
                "plan-check-cycles",
                &[
                    ("days", num(*days)),
                    ("cycles", num(*cycles)),
                    ("cycle_days", num(*cycle_days)),
                    ("min", num(cycles * cycle_days)),
                ],
            ),
            None,
        ),
        Check::Scope { devices, .. } => (
            msg.get("plan-check-scope", &[("devices", num(*devices as i64))]),
            None,
        ),
        Check::NewFailures {
            since,
            count,
            devices,
            ..
        } => (
            msg.get(
                "plan-check-new-failures",
                &[("since", day(since)), ("count", num(*count as i64))],
            ),
            device_list(msg, devices, *count),
        ),
        Check::FailureRate {
            since,
            events,
            days,
            per_day,
            max_per_day,
            ..
        } => (
            msg.get(
                "plan-check-failure-rate",
                &[
                    ("since", day(since)),
                    ("per_day", decimal(*per_day)),
                    ("events", num(*events as i64)),
                    ("days", decimal(*days)),
                    ("max", decimal(*max_per_day)),
                ],
            ),
            None,
        ),
        Check::Rotations {
            since,
            count,
            min,
            devices,
            ..
        } => (
            msg.get(
                "plan-check-rotations",
                &[
                    ("since", day(since)),
                    ("count", num(*count as i64)),
                    ("min", num(*min as i64)),
                ],
            ),
            device_list(msg, devices, *count),
        ),
    }
}

/// The status as text, every sentence from the catalogs.
pub fn text_report(r: &StatusReport, msg: &Messages) -> String {
    let p = &r.plan;
    let mut out: Vec<String> = vec![
        msg.get(
            "plan-title",
            &[
                ("id", num(p.id)),
                ("track", text(p.track.as_str())),
                ("created", day(&p.created)),
            ],
        ),
        msg.get("plan-now", &[("now", minute(&r.now))]),
    ];
    out.push(match (p.days_left, p.closed) {
        (None, closed) => msg.get(
            "plan-expiry-removed",
            &[
                ("date", text(&p.expires)),
                ("removed", closed.as_ref().map_or_else(|| text("?"), day)),
            ],
        ),
        (Some(d), _) if d < 0 => msg.get(
            "plan-expiry-overdue",
            &[("date", text(&p.expires)), ("days", num(-d))],
        ),
        (Some(d), _) => msg.get(
            "plan-expiry-left",
            &[("date", text(&p.expires)), ("days", num(d))],
        ),
    });
    if let Some(e) = &p.earliest_finish {
        out.push(msg.get(
            "plan-earliest",
            &[("date", text(e)), ("late", yes(p.finishes_after_expiry))],
        ));
    }
    out.push(String::new());
    out.push(msg.text("plan-phases"));
    let names: Vec<String> = r
        .phases
        .iter()
        .map(|x| phase_name(msg, r, &x.name))
        .collect();
    let states: Vec<String> = r
        .phases
        .iter()
        .map(|x| msg.get("plan-state", &[("state", text(x.state.as_str()))]))
        .collect();
    let scopes: Vec<String> = r
        .phases
        .iter()
        .map(|x| scope_short(msg, &x.scope, SCOPE_WIDTH))
        .collect();
    let rows: Vec<Vec<String>> = r
        .phases
        .iter()
        .enumerate()
        .map(|(i, ph)| {
            let dates = msg.get(
                "plan-phase-dates",
                &[
                    ("state", text(ph.state.as_str())),
                    (
                        "started",
                        ph.started.as_ref().map_or_else(|| text("?"), day),
                    ),
                    (
                        "finished",
                        ph.finished.as_ref().map_or_else(|| text("?"), day),
                    ),
                ],
            );
            vec![
                states[i].clone(),
                names[i].clone(),
                scopes[i].clone(),
                dates,
            ]
        })
        .collect();
    out.extend(kizuna_i18n::aligned(&rows, "  "));
    out.push(String::new());
    match r.current.as_deref() {
        Some(cur) => {
            let started = r
                .phases
                .iter()
                .find(|x| x.name == cur)
                .and_then(|x| x.started)
                .unwrap_or(p.created);
            out.push(msg.get(
                "plan-current",
                &[
                    ("phase", text(&phase_name(msg, r, cur))),
                    ("started", day(&started)),
                    ("days", num((r.now - started).num_days())),
                ],
            ));
        }
        None => out.push(msg.text("plan-current-none")),
    }
    out.push(match &r.next {
        Next::Phase { phase } => {
            let scope = r
                .phases
                .iter()
                .find(|x| &x.name == phase)
                .map(|x| scope_short(msg, &x.scope, SCOPE_WIDTH))
                .unwrap_or_default();
            msg.get(
                "plan-next-phase",
                &[
                    ("phase", text(&phase_name(msg, r, phase))),
                    ("scope", text(&scope)),
                ],
            )
        }
        Next::Finish => msg.text("plan-next-finish"),
        Next::StartRollback => msg.text("plan-next-rollback"),
        Next::Nothing => msg.text("plan-next-nothing"),
    });
    if let Some(g) = &r.gate {
        out.push(String::new());
        out.extend(gate_lines(msg, r, g));
    }
    out.push(String::new());
    let shown = r.log.len().min(LOG_TAIL);
    out.push(msg.get(
        "plan-log",
        &[
            ("shown", num(shown as i64)),
            ("total", num(r.log.len() as i64)),
        ],
    ));
    for e in &r.log[r.log.len() - shown..] {
        out.extend(log_lines(msg, r, e));
    }
    out.join("\n") + "\n"
}

/// One log entry as lines.
pub fn log_lines(msg: &Messages, r: &StatusReport, e: &LogEntry) -> Vec<String> {
    let phase = e
        .phase
        .as_deref()
        .map(|p| phase_name(msg, r, p))
        .unwrap_or_default();
    let gate = e
        .gate
        .as_ref()
        .map_or(Status::Unknown, |g| g.status)
        .as_str();
    let mut out = vec![format!(
        "  {}",
        msg.get(
            "plan-log-entry",
            &[
                ("time", minute(&e.time)),
                ("who", text(&e.who)),
                ("action", text(e.action.as_str())),
                ("phase", text(&phase)),
                ("gate", text(gate)),
                ("reason", text(e.reason.as_deref().unwrap_or(""))),
            ],
        )
    )];
    if let Some(n) = e.helpdesk_tickets {
        out.push(format!(
            "      {}",
            msg.get("plan-log-tickets", &[("count", num(n))])
        ));
    }
    if let Some(reason) = e.reason.as_deref().filter(|s| !s.is_empty())
        && e.action != Action::Superseded
    {
        out.push(format!(
            "      {}",
            msg.get(
                "plan-log-reason",
                &[
                    ("action", text(e.action.as_str())),
                    ("reason", text(reason))
                ],
            )
        ));
    }
    out
}
