//! The weekly review (`kizuna report`) end to end, on two weeks of evidence written with
//! a known story:
//! - PC-GONE fails twice in the first week only (resolved),
//! - PC-STAY fails three times, then twice (persisting),
//! - PC-NEW fails four times in the second week only (new),
//! - PC-A and PC-B share a machine SID; PC-C, cloned from them, joins in week two.
//!
//! Each week is scanned into one store (scans #1 and #2), then reviewed against the
//! previous window and against the recorded scan.

use crate::common;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use common::{json, kizuna_at, stdout};
use kizuna_lab::writers::{LabEvent, write_wevtutil_xml};

const WEEK1_END: &str = "2026-11-14T00:00:00Z";
const WEEK2_END: &str = "2026-11-21T00:00:00Z";
const SID: &str = "S-1-5-21-1111111111-2222222222-3333333333";

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

/// DC01 rejecting `member`'s secure channel (NETLOGON 5722, access denied).
fn rejected(member: &str, time: DateTime<Utc>, record_id: u64) -> LabEvent {
    LabEvent {
        provider: "NETLOGON",
        event_id: 5722,
        qualifiers: Some(49152),
        level: 2,
        time,
        record_id,
        channel: "System",
        computer: "DC01.corp.example".to_string(),
        data: vec![member.to_string(), format!("{member}$"), "%%5".to_string()],
        named: Vec::new(),
        status: Some(0xC000_0022),
    }
}

fn inventory(members: &[&str]) -> String {
    let mut s = String::from(
        "\u{feff}\"ComputerName\",\"DNSHostName\",\"OperatingSystem\",\"OSVersion\",\"Role\",\"Domain\",\"MachineSid\"\r\n",
    );
    for m in members {
        s.push_str(&format!(
            "\"{m}\",\"{m}.corp.example\",\"Windows 11 Enterprise\",\"10.0.26100.6584\",\"Workstation\",\"corp.example\",\"{SID}\"\r\n"
        ));
    }
    s
}

fn week(dir: &Path, name: &str, events: &[LabEvent], members: &[&str]) {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let mut xml = Vec::new();
    write_wevtutil_xml(&mut xml, events).unwrap();
    std::fs::write(folder.join("DC01-System.xml"), xml).unwrap();
    std::fs::write(folder.join("inventory.csv"), inventory(members)).unwrap();
}

/// Both weeks' evidence, each scanned into `k.db` at the end of its week.
fn two_weeks(dir: &Path) {
    week(
        dir,
        "week1",
        &[
            rejected("PC-GONE", at(8, 9), 1),
            rejected("PC-GONE", at(9, 9), 2),
            rejected("PC-STAY", at(10, 10), 3),
            rejected("PC-STAY", at(10, 14), 4),
            rejected("PC-STAY", at(11, 10), 5),
        ],
        &["PC-A", "PC-B"],
    );
    week(
        dir,
        "week2",
        &[
            rejected("PC-STAY", at(15, 10), 6),
            rejected("PC-STAY", at(16, 10), 7),
            rejected("PC-NEW", at(17, 8), 8),
            rejected("PC-NEW", at(17, 12), 9),
            rejected("PC-NEW", at(18, 8), 10),
            rejected("PC-NEW", at(19, 8), 11),
        ],
        &["PC-A", "PC-B", "PC-C"],
    );
    for (folder, now) in [("week1", WEEK1_END), ("week2", WEEK2_END)] {
        let o = kizuna_at(
            dir,
            now,
            &["scan", folder, "--db", "k.db", "--format", "json"],
        );
        assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    }
}

/// (change, rule, subjects, joined, left) of each reviewed finding.
fn changes(v: &serde_json::Value) -> Vec<(String, String, String, String, String)> {
    let list = |f: &serde_json::Value, k: &str| {
        f[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    };
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["change"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                list(f, "subjects"),
                list(f, "subjects_joined"),
                list(f, "subjects_left"),
            )
        })
        .collect()
}

fn row(c: &str, r: &str, s: &str, j: &str, l: &str) -> (String, String, String, String, String) {
    (c.into(), r.into(), s.into(), j.into(), l.into())
}

#[test]
fn the_previous_window_is_the_default_baseline() {
    let dir = tempfile::tempdir().unwrap();
    two_weeks(dir.path());
    let o = kizuna_at(
        dir.path(),
        WEEK2_END,
        &["report", "--db", "k.db", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v = json(&o);
    assert_eq!(v["schema"], "kizuna.review/1");
    assert_eq!(v["baseline"]["kind"], "previous-window");
    assert_eq!(v["window"]["since"], "2026-11-14T00:00:00Z");
    assert_eq!(v["previous_window"]["since"], "2026-11-07T00:00:00Z");
    // Inventories carry no reading time, so the three clones count in both windows.
    assert_eq!(
        changes(&v),
        vec![
            row("new", "KZ-SC-001", "PC-NEW", "", ""),
            row("persisting", "KZ-SID-001", "PC-A PC-B PC-C", "", ""),
            row("persisting", "KZ-SC-001", "PC-STAY", "", ""),
            row("resolved", "KZ-SC-001", "PC-GONE", "", ""),
        ]
    );
    assert_eq!(
        v["counts"],
        serde_json::json!({"new": 1, "persisting": 2, "resolved": 1})
    );
    // Failures per device in each window, as written.
    let devices: Vec<(String, String, u64, u64)> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["change"].as_str().unwrap().to_string(),
                d["failures_before"].as_u64().unwrap(),
                d["failures_now"].as_u64().unwrap(),
            )
        })
        .collect();
    let d = |n: &str, c: &str, b, x| (n.to_string(), c.to_string(), b, x);
    assert_eq!(
        devices,
        vec![
            d("PC-NEW", "new", 0, 4),
            d("PC-STAY", "persisting", 3, 2),
            d("PC-A", "persisting", 0, 0),
            d("PC-B", "persisting", 0, 0),
            d("PC-C", "persisting", 0, 0),
            d("PC-GONE", "resolved", 2, 0),
        ]
    );
    assert_eq!(v["devices"][0]["last_failure"], "2026-11-19");
    // Fourteen days, one per line, summing to what was written in each window.
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    let sum = |w: &str, k: &str| -> u64 {
        days.iter()
            .filter(|d| d["window"] == w)
            .map(|d| d[k].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        (sum("previous", "failures"), sum("this", "failures")),
        (5, 6)
    );
    assert_eq!((sum("previous", "events"), sum("this", "events")), (5, 6));
    assert_eq!(
        v["events"],
        serde_json::json!([{"provider": "NETLOGON", "event_id": 5722, "before": 5, "now": 6}])
    );
}

#[test]
fn a_recorded_scan_is_the_baseline_with_compare_to() {
    let dir = tempfile::tempdir().unwrap();
    two_weeks(dir.path());
    let v = json(&kizuna_at(
        dir.path(),
        WEEK2_END,
        &[
            "report",
            "--db",
            "k.db",
            "--compare-to",
            "1",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        v["baseline"],
        serde_json::json!({"kind": "scan", "scan_id": 1, "time": WEEK1_END})
    );
    // Scan #1 saw two clones: PC-C joined the group since.
    let expected = vec![
        row("new", "KZ-SC-001", "PC-NEW", "", ""),
        row("persisting", "KZ-SID-001", "PC-A PC-B PC-C", "PC-C", ""),
        row("persisting", "KZ-SC-001", "PC-STAY", "", ""),
        row("resolved", "KZ-SC-001", "PC-GONE", "", ""),
    ];
    assert_eq!(changes(&v), expected);

    // The same baseline from a store of its own (a --out folder of last week).
    std::fs::create_dir_all(dir.path().join("last-week")).unwrap();
    let o = kizuna_at(
        dir.path(),
        WEEK1_END,
        &["scan", "week1", "--out", "last-week", "--format", "json"],
    );
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let v = json(&kizuna_at(
        dir.path(),
        WEEK2_END,
        &[
            "report",
            "--db",
            "k.db",
            "--compare-to",
            "last-week",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["baseline"]["db"], "last-week");
    assert_eq!(changes(&v), expected);

    // Scan #2 is this week's own scan: nothing changed against it.
    let v = json(&kizuna_at(
        dir.path(),
        WEEK2_END,
        &[
            "report",
            "--db",
            "k.db",
            "--compare-to",
            "#2",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        v["counts"],
        serde_json::json!({"new": 0, "persisting": 3, "resolved": 0})
    );
}

#[test]
fn bad_baselines_and_stores_are_usage_errors_that_name_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    two_weeks(dir.path());
    let o = kizuna_at(
        dir.path(),
        WEEK2_END,
        &["report", "--db", "k.db", "--compare-to", "7"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no scan #7"), "{err}");
    assert!(
        err.contains("#1 (2026-11-14 00:00)") && err.contains("#2 (2026-11-21 00:00)"),
        "{err}"
    );

    let o = kizuna_at(dir.path(), WEEK2_END, &["report", "--db", "missing.db"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.db"));
    assert!(
        !dir.path().join("missing.db").exists(),
        "no empty store is created"
    );

    let o = kizuna_at(
        dir.path(),
        WEEK2_END,
        &["report", "--db", "k.db", "--since", "2026-11-30"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn review_text_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    two_weeks(dir.path());
    for lang in ["en", "ja"] {
        let o = kizuna_at(
            dir.path(),
            WEEK2_END,
            &[
                "report",
                "--db",
                "k.db",
                "--compare-to",
                "1",
                "--lang",
                lang,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        insta::assert_snapshot!(format!("review_text_{lang}"), stdout(&o));
    }
}

#[test]
fn review_files_are_self_contained_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    two_weeks(dir.path());
    let o = kizuna_at(
        dir.path(),
        WEEK2_END,
        &["report", "--db", "k.db", "--out", "review", "--lang", "ja"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let html = std::fs::read_to_string(dir.path().join("review/review.html")).unwrap();
    common::assert_self_contained(&html);
    for subject in ["PC-NEW", "PC-STAY", "PC-GONE", "PC-A", "PC-C"] {
        assert!(html.contains(&format!("<td>{subject}</td>")), "{subject}");
    }
    assert!(html.contains("<svg") && html.contains("新規"));
    // In a real browser: nothing requested, every device still listed after scripts ran.
    let browser = kizuna_testbed::browser::Chromium::find_or_install()
        .unwrap_or_else(|why| panic!("headless Chromium: {why}"));
    let loaded = browser
        .load(
            &dir.path().join("review/review.html"),
            &dir.path().join("chromium"),
        )
        .unwrap();
    assert!(loaded.requests.is_empty(), "{:?}", loaded.requests);
    let table = &loaded.dom[loaded.dom.find("id=\"review-devices-table\"").unwrap()..];
    for subject in ["PC-NEW", "PC-STAY", "PC-GONE", "PC-A", "PC-B", "PC-C"] {
        assert!(table.contains(&format!("<td>{subject}</td>")), "{subject}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("review/review.json")).unwrap())
            .unwrap();
    assert_eq!(json["lang"], "ja");
    assert_eq!(json["counts"]["new"], 1);

    let csv = std::fs::read(dir.path().join("review/review-devices.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let headers = r.headers().unwrap().clone();
    assert_eq!(&headers[0], "change", "the reader strips the BOM");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(
        (&rows[0][0], &rows[0][1], &rows[0][7]),
        ("new", "PC-NEW", "4")
    );
}
