//! The phase model: two tracks of ordered phases, each with a scope and a gate.

use chrono::{Duration, NaiveDate};
use kizuna_core::{Thresholds, Timestamp};
use serde::{Deserialize, Serialize};

use crate::gate::{Gate, MinTime};
use crate::{PlanError, Scope};

/// Which half of the source article's playbook a plan follows.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    /// Stop the bleeding: the member GPO on a pilot, then in stages, then everywhere.
    Workaround,
    /// After Microsoft's fix: lab OU, staged withdrawal, monitoring of rotation cycles,
    /// then disable and delete the workaround GPOs.
    Rollback,
}

impl Track {
    pub fn as_str(self) -> &'static str {
        match self {
            Track::Workaround => "workaround",
            Track::Rollback => "rollback",
        }
    }

    pub fn parse(s: &str) -> Option<Track> {
        match s.trim().to_ascii_lowercase().as_str() {
            "workaround" => Some(Track::Workaround),
            "rollback" => Some(Track::Rollback),
            _ => None,
        }
    }

    /// The first phase, whose scope `init` must be given (`--stage pilot=…`, `--stage lab=…`).
    pub fn first(self) -> PhaseKind {
        match self {
            Track::Workaround => PhaseKind::Pilot,
            Track::Rollback => PhaseKind::Lab,
        }
    }
}

/// What a phase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    /// Workaround: the member GPO on the pilot OU (with the DC GPO on the DCs' OU).
    Pilot,
    /// Workaround: the member GPO on one more set of devices; rollback: the defaults
    /// restored on one more set.
    Stage,
    /// Workaround: the member GPO everywhere.
    All,
    /// Rollback: the fix and a test GPO restoring the defaults on the lab OU.
    Lab,
    /// Rollback: the workaround withdrawn everywhere; watch rotation cycles.
    Monitor,
    /// Rollback: the workaround GPOs disabled (links kept).
    Disable,
    /// Rollback: the workaround GPOs deleted.
    Delete,
}

impl PhaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Pilot => "pilot",
            PhaseKind::Stage => "stage",
            PhaseKind::All => "all",
            PhaseKind::Lab => "lab",
            PhaseKind::Monitor => "monitor",
            PhaseKind::Disable => "disable",
            PhaseKind::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<PhaseKind> {
        [
            PhaseKind::Pilot,
            PhaseKind::Stage,
            PhaseKind::All,
            PhaseKind::Lab,
            PhaseKind::Monitor,
            PhaseKind::Disable,
            PhaseKind::Delete,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Where a phase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseState {
    Pending,
    Active,
    Done,
}

impl PhaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseState::Pending => "pending",
            PhaseState::Active => "active",
            PhaseState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<PhaseState> {
        match s {
            "pending" => Some(PhaseState::Pending),
            "active" => Some(PhaseState::Active),
            "done" => Some(PhaseState::Done),
            _ => None,
        }
    }
}

/// One phase of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// `pilot`, a stage's name, `all`, `lab`, `monitor`, `disable`, `delete`.
    pub name: String,
    pub kind: PhaseKind,
    pub scope: Scope,
    pub state: PhaseState,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
}

/// A plan's gate parameters, fixed when the plan is created (defaults from
/// `thresholds.toml`), so that later changes of the defaults do not move its gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Days without a new failure in the scope; also the least days a phase runs.
    pub quiet_days: i64,
    /// Failure events per day (averaged over the gate's window) at or under which it passes.
    pub max_failures_per_day: f64,
    /// The newest evidence may be at most this many days old.
    pub fresh_days: i64,
    /// Rollback monitoring: rotation cycles, and days per cycle.
    pub monitor_cycles: i64,
    pub cycle_days: i64,
    /// Rollback: devices of the scope that must have rotated their password.
    pub min_rotations: u64,
    /// NTSTATUS classes that count as failures.
    pub failure_classes: Vec<String>,
    /// Failure events, `provider:id`.
    pub failure_events: Vec<String>,
}

impl Params {
    /// The defaults of `thresholds.toml`.
    pub fn from_thresholds(t: &Thresholds) -> Params {
        Params {
            quiet_days: t.plan_quiet_days,
            max_failures_per_day: t.plan_max_failures_per_day,
            fresh_days: t.plan_fresh_days,
            monitor_cycles: t.plan_monitor_cycles,
            cycle_days: t.plan_cycle_days,
            min_rotations: t.plan_min_rotations,
            failure_classes: t.plan_failure_classes.clone(),
            failure_events: t.plan_failure_events.clone(),
        }
    }

    /// Refuses values no gate can work with.
    pub fn validate(&self) -> Result<(), PlanError> {
        let bad = |name: &'static str, value: String| Err(PlanError::BadParam { name, value });
        if !(1..=365).contains(&self.quiet_days) {
            return bad("quiet-days", self.quiet_days.to_string());
        }
        if !self.max_failures_per_day.is_finite() || self.max_failures_per_day < 0.0 {
            return bad(
                "max-failures-per-day",
                self.max_failures_per_day.to_string(),
            );
        }
        if !(1..=365).contains(&self.fresh_days) {
            return bad("plan_fresh_days", self.fresh_days.to_string());
        }
        if !(1..=12).contains(&self.monitor_cycles) {
            return bad("plan_monitor_cycles", self.monitor_cycles.to_string());
        }
        if !(1..=999).contains(&self.cycle_days) {
            return bad("plan_cycle_days", self.cycle_days.to_string());
        }
        for c in &self.failure_classes {
            if crate::measure::status_class(c).is_none() {
                return bad("plan_failure_classes", c.clone());
            }
        }
        for e in &self.failure_events {
            if crate::measure::event_key(e).is_none() {
                return bad("plan_failure_events", e.clone());
            }
        }
        Ok(())
    }
}

/// A staged plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The store's id (0 before it is stored).
    pub id: i64,
    pub track: Track,
    pub created: Timestamp,
    /// The workaround's expiry: the date it must be gone by.
    pub expires: NaiveDate,
    pub params: Params,
    pub phases: Vec<Phase>,
    /// When the last phase was completed (or the plan was superseded).
    pub closed: Option<Timestamp>,
}

/// What `advance` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Index of the phase that ends.
    pub finish: usize,
    /// Index of the phase that begins; `None` = the plan is complete.
    pub start: Option<usize>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Plan {
    /// A new plan whose first phase begins `now`. `stages` are `(name, scope)` in order:
    /// the track's first phase (`pilot` / `lab`) must be among them; the others are the
    /// stages between it and the fixed phases (`all`; `monitor`, `disable`, `delete`).
    pub fn new(
        track: Track,
        stages: &[(String, Scope)],
        expires: NaiveDate,
        params: Params,
        now: Timestamp,
    ) -> Result<Plan, PlanError> {
        params.validate()?;
        let first = track.first();
        let reserved = ["pilot", "all", "lab", "monitor", "disable", "delete"];
        let mut first_scope = None;
        let mut middle: Vec<Phase> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (name, scope) in stages {
            let lower = name.trim().to_ascii_lowercase();
            if !valid_name(&lower) {
                return Err(PlanError::BadStage(name.clone()));
            }
            if seen.contains(&lower) {
                return Err(PlanError::DuplicateStage(name.clone()));
            }
            seen.push(lower.clone());
            if lower == first.as_str() {
                first_scope = Some(scope.clone());
                continue;
            }
            if reserved.contains(&lower.as_str()) {
                return Err(PlanError::ReservedStage {
                    name: lower,
                    track: track.as_str(),
                });
            }
            middle.push(Phase {
                name: lower,
                kind: PhaseKind::Stage,
                scope: scope.clone(),
                state: PhaseState::Pending,
                started: None,
                finished: None,
            });
        }
        let Some(first_scope) = first_scope else {
            return Err(PlanError::MissingFirstScope {
                phase: first.as_str(),
            });
        };
        let fixed = |kind: PhaseKind| Phase {
            name: kind.as_str().to_string(),
            kind,
            scope: Scope::all(),
            state: PhaseState::Pending,
            started: None,
            finished: None,
        };
        let mut phases = vec![Phase {
            name: first.as_str().to_string(),
            kind: first,
            scope: first_scope,
            state: PhaseState::Active,
            started: Some(now),
            finished: None,
        }];
        phases.extend(middle);
        match track {
            Track::Workaround => phases.push(fixed(PhaseKind::All)),
            Track::Rollback => {
                phases.push(fixed(PhaseKind::Monitor));
                phases.push(fixed(PhaseKind::Disable));
                phases.push(fixed(PhaseKind::Delete));
            }
        }
        Ok(Plan {
            id: 0,
            track,
            created: now,
            expires,
            params,
            phases,
            closed: None,
        })
    }

    /// The active phase's index.
    pub fn current_index(&self) -> Option<usize> {
        if self.closed.is_some() {
            return None;
        }
        self.phases
            .iter()
            .position(|p| p.state == PhaseState::Active)
    }

    pub fn current(&self) -> Option<&Phase> {
        self.current_index().map(|i| &self.phases[i])
    }

    /// The phase that begins when the current one passes its gate.
    pub fn next(&self) -> Option<&Phase> {
        let i = self.current_index()?;
        self.phases
            .get(i + 1)
            .filter(|p| p.state == PhaseState::Pending)
    }

    /// Whether every phase is done.
    pub fn is_complete(&self) -> bool {
        self.phases.iter().all(|p| p.state == PhaseState::Done)
    }

    /// Days from `now`'s date to the expiry date (negative = overdue).
    pub fn days_left(&self, now: Timestamp) -> i64 {
        (self.expires - now.date_naive()).num_days()
    }

    /// The least time a phase of this plan runs before its gate can pass.
    pub fn min_time(&self, phase: &Phase) -> MinTime {
        if phase.kind == PhaseKind::Monitor {
            MinTime::Cycles {
                cycles: self.params.monitor_cycles,
                cycle_days: self.params.cycle_days,
            }
        } else {
            MinTime::InPhase {
                days: self.params.quiet_days,
            }
        }
    }

    /// The gate of the active phase as of `now`: what must be true to end it.
    pub fn gate(&self, now: Timestamp) -> Option<Gate> {
        let phase = self.current()?;
        let started = phase.started.unwrap_or(self.created);
        let monitor = phase.kind == PhaseKind::Monitor;
        // Rollback phases must show rotation working again in their scope.
        let rotations = self.track == Track::Rollback
            && matches!(
                phase.kind,
                PhaseKind::Lab | PhaseKind::Stage | PhaseKind::Monitor
            );
        Some(Gate {
            phase: phase.name.clone(),
            scope: phase.scope.clone(),
            now,
            phase_started: started,
            min_time: self.min_time(phase),
            // Monitoring judges the whole period since the withdrawal; the other phases
            // their last quiet days.
            failures_since: if monitor {
                started
            } else {
                now - Duration::days(self.params.quiet_days)
            },
            max_failures_per_day: self.params.max_failures_per_day,
            min_rotations: rotations.then_some(self.params.min_rotations),
            fresh_days: self.params.fresh_days,
        })
    }

    /// What `advance` does at `now`, or why it cannot (complete; `now` before the active
    /// phase began — a wrong clock or `KIZUNA_NOW`).
    pub fn transition(&self, now: Timestamp) -> Result<Transition, PlanError> {
        let Some(finish) = self.current_index() else {
            return Err(PlanError::Complete);
        };
        if let Some(started) = self.phases[finish].started
            && now < started
        {
            return Err(PlanError::BeforePhase { started });
        }
        let start = (finish + 1 < self.phases.len()).then_some(finish + 1);
        Ok(Transition { finish, start })
    }

    /// The log entry that ends the active phase (`t.finish`) on `gate`: an advance when
    /// the gate passed, a forced end when `force` says so, refused otherwise. The log
    /// keeps the gate either way, so a forced end shows what it overrode.
    pub fn end_phase(
        &self,
        t: Transition,
        gate: crate::GateResult,
        force: bool,
        (who, why): (String, String),
        now: Timestamp,
    ) -> Result<LogEntry, crate::GateResult> {
        let action = match (gate.status == crate::Status::Pass, force) {
            (true, _) => Action::Advance,
            (false, true) => Action::Force,
            (false, false) => return Err(gate),
        };
        Ok(LogEntry {
            time: now,
            who,
            action,
            phase: Some(self.phases[t.finish].name.clone()),
            reason: Some(why),
            helpdesk_tickets: None,
            gate: Some(gate),
        })
    }

    /// Applies a transition at `now` (what the store records).
    pub fn apply(&mut self, t: Transition, now: Timestamp) {
        let p = &mut self.phases[t.finish];
        p.state = PhaseState::Done;
        p.finished = Some(now);
        match t.start {
            Some(s) => {
                let p = &mut self.phases[s];
                p.state = PhaseState::Active;
                p.started = Some(now);
            }
            None => self.closed = Some(now),
        }
    }

    /// The earliest date the remaining phases' minimum times allow the plan to finish.
    pub fn earliest_finish(&self, now: Timestamp) -> Option<Timestamp> {
        let i = self.current_index()?;
        let mut days = 0i64;
        for (j, p) in self.phases.iter().enumerate().skip(i) {
            let need = self.min_time(p).days();
            if j == i {
                let started = p.started.unwrap_or(self.created);
                days += (need - (now - started).num_days()).max(0);
            } else {
                days += need;
            }
        }
        Some(now + Duration::days(days))
    }
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Init,
    Advance,
    /// Advanced although the gate did not pass.
    Force,
    Record,
    Superseded,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Init => "init",
            Action::Advance => "advance",
            Action::Force => "force",
            Action::Record => "record",
            Action::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Init,
            Action::Advance,
            Action::Force,
            Action::Record,
            Action::Superseded,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One entry of a plan's append-only log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub time: Timestamp,
    pub who: String,
    pub action: Action,
    /// The phase it is about (for an advance: the phase that ended).
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub helpdesk_tickets: Option<i64>,
    /// The gate at that moment.
    pub gate: Option<crate::GateResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn params() -> Params {
        Params::from_thresholds(&kizuna_core::Knowledge::builtin().thresholds)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn stages(v: &[(&str, &str)]) -> Vec<(String, Scope)> {
        v.iter()
            .map(|(n, s)| (n.to_string(), Scope::parse(s).unwrap()))
            .collect()
    }

    #[test]
    fn tracks_have_their_phases_in_order() {
        let now = t("2026-02-01T00:00:00Z");
        let p = Plan::new(
            Track::Workaround,
            &stages(&[("tokyo", "PC-T*"), ("pilot", "PC-P*"), ("osaka", "PC-O*")]),
            date("2026-06-30"),
            params(),
            now,
        )
        .unwrap();
        let names: Vec<&str> = p.phases.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["pilot", "tokyo", "osaka", "all"]);
        assert_eq!(p.current().unwrap().started, Some(now));
        assert_eq!(p.next().unwrap().name, "tokyo");
        assert!(p.phases[3].scope.is_all());
        let r = Plan::new(
            Track::Rollback,
            &stages(&[("lab", "LAB-*")]),
            date("2026-06-30"),
            params(),
            now,
        )
        .unwrap();
        let names: Vec<&str> = r.phases.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["lab", "monitor", "disable", "delete"]);
    }

    #[test]
    fn init_refuses_what_cannot_be_a_plan() {
        let now = t("2026-02-01T00:00:00Z");
        let d = date("2026-06-30");
        let err = |track, st: &[(&str, &str)]| {
            Plan::new(track, &stages(st), d, params(), now).unwrap_err()
        };
        assert!(matches!(
            err(Track::Workaround, &[("tokyo", "PC-T*")]),
            PlanError::MissingFirstScope { phase: "pilot" }
        ));
        assert!(matches!(
            err(Track::Rollback, &[("pilot", "PC-T*")]),
            PlanError::ReservedStage { .. }
        ));
        assert!(matches!(
            err(Track::Workaround, &[("pilot", "A"), ("all", "B")]),
            PlanError::ReservedStage { .. }
        ));
        assert!(matches!(
            err(Track::Workaround, &[("pilot", "A"), ("Pilot", "B")]),
            PlanError::DuplicateStage(_)
        ));
        assert!(matches!(
            err(Track::Workaround, &[("pilot", "A"), ("two words", "B")]),
            PlanError::BadStage(_)
        ));
        let mut bad = params();
        bad.quiet_days = 0;
        assert!(matches!(
            Plan::new(Track::Workaround, &stages(&[("pilot", "A")]), d, bad, now),
            Err(PlanError::BadParam {
                name: "quiet-days",
                ..
            })
        ));
        let mut bad = params();
        bad.failure_classes = vec!["password".into()];
        assert!(Plan::new(Track::Workaround, &stages(&[("pilot", "A")]), d, bad, now).is_err());
    }

    #[test]
    fn advancing_walks_the_phases_then_closes() {
        let now = t("2026-02-01T00:00:00Z");
        let mut p = Plan::new(
            Track::Workaround,
            &stages(&[("pilot", "PC-P*")]),
            date("2026-02-10"),
            params(),
            now,
        )
        .unwrap();
        assert_eq!(p.days_left(now), 9);
        assert_eq!(p.days_left(t("2026-02-12T23:00:00Z")), -2);
        assert!(matches!(
            p.transition(t("2026-01-31T00:00:00Z")),
            Err(PlanError::BeforePhase { .. })
        ));
        let tr = p.transition(now).unwrap();
        assert_eq!(
            tr,
            Transition {
                finish: 0,
                start: Some(1)
            }
        );
        p.apply(tr, t("2026-02-09T00:00:00Z"));
        assert_eq!(p.current().unwrap().name, "all");
        assert!(p.next().is_none());
        let tr = p.transition(t("2026-02-20T00:00:00Z")).unwrap();
        assert_eq!(tr.start, None);
        p.apply(tr, t("2026-02-20T00:00:00Z"));
        assert!(p.is_complete());
        assert_eq!(p.closed, Some(t("2026-02-20T00:00:00Z")));
        assert!(matches!(p.transition(now), Err(PlanError::Complete)));
        assert!(p.gate(now).is_none());
    }

    #[test]
    fn gates_follow_the_phase() {
        let now = t("2026-02-01T00:00:00Z");
        let mut r = Plan::new(
            Track::Rollback,
            &stages(&[("lab", "LAB-*"), ("wave1", "PC-0*")]),
            date("2026-06-30"),
            params(),
            now,
        )
        .unwrap();
        let later = t("2026-02-20T00:00:00Z");
        let g = r.gate(later).unwrap();
        assert_eq!(g.min_rotations, Some(1), "the lab must rotate again");
        assert_eq!(g.failures_since, later - Duration::days(7));
        assert_eq!(g.min_time, MinTime::InPhase { days: 7 });
        // lab 7 + wave1 7 + monitor 60 + disable 7 + delete 7 = 88 days from the start.
        assert_eq!(r.earliest_finish(now), Some(now + Duration::days(88)));
        r.apply(
            r.transition(t("2026-12-31T00:00:00Z")).unwrap(),
            t("2026-02-10T00:00:00Z"),
        );
        r.apply(
            r.transition(t("2026-12-31T00:00:00Z")).unwrap(),
            t("2026-02-20T00:00:00Z"),
        );
        let g = r.gate(t("2026-03-01T00:00:00Z")).unwrap();
        assert_eq!(g.phase, "monitor");
        assert_eq!(
            g.failures_since,
            t("2026-02-20T00:00:00Z"),
            "since withdrawal"
        );
        assert_eq!(
            g.min_time,
            MinTime::Cycles {
                cycles: 2,
                cycle_days: 30
            }
        );
        r.apply(
            r.transition(t("2026-12-31T00:00:00Z")).unwrap(),
            t("2026-04-21T00:00:00Z"),
        );
        let g = r.gate(t("2026-04-22T00:00:00Z")).unwrap();
        assert_eq!(g.phase, "disable");
        assert_eq!(g.min_rotations, None);
    }
}
