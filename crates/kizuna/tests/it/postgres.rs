//! The same commands on a PostgreSQL store give what they give on an SQLite file: a lab
//! domain scanned, scanned again, reviewed and planned through `--db postgres://…` on a
//! real PostgreSQL server (`kizuna_testbed::postgres`, started by the test), byte for byte
//! against `--db FILE`. The server's password is in the address and must never be printed.

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{kizuna_at, stdout};
use kizuna_testbed::postgres::PgServer;

/// The lab's last day (the demo judges the small lab then too).
const NOW: &str = "2026-03-06T00:00:00Z";

fn run(dir: &Path, secret: &str, args: &[&str]) -> Output {
    let o = kizuna_at(dir, NOW, args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "kizuna {:?} failed: {stderr}",
        args.first()
    );
    assert!(
        !stdout(&o).contains(secret) && !stderr.contains(secret),
        "the database password was printed by kizuna {:?}",
        args.first()
    );
    o
}

/// A JSON document without the keys that name the store (its path or address).
fn without_store(o: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    if let Some(m) = v.as_object_mut() {
        m.remove("db");
    }
    v
}

#[test]
fn a_postgres_store_answers_as_an_sqlite_store_does() {
    let server = PgServer::shared().unwrap_or_else(|e| panic!("PostgreSQL testbed: {e}"));
    let db = server.create_database().unwrap();
    let secret = db.url.split(':').nth(2).unwrap().split('@').next().unwrap();
    assert!(secret.len() >= 16, "the test server has a real password");

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(
        d,
        secret,
        &[
            "lab",
            "generate",
            "--scenario",
            "small",
            "--seed",
            "5",
            "--out",
            "lab",
        ],
    );
    let pg = db.url.as_str();
    let scan = |store: &str| {
        run(
            d,
            secret,
            &[
                "scan",
                "lab/evidence",
                "--db",
                store,
                "--format",
                "json",
                "--expires",
                "2026-02-15",
            ],
        )
    };
    let on_file = scan("k.db");
    let on_pg = scan(pg);
    let findings =
        serde_json::from_slice::<serde_json::Value>(&on_file.stdout).unwrap()["findings"]
            .as_array()
            .map_or(0, Vec::len);
    assert!(
        findings >= 10,
        "the lab has findings to compare ({findings})"
    );
    assert!(
        on_file.stdout == on_pg.stdout,
        "scan --format json differs between SQLite and PostgreSQL"
    );

    // The same evidence again: nothing is read twice, the answer is the same.
    let again = scan(pg);
    assert!(
        again.stdout == on_pg.stdout,
        "a second scan into PostgreSQL changed the answer"
    );
    let text = run(d, secret, &["scan", "lab/evidence", "--db", pg]);
    let notes = String::from_utf8_lossy(&text.stderr);
    assert!(notes.contains("postgres://kizuna@127.0.0.1:"), "{notes}");

    // The weekly review reads the same history: three scans each (json, json, text).
    let file_again = scan("k.db");
    assert!(file_again.stdout == on_file.stdout);
    run(d, secret, &["scan", "lab/evidence", "--db", "k.db"]);
    let review = |store: &str| {
        without_store(&run(
            d,
            secret,
            &[
                "report",
                "--db",
                store,
                "--since",
                "14d",
                "--compare-to",
                "2",
                "--format",
                "json",
            ],
        ))
    };
    let (r_file, r_pg) = (review("k.db"), review(pg));
    assert_eq!(r_file, r_pg, "kizuna report differs");
    assert!(
        r_pg["baseline"].to_string().contains('2'),
        "{}",
        r_pg["baseline"]
    );

    // A plan on each store: the same gate from the same facts.
    for store in ["k.db", pg] {
        run(
            d,
            secret,
            &[
                "plan",
                "init",
                "--db",
                store,
                "--track",
                "workaround",
                "--expires",
                "2026-06-30",
                "--stage",
                "pilot=PC-00*",
                "--by",
                "alice",
                "--why",
                "CHG-7",
            ],
        );
    }
    let status = |store: &str| {
        without_store(&run(
            d,
            secret,
            &["plan", "status", "--db", store, "--format", "json"],
        ))
    };
    let (p_file, p_pg) = (status("k.db"), status(pg));
    assert_eq!(p_file["current"], "pilot", "{p_file:#}");
    assert_eq!(p_file, p_pg, "kizuna plan status differs");
}

#[test]
fn an_unreachable_postgres_store_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://kz:n0t-a-real-secret@127.0.0.1:{port}/kizuna");
    let o = kizuna_at(dir.path(), NOW, &["events", ".", "--db", &url]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("postgres://kz@127.0.0.1:{port}/kizuna")),
        "{err}"
    );
    assert!(!err.contains("n0t-a-real-secret"), "{err}");
}
