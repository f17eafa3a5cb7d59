//! The benchmarks measure what they claim: the baseline and kizuna read the same records.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `../shared/corpus`, or `None` (loudly) where it is absent.
fn corpus() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; the corpus tests need ../shared/corpus",
            root.display()
        );
        None
    }
}

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuna-bench"))
        .args(args)
        .output()
        .unwrap()
}

/// The watched events the readers of `kizuna events` keep from `path`.
fn watched_events(path: &str) -> u64 {
    let options = kizuna_evidence::ReadOptions {
        threads: 1,
        year: None,
        knowledge: std::sync::Arc::new(kizuna_core::Knowledge::builtin()),
        evtx: kizuna_evidence::EvtxPath::Prefiltered,
        progress: Default::default(),
        limits: Default::default(),
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let mut sink = kizuna_core::input::sinks::Collect::default();
    let Ok(()) = kizuna_evidence::ingest_paths(&[PathBuf::from(path)], &options, &mut sink);
    sink.facts
        .iter()
        .filter(|(_, f)| matches!(f, kizuna_core::Fact::Event(_)))
        .count() as u64
}

/// The kizuna binary of this build, beside kizuna-bench: `cargo test --workspace` builds
/// it (a nested `cargo build` here would wait on this run's own lock).
fn kizuna_exe() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kizuna-bench")).with_file_name("kizuna");
    assert!(
        exe.exists(),
        "{} is missing: run the workspace's tests (or cargo build -p kizuna first)",
        exe.display()
    );
    exe
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `kizuna-bench evtx` on the real NETLOGON logs: both modes read the same records, and
/// the watched events it counts are the ones `kizuna events` lists.
#[test]
fn bench_evtx_reads_the_same_records_as_the_baseline() {
    let Some(root) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let logs = root.join("evtx/netlogon");
    let logs = logs.to_str().unwrap();
    let o = bench(&["evtx", logs, "--threads", "1", "--runs", "1"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("workload: evtx, 6 files"), "{out}");
    assert!(!out.contains("record counts differ"), "{out}");
    let watched: u64 = out
        .lines()
        .find(|l| l.starts_with("| kizuna full path"))
        .and_then(|l| l.split(" watched events").next())
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no watched count in {out}"));
    assert_eq!(watched_events(logs), watched);
    assert!(watched > 0);

    let none = bench(&["evtx", dir.path().to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2), "no EVTX file is a usage error");
}

/// `kizuna-bench serve-mix` drives a real `kizuna serve` process: every upload answered,
/// none refused or failed, readers answered throughout, and the server's memory measured.
#[test]
fn bench_serve_mix_sends_every_upload_and_reads_throughout() {
    let exe = kizuna_exe();
    let o = bench(&[
        "serve-mix",
        "--uploads",
        "3",
        "--readers",
        "2",
        "--large-devices",
        "0",
        "--kizuna",
        exe.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("small uploads: n=3,"), "{out}");
    assert!(
        out.contains("refused (429): 0; failed uploads: 0; failed reads: 0"),
        "{out}"
    );
    let reads: u64 = out
        .lines()
        .find(|l| l.contains("reads under load: n="))
        .and_then(|l| l.split("n=").nth(1))
        .and_then(|n| n.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        reads >= 2,
        "the readers were answered while uploads ran: {out}"
    );
    let rss = out
        .lines()
        .find(|l| l.contains("server peak RSS:"))
        .unwrap_or_default();
    assert!(!rss.contains(": 0 MB"), "{out}");
}

/// `kizuna-bench render-evtx` renders every record (one JSON line each, as the evtx crate
/// counts them), and `kizuna-bench whole` times the three processes on the same files.
#[test]
fn bench_whole_times_kizuna_against_a_renderer_that_renders_everything() {
    let Some(root) = corpus() else { return };
    let file = root.join("evtx/security/mitre-kerbrute-user-enum_4768-4771.evtx");
    let file = file.to_str().unwrap();
    let o = bench(&["render-evtx", file]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut parser = evtx::EvtxParser::from_path(file).unwrap();
    let records = parser.records_json().filter(|r| r.is_ok()).count();
    assert!(records > 0);
    assert_eq!(lines.len(), records, "one JSON line per record");

    let exe = kizuna_exe();
    let o = bench(&[
        "whole",
        file,
        "--runs",
        "1",
        "--kizuna",
        exe.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    for mode in ["render-evtx", "kizuna scan", "kizuna events"] {
        let line = out
            .lines()
            .find(|l| l.contains(mode))
            .unwrap_or_else(|| panic!("{mode}: {out}"));
        assert!(line.contains("x the renderer's speed"), "{line}");
        assert!(!line.contains("peak RSS 0.0 MB"), "{line}");
    }
}
