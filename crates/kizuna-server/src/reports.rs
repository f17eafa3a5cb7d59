//! Scan reports for download, shared by the API and the web pages: the files `kizuna
//! scan --out` writes (`report.html`, `findings.csv`, …), for any recorded scan (an
//! upload, or a `kizuna scan --db` into the same store) or for all the evidence now.
//!
//! A recorded scan is judged again over the facts of exactly the inputs it read, at its
//! own time, so its report shows what it showed then; all evidence now is the judgement
//! the dashboard shows.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kizuna_core::InputReport;
use kizuna_i18n::{Lang, Messages};
use kizuna_report::{Baseline, NamedFile, ReviewFile, ReviewReport, ScanFile, ScanReport};
use kizuna_rules::Analysis;
use kizuna_store::{ScanRow, Store};

use crate::error::ApiError;
use crate::state::AppState;

/// Which report: a recorded scan's, or all the stored evidence judged now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Current,
    Scan(i64),
}

impl Which {
    /// `current` or a scan id (`12` or `#12`).
    pub fn parse(raw: &str) -> Result<Which, ApiError> {
        if raw == "current" {
            return Ok(Which::Current);
        }
        raw.trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Which::Scan)
            .ok_or_else(|| {
                ApiError::bad_request(format!("not a scan: {raw:?} (a scan id or current)"))
            })
    }

    /// The prefix of its downloaded file names.
    fn file_prefix(self) -> String {
        match self {
            Which::Current => "kizuna-current".into(),
            Which::Scan(id) => format!("kizuna-scan-{id}"),
        }
    }
}

/// What a scan report is rendered from.
struct Loaded {
    scan: Option<ScanRow>,
    inputs: Vec<InputReport>,
    analysis: Arc<Analysis>,
}

/// Loads the report `which` names; 404 for a scan that does not exist or did not record
/// its inputs.
fn load(state: &AppState, store: &Store, which: Which) -> Result<Loaded, ApiError> {
    match which {
        Which::Current => Ok(Loaded {
            scan: None,
            inputs: store.stored_inputs()?,
            analysis: state.judged(store)?,
        }),
        Which::Scan(id) => match kizuna_pipeline::recorded_scan(store, id, state.knowledge())? {
            Some(r) => Ok(Loaded {
                scan: Some(r.scan),
                inputs: r.inputs,
                analysis: Arc::new(r.analysis),
            }),
            None if store.scan(Some(id))?.is_some() => Err(ApiError::not_found(format!(
                "scan #{id} did not record its inputs (an older kizuna, or a scan with a \
                 directory read), so its report cannot be rendered again"
            ))),
            None => Err(ApiError::not_found(format!("no scan #{id}"))),
        },
    }
}

/// The report file of `which` in `lang`, as a download. Runs with the store, on its
/// blocking thread, as [`review`] does: rendering a large fleet's HTML takes a while.
pub fn scan_file(
    state: &AppState,
    store: &Store,
    which: Which,
    file: ScanFile,
    lang: Lang,
) -> Result<Response, ApiError> {
    let loaded = load(state, store, which)?;
    let report = ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &loaded.inputs,
        analysis: &loaded.analysis,
        since: loaded.scan.as_ref().and_then(|s| s.since),
        until: loaded.scan.as_ref().and_then(|s| s.until),
        db: None,
        directory: None,
    };
    let body = file.render(&report, &Messages::new(lang));
    let name = format!("{}-{}", which.file_prefix(), file.name());
    Ok(attachment(&name, file.content_type(), body))
}

/// A file to download. HTML runs in a sandbox of its own (a report's sorting script
/// cannot reach the server's cookies or pages).
fn attachment(name: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .expect("file names are ASCII"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; \
             script-src 'unsafe-inline'; img-src data:",
        ),
    );
    r
}

/// A report file named in a URL: one of `F::ALL`.
pub fn named<F: NamedFile>(raw: &str) -> Result<F, ApiError> {
    F::from_name(raw).ok_or_else(|| {
        let names: Vec<&str> = F::ALL.iter().map(|f| f.name()).collect();
        ApiError::not_found(format!("no report file {raw:?} ({})", names.join(", ")))
    })
}

/// One recorded scan as listed: its row (without findings) and its tally.
pub struct Listed {
    pub scan: ScanRow,
    pub tally: kizuna_store::ScanTally,
}

impl Listed {
    pub fn findings(&self) -> usize {
        self.tally.findings.iter().map(|(_, n)| n).sum()
    }

    /// The files that can be downloaded for it (none when it did not record its inputs).
    pub fn files(&self) -> &'static [ScanFile] {
        if self.tally.has_sources {
            ScanFile::ALL
        } else {
            &[]
        }
    }
}

/// The recorded scans, newest first: the total and one page.
pub fn list(store: &Store, offset: usize, limit: usize) -> Result<(usize, Vec<Listed>), ApiError> {
    let mut tallies = store.scan_tallies()?;
    let scans = store.scans()?;
    let total = scans.len();
    let page = scans
        .into_iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|scan| Listed {
            tally: tallies.remove(&scan.id).unwrap_or_default(),
            scan,
        })
        .collect();
    Ok((total, page))
}

/// The weekly review asked for: the `days` days up to now (7 unless `?days=`, 1 to 90),
/// compared with the previous window of the same length or with scan `?compare_to=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewQuery {
    pub days: i64,
    pub compare_to: Option<i64>,
}

impl ReviewQuery {
    pub fn parse(q: &std::collections::HashMap<String, String>) -> Result<ReviewQuery, ApiError> {
        let days = crate::views::number(q, "days", 7, 90)? as i64;
        if days == 0 {
            return Err(ApiError::bad_request("days: 1 to 90"));
        }
        let compare_to = match q.get("compare_to").map(String::as_str) {
            None => None,
            // A scan id as the description says: digits only (no `#`, sign or space).
            Some(raw) if !raw.bytes().all(|b| b.is_ascii_digit()) || raw.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "compare_to: {raw:?} (a scan id)"
                )));
            }
            Some(raw) => match Which::parse(raw)? {
                Which::Scan(id) => Some(id),
                Which::Current => {
                    return Err(ApiError::bad_request("compare_to: a scan id"));
                }
            },
        };
        Ok(ReviewQuery { days, compare_to })
    }
}

/// The review as `kizuna report` makes it over this store, rendered as `file` in `lang`,
/// as a download.
pub fn review(
    state: &AppState,
    store: &Store,
    query: ReviewQuery,
    file: ReviewFile,
    lang: Lang,
) -> Result<Response, ApiError> {
    let until = state.now();
    let since = until - chrono::Duration::days(query.days);
    let (baseline, findings) = match query.compare_to {
        None => (Baseline::PreviousWindow, None),
        Some(id) => {
            let scan = store
                .scan(Some(id))?
                .ok_or_else(|| ApiError::not_found(format!("no scan #{id}")))?;
            (
                Baseline::Scan {
                    id,
                    time: scan.time,
                    db: None,
                },
                Some(scan.findings),
            )
        }
    };
    let (review, previous_since) = kizuna_pipeline::review_stored(
        store,
        state.knowledge(),
        (since, until),
        kizuna_pipeline::review_expiry(store, None).0,
        findings.as_deref(),
    )?;
    let report = ReviewReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        db: format!("kizuna serve ({})", store.backend()),
        since,
        until,
        previous_since,
        baseline,
        review: &review,
    };
    let body = file.render(&report, &Messages::new(lang));
    let name = format!("kizuna-review-{}d-{}", query.days, file.name());
    Ok(attachment(&name, file.content_type(), body))
}
