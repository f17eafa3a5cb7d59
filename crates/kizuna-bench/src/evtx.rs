//! `kizuna-bench evtx PATH...`: the watched events out of EVTX files, kizuna's reader
//! against the `evtx` crate rendering every record to JSON — what evtx_dump, Chainsaw and
//! Hayabusa do before they look at a record — on the same files, in the same run.
//!
//! Each mode reads every file `--runs` times (the median counts); the peak resident memory
//! of each mode is measured alone (Linux: `VmHWM`, reset through `/proc/self/clear_refs`
//! before the mode starts).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use evtx::{EvtxParser, ParserSettings};
use kizuna_core::Knowledge;
use kizuna_core::{Fact, InputKind, InputReport};
use kizuna_evidence::{EvtxOptions, EvtxPath, EvtxStats, Progress, read_evtx};

/// What one pass over the files produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pass {
    pub(crate) records: u64,
    /// Watched events kept (kizuna) or JSON bytes rendered (the baseline).
    pub(crate) output: u64,
    pub(crate) errors: u64,
    /// What the pre-filter did (kizuna's modes).
    stats: EvtxStats,
}

/// EVTX files under `paths` (by their magic, not their name), sorted.
fn evtx_files(paths: &[PathBuf]) -> Vec<(PathBuf, u64)> {
    fn walk(p: &Path, out: &mut Vec<(PathBuf, u64)>) {
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(p) {
                for e in entries.flatten() {
                    walk(&e.path(), out);
                }
            }
            return;
        }
        let mut magic = [0u8; 8];
        let is_evtx = std::fs::File::open(p)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && &magic == b"ElfFile\0";
        if is_evtx && let Ok(m) = p.metadata() {
            out.push((p.to_path_buf(), m.len()));
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out.sort();
    out
}

/// The baseline: every record rendered to JSON by the evtx crate.
fn evtx_json(files: &[(PathBuf, u64)], threads: usize) -> Pass {
    let mut pass = Pass::default();
    for (path, _) in files {
        let Ok(parser) = EvtxParser::from_path(path) else {
            pass.errors += 1;
            continue;
        };
        let mut parser = parser.with_configuration(ParserSettings::new().num_threads(threads));
        for r in parser.records_json() {
            match r {
                Ok(rec) => {
                    pass.records += 1;
                    pass.output += rec.data.len() as u64;
                }
                Err(_) => pass.errors += 1,
            }
        }
    }
    pass
}

/// kizuna's EVTX reader as `scan` runs it, keeping the watched events.
fn kizuna(
    files: &[(PathBuf, u64)],
    threads: usize,
    mode: EvtxPath,
    knowledge: &Arc<Knowledge>,
) -> Pass {
    let mut pass = Pass::default();
    let progress = Progress::default();
    for (path, size) in files {
        let Ok(file) = std::fs::File::open(path) else {
            pass.errors += 1;
            continue;
        };
        let display = path.display().to_string();
        let mut report = InputReport::new(display.clone(), InputKind::Evtx, String::new(), *size);
        let mut kept = 0u64;
        let stats = read_evtx(
            file,
            &display,
            EvtxOptions {
                threads,
                path: mode,
            },
            knowledge.clone(),
            &mut report,
            &progress,
            &mut |f| {
                if let Fact::Event(_) = f {
                    kept += 1;
                }
            },
        );
        pass.stats.add(&stats);
        pass.records += report.records;
        pass.output += kept;
        pass.errors += report.error_count;
    }
    pass
}

fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs `f` `runs` times; the median seconds, the last pass and the peak RSS (KiB) of
/// the runs.
pub(crate) fn timed(runs: usize, mut f: impl FnMut() -> Pass) -> (f64, Pass, Option<u64>) {
    let reset = reset_peak_rss();
    let mut times = Vec::new();
    let mut pass = Pass::default();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        pass = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let rss = if reset {
        crate::inventory::peak_rss_kib()
    } else {
        None
    };
    (times[times.len() / 2], pass, rss)
}

pub fn run(paths: &[PathBuf], threads: usize, runs: usize) -> anyhow::Result<()> {
    let files = evtx_files(paths);
    if files.is_empty() {
        anyhow::bail!("bench evtx: no EVTX file under the given paths");
    }
    let bytes: u64 = files.iter().map(|(_, s)| s).sum();
    let mb = bytes as f64 / 1e6;
    let knowledge = Arc::new(Knowledge::builtin());
    let threads = threads.max(1);

    let (base_s, base, base_rss) = timed(runs, || evtx_json(&files, threads));
    let (full_s, full, full_rss) =
        timed(runs, || kizuna(&files, threads, EvtxPath::Full, &knowledge));
    let (fast_s, fast, fast_rss) = timed(runs, || {
        kizuna(&files, threads, EvtxPath::Prefiltered, &knowledge)
    });

    println!(
        "workload: evtx, {} files, {mb:.1} MB, {} records, {threads} thread(s), median of {} run(s)",
        files.len(),
        base.records,
        runs.max(1)
    );
    println!("| mode | time | records/s | MB/s | peak RSS | output |");
    println!("|---|---|---|---|---|---|");
    let kib =
        |r: Option<u64>| r.map_or("-".to_string(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    let row = |mode: &str, secs: f64, records: u64, rss: Option<u64>, output: String| {
        println!(
            "| {mode} | {secs:.3} s | {:.0} | {:.0} | {} | {output} |",
            records as f64 / secs,
            mb / secs,
            kib(rss),
        );
    };
    row(
        "evtx crate, every record to JSON (baseline)",
        base_s,
        base.records,
        base_rss,
        format!(
            "{:.1} MB JSON, {} errors",
            base.output as f64 / 1e6,
            base.errors
        ),
    );
    row(
        "kizuna full path (render every record)",
        full_s,
        full.records,
        full_rss,
        format!("{} watched events, {} errors", full.output, full.errors),
    );
    row(
        "kizuna pre-filtered (render what can matter)",
        fast_s,
        fast.records,
        fast_rss,
        format!("{} watched events, {} errors", fast.output, fast.errors),
    );
    let st = fast.stats;
    println!(
        "pre-filter: {} chunks, {} without evtx, {} read the full way; of {} records, {} decoded, {} rendered by evtx ({} of templates it does not read)",
        st.chunks,
        st.chunks_skipped,
        st.chunks_full,
        fast.records,
        st.records_decoded,
        st.records_rendered,
        st.records_unknown
    );
    println!(
        "speed-up over the baseline: full path {:.2}x, pre-filtered {:.2}x",
        base_s / full_s,
        base_s / fast_s
    );
    if fast.output != full.output {
        println!(
            "WARNING: the pre-filtered path kept {} events, the full path {}",
            fast.output, full.output
        );
    }
    if full.records != base.records {
        println!(
            "note: record counts differ (baseline {}, kizuna {}): damaged chunks are counted differently",
            base.records, full.records
        );
    }
    Ok(())
}
