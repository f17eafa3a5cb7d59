//! Uploads under attack and under load: read outside the store's lock, committed whole,
//! bounded per upload and per token, cut when too slow, the same findings whatever the
//! order they came in, and nothing left behind by a server that died mid-upload.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{self, ADMIN, Options, TestServer};
use kizuna_store::Location;

fn sqlite(dir: &Path) -> Location {
    Location::Sqlite(dir.join("k.db"))
}

/// The upload folders in a server's scratch folder.
fn upload_folders(server: &TestServer) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(server.scratch.path().join("uploads")) else {
        return Vec::new();
    };
    entries.flatten().map(|e| e.path()).collect()
}

/// A gzip of `lines` netlogon.log lines (about 80 bytes each).
fn netlogon_gz(lines: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..lines {
        write!(
            gz,
            "08/22 07:{:02}:{:02} [SESSION] [4128] CONTOSO: NlChangePassword: Doing it.\r\n",
            (i / 60) % 60,
            i % 60
        )
        .unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn reads_are_answered_while_an_upload_is_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Options::new(sqlite(dir.path())));
    let c = server.client();
    let (_, ingest) = c.token(ADMIN, "collector", "ingest");
    // Millions of lines: reading them takes a while, during which the upload sits in its
    // staging store.
    let big = netlogon_gz(3_000_000);
    let uploading = std::thread::scope(|s| {
        let up = s.spawn(|| c.upload(Some(&ingest), "PC01/debug/netlogon.log.gz", &big));
        let staged = loop {
            let staging = upload_folders(&server)
                .into_iter()
                .map(|f| f.join("staged.db"))
                .find(|p| p.exists());
            if let Some(p) = staging {
                break p;
            }
            assert!(
                !up.is_finished(),
                "the upload ended before it was seen staging"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let findings = c.get("/api/v1/findings", Some(ADMIN));
        let scans = c.get("/api/v1/scans", Some(ADMIN));
        // Answered while the upload was still being read: its staging store is there yet.
        let still_staging = staged.exists();
        let done = up.join().unwrap();
        (findings, scans, still_staging, done)
    });
    let (findings, scans, still_staging, done) = uploading;
    assert_eq!(findings.status, 200, "{}", findings.body);
    assert_eq!(scans.status, 200, "{}", scans.body);
    assert!(
        still_staging,
        "reads were answered only after the upload was read: they waited for it"
    );
    assert_eq!(
        findings.json()["total"],
        0,
        "nothing of the upload was visible before it was committed"
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["inputs"][0]["records"], 3_000_000);
    assert!(
        upload_folders(&server).is_empty(),
        "the upload's folder is removed"
    );
}

#[test]
fn the_unpack_limit_counts_for_the_whole_upload() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = Options::new(sqlite(dir.path()));
    // Each part unpacks to about 4 MiB; the upload may unpack to 6 MiB in all.
    o.max_unpacked = Some(6 << 20);
    let server = TestServer::start(o);
    let c = server.client();
    let part = netlogon_gz(52_000);
    let a = c.upload_multipart(
        Some(ADMIN),
        &[
            ("PC01/netlogon.log.gz", &part),
            ("PC02/netlogon.log.gz", &part),
            ("PC03/netlogon.log.gz", &part),
        ],
    );
    // 200 when one part fit; 422 when the parts, read side by side, used the allowance
    // up between them before any was done.
    assert!(matches!(a.status, 200 | 422), "{}", a.body);
    let inputs = a.json()["inputs"].as_array().unwrap().clone();
    assert_eq!(inputs.len(), 3);
    let refused: Vec<&serde_json::Value> = inputs
        .iter()
        .filter(|i| {
            i["errors"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|e| e.as_str().unwrap().contains("for this upload"))
            })
        })
        .collect();
    // Parts are read side by side, so which ones the allowance runs out on varies; that
    // it runs out for the upload, not for each part, does not.
    assert!(
        refused.len() >= 2,
        "three parts of ~4 MiB each cannot all fit in 6 MiB: {inputs:?}"
    );
    let read: u64 = inputs
        .iter()
        .filter(|i| i["status"] == "ok")
        .map(|i| i["records"].as_u64().unwrap())
        .sum();
    assert!(read <= 52_000, "at most one part's lines were read: {read}");
}

/// Opens a raw connection and sends the head of an upload of `length` bytes.
fn raw_upload(server: &TestServer, token: &str, length: usize) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST /api/v1/evidence?name=PC01/netlogon.log HTTP/1.1\r\nHost: {}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {length}\r\n\r\n",
        server.addr
    )
    .unwrap();
    s
}

/// The status of the answer read from `s`.
fn status_of(s: &mut std::net::TcpStream) -> u16 {
    let mut head = [0u8; 12];
    s.read_exact(&mut head).expect("the server answers");
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

#[test]
fn a_body_that_trickles_in_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = Options::new(sqlite(dir.path()));
    o.pace = kizuna_server::BodyPace {
        idle: Duration::from_secs(1),
        min_rate: 1000,
        grace: Duration::from_secs(1),
    };
    let server = TestServer::start(o);
    // A byte now and then never leaves the server idle, but stays under the pace.
    let mut slow = raw_upload(&server, ADMIN, 100_000);
    let mut reader = slow.try_clone().unwrap();
    let answer = std::thread::spawn(move || status_of(&mut reader));
    for _ in 0..200 {
        if answer.is_finished() || slow.write_all(b"x").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answer.join().unwrap(), 408);
    // One that stops sending at all.
    let mut silent = raw_upload(&server, ADMIN, 100_000);
    silent.write_all(b"partial").unwrap();
    assert_eq!(status_of(&mut silent), 408);
    // Nothing of either was kept, and their folders are gone.
    let c = server.client();
    assert_eq!(c.get("/api/v1/scans", Some(ADMIN)).json()["total"], 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !upload_folders(&server).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(upload_folders(&server).is_empty());
}

/// A server that lets each token have one upload in progress, and an ingest token.
fn one_upload_per_token() -> (tempfile::TempDir, TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut o = Options::new(sqlite(dir.path()));
    o.per_token = 1;
    let server = TestServer::start(o);
    let (_, ingest) = server.client().token(ADMIN, "collector", "ingest");
    (dir, server, ingest)
}

#[test]
fn a_token_has_a_bounded_number_of_uploads_in_progress() {
    let (_dir, server, ingest) = one_upload_per_token();
    let c = server.client();
    let (_, other) = c.token(ADMIN, "other", "ingest");
    let log = netlogon_gz(10);
    // One upload in progress: its body is still coming.
    let mut open = raw_upload(&server, &ingest, 1_000_000);
    open.write_all(b"08/22 07:32:00 [SESSION]").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while upload_folders(&server).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never began"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let refused = c.upload(Some(&ingest), "PC02/netlogon.log.gz", &log);
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "too-many-uploads");
    // Another token is not held up by it.
    assert_eq!(
        c.upload(Some(&other), "PC03/netlogon.log.gz", &log).status,
        200
    );
    // Once the first ends (its client went away), the token may send again.
    drop(open);
    send_when_free(&c, &ingest, &log, Duration::from_secs(30));
}

/// Sends `body` with `token` until it is taken (429 meanwhile), within `limit`.
fn send_when_free(c: &common::Client, token: &str, body: &[u8], limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let a = c.upload(Some(token), "PC02/netlogon.log.gz", body);
        if a.status == 200 {
            return;
        }
        assert_eq!(a.status, 429, "{}", a.body);
        assert!(
            std::time::Instant::now() < deadline,
            "the slot was never given back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn upload_folders_a_dead_server_left_are_removed_at_start_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let o = Options::new(sqlite(dir.path()));
    // A server that ran before in the same scratch folder, killed mid-upload …
    let first = TestServer::start(Options::new(sqlite(dir.path())));
    let uploads = first.scratch.path().join("uploads");
    let dead = uploads.join("upload-dead");
    std::fs::create_dir_all(dead.join("0/PC01")).unwrap();
    std::fs::write(dead.join(".in-use"), b"").unwrap();
    std::fs::write(dead.join("0/PC01/System.evtx"), vec![0u8; 1000]).unwrap();
    // … and another server's upload in progress, its folder locked.
    let live = uploads.join("upload-live");
    std::fs::create_dir_all(&live).unwrap();
    let lock = std::fs::File::create(live.join(".in-use")).unwrap();
    lock.try_lock().unwrap();
    // A server starting on that scratch folder.
    let config_scratch = first.scratch.path().to_path_buf();
    let mut o2 = o;
    o2.db = Location::Sqlite(dir.path().join("other.db"));
    let second = TestServer::start_in(o2, &config_scratch);
    assert!(!dead.exists(), "the dead server's folder is removed");
    assert!(live.exists(), "a folder in use is left alone");
    drop(lock);
    drop(second);
}

/// The small lab's devices as two bundles: all of them as `b.zip`, and the first half of
/// them again (the same files) as `a.zip`.
fn overlapping_bundles(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let all = common::lab_bundle(dir);
    let half = dir.join("half");
    let devices: Vec<PathBuf> = {
        let mut d: Vec<PathBuf> = std::fs::read_dir(dir.join("lab/evidence"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        d.sort();
        d
    };
    for device in &devices[..devices.len() / 2] {
        let to = half.join("evidence").join(device.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(device).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
            }
        }
    }
    let a = dir.join("a.zip");
    kizuna_lab::bundle::zip_folder(&half, "evidence", &a).unwrap();
    (std::fs::read(&all).unwrap(), std::fs::read(&a).unwrap())
}

/// The stored inputs (fingerprint and first path) and facts' paths, for comparing stores.
fn stored_evidence(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT fingerprint || ' ' || first_path FROM inputs WHERE complete = 1",
        "SELECT path || ' ' || COALESCE(record_id, -1) FROM events",
        "SELECT path || ' ' || COALESCE(folder, '') FROM identity",
        "SELECT path || ' ' || COALESCE(line, -1) FROM netlogon",
    ] {
        let mut s = c.prepare(sql).unwrap();
        let mut rows: Vec<String> = s
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

#[test]
fn uploads_in_either_order_give_the_same_findings_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (all, half) = overlapping_bundles(dir.path());
    let mut seen = Vec::new();
    for (i, order) in [
        [("b.zip", &all), ("a.zip", &half)],
        [("a.zip", &half), ("b.zip", &all)],
    ]
    .into_iter()
    .enumerate()
    {
        let db = dir.path().join(format!("order{i}.db"));
        let server = TestServer::start(Options::new(Location::Sqlite(db.clone())));
        let c = server.client();
        for (name, bytes) in order {
            let a = c.upload(Some(ADMIN), name, bytes);
            assert_eq!(a.status, 200, "{}", a.body);
        }
        let findings = c.get("/api/v1/findings", Some(ADMIN));
        assert_eq!(findings.status, 200);
        let devices = c.get("/api/v1/devices?limit=1000", Some(ADMIN));
        assert_eq!(devices.status, 200);
        seen.push((findings.body, devices.body, stored_evidence(&db)));
    }
    let (first, second) = (&seen[0], &seen[1]);
    assert!(
        first.0.contains("a.zip!/evidence/"),
        "the smaller path is cited"
    );
    assert_eq!(first.0, second.0, "findings");
    assert_eq!(first.1, second.1, "devices");
    assert_eq!(
        first.2, second.2,
        "stored inputs and the paths of their facts"
    );
}

#[test]
fn an_upload_whose_client_hangs_up_keeps_its_place_until_its_reading_ends() {
    let (_dir, server, ingest) = one_upload_per_token();
    let c = server.client();
    let big = netlogon_gz(3_000_000);
    let mut s = raw_upload(&server, &ingest, big.len());
    s.write_all(&big).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let staged = loop {
        if let Some(p) = upload_folders(&server)
            .into_iter()
            .map(|f| f.join("staged.db"))
            .find(|p| p.exists())
        {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "never staged");
        std::thread::sleep(Duration::from_millis(5));
    };
    // The client hangs up while its upload is read.
    drop(s);
    std::thread::sleep(Duration::from_millis(50));
    let small = netlogon_gz(10);
    // Three million lines take seconds to read: it is still being read, and its folder
    // must not go with its client.
    assert!(
        staged.exists(),
        "the upload's folder went with its client while it was still being read"
    );
    {
        let refused = c.upload(Some(&ingest), "PC02/netlogon.log.gz", &small);
        assert_eq!(
            refused.status, 429,
            "the hung-up upload still counts while it is read: {}",
            refused.body
        );
    }
    // Once it is read (and committed), its folder goes and the token may send again.
    send_when_free(&c, &ingest, &small, Duration::from_secs(120));
    assert!(!staged.exists(), "its folder is removed");
}
