//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/corpus`, or `None` with a loud message when this checkout has no `../shared`.
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        Some(p.canonicalize().expect("corpus path"))
    } else {
        eprintln!("\n!!!!! SKIPPED: ../shared/corpus is absent; corpus tests did not run !!!!!\n");
        None
    }
}

/// Runs the kizuna binary in `dir`, in English, at 2026-11-21.
pub fn kizuna(dir: &Path, args: &[&str]) -> Output {
    kizuna_at(dir, "2026-11-21T00:00:00Z", args)
}

/// Runs the kizuna binary in `dir` in English with "now" = `now` (RFC 3339) and the
/// built-in knowledge.
pub fn kizuna_at(dir: &Path, now: &str, args: &[&str]) -> Output {
    english(&mut Command::new(env!("CARGO_BIN_EXE_kizuna")))
        .args(args)
        .current_dir(dir)
        .env("KIZUNA_NOW", now)
        .output()
        .expect("kizuna runs")
}

/// `cmd` in English with the built-in knowledge, whatever the test's environment says.
pub fn english(cmd: &mut Command) -> &mut Command {
    cmd.env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("KIZUNA_KNOWLEDGE_DIR")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The findings of a scan JSON or a lab's truth.json as comparable keys:
/// (rule, severity, subjects).
#[allow(dead_code)]
pub fn finding_keys(
    v: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, Vec<String>)> {
    v["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                subjects(f),
            )
        })
        .collect()
}

/// Runs `kizuna demo --out OUT --lang LANG --format json` in `dir`; returns its scan JSON.
pub fn demo_json(dir: &Path, out: &str, lang: &str) -> serde_json::Value {
    let o = kizuna(
        dir,
        &["demo", "--out", out, "--lang", lang, "--format", "json"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    json(&o)
}

/// The subjects of one finding of a scan JSON.
pub fn subjects(finding: &serde_json::Value) -> Vec<String> {
    finding["subjects"]
        .as_array()
        .expect("a subjects array")
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Every rule the `small` lab (and so the demo) must show.
pub const SMALL_LAB_RULES: [&str; 15] = [
    "KZ-SC-001",
    "KZ-SC-002",
    "KZ-SC-003",
    "KZ-SC-004",
    "KZ-KRB-001",
    "KZ-NTLM-001",
    "KZ-SID-001",
    "KZ-SID-002",
    "KZ-SID-003",
    "KZ-SID-004",
    "KZ-POL-001",
    "KZ-POL-002",
    "KZ-POL-003",
    "KZ-POL-004",
    "KZ-DC-001",
];

/// What a scan of a lab's evidence told the workaround's expiry (`--expires`, as of the
/// lab's end) reports: `findings` and `workaround.findings` of its truth.json.
pub fn truth_keys_with_expiry(
    truth: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, Vec<String>)> {
    let mut keys = finding_keys(truth);
    keys.extend(finding_keys(&truth["workaround"]));
    keys
}

/// The rule ids of a scan JSON's findings.
pub fn rule_ids(v: &serde_json::Value) -> std::collections::BTreeSet<String> {
    v["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id").to_string())
        .collect()
}

/// The device names of a scan JSON.
pub fn device_names(v: &serde_json::Value) -> std::collections::BTreeSet<String> {
    v["devices"]
        .as_array()
        .expect("a devices array")
        .iter()
        .map(|d| d["name"].as_str().expect("a name").to_string())
        .collect()
}

/// A page that loads nothing: no external scripts, styles, fonts, images or frames (the
/// SVG namespace is a name, not a request), and a CSP that forbids loading.
pub fn assert_self_contained(html: &str) {
    for needle in [
        "src=", "<link", "@import", "url(", "http://", "https://", "<iframe", "<img", "//cdn",
    ] {
        let hits: Vec<&str> = html
            .match_indices(needle)
            .map(|(i, _)| {
                let mut from = i.saturating_sub(40);
                while !html.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (i + 60).min(html.len());
                while !html.is_char_boundary(to) {
                    to += 1;
                }
                &html[from..to]
            })
            .filter(|ctx| !ctx.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            .collect();
        assert!(hits.is_empty(), "{needle}: {hits:?}");
    }
    assert!(html.contains("default-src 'none'"), "a CSP forbids loading");
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

pub use kizuna_core::input::sinks::Collect;

/// Finding an input's report among those collected.
pub trait Reported {
    /// The report of the input whose path ends with `suffix`.
    fn report(&self, suffix: &str) -> &kizuna_core::InputReport;
}

impl Reported for Collect {
    fn report(&self, suffix: &str) -> &kizuna_core::InputReport {
        self.reports
            .iter()
            .find(|r| r.path.ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} not reported: {:#?}", self.reports))
    }
}

/// The base URL a starting `kizuna serve` (or kizuna.exe under wine) prints on stderr
/// ("serving on http://…"); the rest of stderr is drained so the server never blocks on it.
/// Each line up to then goes through `check`. Panics with what it printed when it stops first.
pub fn serving_base(child: &mut std::process::Child, check: impl Fn(&str)) -> String {
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("kizuna serve stopped before listening: {seen:?}");
        };
        check(&line);
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        seen.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    base
}

/// Everything the database says about the facts of each complete input: its report and
/// every stored row (without row ids), sorted, so two stores compare by content.
#[derive(Debug, PartialEq, Eq)]
pub struct Contents {
    pub inputs: std::collections::BTreeMap<String, String>,
    pub rows: std::collections::BTreeMap<String, Vec<String>>,
    pub incomplete: i64,
}

pub fn contents(db: &Path) -> Contents {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut inputs = std::collections::BTreeMap::new();
    let mut s = c
        .prepare(
            "SELECT fingerprint, kind, status, records, kept, errors, error_count, size, first_path
             FROM inputs WHERE complete = 1",
        )
        .unwrap();
    let mut q = s.query([]).unwrap();
    while let Some(r) = q.next().unwrap() {
        let fp: String = r.get(0).unwrap();
        let rest: Vec<String> = (1..9)
            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
            .collect();
        inputs.insert(fp, rest.join(" "));
    }
    let mut rows = std::collections::BTreeMap::new();
    for table in ["events", "netlogon", "identity"] {
        let cols: Vec<String> = c
            .prepare(&format!("PRAGMA table_info({table})"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(1))
            .unwrap()
            .map(Result::unwrap)
            .filter(|n| n != "id" && n != "input_id")
            .collect();
        let sql = format!(
            "SELECT i.fingerprint, {} FROM {table} t JOIN inputs i ON i.id = t.input_id
             WHERE i.complete = 1",
            cols.iter()
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut s = c.prepare(&sql).unwrap();
        let mut q = s.query([]).unwrap();
        let mut all = Vec::new();
        while let Some(r) = q.next().unwrap() {
            let v: Vec<String> = (0..=cols.len())
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            all.push(v.join("|"));
        }
        all.sort();
        rows.insert(table.to_string(), all);
    }
    let incomplete = c
        .query_row("SELECT COUNT(*) FROM inputs WHERE complete = 0", [], |r| {
            r.get(0)
        })
        .unwrap();
    Contents {
        inputs,
        rows,
        incomplete,
    }
}
