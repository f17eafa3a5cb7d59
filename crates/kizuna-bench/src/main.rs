//! `kizuna-bench`: speed and memory of kizuna's paths, each against a baseline measured
//! in the same run on the same data (never timed in unit tests). A tool for developers,
//! kept out of the shipped `kizuna` binary; the numbers are in docs/performance.md.

mod evtx;
mod inventory;
mod jsonl;
mod serve;
mod serve_mix;
mod whole;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "kizuna-bench",
    version,
    about = "Measure kizuna against a baseline in the same run."
)]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand, Debug)]
enum Workload {
    /// Group N inventory rows by machine SID (duplicate-SID analysis) against the csv crate.
    Inventory {
        /// Inventory rows to generate.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// Generate the `scale` lab against writing as many bytes raw.
    Lab {
        /// Lab devices.
        #[arg(long, default_value_t = 10_000)]
        devices: u32,
        /// Lab days.
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Where the lab is written (default: a temporary folder, removed afterwards).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read the watched events of EVTX files against the evtx crate's JSON.
    Evtx {
        /// EVTX files or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Passes over the files per mode; the median counts.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Read an event JSON-lines file (a SIEM export) repeated to --mb megabytes, against
    /// serde_json parsing each line.
    Jsonl {
        /// A JSON-lines file (e.g. an OTRF flat export).
        file: PathBuf,
        /// Megabytes to repeat it to.
        #[arg(long, default_value_t = 1024)]
        mb: u64,
        /// Passes per mode; the median counts.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// `kizuna serve` on loopback: concurrent uploads, then readers, against reading the
    /// same files straight into a store.
    Serve {
        /// Concurrent uploads.
        #[arg(long, default_value_t = 50)]
        uploads: usize,
        /// Devices across all uploads.
        #[arg(long, default_value_t = 10_000)]
        devices: usize,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// An empty store to serve from (default: a temporary SQLite file).
        #[arg(long)]
        db: Option<kizuna_store::Location>,
    },
    /// `kizuna scan` and `kizuna events` as whole processes (one thread) against the evtx
    /// crate rendering the same EVTX files to JSON in a process of its own.
    Whole {
        /// Files to read (EVTX for the renderer; kizuna reads whatever they are).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The kizuna binary (default: `kizuna` beside this program).
        #[arg(long)]
        kizuna: Option<PathBuf>,
        /// Timed rounds (each runs the three in turn); the median counts.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Render every record of EVTX files to JSON lines on stdout with the evtx crate, one
    /// thread (evtx_dump's work): the baseline process of `whole`.
    RenderEvtx {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// `kizuna serve` (a built binary, this build's by default) under many small lab
    /// bundles and one large one posted at once while readers ask for findings and
    /// devices, against the same server's idle reads.
    ServeMix {
        /// Small bundles (the `small` lab, seeds 100, 101, …) posted at once.
        #[arg(long, default_value_t = 100)]
        uploads: usize,
        /// Readers asking for findings and devices until the uploads are answered.
        #[arg(long, default_value_t = 50)]
        readers: usize,
        /// Devices of the one large bundle (the `contoso` lab, seed 6); 0 for none.
        #[arg(long, default_value_t = 2000)]
        large_devices: u32,
        /// Days of the large bundle.
        #[arg(long, default_value_t = 90)]
        large_days: u32,
        /// The kizuna binary to serve with (default: `kizuna` beside this program).
        #[arg(long)]
        kizuna: Option<PathBuf>,
        /// An empty store to serve from (default: a temporary SQLite file).
        #[arg(long)]
        db: Option<kizuna_store::Location>,
        /// Where generated bundles are kept for later runs (default: a temporary folder).
        #[arg(long)]
        cache: Option<PathBuf>,
    },
}

fn main() {
    let done = match Cli::parse().workload {
        Workload::Inventory { rows, threads } => inventory::inventory(rows, threads),
        Workload::Lab { devices, days, out } => inventory::lab(devices, days, out.as_deref()),
        Workload::Evtx {
            paths,
            threads,
            runs,
        } => evtx::run(&paths, threads, runs),
        Workload::Jsonl { file, mb, runs } => jsonl::run(&file, mb, runs),
        Workload::Serve {
            uploads,
            devices,
            threads,
            db,
        } => serve::run(serve::Load {
            uploads,
            devices,
            threads,
            db,
        }),
        Workload::Whole {
            files,
            kizuna,
            runs,
        } => whole::run_whole(&files, kizuna, runs),
        Workload::RenderEvtx { files } => whole::render(&files),
        Workload::ServeMix {
            uploads,
            readers,
            large_devices,
            large_days,
            kizuna,
            db,
            cache,
        } => serve_mix::run(serve_mix::Mix {
            uploads,
            readers,
            large_devices,
            large_days,
            kizuna,
            db,
            cache,
        }),
    };
    if let Err(e) = done {
        eprintln!("kizuna-bench: {e:#}");
        std::process::exit(2);
    }
}
