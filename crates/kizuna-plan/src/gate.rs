//! Gates: what must be true to end a phase, judged from measurements by a pure function.
//!
//! A gate is a list of checks, each `pass`, `block` or `unknown`. Time checks (how long
//! the phase has run) are certain and can block whatever the evidence. Evidence checks
//! are only judged when the newest evidence is recent: otherwise they are `unknown`
//! ("collect evidence"), because a quiet week in logs copied a month ago proves nothing.
//! The gate is `block` when any check blocks, else `unknown` when any is unknown, else
//! `pass` — it never passes on stale or missing evidence.

use chrono::Duration;
use kizuna_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Scope;

/// A gate's (or a check's) verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Block,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Block => "block",
            Status::Unknown => "unknown",
        }
    }
}

/// The least time a phase runs before its gate can pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MinTime {
    /// At least `days` since the phase began.
    InPhase { days: i64 },
    /// At least `cycles` × `cycle_days` since the phase began (rollback monitoring).
    Cycles { cycles: i64, cycle_days: i64 },
}

impl MinTime {
    pub fn days(self) -> i64 {
        match self {
            MinTime::InPhase { days } => days,
            MinTime::Cycles { cycles, cycle_days } => cycles * cycle_days,
        }
    }
}

/// What the gate of one phase asks, as of `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub phase: String,
    pub scope: Scope,
    pub now: Timestamp,
    pub phase_started: Timestamp,
    pub min_time: MinTime,
    /// Failures are counted in `[failures_since, now)`.
    pub failures_since: Timestamp,
    pub max_failures_per_day: f64,
    /// Devices of the scope that must have rotated in `[phase_started, now)`; `None` =
    /// not asked.
    pub min_rotations: Option<u64>,
    pub fresh_days: i64,
}

/// What the evidence shows for a gate (see `measure`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measurements {
    /// The newest stored fact. Later than `now` (a plan walked through past days, or
    /// logs collected since) means the logs cover `now`.
    pub newest_evidence: Option<Timestamp>,
    /// Devices of the scope the evidence names (any fact, any role).
    pub devices_in_scope: u64,
    /// Devices of the scope with a new KZ-SC-001 (of the counted classes) in the window.
    pub failing_devices: Vec<String>,
    /// Failure events about devices of the scope in the window.
    pub failure_events: u64,
    /// Devices of the scope that changed their own password since the phase began.
    pub rotated_devices: Vec<String>,
}

/// Names listed in a check (the count is always given).
pub const LISTED: usize = 20;

/// One check of a gate, with what was measured and what was required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum Check {
    /// The newest evidence is at most `max_days` old (negative age: after `now`).
    Fresh {
        status: Status,
        newest: Option<Timestamp>,
        age_hours: Option<i64>,
        max_days: i64,
    },
    /// The phase has run long enough.
    InPhase {
        status: Status,
        days: i64,
        min_days: i64,
    },
    /// Rollback monitoring: enough rotation cycles since the workaround was withdrawn.
    Cycles {
        status: Status,
        days: i64,
        cycles: i64,
        cycle_days: i64,
    },
    /// The evidence names devices of the scope at all (else the patterns or the
    /// collection are wrong, and "no failures" would mean nothing).
    Scope { status: Status, devices: u64 },
    /// No device of the scope with a new KZ-SC-001 since `since`.
    NewFailures {
        status: Status,
        since: Timestamp,
        count: u64,
        devices: Vec<String>,
    },
    /// Failure events per day in the scope since `since`.
    FailureRate {
        status: Status,
        since: Timestamp,
        events: u64,
        days: f64,
        per_day: f64,
        max_per_day: f64,
    },
    /// Devices of the scope that rotated their machine password since `since`.
    Rotations {
        status: Status,
        since: Timestamp,
        count: u64,
        min: u64,
        devices: Vec<String>,
    },
}

impl Check {
    pub fn status(&self) -> Status {
        match self {
            Check::Fresh { status, .. }
            | Check::InPhase { status, .. }
            | Check::Cycles { status, .. }
            | Check::Scope { status, .. }
            | Check::NewFailures { status, .. }
            | Check::FailureRate { status, .. }
            | Check::Rotations { status, .. } => *status,
        }
    }
}

/// A gate's verdict with its checks (also the snapshot kept in the plan's log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub phase: String,
    pub status: Status,
    pub now: Timestamp,
    pub checks: Vec<Check>,
}

impl GateResult {
    /// The checks that keep the gate from passing.
    pub fn failing(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status() != Status::Pass)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn listed(v: &[String]) -> Vec<String> {
    v.iter().take(LISTED).cloned().collect()
}

/// Judges a gate from measurements. Pure: same inputs, same verdict.
pub fn evaluate(gate: &Gate, m: &Measurements) -> GateResult {
    let now = gate.now;
    let fresh = m
        .newest_evidence
        .is_some_and(|n| now - n <= Duration::days(gate.fresh_days));
    // An evidence check is judged only on fresh evidence.
    let judged = |bad: bool| match (fresh, bad) {
        (false, _) => Status::Unknown,
        (true, true) => Status::Block,
        (true, false) => Status::Pass,
    };
    let mut checks = vec![Check::Fresh {
        status: if fresh { Status::Pass } else { Status::Unknown },
        newest: m.newest_evidence,
        age_hours: m.newest_evidence.map(|n| (now - n).num_hours()),
        max_days: gate.fresh_days,
    }];
    let in_phase = (now - gate.phase_started).num_days();
    let time_status = if in_phase >= gate.min_time.days() {
        Status::Pass
    } else {
        Status::Block
    };
    checks.push(match gate.min_time {
        MinTime::InPhase { days } => Check::InPhase {
            status: time_status,
            days: in_phase,
            min_days: days,
        },
        MinTime::Cycles { cycles, cycle_days } => Check::Cycles {
            status: time_status,
            days: in_phase,
            cycles,
            cycle_days,
        },
    });
    checks.push(Check::Scope {
        status: if m.devices_in_scope == 0 {
            Status::Unknown
        } else {
            Status::Pass
        },
        devices: m.devices_in_scope,
    });
    checks.push(Check::NewFailures {
        status: judged(!m.failing_devices.is_empty()),
        since: gate.failures_since,
        count: m.failing_devices.len() as u64,
        devices: listed(&m.failing_devices),
    });
    // The window in days (at least one, so a window just begun does not divide by ~0).
    let days = ((now - gate.failures_since).num_seconds() as f64 / 86_400.0).max(1.0);
    let per_day = m.failure_events as f64 / days;
    checks.push(Check::FailureRate {
        status: judged(per_day > gate.max_failures_per_day + 1e-9),
        since: gate.failures_since,
        events: m.failure_events,
        days: round2(days),
        per_day: round2(per_day),
        max_per_day: gate.max_failures_per_day,
    });
    if let Some(min) = gate.min_rotations {
        checks.push(Check::Rotations {
            status: judged((m.rotated_devices.len() as u64) < min),
            since: gate.phase_started,
            count: m.rotated_devices.len() as u64,
            min,
            devices: listed(&m.rotated_devices),
        });
    }
    let status = if checks.iter().any(|c| c.status() == Status::Block) {
        Status::Block
    } else if checks.iter().any(|c| c.status() == Status::Unknown) {
        Status::Unknown
    } else {
        Status::Pass
    };
    GateResult {
        phase: gate.phase.clone(),
        status,
        now,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    const NOW: &str = "2026-03-10T00:00:00Z";

    /// A pilot gate: 7 quiet days, at most 1 failure event a day, evidence ≤ 2 days old.
    fn gate() -> Gate {
        let now = t(NOW);
        Gate {
            phase: "pilot".into(),
            scope: Scope::parse("PC-P*").unwrap(),
            now,
            phase_started: now - Duration::days(10),
            min_time: MinTime::InPhase { days: 7 },
            failures_since: now - Duration::days(7),
            max_failures_per_day: 1.0,
            min_rotations: None,
            fresh_days: 2,
        }
    }

    /// Measurements that pass every check of [`gate`].
    fn quiet() -> Measurements {
        Measurements {
            newest_evidence: Some(t(NOW) - Duration::hours(3)),
            devices_in_scope: 12,
            failing_devices: vec![],
            failure_events: 0,
            rotated_devices: vec![],
        }
    }

    fn check<'a>(r: &'a GateResult, name: &str) -> &'a Check {
        r.checks
            .iter()
            .find(|c| serde_json::to_value(c).unwrap()["check"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no {name} check in {r:?}"))
    }

    #[test]
    fn a_quiet_scope_passes() {
        let r = evaluate(&gate(), &quiet());
        assert_eq!(r.status, Status::Pass, "{r:#?}");
        assert_eq!(r.failing().count(), 0);
        assert_eq!(r.checks.len(), 5, "no rotation check unless asked");
    }

    #[test]
    fn one_new_failing_device_blocks() {
        let m = Measurements {
            failing_devices: vec!["PC-P03".into()],
            ..quiet()
        };
        let r = evaluate(&gate(), &m);
        assert_eq!(r.status, Status::Block);
        match check(&r, "new-failures") {
            Check::NewFailures {
                status,
                count,
                devices,
                since,
            } => {
                assert_eq!(*status, Status::Block);
                assert_eq!(*count, 1);
                assert_eq!(devices, &["PC-P03"]);
                assert_eq!(*since, t("2026-03-03T00:00:00Z"));
            }
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn failure_rate_at_the_threshold_passes_and_above_blocks() {
        // 7 events over 7 days = 1.0 a day: at the threshold.
        let m = Measurements {
            failure_events: 7,
            ..quiet()
        };
        let r = evaluate(&gate(), &m);
        assert_eq!(r.status, Status::Pass, "{r:#?}");
        let m = Measurements {
            failure_events: 8,
            ..quiet()
        };
        let r = evaluate(&gate(), &m);
        assert_eq!(r.status, Status::Block);
        match check(&r, "failure-rate") {
            Check::FailureRate {
                events,
                days,
                per_day,
                max_per_day,
                ..
            } => {
                assert_eq!(
                    (*events, *days, *per_day, *max_per_day),
                    (8, 7.0, 1.14, 1.0)
                );
            }
            c => panic!("{c:?}"),
        }
        // A zero threshold: one event blocks.
        let g = Gate {
            max_failures_per_day: 0.0,
            ..gate()
        };
        let m = Measurements {
            failure_events: 1,
            ..quiet()
        };
        assert_eq!(evaluate(&g, &m).status, Status::Block);
    }

    #[test]
    fn time_in_phase_boundary() {
        let now = t(NOW);
        // Exactly 7 days: passes.
        let g = Gate {
            phase_started: now - Duration::days(7),
            ..gate()
        };
        assert_eq!(evaluate(&g, &quiet()).status, Status::Pass);
        // One minute short of 7 days: blocks, even with perfect evidence.
        let g = Gate {
            phase_started: now - Duration::days(7) + Duration::minutes(1),
            ..gate()
        };
        let r = evaluate(&g, &quiet());
        assert_eq!(r.status, Status::Block);
        assert!(matches!(
            check(&r, "in-phase"),
            Check::InPhase {
                status: Status::Block,
                days: 6,
                min_days: 7
            }
        ));
    }

    #[test]
    fn stale_evidence_is_unknown_never_pass() {
        let now = t(NOW);
        // Exactly 2 days old: still fresh.
        let m = Measurements {
            newest_evidence: Some(now - Duration::days(2)),
            ..quiet()
        };
        assert_eq!(evaluate(&gate(), &m).status, Status::Pass);
        // Evidence later than now (logs collected since; a plan walked through past days):
        // the logs cover now.
        let m = Measurements {
            newest_evidence: Some(now + Duration::days(30)),
            ..quiet()
        };
        assert_eq!(evaluate(&gate(), &m).status, Status::Pass);
        // A second older than 2 days: unknown, and the evidence checks are not judged.
        let m = Measurements {
            newest_evidence: Some(now - Duration::days(2) - Duration::seconds(1)),
            failing_devices: vec!["PC-P01".into()],
            ..quiet()
        };
        let r = evaluate(&gate(), &m);
        assert_eq!(r.status, Status::Unknown, "{r:#?}");
        assert_eq!(check(&r, "new-failures").status(), Status::Unknown);
        assert_eq!(check(&r, "fresh").status(), Status::Unknown);
        // No evidence at all.
        let m = Measurements {
            newest_evidence: None,
            ..quiet()
        };
        assert_eq!(evaluate(&gate(), &m).status, Status::Unknown);
        // Stale evidence, but the phase is too young: a certain block.
        let g = Gate {
            phase_started: now - Duration::days(1),
            ..gate()
        };
        assert_eq!(evaluate(&g, &m).status, Status::Block);
    }

    #[test]
    fn a_scope_the_evidence_never_names_is_unknown() {
        let m = Measurements {
            devices_in_scope: 0,
            ..quiet()
        };
        let r = evaluate(&gate(), &m);
        assert_eq!(r.status, Status::Unknown);
        assert_eq!(check(&r, "scope").status(), Status::Unknown);
    }

    /// The rollback monitor: two 30-day cycles since withdrawal, rotations seen, no failure.
    fn monitor(days_since: i64) -> Gate {
        let now = t(NOW);
        let started = now - Duration::days(days_since);
        Gate {
            phase: "monitor".into(),
            scope: Scope::all(),
            phase_started: started,
            min_time: MinTime::Cycles {
                cycles: 2,
                cycle_days: 30,
            },
            failures_since: started,
            min_rotations: Some(1),
            ..gate()
        }
    }

    #[test]
    fn monitor_needs_two_cycles_rotations_and_no_failures() {
        let rotated = Measurements {
            rotated_devices: vec!["PC-00001".into(), "PC-00002".into()],
            ..quiet()
        };
        // 59 days: one day short.
        let r = evaluate(&monitor(59), &rotated);
        assert_eq!(r.status, Status::Block);
        assert!(matches!(
            check(&r, "cycles"),
            Check::Cycles {
                status: Status::Block,
                days: 59,
                cycles: 2,
                cycle_days: 30
            }
        ));
        // 60 days: passes.
        assert_eq!(evaluate(&monitor(60), &rotated).status, Status::Pass);
        // No rotation seen: blocks (rotation has not been shown to work again).
        let r = evaluate(&monitor(60), &quiet());
        assert_eq!(r.status, Status::Block);
        assert!(matches!(
            check(&r, "rotations"),
            Check::Rotations {
                status: Status::Block,
                count: 0,
                min: 1,
                ..
            }
        ));
        // A failure anywhere since the withdrawal: blocks.
        let m = Measurements {
            failing_devices: vec!["PC-00007".into()],
            failure_events: 3,
            ..rotated.clone()
        };
        let r = evaluate(&monitor(75), &m);
        assert_eq!(r.status, Status::Block);
        // Over 75 days, 3 events is 0.04 a day: the rate passes, the new failure blocks.
        assert_eq!(check(&r, "failure-rate").status(), Status::Pass);
        assert_eq!(check(&r, "new-failures").status(), Status::Block);
    }

    #[test]
    fn results_round_trip_through_json() {
        let r = evaluate(&monitor(61), &quiet());
        let text = serde_json::to_string(&r).unwrap();
        let back: GateResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        assert!(text.contains("\"check\":\"rotations\""), "{text}");
    }
}
