use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::TimeZone;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{
    DeviceName, DeviceRole, Fact, FactSource, IdentityRecord, IdentitySource, Ingest, InputKind,
    InputReport, Knowledge, OsBuild, SourceRef, Timestamp,
};
use kizuna_pipeline::{ScanSettings, Window, scan};
use kizuna_store::Store;

/// Evidence made by hand: each input a report and its facts, handed over as readers do.
struct Given(Vec<(InputReport, Vec<Fact>)>);

impl FactSource for Given {
    fn read_into<S: Ingest>(&self, sink: &mut S) -> Result<(), S::Error> {
        for (report, facts) in &self.0 {
            if let Some(mut earlier) = sink.known(&report.fingerprint)? {
                earlier.path = report.path.clone();
                sink.finish(earlier)?;
                continue;
            }
            sink.facts(&report.fingerprint, facts.clone())?;
            sink.finish(report.clone())?;
        }
        Ok(())
    }
}

/// An inventory naming `devices`, all with one machine SID and an enforcing build: a
/// duplicate-SID group the rules cannot miss.
fn inventory(path: &str, fingerprint: &str, devices: &[&str]) -> (InputReport, Vec<Fact>) {
    let facts: Vec<Fact> = devices
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Fact::Identity(IdentityRecord {
                device: DeviceName::parse(name),
                folder: None,
                machine_sid: "S-1-5-21-1111111111-2222222222-3333333333".parse().ok(),
                machine_guid: None,
                role: Some(DeviceRole::Workstation),
                domain: None,
                os_build: OsBuild::parse("10.0.26100.6584"),
                netlogon: BTreeMap::new(),
                hardening: Default::default(),
                observed: None,
                kind: IdentitySource::Inventory,
                source: SourceRef {
                    path: path.to_string(),
                    offset: None,
                    line: Some(i as u64 + 2),
                },
            })
        })
        .collect();
    let mut report = InputReport::new(
        path.to_string(),
        InputKind::InventoryCsv,
        fingerprint.to_string(),
        100,
    );
    report.records = facts.len() as u64;
    report.kept = report.records;
    (report, facts)
}

fn now() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

fn settings(directory: Option<DirectorySnapshot>) -> ScanSettings {
    ScanSettings {
        window: Window::default(),
        knowledge: Arc::new(Knowledge::builtin()),
        expires: None,
        directory: directory.map(|snap| {
            let report = InputReport::new(
                "ldap://dc.lab.test".into(),
                InputKind::Directory,
                String::new(),
                0,
            );
            (snap, report)
        }),
        sysvol: None,
        now: now(),
        record: true,
        actor: None,
    }
}

fn devices(outcome: &kizuna_pipeline::ScanOutcome) -> Vec<String> {
    let analysis = outcome.analysis.as_ref().expect("judged");
    analysis.devices.iter().map(|d| d.name.clone()).collect()
}

fn sid_findings(outcome: &kizuna_pipeline::ScanOutcome) -> usize {
    let analysis = outcome.analysis.as_ref().expect("judged");
    analysis
        .findings
        .iter()
        .filter(|f| f.rule.0.starts_with("KZ-SID"))
        .count()
}

#[test]
fn a_scan_that_read_nothing_judges_nothing_of_an_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    let first = scan(
        &mut store,
        &Given(vec![inventory(
            "old.csv",
            "fp-old",
            &["PC01", "PC02", "PC03"],
        )]),
        settings(None),
    )
    .unwrap();
    assert_eq!(
        devices(&first).len(),
        3,
        "the old facts are judged when read"
    );
    assert!(sid_findings(&first) > 0, "and share a SID");

    // Nothing read, but a directory read: only the directory is judged.
    let empty = scan(
        &mut store,
        &Given(Vec::new()),
        settings(Some(DirectorySnapshot::default())),
    )
    .unwrap();
    assert!(empty.facts.is_none(), "no stored facts are selected");
    assert!(devices(&empty).is_empty(), "{:?}", devices(&empty));
    assert_eq!(sid_findings(&empty), 0);
    let recorded = store.scan(Some(2)).unwrap().expect("recorded");
    assert!(recorded.sources.is_empty());
    assert!(
        recorded
            .findings
            .iter()
            .all(|f| !f.rule.starts_with("KZ-SID"))
    );

    // Nothing read and no directory: nothing is judged, nothing recorded.
    let nothing = scan(&mut store, &Given(Vec::new()), settings(None)).unwrap();
    assert!(nothing.analysis.is_none());
    assert!(nothing.recorded.is_none());
    assert_eq!(store.scans().unwrap().len(), 2);
}

#[test]
fn a_scan_judges_the_inputs_it_read_and_no_others() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    scan(
        &mut store,
        &Given(vec![inventory("a.csv", "fp-a", &["PC01", "PC02"])]),
        settings(None),
    )
    .unwrap();
    let second = scan(
        &mut store,
        &Given(vec![inventory("b.csv", "fp-b", &["PC07", "PC08"])]),
        settings(None),
    )
    .unwrap();
    let mut names = devices(&second);
    names.sort();
    assert_eq!(names, ["PC07", "PC08"]);
    assert_eq!(second.inputs.len(), 1);
    assert_eq!(second.inputs[0].path, "b.csv");
    let id = second.recorded.expect("asked to record").unwrap();
    let row = store.scan(Some(id)).unwrap().unwrap();
    assert_eq!(row.sources.len(), 1);
    assert_eq!(row.sources[0].fingerprint, "fp-b");

    // The same content again is known: judged again from the store, not read again.
    let again = scan(
        &mut store,
        &Given(vec![inventory("a-copy.csv", "fp-a", &["PC01", "PC02"])]),
        settings(None),
    )
    .unwrap();
    let mut names = devices(&again);
    names.sort();
    assert_eq!(names, ["PC01", "PC02"]);
}

/// A sink's error stops the reading and comes back as the use case's error.
#[test]
fn a_store_that_fails_stops_the_scan_with_its_error() {
    struct Refuses;
    impl Ingest for Refuses {
        type Error = &'static str;
        fn known(&mut self, _: &str) -> Result<Option<InputReport>, &'static str> {
            Ok(None)
        }
        fn facts(&mut self, _: &str, _: Vec<Fact>) -> Result<(), &'static str> {
            Err("disk full")
        }
        fn finish(&mut self, _: InputReport) -> Result<(), &'static str> {
            Ok(())
        }
    }
    let given = Given(vec![
        inventory("a.csv", "fp-a", &["PC01"]),
        inventory("b.csv", "fp-b", &["PC02"]),
    ]);
    assert_eq!(given.read_into(&mut Refuses), Err("disk full"));
    let mut all = kizuna_core::input::sinks::Collect::default();
    let Ok(()) = given.read_into(&mut all);
    assert_eq!(all.reports.len(), 2);
    assert_eq!(all.facts.len(), 2);
}
