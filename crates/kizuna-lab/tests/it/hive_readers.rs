//! The lab's registry hives, proven by readers nobody on this project wrote:
//! - kizuna's own `read_hive` (notatin underneath): every identity fact it extracts;
//! - notatin walked directly: every key and value, raw bytes and typed content;
//! - regipy 6.5.0 (Python): every key and value, its header checksum, hive-type
//!   recognition and its forensic plugins (local_sid, domain_sid, computer_name, ...);
//! - a structural audit in Python (struct only): what neither reader checks (hbin tiling,
//!   free cells, lh hashes and order, ri, db, sk links and refcount, largest-size fields).

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use kizuna_evidence::hive::{HiveFacts, HiveType, read_hive};
use kizuna_lab::hive::{
    FileTime, HiveBuilder, Key, MAX_LEAF_ENTRIES, MachineHives, MachineRole, REG_BINARY, REG_DWORD,
    REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ, write_machine_hives,
};
use notatin::cell_value::CellValue;
use notatin::parser::{Parser, ParserIterator};
use notatin::parser_builder::ParserBuilder;
use serde_json::{Value as Json, json};

/// Dumps each hive given on the command line with regipy: header, hive type, every key
/// (recurse_subkeys) with untrimmed values, the root's security info, the plugins that
/// apply, and anything regipy logged at WARNING or above.
const REGIPY_DUMP: &str = r##"
import json, logging, sys
from regipy.registry import RegistryHive, NKRecord
from regipy.utils import calculate_xor32_checksum, MAX_LEN
from regipy.plugins.sam.local_sid import LocalSidPlugin
from regipy.plugins.security.domain_sid import DomainSidPlugin
from regipy.plugins.system.computer_name import ComputerNamePlugin
from regipy.plugins.system.host_domain_name import HostDomainNamePlugin
from regipy.plugins.system.active_controlset import ActiveControlSetPlugin
from regipy.plugins.software.winver import WinVersionPlugin

class Grab(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []
    def emit(self, record):
        self.records.append(record.getMessage())

grab = Grab()
logging.getLogger().addHandler(grab)

# recurse_subkeys trims values to 256 characters by default: read them whole.
NKRecord.iter_values.__defaults__ = (False, MAX_LEN, False)

def js(v):
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [js(x) for x in v]
    if isinstance(v, dict):
        return {str(k): js(x) for k, x in v.items() if not str(k).startswith("_")}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    return str(v)

out = {}
for path in sys.argv[1:]:
    grab.records = []
    raw = open(path, "rb").read()
    hive = RegistryHive(path)
    h = hive.header
    keys = {}
    for sk in hive.recurse_subkeys(as_json=False):
        keys[sk.path] = {
            "name": sk.subkey_name,
            "timestamp": sk.timestamp.isoformat(),
            "values": [[v.name, str(v.value_type), js(v.value)] for v in sk.values],
        }
    plugins = {}
    for cls in (LocalSidPlugin, DomainSidPlugin, ComputerNamePlugin, HostDomainNamePlugin,
                ActiveControlSetPlugin, WinVersionPlugin):
        p = cls(hive, as_json=True)
        if p.can_run():
            p.run()
            plugins[p.NAME] = js(p.entries)
    out[path] = {
        "header": {
            "checksum_ok": calculate_xor32_checksum(raw[:508]) == h.checksum,
            "sequence": [h.primary_sequence_num, h.secondary_sequence_num],
            "version": [h.major_version, h.minor_version],
            "file_type": h.file_type,
            "file_format": h.file_format,
            "root_key_offset": h.root_key_offset,
            "bins_size": h.hive_bins_data_size,
            "clustering": h.clustering_factor,
            "file_name": h.file_name,
            "file_size": len(raw),
        },
        "hive_type": hive.hive_type,
        "keys": keys,
        "security": js(hive.root.get_security_key_info()),
        "plugins": plugins,
        "warnings": list(grab.records),
    }
print(json.dumps(out))
"##;

/// Checks the regf structure itself, byte by byte, with nothing but `struct`.
const AUDIT: &str = r##"
import json, struct, sys

NIL = 0xFFFFFFFF
MAX_LEAF = int(sys.argv[1])
SEGMENT = 16344

def units(s):
    b = s.encode("utf-16-le")
    return [b[i] | (b[i + 1] << 8) for i in range(0, len(b), 2)]

def upcase(u):
    if 0xD800 <= u < 0xE000:
        return u
    up = chr(u).upper()
    return ord(up) if len(up) == 1 and ord(up) < 0x10000 else u

def hash37(name):
    h = 0
    for u in units(name):
        h = (h * 37 + upcase(u)) & 0xFFFFFFFF
    return h

def audit(path):
    b = open(path, "rb").read()
    errors = []
    def expect(ok, what):
        if not ok:
            errors.append(what)
    u16 = lambda o: struct.unpack_from("<H", b, o)[0]
    u32 = lambda o: struct.unpack_from("<I", b, o)[0]
    i32 = lambda o: struct.unpack_from("<i", b, o)[0]
    u64 = lambda o: struct.unpack_from("<Q", b, o)[0]

    x = 0
    for i in range(0, 508, 4):
        x ^= u32(i)
    x = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(x, x)
    expect(b[:4] == b"regf", "regf signature")
    expect(u32(4) == u32(8), "sequence numbers equal")
    expect((u32(20), u32(24), u32(28), u32(32), u32(44)) == (1, 5, 0, 1, 1), "version/type/format/clustering")
    expect(u32(508) == x, "base block checksum")
    expect(b[164:168] == b"rmtm" and u64(168) == u64(12), "rmtm and last-reorganized time")
    bins_size = u32(40)
    expect(len(b) == 4096 + bins_size, "file size = base block + hive bins")

    cells, bins, off = {}, 0, 0
    while off < bins_size:
        h = 4096 + off
        size = u32(h + 8)
        expect(b[h:h + 4] == b"hbin" and u32(h + 4) == off, f"hbin header at {off:#x}")
        expect(size > 0 and size % 4096 == 0, f"hbin size at {off:#x}")
        expect(u64(h + 20) == (u64(12) if off == 0 else 0), f"hbin timestamp at {off:#x}")
        if size == 0:
            break
        c, prev_free = off + 32, False
        while c < off + size:
            s = i32(4096 + c)
            expect(s != 0 and abs(s) % 8 == 0, f"cell size at {c:#x}")
            if s == 0:
                break
            expect(not (prev_free and s > 0), f"adjacent free cells at {c:#x}")
            cells[c] = (abs(s), s < 0)
            prev_free = s > 0
            c += abs(s)
        expect(c == off + size, f"cells tile the bin at {off:#x}")
        bins += 1
        off += size

    used = set()
    def cell(o, sig=None, need=0):
        ok = o in cells and cells[o][1]
        expect(ok, f"allocated cell at {o:#x}")
        if not ok:
            raise RuntimeError(f"no cell at {o:#x}")
        expect(o not in used, f"cell {o:#x} used twice")
        used.add(o)
        expect(cells[o][0] >= 4 + need, f"cell {o:#x} holds {need} bytes")
        d = 4096 + o + 4
        if sig:
            expect(b[d:d + 2] == sig, f"{sig} at {o:#x}")
        return d

    def stored_name(d, n, compressed, where):
        raw = b[d:d + n]
        name = raw.decode("latin-1") if compressed else raw.decode("utf-16-le")
        expect(compressed == (len(name) > 0 and all(u < 0x100 for u in units(name))),
               f"compressed flag iff every unit < 256: {where}")
        return name

    stats = {"keys": 0, "values": 0, "ri": 0, "db": 0, "inline": 0, "utf16_names": 0}
    sk_refs = {}

    def walk(nk, parent, is_root):
        d = cell(nk, b"nk", 76)
        stats["keys"] += 1
        flags = u16(d + 2)
        expect(bool(flags & 0x0C) == is_root and (flags & 0xFFD3) == 0, f"nk flags at {nk:#x}")
        if not is_root:
            expect(u32(d + 16) == parent, f"parent of {nk:#x}")
        nsub, nval = u32(d + 20), u32(d + 36)
        expect(u32(d + 24) == 0 and u32(d + 32) == NIL, f"no volatile sub-keys at {nk:#x}")
        expect(u32(d + 48) == NIL and u16(d + 74) == 0 and u32(d + 56) == 0, f"no class at {nk:#x}")
        name = stored_name(d + 76, u16(d + 72), bool(flags & 0x20), f"key at {nk:#x}")
        expect(cells[nk][0] >= 4 + 76 + u16(d + 72), f"nk name fits at {nk:#x}")
        if not flags & 0x20:
            stats["utf16_names"] += 1
        sk_refs[u32(d + 44)] = sk_refs.get(u32(d + 44), 0) + 1

        max_vname = max_vdata = 0
        if nval:
            vl = cell(u32(d + 40), None, 4 * nval)
            for i in range(nval):
                vk = u32(vl + 4 * i)
                v = cell(vk, b"vk", 20)
                stats["values"] += 1
                nlen, size, doff = u16(v + 2), u32(v + 4), u32(v + 8)
                vname = stored_name(v + 20, nlen, bool(u16(v + 16) & 1), f"value at {vk:#x}")
                if size & 0x80000000:
                    dlen = size & 0x7FFFFFFF
                    expect(dlen <= 4, f"inline data of at most 4 bytes at {vk:#x}")
                    stats["inline"] += 1
                else:
                    dlen = size
                    expect(dlen > 4, f"data over 4 bytes out of line at {vk:#x}")
                    if dlen <= SEGMENT:
                        cell(doff, None, dlen)
                    else:
                        stats["db"] += 1
                        db = cell(doff, b"db", 8)
                        count = u16(db + 2)
                        expect(count == -(-dlen // SEGMENT), f"db segment count at {doff:#x}")
                        lst = cell(u32(db + 4), None, 4 * count)
                        for s in range(count):
                            cell(u32(lst + 4 * s), None, min(SEGMENT, dlen - s * SEGMENT))
                max_vname = max(max_vname, 2 * len(units(vname)))
                max_vdata = max(max_vdata, dlen)
        else:
            expect(u32(d + 40) == NIL, f"no value list at {nk:#x}")
        expect(u32(d + 60) == max_vname, f"largest value name at {nk:#x}")
        expect(u32(d + 64) == max_vdata, f"largest value data at {nk:#x}")

        children = []
        if nsub:
            lo = u32(d + 28)
            ld = cell(lo)
            if b[ld:ld + 2] == b"ri":
                stats["ri"] += 1
                expect(nsub > MAX_LEAF, f"ri only past {MAX_LEAF} sub-keys at {nk:#x}")
                leaves = [u32(ld + 4 + 4 * i) for i in range(u16(ld + 2))]
            else:
                expect(b[ld:ld + 2] == b"lh", f"lh list at {lo:#x}")
                used.discard(lo)
                leaves = [lo]
            for leaf in leaves:
                l = cell(leaf, b"lh")
                n = u16(l + 2)
                expect(0 < n <= MAX_LEAF, f"leaf size at {leaf:#x}")
                children += [(u32(l + 4 + 8 * i), u32(l + 8 + 8 * i)) for i in range(n)]
            expect(len(children) == nsub, f"sub-key count at {nk:#x}")
        else:
            expect(u32(d + 28) == NIL, f"no sub-key list at {nk:#x}")
        folded, max_sub = [], 0
        for child, h in children:
            cname = walk(child, nk, False)
            expect(h == hash37(cname), f"lh hash of {cname!r}")
            folded.append([upcase(u) for u in units(cname)])
            max_sub = max(max_sub, 2 * len(units(cname)))
        expect(all(a < b2 for a, b2 in zip(folded, folded[1:])), f"sub-keys sorted, unique at {nk:#x}")
        expect(u32(d + 52) == max_sub, f"largest sub-key name at {nk:#x}")
        return name

    root = u32(36)
    expect(root == 0x20, "root key is the first cell")
    walk(root, None, True)

    expect(len(sk_refs) == 1, "one shared sk cell")
    sk = next(iter(sk_refs))
    s = cell(sk, b"sk", 20)
    expect(u32(s + 4) == sk and u32(s + 8) == sk, "sk flink/blink to itself")
    expect(u32(s + 12) == stats["keys"], "sk reference count = keys")
    sdlen, sd = u32(s + 16), s + 20
    expect(cells[sk][0] >= 4 + 20 + sdlen, "sk holds its descriptor")
    expect(b[sd] == 1 and u16(sd + 2) & 0x8004 == 0x8004, "self-relative descriptor with a DACL")
    def sid_len(o):
        expect(b[o] == 1, f"SID revision at +{o - sd}")
        return 8 + 4 * b[o + 1]
    owner, group, sacl, dacl = u32(sd + 4), u32(sd + 8), u32(sd + 12), u32(sd + 16)
    expect(sacl == 0 and owner + sid_len(sd + owner) <= sdlen and group + sid_len(sd + group) <= sdlen, "owner/group in bounds")
    acl = sd + dacl
    expect(b[acl] == 2 and dacl + u16(acl + 2) <= sdlen, "DACL revision and size")
    ace, total = acl + 8, 8
    for _ in range(u16(acl + 4)):
        expect(u16(ace + 2) == 8 + sid_len(ace + 8), "ACE size")
        total += u16(ace + 2)
        ace += u16(ace + 2)
    expect(total == u16(acl + 2), "ACEs fill the DACL")

    allocated = {o for o, (_, a) in cells.items() if a}
    expect(allocated == used, f"every allocated cell is reachable ({len(allocated - used)} orphans)")
    stats.update(errors=errors, bins=bins, cells=len(cells), free=sum(1 for _, a in cells.values() if not a))
    return stats

print(json.dumps({p: audit(p) for p in sys.argv[2:]}))
"##;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn time(y: i32, mo: u32, d: u32, h: u32, mi: u32, sec: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, sec)
        .single()
        .expect("valid time")
}

/// regipy's rendering of a FILETIME (`datetime.isoformat()` with pytz UTC).
fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn regipy(paths: &[PathBuf]) -> Json {
    let args: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    serde_json::from_str(&support::run_python(REGIPY_DUMP, &args)).expect("regipy JSON")
}

/// The audit's findings per file; panics on any structural error.
fn audit(paths: &[PathBuf]) -> Json {
    let leaf = PathBuf::from(MAX_LEAF_ENTRIES.to_string());
    let mut args: Vec<&Path> = vec![leaf.as_path()];
    args.extend(paths.iter().map(PathBuf::as_path));
    let out: Json = serde_json::from_str(&support::run_python(AUDIT, &args)).expect("audit JSON");
    for p in paths {
        let report = &out[p.to_str().unwrap()];
        assert_eq!(report["errors"], json!([]), "{}: {report}", p.display());
    }
    out
}

/// Every key of a builder by path below the root ("" = root, `\`-separated).
fn flatten(b: &HiveBuilder) -> BTreeMap<Vec<String>, &Key> {
    fn walk<'a>(k: &'a Key, path: Vec<String>, out: &mut BTreeMap<Vec<String>, &'a Key>) {
        for c in k.subkeys() {
            let mut p = path.clone();
            p.push(c.name().to_string());
            walk(c, p, out);
        }
        out.insert(path, k);
    }
    let mut out = BTreeMap::new();
    walk(b.root(), Vec::new(), &mut out);
    out
}

/// A name as regipy shows it: it decodes one-byte ("compressed") names as ASCII, so the
/// Latin-1 characters Windows stores that way come out as U+FFFD.
fn regipy_name(name: &str) -> String {
    if name.encode_utf16().all(|u| u < 0x100) {
        name.chars()
            .map(|c| if c.is_ascii() { c } else { '\u{FFFD}' })
            .collect()
    } else {
        name.to_string()
    }
}

fn utf16(data: &[u8]) -> String {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).expect("UTF-16 written")
}

fn type_name(ty: u32) -> String {
    match ty {
        REG_NONE => "REG_NONE".into(),
        REG_SZ => "REG_SZ".into(),
        REG_EXPAND_SZ => "REG_EXPAND_SZ".into(),
        REG_BINARY => "REG_BINARY".into(),
        REG_DWORD => "REG_DWORD".into(),
        REG_MULTI_SZ => "REG_MULTI_SZ".into(),
        REG_QWORD => "REG_QWORD".into(),
        other => other.to_string(),
    }
}

/// What regipy must print for a value written as (`ty`, `data`).
fn regipy_value(ty: u32, data: &[u8]) -> Json {
    match ty {
        REG_SZ | REG_EXPAND_SZ => json!(utf16(data).trim_end_matches('\0')),
        REG_DWORD => json!(u32::from_le_bytes(data.try_into().unwrap())),
        REG_QWORD => json!(u64::from_le_bytes(data.try_into().unwrap())),
        REG_MULTI_SZ => json!(
            utf16(data)
                .split('\0')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        ),
        _ => json!({ "hex": hex(data) }),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// regipy saw exactly the builder's keys and values, read its header as a clean hive,
/// parsed the shared security descriptor, and logged nothing.
fn check_regipy(dump: &Json, b: &HiveBuilder, regipy_type: Option<&str>, time: DateTime<Utc>) {
    assert_eq!(dump["warnings"], json!([]), "regipy warnings");
    let h = &dump["header"];
    assert_eq!(h["checksum_ok"], json!(true));
    assert_eq!(h["sequence"][0], h["sequence"][1]);
    assert_eq!(h["version"], json!([1, 5]));
    assert_eq!((&h["file_type"], &h["file_format"]), (&json!(0), &json!(1)));
    assert_eq!(h["root_key_offset"], json!(0x20));
    assert_eq!(h["clustering"], json!(1));
    assert_eq!(
        h["file_size"].as_u64().unwrap(),
        4096 + h["bins_size"].as_u64().unwrap()
    );
    assert_eq!(dump["hive_type"], json!(regipy_type));
    assert_eq!(dump["security"]["owner"], json!("S-1-5-32-544"));
    assert_eq!(dump["security"]["group"], json!("S-1-5-18"));
    assert!(!dump["security"]["dacl"].as_array().unwrap().is_empty());

    let keys = dump["keys"].as_object().expect("keys");
    let expected = flatten(b);
    assert_eq!(keys.len(), expected.len(), "regipy key count");
    for (path, key) in &expected {
        let shown: Vec<String> = path.iter().map(|p| regipy_name(p)).collect();
        let regipy_path = format!("\\{}", shown.join("\\"));
        let got = keys
            .get(&regipy_path)
            .unwrap_or_else(|| panic!("regipy lacks {regipy_path}"));
        assert_eq!(got["name"], json!(regipy_name(key.name())), "{regipy_path}");
        assert_eq!(got["timestamp"], json!(iso(time)), "{regipy_path}");
        let want: Vec<Json> = key
            .values()
            .iter()
            .map(|v| {
                let name = if v.name().is_empty() {
                    "(default)".to_string()
                } else {
                    regipy_name(v.name())
                };
                json!([name, type_name(v.ty()), regipy_value(v.ty(), v.data())])
            })
            .collect();
        assert_eq!(got["values"], json!(want), "{regipy_path}");
    }
}

fn notatin_parser(path: &Path) -> Parser {
    ParserBuilder::from_path(PathBuf::from(path))
        .build()
        .unwrap_or_else(|e| panic!("notatin: {}: {e}", path.display()))
}

/// notatin, walked over the whole tree, saw exactly the builder's keys (names, times) and
/// values (names, types, raw bytes, typed content), recorded no damage, and parsed the sk.
fn check_notatin(path: &Path, b: &HiveBuilder, time: DateTime<Utc>) {
    let mut parser = notatin_parser(path);
    let mut seen: BTreeMap<Vec<String>, notatin::cell_key_node::CellKeyNode> = BTreeMap::new();
    for key in ParserIterator::new(&parser).iter() {
        assert_eq!(key.logs.get(), None, "{}: {:?}", key.path, key.logs);
        let rel: Vec<String> = key
            .path
            .trim_start_matches('\\')
            .split('\\')
            .skip(1)
            .map(str::to_string)
            .collect();
        assert!(seen.insert(rel, key).is_none(), "key seen twice");
    }
    let expected = flatten(b);
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "notatin key paths"
    );
    for (path, key) in &expected {
        let got = &seen[path];
        assert_eq!(got.key_name, key.name(), "{path:?}");
        assert_eq!(got.last_key_written_date_and_time(), time, "{path:?}");
        let values: Vec<_> = got.value_iter().collect();
        assert_eq!(values.len(), key.values().len(), "{path:?} value count");
        for (v, want) in values.iter().zip(key.values()) {
            let at = format!("{path:?} value {:?}", want.name());
            assert_eq!(v.logs.get(), None, "{at}");
            assert_eq!(v.detail.value_name(), want.name(), "{at}");
            assert_eq!(v.detail.data_type_raw(), want.ty(), "{at}");
            assert_eq!(
                v.detail.value_bytes().unwrap_or_default(),
                want.data(),
                "{at}"
            );
            let (content, logs) = v.get_content();
            assert!(logs.is_none(), "{at}: {logs:?}");
            let data = want.data();
            match want.ty() {
                REG_SZ | REG_EXPAND_SZ => assert_eq!(
                    content,
                    CellValue::String(utf16(data).trim_end_matches('\0').to_string()),
                    "{at}"
                ),
                REG_DWORD => assert_eq!(
                    content,
                    CellValue::U32(u32::from_le_bytes(data.try_into().unwrap())),
                    "{at}"
                ),
                REG_QWORD => assert_eq!(
                    content,
                    CellValue::U64(u64::from_le_bytes(data.try_into().unwrap())),
                    "{at}"
                ),
                REG_MULTI_SZ => {
                    let items: Vec<String> = utf16(data)
                        .split('\0')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    assert_eq!(content, CellValue::MultiString(items), "{at}");
                }
                _ => {}
            }
        }
    }
    let mut root = parser.get_root_key().unwrap().expect("root key");
    let sds = root.get_security_descriptors(&mut parser).expect("sk");
    assert_eq!(sds.len(), 1, "one sk cell in the ring");
    assert_eq!(sds[0].owner_sid.to_string(), "S-1-5-32-544");
}

/// Everything `read_hive` must report for one machine hive, field by field.
fn expected_facts(name: &str, m: &MachineHives, keys: usize) -> HiveFacts {
    let mut f = HiveFacts {
        key_count: keys,
        last_written: Some(m.last_written),
        ..HiveFacts::default()
    };
    match name {
        "SAM" => {
            f.hive_type = Some(HiveType::Sam);
            f.machine_sid = Some(m.machine_sid.to_string());
            f.sam_descriptor_matches_tail = Some(true);
        }
        "SECURITY" => {
            f.hive_type = Some(HiveType::Security);
            f.machine_sid = Some(m.account_domain_sid().to_string());
            f.account_domain_name = s(m.account_domain_name());
            f.primary_domain_name = s(&m.netbios_domain);
            f.primary_domain_sid = m.domain_sid.map(|d| d.to_string());
            f.dns_domain_name = m.dns_domain.clone();
        }
        "SYSTEM" => {
            f.hive_type = Some(HiveType::System);
            f.current_control_set = Some(1);
            f.computer_name = s(&m.computer_name);
            f.product_type = s(m.role.product_type());
            f.tcpip_hostname = Some(m.computer_name.to_lowercase());
            f.tcpip_domain = m.dns_domain.clone();
            for (k, v) in [
                ("RefusePasswordChange", m.refuse_password_change),
                ("MaximumPasswordAge", m.maximum_password_age),
                ("DisablePasswordChange", m.disable_password_change),
            ] {
                if let Some(v) = v {
                    f.netlogon.insert(k.to_string(), v);
                }
            }
        }
        "SOFTWARE" => {
            f.hive_type = Some(HiveType::Software);
            f.current_build = Some(m.build);
            f.ubr = Some(m.ubr);
            f.display_version = s(&m.display_version);
            f.product_name = s(&m.product_name);
            f.edition_id = s(&m.edition_id);
            f.installation_type = s(&m.installation_type);
            f.machine_guid = m.machine_guid;
        }
        other => panic!("unexpected hive {other}"),
    }
    f
}

/// What regipy's own plugins must conclude from each hive.
fn check_plugins(name: &str, dump: &Json, m: &MachineHives) {
    let p = &dump["plugins"];
    match name {
        "SAM" => assert_eq!(
            p["local_sid"][0]["machine_sid"],
            json!(m.machine_sid.to_string())
        ),
        "SECURITY" => {
            let d = &p["domain_sid"][0];
            assert_eq!(d["domain_name"], json!(m.netbios_domain));
            assert_eq!(d["domain_sid"], json!(m.domain_sid.map(|s| s.to_string())));
            let account = match (m.domain_sid, m.machine_account_rid) {
                (Some(sid), Some(rid)) => Some(format!("{sid}-{rid}")),
                _ => None,
            };
            assert_eq!(d["machine_sid"], json!(account));
        }
        "SYSTEM" => {
            assert_eq!(p["computer_name"][0]["name"], json!(m.computer_name));
            let host = &p["host_domain_name"][0];
            assert_eq!(host["hostname"], json!(m.computer_name.to_lowercase()));
            assert_eq!(
                host["domain"],
                json!(m.dns_domain.clone().unwrap_or_default())
            );
            let current = p["active_control_set"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == "Current")
                .expect("Select\\Current");
            assert_eq!(current["value"], json!(1));
        }
        "SOFTWARE" => {
            let v = &p["winver_plugin"]["\\Microsoft\\Windows NT\\CurrentVersion"];
            assert_eq!(v["ProductName"], json!(m.product_name));
            assert_eq!(v["CurrentBuild"], json!(m.build.to_string()));
            assert_eq!(v["EditionID"], json!(m.edition_id));
            assert_eq!(v["InstallationType"], json!(m.installation_type));
        }
        other => panic!("unexpected hive {other}"),
    }
}

/// Writes `m`'s hives and proves them with every reader.
fn prove_machine(m: &MachineHives) {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_machine_hives(dir.path(), m).unwrap();
    let names = ["SAM", "SECURITY", "SYSTEM", "SOFTWARE"];
    assert_eq!(
        paths,
        names.map(|n| dir.path().join(n)).to_vec(),
        "files and their order"
    );
    let builders = m.builders().unwrap();
    let dump = regipy(&paths);
    let structure = audit(&paths);
    for ((name, builder), path) in builders.iter().zip(&paths) {
        let shown = format!("{:?} {name}", m.role);
        assert!(
            builder.key_count() >= 10,
            "{shown}: a realistic handful of keys"
        );
        let facts = read_hive(path, &[]).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(
            facts,
            expected_facts(name, m, builder.key_count()),
            "{shown}: read_hive"
        );
        check_notatin(path, builder, m.last_written);
        let d = &dump[path.to_str().unwrap()];
        check_regipy(d, builder, Some(&name.to_lowercase()), m.last_written);
        check_plugins(name, d, m);
        assert_eq!(
            structure[path.to_str().unwrap()]["keys"],
            json!(builder.key_count())
        );
    }
}

#[test]
fn workstation_hives_read_back() {
    let m = MachineHives::sample(MachineRole::Workstation);
    assert_eq!(m.account_domain_sid(), m.machine_sid);
    prove_machine(&m);
}

#[test]
fn server_hives_read_back() {
    let mut m = MachineHives::sample(MachineRole::Server);
    // A member that never changes its password (a secure-channel risk kizuna reports).
    m.disable_password_change = Some(1);
    m.maximum_password_age = Some(0);
    m.build = 20348;
    m.ubr = 4294;
    m.display_version = "21H2".into();
    m.product_name = "Windows Server 2022 Standard".into();
    m.edition_id = "ServerStandard".into();
    m.installation_type = "Server Core".into();
    prove_machine(&m);
}

#[test]
fn domain_controller_hives_read_back() {
    let mut m = MachineHives::sample(MachineRole::DomainController);
    m.refuse_password_change = Some(1);
    // On a DC the LSA account domain is the domain: PolAcDmS is the domain SID, PolAcDmN
    // the domain's NetBIOS name; the SAM hive keeps the local (DSRM) accounts' own SID.
    assert_eq!(Some(m.account_domain_sid()), m.domain_sid);
    assert_ne!(m.account_domain_sid(), m.machine_sid);
    assert_eq!(m.account_domain_name(), "CORP");
    prove_machine(&m);

    let dir = tempfile::tempdir().unwrap();
    let paths = write_machine_hives(dir.path(), &m).unwrap();
    let security = read_hive(&paths[1], &[]).unwrap();
    let sam = read_hive(&paths[0], &[]).unwrap();
    assert_eq!(
        security.machine_sid.as_deref(),
        Some("S-1-5-21-1004336348-1177238915-682003330")
    );
    assert_eq!(security.primary_domain_sid, security.machine_sid);
    assert_ne!(sam.machine_sid, security.machine_sid);
    let system = read_hive(&paths[2], &[]).unwrap();
    assert_eq!(system.product_type.as_deref(), Some("LanmanNT"));
    assert_eq!(system.netlogon.get("RefusePasswordChange"), Some(&1));
}

#[test]
fn workgroup_hives_read_back() {
    let mut m = MachineHives::sample(MachineRole::Workstation);
    m.computer_name = "KIOSK-07".into();
    m.netbios_domain = "WORKGROUP".into();
    m.dns_domain = None;
    m.domain_sid = None;
    m.machine_account_rid = None;
    m.build = 19045;
    m.ubr = 6093;
    m.display_version = "22H2".into();
    prove_machine(&m);

    let mut dc = MachineHives::sample(MachineRole::DomainController);
    dc.domain_sid = None;
    dc.dns_domain = None;
    let dir = tempfile::tempdir().unwrap();
    let err = write_machine_hives(dir.path(), &dc).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// A SOFTWARE hive (so `read_hive` reads it too) plus everything a simple writer gets
/// wrong: an index root, big data, inline-size boundaries, UTF-16 and Latin-1 names,
/// case-insensitive ordering, a deep path.
fn stress_builder() -> HiveBuilder {
    let mut b = HiveBuilder::new("CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}");
    b.set_last_written(time(2025, 9, 9, 17, 0, 0))
        .set_file_name(r"\SystemRoot\System32\Config\SOFTWARE");
    b.key("Classes");
    b.key(r"Microsoft\Windows NT\CurrentVersion")
        .sz("CurrentBuild", "26200")
        .dword("UBR", 6899)
        .sz("DisplayVersion", "25H2")
        .sz("ProductName", "Windows 10 Enterprise")
        .sz("EditionID", "Enterprise")
        .sz("InstallationType", "Client");

    let many = b.key(r"Lab\Many");
    // Inserted in reverse: the hive order must come from the names, not from insertion.
    for i in (0..3000u32).rev() {
        many.key(&format!("Item{i:04}")).dword("Index", i);
    }

    let names = b.key(r"Lab\Names");
    for name in [
        "zeta",
        "Alpha",
        "_under",
        "beta",
        "Éclair",
        "eclair",
        "Größe",
        "設定",
        "ユーザー",
        "鍵🔑",
        "Ω",
        "a",
        "B",
    ] {
        names.key(name).sz("Name", name);
    }
    names.key("設定").sz("値", "日本語の値").dword("Größe", 7);

    let pattern = |n: usize| -> Vec<u8> { (0..n).map(|i| (i * 7 + i / 251) as u8).collect() };
    let big = b.key(r"Lab\Big");
    big.binary("Blob40K", &pattern(40_000))
        .binary("Exactly16344", &pattern(16_344))
        .binary("Just16345", &pattern(16_345))
        .sz("LongText", &"長い".repeat(10_000))
        .multi_sz("List", &["one", "二", "three"])
        .expand_sz("Path", r"%SystemRoot%\Temp")
        .qword("Q", 0x0123_4567_89AB_CDEF)
        .none("None5", &[1, 2, 3, 4, 5])
        .none("Empty", &[])
        .binary("One", &[0xAA])
        .binary("Four", &[1, 2, 3, 4])
        .binary("Five", &[1, 2, 3, 4, 5])
        .sz("", "default value")
        .value("Custom", 0x0000_1234, &[9, 8, 7]);

    let deep = (0..30)
        .map(|i| format!("Level{i:02}"))
        .collect::<Vec<_>>()
        .join("\\");
    b.key(&format!(r"Lab\Deep\{deep}")).dword("Depth", 30);
    b
}

#[test]
fn stress_hive_agrees_with_every_reader() {
    let b = stress_builder();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stress_software");
    b.write(&path).unwrap();
    let t = time(2025, 9, 9, 17, 0, 0);

    let facts = read_hive(&path, &[]).unwrap();
    assert_eq!(
        facts,
        HiveFacts {
            hive_type: Some(HiveType::Software),
            key_count: b.key_count(),
            current_build: Some(26200),
            ubr: Some(6899),
            display_version: s("25H2"),
            product_name: s("Windows 10 Enterprise"),
            edition_id: s("Enterprise"),
            installation_type: s("Client"),
            last_written: Some(t),
            ..HiveFacts::default()
        }
    );
    assert!(b.key_count() > 3000 + 13 + 30);

    check_notatin(&path, &b, t);

    // regipy does not know type 0x1234 and reads such data past the value: keep it out of
    // its run, in a copy without that value.
    let mut for_regipy = b.clone();
    for_regipy
        .key(r"Lab\Big")
        .value("Custom", REG_BINARY, &[9, 8, 7]);
    let regipy_path = dir.path().join("stress_regipy");
    for_regipy.write(&regipy_path).unwrap();
    let dump = regipy(std::slice::from_ref(&regipy_path));
    check_regipy(
        &dump[regipy_path.to_str().unwrap()],
        &for_regipy,
        Some("software"),
        t,
    );

    let report = audit(std::slice::from_ref(&path));
    let r = &report[path.to_str().unwrap()];
    assert_eq!(r["keys"], json!(b.key_count()));
    assert_eq!(r["ri"], json!(1), "3000 sub-keys need one index root");
    assert_eq!(r["db"], json!(3), "Blob40K, Just16345, LongText");
    assert!(r["utf16_names"].as_u64().unwrap() >= 4, "{r}");
    assert!(r["bins"].as_u64().unwrap() > 1, "{r}");
}

#[test]
fn stress_hive_key_order_and_hashes_follow_windows() {
    let b = stress_builder();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stress");
    b.write(&path).unwrap();
    let mut parser = notatin_parser(&path);
    let mut names = parser
        .get_key(r"Lab\Names", false)
        .unwrap()
        .expect("Lab\\Names");
    let order: Vec<String> = names
        .read_sub_keys(&mut parser)
        .into_iter()
        .map(|k| k.key_name)
        .collect();
    // Upper-cased UTF-16 order: '_' (0x5F) after 'Z', 'É' (0xC9) after ASCII, Greek, then
    // CJK; "eclair" and "Éclair" differ, "a" and "A" would be one key.
    assert_eq!(
        order,
        [
            "a",
            "Alpha",
            "B",
            "beta",
            "eclair",
            "Größe",
            "zeta",
            "_under",
            "Éclair",
            "Ω",
            "ユーザー",
            "設定",
            "鍵🔑"
        ]
    );
    let mut many = parser
        .get_key(r"Lab\Many", false)
        .unwrap()
        .expect("Lab\\Many");
    let items = many.read_sub_keys(&mut parser);
    assert_eq!(items.len(), 3000);
    assert!(items.windows(2).all(|w| w[0].key_name < w[1].key_name));
    // Case-insensitive lookups through the ri/lh lists.
    let key = parser
        .get_key(r"lab\many\ITEM2999", false)
        .unwrap()
        .expect("Item2999");
    assert_eq!(
        key.get_value("index").unwrap().get_content().0,
        CellValue::U32(2999)
    );
}

#[test]
fn output_is_deterministic() {
    assert_eq!(stress_builder().to_bytes(), stress_builder().to_bytes());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let m = MachineHives::sample(MachineRole::DomainController);
    let first = write_machine_hives(a.path(), &m).unwrap();
    let second = write_machine_hives(b.path(), &m).unwrap();
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
    }
    // A different time changes the bytes (base block, bins, keys), nothing else does.
    let mut later = m.clone();
    later.last_written = time(2026, 1, 1, 0, 0, 0);
    let c = tempfile::tempdir().unwrap();
    let third = write_machine_hives(c.path(), &later).unwrap();
    assert_ne!(
        std::fs::read(&first[0]).unwrap(),
        std::fs::read(&third[0]).unwrap()
    );
}

#[test]
fn base_block_and_bins_are_laid_out_as_windows_does() {
    let mut b = HiveBuilder::new("ROOT");
    b.set_last_written(FileTime(0x01DC_2B5A_8C3E_1000))
        .set_file_name(r"\SystemRoot\System32\Config\SECURITY")
        .set_sequence(0x2A7);
    b.key("Policy\\PolAcDmS").none("", &[1; 24]);
    let bytes = b.to_bytes();
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    assert_eq!(&bytes[..4], b"regf");
    assert_eq!((u32_at(4), u32_at(8)), (0x2A7, 0x2A7));
    assert_eq!(u32_at(36), 0x20);
    assert_eq!(bytes.len(), 4096 + u32_at(40) as usize);
    assert_eq!(bytes.len(), 8192, "a small hive is one 4 KiB bin");
    // The last 31 characters of the path, NUL-padded.
    let name: Vec<u16> = bytes[48..112]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    assert_eq!(
        String::from_utf16(&name).unwrap(),
        r"emRoot\System32\Config\SECURITY"
    );
    let x = (0..127).fold(0u32, |x, i| x ^ u32_at(4 * i));
    assert_eq!(u32_at(508), x);
    assert_eq!(&bytes[4096..4100], b"hbin");
    assert_eq!(
        u64::from_le_bytes(bytes[4096 + 20..4096 + 28].try_into().unwrap()),
        0x01DC_2B5A_8C3E_1000
    );
    // The root nk is the first cell; the bin ends with one free (positive) cell.
    let first = i32::from_le_bytes(bytes[4128..4132].try_into().unwrap());
    assert!(first < 0 && first % 8 == 0);
    assert_eq!(&bytes[4132..4134], b"nk");
}
