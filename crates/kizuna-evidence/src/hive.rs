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
//! [`is_hive_log`]): nothing notatin-shaped leaves this file, so the parser can be swapped
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

fn log_entries(logs: &Logs) -> Vec<(LogCode, String)> {
    logs.get()
        .map(|v| v.iter().map(|l| (l.code, l.text.clone())).collect())
        .unwrap_or_default()
}

/// Counts the keys (as `count_all_keys_and_values` does) and collects the damage the
/// parser recorded on keys and values along the way.
fn walk_tree(parser: &Parser, facts: &mut HiveFacts) {
    let walked = guarded("walking the key tree", || {
        let mut keys = 0usize;
        let mut damage = Vec::new();
        for key in ParserIterator::new(parser).iter() {
            keys += 1;
            damage.extend(key_damage(&key));
            for value in key.value_iter() {
                for (_, text) in log_entries(&value.logs) {
                    let (path, text) = tidy(&key, &text);
                    damage.push(format!("{path} value {}: {text}", value.get_pretty_name()));
                }
            }
        }
        Ok((keys, damage))
    });
    match walked {
        Ok((keys, mut damage)) => {
            facts.key_count = keys;
            dedup(&mut damage);
            let more = damage.len().saturating_sub(MAX_WALK_ERRORS);
            damage.truncate(MAX_WALK_ERRORS);
            facts.errors.extend(damage);
            if more > 0 {
                facts
                    .errors
                    .push(format!("... and {more} more damaged keys or values"));
            }
        }
        Err(e) => facts.errors.push(e),
    }
}

/// The damage notatin recorded on a key, one entry each, located by the key's path.
fn key_damage(key: &CellKeyNode) -> Vec<String> {
    log_entries(&key.logs)
        .into_iter()
        .map(|(_, text)| {
            let (path, text) = tidy(key, &text);
            format!("{path}: {text}")
        })
        .collect()
}

/// The key's path without the root key's name, and `text` with the full path shortened
/// the same way (and not repeated at its start).
fn tidy(key: &CellKeyNode, text: &str) -> (String, String) {
    let full = key.path.trim_start_matches('\\');
    let shown = match full.split_once('\\') {
        Some((_root, below)) => below,
        None => "(root key)",
    };
    let mut text = text.to_string();
    if !key.path.is_empty() {
        text = text.replace(&key.path, shown);
    }
    let text = text
        .strip_prefix(shown)
        .map(|t| t.trim_start_matches(':').trim_start().to_string())
        .unwrap_or(text);
    (shown.to_string(), text)
}

/// Checks the hive-bin chain on disk: the file holds the hive-bins size its base block
/// declares, and each bin starts with "hbin" and a size that is a multiple of 4096.
/// notatin reads past such damage without a word, so it is reported here.
fn check_bins(path: &Path, head: &[u8], facts: &mut HiveFacts) {
    const BASE_BLOCK: u64 = 4096;
    const MAX_REPORTS: usize = 10;
    let declared = u64::from(u32_le(head, 40));
    let Ok(mut file) = File::open(path) else {
        return;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return;
    };
    let available = len.saturating_sub(BASE_BLOCK);
    if available < declared {
        facts.errors.push(format!(
            "file truncated: the base block declares {declared} bytes of hive bins, the file \
             has {available} after its {BASE_BLOCK}-byte header"
        ));
    }
    let end = BASE_BLOCK + declared.min(available);
    let mut at = BASE_BLOCK;
    let mut reports = 0;
    let mut header = [0u8; 32];
    while at + 32 <= end {
        if reports == MAX_REPORTS {
            facts
                .errors
                .push(format!("hive bins after file offset 0x{at:x} not checked"));
            break;
        }
        if file.seek(SeekFrom::Start(at)).is_err() || file.read_exact(&mut header).is_err() {
            break;
        }
        let size = u64::from(u32_le(&header, 8));
        let size_ok = size >= 4096 && size & 0xFFF == 0;
        if &header[..4] != b"hbin" {
            facts.errors.push(format!(
                "hive bin at file offset 0x{at:x}: signature {}, expected \"hbin\" (damaged \
                 hive bin header)",
                shown_signature(&header[..4])
            ));
            reports += 1;
        } else if !size_ok {
            facts.errors.push(format!(
                "hive bin at file offset 0x{at:x}: size {size} is not a multiple of 4096"
            ));
            reports += 1;
        }
        at += if size_ok { size } else { 4096 };
    }
}

/// `"gbin"` when printable, else hex bytes (`00 00 00 00`).
fn shown_signature(b: &[u8]) -> String {
    if b.iter().all(|c| c.is_ascii_graphic()) {
        format!("\"{}\"", String::from_utf8_lossy(b))
    } else {
        b.iter()
            .map(|c| format!("{c:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

/// Recognizes the hive from its root sub-keys and a few telltale keys.
fn detect_type(parser: &mut Parser, mut root: CellKeyNode, facts: &mut HiveFacts) -> HiveType {
    let names = match guarded("listing the root key", || {
        Ok(root
            .read_sub_keys(parser)
            .into_iter()
            .map(|k| k.key_name.to_lowercase())
            .collect::<Vec<_>>())
    }) {
        Ok(names) => names,
        Err(e) => {
            facts.errors.push(e);
            Vec::new()
        }
    };
    let has = |n: &str| names.iter().any(|k| k == n);
    let mut exists = |path: &str| find_key(parser, path).ok().flatten().is_some();
    // SECURITY's root is Cache, Policy, RXACT, SAM; SAM's is SAM alone; SYSTEM's has
    // Select and ControlSet00N; SOFTWARE's has Microsoft, Classes, Clients...
    if has("policy")
        && (has("rxact")
            || has("cache")
            || exists("Policy\\PolAcDmS")
            || exists("Policy\\PolAdtEv"))
    {
        HiveType::Security
    } else if has("sam") && (names.len() == 1 || exists("SAM\\Domains\\Account")) {
        HiveType::Sam
    } else if has("select") && names.iter().any(|k| k.starts_with("controlset")) {
        HiveType::System
    } else if has("microsoft")
        && (has("classes") || has("clients") || exists("Microsoft\\Windows NT\\CurrentVersion"))
    {
        HiveType::Software
    } else {
        HiveType::Unknown
    }
}

/// Case-insensitive key lookup (notatin matches path segments ASCII-case-insensitively).
fn find_key(parser: &mut Parser, path: &str) -> Result<Option<CellKeyNode>, String> {
    guarded(path, || {
        parser.get_key(path, false).map_err(|e| e.to_string())
    })
}

/// Whether a missing key or value is an error (the hive type always has it) or not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}

struct Reader<'a> {
    parser: &'a mut Parser,
    facts: &'a mut HiveFacts,
    hive: &'static str,
}

impl Reader<'_> {
    fn error(&mut self, msg: String) {
        self.facts.errors.push(format!("{} {msg}", self.hive));
    }

    fn key(&mut self, path: &str, need: Need) -> Option<CellKeyNode> {
        match find_key(self.parser, path) {
            Ok(Some(key)) => {
                self.facts.errors.extend(key_damage(&key));
                Some(key)
            }
            Ok(None) => {
                if need == Need::Required {
                    self.error(format!("{path}: key not found"));
                }
                None
            }
            Err(e) => {
                self.error(e);
                None
            }
        }
    }

    /// A value of `key` (name matched case-insensitively; "" is the default value).
    fn value(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<Raw> {
        let Some(value) = key.get_value(name) else {
            if need == Need::Required {
                self.error(format!("{path}: value {} not found", shown_name(name)));
            }
            return None;
        };
        let (content, logs) = value.get_content();
        for (_, text) in logs.as_ref().map(log_entries).unwrap_or_default() {
            self.error(format!("{path} value {}: {text}", shown_name(name)));
        }
        Some(Raw::new(&value, content))
    }

    fn string(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<String> {
        let raw = self.value(key, path, name, need)?;
        match raw.string() {
            Ok(s) => non_empty(s),
            Err(e) => {
                self.error(format!("{path} value {}: {e}", shown_name(name)));
                None
            }
        }
    }

    fn number(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<u32> {
        let raw = self.value(key, path, name, need)?;
        match raw.number() {
            Ok(n) => Some(n),
            Err(e) => {
                self.error(format!("{path} value {}: {e}", shown_name(name)));
                None
            }
        }
    }

    fn sam(&mut self) {
        const PATH: &str = "SAM\\Domains\\Account";
        let Some(key) = self.key(PATH, Need::Required) else {
            return;
        };
        let Some(v) = self.value(&key, PATH, "V", Need::Required) else {
            return;
        };
        let v = v.bytes;
        match sam_descriptor_sid(&v) {
            Ok((sid, matches_tail)) => {
                self.facts.machine_sid = Some(sid);
                self.facts.sam_descriptor_matches_tail = Some(matches_tail);
            }
            Err(e) => {
                self.error(format!("{PATH} value V: {e}"));
                let tail = v.len().checked_sub(24).and_then(|start| v.get(start..));
                match tail.map(sid_to_string) {
                    Some(Ok(sid)) => {
                        self.facts.notes.push(format!(
                            "SAM machine SID taken from the last 24 bytes of V ({sid}): \
                             descriptor 1 is unreadable"
                        ));
                        self.facts.machine_sid = Some(sid);
                    }
                    Some(Err(e)) => self.error(format!("{PATH} value V, last 24 bytes: {e}")),
                    None => {}
                }
            }
        }
    }

    fn security(&mut self) {
        self.facts.machine_sid = self.policy_sid("PolAcDmS", Need::Required);
        self.facts.primary_domain_sid = self.policy_sid("PolPrDmS", Need::Optional);
        self.facts.account_domain_name = self.policy_name("PolAcDmN", Need::Required);
        self.facts.primary_domain_name = self.policy_name("PolPrDmN", Need::Required);
        self.facts.dns_domain_name = self.policy_name("PolDnDDN", Need::Optional);
    }

    /// `Policy\<name>` default value, a raw SID (empty = `None`).
    fn policy_sid(&mut self, name: &str, need: Need) -> Option<String> {
        let path = format!("Policy\\{name}");
        let key = self.key(&path, need)?;
        let raw = self.value(&key, &path, "", need)?;
        if raw.bytes.is_empty() {
            return None;
        }
        match sid_to_string(&raw.bytes) {
            Ok(sid) => Some(sid),
            Err(e) => {
                self.error(format!("{path} (default): {e}"));
                None
            }
        }
    }

    /// `Policy\<name>` default value, a UNICODE_STRING header + UTF-16LE.
    fn policy_name(&mut self, name: &str, need: Need) -> Option<String> {
        let path = format!("Policy\\{name}");
        let key = self.key(&path, need)?;
        let raw = self.value(&key, &path, "", need)?;
        match unicode_string(&raw.bytes) {
            Ok(s) => s,
            Err(e) => {
                self.error(format!("{path} (default): {e}"));
                None
            }
        }
    }

    fn system(&mut self) {
        let set = self.control_set();
        let Some(set) = set else {
            return;
        };
        let path = format!("{set}\\Control\\ComputerName\\ComputerName");
        if let Some(key) = self.key(&path, Need::Required) {
            self.facts.computer_name = self.string(&key, &path, "ComputerName", Need::Required);
        }
        let path = format!("{set}\\Control\\ProductOptions");
        if let Some(key) = self.key(&path, Need::Required) {
            self.facts.product_type = self.string(&key, &path, "ProductType", Need::Required);
        }
        let path = format!("{set}\\Services\\Tcpip\\Parameters");
        if let Some(key) = self.key(&path, Need::Optional) {
            self.facts.tcpip_hostname = self.string(&key, &path, "Hostname", Need::Optional);
            self.facts.tcpip_domain = self.string(&key, &path, "Domain", Need::Optional);
        }
        let path = format!("{set}\\Services\\Netlogon\\Parameters");
        if let Some(key) = self.key(&path, Need::Optional) {
            for name in NETLOGON_PARAMETERS {
                if let Some(n) = self.number(&key, &path, name, Need::Optional) {
                    self.facts.netlogon.insert(name.to_string(), n);
                }
            }
        }
    }

    /// `ControlSet00N` per `Select\Current`; falls back (with a note) to `Select\Default`,
    /// then to the first `ControlSet00N` present.
    fn control_set(&mut self) -> Option<String> {
        let select = self.key("Select", Need::Required);
        let mut current = None;
        let mut default = None;
        if let Some(select) = &select {
            current = self.number(select, "Select", "Current", Need::Required);
            default = self.number(select, "Select", "Default", Need::Optional);
        }
        self.facts.current_control_set = current;
        let mut candidates: Vec<(u32, &str)> = Vec::new();
        if let Some(n) = current {
            candidates.push((n, "Select\\Current"));
        }
        if let Some(n) = default {
            candidates.push((n, "Select\\Default"));
        }
        candidates.extend((1..=9).map(|n| (n, "the first control set present")));
        for (i, (n, source)) in candidates.into_iter().enumerate() {
            let set = format!("ControlSet{n:03}");
            if find_key(self.parser, &set).ok().flatten().is_some() {
                if i > 0 || current.is_none() {
                    self.facts
                        .notes
                        .push(format!("SYSTEM facts read from {set} ({source})"));
                }
                return Some(set);
            }
            if i == 0 && current.is_some() {
                self.error(format!("{set} (Select\\Current): key not found"));
            }
        }
        self.error("no ControlSet00N key found".into());
        None
    }

    fn software(&mut self) {
        const PATH: &str = "Microsoft\\Windows NT\\CurrentVersion";
        let Some(key) = self.key(PATH, Need::Required) else {
            return;
        };
        let build = if key.get_value("CurrentBuild").is_some() {
            self.number(&key, PATH, "CurrentBuild", Need::Required)
        } else {
            self.number(&key, PATH, "CurrentBuildNumber", Need::Required)
        };
        self.facts.current_build = build;
        self.facts.ubr = self.number(&key, PATH, "UBR", Need::Optional);
        self.facts.display_version = self.string(&key, PATH, "DisplayVersion", Need::Optional);
        self.facts.product_name = self.string(&key, PATH, "ProductName", Need::Required);
        self.facts.edition_id = self.string(&key, PATH, "EditionID", Need::Optional);
        self.facts.installation_type = self.string(&key, PATH, "InstallationType", Need::Optional);
    }
}

fn shown_name(name: &str) -> &str {
    if name.is_empty() { "(default)" } else { name }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// A value as read: its raw data bytes and notatin's typed interpretation.
struct Raw {
    bytes: Vec<u8>,
    content: CellValue,
}

impl Raw {
    fn new(value: &CellKeyValue, content: CellValue) -> Self {
        Raw {
            bytes: value.detail.value_bytes().unwrap_or_default(),
            content,
        }
    }

    fn string(&self) -> Result<String, String> {
        let s = match &self.content {
            CellValue::String(s) => s.clone(),
            CellValue::MultiString(v) => v.first().cloned().unwrap_or_default(),
            CellValue::U32(n) => n.to_string(),
            CellValue::I32(n) => n.to_string(),
            CellValue::U64(n) => n.to_string(),
            CellValue::I64(n) => n.to_string(),
            CellValue::None => String::new(),
            CellValue::Binary(b) => utf16_le(b)?,
            CellValue::Error => return Err("unreadable data".into()),
        };
        Ok(s.trim_end_matches('\0').to_string())
    }

    fn number(&self) -> Result<u32, String> {
        match &self.content {
            CellValue::U32(n) => Ok(*n),
            CellValue::I32(n) => Ok(u32::from_le_bytes(n.to_le_bytes())),
            CellValue::U64(n) => u32::try_from(*n).map_err(|_| format!("{n} is out of range")),
            CellValue::I64(n) => u32::try_from(*n).map_err(|_| format!("{n} is out of range")),
            CellValue::String(s) => parse_number(s),
            CellValue::MultiString(v) => parse_number(v.first().map(String::as_str).unwrap_or("")),
            CellValue::Binary(b) if b.len() == 4 => Ok(u32_le(b, 0)),
            CellValue::Binary(b) => Err(format!("{} bytes of binary data, not a number", b.len())),
            CellValue::None => Err("no data".into()),
            CellValue::Error => Err("unreadable data".into()),
        }
    }
}

fn parse_number(s: &str) -> Result<u32, String> {
    let t = s.trim_end_matches('\0').trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| format!("{t:?} is not a number"))
}

fn utf16_le(b: &[u8]) -> Result<String, String> {
    let pairs = b.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(format!("{} bytes of binary data, not UTF-16 text", b.len()));
    }
    let units: Vec<u16> = pairs.map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| "invalid UTF-16 text".to_string())
}

/// A binary SID: revision 1, sub-authority count, 6-byte big-endian identifier authority,
/// then count × u32 LE sub-authorities. Trailing bytes are ignored.
fn sid_to_string(b: &[u8]) -> Result<String, String> {
    let (Some(&revision), Some(&count)) = (b.first(), b.get(1)) else {
        return Err(format!("SID too short ({} bytes)", b.len()));
    };
    if revision != 1 {
        return Err(format!("not a SID (revision {revision}, expected 1)"));
    }
    let count = usize::from(count);
    if count > 15 {
        return Err(format!("not a SID ({count} sub-authorities, at most 15)"));
    }
    let need = 8 + 4 * count;
    if b.len() < need {
        return Err(format!(
            "SID truncated: {count} sub-authorities need {need} bytes, have {}",
            b.len()
        ));
    }
    let authority = b[2..8]
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let mut s = if authority >> 32 == 0 {
        format!("S-{revision}-{authority}")
    } else {
        format!("S-{revision}-0x{authority:012X}")
    };
    for i in 0..count {
        s.push_str(&format!("-{}", u32_le(b, 8 + 4 * i)));
    }
    Ok(s)
}

/// The machine SID from SAM `Domains\Account\V`: descriptor #1 (bytes 12..24, offset
/// relative to 0x30), and whether those bytes equal the last 24 bytes of `V`.
fn sam_descriptor_sid(v: &[u8]) -> Result<(String, bool), String> {
    if v.len() < 24 {
        return Err(format!(
            "{} bytes, too short for its descriptor table",
            v.len()
        ));
    }
    let offset = u32_le(v, 12);
    let length = u32_le(v, 16);
    let range = usize::try_from(offset)
        .ok()
        .and_then(|o| o.checked_add(0x30))
        .and_then(|start| {
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            Some(start..end)
        });
    let bytes = range.and_then(|r| v.get(r)).ok_or_else(|| {
        format!(
            "descriptor 1 (offset 0x{offset:x} + 0x30, length {length}) points outside V ({} bytes)",
            v.len()
        )
    })?;
    let sid = sid_to_string(bytes).map_err(|e| format!("descriptor 1: {e}"))?;
    let tail = v.get(v.len() - 24..);
    Ok((sid, tail == Some(bytes)))
}

/// A SECURITY `*DmN` value: UNICODE_STRING header (u16 Length, u16 MaximumLength, u32
/// offset = 8) then UTF-16LE; `Length` bytes are decoded from offset 8.
fn unicode_string(b: &[u8]) -> Result<Option<String>, String> {
    if b.is_empty() {
        return Ok(None);
    }
    if b.len() < 8 {
        return Err(format!(
            "{} bytes, too short for a UNICODE_STRING header",
            b.len()
        ));
    }
    let length = usize::from(u16_le(b, 0));
    let text = b.get(8..8 + length).ok_or_else(|| {
        format!(
            "UNICODE_STRING length {length} exceeds the {} bytes after its header",
            b.len() - 8
        )
    })?;
    let s = utf16_le(text)?;
    Ok(non_empty(s.trim_end_matches('\0').to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `../shared/corpus/hives`, or `None` with a loud message when it is absent.
    fn corpus() -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/hives");
        if p.is_dir() {
            Some(p.canonicalize().expect("corpus path"))
        } else {
            eprintln!(
                "\n!!!!! SKIPPED: ../shared/corpus/hives is absent; hive corpus tests did not run !!!!!\n"
            );
            None
        }
    }

    /// Decompresses `name` (an `.xz` corpus file) into `dir`, under its name without `.xz`.
    fn unxz(corpus: &Path, name: &str, dir: &Path) -> PathBuf {
        let out = dir.join(name.trim_end_matches(".xz"));
        let mut reader =
            xz2::read::XzDecoder::new(File::open(corpus.join(name)).expect("corpus file"));
        let mut file = File::create(&out).expect("temp file");
        io::copy(&mut reader, &mut file).expect("xz decompression");
        out
    }

    fn read(path: &Path, logs: &[PathBuf]) -> HiveFacts {
        read_hive(path, logs).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn hive_winregkb_sam() {
        let Some(c) = corpus() else { return };
        let f = read(&c.join("winregkb_SAM"), &[]);
        assert_eq!(f.hive_type, Some(HiveType::Sam));
        assert_eq!(
            f.machine_sid,
            s("S-1-5-21-4070822719-3404542230-2541167049")
        );
        assert_eq!(f.sam_descriptor_matches_tail, Some(true));
        // Base block bytes 12..20: FILETIME 130216515440516550.
        assert_eq!(
            f.last_written
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            s("2013-08-22T13:25:44.051655Z")
        );
        assert!(!f.dirty);
        assert!(f.logs_applied.is_empty());
        assert!(f.key_count > 0);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.account_domain_name, None);
        assert_eq!(f.computer_name, None);
    }

    #[test]
    fn hive_winregkb_security() {
        let Some(c) = corpus() else { return };
        let f = read(&c.join("winregkb_SECURITY"), &[]);
        assert_eq!(f.hive_type, Some(HiveType::Security));
        assert_eq!(
            f.machine_sid,
            s("S-1-5-21-4070822719-3404542230-2541167049")
        );
        assert_eq!(f.account_domain_name, s("STUDENT-PC8"));
        assert_eq!(f.primary_domain_name, s("INTERNAL"));
        assert_eq!(
            f.primary_domain_sid,
            s("S-1-5-21-226059406-2984137831-1201299043")
        );
        assert_eq!(f.dns_domain_name, s("internal.greendale.edu"));
        assert_eq!(f.sam_descriptor_matches_tail, None);
        assert!(!f.dirty);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
    }

    #[test]
    fn hive_grownd_pair() {
        let Some(c) = corpus() else { return };
        let sam = read(&c.join("grownd_SAM"), &[]);
        assert_eq!(sam.hive_type, Some(HiveType::Sam));
        assert_eq!(
            sam.machine_sid,
            s("S-1-5-21-2702878673-795188819-444038987")
        );
        assert_eq!(
            sam.last_written.map(|t| t.date_naive().to_string()),
            s("2024-12-31")
        );
        assert!(!sam.dirty);
        assert!(sam.errors.is_empty(), "{:?}", sam.errors);

        let sec_path = c.join("grownd_SECURITY");
        assert!(sibling_logs(&sec_path).is_empty());
        let sec = read(&sec_path, &[]);
        assert_eq!(sec.hive_type, Some(HiveType::Security));
        assert_eq!(sec.machine_sid, sam.machine_sid);
        assert_eq!(sec.account_domain_name, s("Windows Phone"));
        assert_eq!(sec.primary_domain_name, s("WORKGROUP"));
        assert_eq!(sec.primary_domain_sid, None);
        assert_eq!(sec.dns_domain_name, None);
        assert!(sec.dirty);
        assert!(sec.logs_applied.is_empty());
        assert!(
            sec.notes.iter().any(|n| n.contains("logs not applied")),
            "{:?}",
            sec.notes
        );
    }

    #[test]
    fn hive_regipy_sam_and_security() {
        let Some(c) = corpus() else { return };
        let sam = read(&c.join("regipy_SAM"), &[]);
        assert_eq!(sam.hive_type, Some(HiveType::Sam));
        assert_eq!(
            sam.machine_sid,
            s("S-1-5-21-1760460187-1592185332-161725925")
        );
        assert_eq!(sam.sam_descriptor_matches_tail, Some(true));
        assert!(sam.errors.is_empty(), "{:?}", sam.errors);

        let sec = read(&c.join("regipy_SECURITY"), &[]);
        assert!(sec.errors.is_empty(), "{:?}", sec.errors);
        assert_eq!(sec.hive_type, Some(HiveType::Security));
        assert_eq!(
            sec.machine_sid,
            s("S-1-5-21-1786693902-1815088602-2777321892")
        );
        assert_eq!(sec.account_domain_name, s("DESKTOP-M964FJN"));
        assert_eq!(sec.primary_domain_name, s("WORKGROUP"));
        assert_eq!(sec.primary_domain_sid, None);
        assert_eq!(sec.dns_domain_name, None);
        assert!(sec.dirty);
        assert!(sec.notes.iter().any(|n| n.contains("logs not applied")));
    }

    #[test]
    fn hive_ez_sams() {
        let Some(c) = corpus() else { return };
        let dupe = read(&c.join("ez_SAM_DUPENAME"), &[]);
        assert!(dupe.errors.is_empty(), "{:?}", dupe.errors);
        assert_eq!(dupe.hive_type, Some(HiveType::Sam));
        assert_eq!(
            dupe.machine_sid,
            s("S-1-5-21-4271176276-4210259494-4108073714")
        );

        // One hbin signature is "gbin": the SID must still be read.
        let bad = read(&c.join("ez_SAMBadHBinHeader"), &[]);
        assert_eq!(bad.hive_type, Some(HiveType::Sam));
        assert_eq!(
            bad.machine_sid,
            s("S-1-5-21-3064465268-1549819264-574340205")
        );
        assert!(
            bad.errors
                .iter()
                .any(|e| e.contains("\"gbin\"") && e.contains("0x2000")),
            "{:?}",
            bad.errors
        );
    }

    #[test]
    fn hive_regipy_system() {
        let Some(c) = corpus() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let path = unxz(&c, "regipy_SYSTEM.xz", tmp.path());
        let f = read(&path, &[]);
        assert_eq!(f.hive_type, Some(HiveType::System));
        assert_eq!(f.current_control_set, Some(1));
        assert_eq!(f.computer_name, s("WKS-WIN732BITA"));
        assert_eq!(f.product_type, s("WinNT"));
        assert_eq!(f.tcpip_domain, s("shieldbase.local"));
        assert_eq!(f.netlogon.get("MaximumPasswordAge"), Some(&30));
        assert_eq!(f.netlogon.get("DisablePasswordChange"), Some(&0));
        assert!(!f.netlogon.contains_key("RefusePasswordChange"));
        assert!(!f.dirty);
        assert_eq!(f.machine_sid, None);
        assert!(f.errors.is_empty(), "{:?}", f.errors);

        // Logs beside a clean hive are not replayed (and these are not even its logs).
        let stray = read(&path, &sibling_logs(&c.join("regipy_SYSTEM_B.xz")));
        assert!(stray.logs_applied.is_empty());
        assert_eq!(stray.key_count, f.key_count);
        assert!(
            stray.notes.iter().any(|n| n.contains("not needed")),
            "{:?}",
            stray.notes
        );

        // Key paths and value names are matched case-insensitively.
        let mut parser = build_parser(&path, &[]).unwrap();
        let key = find_key(
            &mut parser,
            "controlset001\\CONTROL\\computername\\ComputerName",
        )
        .unwrap()
        .expect("lower/upper-case path found");
        assert!(key.get_value("COMPUTERNAME").is_some());
        // The walk counts what notatin's own counter counts.
        assert_eq!(f.key_count, parser.count_all_keys_and_values(None).0);
    }

    #[test]
    fn hive_regipy_system_b_with_logs() {
        let Some(c) = corpus() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let path = unxz(&c, "regipy_SYSTEM_B.xz", tmp.path());

        let without = read(&path, &[]);
        assert_eq!(without.hive_type, Some(HiveType::System));
        assert_eq!(without.computer_name, s("DESKTOP-PM6C56D"));
        assert!(without.dirty);
        assert_eq!(without.key_count, 33123);
        assert!(without.logs_applied.is_empty());
        assert!(without.notes.iter().any(|n| n.contains("logs not applied")));

        // The compressed logs beside the compressed hive are found and replayed as is.
        let hive_xz = c.join("regipy_SYSTEM_B.xz");
        let logs = sibling_logs(&hive_xz);
        assert_eq!(
            logs,
            vec![
                c.join("regipy_SYSTEM_B.LOG1.xz"),
                c.join("regipy_SYSTEM_B.LOG2.xz")
            ]
        );
        let with = read(&path, &logs);
        assert!(with.dirty);
        assert_eq!(with.logs_applied, logs);
        assert_eq!(with.key_count, 35595);
        assert!(with.errors.is_empty(), "{:?}", with.errors);
        assert!(
            with.notes
                .iter()
                .any(|n| n.contains("Applied transaction log"))
        );
        assert_eq!(with.computer_name, s("DESKTOP-PM6C56D"));
        assert_eq!(with.product_type, s("WinNT"));
        assert_eq!(with.netlogon.get("MaximumPasswordAge"), Some(&30));
        assert_eq!(with.tcpip_domain, None);

        // The compressed hive itself reads the same.
        let direct = read(&hive_xz, &logs);
        assert_eq!(direct.key_count, 35595);
        assert_eq!(direct.logs_applied.len(), 2);

        // Decompressed logs work too.
        let plain_logs = vec![
            unxz(&c, "regipy_SYSTEM_B.LOG1.xz", tmp.path()),
            unxz(&c, "regipy_SYSTEM_B.LOG2.xz", tmp.path()),
        ];
        assert_eq!(sibling_logs(&path), plain_logs);
        assert_eq!(read(&path, &plain_logs).key_count, 35595);
    }

    #[test]
    fn hive_regipy_corrupted_system() {
        let Some(c) = corpus() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let path = unxz(&c, "regipy_corrupted_system_hive.xz", tmp.path());
        let f = read(&path, &[]);
        assert_eq!(f.hive_type, Some(HiveType::System));
        assert_eq!(f.current_control_set, Some(1));
        assert_eq!(f.computer_name, s("GINEVRA"));
        assert_eq!(f.product_type, s("WinNT"));
        // The hive writes value names in lower case (maximumpasswordage).
        assert_eq!(f.netlogon.get("MaximumPasswordAge"), Some(&30));
        assert!(!f.dirty);
        // Zeroed hive bins and unparseable sub-keys are listed, with offsets.
        assert!(
            f.errors
                .iter()
                .any(|e| e.contains("hive bin at file offset"))
        );
        assert!(f.errors.iter().any(|e| e.contains("Unable to parse")));
    }

    #[test]
    fn hive_magic_checks() {
        let Some(c) = corpus() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let hive = std::fs::read(c.join("winregkb_SAM")).unwrap();
        assert!(is_primary_hive(&hive[..4096]));
        assert!(!is_hive_log(&hive[..4096]));

        let log = std::fs::read(unxz(&c, "regipy_SYSTEM_B.LOG1.xz", tmp.path())).unwrap();
        assert!(!is_primary_hive(&log[..512]));
        assert!(is_hive_log(&log[..512]));
        // A log alone is not a hive.
        assert!(read_hive(&tmp.path().join("regipy_SYSTEM_B.LOG1"), &[]).is_err());
    }

    #[test]
    fn hive_magic_checks_on_junk() {
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(!is_primary_hive(&junk));
        assert!(!is_hive_log(&junk));
        assert!(!is_primary_hive(b"regf"));
        assert!(!is_primary_hive(&[]));
        let mut fake = vec![0u8; 512];
        fake[..4].copy_from_slice(b"regf");
        assert!(is_primary_hive(&fake));
        fake[28] = 6;
        assert!(is_hive_log(&fake));
        fake[28] = 9;
        assert!(!is_primary_hive(&fake) && !is_hive_log(&fake));
    }

    #[test]
    fn hive_damaged_input_never_panics() {
        let tmp = tempfile::tempdir().unwrap();
        let junk_path = tmp.path().join("junk");
        let junk: Vec<u8> = (0..20000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
            .collect();
        std::fs::write(&junk_path, &junk).unwrap();
        assert!(read_hive(&junk_path, &[]).is_err());

        let empty = tmp.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(read_hive(&empty, &[]).is_err());
        assert!(read_hive(&tmp.path().join("missing"), &[]).is_err());

        // A regf header with nothing behind it.
        let mut header_only = vec![0u8; 4096];
        header_only[..4].copy_from_slice(b"regf");
        let header_path = tmp.path().join("header_only");
        std::fs::write(&header_path, &header_only).unwrap();
        if let Ok(f) = read_hive(&header_path, &[]) {
            assert!(!f.errors.is_empty(), "{f:?}");
        }

        let Some(c) = corpus() else { return };
        for name in ["winregkb_SAM", "winregkb_SECURITY"] {
            let bytes = std::fs::read(c.join(name)).unwrap();
            let cut = tmp.path().join(format!("{name}_cut"));
            std::fs::write(&cut, &bytes[..5000]).unwrap();
            if let Ok(f) = read_hive(&cut, &[]) {
                assert_eq!(f.machine_sid, None);
                assert!(
                    f.errors.iter().any(|e| e.contains("file truncated")),
                    "{f:?}"
                );
            }
            // A junk "log" is refused with an error entry, and the hive is still read.
            let f = read_hive(&c.join(name), std::slice::from_ref(&junk_path)).unwrap();
            assert!(f.machine_sid.is_some());
            assert!(
                f.errors
                    .iter()
                    .any(|e| e.contains("not a registry transaction log"))
            );
        }
    }

    #[test]
    fn hive_sid_and_string_decoding() {
        let mut sid = vec![1u8, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0];
        for n in [1u32, 2, 3] {
            sid.extend(n.to_le_bytes());
        }
        assert_eq!(sid_to_string(&sid).unwrap(), "S-1-5-21-1-2-3");
        assert!(sid_to_string(&sid[..20]).is_err());
        assert!(sid_to_string(&[]).is_err());
        assert!(sid_to_string(&[2, 0, 0, 0, 0, 0, 0, 5]).is_err());

        // V: 4 descriptors, descriptor 1 -> SID at 0x30 + 8; SID also the tail.
        let mut v = vec![0u8; 0x30 + 8];
        v[12..16].copy_from_slice(&8u32.to_le_bytes());
        v[16..20].copy_from_slice(&24u32.to_le_bytes());
        v.extend(&sid);
        assert_eq!(
            sam_descriptor_sid(&v).unwrap(),
            ("S-1-5-21-1-2-3".to_string(), true)
        );
        let mut bad = v.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(sam_descriptor_sid(&bad).is_err());
        bad[12..16].copy_from_slice(&8u32.to_le_bytes());
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(sam_descriptor_sid(&bad).is_err());
        assert!(sam_descriptor_sid(&v[..10]).is_err());

        let mut name = vec![8u8, 0, 10, 0, 8, 0, 0, 0];
        for ch in "PC01".encode_utf16() {
            name.extend(ch.to_le_bytes());
        }
        assert_eq!(unicode_string(&name).unwrap(), s("PC01"));
        assert_eq!(unicode_string(&[0, 0, 0, 0, 8, 0, 0, 0]).unwrap(), None);
        assert_eq!(unicode_string(&[]).unwrap(), None);
        assert!(unicode_string(&name[..10]).is_err());
        assert!(unicode_string(&[1, 2]).is_err());

        assert_eq!(parse_number("26100").unwrap(), 26100);
        assert_eq!(parse_number("0x10").unwrap(), 16);
        assert!(parse_number("abc").is_err());
    }

    #[test]
    fn hive_sibling_logs_matching() {
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "SYSTEM",
            "SYSTEM.LOG1",
            "system.log2.xz",
            "SYSTEM.LOG",
            "SYSTEM.LOG3",
            "SYSTEM2.LOG1",
            "SOFTWARE.LOG1",
        ] {
            std::fs::write(tmp.path().join(name), b"x").unwrap();
        }
        let got = sibling_logs(&tmp.path().join("SYSTEM"));
        let want: Vec<PathBuf> = ["SYSTEM.LOG", "SYSTEM.LOG1", "system.log2.xz"]
            .iter()
            .map(|n| tmp.path().join(n))
            .collect();
        assert_eq!(got, want);
        assert_eq!(sibling_logs(&tmp.path().join("system.gz")), want);
        assert!(sibling_logs(&tmp.path().join("nothing")).is_empty());
    }

    /// A key of a synthetic hive: name, values `(name, type, data)`, sub-keys.
    struct K {
        name: &'static str,
        values: Vec<(&'static str, u32, Vec<u8>)>,
        subs: Vec<K>,
    }

    fn k(name: &'static str, values: Vec<(&'static str, u32, Vec<u8>)>, subs: Vec<K>) -> K {
        K { name, values, subs }
    }

    /// A key path `a\b\c` whose last key holds `values`.
    fn chain(path: &'static str, values: Vec<(&'static str, u32, Vec<u8>)>) -> K {
        let mut parts: Vec<&'static str> = path.split('\\').collect();
        let last = parts.pop().unwrap();
        let mut key = k(last, values, vec![]);
        while let Some(name) = parts.pop() {
            key = k(name, vec![], vec![key]);
        }
        key
    }

    const REG_SZ: u32 = 1;
    const REG_DWORD: u32 = 4;
    const REG_NONE: u32 = 0;

    fn sz(text: &str) -> (u32, Vec<u8>) {
        let mut b: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        b.extend([0, 0]);
        (REG_SZ, b)
    }

    fn val(name: &'static str, (ty, data): (u32, Vec<u8>)) -> (&'static str, u32, Vec<u8>) {
        (name, ty, data)
    }

    fn dword(name: &'static str, n: u32) -> (&'static str, u32, Vec<u8>) {
        (name, REG_DWORD, n.to_le_bytes().to_vec())
    }

    fn add(parent: &mut kizuna_lab::hive::Key, key: &K) {
        let k = parent.key(key.name);
        for (name, ty, data) in &key.values {
            k.value(name, *ty, data);
        }
        for sub in &key.subs {
            add(k, sub);
        }
    }

    /// A primary hive file with root key `ROOT` holding `subs`, written by the lab's regf
    /// writer; sequence numbers as given (unequal = dirty), checksum recomputed.
    fn synthetic_hive(subs: Vec<K>, sequence: (u32, u32)) -> Vec<u8> {
        let mut b = kizuna_lab::hive::HiveBuilder::new("ROOT");
        b.set_sequence(sequence.0);
        for sub in &subs {
            add(b.key(""), sub);
        }
        let mut file = b.to_bytes();
        file[8..12].copy_from_slice(&sequence.1.to_le_bytes());
        let checksum = (0..127).fold(0u32, |x, i| x ^ u32_le(&file, i * 4));
        file[508..512].copy_from_slice(&checksum.to_le_bytes());
        file
    }

    fn read_synthetic(dir: &Path, name: &str, bytes: &[u8]) -> HiveFacts {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        read(&path, &[])
    }

    #[test]
    fn hive_synthetic_software() {
        let tmp = tempfile::tempdir().unwrap();
        let hive = synthetic_hive(
            vec![
                k("Classes", vec![], vec![]),
                chain(
                    "Microsoft\\Windows NT\\CurrentVersion",
                    vec![
                        val("CurrentBuild", sz("26100")),
                        val("CurrentBuildNumber", sz("1")),
                        dword("UBR", 4061),
                        val("DisplayVersion", sz("24H2")),
                        val("ProductName", sz("Windows Server 2025 Datacenter")),
                        val("EditionID", sz("ServerDatacenter")),
                        val("InstallationType", sz("Server")),
                    ],
                ),
            ],
            (7, 7),
        );
        let f = read_synthetic(tmp.path(), "not_named_software.bin", &hive);
        assert_eq!(f.hive_type, Some(HiveType::Software));
        assert_eq!(f.current_build, Some(26100));
        assert_eq!(f.ubr, Some(4061));
        assert_eq!(f.display_version, s("24H2"));
        assert_eq!(f.product_name, s("Windows Server 2025 Datacenter"));
        assert_eq!(f.edition_id, s("ServerDatacenter"));
        assert_eq!(f.installation_type, s("Server"));
        assert_eq!(f.key_count, 5);
        assert!(!f.dirty);
        assert!(f.errors.is_empty(), "{:?}", f.errors);

        // CurrentBuildNumber stands in for a missing CurrentBuild; a missing ProductName is
        // an error, not a panic.
        let hive = synthetic_hive(
            vec![chain(
                "microsoft\\windows nt\\currentversion",
                vec![val("currentbuildnumber", sz("17763"))],
            )],
            (1, 1),
        );
        let f = read_synthetic(tmp.path(), "old", &hive);
        assert_eq!(f.hive_type, Some(HiveType::Software));
        assert_eq!(f.current_build, Some(17763));
        assert_eq!(f.product_name, None);
        assert!(
            f.errors.iter().any(|e| e.contains("ProductName not found")),
            "{:?}",
            f.errors
        );
    }

    /// A fuzzing finding: an `lf` entry pointing near 4 GiB overflowed notatin's offset
    /// arithmetic (a panic with overflow checks, a wrong cell without). The patched notatin
    /// (vendor/notatin) reports that one sub-key as unreadable and reads its siblings.
    #[test]
    fn hive_subkey_offset_past_4_gib_is_damage_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let hive = synthetic_hive(
            vec![
                k("Classes", vec![], vec![]),
                chain(
                    "Microsoft\\Windows NT\\CurrentVersion",
                    vec![
                        val("CurrentBuild", sz("26100")),
                        val("ProductName", sz("Windows 11 Pro")),
                    ],
                ),
            ],
            (3, 3),
        );
        let damaged = kizuna_lab::hive::with_root_lf_entry_at(&hive, 0xFFFF_FFF8);
        let before = caught_panics();
        let f = read_synthetic(tmp.path(), "SOFTWARE", &damaged);
        assert_eq!(caught_panics(), before, "{:?}", f.errors);
        assert!(
            f.errors.iter().any(|e| e.contains("4294967295")),
            "the unreadable sub-key is reported: {:?}",
            f.errors
        );
        // Classes is lost; Microsoft\Windows NT\CurrentVersion is still read.
        assert_eq!(f.key_count, 4);
        assert_eq!(f.hive_type, Some(HiveType::Software));
        assert_eq!(f.current_build, Some(26100));
        assert_eq!(f.product_name, s("Windows 11 Pro"));
    }

    #[test]
    fn hive_synthetic_system_dc() {
        let tmp = tempfile::tempdir().unwrap();
        // Lower-case key and value names; Current points at the second control set.
        let hive = synthetic_hive(
            vec![
                k(
                    "select",
                    vec![dword("current", 2), dword("default", 2)],
                    vec![],
                ),
                chain(
                    "ControlSet001\\Control\\ComputerName\\ComputerName",
                    vec![val("ComputerName", sz("WRONG"))],
                ),
                k(
                    "controlset002",
                    vec![],
                    vec![
                        k(
                            "control",
                            vec![],
                            vec![
                                chain(
                                    "computername\\computername",
                                    vec![val("computername", sz("DC01"))],
                                ),
                                chain("productoptions", vec![val("producttype", sz("LanmanNT"))]),
                            ],
                        ),
                        k(
                            "services",
                            vec![],
                            vec![
                                chain(
                                    "tcpip\\parameters",
                                    vec![
                                        val("hostname", sz("dc01")),
                                        val("domain", sz("corp.example")),
                                    ],
                                ),
                                chain(
                                    "netlogon\\parameters",
                                    vec![
                                        dword("refusepasswordchange", 1),
                                        dword("MAXIMUMPASSWORDAGE", 45),
                                        dword("RequireSignOrSeal", 1),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
            ],
            (3, 3),
        );
        let f = read_synthetic(tmp.path(), "SOFTWARE", &hive);
        assert_eq!(
            f.hive_type,
            Some(HiveType::System),
            "content wins over the file name"
        );
        assert_eq!(f.current_control_set, Some(2));
        assert_eq!(f.computer_name, s("DC01"));
        assert_eq!(f.product_type, s("LanmanNT"));
        assert_eq!(f.tcpip_hostname, s("dc01"));
        assert_eq!(f.tcpip_domain, s("corp.example"));
        let netlogon: Vec<(&str, u32)> = f.netlogon.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            netlogon,
            [("MaximumPasswordAge", 45), ("RefusePasswordChange", 1)]
        );
        assert!(f.errors.is_empty(), "{:?}", f.errors);

        // Select\Current names a missing control set: fall back, say so.
        let hive = synthetic_hive(
            vec![
                k("Select", vec![dword("Current", 3)], vec![]),
                chain(
                    "ControlSet001\\Control\\ComputerName\\ComputerName",
                    vec![val("ComputerName", sz("PC7"))],
                ),
            ],
            (3, 3),
        );
        let f = read_synthetic(tmp.path(), "sys_fallback", &hive);
        assert_eq!(f.current_control_set, Some(3));
        assert_eq!(f.computer_name, s("PC7"));
        assert!(
            f.errors.iter().any(|e| e.contains("ControlSet003")),
            "{:?}",
            f.errors
        );
        assert!(
            f.notes.iter().any(|n| n.contains("ControlSet001")),
            "{:?}",
            f.notes
        );
        assert!(
            f.errors
                .iter()
                .any(|e| e.contains("ProductOptions: key not found"))
        );
    }

    #[test]
    fn hive_synthetic_security_and_sam_damage() {
        let tmp = tempfile::tempdir().unwrap();
        let mut sid = vec![1u8, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0];
        sid.extend([7u32, 8, 9].iter().flat_map(|n| n.to_le_bytes()));
        let mut name = vec![6u8, 0, 8, 0, 8, 0, 0, 0];
        name.extend("PC9".encode_utf16().flat_map(u16::to_le_bytes));
        let mut too_long = name.clone();
        too_long[0] = 200;
        let hive = synthetic_hive(
            vec![
                k("Cache", vec![], vec![]),
                k(
                    "Policy",
                    vec![],
                    vec![
                        k("PolAcDmS", vec![("", REG_NONE, sid.clone())], vec![]),
                        k("PolAcDmN", vec![("", REG_NONE, name)], vec![]),
                        k("PolPrDmN", vec![("", REG_NONE, too_long)], vec![]),
                        k("PolPrDmS", vec![("", REG_NONE, vec![1, 4, 0])], vec![]),
                    ],
                ),
                k("RXACT", vec![], vec![]),
            ],
            (9, 8),
        );
        let f = read_synthetic(tmp.path(), "sec", &hive);
        assert_eq!(f.hive_type, Some(HiveType::Security));
        assert_eq!(f.machine_sid, s("S-1-5-21-7-8-9"));
        assert_eq!(f.account_domain_name, s("PC9"));
        assert_eq!(f.primary_domain_name, None);
        assert_eq!(f.primary_domain_sid, None);
        assert!(f.dirty);
        assert!(
            f.errors.iter().any(|e| e.contains("Policy\\PolPrDmN")),
            "{:?}",
            f.errors
        );
        assert!(
            f.errors.iter().any(|e| e.contains("Policy\\PolPrDmS")),
            "{:?}",
            f.errors
        );
        assert!(f.notes.iter().any(|n| n.contains("logs not applied")));

        // SAM V whose descriptor points outside V: the tail SID is used, and both are said.
        let mut v = vec![0u8; 0x30];
        v[12..16].copy_from_slice(&0x1000u32.to_le_bytes());
        v[16..20].copy_from_slice(&24u32.to_le_bytes());
        v.extend(&sid);
        let hive = synthetic_hive(
            vec![chain("SAM\\Domains\\Account", vec![("V", 3, v)])],
            (1, 1),
        );
        let f = read_synthetic(tmp.path(), "sam", &hive);
        assert_eq!(f.hive_type, Some(HiveType::Sam));
        assert_eq!(f.machine_sid, s("S-1-5-21-7-8-9"));
        assert_eq!(f.sam_descriptor_matches_tail, None);
        assert!(
            f.errors.iter().any(|e| e.contains("descriptor 1")),
            "{:?}",
            f.errors
        );
        assert!(f.notes.iter().any(|n| n.contains("last 24 bytes")));

        // A V too short for anything.
        let hive = synthetic_hive(
            vec![chain("SAM\\Domains\\Account", vec![("V", 3, vec![1; 10])])],
            (1, 1),
        );
        let f = read_synthetic(tmp.path(), "sam_short", &hive);
        assert_eq!(f.machine_sid, None);
        assert!(!f.errors.is_empty());

        // Neither SAM, SECURITY, SYSTEM nor SOFTWARE.
        let hive = synthetic_hive(vec![chain("Software\\Microsoft", vec![])], (1, 1));
        let f = read_synthetic(tmp.path(), "ntuser", &hive);
        assert_eq!(f.hive_type, Some(HiveType::Unknown));
        assert!(f.notes.iter().any(|n| n.contains("not recognized")));
        assert_eq!(f.key_count, 3);
    }
}
