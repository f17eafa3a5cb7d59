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
    };
    let mut sink = kizuna_core::input::sinks::Collect::default();
    let Ok(()) = kizuna_evidence::ingest_paths(&[PathBuf::from(path)], &options, &mut sink);
    sink.facts
        .iter()
        .filter(|(_, f)| matches!(f, kizuna_core::Fact::Event(_)))
        .count() as u64
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
