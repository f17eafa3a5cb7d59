//! The SID scan use case: every target asked for its machine SID over SMB/LSARPC, and the
//! answers judged like any other evidence — the scan use case with a sweep as its evidence,
//! so KZ-SID groups from remote answers are made by the same rules as from hives,
//! inventories and PsGetSid output.

use kizuna_core::InputReport;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_sidscan::{Sweep, TargetError, Targets};
use kizuna_store::{Store, StoreError};

use crate::{ScanOutcome, ScanSettings, scan};

/// Whom a SID scan asks: the targets given, then the directory's enabled computers.
pub struct SidTargets {
    pub targets: Targets,
    /// Disabled computers of the directory, left out.
    pub disabled: usize,
    /// Computers the directory gave.
    pub from_directory: usize,
}

/// The targets given and the directory's enabled computers (when it was read), checked
/// against the size limit unless `large` is allowed.
pub fn sid_targets(
    mut given: Targets,
    directory: Option<&DirectorySnapshot>,
    large: bool,
) -> Result<SidTargets, TargetError> {
    let before = given.len();
    let disabled = directory.map_or(0, |d| given.add_directory(d));
    let from_directory = (given.len() - before) as usize;
    given.check_size(large)?;
    Ok(SidTargets {
        targets: given,
        disabled,
        from_directory,
    })
}

/// Asks every target of `sweep` and judges the answers in `store` (this run's facts
/// only); the directory read that named the targets is listed among the inputs (it is
/// not judged: a SID scan is about SIDs). `settings.directory` is not used.
pub fn sid_scan(
    store: &mut Store,
    sweep: &Sweep,
    directory: Option<InputReport>,
    settings: ScanSettings,
) -> Result<ScanOutcome, StoreError> {
    let mut outcome = scan(
        store,
        sweep,
        ScanSettings {
            directory: None,
            sysvol: None,
            ..settings
        },
    )?;
    outcome.inputs.extend(directory);
    Ok(outcome)
}
