//! Core vocabulary of kizuna.
//!
//! Every other crate speaks in these types: readers produce [`EventRecord`]s and
//! [`NetlogonEntry`]s, rules produce [`Finding`]s, outputs render them. Knowledge that
//! changes with Microsoft's updates (which events matter, what an NTSTATUS means, rule
//! thresholds) is data in `data/*.toml`, compiled in and overridable at run time.

mod catalog;
pub mod directory;
mod event;
mod finding;
mod identity;
pub mod input;
mod lang;
pub mod message;
mod name;
mod netlogon;
mod ntstatus;
mod secret;
pub mod time;
mod watch;

pub use catalog::{
    Affected, AffectedBuild, Hardening, Knowledge, KnowledgeError, StatusClass, StatusInfo,
    Thresholds,
};
pub use event::{EventRecord, SourceRef};
pub use finding::{Evidence, Finding, FindingRecord, MessageArg, RuleId, Severity};
pub use identity::{DeviceRole, IdentityRecord, IdentitySource, MachineGuid, MachineSid, OsBuild};
pub use input::{Fact, FactSource, Ingest, InputKind, InputReport, InputStatus, MAX_ERRORS_KEPT};
pub use lang::Lang;
pub use name::{DeviceName, DomainName};
pub use netlogon::{NetlogonEntry, NetlogonKind};
pub use ntstatus::NtStatus;
pub use secret::Secret;
pub use watch::{LoggedOn, Signal, SubjectFrom, Verified, WatchEntry, WatchList};

/// Timestamps are UTC everywhere inside kizuna.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// A Windows FILETIME (100 ns intervals since 1601-01-01 UTC), as hives and the
/// directory store times. `None` for 0 and for the "never" value (`i64::MAX`), which
/// mean no time.
pub fn from_filetime(ticks: u64) -> Option<Timestamp> {
    use chrono::TimeZone;
    if ticks == 0 || ticks >= i64::MAX as u64 {
        return None;
    }
    let secs = (ticks / 10_000_000) as i64 - 11_644_473_600;
    let nanos = (ticks % 10_000_000) as u32 * 100;
    chrono::Utc.timestamp_opt(secs, nanos).single()
}
