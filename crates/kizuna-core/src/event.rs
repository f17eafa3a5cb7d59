//! The one normalized shape of a watched Windows event, whatever file it came from.

use std::collections::BTreeMap;

use crate::{DeviceName, NtStatus, Timestamp};

/// Where a fact was read: the input path as the user named it (archive members as
/// `outer.zip!/member`) and, when known, the byte offset or line in that input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceRef {
    pub path: String,
    /// Byte offset of the record (EVTX chunk + record) when the reader knows it.
    pub offset: Option<u64>,
    /// 1-based line for text inputs.
    pub line: Option<u64>,
}

impl SourceRef {
    /// The folder an input path sits in (`PC01/SYSTEM` → `PC01`, an archive's member
    /// `b.zip!/PC01/SYSTEM` → `b.zip!/PC01`): what names the device of a hive, which has
    /// no name of its own. `None` for a file given without a folder.
    pub fn folder_of(path: &str) -> Option<String> {
        let cut = path.rfind(['/', '\\'])?;
        let folder = &path[..cut];
        (!folder.is_empty()).then(|| folder.trim_end_matches('!').to_string())
    }
}

/// A watched event, normalized. EVTX, event XML and event JSON readers all produce this,
/// and the same event read from any of them compares equal (apart from `source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Provider name as written (`NETLOGON`, `LsaSrv`, …).
    pub provider: String,
    pub event_id: u32,
    pub qualifiers: Option<u16>,
    pub time: Timestamp,
    pub record_id: Option<u64>,
    pub channel: Option<String>,
    /// The logging computer as written in `<Computer>`.
    pub computer: Option<String>,
    /// Unnamed `<Data>` values in order (%1, %2, …): classic providers such as NETLOGON.
    pub data: Vec<String>,
    /// Named `<Data Name="…">` values: manifest providers such as Security auditing.
    pub named: BTreeMap<String, String>,
    /// `<Binary>` as upper-case hex, when present.
    pub binary: Option<String>,
    /// NTSTATUS decoded from `<Binary>` (little-endian), else found in the data values.
    pub status: Option<NtStatus>,
    /// The device the event is about: the client named in a DC-side event, else the
    /// logging computer (see `data/watched.toml`).
    pub subject: Option<DeviceName>,
    pub source: SourceRef,
}

impl EventRecord {
    /// The logging computer as a device name.
    pub fn logging_device(&self) -> Option<DeviceName> {
        self.computer.as_deref().and_then(DeviceName::parse)
    }

    /// Equality of content, ignoring where it was read from.
    pub fn same_event(&self, other: &EventRecord) -> bool {
        let mut a = self.clone();
        a.source = other.source.clone();
        a == *other
    }
}
