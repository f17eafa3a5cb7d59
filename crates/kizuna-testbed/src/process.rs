//! Processes: running helper commands with a time limit, and recognising the daemons we started.
//!
//! Samba rewrites its argv ("samba: root process"), so a process is identified by pid plus its start
//! time (field 22 of /proc/PID/stat), which a reused pid cannot share.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What /proc/PID/stat says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub state: char,
    pub pgrp: i32,
    pub start: u64,
}

pub(crate) fn stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may contain spaces and ')' — the fields we need follow the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: f.first()?.chars().next()?,
        pgrp: f.get(2)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

/// Running and not a zombie: PID 1 in a container may never reap, so a zombie counts as gone.
pub(crate) fn alive(pid: i32) -> bool {
    matches!(stat(pid), Some(s) if s.state != 'Z' && s.state != 'X')
}

/// Alive and still the process that had `start` as its start time.
pub(crate) fn same_process(pid: i32, start: u64) -> bool {
    matches!(stat(pid), Some(s) if s.state != 'Z' && s.state != 'X' && s.start == start)
}

pub(crate) fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

pub(crate) fn all_pids() -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

pub(crate) fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) has no memory effects; callers checked the pid is ours.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Waits until `gone()` holds or `limit` passes; true if gone.
pub(crate) fn wait_until(limit: Duration, mut gone: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    loop {
        if gone() {
            return true;
        }
        if t0.elapsed() >= limit {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// Finds an executable in PATH or the usual system dirs (samba lives in /usr/sbin, often not in PATH).
pub(crate) fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<std::path::PathBuf> = std::env::split_paths(&path).collect();
    for d in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        dirs.push(d.into());
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Output of a finished helper command.
pub(crate) struct Ran {
    pub ok: bool,
    pub code: Option<i32>,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with `input` on stdin, killing it after `limit` (a hung samba-tool must not hang a test run).
pub(crate) fn run(cmd: &mut Command, input: Option<&[u8]>, limit: Duration) -> Result<Ran, String> {
    // The system python must run samba-tool: a pyenv/venv PYTHONPATH breaks `import samba`.
    cmd.env_remove("PYTHONPATH").env_remove("PYTHONHOME");
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let pid = child.id() as i32;
    let writer = match (input, child.stdin.take()) {
        (Some(data), Some(mut stdin)) => {
            let data = data.to_vec();
            Some(thread::spawn(move || {
                // A child that exits early closes the pipe; its exit status tells why.
                let _ = stdin.write_all(&data);
            }))
        }
        _ => None,
    };
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(_) => {
            // Not reaped yet (the waiting thread still owns it), so the pid is still our child.
            signal(pid, libc::SIGKILL);
            let _ = rx.recv();
            return Err(format!(
                "{program} did not finish within {} s",
                limit.as_secs()
            ));
        }
    }
    .map_err(|e| format!("waiting for {program}: {e}"))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    Ok(Ran {
        ok: out.status.success(),
        code: out.status.code(),
        status: out.status.to_string(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What one benchmarked process cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Wall time, seconds.
    pub secs: f64,
    /// Peak resident set, KiB.
    pub peak_rss_kib: u64,
    /// CPU time (user + system), seconds.
    pub cpu_secs: f64,
}

/// Runs `cmd` to its end (stdout and stderr to /dev/null) for a benchmark: its wall time,
/// and its peak RSS and CPU time from the kernel's accounting (wait4). An exit code other
/// than 0 or 1 (kizuna's "ran" codes) is an error.
pub fn measure(cmd: &mut Command) -> Result<Measured, String> {
    let t = std::time::Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let pid = child.id() as i32;
    // Reaped by wait4 below (which also gives the rusage `Child::wait` does not).
    std::mem::forget(child);
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; both pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if r != pid {
        return Err(format!("wait4 {pid}: {}", std::io::Error::last_os_error()));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1) {
        return Err(format!("{cmd:?} failed: status {status}"));
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Measured {
        secs: t.elapsed().as_secs_f64(),
        peak_rss_kib: usage.ru_maxrss as u64,
        cpu_secs: secs(usage.ru_utime) + secs(usage.ru_stime),
    })
}
