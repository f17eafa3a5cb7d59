//! Offline registry hives (SAM, SECURITY, SYSTEM, SOFTWARE): machine identity without the
//! machine.
//!
//! When a computer's trust with its domain breaks, the first question is "which machine is
//! this, really?": its machine SID, NetBIOS name, domain membership, role, build and
//! Netlogon password settings. Often the only evidence is a set of hive files copied from a
//! disk image or a backup, so this module reads those facts from the hive files themselves,
//! offline, with no Windows API.
//!
//! The hive format parser is the `notatin` crate. It stays behind this small interface
//! ([`read_hive`] → [`HiveFacts`], plus [`sibling_logs`], [`is_primary_hive`] and
//! [`is_hive_log`]): nothing notatin-shaped leaves this module, so the parser can be swapped
//! without touching callers.
//!
//! A hive whose base block says it is dirty (primary sequence number != secondary) was not
//! fully flushed: the missing pages are in the transaction logs beside it (`.LOG1`, `.LOG2`).
//! Given to [`read_hive`], they are replayed in memory (the files are never written); without
//! them the hive is read as is and a note says so.
//!
//! The hive type is recognized from content (which keys exist), never from the file name.
//! Damage never panics: whatever could not be read is listed in [`HiveFacts::errors`] with
//! where it was (key path, value name, or the parser's own offsets).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use notatin::cell_key_node::CellKeyNode;
use notatin::cell_key_value::CellKeyValue;
use notatin::cell_value::CellValue;
use notatin::log::{LogCode, Logs};
use notatin::parser::{Parser, ParserIterator};
use notatin::parser_builder::ParserBuilder;

/// What a hive is, recognized from the keys it contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiveType {
    Sam,
    Security,
    System,
    Software,
    /// A readable hive that is none of the above (NTUSER.DAT, a component hive...).
    Unknown,
}

impl HiveType {
    fn label(self) -> &'static str {
        match self {
            HiveType::Sam => "SAM",
            HiveType::Security => "SECURITY",
            HiveType::System => "SYSTEM",
            HiveType::Software => "SOFTWARE",
            HiveType::Unknown => "hive",
        }
    }
}

/// The identity facts of one hive. `Option` fields are `None` when the value is absent or
/// empty (an empty UNICODE_STRING, an empty SID, an empty REG_SZ).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HiveFacts {
    /// Recognized from content (which keys exist), never from the file name.
    pub hive_type: Option<HiveType>,
    /// Base block primary sequence number != secondary (bytes 4..8 vs 8..12), as found on
    /// disk, before any log replay.
    pub dirty: bool,
    /// Base block bytes 12..20: when the hive was last written (a FILETIME). For a hive
    /// saved or copied from a running system, about when it was collected: the time its
    /// values were last known to hold.
    pub last_written: Option<kizuna_core::Timestamp>,
    /// Transaction logs the parser reported as replayed (empty when none were given, when
    /// the hive was clean so replay was skipped, or when replay failed; `notes` say which).
    pub logs_applied: Vec<PathBuf>,
    /// Keys reachable from the root (the count of notatin's `count_all_keys_and_values`).
    pub key_count: usize,
    /// "S-1-5-21-a-b-c". SAM: `SAM\Domains\Account` value `V`, descriptor #1. SECURITY:
    /// `Policy\PolAcDmS` default value.
    pub machine_sid: Option<String>,
    /// SAM only: whether the SID at descriptor #1 equals the last 24 bytes of `V`.
    pub sam_descriptor_matches_tail: Option<bool>,
    /// SECURITY `Policy\PolAcDmN`: the account domain, i.e. the computer's NetBIOS name.
    pub account_domain_name: Option<String>,
    /// SECURITY `Policy\PolPrDmN`: primary domain or workgroup name.
    pub primary_domain_name: Option<String>,
    /// SECURITY `Policy\PolPrDmS`: primary domain SID (`None` when not domain-joined).
    pub primary_domain_sid: Option<String>,
    /// SECURITY `Policy\PolDnDDN`: DNS domain name.
    pub dns_domain_name: Option<String>,
    /// SYSTEM `Select\Current`.
    pub current_control_set: Option<u32>,
    /// SYSTEM `ControlSet00N\Control\ComputerName\ComputerName` value `ComputerName`.
    pub computer_name: Option<String>,
    /// SYSTEM `...\Control\ProductOptions` value `ProductType`: WinNT, ServerNT or LanmanNT
    /// (a domain controller).
    pub product_type: Option<String>,
    /// SYSTEM `...\Services\Tcpip\Parameters` value `Hostname`.
    pub tcpip_hostname: Option<String>,
    /// SYSTEM `...\Services\Tcpip\Parameters` value `Domain`.
    pub tcpip_domain: Option<String>,
    /// SYSTEM `...\Services\Netlogon\Parameters`: `RefusePasswordChange`,
    /// `MaximumPasswordAge`, `DisablePasswordChange` when present, keyed in this canonical
    /// casing whatever the hive's casing.
    pub netlogon: BTreeMap<String, u32>,
    /// Hardening switches that tell look-alike failures apart, keyed as
    /// [`kizuna_core::IdentityRecord::hardening`] says: SYSTEM `...\Control\Lsa` value
    /// `MachineIdentityIsolation` and `...\Control\Lsa\MSV1_0` value `BlockNtlmv1SSO`;
    /// SOFTWARE `Policies\Microsoft\Windows\DeviceGuard` value `MachineIdentityIsolation`.
    pub hardening: BTreeMap<String, u32>,
    /// SOFTWARE `Microsoft\Windows NT\CurrentVersion` value `CurrentBuild` (a REG_SZ such as
    /// "26100"; `CurrentBuildNumber` when `CurrentBuild` is absent).
    pub current_build: Option<u32>,
    /// SOFTWARE `...\CurrentVersion` value `UBR` (update build revision).
    pub ubr: Option<u32>,
    /// SOFTWARE `...\CurrentVersion` value `DisplayVersion` (e.g. "24H2").
    pub display_version: Option<String>,
    /// SOFTWARE `...\CurrentVersion` value `ProductName`.
    pub product_name: Option<String>,
    /// SOFTWARE `...\CurrentVersion` value `EditionID`.
    pub edition_id: Option<String>,
    /// SOFTWARE `...\CurrentVersion` value `InstallationType` (Client, Server, Server Core).
    pub installation_type: Option<String>,
    /// SOFTWARE `Microsoft\Cryptography` value `MachineGuid` (REG_SZ): made when the
    /// installation is set up, so clones of one installation share it.
    pub machine_guid: Option<kizuna_core::MachineGuid>,
    /// What could not be read, with where (key path, value name, parser offsets).
    pub errors: Vec<String>,
    /// How the hive was read (dirty state, log replay, fallbacks).
    pub notes: Vec<String>,
}

/// The Netlogon parameters kept in [`HiveFacts::netlogon`], in canonical casing.
const NETLOGON_PARAMETERS: [&str; 3] = [
    "RefusePasswordChange",
    "MaximumPasswordAge",
    "DisablePasswordChange",
];

/// Hives and logs decompressed from `.xz`/`.gz` are refused beyond this size.
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Damage entries reported from the full-tree walk, at most (a wrecked hive can have
/// thousands); the rest are counted.
const MAX_WALK_ERRORS: usize = 50;

const XZ_MAGIC: &[u8] = &[0xFD, b'7', b'z', b'X', b'Z', 0x00];
const GZ_MAGIC: &[u8] = &[0x1F, 0x8B];

/// Reads a hive file, replaying the given transaction logs (.LOG1/.LOG2) when any are given.
///
/// The hive and the logs may be `.xz`- or gzip-compressed (recognized by content): they
/// are decompressed to a temporary directory that is removed on return, so [`sibling_logs`]
/// output can be passed straight in. Logs that are not transaction logs are ignored with
/// an error entry; if replaying the logs fails outright, the hive is read without them.
///
/// Err only when nothing at all is readable (not a hive, a transaction log, unreadable
/// file, no root key); partial damage goes into [`HiveFacts::errors`].
pub fn read_hive(path: &Path, logs: &[PathBuf]) -> Result<HiveFacts, String> {
    let shown = path.display();
    let mut tmp = None;
    let hive = plain_file(path, &mut tmp, "hive").map_err(|e| format!("{shown}: {e}"))?;
    let head = read_head(&hive, 4096).map_err(|e| format!("{shown}: {e}"))?;
    if !is_primary_hive(&head) {
        return Err(if is_hive_log(&head) {
            format!("{shown}: a registry transaction log, not a primary hive")
        } else {
            format!("{shown}: not a registry hive (no \"regf\" primary file header)")
        });
    }

    let mut facts = HiveFacts {
        dirty: u32_le(&head, 4) != u32_le(&head, 8),
        last_written: kizuna_core::from_filetime(
            u64::from(u32_le(&head, 12)) | u64::from(u32_le(&head, 16)) << 32,
        ),
        ..HiveFacts::default()
    };
    check_bins(&hive, &head, &mut facts);

    // Logs: decompress, keep only real transaction logs.
    let mut usable: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let checked = plain_file(log, &mut tmp, &format!("log{i}"))
            .and_then(|plain| read_head(&plain, 512).map(|h| (plain, h)));
        match checked {
            Ok((plain, h)) if is_hive_log(&h) => usable.push((log.clone(), plain)),
            Ok(_) => facts.errors.push(format!(
                "{}: not a registry transaction log; ignored",
                log.display()
            )),
            Err(e) => facts.errors.push(format!(
                "{}: cannot read transaction log: {e}",
                log.display()
            )),
        }
    }

    let plain_logs: Vec<PathBuf> = usable.iter().map(|(_, p)| p.clone()).collect();
    let mut parser = match build_parser(&hive, &plain_logs) {
        Ok(p) => p,
        Err(e) if !plain_logs.is_empty() => {
            facts.errors.push(format!(
                "{shown}: replaying the transaction logs failed ({e}); read without them"
            ));
            usable.clear();
            build_parser(&hive, &[]).map_err(|e| format!("{shown}: {e}"))?
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };

    let root = match guarded("reading the root key", || {
        parser.get_root_key().map_err(|e| e.to_string())
    }) {
        Ok(Some(root)) => root,
        Ok(None) => return Err(format!("{shown}: no root key")),
        Err(e) => return Err(format!("{shown}: {e}")),
    };

    // Parser messages from opening: base block state, log replay.
    let mut replayed = false;
    for (code, text) in log_entries(parser.get_parse_logs()) {
        if text.starts_with("Applied transaction log") {
            replayed = true;
        }
        match code {
            LogCode::Info | LogCode::WarningBaseBlock | LogCode::WarningTransactionLog => {
                facts.notes.push(format!("parser: {text}"))
            }
            _ => facts.errors.push(format!("{shown}: {text}")),
        }
    }
    if replayed {
        facts.logs_applied = usable.iter().map(|(orig, _)| orig.clone()).collect();
    }
    if facts.dirty {
        if logs.is_empty() {
            facts.notes.push(
                "dirty hive, no transaction logs found: read as is (logs not applied)".into(),
            );
        } else if !replayed {
            facts
                .notes
                .push("dirty hive, transaction logs given but not applied: read as is".into());
        }
    } else if !logs.is_empty() && !replayed {
        facts
            .notes
            .push("clean hive: transaction logs not needed, not applied".into());
    }

    walk_tree(&parser, &mut facts);

    let hive_type = detect_type(&mut parser, root, &mut facts);
    facts.hive_type = Some(hive_type);
    let mut reader = Reader {
        parser: &mut parser,
        facts: &mut facts,
        hive: hive_type.label(),
    };
    match hive_type {
        HiveType::Sam => reader.sam(),
        HiveType::Security => reader.security(),
        HiveType::System => reader.system(),
        HiveType::Software => reader.software(),
        HiveType::Unknown => reader.facts.notes.push(
            "hive type not recognized from its keys (not SAM, SECURITY, SYSTEM or SOFTWARE): \
             no identity facts read"
                .into(),
        ),
    }
    dedup(&mut facts.errors);
    dedup(&mut facts.notes);
    Ok(facts)
}

/// The transaction logs beside a hive: files in the same folder named `<name>.LOG1`,
/// `<name>.LOG2` or `<name>.LOG`, matched case-insensitively, where `<name>` is the hive's
/// file name without a trailing `.xz`/`.gz`; the logs may themselves end with `.xz`/`.gz`.
///
/// Compressed logs are returned as they are: [`read_hive`] decompresses them (with `xz2` /
/// `flate2`, to a temporary directory) itself. Returns the paths sorted; empty when the
/// folder cannot be listed.
pub fn sibling_logs(hive_path: &Path) -> Vec<PathBuf> {
    let Some(name) = hive_path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let base = strip_compression(&name.to_lowercase()).to_string();
    let wanted = [
        format!("{base}.log"),
        format!("{base}.log1"),
        format!("{base}.log2"),
    ];
    let dir = match hive_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| !t.is_dir()).unwrap_or(false))
        .filter_map(|e| {
            let file_name = e.file_name();
            let lower = file_name.to_str()?.to_lowercase();
            wanted
                .iter()
                .any(|w| w == strip_compression(&lower))
                .then(|| hive_path.with_file_name(&file_name))
        })
        .collect();
    found.sort();
    found
}

/// Whether the first bytes are a primary hive file: "regf" magic and file type 0 at
/// offset 28 (as opposed to a transaction log, or anything else).
pub fn is_primary_hive(head: &[u8]) -> bool {
    regf_file_type(head) == Some(0)
}

/// Whether the first bytes are a hive transaction log: "regf" magic and file type 1, 2
/// (old-format logs) or 6 (new-format `.LOG1`/`.LOG2`) at offset 28.
pub fn is_hive_log(head: &[u8]) -> bool {
    matches!(regf_file_type(head), Some(1 | 2 | 6))
}

fn regf_file_type(head: &[u8]) -> Option<u32> {
    if head.len() < 32 || !head.starts_with(b"regf") {
        return None;
    }
    Some(u32_le(head, 28))
}

fn strip_compression(name: &str) -> &str {
    name.strip_suffix(".xz")
        .or_else(|| name.strip_suffix(".gz"))
        .unwrap_or(name)
}

/// Little-endian u32 at `at`; 0 when out of bounds (callers check lengths first).
fn u32_le(b: &[u8], at: usize) -> u32 {
    at.checked_add(4)
        .and_then(|end| b.get(at..end))
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

fn u16_le(b: &[u8], at: usize) -> u16 {
    at.checked_add(2)
        .and_then(|end| b.get(at..end))
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn read_head(path: &Path, n: u64) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    File::open(path)?.take(n).read_to_end(&mut head)?;
    Ok(head)
}

/// `path` itself, or, when its content is xz or gzip, a decompressed copy in `tmp`.
fn plain_file(path: &Path, tmp: &mut Option<tempfile::TempDir>, tag: &str) -> io::Result<PathBuf> {
    let head = read_head(path, 6)?;
    let reader: Box<dyn Read> = if head.starts_with(XZ_MAGIC) {
        Box::new(xz2::read::XzDecoder::new_multi_decoder(File::open(path)?))
    } else if head.starts_with(GZ_MAGIC) {
        Box::new(flate2::read::MultiGzDecoder::new(File::open(path)?))
    } else {
        return Ok(path.to_path_buf());
    };
    let dir = match tmp {
        Some(dir) => dir,
        None => tmp.insert(tempfile::tempdir()?),
    };
    let out_path = dir.path().join(tag);
    let mut out = File::create(&out_path)?;
    let written = io::copy(&mut reader.take(MAX_DECOMPRESSED + 1), &mut out)?;
    if written > MAX_DECOMPRESSED {
        return Err(io::Error::other(format!(
            "decompresses to more than {MAX_DECOMPRESSED} bytes; refused"
        )));
    }
    Ok(out_path)
}

thread_local! {
    static CAUGHT_PANICS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Panics of the hive parser caught on this thread so far. Each is a parser bug, never the
/// hive's fault: the fuzz target fails on any, though `read_hive` carries on.
pub fn caught_panics() -> u64 {
    CAUGHT_PANICS.with(|c| c.get())
}

/// Runs parser code, turning a panic inside it into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| format!("{what}: {e}")),
        Err(panic) => {
            CAUGHT_PANICS.with(|c| c.set(c.get() + 1));
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("{what}: the hive parser panicked: {msg}"))
        }
    }
}

fn build_parser(hive: &Path, logs: &[PathBuf]) -> Result<Parser, String> {
    let hive = hive.to_path_buf();
    let logs = logs.to_vec();
    guarded("opening the hive", move || {
        let mut builder = ParserBuilder::from_path(hive);
        for log in logs {
            builder.with_transaction_log(log);
        }
        builder.build().map_err(|e| e.to_string())
    })
}

mod damage;
mod decode;
mod facts;
#[cfg(test)]
mod tests;

use damage::*;
use decode::*;
use facts::*;
