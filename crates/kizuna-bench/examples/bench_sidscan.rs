//! SID scan benchmark: `kizuna sid scan` over N distinct targets (default 10,000) — the
//! project's Samba SID hosts answering on thousands of addresses each, plus a share of
//! black-holed addresses (default 5 %) — against, in the same run, plain TCP connects to
//! port 445 of the same targets with the same concurrency and timeout (what any scanner
//! must at least do). Reports hosts/s, the wall time and the peak RSS of the kizuna
//! process (wait4), and the ratio to the baseline. Run as root with a release build:
//!
//! ```sh
//! cargo build --release -p kizuna
//! cargo run --release -p kizuna-bench --example bench_sidscan -- 10000 0.05 32
//! ```

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};

const TIMEOUT_SECS: u64 = 2;

/// Plain connects to port 445 of every target, `at_once` at a time; returns (seconds,
/// connected).
fn connects(targets: &[String], at_once: usize) -> (f64, usize) {
    let next = AtomicUsize::new(0);
    let connected = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..at_once {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(host) = targets.get(i) else {
                        break;
                    };
                    let addr: SocketAddr = format!("{host}:445").parse().expect("an address");
                    if TcpStream::connect_timeout(&addr, Duration::from_secs(TIMEOUT_SECS)).is_ok()
                    {
                        connected.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    (t.elapsed().as_secs_f64(), connected.into_inner())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let silent_share: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(0.05);
    let at_once: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);
    let kizuna = std::env::var("KIZUNA_BIN").unwrap_or_else(|_| "target/release/kizuna".into());

    let t = Instant::now();
    let set = SidHosts::start(&[
        "S-1-5-21-1111111111-2222222222-3333333361",
        "S-1-5-21-1111111111-2222222222-3333333361",
        "S-1-5-21-1111111111-2222222222-3333333362",
    ])
    .expect("SID hosts");
    let silent_n = ((n as f64) * silent_share).round() as usize;
    let per_host = (n - silent_n).div_ceil(set.hosts.len()).max(silent_n);
    let (answering, silent) = set.add_aliases(per_host).expect("aliases");
    // Interleaved, so silent targets are spread over the run as on a real network.
    let mut targets: Vec<String> = answering.into_iter().take(n - silent_n).collect();
    let every = targets.len() / silent_n.max(1) + 1;
    for (k, s) in silent.into_iter().take(silent_n).enumerate() {
        targets.insert((k * every).min(targets.len()), s);
    }
    eprintln!(
        "testbed: {} targets ({} silent) ready in {:.1} s",
        targets.len(),
        silent_n,
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("a folder");
    let hosts_file = dir.path().join("targets.txt");
    let mut f = std::fs::File::create(&hosts_file).expect("targets file");
    for t in &targets {
        writeln!(f, "{t}").expect("write");
    }
    drop(f);

    let mut results = Vec::new();
    // Alternating, twice each: the baseline, then kizuna.
    for round in 0..2 {
        let (base_s, connected) = connects(&targets, at_once);
        eprintln!("round {round}: connects {base_s:.2} s ({connected} connected)");
        let m = kizuna_testbed::measure(
            Command::new(&kizuna)
                .args(["sid", "scan", "--hosts-file"])
                .arg(&hosts_file)
                .args(["--user", USER, "--password-env", "KZ_BENCH_PASSWORD"])
                .args(["--timeout", &TIMEOUT_SECS.to_string()])
                .args(["--concurrency", &at_once.to_string(), "--format", "json"])
                .env("KZ_BENCH_PASSWORD", PASSWORD),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "round {round}: kizuna sid scan {:.2} s, CPU {:.2} s, peak RSS {} MiB",
            m.secs,
            m.cpu_secs,
            m.peak_rss_kib / 1024
        );
        results.push((base_s, m.secs, m.peak_rss_kib, m.cpu_secs));
    }
    let best =
        |f: fn(&(f64, f64, u64, f64)) -> f64| results.iter().map(f).fold(f64::INFINITY, f64::min);
    let (base, kz, cpu) = (best(|r| r.0), best(|r| r.1), best(|r| r.3));
    let rss = results.iter().map(|r| r.2).max().unwrap_or(0);
    println!("targets                 {}", targets.len());
    println!("silent (black-holed)    {silent_n}");
    println!("concurrency / timeout   {at_once} / {TIMEOUT_SECS} s");
    println!(
        "plain TCP connects      {base:.2} s  ({:.0} hosts/s)",
        targets.len() as f64 / base
    );
    println!(
        "kizuna sid scan         {kz:.2} s  ({:.0} hosts/s), peak RSS {:.1} MiB",
        targets.len() as f64 / kz,
        rss as f64 / 1024.0
    );
    println!(
        "kizuna's own CPU        {cpu:.2} s  ({:.2} ms per host)",
        cpu * 1000.0 / targets.len() as f64
    );
    println!("ratio (kizuna / connects) {:.2}", kz / base);
}
