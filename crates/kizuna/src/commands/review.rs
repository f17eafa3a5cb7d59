//! `kizuna report`: the weekly review from a store. The window's facts are analyzed by
//! the same code as `scan`; the baseline is the previous window of the same length, or
//! a scan recorded earlier (`--compare-to`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use kizuna_i18n::Lang;
use kizuna_report::{Baseline, NamedFile, ReviewFile, ReviewReport};
use kizuna_store::{Location, ScanRow, Store};

use crate::cli::ScanFormat;
use crate::console::{Console, num, text};
use crate::exit;
use kizuna_core::time::{now, parse_bound};

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
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
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

/// Opens an existing store; a missing file is a usage error, never a new empty store.
fn open_existing(location: &Location, console: &Console) -> Result<Store, Usage> {
    let path = match location {
        Location::Sqlite(path) => path,
        pg => return Store::connect(pg).map_err(|e| Usage(e.to_string())),
    };
    let file = if path.is_dir() {
        path.join("kizuna.db")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(Usage(console.text(
            "cli-review-no-store",
            &[("path", text(file.display().to_string()))],
        )));
    }
    Store::open(&file).map_err(|e| Usage(format!("{}: {e}", file.display())))
}

/// The recorded scan `--compare-to` names: an id in `store`, or the latest scan of
/// another store.
fn recorded_scan(
    store: &Store,
    db: &Location,
    compare_to: &str,
    console: &Console,
) -> Result<(ScanRow, Option<String>), Usage> {
    let recorded = |store: &Store| -> String {
        let ids: Vec<String> = store
            .scans()
            .unwrap_or_default()
            .iter()
            .map(|s| format!("#{} ({})", s.id, s.time.format("%Y-%m-%d %H:%M")))
            .collect();
        if ids.is_empty() {
            console.text("cli-review-none", &[])
        } else {
            ids.join(", ")
        }
    };
    let stored = |r: kizuna_store::Result<Option<ScanRow>>| {
        r.map_err(|e| Usage(format!("--compare-to {compare_to}: {e}")))
    };
    if let Ok(id) = compare_to.trim_start_matches('#').parse::<i64>() {
        return match stored(store.scan(Some(id)))? {
            Some(s) => Ok((s, None)),
            None => Err(Usage(console.text(
                "cli-review-no-scan",
                &[
                    ("what", text(compare_to)),
                    ("id", num(id)),
                    ("db", text(db.to_string())),
                    ("scans", text(recorded(store))),
                ],
            ))),
        };
    }
    let other_location: Location = compare_to
        .parse()
        .map_err(|e: String| Usage(format!("--compare-to: {e}")))?;
    let other = open_existing(&other_location, console)?;
    match stored(other.scan(None))? {
        Some(s) => Ok((s, Some(other_location.to_string()))),
        None => Err(Usage(console.text(
            "cli-review-no-scans",
            &[
                ("what", text(compare_to)),
                ("db", text(other_location.to_string())),
            ],
        ))),
    }
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
    let store = match open_existing(&a.db, console) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let knowledge = crate::settings::knowledge(&a.knowledge)?;
    // Given, else the plan's (reported when unreadable), else a recorded scan's.
    let expiry = match a.expires {
        Some(date) => Some(kizuna_analysis::WorkaroundExpiry {
            date,
            source: kizuna_analysis::ExpirySource::Given,
        }),
        None => {
            if let Err(e) = kizuna_pipeline::plan_expiry(&store) {
                console.error("cli-plan-not-used", &[("error", text(e.to_string()))]);
            }
            kizuna_pipeline::review_expiry(&store)
        }
    };
    let (baseline, baseline_findings) = match &a.compare_to {
        None => (Baseline::PreviousWindow, None),
        Some(c) => match recorded_scan(&store, &a.db, c, console) {
            Ok((scan, db)) => (
                Baseline::Scan {
                    id: scan.id,
                    time: scan.time,
                    db,
                },
                Some(scan.findings),
            ),
            Err(e) => return Ok(Err(e)),
        },
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
        ScanFormat::Text => kizuna_report::review_text(&report, msg),
        ScanFormat::Json => kizuna_report::review_json(&report, msg),
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(out.as_bytes())?;
    w.flush()?;
    Ok(Ok(exit::OK))
}
