//! kizuna.exe under wine, for tests that hold the Windows build to the Linux build's
//! answers.
//!
//! Both halves are the project's own recipe, `scripts/windows.sh`: `build` makes the exe
//! in a Debian trixie chroot under `target/windows/` (about ten minutes the first time,
//! seconds when nothing changed) and `wine` runs a program under that chroot's wine 10
//! with the checkout's parent folder and the temporary folder at their own paths. Nothing
//! is installed on the host but debootstrap; a program started here is stopped by its pid.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{self, run};

/// The first build makes the chroot and compiles std and every crate on 2 cores.
const BUILD_LIMIT: Duration = Duration::from_secs(45 * 60);
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// A built kizuna.exe and the script that runs it.
#[derive(Debug, Clone)]
pub struct WindowsKizuna {
    script: PathBuf,
    exe: PathBuf,
}

/// What one run under wine printed and returned.
#[derive(Debug, Clone)]
pub struct WineRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl WindowsKizuna {
    /// Builds (or brings up to date) kizuna.exe for the workspace at `workspace`. Tests of
    /// one binary run in threads: the first builds, the others wait for its result.
    pub fn build(workspace: &Path) -> Result<WindowsKizuna, String> {
        static BUILT: OnceLock<Result<WindowsKizuna, String>> = OnceLock::new();
        BUILT.get_or_init(|| build(workspace)).clone()
    }

    /// The exe, as a Linux path.
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// The Windows path of a Linux path (wine's `Z:` drive is `/`).
    pub fn windows_path(&self, p: &Path) -> String {
        format!("Z:{}", p.display()).replace('/', "\\")
    }

    /// `kizuna.exe ARGS` in `dir` with only `env` set (no `LANG` or `KIZUNA_*` of the
    /// test's own); killed after five minutes.
    pub fn run(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<WineRun, String> {
        let mut cmd = self.command(dir, env);
        cmd.arg(&self.exe).args(args);
        finished(run(&mut cmd, None, RUN_LIMIT)?)
    }

    /// `cmd /c LINE` in `dir`: for what only a Windows shell does (`chcp`, `set`).
    pub fn cmd(&self, dir: &Path, line: &str, env: &[(&str, &str)]) -> Result<WineRun, String> {
        let mut cmd = self.command(dir, env);
        cmd.args(["cmd", "/c", line]);
        finished(run(&mut cmd, None, RUN_LIMIT)?)
    }

    /// The command that runs a Windows program under wine in `dir` with `env`: add the
    /// program (`kizuna.exe`'s Linux path, or `cmd`) and its arguments. Its process is the
    /// Windows program itself, so killing it stops the program.
    pub fn command(&self, dir: &Path, env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(&self.script);
        let vars: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        cmd.arg("wine").arg(dir).env("KIZUNA_WINE_ENV", vars);
        cmd
    }
}

fn finished(r: process::Ran) -> Result<WineRun, String> {
    Ok(WineRun {
        code: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
    })
}

fn build(workspace: &Path) -> Result<WindowsKizuna, String> {
    if process::euid() != 0 {
        return Err(
            "kizuna.exe is built in a Debian chroot, which needs root (debootstrap, chroot, \
             mount): run the tests as root, or `scripts/windows.sh build` as root first"
                .into(),
        );
    }
    let script = workspace.join("scripts/windows.sh");
    let r = run(Command::new(&script).arg("build"), None, BUILD_LIMIT)?;
    if !r.ok {
        return Err(format!(
            "{} build failed ({}):\n{}",
            script.display(),
            r.status,
            process::tail(&format!("{}{}", r.stdout, r.stderr), 40)
        ));
    }
    let exe = workspace.join("target/windows/kizuna.exe");
    if !exe.is_file() {
        return Err(format!("{} built no {}", script.display(), exe.display()));
    }
    Ok(WindowsKizuna { script, exe })
}
