//! The scan use case: read evidence into a store, judge what this run read (with a
//! directory read and the workaround expiry when there are any), record it as a scan.
//! `kizuna scan`, `kizuna devices`, `kizuna demo` and every upload to the server run it.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{FactSource, InputReport, InputStatus, Knowledge, Timestamp};
use kizuna_plan::PlanError;
use kizuna_rules::{Analysis, WorkaroundExpiry};
use kizuna_store::{AuditRow, FactFilter, Fingerprints, Inputs, ScanRow, Store, StoreError};

use crate::judge::judge;
use crate::{scan_sources, workaround_expiry};

/// The time window facts are judged in (`--since` / `--until`, or an API query).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Facts at or after this time.
    pub since: Option<Timestamp>,
    /// Facts before this time.
    pub until: Option<Timestamp>,
}

/// A directory read (LDAP and SYSVOL) and its line among the inputs.
pub type DirectoryRead = (DirectorySnapshot, InputReport);

/// How a scan reads, judges and records: resolved once from the command line or a
/// request.
#[derive(Clone)]
pub struct ScanSettings {
    pub window: Window,
    pub knowledge: Arc<Knowledge>,
    /// The date the workaround must be gone by, as the user gave it; else the newest
    /// plan's in the store.
    pub expires: Option<NaiveDate>,
    /// The directory read with the evidence, if any.
    pub directory: Option<DirectoryRead>,
    /// Where the GPO settings of directory exports among the evidence come from: a SYSVOL
    /// copy or a folder of GPMC backups (KZ-AD-004/005 need them).
    pub sysvol: Option<PathBuf>,
    /// The time the rules judge at (the clock, or a lab's last day).
    pub now: Timestamp,
    /// Record the scan in the store (the history the review and the reports read).
    pub record: bool,
    /// Who ran it, recorded with it (an account or a token; `None` from the CLI).
    pub actor: Option<String>,
}

/// What reading evidence into a store yielded.
pub struct Read {
    /// Each input's report, by path (content found at several paths is read once).
    pub inputs: Vec<InputReport>,
    /// The inputs this run read content from; `None` when it read none.
    pub fingerprints: Option<Fingerprints>,
}

impl Read {
    /// Whether anything at all could be read.
    pub fn anything_readable(&self) -> bool {
        self.inputs
            .iter()
            .any(|i| !matches!(i.status, InputStatus::Error | InputStatus::Skipped))
    }

    /// The stored facts of this run within `window`; `None` when it read no content, so
    /// that nothing else the store holds is taken for it.
    pub fn facts(&self, window: Window, event_ids: Vec<u32>) -> Option<FactFilter> {
        self.fingerprints.clone().map(|f| FactFilter {
            inputs: Inputs::Only(f),
            since: window.since,
            until: window.until,
            event_ids,
            identity_before: None,
        })
    }
}

/// Reads `evidence` into `store` and ends the store's run: the reports are this run's
/// alone, even on a store that lives on (the server).
pub fn read(store: &mut Store, evidence: &impl FactSource) -> Result<Read, StoreError> {
    evidence.read_into(store)?;
    store.settle_paths()?;
    let fingerprints = store.run_fingerprints();
    let inputs = store.take_run();
    Ok(Read {
        inputs,
        fingerprints,
    })
}

/// What a scan found and did.
pub struct ScanOutcome {
    /// Every input's report: the evidence's, then the directory's.
    pub inputs: Vec<InputReport>,
    /// The stored facts this scan judged; `None` when it read no content.
    pub facts: Option<FactFilter>,
    /// The findings; `None` when nothing was readable and no directory was read.
    pub analysis: Option<Analysis>,
    /// The workaround expiry judged by, and when.
    pub expiry: Option<(WorkaroundExpiry, Timestamp)>,
    /// The directory snapshot judged, and when.
    pub directory: Option<(DirectorySnapshot, Timestamp)>,
    /// The stored plan could not be read: the scan went on without its expiry.
    pub plan_unreadable: Option<PlanError>,
    /// The id the scan was recorded under, or why it could not be; `None` when not asked
    /// to record or when nothing was judged.
    pub recorded: Option<Result<i64, StoreError>>,
}

/// Reads `evidence` into `store`, judges this run's facts (never other stored inputs)
/// with the directory read and the workaround expiry, and records the scan when asked.
/// Only the store failing to take the evidence is an error: a plan that cannot be read or
/// a scan that cannot be recorded is reported in the outcome.
pub fn scan(
    store: &mut Store,
    evidence: &impl FactSource,
    settings: ScanSettings,
) -> Result<ScanOutcome, StoreError> {
    let read = read(store, evidence)?;
    judge_read(store, read, settings)
}

/// Evidence read into a staging store of its own, waiting to be taken into a shared
/// store ([`Staged::commit`]): how the server keeps reading an upload from holding up
/// everyone else, and a crash from leaving half an upload behind.
pub struct Staged {
    store: Store,
}

/// Reads `evidence` into a new staging store at `path` (a file in a folder the caller
/// removes afterwards). Touches no shared store.
pub fn stage(evidence: &impl FactSource, path: &std::path::Path) -> Result<Staged, StoreError> {
    let mut store = Store::staging(path)?;
    evidence.read_into(&mut store)?;
    Ok(Staged { store })
}

impl Staged {
    /// Takes the staged evidence into `store` and scans it there as [`scan`] does, with
    /// the audit entry `audit` makes of the outcome, in one transaction: every input, the
    /// scan and the audit row are stored together or not at all. Content the store holds
    /// already is not stored twice; content it holds under a larger path moves to the
    /// smaller one.
    pub fn commit(
        mut self,
        store: &mut Store,
        settings: ScanSettings,
        audit: impl FnOnce(&ScanOutcome) -> AuditRow,
    ) -> Result<ScanOutcome, StoreError> {
        store.atomically(|store| {
            store.absorb(&mut self.store)?;
            let read = Read {
                fingerprints: store.run_fingerprints(),
                inputs: store.take_run(),
            };
            let mut outcome = judge_read(store, read, settings)?;
            // A scan that could not be recorded takes the upload with it.
            match outcome.recorded.take() {
                Some(Err(e)) => return Err(e),
                recorded => outcome.recorded = recorded,
            }
            store.audit(&audit(&outcome))?;
            Ok(outcome)
        })
    }
}

/// Judges what `read` read in `store` and records the scan when asked: the part of
/// [`scan`] after reading.
fn judge_read(
    store: &mut Store,
    read: Read,
    settings: ScanSettings,
) -> Result<ScanOutcome, StoreError> {
    let (expiry, plan_unreadable) = workaround_expiry(store, settings.expires);
    let expiry = expiry.map(|e| (e, settings.now));
    let facts = read.facts(settings.window, Vec::new());
    let readable = read.anything_readable();
    let Read { mut inputs, .. } = read;
    let directory = settings.directory.map(|(snap, report)| {
        inputs.push(report);
        (snap, settings.now)
    });
    let mut outcome = ScanOutcome {
        inputs,
        facts,
        analysis: None,
        expiry,
        directory,
        plan_unreadable,
        recorded: None,
    };
    if !readable && outcome.directory.is_none() {
        return Ok(outcome);
    }
    let analysis = judge(
        store,
        outcome.facts.as_ref(),
        &settings.knowledge,
        outcome.directory.as_ref(),
        outcome.expiry.clone(),
        settings.window.until.unwrap_or(settings.now),
        settings.sysvol.as_deref(),
    )?;
    if settings.record {
        outcome.recorded = Some(store.record_scan(&ScanRow {
            id: 0,
            time: settings.now,
            since: settings.window.since,
            until: settings.window.until,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: outcome.inputs.len(),
            devices: analysis.devices.len(),
            expires: outcome.expiry.as_ref().map(|(e, _)| e.date.to_string()),
            findings: analysis.findings.iter().map(Into::into).collect(),
            actor: settings.actor,
            // A directory read is not stored (exports are), so a scan with one cannot be
            // judged again from the store: its inputs are not recorded.
            sources: if outcome.directory.is_none() {
                scan_sources(&outcome.inputs)
            } else {
                Vec::new()
            },
        }));
    }
    outcome.analysis = Some(analysis);
    Ok(outcome)
}
