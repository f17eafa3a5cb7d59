//! The scan pipeline: read evidence into the store, then run the rules over this run's
//! facts, streaming them back out of the store in a stable order.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use kizuna_analysis::{Analysis, ExpirySource, WorkaroundExpiry};
use kizuna_core::{Knowledge, Timestamp};
use kizuna_evidence::{EvtxPath, InputReport, InputStatus, Progress, ReadOptions, ingest_paths};
use kizuna_i18n::Lang;
pub use kizuna_pipeline::analyze_stored;
use kizuna_store::{FactFilter, Location, Store};

use crate::console::{Console, text};
use crate::progress::ProgressLine;

/// What to read and how.
pub struct ScanInput {
    pub paths: Vec<PathBuf>,
    pub threads: usize,
    pub evtx: EvtxPath,
    pub year: Option<i32>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub knowledge: Arc<Knowledge>,
    /// A directory read (`--server`) and the audit time its rules judge it at.
    pub directory: Option<(kizuna_core::directory::DirectorySnapshot, Timestamp)>,
    /// The date the workaround must be gone by (KZ-POL-004), when someone recorded one,
    /// and the time it is judged at.
    pub expiry: Option<(WorkaroundExpiry, Timestamp)>,
    /// Counters the readers advance.
    pub progress: Arc<Progress>,
    /// Draw a progress line on stderr, in this language, while reading.
    pub progress_line: Option<Lang>,
    /// How far archives are unpacked.
    pub limits: kizuna_evidence::Limits,
}

/// A store that was filled, with the reports of this run.
pub struct Ingested {
    pub store: Store,
    pub inputs: Vec<InputReport>,
    /// Where the store lives, when it is kept.
    pub db: Option<Location>,
}

impl Ingested {
    /// Whether anything at all could be read.
    pub fn anything_readable(&self) -> bool {
        self.inputs.iter().any(|i| i.status != InputStatus::Error)
    }

    /// The facts of this run, within the time window.
    pub fn filter(&self, input: &ScanInput, event_ids: Vec<u32>) -> FactFilter {
        FactFilter {
            inputs: self.store.run_fingerprints(),
            since: input.since,
            until: input.until,
            event_ids,
            identity_before: None,
        }
    }
}

/// Opens the store (`db`, else a temporary one) and reads every input into it.
pub fn ingest(input: &ScanInput, db: Option<&Location>) -> anyhow::Result<Ingested> {
    let mut store = match db {
        Some(loc) => Store::connect(loc)?,
        None => Store::temporary()?,
    };
    let opts = ReadOptions {
        threads: input.threads.max(1),
        evtx: input.evtx,
        year: input.year,
        knowledge: input.knowledge.clone(),
        progress: input.progress.clone(),
        limits: input.limits,
    };
    let line = ProgressLine::start(input.progress.clone(), input.progress_line);
    ingest_paths(&input.paths, &opts, &mut store);
    drop(line);
    let inputs = store.run_inputs();
    Ok(Ingested {
        store,
        inputs,
        db: db.cloned(),
    })
}

/// The workaround's expiry: `given` (`--expires`), else the newest plan's in the store
/// (`kizuna plan init --expires`). An unreadable plan is reported and skipped: the scan
/// itself does not depend on it.
pub fn workaround_expiry(
    given: Option<NaiveDate>,
    store: &Store,
    console: &Console,
) -> Option<WorkaroundExpiry> {
    if let Some(date) = given {
        return Some(WorkaroundExpiry {
            date,
            source: ExpirySource::Given,
        });
    }
    kizuna_pipeline::plan_expiry(store).unwrap_or_else(|e| {
        console.error("cli-plan-not-used", &[("error", text(e.to_string()))]);
        None
    })
}

/// Runs the rules over this run's facts.
pub fn analyze(ing: &Ingested, input: &ScanInput) -> anyhow::Result<Analysis> {
    let filter = ing.filter(input, Vec::new());
    Ok(analyze_stored(
        &ing.store,
        &filter,
        &input.knowledge,
        input.directory.as_ref(),
        input.expiry.clone(),
    )?)
}
