//! What `scan --out DIR` writes beside the store: `report.html` for people, CSV for
//! spreadsheets, JSON lines for SIEMs (the formats are kizuna-report's; this module only
//! names the files and streams the run's events into `events.jsonl`).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use kizuna_i18n::Messages;
use kizuna_report::{EventFormat, EventWriter, NamedFile, ScanFile, ScanReport};

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
    let files = [
        ScanFile::Html,
        ScanFile::FindingsCsv,
        ScanFile::DevicesCsv,
        ScanFile::FindingsJsonl,
    ];
    for f in files {
        std::fs::write(dir.join(f.name()), f.render(report, msg))?;
    }

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
    let mut written: Vec<&'static str> = files.iter().map(|f| f.name()).collect();
    written.push("events.jsonl");
    Ok(written)
}
