//! `kizuna-bench serve`: the team server under load, on loopback. Collectors post
//! inventories of `--devices` devices in `--uploads` concurrent requests; then readers
//! page through the devices and fetch the findings. Latencies (p50/p95/max) and the
//! process's peak memory are reported against a baseline measured in the same run: the
//! same files read straight into an SQLite store and judged, with no HTTP, no tokens and no
//! concurrency.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use kizuna_core::Knowledge;
use kizuna_store::{FactFilter, Location, Store};

use crate::inventory::{peak_rss_kib, write_inventory_rows};

/// What the readers do once the uploads are in.
const READERS: usize = 8;
const PAGES_PER_READER: usize = 25;

pub struct Load {
    pub uploads: usize,
    pub devices: usize,
    pub threads: usize,
    /// An empty store to serve from (default: a temporary SQLite file).
    pub db: Option<Location>,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

pub(crate) fn line(what: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{what}: n={}, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        v.len(),
        ms(percentile(&v, 0.5)),
        ms(percentile(&v, 0.95)),
        ms(*v.last().unwrap_or(&Duration::ZERO)),
    )
}

/// One inventory per upload, the devices split evenly (SIDs shared across files too).
fn write_uploads(dir: &Path, uploads: usize, devices: usize) -> std::io::Result<Vec<PathBuf>> {
    let per = devices.div_ceil(uploads.max(1));
    (0..uploads)
        .map(|u| {
            let path = dir.join(format!("site{u:03}-inventory.csv"));
            let start = u * per;
            write_inventory_rows(&path, start, per.min(devices.saturating_sub(start)))?;
            Ok(path)
        })
        .collect()
}

pub fn run(l: Load) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let files = write_uploads(temp.path(), l.uploads, l.devices)?;
    let knowledge = Arc::new(Knowledge::builtin());
    let opts = kizuna_evidence::ReadOptions {
        threads: l.threads,
        year: None,
        knowledge: knowledge.clone(),
        evtx: kizuna_evidence::EvtxPath::Prefiltered,
        progress: Default::default(),
        limits: Default::default(),
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let rss0 = peak_rss_kib();

    // Baseline: the same files read into a store one after the other, then judged.
    let t = Instant::now();
    let mut store = Store::open(&temp.path().join("baseline.db"))?;
    let mut base_uploads = Vec::new();
    for f in &files {
        let t = Instant::now();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        kizuna_evidence::ingest_files(vec![(f.clone(), name)], &opts, &mut store)?;
        store.take_run();
        base_uploads.push(t.elapsed());
    }
    let base_ingest = t.elapsed();
    let t = Instant::now();
    let want = kizuna_pipeline::analyze_stored(
        &store,
        &FactFilter::default(),
        &knowledge,
        None,
        None,
        chrono::Utc::now(),
    )?;
    let base_judge = t.elapsed();
    drop(store);
    let rss_base = peak_rss_kib();

    // The server, with an admin token nobody sees.
    let secret = format!("kz_bench_{}", std::process::id()) + &"0".repeat(40);
    let config = kizuna_server::Config {
        listen: "127.0.0.1:0".parse()?,
        db: l
            .db
            .clone()
            .unwrap_or_else(|| Location::Sqlite(temp.path().join("served.db"))),
        tls: None,
        allow_plain_http: false,
        trusted_proxies: Vec::new(),
        uploads: kizuna_server::Uploads {
            scratch: temp.path().join("scratch"),
            max_bytes: 1 << 30,
            threads: l.threads,
            limits: Default::default(),
            pace: Default::default(),
            per_token: 1000,
        },
        knowledge,
        admin_token: Some(secret.clone()),
        fixed_now: None,
    };
    let state = kizuna_server::open(&config)?;
    let server = kizuna_server::listen::Background::start(
        config.listen,
        kizuna_server::app(state),
        None,
        l.threads.max(2),
    )?;
    let base = format!("http://{}", server.addr);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let auth = format!("Bearer {secret}");

    // All uploads at once.
    let gate = Arc::new(Barrier::new(files.len()));
    let t = Instant::now();
    let handles: Vec<_> = files
        .iter()
        .map(|f| {
            let (agent, auth, gate, base) =
                (agent.clone(), auth.clone(), gate.clone(), base.clone());
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let body = std::fs::read(f);
            std::thread::spawn(move || -> anyhow::Result<Duration> {
                let body = body?;
                gate.wait();
                let t = Instant::now();
                let r = agent
                    .post(format!("{base}/api/v1/evidence?name={name}"))
                    .header("Authorization", &auth)
                    .send(&body[..])?;
                anyhow::ensure!(r.status() == 200, "upload {name}: {}", r.status());
                Ok(t.elapsed())
            })
        })
        .collect();
    let mut uploads = Vec::new();
    for h in handles {
        uploads.push(
            h.join()
                .map_err(|_| anyhow::anyhow!("an upload thread panicked"))??,
        );
    }
    let upload_wall = t.elapsed();
    let rss_up = peak_rss_kib();

    let get = |path: &str| -> anyhow::Result<(Duration, String)> {
        let t = Instant::now();
        let mut r = agent
            .get(format!("{base}{path}"))
            .header("Authorization", &auth)
            .call()?;
        let body = r.body_mut().with_config().limit(1 << 30).read_to_string()?;
        anyhow::ensure!(r.status() == 200, "GET {path}: {}", r.status());
        Ok((t.elapsed(), body))
    };
    // The first read judges the whole store; later ones find it cached.
    let (first_findings, body) = get("/api/v1/findings")?;
    let served: serde_json::Value = serde_json::from_str(&body)?;
    anyhow::ensure!(
        served["total"].as_u64() == Some(want.findings.len() as u64),
        "the server found {} findings, the baseline {}",
        served["total"],
        want.findings.len()
    );
    let pages: Vec<Duration> = std::thread::scope(|s| {
        let devices = want.devices.len().max(1);
        let handles: Vec<_> = (0..READERS)
            .map(|r| {
                let get = &get;
                s.spawn(move || -> anyhow::Result<Vec<Duration>> {
                    (0..PAGES_PER_READER)
                        .map(|p| {
                            let offset = ((r * PAGES_PER_READER + p) * 100) % devices;
                            let path = format!(
                                "/api/v1/devices?sort=severity&order=desc&limit=100&offset={offset}"
                            );
                            Ok(get(&path)?.0)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow::anyhow!("a reader panicked"))?)
            .collect::<anyhow::Result<Vec<Vec<Duration>>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    let mut findings = Vec::new();
    for _ in 0..20 {
        findings.push(get("/api/v1/findings")?.0);
    }
    drop(server);
    let rss_all = peak_rss_kib();

    println!(
        "workload: {} concurrent uploads of inventories, {} devices in all, {} findings; store {}",
        files.len(),
        want.devices.len(),
        want.findings.len(),
        l.db.as_ref()
            .map_or("SQLite (temporary)".to_string(), ToString::to_string)
    );
    println!(
        "baseline (same files read straight into an SQLite file, one by one, no HTTP): ingest {:.2} s, judge {:.2} s",
        base_ingest.as_secs_f64(),
        base_judge.as_secs_f64()
    );
    println!("{}", line("baseline per file", base_uploads));
    println!(
        "served: all uploads in {:.2} s ({:.2}x the baseline ingest)",
        upload_wall.as_secs_f64(),
        upload_wall.as_secs_f64() / base_ingest.as_secs_f64()
    );
    println!("{}", line("upload latency", uploads));
    println!(
        "first GET /api/v1/findings (judges the store): {:.1} ms ({:.2}x the baseline judge)",
        first_findings.as_secs_f64() * 1e3,
        first_findings.as_secs_f64() / base_judge.as_secs_f64()
    );
    println!("{}", line("GET /api/v1/findings, cached", findings));
    println!("{}", line("GET /api/v1/devices page of 100", pages));
    println!(
        "peak RSS (KiB): start {}, after baseline {}, after uploads {}, at the end {}",
        rss0.unwrap_or(0),
        rss_base.unwrap_or(0),
        rss_up.unwrap_or(0),
        rss_all.unwrap_or(0)
    );
    Ok(())
}
