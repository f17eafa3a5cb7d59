//! Registry hive (regf) files for lab data: a general writer ([`HiveBuilder`]) and the
//! SAM, SECURITY, SYSTEM and SOFTWARE hives of one machine ([`write_machine_hives`]).
//!
//! No public SOFTWARE hive, domain-controller SYSTEM hive or Windows 11 24H2 hive could be
//! found, so the lab writes its own, laid out as Windows leaves a clean (fully flushed)
//! hive: a checksummed base block with equal sequence numbers, 4 KiB-multiple hive bins,
//! 8-aligned cells, `lh` sub-key lists sorted and hashed the way the kernel does, `ri`
//! index roots past the kernel's per-leaf limit, `db` big data, one shared `sk` cell.
//! Output is deterministic: the same builder always gives the same bytes.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use kizuna_core::{MachineGuid, MachineSid};

pub const REG_NONE: u32 = 0;
pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_QWORD: u32 = 11;

/// Offset value meaning "no cell" (HCELL_NIL).
const NIL: u32 = 0xFFFF_FFFF;
const BASE_BLOCK: usize = 4096;
const HBIN_HEADER: usize = 32;
/// nk cell data before the name.
const NK_FIXED: usize = 76;
/// vk cell data before the name.
const VK_FIXED: usize = 20;
/// Largest value data kept in one cell; longer data goes to `db` segments of this size
/// (16 344 + 4-byte cell header, 8-aligned, + 32-byte bin header = exactly 16 KiB).
const BIG_DATA_SEGMENT: usize = 16344;
/// Entries one leaf may hold before Windows turns the list into an `ri` index root:
/// CmpMaxIndexPerHblock, what fits a 4 KiB bin (4096 - 48 header bytes) / 4, minus 1.
pub const MAX_LEAF_ENTRIES: usize = 1011;
/// Key names are limited to 255 characters, value names to 16 383 (Windows limits).
const MAX_KEY_NAME: usize = 255;
const MAX_VALUE_NAME: usize = 16383;

const KEY_HIVE_ENTRY: u16 = 0x0004;
const KEY_NO_DELETE: u16 = 0x0008;
const KEY_COMP_NAME: u16 = 0x0020;
const VALUE_COMP_NAME: u16 = 0x0001;
const DATA_INLINE: u32 = 0x8000_0000;

/// A Windows FILETIME: 100-ns intervals since 1601-01-01 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileTime(pub u64);

impl FileTime {
    /// Seconds from 1601-01-01 to 1970-01-01.
    const UNIX_OFFSET_SECS: i64 = 11_644_473_600;
}

impl From<u64> for FileTime {
    fn from(t: u64) -> Self {
        FileTime(t)
    }
}

impl From<DateTime<Utc>> for FileTime {
    /// Times before 1601 clamp to 0.
    fn from(t: DateTime<Utc>) -> Self {
        let secs = t.timestamp() + Self::UNIX_OFFSET_SECS;
        let ticks = i128::from(secs) * 10_000_000 + i128::from(t.timestamp_subsec_nanos() / 100);
        FileTime(u64::try_from(ticks.max(0)).unwrap_or(u64::MAX))
    }
}

/// One value of a key: name ("" is the default value), type, raw data as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    name: String,
    ty: u32,
    data: Vec<u8>,
}

impl Value {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn ty(&self) -> u32 {
        self.ty
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A key of the hive being built. Names are case-insensitive, as in Windows: asking for
/// an existing key or value in another casing reaches the one already there.
#[derive(Debug, Clone)]
pub struct Key {
    name: String,
    values: Vec<Value>,
    /// Keyed by the upper-cased UTF-16 name: the order Windows keeps sub-key lists in.
    subkeys: BTreeMap<Vec<u16>, Key>,
    last_written: Option<FileTime>,
}

impl Key {
    fn new(name: &str) -> Key {
        Key {
            name: name.to_string(),
            values: Vec::new(),
            subkeys: BTreeMap::new(),
            last_written: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Values in the order they were first set (Windows does not sort value lists).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Sub-keys in the order the hive stores them (upper-cased UTF-16 name order).
    pub fn subkeys(&self) -> impl Iterator<Item = &Key> {
        self.subkeys.values()
    }

    /// The key at `path` below this one (`\`-separated), created with any missing
    /// intermediate keys; `""` is this key.
    ///
    /// # Panics
    /// On an empty path segment or a name longer than 255 characters.
    pub fn key(&mut self, path: &str) -> &mut Key {
        let mut key = self;
        let path = path.trim_matches('\\');
        for part in path.split('\\').filter(|_| !path.is_empty()) {
            assert!(!part.is_empty(), "empty key name in path {path:?}");
            assert!(
                part.encode_utf16().count() <= MAX_KEY_NAME,
                "key name longer than {MAX_KEY_NAME} characters: {part:?}"
            );
            key = key
                .subkeys
                .entry(fold(part))
                .or_insert_with(|| Key::new(part));
        }
        key
    }

    /// Sets a value of any type from raw data (replaces a value of the same name).
    ///
    /// # Panics
    /// On a name longer than 16 383 characters or data too large for a `db` record.
    pub fn value(&mut self, name: &str, ty: u32, data: &[u8]) -> &mut Key {
        assert!(
            name.encode_utf16().count() <= MAX_VALUE_NAME,
            "value name longer than {MAX_VALUE_NAME} characters"
        );
        assert!(
            data.len() <= BIG_DATA_SEGMENT * usize::from(u16::MAX),
            "value data of {} bytes is too large for a hive",
            data.len()
        );
        let folded = fold(name);
        match self.values.iter_mut().find(|v| fold(&v.name) == folded) {
            Some(v) => {
                v.ty = ty;
                v.data = data.to_vec();
            }
            None => self.values.push(Value {
                name: name.to_string(),
                ty,
                data: data.to_vec(),
            }),
        }
        self
    }

    /// REG_SZ: UTF-16LE with its terminating NUL, as RegSetValueEx stores it.
    pub fn sz(&mut self, name: &str, text: &str) -> &mut Key {
        self.value(name, REG_SZ, &utf16z(text))
    }

    pub fn expand_sz(&mut self, name: &str, text: &str) -> &mut Key {
        self.value(name, REG_EXPAND_SZ, &utf16z(text))
    }

    /// REG_MULTI_SZ: each string NUL-terminated, then one more NUL.
    pub fn multi_sz(&mut self, name: &str, items: &[&str]) -> &mut Key {
        let mut data = Vec::new();
        for item in items {
            data.extend(utf16z(item));
        }
        data.extend([0, 0]);
        self.value(name, REG_MULTI_SZ, &data)
    }

    pub fn dword(&mut self, name: &str, n: u32) -> &mut Key {
        self.value(name, REG_DWORD, &n.to_le_bytes())
    }

    pub fn qword(&mut self, name: &str, n: u64) -> &mut Key {
        self.value(name, REG_QWORD, &n.to_le_bytes())
    }

    pub fn binary(&mut self, name: &str, data: &[u8]) -> &mut Key {
        self.value(name, REG_BINARY, data)
    }

    /// REG_NONE with raw bytes: how LSA stores its SECURITY `Policy` values.
    pub fn none(&mut self, name: &str, data: &[u8]) -> &mut Key {
        self.value(name, REG_NONE, data)
    }

    /// This key's last-written time (default: the hive's).
    pub fn set_last_written(&mut self, t: impl Into<FileTime>) -> &mut Key {
        self.last_written = Some(t.into());
        self
    }

    fn count(&self) -> usize {
        1 + self.subkeys.values().map(Key::count).sum::<usize>()
    }
}

/// Builds one hive file.
#[derive(Debug, Clone)]
pub struct HiveBuilder {
    root: Key,
    file_name: String,
    last_written: FileTime,
    sequence: u32,
    security: Vec<u8>,
}

impl HiveBuilder {
    /// A hive whose root key is called `root_name` (Windows' own hives use names like
    /// `CMI-CreateHive{GUID}`; readers ignore it).
    pub fn new(root_name: &str) -> HiveBuilder {
        assert!(!root_name.is_empty(), "the root key needs a name");
        HiveBuilder {
            root: Key::new(root_name),
            file_name: String::new(),
            last_written: FileTime::default(),
            sequence: 1,
            security: default_key_security(),
        }
    }

    /// The key at `path` below the root, created with its intermediate keys; `""` is the
    /// root.
    pub fn key(&mut self, path: &str) -> &mut Key {
        self.root.key(path)
    }

    pub fn root(&self) -> &Key {
        &self.root
    }

    /// Keys in the hive, the root included.
    pub fn key_count(&self) -> usize {
        self.root.count()
    }

    /// Time written to the base block, the first hive bin and every key not given its own.
    pub fn set_last_written(&mut self, t: impl Into<FileTime>) -> &mut HiveBuilder {
        self.last_written = t.into();
        self
    }

    /// The base block's file name field: the hive's path as Windows loaded it, of which
    /// the last 31 characters are kept (regipy recognizes the hive type from it).
    pub fn set_file_name(&mut self, name: &str) -> &mut HiveBuilder {
        self.file_name = name.to_string();
        self
    }

    /// Both sequence numbers (equal: the hive is clean).
    pub fn set_sequence(&mut self, n: u32) -> &mut HiveBuilder {
        self.sequence = n;
        self
    }

    /// The self-relative security descriptor every key shares (see [`security_descriptor`]).
    pub fn set_security_descriptor(&mut self, sd: Vec<u8>) -> &mut HiveBuilder {
        self.security = sd;
        self
    }

    pub fn write(&self, path: &Path) -> io::Result<()> {
        fs::write(path, self.to_bytes())
    }

    /// The hive file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bins = Bins::default();
        let root_at = bins.alloc(NK_FIXED + stored_name(&self.root.name).0.len());
        debug_assert_eq!(
            root_at, 0x20,
            "the root key is the first cell (regipy relies on it)"
        );
        let sk_at = bins.alloc(20 + self.security.len());
        let emitter = Emitter {
            sk_at,
            time: self.last_written,
        };
        emitter.key(&mut bins, &self.root, root_at, NIL, true);

        let refs = u32::try_from(self.key_count()).expect("key count fits u32");
        let mut sk = b"sk".to_vec();
        sk.extend(0u16.to_le_bytes());
        sk.extend(sk_at.to_le_bytes()); // flink: the only sk cell links to itself
        sk.extend(sk_at.to_le_bytes()); // blink
        sk.extend(refs.to_le_bytes());
        sk.extend(len32(self.security.len()).to_le_bytes());
        sk.extend(&self.security);
        bins.put(sk_at, &sk);

        let hbins = bins.finish(self.last_written);
        let mut file = self.base_block(root_at, hbins.len());
        file.extend(hbins);
        file
    }

    fn base_block(&self, root_at: u32, hbins_len: usize) -> Vec<u8> {
        let mut b = vec![0u8; BASE_BLOCK];
        let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, b"regf");
        put(4, &self.sequence.to_le_bytes());
        put(8, &self.sequence.to_le_bytes());
        put(12, &self.last_written.0.to_le_bytes());
        put(20, &1u32.to_le_bytes()); // major version
        put(24, &5u32.to_le_bytes()); // minor version: 1.5 (lh lists, big data)
        put(28, &0u32.to_le_bytes()); // file type: primary
        put(32, &1u32.to_le_bytes()); // file format: direct memory load
        put(36, &root_at.to_le_bytes());
        put(40, &len32(hbins_len).to_le_bytes());
        put(44, &1u32.to_le_bytes()); // clustering factor
        let units: Vec<u16> = self.file_name.encode_utf16().collect();
        let tail = &units[units.len().saturating_sub(31)..];
        let name: Vec<u8> = tail.iter().flat_map(|u| u.to_le_bytes()).collect();
        put(48, &name);
        // No KTM resource-manager GUIDs (112..164); "rmtm" marks the last-reorganized time
        // as valid: a freshly laid-out hive is a just-reorganized one.
        put(164, b"rmtm");
        put(168, &self.last_written.0.to_le_bytes());
        let sum = checksum(&b);
        b[508..512].copy_from_slice(&sum.to_le_bytes());
        b
    }
}

/// XOR-32 of the base block's first 508 bytes; 0 and all-ones are avoided as Windows does.
fn checksum(base: &[u8]) -> u32 {
    let x = base[..508].chunks_exact(4).fold(0u32, |acc, c| {
        acc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    });
    match x {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        x => x,
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("hive sizes fit u32")
}

/// Hive bins being filled: cells are carved sequentially; a cell that does not fit the
/// current bin closes it (its rest becomes one free cell) and opens a bin big enough.
#[derive(Default)]
struct Bins {
    data: Vec<u8>,
    /// (start, size) of each bin within `data`.
    bins: Vec<(usize, usize)>,
    pos: usize,
    end: usize,
}

impl Bins {
    /// Reserves an allocated cell for `len` data bytes; returns its offset (relative to the
    /// first bin, as every hive offset is).
    fn alloc(&mut self, len: usize) -> u32 {
        let size = (len + 4).next_multiple_of(8);
        if self.pos + size > self.end {
            self.close_bin();
            let bin_size = (size + HBIN_HEADER).next_multiple_of(4096);
            let start = self.end;
            self.data.resize(start + bin_size, 0);
            self.bins.push((start, bin_size));
            self.pos = start + HBIN_HEADER;
            self.end = start + bin_size;
        }
        let at = self.pos;
        let negative = -i32::try_from(size).expect("cell size fits i32");
        self.data[at..at + 4].copy_from_slice(&negative.to_le_bytes());
        self.pos += size;
        len32(at)
    }

    /// Writes a cell's data (after its size field).
    fn put(&mut self, at: u32, bytes: &[u8]) {
        let start = at as usize + 4;
        let size = i32::from_le_bytes(self.data[at as usize..start].try_into().expect("4 bytes"));
        assert!(
            bytes.len() + 4 <= size.unsigned_abs() as usize,
            "cell overflow"
        );
        self.data[start..start + bytes.len()].copy_from_slice(bytes);
    }

    /// The rest of the current bin becomes one free cell (positive size).
    fn close_bin(&mut self) {
        let rest = self.end - self.pos;
        if rest > 0 {
            let size = i32::try_from(rest).expect("free cell size fits i32");
            self.data[self.pos..self.pos + 4].copy_from_slice(&size.to_le_bytes());
            self.pos = self.end;
        }
    }

    fn finish(mut self, time: FileTime) -> Vec<u8> {
        self.close_bin();
        for (i, &(start, size)) in self.bins.iter().enumerate() {
            let h = &mut self.data[start..start + HBIN_HEADER];
            h[..4].copy_from_slice(b"hbin");
            h[4..8].copy_from_slice(&len32(start).to_le_bytes());
            h[8..12].copy_from_slice(&len32(size).to_le_bytes());
            if i == 0 {
                // Only the first bin's timestamp has a meaning (Windows leaves the others 0).
                h[20..28].copy_from_slice(&time.0.to_le_bytes());
            }
        }
        self.data
    }
}

struct Emitter {
    sk_at: u32,
    time: FileTime,
}

impl Emitter {
    /// Lays out `key` (its nk cell already reserved at `nk_at`) and everything below it.
    fn key(&self, bins: &mut Bins, key: &Key, nk_at: u32, parent: u32, is_root: bool) {
        let values_at = if key.values.is_empty() {
            NIL
        } else {
            let list_at = bins.alloc(4 * key.values.len());
            let mut list = Vec::with_capacity(4 * key.values.len());
            for v in &key.values {
                list.extend(self.value(bins, v).to_le_bytes());
            }
            bins.put(list_at, &list);
            list_at
        };

        let children: Vec<(&Key, u32)> = key
            .subkeys
            .values()
            .map(|child| {
                let at = bins.alloc(NK_FIXED + stored_name(&child.name).0.len());
                (child, at)
            })
            .collect();
        let list_at = subkey_list(bins, &children);
        for &(child, at) in &children {
            self.key(bins, child, at, nk_at, false);
        }

        let (name, compressed) = stored_name(&key.name);
        let mut flags = if compressed { KEY_COMP_NAME } else { 0 };
        if is_root {
            flags |= KEY_HIVE_ENTRY | KEY_NO_DELETE;
        }
        let utf16_bytes = |s: &str| len32(2 * s.encode_utf16().count());
        let max_subkey_name = key.subkeys.values().map(|k| utf16_bytes(&k.name)).max();
        let max_value_name = key.values.iter().map(|v| utf16_bytes(&v.name)).max();
        let max_value_data = key.values.iter().map(|v| len32(v.data.len())).max();

        let mut nk = b"nk".to_vec();
        nk.extend(flags.to_le_bytes());
        nk.extend(key.last_written.unwrap_or(self.time).0.to_le_bytes());
        nk.extend(0u32.to_le_bytes()); // access bits
        nk.extend(parent.to_le_bytes());
        nk.extend(len32(children.len()).to_le_bytes());
        nk.extend(0u32.to_le_bytes()); // volatile sub-keys: none on disk
        nk.extend(list_at.to_le_bytes());
        nk.extend(NIL.to_le_bytes());
        nk.extend(len32(key.values.len()).to_le_bytes());
        nk.extend(values_at.to_le_bytes());
        nk.extend(self.sk_at.to_le_bytes());
        nk.extend(NIL.to_le_bytes()); // class name
        nk.extend(max_subkey_name.unwrap_or(0).to_le_bytes());
        nk.extend(0u32.to_le_bytes()); // largest sub-key class name
        nk.extend(max_value_name.unwrap_or(0).to_le_bytes());
        nk.extend(max_value_data.unwrap_or(0).to_le_bytes());
        nk.extend(0u32.to_le_bytes()); // work var
        nk.extend(u16::try_from(name.len()).expect("key name").to_le_bytes());
        nk.extend(0u16.to_le_bytes()); // class name length
        nk.extend(&name);
        bins.put(nk_at, &nk);
    }

    /// Writes a vk cell and its data; returns the vk offset.
    fn value(&self, bins: &mut Bins, v: &Value) -> u32 {
        let (name, compressed) = stored_name(&v.name);
        let vk_at = bins.alloc(VK_FIXED + name.len());
        let len = len32(v.data.len());
        let (size, offset) = if v.data.len() <= 4 {
            // Resident: the data lives in the offset field itself.
            let mut inline = [0u8; 4];
            inline[..v.data.len()].copy_from_slice(&v.data);
            (len | DATA_INLINE, u32::from_le_bytes(inline))
        } else if v.data.len() <= BIG_DATA_SEGMENT {
            let at = bins.alloc(v.data.len());
            bins.put(at, &v.data);
            (len, at)
        } else {
            (len, big_data(bins, &v.data))
        };
        let mut vk = b"vk".to_vec();
        vk.extend(u16::try_from(name.len()).expect("value name").to_le_bytes());
        vk.extend(size.to_le_bytes());
        vk.extend(offset.to_le_bytes());
        vk.extend(v.ty.to_le_bytes());
        vk.extend((if compressed { VALUE_COMP_NAME } else { 0 }).to_le_bytes());
        vk.extend(0u16.to_le_bytes());
        vk.extend(&name);
        bins.put(vk_at, &vk);
        vk_at
    }
}

/// A `db` record: segment list + segments of [`BIG_DATA_SEGMENT`] bytes (the last shorter).
fn big_data(bins: &mut Bins, data: &[u8]) -> u32 {
    let segments: Vec<&[u8]> = data.chunks(BIG_DATA_SEGMENT).collect();
    let count = u16::try_from(segments.len()).expect("checked in Key::value");
    let db_at = bins.alloc(8);
    let list_at = bins.alloc(4 * segments.len());
    let mut list = Vec::with_capacity(4 * segments.len());
    for seg in segments {
        let at = bins.alloc(seg.len());
        bins.put(at, seg);
        list.extend(at.to_le_bytes());
    }
    bins.put(list_at, &list);
    let mut db = b"db".to_vec();
    db.extend(count.to_le_bytes());
    db.extend(list_at.to_le_bytes());
    bins.put(db_at, &db);
    db_at
}

/// The sub-key list of `children` (already in hive order): one `lh` leaf, or an `ri` root
/// over evenly filled `lh` leaves when there are more than [`MAX_LEAF_ENTRIES`].
fn subkey_list(bins: &mut Bins, children: &[(&Key, u32)]) -> u32 {
    if children.is_empty() {
        return NIL;
    }
    if children.len() <= MAX_LEAF_ENTRIES {
        return hash_leaf(bins, children);
    }
    let leaves = children.len().div_ceil(MAX_LEAF_ENTRIES);
    assert!(
        leaves <= MAX_LEAF_ENTRIES,
        "too many sub-keys under one key"
    );
    let (per, extra) = (children.len() / leaves, children.len() % leaves);
    let ri_at = bins.alloc(4 + 4 * leaves);
    let mut ri = b"ri".to_vec();
    ri.extend(u16::try_from(leaves).expect("leaf count").to_le_bytes());
    let mut rest = children;
    for i in 0..leaves {
        let (leaf, tail) = rest.split_at(per + usize::from(i < extra));
        ri.extend(hash_leaf(bins, leaf).to_le_bytes());
        rest = tail;
    }
    bins.put(ri_at, &ri);
    ri_at
}

fn hash_leaf(bins: &mut Bins, children: &[(&Key, u32)]) -> u32 {
    let at = bins.alloc(4 + 8 * children.len());
    let mut lh = b"lh".to_vec();
    lh.extend(
        u16::try_from(children.len())
            .expect("leaf size")
            .to_le_bytes(),
    );
    for &(child, nk_at) in children {
        lh.extend(nk_at.to_le_bytes());
        lh.extend(name_hash(&child.name).to_le_bytes());
    }
    bins.put(at, &lh);
    at
}

/// A damaged copy of `hive` (a [`HiveBuilder`] output whose root key has sub-keys, at most
/// [`MAX_LEAF_ENTRIES`]): the root's `lh` list becomes an `lf` list (same entry layout, name
/// hints instead of hashes) whose first entry points `offset` bytes past the first hive bin.
///
/// An offset near 4 GiB is what made notatin 1.0.1 overflow `u32` (a fuzzing finding, kept
/// as `fuzz/regressions/hive/lf-offset-overflow.hiv`); a reader must report the sub-key as
/// unreadable and still read the rest.
pub fn with_root_lf_entry_at(hive: &[u8], offset: u32) -> Vec<u8> {
    let mut out = hive.to_vec();
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
    let root_data = BASE_BLOCK + u32_at(&out, 36) as usize + 4;
    assert_eq!(&out[root_data..root_data + 2], b"nk", "root key cell");
    let list = u32_at(&out, root_data + 28);
    assert_ne!(list, NIL, "the root key has sub-keys");
    let list_data = BASE_BLOCK + list as usize + 4;
    assert_eq!(
        &out[list_data..list_data + 2],
        b"lh",
        "the root's list is a leaf"
    );
    out[list_data..list_data + 2].copy_from_slice(b"lf");
    out[list_data + 4..list_data + 8].copy_from_slice(&offset.to_le_bytes());
    out
}

/// A copy of `hive` whose base block names `offset` as the root key's cell (checksum
/// recomputed). notatin reads that field as a signed number: one with the top bit set
/// overflowed its offset arithmetic (a fuzzing finding, kept as
/// `fuzz/regressions/hive/root-offset-negative.hiv`).
pub fn with_root_cell_at(hive: &[u8], offset: u32) -> Vec<u8> {
    let mut out = hive.to_vec();
    out[36..40].copy_from_slice(&offset.to_le_bytes());
    let sum = checksum(&out[..BASE_BLOCK]);
    out[508..512].copy_from_slice(&sum.to_le_bytes());
    out
}

/// The `lh` hash: h = h * 37 + upcase(c) over the name's UTF-16 units.
pub fn name_hash(name: &str) -> u32 {
    fold(name)
        .into_iter()
        .fold(0u32, |h, u| h.wrapping_mul(37).wrapping_add(u32::from(u)))
}

/// Upper-cased UTF-16 units: Windows' case-insensitive key name (RtlUpcaseUnicodeChar
/// maps one unit to one unit; characters whose upper case is not one BMP unit stay).
fn fold(name: &str) -> Vec<u16> {
    name.encode_utf16().map(upcase_unit).collect()
}

fn upcase_unit(u: u16) -> u16 {
    let Some(c) = char::from_u32(u32::from(u)) else {
        return u; // a surrogate half
    };
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(x), None) => u16::try_from(u32::from(x)).unwrap_or(u),
        _ => u,
    }
}

/// A name as stored: one byte per character ("compressed") when every UTF-16 unit is
/// below 256, as the kernel's CmpCopyName does; UTF-16LE otherwise. Empty names are
/// never flagged compressed (their stored length is not shorter).
fn stored_name(name: &str) -> (Vec<u8>, bool) {
    let units: Vec<u16> = name.encode_utf16().collect();
    if !units.is_empty() && units.iter().all(|&u| u < 0x100) {
        (units.iter().map(|&u| u as u8).collect(), true)
    } else {
        (units.iter().flat_map(|u| u.to_le_bytes()).collect(), false)
    }
}

fn utf16z(text: &str) -> Vec<u8> {
    let mut b: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    b.extend([0, 0]);
    b
}

/// A binary SID from its string form (`S-1-5-32-544`); `None` when malformed.
pub fn sid_bytes(sid: &str) -> Option<Vec<u8>> {
    let mut parts = sid.strip_prefix("S-")?.split('-');
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    let subs: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if revision != 1 || authority >= 1 << 48 || subs.len() > 15 {
        return None;
    }
    let mut b = vec![revision, subs.len() as u8];
    b.extend(&authority.to_be_bytes()[2..]);
    for s in subs {
        b.extend(s.to_le_bytes());
    }
    Some(b)
}

/// A self-relative security descriptor: DACL first, then owner and group (the order
/// Windows lays them out in), one container-inheritable ACCESS_ALLOWED ACE per
/// `(sid, access mask)`.
///
/// # Panics
/// On a malformed SID string.
pub fn security_descriptor(owner: &str, group: &str, aces: &[(&str, u32)]) -> Vec<u8> {
    const SE_DACL_PRESENT: u16 = 0x0004;
    const SE_SELF_RELATIVE: u16 = 0x8000;
    const CONTAINER_INHERIT_ACE: u8 = 0x02;
    let sid = |s: &str| sid_bytes(s).unwrap_or_else(|| panic!("not a SID: {s}"));

    let mut body = Vec::new();
    for (who, mask) in aces {
        let who = sid(who);
        body.push(0u8); // ACCESS_ALLOWED_ACE_TYPE
        body.push(CONTAINER_INHERIT_ACE);
        body.extend(u16::try_from(8 + who.len()).expect("ACE").to_le_bytes());
        body.extend(mask.to_le_bytes());
        body.extend(who);
    }
    let mut acl = vec![2u8, 0]; // ACL_REVISION
    acl.extend(u16::try_from(8 + body.len()).expect("ACL").to_le_bytes());
    acl.extend(u16::try_from(aces.len()).expect("ACE count").to_le_bytes());
    acl.extend(0u16.to_le_bytes());
    acl.extend(body);

    let (owner, group) = (sid(owner), sid(group));
    let dacl_at = 20u32;
    let owner_at = dacl_at + len32(acl.len());
    let group_at = owner_at + len32(owner.len());
    let mut sd = vec![1u8, 0];
    sd.extend((SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
    sd.extend(owner_at.to_le_bytes());
    sd.extend(group_at.to_le_bytes());
    sd.extend(0u32.to_le_bytes()); // no SACL
    sd.extend(dacl_at.to_le_bytes());
    sd.extend(acl);
    sd.extend(owner);
    sd.extend(group);
    sd
}

const KEY_ALL_ACCESS: u32 = 0x000F_003F;
const KEY_READ: u32 = 0x0002_0019;

/// What most keys carry: SYSTEM and Administrators full control, Users and app
/// containers read; owned by Administrators.
fn default_key_security() -> Vec<u8> {
    security_descriptor(
        "S-1-5-32-544",
        "S-1-5-18",
        &[
            ("S-1-5-18", KEY_ALL_ACCESS),
            ("S-1-5-32-544", KEY_ALL_ACCESS),
            ("S-1-5-32-545", KEY_READ),
            ("S-1-15-2-1", KEY_READ),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// One machine's hives.

/// What the machine is; decides `ProductType` and the DC-specific facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MachineRole {
    Workstation,
    Server,
    DomainController,
}

impl MachineRole {
    /// SYSTEM `Control\ProductOptions` value `ProductType`.
    pub fn product_type(self) -> &'static str {
        match self {
            MachineRole::Workstation => "WinNT",
            MachineRole::Server => "ServerNT",
            MachineRole::DomainController => "LanmanNT",
        }
    }
}

/// The identity of one machine, to be written as its four hives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineHives {
    /// NetBIOS computer name (`PC-LAB01`).
    pub computer_name: String,
    /// NetBIOS domain name, or the workgroup name when `domain_sid` is `None`.
    pub netbios_domain: String,
    /// DNS domain (`corp.example`); `None` in a workgroup.
    pub dns_domain: Option<String>,
    /// The domain's SID; `None` in a workgroup.
    pub domain_sid: Option<MachineSid>,
    /// The SAM hive's account domain SID. On members it is also SECURITY `PolAcDmS`; on a
    /// DC, `PolAcDmS` is the domain SID and this stays the local (DSRM) accounts' SID.
    pub machine_sid: MachineSid,
    /// RID of the computer account in the domain (`PolMachineAccountS` = domain SID + RID).
    pub machine_account_rid: Option<u32>,
    pub role: MachineRole,
    /// SOFTWARE `CurrentBuild` / `CurrentBuildNumber`.
    pub build: u32,
    pub ubr: u32,
    pub display_version: String,
    pub product_name: String,
    pub edition_id: String,
    pub installation_type: String,
    /// SOFTWARE `Microsoft\Cryptography\MachineGuid`; `None` = value absent.
    pub machine_guid: Option<MachineGuid>,
    /// SYSTEM `Services\Netlogon\Parameters`; `None` = value absent.
    pub refuse_password_change: Option<u32>,
    pub maximum_password_age: Option<u32>,
    pub disable_password_change: Option<u32>,
    /// SYSTEM `Control\Lsa` value `MachineIdentityIsolation` (2 = enforced); `None` =
    /// value absent.
    pub machine_identity_isolation: Option<u32>,
    /// Last-written time of every key; also the last machine password change.
    pub last_written: DateTime<Utc>,
}

impl MachineHives {
    /// A realistic domain member or DC of `CORP` / `corp.example` on build 26100.6584
    /// (Windows 11 24H2 or Server 2025), Netlogon defaults written as Windows writes them.
    pub fn sample(role: MachineRole) -> MachineHives {
        let sid = |s: &str| s.parse::<MachineSid>().expect("sample SID");
        let (name, machine_sid, rid) = match role {
            MachineRole::Workstation => {
                ("PC-LAB01", "S-1-5-21-3623811015-3361044348-30300820", 1104)
            }
            MachineRole::Server => (
                "SRV-LAB01",
                "S-1-5-21-1842536179-2609127454-4086155813",
                1105,
            ),
            MachineRole::DomainController => (
                "DC-LAB01",
                "S-1-5-21-2915613264-1180441290-3812009611",
                1000,
            ),
        };
        let client = role == MachineRole::Workstation;
        MachineHives {
            computer_name: name.into(),
            netbios_domain: "CORP".into(),
            dns_domain: Some("corp.example".into()),
            domain_sid: Some(sid("S-1-5-21-1004336348-1177238915-682003330")),
            machine_sid: sid(machine_sid),
            machine_account_rid: Some(rid),
            role,
            build: 26100,
            ubr: 6584,
            display_version: "24H2".into(),
            // Windows 11 still says "Windows 10" here; only the build tells them apart.
            product_name: if client {
                "Windows 10 Pro".into()
            } else {
                "Windows Server 2025 Datacenter".into()
            },
            edition_id: if client {
                "Professional"
            } else {
                "ServerDatacenter"
            }
            .into(),
            installation_type: if client { "Client" } else { "Server" }.into(),
            machine_guid: format!("{:08x}-6b1d-4f0e-9a3c-5d2e7f80{rid:04}", rid * 7919)
                .parse()
                .ok(),
            refuse_password_change: None,
            maximum_password_age: Some(30),
            disable_password_change: Some(0),
            machine_identity_isolation: None,
            last_written: Utc
                .with_ymd_and_hms(2025, 10, 14, 9, 30, 0)
                .single()
                .expect("valid time"),
        }
    }

    /// SECURITY `Policy\PolAcDmS`: the account domain, which on a DC is the domain itself.
    pub fn account_domain_sid(&self) -> MachineSid {
        match (self.role, self.domain_sid) {
            (MachineRole::DomainController, Some(domain)) => domain,
            _ => self.machine_sid,
        }
    }

    /// SECURITY `Policy\PolAcDmN`: the computer name, or on a DC the domain's NetBIOS name.
    pub fn account_domain_name(&self) -> &str {
        match self.role {
            MachineRole::DomainController => &self.netbios_domain,
            _ => &self.computer_name,
        }
    }

    fn check(&self) -> io::Result<()> {
        let bad = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg.to_string()));
        if self.computer_name.is_empty() || self.netbios_domain.is_empty() {
            return bad("computer name and NetBIOS domain/workgroup must not be empty");
        }
        if self.role == MachineRole::DomainController
            && (self.domain_sid.is_none() || self.dns_domain.is_none())
        {
            return bad("a domain controller needs a domain SID and a DNS domain");
        }
        if self.domain_sid.is_some() != self.dns_domain.is_some() {
            return bad("domain SID and DNS domain go together (both absent = workgroup)");
        }
        Ok(())
    }

    /// The four hives as builders, by file name: SAM, SECURITY, SYSTEM, SOFTWARE.
    pub fn builders(&self) -> io::Result<Vec<(&'static str, HiveBuilder)>> {
        self.check()?;
        Ok(vec![
            ("SAM", self.sam()),
            ("SECURITY", self.security()),
            ("SYSTEM", self.system()),
            ("SOFTWARE", self.software()),
        ])
    }

    fn hive(&self, root: &str, file: &str) -> HiveBuilder {
        let mut b = HiveBuilder::new(root);
        b.set_last_written(self.last_written)
            .set_file_name(file)
            .set_sequence(0x2A7);
        b
    }

    fn sam(&self) -> HiveBuilder {
        // Root names as on 64-bit Windows.
        let mut b = self.hive(
            "CMI-CreateHive{C4E7BA2B-68E8-499C-B1A1-371AC8D717C7}",
            r"\SystemRoot\System32\Config\SAM",
        );
        // SAM is readable by everyone, writable by SYSTEM and Administrators.
        b.set_security_descriptor(security_descriptor(
            "S-1-5-32-544",
            "S-1-5-18",
            &[
                ("S-1-5-18", KEY_ALL_ACCESS),
                ("S-1-5-32-544", KEY_ALL_ACCESS),
                ("S-1-1-0", KEY_READ),
                ("S-1-5-12", KEY_READ),
                ("S-1-15-2-1", KEY_READ),
            ],
        ));
        b.key(r"SAM").binary("ServerDomainUpdates", &[0xFE, 0x0F]);
        b.key(r"SAM\Domains").none("", &[]);
        b.key(r"SAM\LastSkuUpgrade").dword("", 72);
        b.key(r"SAM\RXACT").none("", &rxact());
        b.key(r"SAM\Domains\Account")
            .binary("F", &domain_fixed(self.last_written))
            .binary("V", &sam_domain_v(&self.machine_sid.to_bytes()));
        b.key(r"SAM\Domains\Account\Users").binary("", &[]);
        b.key(r"SAM\Domains\Account\Users\Names").none("", &[]);
        b.key(r"SAM\Domains\Account\Groups").sz("", "");
        b.key(r"SAM\Domains\Account\Aliases").sz("", "");
        b.key(r"SAM\Domains\Builtin")
            .binary("F", &domain_fixed(self.last_written))
            .binary("V", &sam_domain_v(&sid_bytes("S-1-5-32").expect("BUILTIN")));
        b.key(r"SAM\Domains\Builtin\Aliases").sz("", "");
        b
    }

    fn security(&self) -> HiveBuilder {
        let mut b = self.hive(
            "CMI-CreateHive{0297523D-E529-4E42-8BE7-E1AABC063C84}",
            r"\SystemRoot\System32\Config\SECURITY",
        );
        // Only SYSTEM may read SECURITY; Administrators may change its permissions.
        b.set_security_descriptor(security_descriptor(
            "S-1-5-32-544",
            "S-1-5-18",
            &[("S-1-5-18", KEY_ALL_ACCESS), ("S-1-5-32-544", 0x0006_0000)],
        ));
        let joined = self.domain_sid.is_some();
        let dns = self.dns_domain.as_deref().unwrap_or("");
        b.key("Cache")
            .binary("NL$Control", &[4, 0, 1, 0, 10, 0, 0, 0]);
        b.key("RXACT").none("", &rxact());
        let policy = |b: &mut HiveBuilder, name: &str, data: &[u8]| {
            b.key(&format!(r"Policy\{name}")).none("", data);
        };
        policy(&mut b, "PolRevision", &[0x12, 0, 1, 0]);
        policy(
            &mut b,
            "PolAcDmN",
            &unicode_string(self.account_domain_name()),
        );
        policy(&mut b, "PolAcDmS", &self.account_domain_sid().to_bytes());
        policy(&mut b, "PolPrDmN", &unicode_string(&self.netbios_domain));
        let domain_sid = self.domain_sid.map(|s| s.to_bytes().to_vec());
        policy(&mut b, "PolPrDmS", domain_sid.as_deref().unwrap_or(&[]));
        // Workgroup machines keep these keys with empty data.
        let dns_name = if joined {
            unicode_string(dns)
        } else {
            Vec::new()
        };
        policy(&mut b, "PolDnDDN", &dns_name);
        policy(&mut b, "PolDnTrN", &dns_name);
        policy(&mut b, "PolDnDmG", &self.domain_guid());
        let account = match (&domain_sid, self.machine_account_rid) {
            (Some(domain), Some(rid)) => {
                let mut sid = domain.clone();
                sid[1] += 1;
                sid.extend(rid.to_le_bytes());
                sid
            }
            _ => Vec::new(),
        };
        policy(&mut b, "PolMachineAccountS", &account);
        for empty in ["Accounts", "Domains", "Secrets"] {
            policy(&mut b, empty, &[]);
        }
        if joined {
            // The machine account password's last change (the secret itself is not written).
            let changed = FileTime::from(self.last_written).0.to_le_bytes();
            b.key(r"Policy\Secrets\$MACHINE.ACC")
                .dword("", 0)
                .key("CupdTime")
                .none("", &changed);
            b.key(r"Policy\Secrets\$MACHINE.ACC\OupdTime")
                .none("", &changed);
        }
        b
    }

    fn system(&self) -> HiveBuilder {
        let mut b = self.hive(
            "CMI-CreateHive{2A7FB991-7BBE-4F9D-B91E-7CB51D4737F5}",
            // The boot loader opens SYSTEM by this bare name.
            "SYSTEM",
        );
        let dc = self.role == MachineRole::DomainController;
        let joined = self.domain_sid.is_some();
        let dns = self.dns_domain.as_deref().unwrap_or("");
        let host = self.computer_name.to_lowercase();
        b.key("Select")
            .dword("Current", 1)
            .dword("Default", 1)
            .dword("Failed", 0)
            .dword("LastKnownGood", 1);
        b.key("Setup")
            .dword("SetupType", 0)
            .dword("SystemSetupInProgress", 0)
            .dword("OOBEInProgress", 0);
        for empty in ["HardwareConfig", "MountedDevices", "Software", "WPA"] {
            b.key(empty);
        }
        let cs = r"ControlSet001";
        b.key(&format!(r"{cs}\Control\ComputerName\ComputerName"))
            .sz("", "mnmsrvc")
            .sz("ComputerName", &self.computer_name);
        b.key(&format!(r"{cs}\Control\ProductOptions"))
            .sz("ProductType", self.role.product_type());
        let lsa = b
            .key(&format!(r"{cs}\Control\Lsa"))
            .dword("LimitBlankPasswordUse", 1)
            .dword("NoLmHash", 1)
            .multi_sz("Authentication Packages", &["msv1_0"])
            .multi_sz("Notification Packages", &["scecli"]);
        if let Some(v) = self.machine_identity_isolation {
            lsa.dword("MachineIdentityIsolation", v);
        }
        b.key(&format!(r"{cs}\Control\Windows"))
            .expand_sz("Directory", "%SystemRoot%")
            .expand_sz("SystemDirectory", "%SystemRoot%\\system32")
            .binary(
                "ShutdownTime",
                &FileTime::from(self.last_written).0.to_le_bytes(),
            );
        b.key(&format!(r"{cs}\Control\TimeZoneInformation"))
            .dword("Bias", 0)
            .sz("TimeZoneKeyName", "UTC");
        b.key(&format!(r"{cs}\Services\Tcpip\Parameters"))
            .expand_sz("DataBasePath", r"%SystemRoot%\System32\drivers\etc")
            .sz("Domain", dns)
            .sz("Hostname", &host)
            .sz("ICSDomain", "mshome.net")
            .sz("NV Domain", dns)
            .sz("NV Hostname", &host)
            .sz("SearchList", "")
            .dword("SyncDomainWithMembership", 1);
        b.key(&format!(r"{cs}\Services\Netlogon"))
            .multi_sz("DependOnService", &["LanmanWorkstation"])
            .expand_sz("ImagePath", r"%systemroot%\system32\lsass.exe")
            .sz("ObjectName", "LocalSystem")
            .dword("Start", if joined { 2 } else { 3 })
            .dword("Type", 0x20);
        let params = b.key(&format!(r"{cs}\Services\Netlogon\Parameters"));
        params
            .dword("RequireSignOrSeal", 1)
            .dword("RequireStrongKey", 1)
            .dword("SealSecureChannel", 1)
            .dword("SignSecureChannel", 1);
        for (name, v) in [
            ("DisablePasswordChange", self.disable_password_change),
            ("MaximumPasswordAge", self.maximum_password_age),
            ("RefusePasswordChange", self.refuse_password_change),
        ] {
            if let Some(v) = v {
                params.dword(name, v);
            }
        }
        if dc {
            params
                .sz("SysVol", r"C:\Windows\SYSVOL\sysvol")
                .dword("SysvolReady", 1);
            let root_dn = dns
                .split('.')
                .map(|part| format!("DC={part}"))
                .collect::<Vec<_>>()
                .join(",");
            b.key(&format!(r"{cs}\Services\NTDS\Parameters"))
                .sz("DSA Database file", r"C:\Windows\NTDS\ntds.dit")
                .sz("Database log files path", r"C:\Windows\NTDS")
                .sz("DSA Working Directory", r"C:\Windows\NTDS")
                .sz("Root Domain", &root_dn)
                .sz(
                    "Machine DN Name",
                    &format!(
                        "CN=NTDS Settings,CN={},CN=Servers,CN=Default-First-Site-Name,\
                         CN=Sites,CN=Configuration,{root_dn}",
                        self.computer_name
                    ),
                );
            for service in ["DNS", "Kdc", "DFSR"] {
                b.key(&format!(r"{cs}\Services\{service}"))
                    .dword("Start", 2);
            }
        }
        b
    }

    fn software(&self) -> HiveBuilder {
        let mut b = self.hive(
            "CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}",
            r"\SystemRoot\System32\Config\SOFTWARE",
        );
        let installed = self.last_written - Duration::days(120);
        let build = self.build.to_string();
        b.key(r"Classes\.txt").sz("", "txtfile");
        for empty in ["Clients", r"Policies\Microsoft", "RegisteredApplications"] {
            b.key(empty);
        }
        b.key(r"Microsoft\Windows\CurrentVersion")
            .sz("CommonFilesDir", r"C:\Program Files\Common Files")
            .sz("ProgramFilesDir", r"C:\Program Files")
            .expand_sz("ProgramFilesPath", "%ProgramFiles%");
        b.key(r"Microsoft\Windows NT\CurrentVersion")
            .sz("SystemRoot", r"C:\Windows")
            .sz("PathName", r"C:\Windows")
            .sz("SoftwareType", "System")
            .sz("CurrentVersion", "6.3")
            .dword("CurrentMajorVersionNumber", 10)
            .dword("CurrentMinorVersionNumber", 0)
            .sz("CurrentBuild", &build)
            .sz("CurrentBuildNumber", &build)
            .dword("UBR", self.ubr)
            .sz("DisplayVersion", &self.display_version)
            .sz("ReleaseId", "2009")
            .sz("ProductName", &self.product_name)
            .sz("EditionID", &self.edition_id)
            .sz("InstallationType", &self.installation_type)
            .dword(
                "InstallDate",
                u32::try_from(installed.timestamp()).unwrap_or(0),
            )
            .qword("InstallTime", FileTime::from(installed).0);
        if let Some(guid) = self.machine_guid {
            b.key(r"Microsoft\Cryptography")
                .sz("MachineGuid", &guid.to_string());
        }
        b.key(r"Microsoft\Windows NT\CurrentVersion\Winlogon")
            .sz("CachedLogonsCount", "10")
            .sz("DefaultDomainName", &self.netbios_domain)
            .sz("Shell", "explorer.exe")
            .sz("Userinit", r"C:\Windows\system32\userinit.exe,");
        let profiles = r"Microsoft\Windows NT\CurrentVersion\ProfileList";
        b.key(profiles)
            .expand_sz("Default", r"%SystemDrive%\Users\Default")
            .expand_sz("ProfilesDirectory", r"%SystemDrive%\Users")
            .expand_sz("ProgramData", r"%SystemDrive%\ProgramData")
            .expand_sz("Public", r"%SystemDrive%\Users\Public");
        b.key(&format!(r"{profiles}\S-1-5-18"))
            .dword("Flags", 12)
            .expand_sz(
                "ProfileImagePath",
                r"%systemroot%\system32\config\systemprofile",
            )
            .dword("State", 0);
        // The built-in Administrator (RID 500) of the account domain: the domain's on a DC.
        b.key(&format!(r"{profiles}\{}-500", self.account_domain_sid()))
            .dword("Flags", 0)
            .expand_sz("ProfileImagePath", r"C:\Users\Administrator")
            .dword("State", 0);
        b
    }

    /// `PolDnDmG`: a stable GUID derived from the domain SID (zero in a workgroup, as
    /// Windows leaves it).
    fn domain_guid(&self) -> Vec<u8> {
        let Some(domain) = self.domain_sid else {
            return vec![0; 16];
        };
        let mut state = domain
            .to_bytes()
            .iter()
            .fold(0xCBF2_9CE4_8422_2325u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
            });
        let mut guid = Vec::with_capacity(16);
        for _ in 0..2 {
            state ^= state >> 33;
            state = state.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
            guid.extend(state.to_le_bytes());
        }
        guid[7] = (guid[7] & 0x0F) | 0x40; // version 4
        guid[8] = (guid[8] & 0x3F) | 0x80; // variant
        guid
    }
}

/// Writes `SAM`, `SECURITY`, `SYSTEM` and `SOFTWARE` for `m` into `dir` (created if
/// missing); returns their paths in that order.
pub fn write_machine_hives(dir: &Path, m: &MachineHives) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for (name, hive) in m.builders()? {
        let path = dir.join(name);
        hive.write(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

/// LSA's UNICODE_STRING as stored in `Pol*DmN`: u16 Length, u16 MaximumLength, u32 8
/// (where the text starts), the UTF-16LE text and its NUL.
fn unicode_string(text: &str) -> Vec<u8> {
    let body = utf16z(text);
    let len = u16::try_from(body.len() - 2).expect("name fits a UNICODE_STRING");
    let mut b = len.to_le_bytes().to_vec();
    b.extend((len + 2).to_le_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend(body);
    b
}

/// An idle RXACT (registry transaction) record, as found in clean hives.
fn rxact() -> Vec<u8> {
    let mut b = vec![0u8; 12];
    b[0] = 1;
    b
}

/// SAM `Domains\<domain>\F` leading fields (revision 2, creation time, password policy:
/// 42-day maximum age, lockout windows of 30 minutes, next RID 1001, complexity on,
/// minimum length 7, history 24). The boot-key material after them is left out: lab
/// hives carry no secrets.
fn domain_fixed(created: DateTime<Utc>) -> Vec<u8> {
    let minutes = |m: i64| (-m * 60 * 10_000_000).to_le_bytes();
    let mut f = Vec::with_capacity(0x58);
    f.extend(2u16.to_le_bytes());
    f.extend(1u16.to_le_bytes());
    f.extend(0u32.to_le_bytes());
    f.extend(FileTime::from(created).0.to_le_bytes());
    f.extend(1u64.to_le_bytes()); // modified count
    f.extend(minutes(42 * 24 * 60)); // maximum password age
    f.extend(0i64.to_le_bytes()); // minimum password age
    f.extend(i64::MIN.to_le_bytes()); // force logoff: never
    f.extend(minutes(30)); // lockout duration
    f.extend(minutes(30)); // lockout observation window
    f.extend(0u64.to_le_bytes()); // modified count at last promotion
    f.extend(1001u32.to_le_bytes()); // next RID
    f.extend(1u32.to_le_bytes()); // password properties: complex
    f.extend(7u16.to_le_bytes()); // minimum password length
    f.extend(24u16.to_le_bytes()); // password history length
    f.extend(0u16.to_le_bytes()); // lockout threshold
    f.extend(0u16.to_le_bytes());
    f
}

/// SAM `Domains\<domain>\V`: four (offset, length, unknown) descriptors, offsets relative
/// to 0x30; descriptor 0 is the domain object's security descriptor, descriptor 1 the
/// domain SID, which (as in every real sample) ends `V`.
fn sam_domain_v(sid: &[u8]) -> Vec<u8> {
    let sd = security_descriptor(
        "S-1-5-32-544",
        "S-1-5-32-544",
        &[
            ("S-1-1-0", 0x0002_0385),
            ("S-1-5-32-545", 0x0002_0385),
            ("S-1-5-32-544", 0x000F_07DF),
        ],
    );
    let sd_len = len32(sd.len());
    let sid_len = len32(sid.len());
    let mut v = Vec::new();
    for (offset, length, unknown) in [
        (0, sd_len, 0x0001_0002u32),
        (sd_len, sid_len, 0),
        (sd_len + sid_len, 0, 0),
        (sd_len + sid_len, 0, 0),
    ] {
        v.extend(offset.to_le_bytes());
        v.extend(length.to_le_bytes());
        v.extend(unknown.to_le_bytes());
    }
    v.extend(sd);
    v.extend(sid);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_hash_and_compress_like_windows() {
        assert_eq!(fold("Select"), fold("SELECT"));
        // h = h * 37 + upcase(c)
        let by_hand = "Ab".encode_utf16().fold(0u32, |h, c| {
            h.wrapping_mul(37).wrapping_add(u32::from(upcase_unit(c)))
        });
        assert_eq!(name_hash("ab"), by_hand);
        assert_eq!(name_hash("ab"), 65 * 37 + 66);
        assert_eq!(stored_name("Café"), (b"Caf\xe9".to_vec(), true));
        assert_eq!(
            stored_name("設定").0,
            "設定"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
        );
        assert!(!stored_name("").1);
        assert_eq!(upcase_unit(u16::from(b'e')), u16::from(b'E'));
        assert_eq!(upcase_unit(0xE9), 0xC9); // é -> É
        assert_eq!(upcase_unit(0xDF), 0xDF); // ß has no one-unit upper case
    }

    #[test]
    fn keys_and_values_are_case_insensitive() {
        let mut b = HiveBuilder::new("ROOT");
        b.key(r"A\b").dword("X", 1);
        b.key(r"a\B").dword("x", 2);
        b.key(r"a\B\c");
        assert_eq!(b.key_count(), 4);
        let values = b.key(r"A\B").values().to_vec();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].name(), "X");
        assert_eq!(values[0].data(), &2u32.to_le_bytes());
        assert_eq!(b.key("").name(), "ROOT");
    }

    #[test]
    fn sids_and_times() {
        assert_eq!(
            sid_bytes("S-1-5-32-544").unwrap(),
            [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]
        );
        assert_eq!(sid_bytes("S-1-5-x"), None);
        assert_eq!(sid_bytes("X-1-5"), None);
        let epoch = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(FileTime::from(epoch).0, 116_444_736_000_000_000);
        assert_eq!(
            unicode_string("AB"),
            [4, 0, 6, 0, 8, 0, 0, 0, b'A', 0, b'B', 0, 0, 0]
        );
    }
}
