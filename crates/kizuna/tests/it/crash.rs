//! A scan killed with SIGKILL in the middle of ingesting, again and again, then run to
//! the end, leaves the same database an uninterrupted scan makes: no duplicate facts,
//! nothing missing, the same findings. (The store writes each input's facts and marks it
//! complete in one transaction; incomplete inputs are purged and read again.)

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{contents, json, kizuna};
use rusqlite::{Connection, OpenFlags};

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Complete inputs, stored events, and events stored for inputs not yet complete, so far
/// (zeros while the database is not yet made).
fn progress(db: &Path) -> (i64, i64, i64) {
    let Ok(c) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return (0, 0, 0);
    };
    let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(0);
    (
        count("SELECT COUNT(*) FROM inputs WHERE complete = 1"),
        count("SELECT COUNT(*) FROM events"),
        count(
            "SELECT COUNT(*) FROM events e JOIN inputs i ON i.id = e.input_id
             WHERE i.complete = 0",
        ),
    )
}

#[test]
fn a_scan_killed_mid_ingest_then_rerun_matches_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // About a thousand inputs: a scan takes long enough to be killed at several points.
    let o = kizuna(
        d,
        &[
            "lab",
            "generate",
            "--out",
            "lab",
            "--seed",
            "5",
            "--devices",
            "300",
            "--days",
            "30",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // Two big event exports read side by side: facts of one are committed with the other's
    // completion while it is still half-read, the state a kill must not corrupt.
    let bulk = d.join("lab/evidence/zz-bulk");
    std::fs::create_dir_all(&bulk).unwrap();
    for (name, count) in [("a", 20_000u64), ("b", 60_000)] {
        let mut text = String::new();
        for i in 0..count {
            text.push_str(&format!(
                "{{\"Id\": 5719, \"ProviderName\": \"NETLOGON\", \"LogName\": \"System\", \"MachineName\": \"PC{:03}.corp.example\", \"RecordId\": {i}, \"TimeCreated\": \"/Date({})/\", \"Properties\": [{{\"Value\": \"CORP\"}}, {{\"Value\": \"%%1311\"}}]}}\n",
                i % 500,
                1_790_000_000_000u64 + i * 1000
            ));
        }
        std::fs::write(bulk.join(format!("{name}.json")), text).unwrap();
    }
    let scan = |db: &str| {
        vec![
            "scan".to_string(),
            "lab/evidence".into(),
            "--db".into(),
            db.into(),
            "--format".into(),
            "json".into(),
            "--threads".into(),
            "2".into(),
        ]
    };

    let o = kizuna(d, &args(&scan("ref.db")));
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let reference = json(&o);
    let want = contents(&d.join("ref.db"));
    let total = want.inputs.len() as i64;
    assert!(total > 500, "{total} inputs");
    assert_eq!(want.incomplete, 0);

    // Kill after a quarter and half of the inputs, then when a half-read input's facts are
    // committed (the two big exports sort last).
    let db = d.join("crash.db");
    let mut kills = 0;
    let mut half_read_killed = 0;
    for (round, after) in [Some(total / 4), Some(total / 2), None]
        .into_iter()
        .enumerate()
    {
        let before = progress(&db);
        let mut child = Command::new(env!("CARGO_BIN_EXE_kizuna"))
            .args(args(&scan("crash.db")))
            .current_dir(d)
            .env("LANG", "en_US.UTF-8")
            .env("KIZUNA_NOW", "2026-11-21T00:00:00Z")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let killed = loop {
            let (complete, events, half_read) = progress(&db);
            // Mid-ingest: facts of this run are being written, and not everything is in.
            let now = match after {
                None => half_read > 0,
                Some(after) => complete >= after.max(before.0) && events > before.1,
            };
            if now && complete < total {
                child.kill().unwrap(); // SIGKILL
                half_read_killed += i32::from(half_read > 0);
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "round {round}"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        let status = child.wait().unwrap();
        eprintln!(
            "round {round}: killed {killed} at {:?} of {total}",
            progress(&db)
        );
        if killed {
            kills += 1;
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9), "round {round}: {status:?}");
            // What a killed scan leaves is consistent: complete inputs hold exactly their
            // facts (compared with the reference), the rest is marked incomplete.
            let left = contents(&db);
            for (fp, report) in &left.inputs {
                assert_eq!(want.inputs.get(fp), Some(report), "round {round}: {fp}");
            }
            assert!(left.inputs.len() < want.inputs.len(), "round {round}");
        }
    }
    eprintln!(
        "{total} inputs, {} events; killed {kills} times, {half_read_killed} with half-read facts stored",
        want.rows["events"].len()
    );
    assert!(kills >= 2, "the scan was killed mid-ingest {kills} times");

    let o = kizuna(d, &args(&scan("crash.db")));
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let after = json(&o);
    let got = contents(&db);
    assert_eq!(got.incomplete, 0, "nothing half-read is left");
    assert_eq!(
        got.inputs, want.inputs,
        "the same inputs, with the same reports"
    );
    for table in ["events", "netlogon", "identity"] {
        assert_eq!(
            got.rows[table].len(),
            want.rows[table].len(),
            "{table}: no duplicates, nothing missing"
        );
        assert_eq!(got.rows[table], want.rows[table], "{table}");
    }
    assert_eq!(after["findings"], reference["findings"]);
    assert_eq!(after["devices"], reference["devices"]);
}
