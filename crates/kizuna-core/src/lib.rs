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
mod name;
mod netlogon;
mod ntstatus;
mod watch;

pub use catalog::{
    Affected, AffectedBuild, Hardening, Knowledge, KnowledgeError, StatusClass, StatusInfo,
    Thresholds,
};
pub use event::{EventRecord, SourceRef};
pub use finding::{Evidence, Finding, MessageArg, RuleId, Severity};
pub use identity::{DeviceRole, IdentityRecord, IdentitySource, MachineSid, OsBuild};
pub use name::{DeviceName, DomainName};
pub use netlogon::{NetlogonEntry, NetlogonKind};
pub use ntstatus::NtStatus;
pub use watch::{LoggedOn, Signal, SubjectFrom, WatchEntry, WatchList};

/// Timestamps are UTC everywhere inside kizuna.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
