//! `kizuna-bench jsonl FILE [--mb N]`: kizuna's event-JSON reader on JSON lines (a SIEM
//! export such as the OTRF flat files) against `serde_json` parsing each line into a
//! `Value` — the least any reader of the file does — on the same bytes, in the same run.
//! The file is repeated into a temporary one of at least `--mb` megabytes first.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use kizuna_core::{Fact, InputKind, InputReport, Knowledge};
use kizuna_evidence::read_event_json;

use crate::evtx::{Pass, timed};

/// `source` repeated into `dir` until at least `mb` megabytes; its path and size.
fn repeated(source: &Path, dir: &Path, mb: u64) -> anyhow::Result<(std::path::PathBuf, u64)> {
    let mut one = std::fs::read(source)?;
    if !one.ends_with(b"\n") {
        one.push(b'\n');
    }
    let path = dir.join("repeated.jsonl");
    let mut w = BufWriter::new(File::create(&path)?);
    let mut size = 0u64;
    while size < mb * 1_000_000 {
        w.write_all(&one)?;
        size += one.len() as u64;
    }
    w.flush()?;
    Ok((path, size))
}

fn baseline(path: &Path) -> Pass {
    let mut pass = Pass::default();
    let reader = BufReader::with_capacity(1 << 16, File::open(path).expect("the file"));
    for line in reader.lines() {
        let Ok(line) = line else {
            pass.errors += 1;
            continue;
        };
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => {
                pass.records += 1;
                pass.output += u64::from(v.is_object());
            }
            Err(_) => pass.errors += 1,
        }
    }
    pass
}

fn kizuna(path: &Path, knowledge: &Knowledge) -> Pass {
    let mut report = InputReport::new("x".into(), InputKind::EventJson, String::new(), 0);
    let mut kept = 0u64;
    let reader = BufReader::with_capacity(1 << 16, File::open(path).expect("the file"));
    read_event_json(
        Box::new(reader),
        "x",
        &mut report,
        &mut |f| {
            if let Fact::Event(_) = f {
                kept += 1;
            }
        },
        &|e| knowledge.admit(e),
    );
    let mut pass = Pass::default();
    pass.records = report.records;
    pass.output = kept;
    pass.errors = report.error_count;
    pass
}

pub fn run(file: &Path, mb: u64, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (path, size) = repeated(file, dir.path(), mb)?;
    let knowledge = Knowledge::builtin();
    let mbs = size as f64 / 1e6;
    // kizuna first: the baseline's peak would otherwise hide kizuna's
    let (k_s, k, k_rss) = timed(runs, || kizuna(&path, &knowledge));
    let (b_s, b, b_rss) = timed(runs, || baseline(&path));
    let rss =
        |r: Option<u64>| r.map_or("?".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "file                {} repeated to {mbs:.0} MB",
        file.display()
    );
    println!(
        "serde_json Value    {b_s:.2} s  {:.0} MB/s  {} lines, {} errors  peak {}",
        mbs / b_s,
        b.records,
        b.errors,
        rss(b_rss)
    );
    println!(
        "kizuna event JSON   {k_s:.2} s  {:.0} MB/s  {} events, {} watched, {} errors  peak {}",
        mbs / k_s,
        k.records,
        k.output,
        k.errors,
        rss(k_rss)
    );
    println!("ratio (kizuna / baseline) {:.2}", k_s / b_s);
    Ok(())
}
