//! The API over real HTTP on loopback, against a real store: who may do what, what an
//! upload yields, and that the OpenAPI document lists exactly the routes served.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::{ADMIN, Options, TestServer, lab_bundle};
use kizuna_report::NamedFile;
use kizuna_store::Location;

fn sqlite(dir: &Path) -> Location {
    Location::Sqlite(dir.join("k.db"))
}

/// Every data path, with a method and what it needs.
const DATA_PATHS: &[(&str, &str)] = &[
    ("GET", "/api/v1/findings"),
    ("GET", "/api/v1/devices"),
    ("GET", "/api/v1/devices/PC01"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/plan"),
    ("GET", "/api/v1/scans"),
    ("GET", "/api/v1/scans/current/findings.csv"),
    ("GET", "/api/v1/review/review.json"),
    ("GET", "/api/v1/tokens"),
    ("GET", "/api/v1/audit"),
    ("POST", "/api/v1/evidence?name=x.log"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/1"),
];

fn call(c: &common::Client, method: &str, path: &str, token: Option<&str>) -> common::Answer {
    match method {
        "GET" => c.get(path, token),
        "DELETE" => c.delete(path, token),
        _ => c.post(path, token, "application/json", b"{}"),
    }
}

#[test]
fn who_may_do_what() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Options::new(sqlite(dir.path())));
    let c = server.client();

    // Anonymous, malformed, unknown: 401 with a Bearer challenge, and no data.
    for token in [None, Some("kz_0000"), Some("")] {
        for (method, path) in DATA_PATHS {
            let a = call(&c, method, path, token);
            assert_eq!(a.status, 401, "{method} {path} with {token:?}: {}", a.body);
            assert_eq!(
                a.header("www-authenticate"),
                Some("Bearer realm=\"kizuna\"")
            );
            assert_eq!(a.json()["error"]["code"], "unauthenticated");
        }
        // Nothing of the request is judged before the token (issue 28 D8): a bad id, an
        // unknown file or path gives a stranger 401, not 400/404.
        for (method, path) in [
            ("GET", "/api/v1/scans/0/report.html"),
            ("GET", "/api/v1/scans/x/nofile"),
            ("GET", "/api/v1/review/nofile"),
            ("DELETE", "/api/v1/tokens/abc"),
            ("GET", "/api/v1/no-such-path"),
            ("GET", "/api/v1/devices?limit=-1"),
        ] {
            let a = call(&c, method, path, token);
            assert_eq!(a.status, 401, "{method} {path} with {token:?}: {}", a.body);
        }
    }

    // A Basic header is not a bearer token.
    let a = c
        .agent
        .get(server.url("/api/v1/findings"))
        .header("Authorization", "Basic a2l6dW5hOmtpenVuYQ==")
        .call()
        .unwrap();
    assert_eq!(a.status().as_u16(), 401);

    let (ingest_id, ingest) = c.token(ADMIN, "collector", "ingest");
    let (_, read) = c.token(ADMIN, "dashboard script", "read");

    // An ingest token posts evidence and reads nothing.
    for (method, path) in DATA_PATHS {
        let a = call(&c, method, path, Some(&ingest));
        if path.starts_with("/api/v1/evidence") {
            // Taken, read, and nothing in it was evidence.
            assert_eq!(a.status, 422, "{}", a.body);
            assert_eq!(a.json()["error"]["code"], "nothing-readable");
        } else {
            assert_eq!(a.status, 403, "ingest token: {method} {path}: {}", a.body);
            assert_eq!(a.json()["error"]["code"], "forbidden");
        }
    }
    // A read token reads, and posts nothing.
    for (method, path) in DATA_PATHS {
        let a = call(&c, method, path, Some(&read));
        match (*method, *path) {
            ("GET", "/api/v1/tokens" | "/api/v1/audit") | ("POST" | "DELETE", _) => {
                assert_eq!(a.status, 403, "read token: {method} {path}: {}", a.body)
            }
            // A device no upload named, and no plan yet.
            ("GET", "/api/v1/devices/PC01" | "/api/v1/plan") => {
                assert_eq!(a.status, 404, "{}", a.body)
            }
            _ => assert_eq!(a.status, 200, "read token: {method} {path}: {}", a.body),
        }
    }

    // A revoked token is unknown from then on.
    assert_eq!(
        c.delete(&format!("/api/v1/tokens/{ingest_id}"), Some(ADMIN))
            .status,
        204
    );
    assert_eq!(
        c.delete(&format!("/api/v1/tokens/{ingest_id}"), Some(ADMIN))
            .status,
        404
    );
    assert_eq!(c.upload(Some(&ingest), "x.log", b"x").status, 401);

    // The token list never shows a secret or a hash.
    let list = c.get("/api/v1/tokens", Some(ADMIN));
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&ingest) && !list.body.contains(&read));
    assert!(!list.body.contains(&kizuna_server::auth::hash(&read)));
    let tokens = list.json()["tokens"].as_array().unwrap().clone();
    let names: Vec<&str> = tokens.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["KIZUNA_ADMIN_TOKEN", "collector", "dashboard script"]
    );
    assert!(tokens[1]["revoked"].is_string() && tokens[2]["revoked"].is_null());
    assert!(tokens[2]["last_used"].is_string(), "use is recorded");

    // Names tell tokens apart (issue 28 D10): bounded, unique among live tokens, and not
    // the environment's own; a revoked token's name is free again.
    let new = |name: &str| {
        c.post(
            "/api/v1/tokens",
            Some(ADMIN),
            "application/json",
            serde_json::json!({"name": name, "scope": "read"})
                .to_string()
                .as_bytes(),
        )
    };
    for (name, why, status) in [
        ("x".repeat(101), "at most 100", 400),
        ("Dashboard Script".to_string(), "already named", 409),
        ("kizuna_admin_token".to_string(), "environment", 409),
    ] {
        let a = new(&name);
        assert_eq!(a.status, status, "{}", a.body);
        assert!(a.body.contains(why), "{}", a.body);
    }
    assert_eq!(new(&"y".repeat(100)).status, 201);
    assert_eq!(
        new("collector").status,
        201,
        "the revoked one's name is free"
    );

    // The audit log has the token changes and the upload, by whom.
    let audit = c.get("/api/v1/audit", Some(ADMIN)).json();
    let entries: Vec<(String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |actor: &str, action: &str| entries.iter().any(|(a, b)| a == actor && b == action);
    assert!(has("environment", "token-create"), "{entries:?}");
    assert!(
        has("token:KIZUNA_ADMIN_TOKEN", "token-create"),
        "{entries:?}"
    );
    assert!(has("token:collector", "upload"), "{entries:?}");
    assert!(
        has("token:KIZUNA_ADMIN_TOKEN", "token-revoke"),
        "{entries:?}"
    );
    assert!(audit["entries"][0]["remote"] == "127.0.0.1", "{audit}");

    // The description is public, and nothing else is.
    let doc = c.get("/api/v1/openapi.json", None);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["openapi"], "3.1.0");
    assert_eq!(c.get("/api/v1/nothing-here", None).status, 401);
    assert_eq!(c.get("/api/v1/nothing-here", Some(ADMIN)).status, 404);
    assert_eq!(
        c.get("/api/v1/findings", Some(ADMIN))
            .header("cache-control"),
        Some("no-store")
    );
}

/// The paths in the document are the paths in the router's source, and each answers
/// exactly the documented methods (others get 405, not the fallback's 404).
#[test]
fn the_openapi_document_lists_exactly_the_routes() {
    let doc: serde_json::Value = serde_json::from_str(kizuna_server::api::OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let documented: std::collections::BTreeSet<&str> = paths.keys().map(String::as_str).collect();

    let source = include_str!("../../src/api.rs");
    let routes = &source[source.find("pub fn routes").unwrap()..];
    let routes = &routes[..routes.find("\n}\n").unwrap()];
    let served: std::collections::BTreeSet<&str> = routes
        .split('"')
        .filter(|s| s.starts_with("/api/v1/"))
        .collect();
    assert_eq!(documented, served);

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Options::new(sqlite(dir.path())));
    let c = server.client();
    for (path, item) in paths {
        let concrete = path.replace("{name}", "PC01").replace("{id}", "999");
        for method in ["GET", "POST", "DELETE", "PUT", "PATCH"] {
            let documented = item.get(method.to_lowercase()).is_some();
            let a = match method {
                "GET" | "POST" | "DELETE" => call(&c, method, &concrete, Some(ADMIN)),
                _ => {
                    let url = server.url(&concrete);
                    let req = if method == "PUT" {
                        c.agent.put(&url)
                    } else {
                        c.agent.patch(&url)
                    };
                    let r = req
                        .header("Authorization", format!("Bearer {ADMIN}"))
                        .send(&b"{}"[..]);
                    common::Answer {
                        status: r.unwrap().status().as_u16(),
                        headers: Vec::new(),
                        body: String::new(),
                    }
                }
            };
            if documented {
                assert_ne!(a.status, 405, "{method} {path}");
                assert!(!a.body.contains("no such API path"), "{method} {path}");
            } else {
                assert_eq!(a.status, 405, "{method} {path}: {}", a.body);
            }
        }
    }
    // Every documented query bound is the one the server enforces (issue 28 D9): the
    // maximum is taken, one more is refused.
    let mut bounds = 0;
    for (path, item) in paths {
        let Some(get) = item.get("get") else { continue };
        let concrete = path
            .replace("{name}", "PC01")
            .replace("{id}", "current")
            .replace(
                "{file}",
                if path.contains("review") {
                    "review.json"
                } else {
                    "scan.json"
                },
            );
        for p in get["parameters"].as_array().into_iter().flatten() {
            let Some(max) = p["schema"]["maximum"].as_u64() else {
                continue;
            };
            if p["in"] != "query" {
                continue;
            }
            let name = p["name"].as_str().unwrap();
            let at = |n: u128| c.get(&format!("{concrete}?{name}={n}"), Some(ADMIN)).status;
            let max = u128::from(max);
            assert_ne!(at(max), 400, "{path}?{name}={max}");
            assert_eq!(at(max + 1), 400, "{path}?{name}={}", max + 1);
            bounds += 1;
        }
    }
    assert!(bounds >= 5, "{bounds} bounds checked");
}

#[test]
fn an_upload_yields_the_findings_of_a_scan_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = lab_bundle(dir.path());
    let bytes = std::fs::read(&bundle).unwrap();

    // What `kizuna scan bundle.zip` judges: the same readers into a fresh store, the same
    // rules, the same JSON.
    let want = {
        let mut store = kizuna_store::Store::temporary().unwrap();
        let opts = kizuna_evidence::ReadOptions {
            threads: 2,
            year: None,
            knowledge: Arc::new(kizuna_core::Knowledge::builtin()),
            evtx: kizuna_evidence::EvtxPath::Prefiltered,
            progress: Default::default(),
            limits: Default::default(),
            shared_unpack: None,
            fingerprint: Default::default(),
        };
        kizuna_evidence::ingest_files(
            vec![(bundle.clone(), "bundle.zip".into())],
            &opts,
            &mut store,
        )
        .unwrap();
        let a = kizuna_pipeline::analyze_stored(
            &store,
            &Default::default(),
            &opts.knowledge,
            None,
            None,
            chrono::Utc::now(),
        )
        .unwrap();
        let msg = kizuna_i18n::Messages::new(kizuna_i18n::Lang::En);
        let f: Vec<serde_json::Value> = a
            .findings
            .iter()
            .map(|f| kizuna_report::finding_json(f, &msg))
            .collect();
        // And the files `kizuna scan bundle.zip --out DIR` writes.
        let inputs = store.run_inputs();
        let report = kizuna_report::ScanReport {
            tool_version: env!("CARGO_PKG_VERSION"),
            inputs: &inputs,
            analysis: &a,
            since: None,
            until: None,
            db: None,
            directory: None,
        };
        let files: Vec<(&str, Vec<u8>)> = kizuna_report::ScanFile::ALL
            .iter()
            .map(|file| (file.name(), file.render(&report, &msg)))
            .collect();
        (f, a.devices.len(), files)
    };
    assert!(want.0.len() >= 10, "the lab has findings of every rule");

    for db in [sqlite(dir.path()), common::postgres()] {
        let server = TestServer::start(Options::new(db.clone()));
        let c = server.client();
        let up = c.upload(Some(ADMIN), "bundle.zip", &bytes);
        assert_eq!(up.status, 200, "{db}: {}", up.body);
        let inputs = up.json()["inputs"].as_array().unwrap().clone();
        assert!(inputs.len() > 20, "{db}: {inputs:?}");
        assert!(inputs.iter().all(|i| {
            i["path"]
                .as_str()
                .unwrap()
                .starts_with("bundle.zip!/evidence/")
        }));
        assert!(
            inputs.iter().all(|i| i["status"] == "ok"),
            "{db}: {inputs:?}"
        );

        let got = c.get("/api/v1/findings?lang=en", Some(ADMIN)).json();
        assert_eq!(got["findings"].as_array().unwrap(), &want.0, "{db}");
        assert_eq!(got["total"], want.0.len());

        // The upload was recorded as a scan; its report files are byte for byte what
        // `kizuna scan --out` writes for the bundle.
        let scan = &up.json()["scan"];
        assert_eq!(scan["findings"], want.0.len(), "{db}: {scan}");
        assert_eq!(scan["devices"], want.1, "{db}");
        let id = scan["id"].as_i64().unwrap();
        let listed = c.get("/api/v1/scans", Some(ADMIN)).json();
        assert_eq!(listed["total"], 1, "{db}: {listed}");
        assert_eq!(listed["scans"][0]["id"], id);
        assert_eq!(listed["scans"][0]["actor"], "token:KIZUNA_ADMIN_TOKEN");
        assert_eq!(listed["scans"][0]["findings"], want.0.len());
        assert_eq!(listed["scans"][0]["files"].as_array().unwrap().len(), 5);
        for (name, bytes) in &want.2 {
            let a = c.get(&format!("/api/v1/scans/{id}/{name}?lang=en"), Some(ADMIN));
            assert_eq!(a.status, 200, "{db}: {name}: {}", a.body);
            assert!(
                a.header("content-disposition")
                    .is_some_and(|d| d.contains(&format!("kizuna-scan-{id}-{name}"))),
                "{db}: {name}"
            );
            assert_eq!(a.header("cache-control"), Some("no-store"));
            let at = a
                .body
                .bytes()
                .zip(bytes.iter())
                .position(|(x, y)| x != *y)
                .unwrap_or(a.body.len().min(bytes.len()));
            assert!(
                a.body.as_bytes() == bytes.as_slice(),
                "{db}: {name} differs from kizuna scan --out at byte {at}: {:?} | {:?}",
                &a.body[at.saturating_sub(200)..(at + 200).min(a.body.len())],
                String::from_utf8_lossy(
                    &bytes[at.saturating_sub(200)..(at + 200).min(bytes.len())]
                )
            );
        }
        let current = c.get("/api/v1/scans/current/findings.csv?lang=en", Some(ADMIN));
        assert_eq!(current.body.as_bytes(), want.2[1].1.as_slice(), "{db}");
        assert_eq!(
            c.get("/api/v1/scans/999/report.html", Some(ADMIN)).status,
            404
        );
        assert_eq!(
            c.get(&format!("/api/v1/scans/{id}/x.exe"), Some(ADMIN))
                .status,
            404
        );
        assert_eq!(
            c.get("/api/v1/scans/abc/report.html", Some(ADMIN)).status,
            400
        );

        // The same bundle again adds nothing.
        let again = c.upload(Some(ADMIN), "bundle.zip", &bytes);
        assert_eq!(again.status, 200);
        assert_eq!(
            c.get("/api/v1/findings?lang=en", Some(ADMIN)).json()["findings"],
            got["findings"],
            "{db}: re-uploading changes nothing"
        );

        // Devices: all of them, filtered, sorted and paged without overlap.
        let all = c.get("/api/v1/devices?limit=1000", Some(ADMIN)).json();
        assert_eq!(all["total"], want.1);
        let mut paged = Vec::new();
        for offset in (0..want.1).step_by(7) {
            let page = c
                .get(
                    &format!("/api/v1/devices?sort=severity&order=desc&limit=7&offset={offset}"),
                    Some(ADMIN),
                )
                .json();
            paged.extend(
                page["devices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["name"].as_str().unwrap().to_string()),
            );
        }
        let mut unique = paged.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), want.1, "{db}: pages cover every device once");
        let worst: Vec<&str> = all["devices"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["worst"].as_str())
            .collect();
        assert!(worst.contains(&"critical"), "{db}");
        let first = c
            .get(
                "/api/v1/devices?sort=severity&order=desc&limit=1",
                Some(ADMIN),
            )
            .json();
        assert_eq!(first["devices"][0]["worst"], "critical", "{db}");
        let dcs = c.get("/api/v1/devices?role=dc", Some(ADMIN)).json();
        assert!(dcs["total"].as_u64().unwrap() >= 1);
        assert!(
            dcs["devices"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["role"] == "dc")
        );
        let critical = c
            .get("/api/v1/devices?severity=critical", Some(ADMIN))
            .json();
        let some = critical["devices"][0]["name"].as_str().unwrap().to_string();

        // One device: its findings are the ones naming it, in the same words.
        let one = c
            .get(
                &format!("/api/v1/devices/{}", some.to_lowercase()),
                Some(ADMIN),
            )
            .json();
        assert_eq!(one["device"]["name"], some.as_str());
        let about: Vec<&serde_json::Value> = want
            .0
            .iter()
            .filter(|f| {
                f["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == some.as_str())
            })
            .collect();
        assert_eq!(
            one["findings"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            about
        );
        assert_eq!(c.get("/api/v1/devices/NO-SUCH-PC", Some(ADMIN)).status, 404);

        // Events as JSON lines, filtered by id.
        let ev = c.get("/api/v1/events?id=5805,5722&limit=50", Some(ADMIN));
        assert_eq!(ev.status, 200);
        assert_eq!(ev.header("content-type"), Some("application/x-ndjson"));
        let lines: Vec<serde_json::Value> = ev
            .body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!lines.is_empty() && lines.len() <= 50, "{db}");
        assert!(
            lines
                .iter()
                .all(|e| e["event_id"] == 5805 || e["event_id"] == 5722),
            "{db}"
        );

        // Window bounds in the command line's forms: a span back from now, a date.
        let span = c.get(
            "/api/v1/events?id=5805,5722&limit=50&since=36500d",
            Some(ADMIN),
        );
        assert_eq!(span.status, 200, "{}", span.body);
        assert_eq!(span.body, ev.body, "a century back holds every event");
        let ahead = c.get("/api/v1/events?id=5805,5722&since=2999-01-01", Some(ADMIN));
        assert_eq!(ahead.status, 200);
        assert!(ahead.body.is_empty(), "{}", ahead.body);
        let bad = c.get("/api/v1/events?since=yesterday", Some(ADMIN));
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("7d"), "{}", bad.body);

        // Japanese findings are the same findings in other words.
        let ja = c.get("/api/v1/findings?lang=ja", Some(ADMIN)).json();
        assert_eq!(ja["total"], got["total"]);
        assert_ne!(ja["findings"][0]["title"], got["findings"][0]["title"]);
    }
}

#[test]
fn uploads_are_bounded_named_safely_and_multipart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Options {
        max_bytes: 4096,
        ..Options::new(sqlite(dir.path()))
    });
    let c = server.client();

    // Over the limit: 413, and nothing was stored.
    let big = vec![b'x'; 5000];
    let a = c.upload(Some(ADMIN), "big.log", &big);
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.json()["error"]["code"], "too-large");
    let a = c.upload_multipart(
        Some(ADMIN),
        &[("a.log", &big[..3000]), ("b.log", &big[..3000])],
    );
    assert_eq!(a.status, 413, "{}", a.body);
    let audit = c.get("/api/v1/audit", Some(ADMIN)).json();
    assert!(!audit.to_string().contains("\"upload\""), "{audit}");

    // Nothing readable (not evidence, a truncated archive): 422 with each input's error.
    let a = c.upload(Some(ADMIN), "photo.png", b"\x89PNG\r\n\x1a\n not evidence");
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.json()["error"]["code"], "nothing-readable");
    assert_eq!(a.json()["inputs"][0]["path"], "photo.png");
    assert!(a.json()["scan"].is_null());
    let a = c.upload(
        Some(ADMIN),
        "cut.zip",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.json()["inputs"][0]["status"], "error", "{}", a.body);

    // Names lose every way out of the scratch folder.
    let line =
        b"06/01 10:00:00 [CRITICAL] [1234] CORP: NetrServerAuthenticate3 failed: 0xC0000022\n";
    let a = c.upload(Some(ADMIN), "../../etc/C:\\netlogon.log", line);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["inputs"][0]["path"], "etc/C/netlogon.log");
    // A name that reduces to nothing (or none): the file is read all the same.
    let a = c.upload(Some(ADMIN), "..", line);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["inputs"][0]["path"], "upload");

    // Several files in one multipart body; a part without a file name is refused.
    let psgetsid = b"SID for \\\\PC7:\r\nS-1-5-21-1-2-3\r\n";
    let a = c.upload_multipart(
        Some(ADMIN),
        &[("PC7/psgetsid.txt", psgetsid), ("PC8/netlogon.log", line)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let paths: Vec<String> = a.json()["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["PC7/psgetsid.txt", "PC8/netlogon.log"]);
    let a = c.post(
        "/api/v1/evidence",
        Some(ADMIN),
        "multipart/form-data; boundary=b",
        b"--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n",
    );
    assert_eq!(a.status, 400, "{}", a.body);

    // Nothing is left in the scratch folder.
    let left: Vec<_> = std::fs::read_dir(server.scratch.path().join("uploads"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn https_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_pem, key_pem) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();

    let server = TestServer::start(Options {
        tls: Some((cert_pem.clone(), key_pem.clone())),
        ..Options::new(sqlite(dir.path()))
    });
    let roots = ureq::tls::RootCerts::Specific(Arc::new(vec![
        ureq::tls::Certificate::from_der(cert.der()).to_owned(),
    ]));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .into();
    let r = agent
        .get(server.url("/api/v1/findings"))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Browsers are told to keep to HTTPS (issue 28 D6).
    assert_eq!(
        r.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );

    // A client that does not trust the certificate gets no answer; plain HTTP gets none.
    let untrusting: ureq::Agent = ureq::Agent::config_builder().build().into();
    assert!(
        untrusting
            .get(server.url("/api/v1/openapi.json"))
            .call()
            .is_err()
    );
    let plain = format!(
        "http://127.0.0.1:{}/api/v1/openapi.json",
        server.addr.port()
    );
    assert!(untrusting.get(&plain).call().is_err());

    // A key that is not a key is a clear error naming the file.
    std::fs::write(&key_pem, "not a key").unwrap();
    let e = kizuna_server::tls::server_config(&cert_pem, &key_pem)
        .unwrap_err()
        .to_string();
    assert!(e.contains("private key") && e.contains("key.pem"), "{e}");
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let config = kizuna_server::Config {
        listen: "0.0.0.0:0".parse().unwrap(),
        db: sqlite(dir.path()),
        tls: None,
        allow_plain_http: false,
        trusted_proxies: Vec::new(),
        uploads: kizuna_server::Uploads {
            scratch: dir.path().join("s"),
            max_bytes: 1,
            threads: 1,
            limits: Default::default(),
            pace: Default::default(),
            per_token: 16,
        },
        knowledge: Arc::new(kizuna_core::Knowledge::builtin()),
        admin_token: None,
        fixed_now: None,
    };
    let e = kizuna_server::serve(config, |_, _| panic!("must not listen")).unwrap_err();
    assert!(matches!(e, kizuna_server::ServeError::PlainHttp(_)), "{e}");
    assert!(e.to_string().contains("a TLS certificate and key"), "{e}");
    assert!(
        !dir.path().join("k.db").exists(),
        "refused before the store was touched"
    );
}

#[test]
fn the_admin_token_from_the_environment_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path());
    let mut store = kizuna_store::Store::connect(&db).unwrap();
    let now = chrono::Utc::now();
    use kizuna_server::auth::{Bootstrap, TokenError, bootstrap_admin, revoke_token};
    assert!(matches!(
        bootstrap_admin(&mut store, "short", now),
        Err(TokenError::TooShort(5))
    ));
    let Bootstrap::Created(id) = bootstrap_admin(&mut store, ADMIN, now).unwrap() else {
        panic!("first start stores it")
    };
    assert_eq!(
        bootstrap_admin(&mut store, ADMIN, now).unwrap(),
        Bootstrap::Known(id)
    );
    assert_eq!(store.tokens().unwrap().len(), 1, "once");
    assert!(revoke_token(&mut store, id, "cli", None, now).unwrap());
    assert_eq!(
        bootstrap_admin(&mut store, ADMIN, now).unwrap(),
        Bootstrap::Revoked(id)
    );
    assert!(
        store.tokens().unwrap()[0].revoked.is_some(),
        "stays revoked"
    );
    drop(store);
    // A server whose environment still holds the revoked secret starts (a warning says so),
    // and the secret grants nothing (issue 28 D13).
    let config = kizuna_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        db,
        tls: None,
        allow_plain_http: false,
        trusted_proxies: Vec::new(),
        uploads: kizuna_server::Uploads {
            scratch: dir.path().join("s"),
            max_bytes: 1 << 20,
            threads: 1,
            limits: Default::default(),
            pace: Default::default(),
            per_token: 16,
        },
        knowledge: Arc::new(kizuna_core::Knowledge::builtin()),
        admin_token: Some(ADMIN.to_string()),
        fixed_now: None,
    };
    let state = kizuna_server::open(&config).expect("starts despite the revoked secret");
    drop(state);
    let mut store = kizuna_store::Store::connect(&config.db).unwrap();
    assert_eq!(store.tokens().unwrap().len(), 1, "not made again");
    assert!(
        store.tokens().unwrap()[0].revoked.is_some(),
        "still revoked"
    );
    assert!(
        kizuna_server::auth::bootstrap_admin(&mut store, ADMIN, now)
            .is_ok_and(|b| b == Bootstrap::Revoked(id))
    );
}

/// Schemathesis (pinned) against a live server holding a lab's evidence: thousands of
/// generated requests from the OpenAPI description, every answer checked against it
/// (status codes, content types, headers, bodies), with no server error, no slow answer,
/// no ignored authentication and no schema-violating request accepted. Left out: tokens
/// are not revoked (a fuzzed id would revoke the run's own admin token and end it), and
/// `positive_data_acceptance`, because validity a JSON schema cannot state (a date that
/// does not exist, a name no device can have) is rightly refused.
#[test]
fn schemathesis_finds_nothing() {
    let st = kizuna_testbed::schemathesis::Schemathesis::find_or_install(Path::new(env!(
        "CARGO_TARGET_TMPDIR"
    )))
    .unwrap_or_else(|e| panic!("schemathesis: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Options::new(sqlite(dir.path())));
    let c = server.client();
    let bundle = std::fs::read(lab_bundle(dir.path())).unwrap();
    assert_eq!(c.upload(Some(ADMIN), "bundle.zip", &bundle).status, 200);
    let auth = format!("Authorization: Bearer {ADMIN}");
    let run = || {
        st.run(
            &server.url("/api/v1/openapi.json"),
            &[
                "-H",
                &auth,
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--exclude-method",
                "DELETE",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                "40",
                "--seed",
                "20261207",
                "--max-response-time",
                "10",
                // One worker: CPython compiling regexes on two threads at once
                // sometimes fails inside the generator ("AST constructor recursion
                // depth mismatch"), a fault of the tool, not of the server.
                "--workers",
                "1",
            ],
            std::time::Duration::from_secs(1200),
        )
        .unwrap()
    };
    let (mut passed, mut out) = run();
    // A fault inside the tool's generator (seen under load), not an answer of the
    // server: run once more.
    if !passed && out.contains("AST constructor recursion depth mismatch") {
        (passed, out) = run();
    }
    assert!(passed, "schemathesis failed:\n{out}");
    let generated = out
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    let count: u64 = generated
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(count >= 500, "only {count} cases ran: {generated}");
}
