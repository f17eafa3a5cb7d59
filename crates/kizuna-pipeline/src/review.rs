//! The weekly review (`kizuna report`, the server's review pages) over a store.

use kizuna_analysis::{ExpirySource, WorkaroundExpiry};
use kizuna_core::{Knowledge, Timestamp};
use kizuna_store::{FactFilter, Store};

use crate::{analyze_stored, plan_expiry};

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
) -> kizuna_store::Result<(kizuna_analysis::review::Review, Timestamp)> {
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
    let review = kizuna_analysis::review::review(
        baseline,
        &before,
        &now,
        (previous_since.date_naive(), last_day),
    );
    Ok((review, previous_since))
}

/// The expiry a review judges KZ-POL-004 by when none is given: the newest plan's, else
/// the one the latest scan that had one judged by (a review says what those scans said).
pub fn review_expiry(store: &Store) -> Option<WorkaroundExpiry> {
    if let Ok(Some(e)) = plan_expiry(store) {
        return Some(e);
    }
    let scans = store.scans().ok()?;
    let scan = scans.iter().rev().find(|s| s.expires.is_some())?;
    Some(WorkaroundExpiry {
        date: scan.expires.as_deref()?.parse().ok()?,
        source: ExpirySource::Scan(scan.id),
    })
}
