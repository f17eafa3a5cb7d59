//! Independent readers from PyPI (python-evtx, regipy) in a virtual environment under the
//! cargo target folder, installed on first use. The tests prove the lab writers against
//! parsers nobody on this project wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Pinned so a registry release cannot change what the tests prove.
pub const PYTHON_PACKAGES: &[&str] = &["python-evtx==0.8.1", "regipy==6.5.0"];

static VENV: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The venv's python, with [`PYTHON_PACKAGES`] installed. Panics with the pip output when
/// the install fails: these tests must not pass without the independent reader.
pub fn python() -> PathBuf {
    let mut guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.as_ref() {
        return p.clone();
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kizuna-pyvenv");
    let py = dir.join("bin").join("python");
    let stamp = dir.join("installed.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let host = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        run(
            Command::new(&host).args(["-m", "venv"]).arg(&dir),
            "creating the venv",
        );
        run(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(PYTHON_PACKAGES),
            "pip install",
        );
        std::fs::write(&stamp, &wanted).expect("writing the venv stamp");
    }
    *guard = Some(py.clone());
    py
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a Python script with the venv's python; returns stdout. Panics with stderr on failure.
pub fn run_python(script: &str, args: &[&Path]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("starting python");
    assert!(
        out.status.success(),
        "python failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python printed UTF-8")
}
