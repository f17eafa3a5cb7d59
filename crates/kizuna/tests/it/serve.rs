//! `kizuna serve` as a user runs it: the binary on a free loopback port, a lab bundle
//! posted by a collector token, and the findings compared with what `kizuna scan` prints
//! for the same bundle, on an SQLite file and on PostgreSQL. Tokens are made and revoked
//! with `kizuna serve token`.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{kizuna_at, stdout};

const NOW: &str = "2026-03-06T00:00:00Z";
const ADMIN: &str = "kz_cli_test_admin_token_0123456789abcdef0123";

/// A `kizuna serve` process, killed (by its own pid) when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, db: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kizuna"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--lang",
            "en",
        ])
        .arg("--scratch")
        .arg(dir.join("scratch"))
        .current_dir(dir)
        .env("KIZUNA_NOW", NOW)
        .env("KIZUNA_ADMIN_TOKEN", ADMIN)
        .env_remove("KIZUNA_KNOWLEDGE_DIR")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("kizuna serve starts");
    let base = common::serving_base(&mut child, |line| {
        assert!(!line.contains(ADMIN), "the admin token was printed: {line}")
    });
    Served { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn get(base: &str, path: &str, token: &str) -> (u16, String) {
    let mut r = agent()
        .get(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    (
        r.status().as_u16(),
        r.body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap(),
    )
}

fn upload(base: &str, token: &str, name: &str, body: &[u8]) -> (u16, String) {
    let mut r = agent()
        .post(format!("{base}/api/v1/evidence?name={name}"))
        .header("Authorization", format!("Bearer {token}"))
        .send(body)
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn kz(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = kizuna_at(dir, NOW, args);
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "kizuna {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn an_uploaded_bundle_gets_the_findings_of_kizuna_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    kz(d, &["lab", "generate", "--seed", "5", "--out", "lab", "-q"]);
    let bundle = d.join("bundle.zip");
    kizuna_lab::bundle::zip_folder(&d.join("lab"), "evidence", &bundle).unwrap();
    let scanned: serde_json::Value =
        serde_json::from_slice(&kz(d, &["scan", "bundle.zip", "--format", "json"]).stdout).unwrap();
    let want = &scanned["findings"];
    assert!(want.as_array().unwrap().len() >= 10);
    // The files `kizuna scan --out` writes, which the server's reports must equal.
    kz(d, &["scan", "bundle.zip", "--out", "out", "-q"]);
    let files = ["findings.csv", "devices.csv", "findings.jsonl"];
    let bytes = std::fs::read(&bundle).unwrap();

    let pg = kizuna_testbed::postgres::new_database();
    for db in ["k.db", pg.url.as_str()] {
        // A collector token, made at the console; its secret is the only stdout line.
        let made = kz(
            d,
            &[
                "serve",
                "token",
                "create",
                "--db",
                db,
                "--name",
                "gpo startup script",
                "--scope",
                "ingest",
            ],
        );
        let collector = stdout(&made).trim().to_string();
        assert!(
            collector.starts_with("kz_") && collector.len() == 67,
            "{collector}"
        );
        let listed = stdout(&kz(d, &["serve", "token", "list", "--db", db]));
        assert!(
            listed.contains("gpo startup script") && !listed.contains(&collector),
            "{listed}"
        );

        let server = serve(d, db);
        let (status, body) = upload(&server.base, &collector, "bundle.zip", &bytes);
        assert_eq!(status, 200, "{db}: {body}");
        assert_eq!(
            get(&server.base, "/api/v1/findings", &collector).0,
            403,
            "ingest cannot read"
        );

        let (status, body) = get(&server.base, "/api/v1/findings?lang=en", ADMIN);
        assert_eq!(status, 200, "{body}");
        let got: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            &got["findings"], want,
            "{db}: the server's findings are the scan's"
        );

        // The upload is a recorded scan whose files are those of `kizuna scan --out`; a
        // `kizuna scan --db` into the same store is listed beside it, with its files.
        kz(d, &["scan", "bundle.zip", "--db", db, "-q"]);
        let (_, body) = get(&server.base, "/api/v1/scans", ADMIN);
        let scans: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(scans["total"], 2, "{db}: {scans}");
        assert_eq!(scans["scans"][0]["actor"], serde_json::Value::Null);
        assert_eq!(scans["scans"][1]["actor"], "token:gpo startup script");
        for scan in scans["scans"].as_array().unwrap() {
            for f in files {
                let (status, body) = get(
                    &server.base,
                    &format!("/api/v1/scans/{}/{f}?lang=en", scan["id"]),
                    ADMIN,
                );
                assert_eq!(status, 200, "{db}: {body}");
                assert!(
                    body.as_bytes() == std::fs::read(d.join("out").join(f)).unwrap(),
                    "{db}: scan {}: {f} is not what kizuna scan --out wrote",
                    scan["id"]
                );
            }
        }

        // The weekly review is `kizuna report`'s over the same store, in the same words
        // (only the store's name differs); compared with a recorded scan as well.
        for (query, args) in [
            ("days=7", vec![]),
            ("days=14&compare_to=1", vec!["--compare-to", "1"]),
        ] {
            let days = if query.starts_with("days=7") {
                "7d"
            } else {
                "14d"
            };
            let mut cli_args = vec!["report", "--db", db, "--since", days, "--format", "json"];
            cli_args.extend(args);
            let mut cli: serde_json::Value =
                serde_json::from_slice(&kz(d, &cli_args).stdout).unwrap();
            let (status, body) = get(
                &server.base,
                &format!("/api/v1/review/review.json?{query}&lang=en"),
                ADMIN,
            );
            assert_eq!(status, 200, "{db}: {body}");
            let mut served: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                served["findings"].as_array().is_some_and(|f| !f.is_empty()),
                "{db}: {served}"
            );
            for v in [&mut cli, &mut served] {
                v.as_object_mut().unwrap().remove("db");
                v["baseline"].as_object_mut().unwrap().remove("db");
            }
            assert_eq!(served, cli, "{db}: {query}");
        }

        // Revoked at the console, refused by the running server.
        let id = listed
            .lines()
            .find(|l| l.contains("gpo startup script"))
            .and_then(|l| l.split('\t').next())
            .unwrap()
            .to_string();
        kz(d, &["serve", "token", "revoke", "--db", db, &id]);
        assert_eq!(
            upload(&server.base, &collector, "x.log", b"x").0,
            401,
            "{db}"
        );
        drop(server);
    }
}

#[test]
fn plain_http_off_loopback_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna_at(
        dir.path(),
        NOW,
        &["serve", "--listen", "0.0.0.0:0", "--db", "k.db"],
    );
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--tls-cert") && err.contains("--allow-plain-http"),
        "{err}"
    );
    let o = kizuna_at(dir.path(), NOW, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2), "no --db is a usage error");
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The identity.json Collect-KizunaEvidence.ps1 writes (Windows PowerShell's ConvertTo-Json
/// of a one-element array), from an inventory row of the lab.
fn identity_json(row: &std::collections::HashMap<String, String>) -> String {
    let version = row["OSVersion"].trim_start_matches("10.0.");
    let (build, ubr) = version.split_once('.').unwrap_or((version, ""));
    let value = serde_json::json!([{
        "ComputerName": row["ComputerName"],
        "Domain": row["Domain"],
        "Role": row["Role"],
        "MachineSid": row["MachineSid"],
        "CurrentBuild": build,
        "UBR": ubr.parse::<u32>().ok(),
        "DisplayVersion": "24H2",
        "ProductName": row["OperatingSystem"],
        "MachineGuid": "00000000-0000-0000-0000-000000000000",
        "RefusePasswordChange": null,
        "MaximumPasswordAge": null,
        "DisablePasswordChange": null,
        "ReadAt": "2026-03-05T22:00:00Z",
        "Collector": "kizuna-collect 0.1.0",
    }]);
    serde_json::to_string_pretty(&value)
        .unwrap()
        .replace('\n', "\r\n")
}

/// Findings as comparable keys: whole, but with the evidence as its sorted labels. Which of
/// two files with the same content names an evidence item depends on the order they were
/// read (issue 28, D4), and the scan names bundles by the folder it was given, the server
/// by upload name.
fn finding_texts(findings: &serde_json::Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            let mut labels: Vec<String> = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| format!("{} {}", e["time"], e["label"]))
                .collect();
            labels.sort();
            f["evidence"] = serde_json::json!(labels);
            f.to_string()
        })
        .collect()
}

/// Bundles made the way Collect-KizunaEvidence.ps1 makes them (one `DEVICE-YYYYMMDD.zip` per
/// computer: its events, netlogon.log, hives as with -IncludeHives, identity.json), sent the
/// way it sends them (the request its Invoke-RestMethod builds), give the server the
/// findings `kizuna scan` gives for the same bundles.
#[test]
fn collector_bundles_sent_like_the_script_give_the_findings_of_kizuna_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    kz(d, &["lab", "generate", "--seed", "5", "--out", "lab", "-q"]);
    let evidence = d.join("lab/evidence");
    let mut rows = std::collections::HashMap::new();
    let mut csv = csv::Reader::from_path(evidence.join("inventory.csv")).unwrap();
    let headers: Vec<String> = csv
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    for r in csv.records() {
        let row: std::collections::HashMap<String, String> = headers
            .iter()
            .cloned()
            .zip(r.unwrap().iter().map(str::to_string))
            .collect();
        rows.insert(row["ComputerName"].clone(), row);
    }

    let bundles = d.join("bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    let mut devices: Vec<_> = std::fs::read_dir(&evidence)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    devices.sort();
    assert!(devices.len() >= 20, "{devices:?}");
    let mut with_identity = 0;
    for (n, device) in devices.iter().enumerate() {
        let zip_path = bundles.join(format!("{device}-20260306.zip"));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        // The first bundle is written as .NET Framework before 4.6.1 wrote zips: with `\`.
        let sep = if n == 0 { "\\" } else { "/" };
        for rel in files_under(&evidence.join(device)) {
            let name = format!("{device}{sep}{}", rel.to_string_lossy().replace('/', sep));
            zip.start_file(name, opts).unwrap();
            let bytes = std::fs::read(evidence.join(device).join(&rel)).unwrap();
            std::io::Write::write_all(&mut zip, &bytes).unwrap();
        }
        if let Some(row) = rows.get(device) {
            zip.start_file(format!("{device}{sep}identity.json"), opts)
                .unwrap();
            std::io::Write::write_all(&mut zip, identity_json(row).as_bytes()).unwrap();
            with_identity += 1;
        }
        zip.finish().unwrap();
    }
    assert!(with_identity >= 10, "{with_identity} identity.json written");

    // One thread: the bundles are read in the order the server receives them. Of two files
    // with the same content (the lab's cloned hives) the first read names the evidence and
    // the other is not read again (issue 28, D4), so the order must be the same.
    let scanned: serde_json::Value = serde_json::from_slice(
        &kz(
            d,
            &["scan", "bundles", "--format", "json", "--threads", "1"],
        )
        .stdout,
    )
    .unwrap();
    let want = &scanned["findings"];
    assert!(want.as_array().unwrap().len() >= 10);
    // identity.json is read as an inventory, in the device named by its folder
    let inputs = scanned["inputs"].as_array().unwrap();
    let identity: Vec<_> = inputs
        .iter()
        .filter(|i| i["path"].as_str().unwrap().ends_with("identity.json"))
        .collect();
    assert_eq!(identity.len(), with_identity);
    for i in &identity {
        assert_eq!(i["kind"], "inventory-json", "{i}");
        assert_eq!(
            (i["records"].as_u64(), i["kept"].as_u64()),
            (Some(1), Some(1)),
            "{i}"
        );
    }

    let made = kz(
        d,
        &[
            "serve",
            "token",
            "create",
            "--db",
            "k.db",
            "--name",
            "collectors",
            "--scope",
            "ingest",
        ],
    );
    let collector = stdout(&made).trim().to_string();
    let server = serve(d, "k.db");
    for device in &devices {
        // What the script sends: POST {server}/api/v1/evidence?name={bundle file name},
        // Authorization: Bearer {token}, Content-Type: application/zip, the zip as the body.
        let name = format!("{device}-20260306.zip");
        let bytes = std::fs::read(bundles.join(&name)).unwrap();
        let mut r = agent()
            .post(format!("{}/api/v1/evidence?name={name}", server.base))
            .header("Authorization", format!("Bearer {collector}"))
            .header("Content-Type", "application/zip")
            .send(&bytes[..])
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(
            status,
            200,
            "{name}: {}",
            r.body_mut().read_to_string().unwrap()
        );
    }
    let (status, body) = get(&server.base, "/api/v1/findings?lang=en", ADMIN);
    assert_eq!(status, 200, "{body:.300}");
    let got: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (got, want) = (finding_texts(&got["findings"]), finding_texts(want));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g, w,
            "the server's findings from the collectors' bundles are the scan's"
        );
    }
}

#[test]
fn a_port_in_use_is_named_once_with_its_cause() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kizuna"))
        .args(["serve", "--listen", &addr, "--db", "k.db", "--lang", "en"])
        .current_dir(dir.path())
        .env("KIZUNA_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(&format!("cannot listen on {addr}: ")), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "the cause once: {err}");
}

/// What the store shows: the findings, and how many scans, upload audit rows and complete
/// inputs it holds.
fn served_state(base: &str, db: &Path) -> (String, i64, i64, i64) {
    let (status, findings) = get(base, "/api/v1/findings?lang=en", ADMIN);
    assert_eq!(status, 200, "{findings}");
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        findings,
        count("SELECT COUNT(*) FROM scans"),
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'upload'"),
        count("SELECT COUNT(*) FROM inputs WHERE complete = 1"),
    )
}

/// Where an upload stood: `receiving`, `staging`, `committing`, or `answered`.
fn upload_phase(scratch: &Path, wal: &Path, wal_at_staging: Option<u64>) -> &'static str {
    let staging = std::fs::read_dir(scratch)
        .map(|d| d.flatten().any(|e| e.path().join("staged.db").exists()))
        .unwrap_or(false);
    let wal_now = std::fs::metadata(wal).map_or(0, |m| m.len());
    match (staging, wal_at_staging) {
        (true, Some(w)) if wal_now > w => "committing",
        (true, _) => "staging",
        (false, Some(_)) => "answered",
        (false, None) => "receiving",
    }
}

#[test]
fn a_server_killed_mid_upload_keeps_all_of_it_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Before: the small lab; the upload killed: a lab of ~1,000 inputs.
    kz(
        d,
        &["lab", "generate", "--seed", "5", "--out", "small", "-q"],
    );
    kz(
        d,
        &[
            "lab",
            "generate",
            "--seed",
            "6",
            "--devices",
            "300",
            "--days",
            "30",
            "--out",
            "big",
            "-q",
        ],
    );
    kizuna_lab::bundle::zip_folder(&d.join("small"), "evidence", &d.join("small.zip")).unwrap();
    kizuna_lab::bundle::zip_folder(&d.join("big"), "evidence", &d.join("big.zip")).unwrap();
    let small = std::fs::read(d.join("small.zip")).unwrap();
    let big = std::fs::read(d.join("big.zip")).unwrap();

    // Reference: the state before the upload and after the whole of it.
    let (before, after) = {
        let server = serve(d, "ref.db");
        assert_eq!(upload(&server.base, ADMIN, "small.zip", &small).0, 200);
        let before = served_state(&server.base, &d.join("ref.db"));
        assert_eq!(upload(&server.base, ADMIN, "big.zip", &big).0, 200);
        (before, served_state(&server.base, &d.join("ref.db")))
    };
    assert_ne!(before.0, after.0, "the upload changes the findings");

    let scratch = d.join("scratch");
    let mut hit = std::collections::BTreeSet::new();
    // Kill while the body arrives, while it is read (early and late), and the moment its
    // commit begins to write.
    for (round, (phase, delay_ms)) in [
        ("receiving", 0u64),
        ("staging", 0),
        ("staging", 400),
        ("committing", 0),
    ]
    .into_iter()
    .enumerate()
    {
        let db = d.join(format!("crash{round}.db"));
        let wal = d.join(format!("crash{round}.db-wal"));
        let db_arg = db.to_string_lossy().into_owned();
        let mut server = serve(d, &db_arg);
        assert_eq!(upload(&server.base, ADMIN, "small.zip", &small).0, 200);
        let base = server.base.clone();
        let body = big.clone();
        let sending = std::thread::spawn(move || {
            agent()
                .post(format!("{base}/api/v1/evidence?name=big.zip"))
                .header("Authorization", format!("Bearer {ADMIN}"))
                .send(&body[..])
                .map(|r| r.status().as_u16())
        });
        let mut wal_at_staging = None;
        let seen = loop {
            let now = upload_phase(&scratch, &wal, wal_at_staging);
            if now == "staging" && wal_at_staging.is_none() {
                wal_at_staging = Some(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            }
            if now == phase || now == "answered" || sending.is_finished() {
                std::thread::sleep(std::time::Duration::from_millis(delay_ms));
                break upload_phase(&scratch, &wal, wal_at_staging);
            }
        };
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        let _ = sending.join().unwrap();
        hit.insert(seen);

        let server = serve(d, &db_arg);
        let state = served_state(&server.base, &db);
        assert!(
            state == before || state == after,
            "killed while {seen}: the store shows part of the upload \
             ({} scans, {} upload audit rows, {} inputs; before {:?}, after {:?})",
            state.1,
            state.2,
            state.3,
            (before.1, before.2, before.3),
            (after.1, after.2, after.3),
        );
        let left: Vec<_> = std::fs::read_dir(&scratch)
            .map(|r| r.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "killed while {seen}: left behind {left:?}");
        // The collector sends it again: all of it arrives.
        if state == before {
            assert_eq!(upload(&server.base, ADMIN, "big.zip", &big).0, 200);
            assert!(served_state(&server.base, &db) == after, "after a resend");
        }
    }
    assert!(
        hit.contains("staging"),
        "no kill landed while the upload was read: {hit:?}"
    );
    eprintln!("kills landed while: {hit:?}");
}
