//! What the command line says on stderr: the progress line only on a terminal (a real
//! pseudo-terminal from util-linux `script`), notes from the catalogs in the chosen
//! language, `--quiet` silencing progress and notes but never errors.

use crate::common;

use std::process::Command;

use common::kizuna;

/// A small evidence folder: the demo lab's.
fn lab(dir: &std::path::Path) {
    let o = kizuna(dir, &["lab", "generate", "--out", "lab", "--seed", "3"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// Runs kizuna with its stdout and stderr on a pseudo-terminal; returns what the
/// terminal received.
fn on_terminal(dir: &std::path::Path, args: &str) -> String {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_kizuna"));
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir)
        .env("LANG", "en_US.UTF-8")
        .env("KIZUNA_NOW", "2026-11-21T00:00:00Z")
        .output()
        .expect("util-linux script runs");
    // `script` passes kizuna's exit code on (1: findings at or above --fail-on).
    assert!(o.status.code().is_some_and(|c| c <= 1), "{:?}", o.status);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn progress_is_drawn_on_a_terminal_only_and_quiet_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    lab(dir.path());
    let tty = on_terminal(dir.path(), "scan lab/evidence --format json");
    assert!(tty.contains("kizuna: reading "), "{tty:.300}");
    assert!(
        tty.contains(" files, ") && tty.contains(" MB, "),
        "{tty:.300}"
    );
    assert!(
        tty.contains("\rkizuna: reading "),
        "the line is redrawn in place"
    );
    // No escape sequence: a classic Windows console draws it as it is.
    assert!(!tty.contains('\x1b'), "{tty:.300}");
    // Erased at the end with spaces: the report starts at the beginning of a clean line.
    let erased = tty.rfind("kizuna: reading ").unwrap();
    let after = &tty[erased..];
    let blank = after.find('\r').unwrap();
    assert!(
        after[blank..].starts_with("\r    ") && after[blank..].contains(" \r"),
        "{after:.300}"
    );

    let quiet = on_terminal(dir.path(), "scan lab/evidence --format json --quiet");
    assert!(!quiet.contains("reading"), "{quiet:.300}");
    assert!(
        quiet.contains("\"schema_version\": 1"),
        "the report itself is unchanged"
    );

    // Piped stderr (a script, a CI log) gets no progress line.
    let piped = kizuna(dir.path(), &["scan", "lab/evidence", "--format", "json"]);
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(!err.contains("reading") && !err.contains('\x1b'), "{err}");
}

#[test]
fn notes_speak_the_chosen_language_and_quiet_keeps_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna(dir.path(), &["demo", "--out", "d", "--lang", "ja"]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("デモ: ラボ ドメイン corp.example"), "{err}");
    assert!(err.contains("スキャン #1 として記録しました"), "{err}");
    assert!(err.contains("report.html を書き出しました"), "{err}");

    let o = kizuna(dir.path(), &["demo", "--out", "q", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "", "--quiet: no notes");

    std::fs::write(dir.path().join("empty.bin"), b"").unwrap();
    let o = kizuna(dir.path(), &["scan", "missing-folder", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nothing readable in the given paths"), "{err}");
    assert!(
        err.contains("missing-folder: no such file or folder"),
        "{err}"
    );
    // The JSON contract holds on exit 2 too: every input with why it could not be read.
    std::fs::write(dir.path().join("notes.txt"), b"not evidence\n").unwrap();
    let o = kizuna(
        dir.path(),
        &["scan", "missing-folder", "notes.txt", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = common::json(&o);
    let inputs: Vec<(&str, &str)> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["path"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        inputs,
        [("missing-folder", "error"), ("notes.txt", "skipped")]
    );
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["devices"], serde_json::json!([]));
}
