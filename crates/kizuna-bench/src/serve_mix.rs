//! `kizuna-bench serve-mix`: a `kizuna serve` process (this build's, or another build's
//! for a before/after) under what a fleet's morning looks like — many small lab bundles
//! and one large one posted at once — while readers keep asking for the findings and the
//! devices. Reported: upload and read latencies (p50/p95/max), refused and failed requests,
//! and the server's peak memory, against the read latency of the same server idle,
//! measured in the same run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use kizuna_lab::sim::Scenario;
use kizuna_store::Location;

use crate::serve::line;

pub struct Mix {
    pub uploads: usize,
    pub readers: usize,
    pub large_devices: u32,
    pub large_days: u32,
    pub kizuna: Option<PathBuf>,
    pub db: Option<Location>,
    pub cache: Option<PathBuf>,
}

/// One upload's name, size, and status and latency (or why it was not answered).
type Sent = (String, usize, anyhow::Result<(u16, Duration)>);

/// The admin secret the served process gets from its environment.
const SECRET: &str = "kz_bench_mix_0123456789abcdef0123456789abcdef0123456789";

/// A `kizuna serve` child, killed (by its own pid) when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// The child's peak resident memory (`VmHWM`), in KiB.
    fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0)
    }
}

/// The lab bundle of `scenario`/`seed` as a zip in `cache`, generated when absent.
fn bundle(
    cache: &Path,
    scenario: Scenario,
    seed: u64,
    size: Option<(u32, u32)>,
) -> anyhow::Result<PathBuf> {
    let tag = match size {
        Some((devices, days)) => format!("{scenario:?}-{seed}-{devices}x{days}"),
        None => format!("{scenario:?}-{seed}"),
    };
    let zip = cache.join(format!("{tag}.zip"));
    if zip.exists() {
        return Ok(zip);
    }
    let lab = cache.join(&tag);
    let (devices, days) = size.unzip();
    kizuna_lab::sim::generate(scenario, seed, devices, days, &lab)?;
    let partial = cache.join(format!("{tag}.zip.part"));
    kizuna_lab::bundle::zip_folder(&lab, "evidence", &partial)?;
    std::fs::rename(&partial, &zip)?;
    std::fs::remove_dir_all(&lab)?;
    Ok(zip)
}

/// Starts `kizuna serve` on a free loopback port and waits for its address.
fn serve(kizuna: &Path, db: &Location, scratch: &Path, per_token: usize) -> anyhow::Result<Served> {
    let help = Command::new(kizuna).args(["serve", "--help"]).output()?;
    let mut cmd = Command::new(kizuna);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--lang", "en", "--db"])
        .arg(db.to_string())
        .arg("--scratch")
        .arg(scratch)
        .env("KIZUNA_ADMIN_TOKEN", SECRET)
        .env_remove("KIZUNA_KNOWLEDGE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Every upload of the mix at once, whatever the server's default (older builds have
    // no such limit).
    if String::from_utf8_lossy(&help.stdout).contains("--max-uploads-per-token") {
        cmd.args(["--max-uploads-per-token", &per_token.to_string()]);
    }
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take().expect("piped");
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let Some(line) = lines.next() else {
            let _ = child.kill();
            anyhow::bail!("kizuna serve ended before it listened");
        };
        let line = line?;
        if let Some(at) = line.find("http://") {
            let url = &line[at..];
            break url.split_whitespace().next().unwrap_or(url).to_string();
        }
    };
    // Keep draining the server's messages so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Served { child, base })
}

pub fn run(m: Mix) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let cache = m
        .cache
        .clone()
        .unwrap_or_else(|| temp.path().join("bundles"));
    std::fs::create_dir_all(&cache)?;
    let kizuna = match &m.kizuna {
        Some(k) => k.clone(),
        None => std::env::current_exe()?.with_file_name("kizuna"),
    };
    anyhow::ensure!(
        kizuna.exists(),
        "{} not found: build it (cargo build --release -p kizuna) or give --kizuna",
        kizuna.display()
    );

    let t = Instant::now();
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..m.uploads {
        let seed = 100 + i as u64;
        let zip = bundle(&cache, Scenario::Small, seed, None)?;
        bodies.push((format!("site{seed}.zip"), std::fs::read(zip)?));
    }
    if m.large_devices > 0 {
        let zip = bundle(
            &cache,
            Scenario::Contoso,
            6,
            Some((m.large_devices, m.large_days)),
        )?;
        bodies.push(("contoso.zip".into(), std::fs::read(zip)?));
    }
    let bytes: usize = bodies.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "bundles: {} small + {} large, {:.1} MB, ready in {:.1} s",
        m.uploads,
        usize::from(m.large_devices > 0),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let db =
        m.db.clone()
            .unwrap_or_else(|| Location::Sqlite(temp.path().join("served.db")));
    let server = serve(&kizuna, &db, &temp.path().join("scratch"), bodies.len())?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1800)))
        .build()
        .into();
    let auth = format!("Bearer {SECRET}");
    let get = |path: &str| -> anyhow::Result<Duration> {
        let t = Instant::now();
        let mut r = agent
            .get(format!("{}{path}", server.base))
            .header("Authorization", &auth)
            .call()?;
        r.body_mut().with_config().limit(1 << 30).read_to_string()?;
        anyhow::ensure!(r.status() == 200, "GET {path}: {}", r.status());
        Ok(t.elapsed())
    };

    // Baseline: the same server idle (one small bundle in, judged once).
    let (name, body) = &bodies[0];
    let r = agent
        .post(format!(
            "{}/api/v1/evidence?name=warmup-{name}",
            server.base
        ))
        .header("Authorization", &auth)
        .send(&body[..])?;
    anyhow::ensure!(r.status() == 200, "warm-up upload: {}", r.status());
    let idle: Vec<Duration> = (0..40)
        .map(|i| {
            get(if i % 2 == 0 {
                "/api/v1/findings"
            } else {
                "/api/v1/devices?limit=100"
            })
        })
        .collect::<anyhow::Result<_>>()?;

    // The mix: readers start, then every upload at once.
    let done = AtomicBool::new(false);
    let reads = Mutex::new(Vec::new());
    let failed_reads = Mutex::new(0usize);
    let gate = Arc::new(Barrier::new(bodies.len()));
    let started = Instant::now();
    let outcomes: Vec<Sent> = std::thread::scope(|s| {
        for r in 0..m.readers {
            let (get, done, reads, failed) = (&get, &done, &reads, &failed_reads);
            s.spawn(move || {
                let mut i = r;
                while !done.load(Ordering::Relaxed) {
                    let path = if i % 2 == 0 {
                        "/api/v1/findings"
                    } else {
                        "/api/v1/devices?limit=100"
                    };
                    match get(path) {
                        Ok(d) => reads.lock().unwrap().push(d),
                        Err(_) => *failed.lock().unwrap() += 1,
                    }
                    i += 1;
                }
            });
        }
        let handles: Vec<_> = bodies
            .iter()
            .map(|(name, body)| {
                let (agent, auth, gate, base) = (
                    agent.clone(),
                    auth.clone(),
                    gate.clone(),
                    server.base.clone(),
                );
                s.spawn(move || {
                    gate.wait();
                    let t = Instant::now();
                    let sent = agent
                        .post(format!("{base}/api/v1/evidence?name={name}"))
                        .header("Authorization", &auth)
                        .send(&body[..])
                        .map_err(anyhow::Error::from)
                        .map(|mut r| {
                            let _ = r.body_mut().read_to_string();
                            (r.status().as_u16(), t.elapsed())
                        });
                    (name.clone(), body.len(), sent)
                })
            })
            .collect();
        let out = handles
            .into_iter()
            .map(|h| h.join().expect("an upload thread panicked"))
            .collect();
        done.store(true, Ordering::Relaxed);
        out
    });
    let wall = started.elapsed();
    let rss = server.peak_rss_kib();

    let mut small = Vec::new();
    let mut large = Vec::new();
    let mut refused = 0;
    let mut failed = Vec::new();
    for (name, len, r) in outcomes {
        match r {
            Ok((200, d)) if name == "contoso.zip" => large.push(d),
            Ok((200, d)) => small.push(d),
            Ok((429, _)) => refused += 1,
            Ok((status, _)) => failed.push(format!("{name} ({len} B): {status}")),
            Err(e) => failed.push(format!("{name} ({len} B): {e}")),
        }
    }
    let reads = reads.into_inner().unwrap();
    let idle_p50 = {
        let mut v = idle.clone();
        v.sort();
        v[v.len() / 2]
    };
    let mut sorted = reads.clone();
    sorted.sort();
    let p95 = sorted
        .get(((sorted.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or_default();
    println!("server: {} ({db})", kizuna.display());
    println!("{}", line("idle reads (findings / devices)", idle));
    println!(
        "{} small + {} large uploads and {} readers at once: wall {:.2} s",
        m.uploads,
        usize::from(m.large_devices > 0),
        m.readers,
        wall.as_secs_f64()
    );
    println!("{}", line("  small uploads", small));
    if m.large_devices > 0 {
        println!("{}", line("  large upload", large));
    }
    println!("{}", line("  reads under load", reads));
    println!(
        "  read p95 under load / idle read p50: {:.1}x",
        p95.as_secs_f64() / idle_p50.as_secs_f64().max(1e-6)
    );
    println!(
        "  refused (429): {refused}; failed uploads: {}; failed reads: {}",
        failed.len(),
        failed_reads.into_inner().unwrap()
    );
    for f in failed.iter().take(5) {
        println!("    {f}");
    }
    println!("  server peak RSS: {:.0} MB", rss as f64 / 1024.0);
    Ok(())
}
