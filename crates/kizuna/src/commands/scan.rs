//! `kizuna scan`: read evidence, judge it (with the directory when asked), record the
//! scan, write the report and its files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use kizuna_core::{Knowledge, Severity};
use kizuna_i18n::Messages;
use kizuna_pipeline::ScanSettings;
use kizuna_report::{
    EventFormat, EventWriter, NamedFile, ScanFile, ScanReport, scan_text, write_scan_json,
};
use kizuna_store::{FactFilter, Location, Store};

use crate::console::{Console, num, text};
use crate::exit;
use crate::settings::Format;
use crate::settings::{ReadArgs, open_store, print_input_errors, reading};

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub keep: crate::settings::KeepArgs,
    #[command(flatten)]
    pub report: crate::settings::ReportArgs,
    #[command(flatten)]
    pub directory: crate::directory::DirectoryArgs,
    /// The date the workaround must be gone by (YYYY-MM-DD): devices whose SYSTEM hive
    /// still holds it afterwards are KZ-POL-004. Default: the expiry of the plan in --db
    /// (`kizuna plan`), else the "(expires …)" in a workaround GPO's name (--server).
    #[arg(long, value_parser = kizuna_core::time::parse_date)]
    pub expires: Option<chrono::NaiveDate>,
}

/// How a scan stores, judges and reports.
pub struct ScanRun {
    pub db: Option<Location>,
    /// Where report.html and the CSV / JSON-lines exports go.
    pub out: Option<PathBuf>,
    /// `--expires`.
    pub expires: Option<chrono::NaiveDate>,
    /// The time the rules judge the evidence at (the clock, or the demo lab's end).
    pub now: kizuna_core::Timestamp,
    pub format: Format,
    pub fail_on: Severity,
}

pub fn run(
    r: &ReadArgs,
    dir: &crate::directory::DirectoryArgs,
    run: ScanRun,
    console: &Console,
) -> anyhow::Result<i32> {
    let ScanRun {
        db,
        out,
        expires,
        now,
        format,
        fail_on,
    } = run;
    let reading = reading(r, console, db.as_ref())?;
    let directory = crate::directory::read(dir)?;
    let sysvol = crate::directory::export_sysvol(dir)?;
    let mut store = open_store(db.as_ref())?;
    let outcome = kizuna_pipeline::scan(
        &mut store,
        &reading.evidence(),
        ScanSettings {
            expires,
            directory,
            sysvol,
            // A temporary store is gone after the run: nothing to record in.
            record: db.is_some(),
            ..reading.scan_settings(now)
        },
    )?;
    present(
        &outcome,
        &store,
        Presentation {
            db,
            out,
            format,
            fail_on,
            window: reading.window,
            knowledge: &reading.knowledge,
        },
        console,
    )
}

/// How a scan's outcome is shown and kept.
pub struct Presentation<'a> {
    pub db: Option<Location>,
    pub out: Option<PathBuf>,
    pub format: Format,
    pub fail_on: Severity,
    pub window: kizuna_pipeline::Window,
    pub knowledge: &'a Knowledge,
}

/// Shows a scan's outcome (`kizuna scan`, `kizuna sid scan`): the inputs' errors and the
/// recording on stderr, the report on stdout, its files in `out`; returns the exit code.
pub fn present(
    outcome: &kizuna_pipeline::ScanOutcome,
    store: &Store,
    p: Presentation<'_>,
    console: &Console,
) -> anyhow::Result<i32> {
    let Presentation {
        db,
        out,
        format,
        fail_on,
        window,
        knowledge,
    } = p;
    if let Some(e) = &outcome.plan_unreadable {
        console.error("cli-plan-not-used", &[("error", text(e.to_string()))]);
    }
    print_input_errors(&outcome.inputs);
    let Some(analysis) = &outcome.analysis else {
        console.error("cli-nothing-readable", &[]);
        return unreadable(&outcome.inputs, window, format, &console.msg);
    };
    let msg = &console.msg;
    if let (Some(db), Some(recorded)) = (&db, &outcome.recorded) {
        // The history `kizuna report --compare-to` reads back. Failing to record it
        // costs the review a baseline, not this scan its report.
        let db = text(db.to_string());
        match recorded {
            Ok(id) if format == Format::Text => {
                console.note("cli-scan-recorded", &[("id", num(*id)), ("db", db)])
            }
            Ok(_) => {}
            Err(e) => console.error(
                "cli-scan-not-recorded",
                &[("db", db), ("error", text(e.to_string()))],
            ),
        }
    }
    let report = ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &outcome.inputs,
        analysis,
        since: window.since,
        until: window.until,
        db: db.as_ref().map(ToString::to_string),
        directory: outcome.directory.as_ref().map(|(snap, at)| (snap, *at)),
    };
    if let Some(dir) = &out {
        let events = Events {
            store,
            facts: outcome.facts.as_ref(),
            knowledge,
        };
        let written = write_files(dir, &report, msg, events)
            .with_context(|| format!("writing the report into {}", dir.display()))?;
        console.note(
            "cli-report-written",
            &[
                ("path", text(dir.join("report.html").display().to_string())),
                ("files", text(written.join(", "))),
            ],
        );
    }
    render(&report, format, fail_on, msg)
}

/// Nothing could be read: a JSON report still lists every input with its errors (a script
/// sees why), with no device and no finding; exit 2 either way.
pub fn unreadable(
    inputs: &[kizuna_core::InputReport],
    window: kizuna_pipeline::Window,
    format: Format,
    msg: &Messages,
) -> anyhow::Result<i32> {
    if format == Format::Json {
        let nothing = kizuna_rules::Analysis::default();
        let report = ScanReport {
            tool_version: env!("CARGO_PKG_VERSION"),
            inputs,
            analysis: &nothing,
            since: window.since,
            until: window.until,
            db: None,
            directory: None,
        };
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        write_scan_json(&report, msg, &mut w)?;
        w.flush()?;
    }
    Ok(exit::USAGE)
}

/// Writes the scan report (text or JSON) and returns the exit code for `fail_on`.
pub fn render(
    report: &ScanReport<'_>,
    format: Format,
    fail_on: Severity,
    msg: &Messages,
) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Text => w.write_all(scan_text(report, msg).as_bytes())?,
        Format::Json => write_scan_json(report, msg, &mut w)?,
    }
    w.flush()?;
    let worst = report.analysis.findings.iter().map(|f| f.severity).max();
    Ok(if worst.is_some_and(|w| w >= fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// The events a scan read, for `events.jsonl`.
pub struct Events<'a> {
    pub store: &'a Store,
    /// The scan's facts; `None` when it read no content (then the file is empty).
    pub facts: Option<&'a FactFilter>,
    pub knowledge: &'a Knowledge,
}

/// Writes report.html, the CSV and JSON-lines files and the run's events into `dir`
/// (created if needed); returns the file names written.
fn write_files(
    dir: &Path,
    report: &ScanReport<'_>,
    msg: &Messages,
    events_of: Events<'_>,
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
    let mut events = EventWriter::new(file, EventFormat::Jsonl, events_of.knowledge);
    let mut err = None;
    if let Some(filter) = events_of.facts {
        events_of.store.for_each_event(filter, |e| {
            if err.is_none()
                && let Err(e) = events.write(&e)
            {
                err = Some(e);
            }
        })?;
    }
    if let Some(e) = err {
        return Err(e.into());
    }
    events.finish()?;
    let mut written: Vec<&'static str> = files.iter().map(|f| f.name()).collect();
    written.push("events.jsonl");
    Ok(written)
}
