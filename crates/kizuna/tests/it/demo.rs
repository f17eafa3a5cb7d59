//! `kizuna demo` and the lab ground truth; snapshots of every user-visible output.

use crate::common;

use std::collections::BTreeSet;

use common::{json, kizuna, stdout};

fn lab() -> (tempfile::TempDir, kizuna_lab::exports::GroundTruth) {
    let dir = tempfile::tempdir().unwrap();
    let truth = kizuna_lab::exports::write(&dir.path().join("evidence"), 1).unwrap();
    (dir, truth)
}

/// Scans the lab evidence with `args` after `scan evidence --year YEAR`.
fn scan_lab(args: &[&str]) -> std::process::Output {
    let (dir, truth) = lab();
    let year = truth.year.to_string();
    let mut all = vec!["scan", "evidence", "--year", &year];
    all.extend_from_slice(args);
    kizuna(dir.path(), &all)
}

#[test]
fn demo_runs_and_finds_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna(dir.path(), &["demo", "--out", "d", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a demo that shows its findings succeeds"
    );
    let v = json(&o);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("d/truth.json")).unwrap()).unwrap();
    assert_eq!(
        common::finding_keys(&v),
        common::truth_keys_with_expiry(&truth),
        "the demo scans as told the lab's workaround expiry"
    );
    let rules = common::rule_ids(&v);
    for rule in common::SMALL_LAB_RULES {
        assert!(rules.contains(rule), "the demo shows {rule}");
    }
    assert!(
        dir.path().join("d/kizuna.db").is_file(),
        "demo keeps its store in --out"
    );
    assert_eq!(
        v["devices"].as_array().unwrap().len() as u64,
        truth["devices"].as_u64().unwrap(),
        "every lab device is listed"
    );
}

#[test]
fn demo_text_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna(dir.path(), &["demo", "--out", "d", "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("demo_text_en", stdout(&o));
    let o = kizuna(dir.path(), &["demo", "--out", "d2", "--lang", "ja"]);
    insta::assert_snapshot!("demo_text_ja", stdout(&o));
}

#[test]
fn scan_text_en_snapshot() {
    let o = scan_lab(&["--lang", "en"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("scan_text_en", stdout(&o));
}

#[test]
fn scan_text_ja_snapshot() {
    let o = scan_lab(&["--lang", "ja"]);
    let out = stdout(&o);
    assert!(out.contains("セキュア チャネルの失敗: PC-A01"));
    insta::assert_snapshot!("scan_text_ja", out);
}

#[test]
fn scan_json_snapshot() {
    let o = scan_lab(&["--format", "json"]);
    let v = json(&o);
    assert_eq!(v["schema_version"], 1);
    insta::assert_snapshot!("scan_json", stdout(&o));
}

#[test]
fn events_outputs_snapshot() {
    let (dir, truth) = lab();
    let y = truth.year.to_string();
    for (format, name) in [
        ("table", "events_table"),
        ("csv", "events_csv"),
        ("jsonl", "events_jsonl"),
    ] {
        let o = kizuna(
            dir.path(),
            &[
                "events",
                "evidence",
                "--year",
                &y,
                "--id",
                "5722,5805,5723",
                "--format",
                format,
            ],
        );
        assert_eq!(o.status.code(), Some(0));
        insta::assert_snapshot!(name, stdout(&o));
    }
    let o = kizuna(
        dir.path(),
        &["devices", "evidence", "--year", &y, "--format", "csv"],
    );
    insta::assert_snapshot!("devices_csv", stdout(&o));
}

/// The article's "problem devices of the last 7 days": DC 5722 within a window.
#[test]
fn since_window_limits_events_and_findings() {
    let (dir, _) = lab();
    // KIZUNA_NOW is 2026-11-21 in the tests; the lab's 5722s are on 2026-09-21 and 2026-10-04.
    let o = kizuna(
        dir.path(),
        &[
            "events",
            "evidence",
            "--id",
            "5722",
            "--since",
            "2026-10-01",
            "--format",
            "jsonl",
        ],
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let subjects: BTreeSet<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["subject"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(subjects, BTreeSet::from(["PC-A01".to_string()]));
    let o = kizuna(
        dir.path(),
        &[
            "events", "evidence", "--id", "5722", "--since", "7d", "--format", "jsonl",
        ],
    );
    assert_eq!(stdout(&o), "", "nothing in the last 7 days");
    let o = kizuna(
        dir.path(),
        &[
            "scan",
            "evidence",
            "--since",
            "2026-10-01",
            "--until",
            "2026-10-05",
            "--format",
            "json",
        ],
    );
    let v = json(&o);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["KZ-SC-001"],
        "only the second episode is inside the window: no recurrence"
    );
}

/// The evidence of a duplicate SID is what gave each device that SID (its SAM or SECURITY
/// hive, its PsGetSid line, its inventory row), not every file that names the device: a
/// DC's Security.evtx or a client's System.evtx says nothing about a machine SID.
#[test]
fn duplicate_sid_evidence_is_the_sids_own_sources() {
    let dir = tempfile::tempdir().unwrap();
    let v = common::demo_json(dir.path(), "out", "en");
    let sid_findings: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            ["KZ-SID-001", "KZ-SID-002", "KZ-SID-003"].contains(&f["rule"].as_str().unwrap())
        })
        .collect();
    assert!(sid_findings.len() >= 3, "{sid_findings:?}");
    let mut kinds = BTreeSet::new();
    let mut corroborated = 0;
    for f in sid_findings {
        let title = f["title"].as_str().unwrap();
        let sid = &title[title.find("S-1-5-21-").unwrap()..];
        let evidence = f["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{f}");
        let certain = f["detail"].as_str().unwrap().contains("certainly clones");
        corroborated += usize::from(certain);
        for e in evidence {
            let path = e["path"].as_str().unwrap();
            let file = path.rsplit('/').next().unwrap();
            let label = e["label"].as_str().unwrap();
            if file == "SOFTWARE" {
                // a shared MachineGuid, only where the finding says the clones are certain
                assert!(certain && label.contains(" MachineGuid "), "{e} in {f}");
                continue;
            }
            assert!(
                ["SAM", "SECURITY", "psgetsid.txt", "inventory.csv"].contains(&file),
                "{}: {path} is not a source of a machine SID",
                f["rule"]
            );
            assert!(label.ends_with(sid), "{e}");
            kinds.insert(file);
        }
    }
    // the demo's clone pair was copied with its MachineGuid (its SOFTWARE hives say so)
    assert_eq!(corroborated, 1);
    // hives, PsGetSid and the inventory all speak in the demo
    assert_eq!(kinds.len(), 4, "{kinds:?}");
}
