//! A kizuna server on a free loopback port for one test, and an HTTP client for it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kizuna_server::{Config, Uploads};
use kizuna_store::Location;

/// The admin secret every test server starts with (`KIZUNA_ADMIN_TOKEN`).
pub const ADMIN: &str = "kz_test_admin_0123456789abcdef0123456789abcdef";

/// A running server; stopped (and waited for) when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub scheme: &'static str,
    /// The folder whose `uploads` folder is the server's scratch folder.
    pub scratch: Scratch,
    running: Option<kizuna_server::listen::Background>,
}

/// A test server's own scratch folder, or one it shares with another.
pub enum Scratch {
    Own(tempfile::TempDir),
    Shared(PathBuf),
}

impl Scratch {
    pub fn path(&self) -> &Path {
        match self {
            Scratch::Own(d) => d.path(),
            Scratch::Shared(p) => p,
        }
    }
}

impl Drop for TestServer {
    /// A panic on the server's thread (while stopping too) fails the test.
    fn drop(&mut self) {
        if let Some(r) = self.running.take()
            && let Err(e) = r.stop()
            && !std::thread::panicking()
        {
            panic!("the server's thread panicked: {e}");
        }
    }
}

pub struct Options {
    pub db: Location,
    pub max_bytes: u64,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `--trusted-proxy`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How slowly a body may arrive.
    pub pace: kizuna_server::BodyPace,
    /// `--max-uploads-per-token`.
    pub per_token: usize,
    /// `--max-unpacked-gib`, in bytes.
    pub max_unpacked: Option<u64>,
}

impl Options {
    pub fn new(db: Location) -> Options {
        Options {
            db,
            max_bytes: 64 << 20,
            tls: None,
            trusted_proxies: Vec::new(),
            pace: Default::default(),
            per_token: 16,
            max_unpacked: None,
        }
    }
}

impl TestServer {
    pub fn start(o: Options) -> TestServer {
        Self::with_scratch(o, Scratch::Own(tempfile::tempdir().unwrap()))
    }

    /// A server whose scratch folder is `dir/uploads`, as another's may be.
    pub fn start_in(o: Options, dir: &Path) -> TestServer {
        Self::with_scratch(o, Scratch::Shared(dir.to_path_buf()))
    }

    fn with_scratch(o: Options, scratch: Scratch) -> TestServer {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            db: o.db,
            tls: o.tls.clone(),
            allow_plain_http: false,
            trusted_proxies: o.trusted_proxies.clone(),
            uploads: Uploads {
                scratch: scratch.path().join("uploads"),
                max_bytes: o.max_bytes,
                threads: 2,
                limits: kizuna_evidence::Limits {
                    max_unpacked: o
                        .max_unpacked
                        .unwrap_or(kizuna_evidence::Limits::default().max_unpacked),
                    ..Default::default()
                },
                pace: o.pace,
                per_token: o.per_token,
            },
            knowledge: Arc::new(kizuna_core::Knowledge::builtin()),
            admin_token: Some(ADMIN.into()),
            fixed_now: None,
        };
        let tls = o
            .tls
            .as_ref()
            .map(|(c, k)| kizuna_server::tls::server_config(c, k).unwrap());
        let state = kizuna_server::open(&config).unwrap();
        let running = kizuna_server::listen::Background::start(
            config.listen,
            kizuna_server::app(state),
            tls,
            2,
        )
        .unwrap();
        TestServer {
            addr: running.addr,
            scheme: if o.tls.is_some() { "https" } else { "http" },
            scratch,
            running: Some(running),
        }
    }

    pub fn url(&self, path: &str) -> String {
        let host = if self.scheme == "https" {
            format!("localhost:{}", self.addr.port())
        } else {
            self.addr.to_string()
        };
        format!("{}://{host}{path}", self.scheme)
    }

    /// A client that reports every status instead of failing on 4xx/5xx.
    pub fn client(&self) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            base: self.url(""),
        }
    }
}

pub struct Client {
    pub agent: ureq::Agent,
    pub base: String,
}

/// A response, read whole.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("the server answers");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Answer {
        status: r.status().as_u16(),
        headers,
        body: r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap(),
    }
}

impl Client {
    fn auth(token: Option<&str>) -> Option<String> {
        token.map(|t| format!("Bearer {t}"))
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(a) = Self::auth(token) {
            req = req.header("Authorization", a);
        }
        answer(req.call())
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.agent.delete(format!("{}{path}", self.base));
        if let Some(a) = Self::auth(token) {
            req = req.header("Authorization", a);
        }
        answer(req.call())
    }

    pub fn post(&self, path: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Answer {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        if let Some(a) = Self::auth(token) {
            req = req.header("Authorization", a);
        }
        answer(req.send(body))
    }

    /// POST /api/v1/evidence with one file as the body.
    pub fn upload(&self, token: Option<&str>, name: &str, body: &[u8]) -> Answer {
        self.post(
            &format!("/api/v1/evidence?name={}", encode(name)),
            token,
            "application/octet-stream",
            body,
        )
    }

    /// POST /api/v1/evidence as multipart/form-data.
    pub fn upload_multipart(&self, token: Option<&str>, files: &[(&str, &[u8])]) -> Answer {
        let parts: Vec<Part> = files.iter().map(|(n, d)| Part::File(n, d)).collect();
        let (content_type, body) = multipart(&parts);
        self.post("/api/v1/evidence", token, &content_type, &body)
    }

    /// Makes a token through the API; returns (id, secret).
    pub fn token(&self, admin: &str, name: &str, scope: &str) -> (i64, String) {
        let a = self.post(
            "/api/v1/tokens",
            Some(admin),
            "application/json",
            serde_json::json!({"name": name, "scope": scope})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(a.status, 201, "{}", a.body);
        let v = a.json();
        (
            v["id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    }
}

/// A part of a multipart/form-data body.
pub enum Part<'a> {
    /// A form field: name, value.
    Field(&'a str, &'a str),
    /// A file: its name, its bytes.
    File(&'a str, &'a [u8]),
}

/// A multipart/form-data body and its content type, the parts in order.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "kizuna-test-boundary-7d1f";
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Field(name, value) => {
                body.extend(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, data) => {
                body.extend(format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).as_bytes());
                body.extend(*data);
                body.extend(b"\r\n");
            }
        }
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The small lab (seed 5) zipped as `evidence/…`, written once per test.
pub fn lab_bundle(dir: &Path) -> PathBuf {
    let lab = dir.join("lab");
    kizuna_lab::sim::generate(kizuna_lab::sim::Scenario::Small, 5, None, None, &lab).unwrap();
    let zip_path = dir.join("bundle.zip");
    kizuna_lab::bundle::zip_folder(&lab, "evidence", &zip_path).unwrap();
    zip_path
}

/// A new database on the shared test PostgreSQL server.
pub fn postgres() -> Location {
    kizuna_testbed::postgres::new_database()
        .url
        .parse()
        .unwrap()
}
