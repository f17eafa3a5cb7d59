//! KZ-POL-004 end to end: SYSTEM hives written (with known last-written times) before and
//! after a workaround expiry, scanned with the expiry from `--expires` or from the plan a
//! `kizuna plan init` stored; the newest hive of a device is the one that counts.

use crate::common;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use common::{json, kizuna_at, stdout};
use kizuna_lab::hive::{MachineHives, MachineRole, write_machine_hives};

const EXPIRES: &str = "2027-01-31";
const AFTER: &str = "2027-02-15T09:00:00Z";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 18, 30, 0).unwrap()
}

/// One machine's hives in `dir/folder`.
fn hives(
    dir: &Path,
    folder: &str,
    role: MachineRole,
    refuse: Option<u32>,
    max_age: Option<u32>,
    written: DateTime<Utc>,
) {
    let mut m = MachineHives::sample(role);
    m.refuse_password_change = refuse;
    m.maximum_password_age = max_age;
    m.last_written = written;
    write_machine_hives(&dir.join("hives").join(folder), &m).unwrap();
}

/// DC-LAB01 still refuses after the expiry; PC-LAB01 held MaximumPasswordAge=0 when last
/// read, before it; SRV-LAB01 has the defaults back.
fn fleet(dir: &Path) {
    hives(
        dir,
        "DC-LAB01",
        MachineRole::DomainController,
        Some(1),
        None,
        at(2027, 2, 10),
    );
    hives(
        dir,
        "PC-LAB01",
        MachineRole::Workstation,
        Some(0),
        Some(0),
        at(2027, 1, 20),
    );
    hives(
        dir,
        "SRV-LAB01",
        MachineRole::Server,
        Some(0),
        Some(30),
        at(2027, 2, 10),
    );
}

/// (severity, subjects, detail) of the KZ-POL-004 findings.
fn past_expiry(v: &serde_json::Value) -> Vec<(String, Vec<String>, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "KZ-POL-004")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                common::subjects(f),
                f["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn scan(dir: &Path, now: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["scan", "hives", "--format", "json"];
    args.extend_from_slice(extra);
    let o = kizuna_at(dir, now, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    json(&o)
}

#[test]
fn hives_after_the_expiry_are_high_older_ones_low_and_rollbacks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path());
    let v = scan(dir.path(), AFTER, &["--expires", EXPIRES]);
    let found = past_expiry(&v);
    let who: Vec<(&str, Vec<String>)> = found
        .iter()
        .map(|(s, subjects, _)| (s.as_str(), subjects.clone()))
        .collect();
    assert_eq!(
        who,
        [
            ("high", vec!["DC-LAB01".to_string()]),
            ("low", vec!["PC-LAB01".to_string()]),
        ]
    );
    assert!(
        found[0]
            .2
            .contains("(the expiry given with --expires); that was 15 days ago")
            && found[0].2.contains("DC-LAB01 RefusePasswordChange=1"),
        "{}",
        found[0].2
    );
    assert!(found[1].2.contains("PC-LAB01 MaximumPasswordAge=0"));

    // Not until the day after the expiry; and not without an expiry at all.
    let v = scan(dir.path(), "2027-01-31T23:00:00Z", &["--expires", EXPIRES]);
    assert!(past_expiry(&v).is_empty());
    let v = scan(dir.path(), AFTER, &[]);
    assert!(past_expiry(&v).is_empty(), "no expiry recorded anywhere");

    // PC-LAB01 collected again after the rollback: its newest hive counts.
    hives(
        dir.path(),
        "PC-LAB01-again",
        MachineRole::Workstation,
        Some(0),
        Some(30),
        at(2027, 2, 12),
    );
    let v = scan(dir.path(), AFTER, &["--expires", EXPIRES]);
    let found = past_expiry(&v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, ["DC-LAB01"]);
}

#[test]
fn the_plan_in_the_store_supplies_the_expiry() {
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path());
    let o = kizuna_at(
        dir.path(),
        "2026-12-01T09:00:00Z",
        &[
            "plan",
            "init",
            "--db",
            "k.db",
            "--track",
            "workaround",
            "--expires",
            EXPIRES,
            "--stage",
            "pilot=PC-*",
            "--by",
            "alice",
            "--why",
            "CHG-1234",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = scan(dir.path(), AFTER, &["--db", "k.db"]);
    let found = past_expiry(&v);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0]
            .2
            .contains("(the expiry of kizuna plan #1 (workaround)); that was 15 days ago"),
        "{}",
        found[0].2
    );
    // An expiry given on the command line wins over the stored one.
    let v = scan(
        dir.path(),
        AFTER,
        &["--db", "k.db", "--expires", "2027-03-01"],
    );
    assert!(past_expiry(&v).is_empty());
}

#[test]
fn past_expiry_text_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path());
    for (lang, name) in [("en", "expiry_text_en"), ("ja", "expiry_text_ja")] {
        let o = kizuna_at(
            dir.path(),
            AFTER,
            &["scan", "hives", "--expires", EXPIRES, "--lang", lang],
        );
        assert_eq!(o.status.code(), Some(1), "a high finding fails the scan");
        insta::assert_snapshot!(name, stdout(&o));
    }
}

#[test]
fn a_bad_expiry_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    fleet(dir.path());
    let o = kizuna_at(
        dir.path(),
        AFTER,
        &["scan", "hives", "--expires", "31/01/2027"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot read \"31/01/2027\" as a date: use YYYY-MM-DD"),
        "{err}"
    );
}
