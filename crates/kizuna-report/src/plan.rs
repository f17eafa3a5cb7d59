//! `kizuna plan status` and the plan's lines, for people (text from the message
//! catalogs) and for programs (`StatusReport` as JSON).

use kizuna_core::{MessageArg, Timestamp};
use kizuna_i18n::Messages;
use kizuna_plan::status::{LOG_TAIL, Next, StatusReport};
use kizuna_plan::{Action, Advance, Check, GateResult, LogEntry, PhaseKind, Plan, Status};

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

/// The line that says a plan was made (`kizuna plan init`).
pub fn created_line(msg: &Messages, plan: &Plan, now: Timestamp) -> String {
    let view = kizuna_plan::status::status(plan, &[], None, now);
    msg.get(
        "plan-created",
        &[
            ("id", num(plan.id)),
            ("track", text(plan.track.as_str())),
            ("count", plan.phases.len().into()),
            ("phase", text(&phase_name(msg, &view, &plan.phases[0].name))),
            ("expires", day_of(plan.expires)),
        ],
    )
}

/// What asking to advance came to, for people: the refusal with the gate's checks
/// (`refused`), or the phase that ended and the one that begins.
pub fn advance_lines(msg: &Messages, advanced: &Advance) -> (Vec<String>, bool) {
    match advanced {
        Advance::Refused {
            plan,
            transition,
            gate,
            view,
        } => {
            let ending = phase_name(msg, view, &plan.phases[transition.finish].name);
            let mut lines = vec![msg.get(
                "plan-refused",
                &[
                    ("phase", text(&ending)),
                    ("status", text(gate.status.as_str())),
                ],
            )];
            lines.extend(gate_lines(msg, view, gate));
            (lines, true)
        }
        Advance::Ended {
            plan,
            transition,
            entry,
            view,
        } => {
            let ending = phase_name(msg, view, &plan.phases[transition.finish].name);
            let status = entry.gate.as_ref().map_or("unknown", |g| g.status.as_str());
            let mut lines = vec![msg.get(
                "plan-ended",
                &[
                    ("phase", text(&ending)),
                    ("forced", yes(entry.action == Action::Force)),
                    ("status", text(status)),
                ],
            )];
            lines.push(match transition.start {
                Some(s) => {
                    let p = &plan.phases[s];
                    msg.get(
                        "plan-begins",
                        &[
                            ("phase", text(&phase_name(msg, view, &p.name))),
                            (
                                "scope",
                                text(&scope_short(msg, p.scope.patterns(), SCOPE_WIDTH)),
                            ),
                        ],
                    )
                }
                None => msg.text("plan-completed"),
            });
            (lines, false)
        }
    }
}

/// The line that says a note was recorded in the plan's log (`kizuna plan record`).
pub fn recorded_line(msg: &Messages, plan: &Plan, phase: Option<&str>, now: Timestamp) -> String {
    let view = kizuna_plan::status::status(plan, &[], None, now);
    msg.get(
        "plan-recorded",
        &[
            ("id", num(plan.id)),
            ("phase", text(&phase_name(msg, &view, phase.unwrap_or("")))),
        ],
    )
}

fn day_of(d: chrono::NaiveDate) -> MessageArg {
    text(&d.format("%Y-%m-%d").to_string())
}
