//! The rules over stored facts: one function, so the same facts give the same findings
//! wherever they are judged (a scan, a recorded scan, a gate, the server's views).

use std::path::Path;

use kizuna_core::directory::{DirectorySnapshot, merge_exports};
use kizuna_core::{EventRecord, InputReport, Knowledge, Timestamp};
use kizuna_rules::{Analysis, Analyzer, ExpirySource, WorkaroundCheck, WorkaroundExpiry};
use kizuna_store::{FactFilter, Fingerprints, Inputs, ScanRow, ScanSource, Store};

/// Runs the rules over the stored facts `filter` selects, with a directory read and the
/// workaround expiry (each with the time it is judged at) when there are any. `at` is the
/// time of the judging: a stored directory export that does not say when it was taken is
/// judged at it.
pub fn analyze_stored(
    store: &Store,
    filter: &FactFilter,
    knowledge: &Knowledge,
    directory: Option<&(DirectorySnapshot, Timestamp)>,
    expiry: Option<(WorkaroundExpiry, Timestamp)>,
    at: Timestamp,
) -> kizuna_store::Result<Analysis> {
    judge(store, Some(filter), knowledge, directory, expiry, at, None)
}

/// Whether the stored evidence shows problem A or only its look-alikes (`kizuna gpo
/// workaround --db`): every complete input judged at `at`.
pub fn workaround_check(
    store: &Store,
    knowledge: &Knowledge,
    at: Timestamp,
) -> kizuna_store::Result<WorkaroundCheck> {
    let analysis = analyze_stored(store, &FactFilter::default(), knowledge, None, None, at)?;
    Ok(WorkaroundCheck::of(&analysis))
}

/// The rules over the stored facts `facts` selects (none when `None`) with their
/// directory exports (their GPO settings from `sysvol` when given), a directory read and
/// the workaround expiry.
pub(crate) fn judge(
    store: &Store,
    facts: Option<&FactFilter>,
    knowledge: &Knowledge,
    directory: Option<&(DirectorySnapshot, Timestamp)>,
    expiry: Option<(WorkaroundExpiry, Timestamp)>,
    at: Timestamp,
    sysvol: Option<&Path>,
) -> kizuna_store::Result<Analysis> {
    let mut analyzer = Analyzer::new(knowledge);
    if let Some((e, now)) = expiry {
        analyzer.set_workaround_expiry(e, now);
    }
    if let Some(filter) = facts {
        store.for_each_event(filter, |e: EventRecord| analyzer.add_event(&e))?;
        store.for_each_netlogon(filter, |n| analyzer.add_netlogon(&n))?;
        store.for_each_identity(filter, |r| analyzer.add_identity(&r))?;
        let mut exports = Vec::new();
        store.for_each_directory_export(filter, |x| exports.push(x))?;
        for (mut snap, when) in merge_exports(exports, at) {
            // A live read of the same domain is the newer picture: the export gives way.
            let live = directory.is_some_and(|(d, _)| {
                d.domain
                    .default_naming_context
                    .eq_ignore_ascii_case(&snap.domain.default_naming_context)
            });
            if live {
                continue;
            }
            if let Some(dir) = sysvol {
                // The folder was checked when the scan was asked for; what it cannot
                // match is in the snapshot's notes, and unmatched GPOs stay unchecked.
                let _ = kizuna_directory::read_sysvol(dir, &mut snap);
            }
            analyzer.add_directory(snap, when);
        }
    }
    if let Some((snap, now)) = directory {
        analyzer.add_directory(snap.clone(), *now);
    }
    Ok(analyzer.finish())
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

/// The rules over the facts of `sources` only, within `(since, until)`, judged at `at`:
/// what a scan of exactly those inputs finds. `None` when there are no sources.
pub fn analyze_sources(
    store: &Store,
    sources: &[ScanSource],
    (since, until): (Option<Timestamp>, Option<Timestamp>),
    knowledge: &Knowledge,
    expiry: Option<(WorkaroundExpiry, Timestamp)>,
    at: Timestamp,
) -> kizuna_store::Result<Option<Analysis>> {
    let Some(inputs) = Fingerprints::new(sources.iter().map(|s| s.fingerprint.clone())) else {
        return Ok(None);
    };
    let filter = FactFilter {
        inputs: Inputs::Only(inputs),
        since,
        until,
        ..FactFilter::default()
    };
    analyze_stored(store, &filter, knowledge, None, expiry, at).map(Some)
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
    let Some(analysis) =
        analyze_sources(store, &scan.sources, window, knowledge, expiry, scan.time)?
    else {
        return Ok(None);
    };
    let inputs = store.recorded_inputs(&scan.sources)?;
    Ok(Some(RecordedScan {
        scan,
        inputs,
        analysis,
    }))
}
