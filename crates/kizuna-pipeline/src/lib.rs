//! From stored facts to findings.
//!
//! Readers fill the store; this crate runs the rules over what the store holds, streamed
//! in its stable order. `kizuna scan`, `kizuna report`, the gates of `kizuna plan` and the
//! server all call it, so the same evidence gives the same findings wherever it is judged.

use kizuna_analysis::{Analysis, Analyzer, ExpirySource, WorkaroundExpiry};
use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{EventRecord, Knowledge, Timestamp};
use kizuna_evidence::InputReport;
use kizuna_plan::report::StatusReport;
use kizuna_plan::{GateResult, Plan, PlanError, StoredFacts};
use kizuna_store::{FactFilter, ScanRow, ScanSource, Store};

/// Runs the rules over the stored facts `filter` selects, with a directory read and the
/// workaround expiry (each with the time it is judged at) when there are any.
pub fn analyze_stored(
    store: &Store,
    filter: &FactFilter,
    knowledge: &Knowledge,
    directory: Option<&(DirectorySnapshot, Timestamp)>,
    expiry: Option<(WorkaroundExpiry, Timestamp)>,
) -> kizuna_store::Result<Analysis> {
    let mut analyzer = Analyzer::new(knowledge);
    if let Some((e, now)) = expiry {
        analyzer.set_workaround_expiry(e, now);
    }
    store.for_each_event(filter, |e: EventRecord| analyzer.add_event(&e))?;
    store.for_each_netlogon(filter, |n| analyzer.add_netlogon(&n))?;
    store.for_each_identity(filter, |r| analyzer.add_identity(&r))?;
    if let Some((snap, now)) = directory {
        analyzer.add_directory(snap.clone(), *now);
    }
    Ok(analyzer.finish())
}

/// The workaround expiry of the newest plan in the store (`kizuna plan init --expires`),
/// which KZ-POL-004 judges by; `None` when no plan was made.
pub fn plan_expiry(store: &Store) -> Result<Option<WorkaroundExpiry>, PlanError> {
    Ok(
        kizuna_plan::store::load_latest(store)?.map(|(p, _)| WorkaroundExpiry {
            date: p.expires,
            source: ExpirySource::Plan {
                id: p.id,
                track: p.track.as_str().to_string(),
            },
        }),
    )
}

/// The gate of the plan's active phase at `now`, measured from the store's facts with the
/// rules of `kizuna scan`; `None` when no phase is active.
pub fn judge_gate(
    plan: &Plan,
    store: &Store,
    knowledge: &Knowledge,
    now: Timestamp,
) -> Result<Option<GateResult>, PlanError> {
    let Some(gate) = plan.gate(now) else {
        return Ok(None);
    };
    let src = StoredFacts {
        store,
        analyze: |s: &Store, f: &FactFilter| analyze_stored(s, f, knowledge, None, None),
    };
    let m = kizuna_plan::measure(&gate, &plan.params, knowledge, &src)?;
    Ok(Some(kizuna_plan::evaluate(&gate, &m)))
}

/// The newest plan's status at `now`, its gate judged (`kizuna plan status`); `None` when
/// no plan was made.
pub fn plan_status(
    store: &Store,
    knowledge: &Knowledge,
    now: Timestamp,
) -> Result<Option<StatusReport>, PlanError> {
    let Some((plan, log)) = kizuna_plan::store::load_latest(store)? else {
        return Ok(None);
    };
    let gate = judge_gate(&plan, store, knowledge, now)?;
    Ok(Some(kizuna_plan::report::status(&plan, &log, gate, now)))
}

/// What a scan read, to record with it (`ScanRow::sources`): each input with content
/// under the path it was read as.
pub fn scan_sources(inputs: &[InputReport]) -> Vec<ScanSource> {
    inputs
        .iter()
        .filter(|i| !i.fingerprint.is_empty())
        .map(|i| ScanSource {
            path: i.path.clone(),
            fingerprint: i.fingerprint.clone(),
        })
        .collect()
}

/// The rules over the facts of `sources` only, within `(since, until)`: what a scan of
/// exactly those inputs finds. `None` when there are no sources (an empty input filter
/// would select every stored input).
pub fn analyze_sources(
    store: &Store,
    sources: &[ScanSource],
    (since, until): (Option<Timestamp>, Option<Timestamp>),
    knowledge: &Knowledge,
    expiry: Option<(WorkaroundExpiry, Timestamp)>,
) -> kizuna_store::Result<Option<Analysis>> {
    let mut inputs: Vec<String> = sources.iter().map(|s| s.fingerprint.clone()).collect();
    inputs.sort();
    inputs.dedup();
    if inputs.is_empty() {
        return Ok(None);
    }
    let filter = FactFilter {
        inputs,
        since,
        until,
        ..FactFilter::default()
    };
    analyze_stored(store, &filter, knowledge, None, expiry).map(Some)
}

/// A recorded scan rendered again from the store: its row, the reports of the inputs it
/// read and the rules over their facts, judged at the scan's time.
pub struct RecordedScan {
    pub scan: ScanRow,
    pub inputs: Vec<InputReport>,
    pub analysis: Analysis,
}

/// Scan `id` judged again over the facts of the inputs it read, within its window and at
/// its time, so its report can be downloaded later. The workaround expiry it judged by is
/// named as recorded with the scan. `Ok(None)` when there is no such scan or it did not
/// record its inputs (older kizuna, or a scan with a directory read, which is not stored).
pub fn recorded_scan(
    store: &Store,
    id: i64,
    knowledge: &Knowledge,
) -> kizuna_store::Result<Option<RecordedScan>> {
    let Some(scan) = store.scan(Some(id))? else {
        return Ok(None);
    };
    let expiry = scan
        .expires
        .as_deref()
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .map(|date| {
            (
                WorkaroundExpiry {
                    date,
                    source: ExpirySource::Scan(scan.id),
                },
                scan.time,
            )
        });
    let window = (scan.since, scan.until);
    let Some(analysis) = analyze_sources(store, &scan.sources, window, knowledge, expiry)? else {
        return Ok(None);
    };
    let inputs = store.recorded_inputs(&scan.sources)?;
    Ok(Some(RecordedScan {
        scan,
        inputs,
        analysis,
    }))
}

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
