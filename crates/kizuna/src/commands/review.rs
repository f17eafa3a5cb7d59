//! `kizuna report`: the weekly review from a store. The window's facts are analyzed by
//! the same code as `scan`; the baseline is the previous window of the same length, or
//! a scan recorded earlier (`--compare-to`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kizuna_core::time::{now, parse_bound};
use kizuna_i18n::Lang;
use kizuna_pipeline::{BaselineError, CompareTo, baseline_scan, open_existing};
use kizuna_report::{Baseline, NamedFile, ReviewFile, ReviewReport};
use kizuna_store::Location;

use crate::console::{Console, num, text};
use crate::exit;
use crate::settings::Format;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The store that `kizuna scan --db` (or `--out`) filled: a kizuna.db file, the --out
    /// folder holding one, or postgres://….
    #[arg(long)]
    pub db: Location,
    /// Start of the reviewed window: 7d, 2w, a date or an RFC 3339 time. A span counts
    /// back from --until.
    #[arg(long, default_value = "7d")]
    pub since: String,
    /// End of the reviewed window (default: now).
    #[arg(long)]
    pub until: Option<String>,
    /// The baseline: a scan id recorded in --db, or another store (a kizuna.db file, or
    /// the --out folder holding one) whose latest scan is used. Default: the previous
    /// window of the same length in --db.
    #[arg(long, value_name = "PREVIOUS_SCAN")]
    pub compare_to: Option<String>,
    /// The workaround's expiry for KZ-POL-004 (default: the plan in --db).
    #[arg(long, value_parser = kizuna_core::time::parse_date)]
    pub expires: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write review.html, review.json and review-devices.csv into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_parser = crate::settings::parse_lang)]
    pub lang: Option<Lang>,
    /// Folder with watched.toml / ntstatus.toml / thresholds.toml overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

/// Why a review cannot run: a usage error, in the catalog's words.
struct Usage(String);

/// A store or baseline that cannot be had, in the catalog's words; `what` is the
/// `--compare-to` value when the baseline is at fault.
fn usage(e: BaselineError, db: &Location, what: Option<&str>, console: &Console) -> Usage {
    let what = what.unwrap_or_default();
    Usage(match e {
        BaselineError::NoStore(path) => {
            console.text("cli-review-no-store", &[("path", text(path))])
        }
        BaselineError::NoScan { id, recorded } => {
            let scans: Vec<String> = recorded
                .iter()
                .map(|(id, time)| format!("#{id} ({})", time.format("%Y-%m-%d %H:%M")))
                .collect();
            let scans = if scans.is_empty() {
                console.text("cli-review-none", &[])
            } else {
                scans.join(", ")
            };
            console.text(
                "cli-review-no-scan",
                &[
                    ("what", text(what)),
                    ("id", num(id)),
                    ("db", text(db.to_string())),
                    ("scans", text(scans)),
                ],
            )
        }
        BaselineError::NoScans(other) => console.text(
            "cli-review-no-scans",
            &[("what", text(what)), ("db", text(other))],
        ),
        BaselineError::Store(e) if what.is_empty() => e.to_string(),
        BaselineError::Store(e) => format!("--compare-to {what}: {e}"),
    })
}

pub fn run(a: ReportArgs, console: &Console) -> anyhow::Result<i32> {
    match review(a, console)? {
        Ok(code) => Ok(code),
        Err(Usage(e)) => {
            eprintln!("kizuna: {e}");
            Ok(exit::USAGE)
        }
    }
}

fn review(a: ReportArgs, console: &Console) -> anyhow::Result<Result<i32, Usage>> {
    let msg = &console.msg;
    let clock = now();
    let until = match &a.until {
        Some(u) => parse_bound(u, clock)
            .map_err(anyhow::Error::msg)
            .context("--until")?,
        None => clock,
    };
    let since = parse_bound(&a.since, until)
        .map_err(anyhow::Error::msg)
        .context("--since")?;
    if since >= until {
        return Ok(Err(Usage(console.text("cli-review-window", &[]))));
    }
    let store = match open_existing(&a.db) {
        Ok(s) => s,
        Err(e) => return Ok(Err(usage(e, &a.db, None, console))),
    };
    let knowledge = crate::settings::knowledge(&a.knowledge)?;
    // Given, else the plan's (reported when unreadable), else a recorded scan's.
    let (expiry, unreadable) = kizuna_pipeline::review_expiry(&store, a.expires);
    if let Some(e) = unreadable {
        console.error("cli-plan-not-used", &[("error", text(e.to_string()))]);
    }
    let compare_to = match a.compare_to.as_deref().map(CompareTo::parse).transpose() {
        Ok(c) => c.unwrap_or(CompareTo::PreviousWindow),
        Err(e) => return Ok(Err(Usage(format!("--compare-to: {e}")))),
    };
    let (baseline, baseline_findings) = match baseline_scan(&store, &compare_to) {
        Ok(None) => (Baseline::PreviousWindow, None),
        Ok(Some((scan, other))) => (
            Baseline::Scan {
                id: scan.id,
                time: scan.time,
                db: other.map(|o| o.to_string()),
            },
            Some(scan.findings),
        ),
        Err(e) => return Ok(Err(usage(e, &a.db, a.compare_to.as_deref(), console))),
    };
    let (review, previous_since) = kizuna_pipeline::review_stored(
        &store,
        &knowledge,
        (since, until),
        expiry,
        baseline_findings.as_deref(),
    )?;
    let report = ReviewReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        db: a.db.to_string(),
        since,
        until,
        previous_since,
        baseline,
        review: &review,
    };
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir)
            .and_then(|()| {
                ReviewFile::ALL
                    .iter()
                    .try_for_each(|f| std::fs::write(dir.join(f.name()), f.render(&report, msg)))
            })
            .with_context(|| format!("writing the review into {}", dir.display()))?;
        let names: Vec<&str> = ReviewFile::ALL.iter().map(|f| f.name()).collect();
        console.note(
            "cli-report-written",
            &[
                ("path", text(dir.join("review.html").display().to_string())),
                ("files", text(names.join(", "))),
            ],
        );
    }
    let out = match a.format {
        Format::Text => kizuna_report::review_text(&report, msg),
        Format::Json => kizuna_report::review_json(&report, msg),
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(out.as_bytes())?;
    w.flush()?;
    Ok(Ok(exit::OK))
}
