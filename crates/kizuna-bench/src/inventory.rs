//! `kizuna-bench inventory` and `kizuna-bench lab`: duplicate-SID grouping of a large
//! inventory against the csv crate, and lab generation against a raw write.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use kizuna_core::Knowledge;
use kizuna_evidence::{Files, ReadOptions};
use kizuna_pipeline::Window;

/// Peak resident memory of this process so far (Linux `VmHWM`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A deterministic inventory: every tenth device shares its SID with two others; builds
/// cycle through affected, not-yet-affected and Windows 10.
fn write_inventory(path: &Path, rows: usize) -> std::io::Result<()> {
    write_inventory_rows(path, 0, rows)
}

/// Rows `start..start + rows` of that inventory (a site's share of one fleet).
pub fn write_inventory_rows(path: &Path, start: usize, rows: usize) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "ComputerName,MachineSid,OSBuild,Role")?;
    let builds = [
        "10.0.26100.6584",
        "10.0.19045.6093",
        "10.0.26100.4946",
        "10.0.26200.6584",
    ];
    for i in start..start + rows {
        let g = if i % 10 == 0 { i / 3 } else { i };
        writeln!(
            w,
            "PC{i:07},S-1-5-21-{}-{}-{},{},Workstation",
            1_000_000 + g,
            2_000_000 + g,
            3_000_000 + g,
            builds[(i * 7) % 4]
        )?;
    }
    w.flush()
}

/// The `scale` lab generator against the same number of bytes written through a buffered
/// file with no work at all (the disk's floor), in one run.
pub fn lab(devices: u32, days: u32, out: Option<&Path>) -> anyhow::Result<()> {
    use kizuna_lab::sim::{self, Scenario};
    let temp = tempfile::tempdir()?;
    let out = out.map_or_else(|| temp.path().join("lab"), Path::to_path_buf);
    let t = Instant::now();
    let got = sim::generate(Scenario::Scale, 1, Some(devices), Some(days), &out)?;
    let gen_s = t.elapsed().as_secs_f64();
    let rss_gen = peak_rss_kib();
    let bytes = got.written.bytes;

    let t = Instant::now();
    {
        let mut w = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(temp.path().join("raw"))?,
        );
        let block = vec![0x5Au8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            w.write_all(&block[..n])?;
            left -= n as u64;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    let raw_s = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "workload: lab scale, {} devices x {} days: {} files, {mb:.0} MB, {} event records, {} expected findings",
        got.domain.device_count(),
        got.domain.days,
        got.written.files,
        got.written.events,
        got.expected.len()
    );
    println!(
        "kizuna lab generate: {gen_s:.1} s, {:.0} MB/s, {:.0} records/s, peak RSS {} KiB",
        mb / gen_s,
        got.written.events as f64 / gen_s,
        rss_gen.unwrap_or(0)
    );
    println!(
        "baseline (same bytes, raw buffered write + fsync): {raw_s:.1} s, {:.0} MB/s",
        mb / raw_s
    );
    println!("ratio generate / raw write: {:.1}x", gen_s / raw_s);
    Ok(())
}

pub fn inventory(rows: usize, threads: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let csv_path = dir.path().join("inventory.csv");
    write_inventory(&csv_path, rows)?;
    let size = std::fs::metadata(&csv_path)?.len();
    let rss0 = peak_rss_kib();

    // Baseline: the csv crate alone, reading every row.
    let t = Instant::now();
    let mut rdr = csv::Reader::from_path(&csv_path)?;
    let mut rec = csv::StringRecord::new();
    let mut n = 0usize;
    while rdr.read_record(&mut rec)? {
        n += rec.len().min(1);
    }
    let base = t.elapsed().as_secs_f64();
    let rss_base = peak_rss_kib();

    // kizuna: sniff, decode, store in SQLite, read back, group, find, render JSON.
    let t = Instant::now();
    let knowledge = Arc::new(Knowledge::builtin());
    let options = ReadOptions {
        threads,
        year: None,
        knowledge: knowledge.clone(),
        evtx: Default::default(),
        progress: Default::default(),
        limits: Default::default(),
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let mut store = kizuna_store::Store::temporary()?;
    let read = kizuna_pipeline::read(&mut store, &Files::paths(vec![csv_path.clone()], options))?;
    let t_ingest = t.elapsed().as_secs_f64();
    let filter = read
        .facts(Window::default(), Vec::new())
        .ok_or_else(|| anyhow::anyhow!("the inventory was not read"))?;
    let analysis = kizuna_pipeline::analyze_stored(
        &store,
        &filter,
        &knowledge,
        None,
        None,
        chrono::Utc::now(),
    )?;
    let t_analyze = t.elapsed().as_secs_f64();
    let msg = kizuna_i18n::Messages::new(kizuna_i18n::Lang::En);
    let report = kizuna_report::ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &read.inputs,
        analysis: &analysis,
        since: None,
        until: None,
        db: None,
        directory: None,
    };
    kizuna_report::write_scan_json(&report, &msg, &mut std::io::sink())?;
    let total = t.elapsed().as_secs_f64();
    let rss_all = peak_rss_kib();

    let mb = size as f64 / 1e6;
    println!("workload: inventory, {rows} rows, {mb:.1} MB, {threads} threads");
    println!(
        "baseline (csv crate, parse only): {base:.2} s, {:.0} rows/s",
        n as f64 / base
    );
    println!(
        "kizuna scan: {total:.2} s ({:.0} rows/s) = ingest {t_ingest:.2} s + analyze {:.2} s + JSON {:.2} s",
        rows as f64 / total,
        t_analyze - t_ingest,
        total - t_analyze
    );
    println!("ratio kizuna / baseline: {:.1}x", total / base);
    println!(
        "devices {}, findings {}, peak RSS: start {} KiB, after baseline {} KiB, after scan {} KiB",
        analysis.devices.len(),
        analysis.findings.len(),
        rss0.unwrap_or(0),
        rss_base.unwrap_or(0),
        rss_all.unwrap_or(0)
    );
    Ok(())
}
