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

/// Runs the kizuna binary in `dir`.
pub fn kizuna(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuna"))
        .args(args)
        .current_dir(dir)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("KIZUNA_NOW", "2026-11-21T00:00:00Z")
        .output()
        .expect("kizuna runs")
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
                f["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}
