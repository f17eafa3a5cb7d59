//! The weekly review (`kizuna report`, the server's review pages) over a store.

use chrono::NaiveDate;
use kizuna_core::{Knowledge, Timestamp};
use kizuna_plan::PlanError;
use kizuna_rules::{ExpirySource, WorkaroundExpiry};
use kizuna_store::{FactFilter, Location, ScanRow, Store, StoreError};

use crate::{analyze_stored, workaround_expiry};

/// The weekly review of `(since, until)`: the window's findings compared with
/// `baseline` (a recorded scan's findings), else with the previous window of the same
/// length; events and failures per day over both windows. Each window is judged at its
/// end, hives written after it left out. Returns the review and the previous window's
/// start. `kizuna report` and the server's review page share it.
pub fn review_stored(
    store: &Store,
    knowledge: &Knowledge,
    (since, until): (Timestamp, Timestamp),
    expiry: Option<WorkaroundExpiry>,
    baseline: Option<&[kizuna_core::FindingRecord]>,
) -> kizuna_store::Result<(kizuna_rules::review::Review, Timestamp)> {
    let previous_since = since - (until - since);
    let window = |from: Timestamp, to: Timestamp| {
        let filter = FactFilter {
            since: Some(from),
            until: Some(to),
            identity_before: Some(to),
            ..FactFilter::default()
        };
        analyze_stored(
            store,
            &filter,
            knowledge,
            None,
            expiry.clone().map(|e| (e, to)),
            to,
        )
    };
    let now = window(since, until)?;
    let before = window(previous_since, since)?;
    let previous: Vec<kizuna_core::FindingRecord>;
    let baseline = match baseline {
        Some(b) => b,
        None => {
            previous = before
                .findings
                .iter()
                .map(kizuna_core::FindingRecord::from)
                .collect();
            &previous
        }
    };
    let last_day = (until - chrono::Duration::nanoseconds(1)).date_naive();
    let review = kizuna_rules::review::review(
        baseline,
        &before,
        &now,
        (previous_since.date_naive(), last_day),
    );
    Ok((review, previous_since))
}

/// The expiry a review judges KZ-POL-004 by: `given`, else the newest plan's, else the
/// one the latest scan that had one judged by (a review says what those scans said). An
/// unreadable plan is returned beside it.
pub fn review_expiry(
    store: &Store,
    given: Option<NaiveDate>,
) -> (Option<WorkaroundExpiry>, Option<PlanError>) {
    let (expiry, unreadable) = workaround_expiry(store, given);
    if expiry.is_some() {
        return (expiry, unreadable);
    }
    let latest_scans = || -> Option<WorkaroundExpiry> {
        let scans = store.scans().ok()?;
        let scan = scans.iter().rev().find(|s| s.expires.is_some())?;
        Some(WorkaroundExpiry {
            date: scan.expires.as_deref()?.parse().ok()?,
            source: ExpirySource::Scan(scan.id),
        })
    };
    (latest_scans(), unreadable)
}

/// What a review compares its window with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareTo {
    /// The previous window of the same length, in the same store.
    PreviousWindow,
    /// A scan recorded in the same store.
    Scan(i64),
    /// The latest scan recorded in another store.
    LatestOf(Location),
}

impl CompareTo {
    /// `#12` or `12` is a scan of this store; anything else names another store.
    pub fn parse(text: &str) -> Result<CompareTo, String> {
        match text.trim().trim_start_matches('#').parse::<i64>() {
            Ok(id) => Ok(CompareTo::Scan(id)),
            Err(_) => text.parse().map(CompareTo::LatestOf),
        }
    }
}

/// Why a review has no baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// No such scan in this store; the scans it has (id and time).
    #[error("no scan #{id} in this store")]
    NoScan {
        id: i64,
        recorded: Vec<(i64, Timestamp)>,
    },
    /// The other store holds no scan.
    #[error("no scan recorded in {0}")]
    NoScans(String),
    /// No store there.
    #[error("{0}: no kizuna store there")]
    NoStore(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens a store that must already exist: an SQLite file, or a folder holding
/// `kizuna.db` (what `kizuna scan --out` writes), or PostgreSQL. A missing file is an
/// error, never a new empty store.
pub fn open_existing(location: &Location) -> Result<Store, BaselineError> {
    let path = match location {
        Location::Sqlite(path) => path,
        pg => return Ok(Store::connect(pg)?),
    };
    let file = if path.is_dir() {
        path.join("kizuna.db")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(BaselineError::NoStore(file.display().to_string()));
    }
    Ok(Store::open(&file)?)
}

/// The recorded scan a review compares with, and the store it came from when that is
/// another one; `None` for the previous window.
pub fn baseline_scan(
    store: &Store,
    compare_to: &CompareTo,
) -> Result<Option<(ScanRow, Option<Location>)>, BaselineError> {
    match compare_to {
        CompareTo::PreviousWindow => Ok(None),
        CompareTo::Scan(id) => match store.scan(Some(*id))? {
            Some(scan) => Ok(Some((scan, None))),
            None => Err(BaselineError::NoScan {
                id: *id,
                recorded: store
                    .scans()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| (s.id, s.time))
                    .collect(),
            }),
        },
        CompareTo::LatestOf(other) => match open_existing(other)?.scan(None)? {
            Some(scan) => Ok(Some((scan, Some(other.clone())))),
            None => Err(BaselineError::NoScans(other.to_string())),
        },
    }
}
