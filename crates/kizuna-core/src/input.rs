//! Facts and what was read: the vocabulary readers hand to a sink (the store, a test's
//! collector) through [`Ingest`], and that the store, the rules and the outputs speak.
//!
//! Readers know formats and sinks know storage; neither knows the other. They meet only
//! in the use cases (`kizuna-pipeline`), through [`FactSource`] and [`Ingest`].

use std::fmt;

use crate::directory::DirectoryExport;
use crate::{EventRecord, IdentityRecord, NetlogonEntry};

/// A fact read from evidence.
#[derive(Debug, Clone)]
pub enum Fact {
    Event(EventRecord),
    Netlogon(NetlogonEntry),
    Identity(IdentityRecord),
    /// A directory export (boxed: one per file, and large).
    Directory(Box<DirectoryExport>),
}

/// The format of an input, as recognized from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    Evtx,
    EventXml,
    EventJson,
    NetlogonLog,
    /// Splunk's classic `WinEventLog` key=value blocks.
    WinEventLog,
    /// Log Analytics / Sentinel event rows saved as CSV.
    EventCsv,
    /// Event Viewer's CSV/TXT or `Get-WinEvent | Export-Csv`: only the rendered message.
    MessageCsv,
    HiveSam,
    HiveSecurity,
    HiveSystem,
    HiveSoftware,
    /// A registry transaction log (.LOG1/.LOG2): replayed into the hive beside it.
    HiveLog,
    PsGetSid,
    InventoryCsv,
    InventoryJson,
    /// Active Directory read over LDAP.
    Directory,
    /// Directory objects written by `ldifde` (LDIF).
    Ldif,
    /// Directory objects written by `csvde` or `Get-ADComputer | Export-Csv`.
    DirectoryCsv,
    /// A GPO's security template (`GptTmpl.inf`) in a SYSVOL copy.
    GptTmpl,
    /// One host's answer to a remote SID query (`lsarpc://HOST`).
    Lsarpc,
    Unknown,
}

impl InputKind {
    /// The contract name (`inputs[].kind` in `scan --format json`).
    pub fn as_str(&self) -> &'static str {
        match self {
            InputKind::Evtx => "evtx",
            InputKind::EventXml => "event-xml",
            InputKind::EventJson => "event-json",
            InputKind::NetlogonLog => "netlogon-log",
            InputKind::WinEventLog => "wineventlog",
            InputKind::EventCsv => "event-csv",
            InputKind::MessageCsv => "event-message-csv",
            InputKind::HiveSam => "hive-sam",
            InputKind::HiveSecurity => "hive-security",
            InputKind::HiveSystem => "hive-system",
            InputKind::HiveSoftware => "hive-software",
            InputKind::HiveLog => "hive-log",
            InputKind::PsGetSid => "psgetsid",
            InputKind::InventoryCsv => "inventory-csv",
            InputKind::InventoryJson => "inventory-json",
            InputKind::Directory => "directory",
            InputKind::Ldif => "ldif",
            InputKind::DirectoryCsv => "directory-csv",
            InputKind::GptTmpl => "gpttmpl",
            InputKind::Lsarpc => "lsarpc",
            InputKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> InputKind {
        [
            InputKind::Evtx,
            InputKind::EventXml,
            InputKind::EventJson,
            InputKind::NetlogonLog,
            InputKind::WinEventLog,
            InputKind::EventCsv,
            InputKind::MessageCsv,
            InputKind::HiveSam,
            InputKind::HiveSecurity,
            InputKind::HiveSystem,
            InputKind::HiveSoftware,
            InputKind::HiveLog,
            InputKind::PsGetSid,
            InputKind::InventoryCsv,
            InputKind::InventoryJson,
            InputKind::Directory,
            InputKind::Ldif,
            InputKind::DirectoryCsv,
            InputKind::GptTmpl,
            InputKind::Lsarpc,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(InputKind::Unknown)
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an input was read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputStatus {
    Ok,
    /// Damaged: some records were recovered, some were not.
    Partial,
    /// Nothing could be read.
    Error,
    /// Not evidence (a README, an unrelated file): not read, not an error.
    Skipped,
}

impl InputStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InputStatus::Ok => "ok",
            InputStatus::Partial => "partial",
            InputStatus::Error => "error",
            InputStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> InputStatus {
        match s {
            "ok" => InputStatus::Ok,
            "partial" => InputStatus::Partial,
            "skipped" => InputStatus::Skipped,
            _ => InputStatus::Error,
        }
    }
}

/// What was read from one input (a file, or a member of an archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputReport {
    /// The path as the user named it; archive members as `outer.zip!/member`.
    pub path: String,
    pub kind: InputKind,
    pub status: InputStatus,
    /// Records (EVTX records, XML/JSON events, log lines) read, damaged ones excluded.
    pub records: u64,
    /// Facts kept (watched events, relevant netlogon lines).
    pub kept: u64,
    /// What went wrong, with offsets or lines; capped, the total is in `error_count`.
    pub errors: Vec<String>,
    pub error_count: u64,
    /// Things the user should know that are not errors (the year assumed, …).
    pub notes: Vec<String>,
    /// SHA-256 of the content (after decompression), lower-case hex.
    pub fingerprint: String,
    pub size: u64,
}

/// At most this many error messages are kept per input; the count is always exact.
pub const MAX_ERRORS_KEPT: usize = 20;

impl InputReport {
    /// A report with nothing read yet.
    pub fn new(path: String, kind: InputKind, fingerprint: String, size: u64) -> Self {
        InputReport {
            path,
            kind,
            status: InputStatus::Ok,
            records: 0,
            kept: 0,
            errors: Vec::new(),
            error_count: 0,
            notes: Vec::new(),
            fingerprint,
            size,
        }
    }

    /// Records an error; keeps the first [`MAX_ERRORS_KEPT`] messages.
    pub fn error(&mut self, msg: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(msg.into());
        }
    }

    /// Sets the status from what was read: errors with records → partial, errors without → error.
    pub fn settle(&mut self) {
        self.status = match (self.error_count, self.records) {
            (0, _) => InputStatus::Ok,
            (_, 0) => InputStatus::Error,
            _ => InputStatus::Partial,
        };
        if self.error_count as usize > self.errors.len() {
            let more = self.error_count as usize - self.errors.len();
            self.errors.push(format!("… and {more} more errors"));
        }
    }
}

/// The consumer of what readers produce: usually the store.
///
/// Readers call it from one thread, in the order inputs finish. An error stops the
/// reading: no further input is started, the readers at work are told to stop, and the
/// reading returns the error. A sink that wants to stop without failing says so with an
/// error type of its own.
pub trait Ingest {
    /// Why the sink could not take what it was given.
    type Error;
    /// If content with this fingerprint was read before, its earlier report: it is then
    /// not read again.
    fn known(&mut self, fingerprint: &str) -> Result<Option<InputReport>, Self::Error>;
    /// Facts of the input being read, in batches.
    fn facts(&mut self, fingerprint: &str, facts: Vec<Fact>) -> Result<(), Self::Error>;
    /// The input is done (read, skipped or failed).
    fn finish(&mut self, report: InputReport) -> Result<(), Self::Error>;
}

/// Evidence that can be read into a sink. The readers implement it; the use cases take
/// it, so they put readers and store together without knowing any format.
pub trait FactSource {
    /// Reads every input into `sink`. Damaged inputs are reported, never an error; only
    /// the sink's error stops the reading.
    fn read_into<S: Ingest>(&self, sink: &mut S) -> Result<(), S::Error>;
}

/// Sinks for when facts need no store.
pub mod sinks {
    use std::convert::Infallible;

    use super::{Fact, Ingest, InputReport};

    /// Keeps every fact (with its input's fingerprint) and every report in memory, in
    /// the order they came: for tests and small tools. Never claims to know an input.
    #[derive(Debug, Default)]
    pub struct Collect {
        /// Facts with the fingerprint of the input they came from.
        pub facts: Vec<(String, Fact)>,
        /// One report per input, in the order inputs finished.
        pub reports: Vec<InputReport>,
    }

    impl Ingest for Collect {
        type Error = Infallible;
        fn known(&mut self, _: &str) -> Result<Option<InputReport>, Infallible> {
            Ok(None)
        }
        fn facts(&mut self, fingerprint: &str, facts: Vec<Fact>) -> Result<(), Infallible> {
            self.facts
                .extend(facts.into_iter().map(|f| (fingerprint.to_string(), f)));
            Ok(())
        }
        fn finish(&mut self, report: InputReport) -> Result<(), Infallible> {
            self.reports.push(report);
            Ok(())
        }
    }
}
