//! Schemathesis, pinned, in a virtual environment of its own under the build's target
//! folder: property-based tests of the server against its own OpenAPI description. Made
//! on first use (python3 and its venv module come from Debian packages when absent; the
//! package from PyPI), then reused by every later run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::{self, run};

/// The version every run uses: a new release may add checks, which is a decision, not an
/// accident of the day CI ran.
pub const VERSION: &str = "4.32.5";

/// Debian packages that give `python3 -m venv` with pip.
const PACKAGES: &[&str] = &["python3", "python3-venv"];

/// A ready `st` command.
pub struct Schemathesis {
    st: PathBuf,
    /// Where it runs: it keeps a cache in its working folder, which must not be the
    /// source tree.
    work: PathBuf,
}

impl Schemathesis {
    /// `st` from `<target_tmp>/schemathesis-VERSION`, made when absent. Concurrent
    /// callers (test threads, test binaries) wait for the first to finish.
    pub fn find_or_install(target_tmp: &Path) -> Result<Schemathesis, String> {
        let venv = target_tmp.join(format!("schemathesis-{VERSION}"));
        let st = venv.join("bin/st");
        std::fs::create_dir_all(target_tmp)
            .map_err(|e| format!("{}: {e}", target_tmp.display()))?;
        let lock_path = target_tmp.join(format!("schemathesis-{VERSION}.lock"));
        let lock = std::fs::File::create(&lock_path)
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("{}: {e}", lock_path.display()))?;
        let work = target_tmp.to_path_buf();
        if is_ready(&st) {
            return Ok(Schemathesis { st, work });
        }
        let python = crate::find_or_install("python3", PACKAGES)?;
        let make_venv = |python: &Path| {
            let _ = std::fs::remove_dir_all(&venv);
            run(
                Command::new(python).args(["-m", "venv"]).arg(&venv),
                None,
                Duration::from_secs(300),
            )
        };
        let made = make_venv(&python)?;
        if !made.ok {
            // Debian's python3 lacks ensurepip until python3-venv is installed.
            if process::euid() != 0 || process::which("apt-get").is_none() {
                return Err(format!(
                    "python3 -m venv failed and python3-venv cannot be installed here (needs \
                     root and apt-get):\n{}",
                    process::tail(&made.stderr, 10)
                ));
            }
            crate::apt_install(PACKAGES)?;
            let again = make_venv(&python)?;
            if !again.ok {
                return Err(format!(
                    "python3 -m venv failed:\n{}",
                    process::tail(&again.stderr, 10)
                ));
            }
        }
        let pip = run(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("schemathesis=={VERSION}")),
            None,
            Duration::from_secs(900),
        )?;
        if !pip.ok || !is_ready(&st) {
            return Err(format!(
                "pip install schemathesis=={VERSION} failed ({}):\n{}",
                pip.status,
                process::tail(&format!("{}{}", pip.stdout, pip.stderr), 20)
            ));
        }
        Ok(Schemathesis { st, work })
    }

    /// Runs `st run SCHEMA_URL ARGS…` (at most `limit`); returns whether it passed and its
    /// output.
    pub fn run(
        &self,
        schema_url: &str,
        args: &[&str],
        limit: Duration,
    ) -> Result<(bool, String), String> {
        let mut cmd = Command::new(&self.st);
        cmd.current_dir(&self.work)
            .arg("run")
            .arg(schema_url)
            .args(args)
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false");
        let r = run(&mut cmd, None, limit)?;
        Ok((r.ok, format!("{}{}", r.stdout, r.stderr)))
    }
}

fn is_ready(st: &Path) -> bool {
    Command::new(st)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(VERSION))
}
