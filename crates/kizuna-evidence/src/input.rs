//! What a reader reports about one input.

use std::fmt;

use kizuna_core::{EventRecord, IdentityRecord, NetlogonEntry};

/// Decides whether a normalized event is kept (see `Knowledge::admit`).
pub(crate) type Admit<'a> = &'a dyn Fn(EventRecord) -> Option<EventRecord>;

/// A fact read from evidence.
#[derive(Debug, Clone)]
pub enum Fact {
    Event(EventRecord),
    Netlogon(NetlogonEntry),
    Identity(IdentityRecord),
}

/// The format of an input, as recognized from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    Evtx,
    EventXml,
    EventJson,
    NetlogonLog,
    HiveSam,
    HiveSecurity,
    HiveSystem,
    HiveSoftware,
    /// A registry transaction log (.LOG1/.LOG2): replayed into the hive beside it.
    HiveLog,
    PsGetSid,
    InventoryCsv,
    InventoryJson,
    /// Active Directory read over LDAP (`--server`).
    Directory,
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
            InputKind::HiveSam => "hive-sam",
            InputKind::HiveSecurity => "hive-security",
            InputKind::HiveSystem => "hive-system",
            InputKind::HiveSoftware => "hive-software",
            InputKind::HiveLog => "hive-log",
            InputKind::PsGetSid => "psgetsid",
            InputKind::InventoryCsv => "inventory-csv",
            InputKind::InventoryJson => "inventory-json",
            InputKind::Directory => "directory",
            InputKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> InputKind {
        [
            InputKind::Evtx,
            InputKind::EventXml,
            InputKind::EventJson,
            InputKind::NetlogonLog,
            InputKind::HiveSam,
            InputKind::HiveSecurity,
            InputKind::HiveSystem,
            InputKind::HiveSoftware,
            InputKind::HiveLog,
            InputKind::PsGetSid,
            InputKind::InventoryCsv,
            InputKind::InventoryJson,
            InputKind::Directory,
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
}

impl InputStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InputStatus::Ok => "ok",
            InputStatus::Partial => "partial",
            InputStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> InputStatus {
        match s {
            "ok" => InputStatus::Ok,
            "partial" => InputStatus::Partial,
            _ => InputStatus::Error,
        }
    }
}

/// Where the year of a netlogon.log came from (its lines carry none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearSource {
    /// `--year` on the command line.
    Option(i32),
    /// The file's modification time.
    FileTime(i32),
}

impl YearSource {
    pub fn year(&self) -> i32 {
        match self {
            YearSource::Option(y) | YearSource::FileTime(y) => *y,
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
    pub(crate) fn error(&mut self, msg: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(msg.into());
        }
    }

    /// Counts one parsed event and passes it on when it is watched; a parse failure
    /// becomes an error naming `at` (an offset or a line).
    pub(crate) fn event(
        &mut self,
        parsed: Result<EventRecord, String>,
        at: &str,
        admit: Admit<'_>,
        out: &mut dyn FnMut(Fact),
    ) {
        match parsed {
            Ok(rec) => {
                self.records += 1;
                if let Some(rec) = admit(rec) {
                    self.kept += 1;
                    out(Fact::Event(rec));
                }
            }
            Err(msg) => self.error(format!("{at}: event skipped: {msg}")),
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
