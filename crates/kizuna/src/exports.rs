//! What `scan --out DIR` writes beside the store: `report.html` for people, CSV for
//! spreadsheets, JSON lines for SIEMs (the formats are kizuna-report's; this module only
//! names the files and streams the run's events into `events.jsonl`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use kizuna_i18n::Messages;
use kizuna_report::{EventFormat, EventWriter, ScanReport};

use crate::pipeline::{Ingested, ScanInput};

/// Writes every export into `dir` (created if needed); returns the file names written.
pub fn write(
    dir: &Path,
    report: &ScanReport<'_>,
    msg: &Messages,
    ing: &Ingested,
    input: &ScanInput,
) -> anyhow::Result<Vec<&'static str>> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.html"),
        kizuna_report::scan_html(report, msg),
    )?;
    std::fs::write(
        dir.join("findings.csv"),
        kizuna_report::findings_csv(report, msg),
    )?;
    std::fs::write(
        dir.join("devices.csv"),
        kizuna_report::inventory_csv(report),
    )?;
    let mut w = BufWriter::new(File::create(dir.join("findings.jsonl"))?);
    kizuna_report::write_findings_jsonl(report, msg, &mut w)?;
    w.flush()?;

    let file = BufWriter::new(File::create(dir.join("events.jsonl"))?);
    let mut events = EventWriter::new(file, EventFormat::Jsonl, &input.knowledge);
    let mut err = None;
    ing.store
        .for_each_event(&ing.filter(input, Vec::new()), |e| {
            if err.is_none()
                && let Err(e) = events.write(&e)
            {
                err = Some(e);
            }
        })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    events.finish()?;
    Ok(vec![
        "report.html",
        "findings.csv",
        "devices.csv",
        "findings.jsonl",
        "events.jsonl",
    ])
}
