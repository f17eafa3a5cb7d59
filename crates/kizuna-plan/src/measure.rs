//! Measurements: what the stored evidence shows for a gate.
//!
//! New secure-channel failures are KZ-SC-001 findings of `kizuna scan`'s own rules run
//! over the gate's window (the caller hands in the function `scan` uses, so a gate and a
//! scan of the same facts can never disagree). Failure events, rotations and the age of
//! the newest evidence are read from the same stored facts with the same knowledge
//! (watched events, NTSTATUS classes).

use std::collections::BTreeSet;

use kizuna_core::{
    EventRecord, Knowledge, MessageArg, NetlogonEntry, NetlogonKind, NtStatus, Signal, StatusClass,
    Timestamp,
};
use kizuna_rules::Analysis;
use kizuna_store::{FactFilter, Store};

use crate::{Gate, Measurements, Params, PlanError};

/// What a gate is measured from: stored facts in a time window.
pub trait GateEvidence {
    /// `kizuna scan`'s rules over the facts in `[since, until)`.
    fn analyze(&self, since: Timestamp, until: Timestamp) -> Result<Analysis, PlanError>;
    /// Each event with one of `ids` in `[since, until)`, in time order.
    fn events(
        &self,
        since: Timestamp,
        until: Timestamp,
        ids: &[u32],
        f: &mut dyn FnMut(&EventRecord),
    ) -> Result<(), PlanError>;
    /// Each netlogon.log line in `[since, until)`.
    fn netlogon(
        &self,
        since: Timestamp,
        until: Timestamp,
        f: &mut dyn FnMut(&NetlogonEntry),
    ) -> Result<(), PlanError>;
    /// The time of the newest fact stored.
    fn newest(&self) -> Result<Option<Timestamp>, PlanError>;
    /// Every device the stored facts name, at any time (short-name keys).
    fn devices(&self) -> Result<BTreeSet<String>, PlanError>;
}

/// A store as a [`GateEvidence`]. `analyze` is the function `kizuna scan` runs its rules
/// with over a filter of stored facts.
pub struct StoredFacts<'a, A> {
    pub store: &'a Store,
    pub analyze: A,
}

fn window(since: Timestamp, until: Timestamp, event_ids: Vec<u32>) -> FactFilter {
    FactFilter {
        inputs: kizuna_store::Inputs::All,
        since: Some(since),
        until: Some(until),
        event_ids,
        identity_before: None,
    }
}

impl<A, E> GateEvidence for StoredFacts<'_, A>
where
    A: Fn(&Store, &FactFilter) -> Result<Analysis, E>,
    E: std::fmt::Display,
{
    fn analyze(&self, since: Timestamp, until: Timestamp) -> Result<Analysis, PlanError> {
        (self.analyze)(self.store, &window(since, until, Vec::new()))
            .map_err(|e| PlanError::Evidence(e.to_string()))
    }

    fn events(
        &self,
        since: Timestamp,
        until: Timestamp,
        ids: &[u32],
        f: &mut dyn FnMut(&EventRecord),
    ) -> Result<(), PlanError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.store
            .for_each_event(&window(since, until, ids.to_vec()), |e| f(&e))?;
        Ok(())
    }

    fn netlogon(
        &self,
        since: Timestamp,
        until: Timestamp,
        f: &mut dyn FnMut(&NetlogonEntry),
    ) -> Result<(), PlanError> {
        self.store
            .for_each_netlogon(&window(since, until, Vec::new()), |n| f(&n))?;
        Ok(())
    }

    fn newest(&self) -> Result<Option<Timestamp>, PlanError> {
        Ok(self.store.newest_fact(None)?)
    }

    fn devices(&self) -> Result<BTreeSet<String>, PlanError> {
        Ok(self.store.known_devices()?)
    }
}

/// An NTSTATUS class by its `ntstatus.toml` name.
pub fn status_class(name: &str) -> Option<StatusClass> {
    Some(match name.trim() {
        "password-mismatch" => StatusClass::PasswordMismatch,
        "account-missing" => StatusClass::AccountMissing,
        "connectivity" => StatusClass::Connectivity,
        "expected" => StatusClass::Expected,
        "blocked" => StatusClass::Blocked,
        "other" => StatusClass::Other,
        _ => return None,
    })
}

/// The class of a KZ-SC-001 finding, from its `kind` argument (the class of its most
/// severe status).
fn finding_class(kind: Option<&MessageArg>) -> StatusClass {
    match kind {
        Some(MessageArg::Text(k)) => match k.as_str() {
            "password" => StatusClass::PasswordMismatch,
            "account" => StatusClass::AccountMissing,
            "connectivity" => StatusClass::Connectivity,
            "expected" => StatusClass::Expected,
            "blocked" => StatusClass::Blocked,
            _ => StatusClass::Other,
        },
        _ => StatusClass::Other,
    }
}

/// `provider:id` → (lower-case provider, id).
pub fn event_key(s: &str) -> Option<(String, u32)> {
    let (p, id) = s.trim().rsplit_once(':')?;
    let p = p.trim();
    if p.is_empty() {
        return None;
    }
    Some((p.to_ascii_lowercase(), id.trim().parse().ok()?))
}

/// The device that changed its own machine password, if `ev` says so (4742 by the
/// account itself, or the client's NETLOGON 5823): what kizuna's secure-channel rules
/// count as the device's own rotation.
fn self_change(ev: &EventRecord, k: &Knowledge) -> Option<String> {
    let entry = k.watched.lookup(&ev.provider, ev.event_id)?;
    kizuna_rules::is_own_rotation(ev, entry.signal)
        .then(|| ev.subject.as_ref().map(|s| s.key().to_string()))
        .flatten()
}

/// What the evidence shows for `gate`.
pub fn measure(
    gate: &Gate,
    params: &Params,
    k: &Knowledge,
    src: &dyn GateEvidence,
) -> Result<Measurements, PlanError> {
    let classes: Vec<StatusClass> = params
        .failure_classes
        .iter()
        .filter_map(|c| status_class(c))
        .collect();
    let events: Vec<(String, u32)> = params
        .failure_events
        .iter()
        .filter_map(|e| event_key(e))
        .collect();
    let now = gate.now;
    let newest_evidence = src.newest()?;

    // The rules of `kizuna scan` over the window.
    let analysis = src.analyze(gate.failures_since, now)?;
    // Whether the scope names devices the evidence knows at all (a quiet device is still
    // a device of the scope).
    let devices_in_scope = src
        .devices()?
        .iter()
        .filter(|d| gate.scope.matches(d))
        .count() as u64;
    let sc_failure = kizuna_rules::SECURE_CHANNEL_RULES[0];
    let failing: BTreeSet<String> = analysis
        .findings
        .iter()
        .filter(|f| f.rule == sc_failure)
        .filter(|f| classes.contains(&finding_class(f.args.get("kind"))))
        .flat_map(|f| f.subjects.iter())
        .filter(|d| gate.scope.matches(d))
        .cloned()
        .collect();

    // Failure events with a counted status about devices of the scope.
    let mut ids: Vec<u32> = events.iter().map(|(_, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut failure_events = 0u64;
    src.events(gate.failures_since, now, &ids, &mut |e| {
        let provider = e.provider.to_ascii_lowercase();
        if !events
            .iter()
            .any(|(p, id)| *p == provider && *id == e.event_id)
        {
            return;
        }
        let class = match e.status {
            Some(s) => k.status_class(s),
            None => match k.watched.lookup(&e.provider, e.event_id).map(|w| w.signal) {
                Some(Signal::AccountMissing) => k.status_class(NtStatus(0xC000_018B)),
                _ => StatusClass::Other,
            },
        };
        if classes.contains(&class)
            && e.subject
                .as_ref()
                .is_some_and(|s| gate.scope.matches(s.key()))
        {
            failure_events += 1;
        }
    })?;

    // Devices of the scope that changed their own password since the phase began.
    let mut rotated: BTreeSet<String> = BTreeSet::new();
    if gate.min_rotations.is_some() {
        let mut change_ids: Vec<u32> = k
            .watched
            .pairs()
            .into_iter()
            .filter(|(p, id)| {
                k.watched.lookup(p, *id).is_some_and(|w| {
                    matches!(w.signal, Signal::AccountChanged | Signal::PasswordChanged)
                })
            })
            .map(|(_, id)| id)
            .collect();
        change_ids.sort_unstable();
        change_ids.dedup();
        src.events(gate.phase_started, now, &change_ids, &mut |e| {
            if let Some(d) = self_change(e, k)
                && gate.scope.matches(&d)
            {
                rotated.insert(d);
            }
        })?;
        src.netlogon(gate.phase_started, now, &mut |n| {
            if n.kind == NetlogonKind::PasswordChangeSucceeded
                && let Some(d) = &n.device
                && gate.scope.matches(d.key())
            {
                rotated.insert(d.key().to_string());
            }
        })?;
    }

    Ok(Measurements {
        newest_evidence,
        devices_in_scope,
        failing_devices: failing.into_iter().collect(),
        failure_events,
        rotated_devices: rotated.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MinTime, Scope};
    use chrono::Duration;
    use kizuna_core::DeviceName;
    use kizuna_core::SourceRef;
    use kizuna_rules::Analyzer;

    fn t(day: i64, hour: i64) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::days(day)
            + Duration::hours(hour)
    }

    fn ev(
        provider: &str,
        id: u32,
        time: Timestamp,
        about: &str,
        status: Option<u32>,
    ) -> EventRecord {
        EventRecord {
            provider: provider.into(),
            event_id: id,
            qualifiers: Some(0),
            time,
            record_id: Some(1),
            channel: Some("System".into()),
            computer: Some("DC01.corp.example".into()),
            data: vec![about.into()],
            named: Default::default(),
            binary: None,
            status: status.map(NtStatus),
            subject: DeviceName::parse(about),
            source: SourceRef::default(),
        }
    }

    fn change(time: Timestamp, target: &str, by: &str) -> EventRecord {
        let mut e = ev(
            "Microsoft-Windows-Security-Auditing",
            4742,
            time,
            target,
            None,
        );
        e.named
            .insert("TargetUserName".into(), format!("{target}$"));
        e.named.insert("SubjectUserName".into(), by.into());
        e.named
            .insert("PasswordLastSet".into(), "3/1/2026 1:00:00 AM".into());
        e
    }

    /// Facts in memory, analyzed by kizuna-rules like a scan.
    struct Mem(Vec<EventRecord>, Knowledge);

    impl GateEvidence for Mem {
        fn analyze(&self, since: Timestamp, until: Timestamp) -> Result<Analysis, PlanError> {
            let mut a = Analyzer::new(&self.1);
            for e in self.0.iter().filter(|e| e.time >= since && e.time < until) {
                a.add_event(e);
            }
            Ok(a.finish())
        }
        fn events(
            &self,
            since: Timestamp,
            until: Timestamp,
            ids: &[u32],
            f: &mut dyn FnMut(&EventRecord),
        ) -> Result<(), PlanError> {
            for e in self
                .0
                .iter()
                .filter(|e| e.time >= since && e.time < until && ids.contains(&e.event_id))
            {
                f(e);
            }
            Ok(())
        }
        fn netlogon(
            &self,
            _: Timestamp,
            _: Timestamp,
            _: &mut dyn FnMut(&NetlogonEntry),
        ) -> Result<(), PlanError> {
            Ok(())
        }
        fn newest(&self) -> Result<Option<Timestamp>, PlanError> {
            Ok(self.0.iter().map(|e| e.time).max())
        }
        fn devices(&self) -> Result<BTreeSet<String>, PlanError> {
            Ok(self
                .0
                .iter()
                .filter_map(|e| e.subject.as_ref().map(|s| s.key().to_string()))
                .collect())
        }
    }

    const DENIED: Option<u32> = Some(0xC000_0022);
    const NO_DC: Option<u32> = Some(0xC000_005E);

    #[test]
    fn counts_trust_failures_of_the_scope_in_the_window() {
        let k = Knowledge::builtin();
        let facts = vec![
            // Before the window: not new.
            ev("NETLOGON", 5722, t(0, 9), "PC-P01", DENIED),
            // In the window, in scope: a trust failure (DC 5722 and the client's 3210).
            ev("NETLOGON", 5722, t(8, 9), "PC-P02", DENIED),
            ev("NETLOGON", 3210, t(8, 9), "PC-P02", DENIED),
            // In scope but a laptop away from the network: not counted.
            ev("NETLOGON", 5719, t(9, 9), "PC-P03", NO_DC),
            // Out of scope.
            ev("NETLOGON", 5805, t(9, 10), "PC-00001", DENIED),
            // Rotations: PC-P04 by itself; PC-P05 reset by an administrator (a repair).
            change(t(7, 1), "PC-P04", "PC-P04$"),
            change(t(7, 2), "PC-P05", "helpdesk"),
        ];
        let src = Mem(facts, k.clone());
        let now = t(10, 0);
        let gate = Gate {
            phase: "pilot".into(),
            scope: Scope::parse("PC-P*").unwrap(),
            now,
            phase_started: t(5, 0),
            min_time: MinTime::InPhase { days: 7 },
            failures_since: now - Duration::days(7),
            max_failures_per_day: 1.0,
            min_rotations: Some(1),
            fresh_days: 2,
        };
        let params = Params::from_thresholds(&k.thresholds);
        let m = measure(&gate, &params, &k, &src).unwrap();
        assert_eq!(m.failing_devices, ["PC-P02"]);
        assert_eq!(m.failure_events, 2);
        assert_eq!(m.rotated_devices, ["PC-P04"]);
        assert_eq!(m.newest_evidence, Some(t(9, 10)));
        assert_eq!(m.devices_in_scope, 5, "PC-P01..P05, at any time");
        // Counting connectivity too (a knob of thresholds.toml) adds the laptop.
        let mut wide = params.clone();
        wide.failure_classes.push("connectivity".into());
        wide.failure_events.push("NETLOGON:5719".into());
        let m = measure(&gate, &wide, &k, &src).unwrap();
        assert_eq!(m.failing_devices, ["PC-P02", "PC-P03"]);
        assert_eq!(m.failure_events, 3);
    }

    #[test]
    fn event_keys_and_classes_parse() {
        assert_eq!(event_key("NETLOGON:5722"), Some(("netlogon".into(), 5722)));
        assert_eq!(
            event_key(" LsaSrv : 40960 "),
            Some(("lsasrv".into(), 40960))
        );
        assert_eq!(event_key("5722"), None);
        assert_eq!(event_key(":5722"), None);
        assert_eq!(
            status_class("account-missing"),
            Some(StatusClass::AccountMissing)
        );
        assert_eq!(status_class("password"), None);
    }
}
