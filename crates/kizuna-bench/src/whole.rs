//! `kizuna-bench whole PATH…`: what a user waits for. `kizuna scan` and `kizuna events`
//! run as child processes, one thread, over the given files, against the evtx crate's own
//! JSON rendering of the same files, also as a child process (`kizuna-bench render-evtx`,
//! what `evtx_dump -o jsonl` does) — start-up, hashing, the store and the output counted,
//! not only the inner loop. The three alternate, round after round; medians and each
//! child's peak memory are reported, with the ratios.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use evtx::{EvtxParser, ParserSettings};

/// One child's wall time and peak resident memory (KiB).
#[derive(Debug, Clone, Copy)]
struct Ran {
    wall: Duration,
    max_rss_kib: u64,
}

/// Runs `cmd` to the end with its output thrown away; its time and peak memory.
fn run(cmd: &mut Command) -> anyhow::Result<Ran> {
    let t = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped; the pointers outlive the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed();
    anyhow::ensure!(reaped == pid, "wait4: {}", std::io::Error::last_os_error());
    // kizuna exits 1 when it found something: that is a result, not a failure.
    let code = libc::WEXITSTATUS(status);
    anyhow::ensure!(
        libc::WIFEXITED(status) && code <= 1,
        "{cmd:?} failed (status {status})"
    );
    std::mem::forget(child);
    Ok(Ran {
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
    })
}

/// What is timed.
enum Mode {
    /// The baseline: `kizuna-bench render-evtx`.
    Render,
    Scan,
    Events,
}

impl Mode {
    fn name(&self) -> &'static str {
        match self {
            Mode::Render => "evtx crate, every record to JSON (render-evtx)",
            Mode::Scan => "kizuna scan --threads 1 --format json",
            Mode::Events => "kizuna events --threads 1 --format jsonl",
        }
    }

    fn command(&self, me: &Path, kizuna: &Path, paths: &[PathBuf]) -> Command {
        match self {
            Mode::Render => {
                let mut c = Command::new(me);
                c.arg("render-evtx").args(paths);
                c
            }
            Mode::Scan => {
                let mut c = Command::new(kizuna);
                c.args(["scan", "--threads", "1", "--format", "json", "-q"])
                    .args(paths)
                    .env("KIZUNA_NOW", "2026-12-07T00:00:00Z");
                c
            }
            Mode::Events => {
                let mut c = Command::new(kizuna);
                c.args(["events", "--threads", "1", "--format", "jsonl", "-q"])
                    .args(paths);
                c
            }
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn run_whole(paths: &[PathBuf], kizuna: Option<PathBuf>, runs: usize) -> anyhow::Result<()> {
    let me = std::env::current_exe()?;
    let kizuna = kizuna.unwrap_or_else(|| me.with_file_name("kizuna"));
    anyhow::ensure!(
        kizuna.exists(),
        "{} not found: build it (cargo build --release -p kizuna) or give --kizuna",
        kizuna.display()
    );
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let modes = [Mode::Render, Mode::Scan, Mode::Events];
    let cmd = |m: &Mode| m.command(&me, &kizuna, paths);
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    let mut rss = vec![0u64; modes.len()];
    // One untimed round warms the page cache for all three alike.
    for m in &modes {
        run(&mut cmd(m))?;
    }
    for _ in 0..runs.max(1) {
        for (i, m) in modes.iter().enumerate() {
            let r = run(&mut cmd(m))?;
            walls[i].push(r.wall);
            rss[i] = rss[i].max(r.max_rss_kib);
        }
    }
    let medians: Vec<Duration> = walls.into_iter().map(median).collect();
    println!(
        "{} files, {:.1} MB, {} runs each (alternating), medians:",
        paths.len(),
        bytes as f64 / 1e6,
        runs.max(1)
    );
    for (i, m) in modes.iter().enumerate() {
        let name = m.name();
        let ratio = medians[0].as_secs_f64() / medians[i].as_secs_f64().max(1e-9);
        println!(
            "  {name}: {:.3} s, peak RSS {:.1} MB, {ratio:.2}x the renderer's speed",
            medians[i].as_secs_f64(),
            rss[i] as f64 / 1024.0
        );
    }
    Ok(())
}

/// `kizuna-bench render-evtx PATH…`: every record of every EVTX file rendered to JSON by
/// the evtx crate on one thread and written to stdout as JSON lines (evtx_dump's work).
pub fn render(paths: &[PathBuf]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    for p in paths {
        render_file(p, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

fn render_file(path: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let Ok(parser) = EvtxParser::from_path(path) else {
        return Ok(());
    };
    let mut parser = parser.with_configuration(ParserSettings::new().num_threads(1));
    for rec in parser.records_json().flatten() {
        out.write_all(rec.data.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
