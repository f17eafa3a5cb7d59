//! Plans in the kizuna store: conversions between the model and the store's rows.

use chrono::NaiveDate;
use kizuna_store::{LogRow, PhaseChange, PhaseRow, PlanRow, Store};

use crate::{
    Action, LogEntry, Phase, PhaseKind, PhaseState, Plan, PlanError, Scope, Track, Transition,
};

fn row_of(e: &LogEntry) -> LogRow {
    LogRow {
        time: e.time,
        who: e.who.clone(),
        action: e.action.as_str().to_string(),
        phase: e.phase.clone(),
        reason: e.reason.clone(),
        helpdesk_tickets: e.helpdesk_tickets,
        gate: e.gate.as_ref().and_then(|g| serde_json::to_string(g).ok()),
    }
}

fn entry_of(r: LogRow) -> Option<LogEntry> {
    Some(LogEntry {
        time: r.time,
        who: r.who,
        action: Action::parse(&r.action)?,
        phase: r.phase,
        reason: r.reason,
        helpdesk_tickets: r.helpdesk_tickets,
        gate: r.gate.as_deref().and_then(|g| serde_json::from_str(g).ok()),
    })
}

/// Stores a new plan (its id is set) with its `init` log entry; an open earlier plan is
/// closed as superseded.
pub fn create(store: &mut Store, plan: &mut Plan, init: &LogEntry) -> Result<(), PlanError> {
    let row = PlanRow {
        id: 0,
        track: plan.track.as_str().to_string(),
        created: plan.created,
        expires: plan.expires.format("%Y-%m-%d").to_string(),
        params: serde_json::to_string(&plan.params)
            .map_err(|e| PlanError::Corrupt(e.to_string()))?,
        closed: plan.closed,
    };
    let phases: Vec<PhaseRow> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| PhaseRow {
            seq: i as i64,
            name: p.name.clone(),
            kind: p.kind.as_str().to_string(),
            scope: p.scope.patterns().to_vec(),
            state: p.state.as_str().to_string(),
            started: p.started,
            finished: p.finished,
        })
        .collect();
    plan.id = store.create_plan(&row, &phases, &row_of(init))?;
    audit(store, plan.id, init)
}

/// The change in the audit log too (`plan-init`, `plan-advance`, `plan-force`,
/// `plan-record`): the audit log is where a team looks for everything that changed, the
/// plan log where it reads the plan's own history.
fn audit(store: &mut Store, plan_id: i64, e: &LogEntry) -> Result<(), PlanError> {
    store.audit(&kizuna_store::AuditRow {
        id: 0,
        time: e.time,
        actor: e.who.clone(),
        action: format!("plan-{}", e.action.as_str()),
        detail: serde_json::json!({
            "plan": plan_id,
            "phase": e.phase,
            "reason": e.reason,
            "helpdesk_tickets": e.helpdesk_tickets,
        })
        .to_string(),
        remote: None,
    })?;
    Ok(())
}

/// The most recent plan and its log (oldest first).
pub fn load_latest(store: &Store) -> Result<Option<(Plan, Vec<LogEntry>)>, PlanError> {
    let Some(row) = store.latest_plan()? else {
        return Ok(None);
    };
    let corrupt = |what: &str| PlanError::Corrupt(format!("plan {}: {what}", row.id));
    let track = Track::parse(&row.track).ok_or_else(|| corrupt("track"))?;
    let expires =
        NaiveDate::parse_from_str(&row.expires, "%Y-%m-%d").map_err(|_| corrupt("expiry"))?;
    let params = serde_json::from_str(&row.params).map_err(|_| corrupt("parameters"))?;
    let mut phases = Vec::new();
    for p in store.plan_phases(row.id)? {
        phases.push(Phase {
            kind: PhaseKind::parse(&p.kind).ok_or_else(|| corrupt("phase kind"))?,
            state: PhaseState::parse(&p.state).ok_or_else(|| corrupt("phase state"))?,
            name: p.name,
            scope: Scope::from_stored(p.scope),
            started: p.started,
            finished: p.finished,
        });
    }
    let log = store
        .plan_log(row.id)?
        .into_iter()
        .filter_map(entry_of)
        .collect();
    Ok(Some((
        Plan {
            id: row.id,
            track,
            created: row.created,
            expires,
            params,
            phases,
            closed: row.closed,
        },
        log,
    )))
}

/// Records a transition and its log entry in one transaction, then applies it to `plan`.
pub fn advance(
    store: &mut Store,
    plan: &mut Plan,
    t: Transition,
    entry: &LogEntry,
) -> Result<(), PlanError> {
    store.advance_plan(
        plan.id,
        &PhaseChange {
            time: entry.time,
            finish: Some(t.finish as i64),
            start: t.start.map(|s| s as i64),
            close: t.start.is_none(),
        },
        &row_of(entry),
    )?;
    plan.apply(t, entry.time);
    audit(store, plan.id, entry)
}

/// Records an operator's note (and the helpdesk tickets counted since the last one) in
/// the newest plan's log, against the active phase, else the last one (a note after
/// completion). Returns the plan, its log before the note, and the phase noted.
pub fn record_note(
    store: &mut Store,
    who: &str,
    note: &str,
    helpdesk_tickets: Option<i64>,
    now: kizuna_core::Timestamp,
) -> Result<(Plan, Vec<LogEntry>, Option<String>), PlanError> {
    let who = non_empty(who, "who")?;
    let note = non_empty(note, "note")?;
    let (plan, log) = load_latest(store)?.ok_or(PlanError::NoPlan)?;
    if now < plan.created {
        return Err(PlanError::BeforePhase {
            started: plan.created,
        });
    }
    let phase = plan
        .current()
        .or_else(|| plan.phases.last())
        .map(|p| p.name.clone());
    let entry = LogEntry {
        time: now,
        who,
        action: Action::Record,
        phase: phase.clone(),
        reason: Some(note),
        helpdesk_tickets,
        gate: None,
    };
    append(store, &plan, &entry)?;
    Ok((plan, log, phase))
}

/// `s` trimmed, or [`PlanError::Empty`] naming the option it came from.
pub fn non_empty(s: &str, what: &'static str) -> Result<String, PlanError> {
    let t = s.trim();
    if t.is_empty() {
        Err(PlanError::Empty(what))
    } else {
        Ok(t.to_string())
    }
}

/// Appends an entry (an operator's record) to a plan's log.
pub fn append(store: &mut Store, plan: &Plan, entry: &LogEntry) -> Result<(), PlanError> {
    store.append_plan_log(plan.id, &row_of(entry))?;
    audit(store, plan.id, entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Params, gate};

    fn t(s: &str) -> kizuna_core::Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_plan_survives_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("k.db")).unwrap();
        assert!(load_latest(&store).unwrap().is_none());
        let now = t("2026-02-01T09:00:00Z");
        let mut plan = Plan::new(
            Track::Workaround,
            &[
                ("pilot".into(), Scope::parse("PC-P*").unwrap()),
                ("tokyo".into(), Scope::parse("PC-T*,SV-T*").unwrap()),
            ],
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            Params::from_thresholds(&kizuna_core::Knowledge::builtin().thresholds),
            now,
        )
        .unwrap();
        let init = LogEntry {
            time: now,
            who: "alice".into(),
            action: Action::Init,
            phase: Some("pilot".into()),
            reason: Some("CHG-1234".into()),
            helpdesk_tickets: None,
            gate: None,
        };
        create(&mut store, &mut plan, &init).unwrap();
        assert_eq!(plan.id, 1);
        let (back, log) = load_latest(&store).unwrap().unwrap();
        assert_eq!(back, plan);
        assert_eq!(log, std::slice::from_ref(&init));

        let later = t("2026-02-09T09:00:00Z");
        let snapshot = gate::evaluate(&plan.gate(later).unwrap(), &Default::default());
        let tr = plan.transition(later).unwrap();
        let entry = LogEntry {
            time: later,
            who: "bob".into(),
            action: Action::Force,
            phase: Some("pilot".into()),
            reason: Some("helpdesk quiet; logs late".into()),
            helpdesk_tickets: None,
            gate: Some(snapshot.clone()),
        };
        advance(&mut store, &mut plan, tr, &entry).unwrap();
        append(
            &mut store,
            &plan,
            &LogEntry {
                action: Action::Record,
                helpdesk_tickets: Some(3),
                gate: None,
                ..entry.clone()
            },
        )
        .unwrap();
        let (back, log) = load_latest(&store).unwrap().unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.current().unwrap().name, "tokyo");
        assert_eq!(log.len(), 3);
        let audited: Vec<(String, String)> = store
            .audit_log(10)
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| (e.actor, e.action))
            .collect();
        let want = [
            ("alice", "plan-init"),
            ("bob", "plan-force"),
            ("bob", "plan-record"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(audited, want, "every plan change is in the audit log");
        assert_eq!(
            log[1].gate.as_ref(),
            Some(&snapshot),
            "the gate snapshot is kept"
        );
        assert_eq!(log[2].helpdesk_tickets, Some(3));
    }
}
