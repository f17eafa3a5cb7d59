//! The EVTX writer against readers nobody on this project wrote: the `evtx` crate and
//! python-evtx must read back every field of every record, with no error and with every
//! checksum right; kizuna's own reader must decode the statuses.

use crate::support;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kizuna_core::{Fact, InputKind, InputReport};
use kizuna_core::{Knowledge, NtStatus};
use kizuna_evidence::{EvtxOptions, EvtxPath, read_evtx};
use kizuna_lab::evtx::{EvtxWriter, write_evtx};
use kizuna_lab::writers::LabEvent;
use serde_json::Value;

const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SECURITY_GUID: &str = "{54849625-5478-4994-a5ba-3e3b0328c30d}";
const TRICKY: &str = "a&b<c>\"d'e";

/// Every watched shape, in turn, `n` events from record id 1. Times carry 100 ns digits.
fn watched_set(n: usize) -> Vec<LabEvent> {
    let base = Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).unwrap();
    let clients = ["PC-001", "東京-PC02", "PC&<>\"'03", "WS-0004.contoso.local"];
    (0..n)
        .map(|i| {
            let client = clients[i % clients.len()];
            let ticks = i as i64 * 12_345_678 + 7;
            let time = base + chrono::Duration::nanoseconds(ticks * 100);
            let classic = |provider, event_id, level, data: Vec<String>, status| LabEvent {
                provider,
                event_id,
                qualifiers: Some(if provider == "NETLOGON" { 0 } else { 49152 }),
                level,
                time,
                record_id: i as u64 + 1,
                channel: "System",
                computer: if event_id == 3210 || event_id == 5719 {
                    format!("{client}.contoso.local")
                } else {
                    "DC01.contoso.local".to_string()
                },
                data,
                named: vec![],
                status,
            };
            let security = |event_id, named: Vec<(&str, String)>| LabEvent {
                provider: SECURITY,
                event_id,
                qualifiers: None,
                level: 0,
                time,
                record_id: i as u64 + 1,
                channel: "Security",
                computer: "東京-DC01.contoso.local".to_string(),
                data: vec![],
                named: named.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                status: None,
            };
            let s = |v: &str| v.to_string();
            match i % 12 {
                0 => classic(
                    "NETLOGON",
                    5722,
                    2,
                    vec![s(client), format!("{client}$"), s("%%5")],
                    Some(0xC000_0022),
                ),
                1 => classic(
                    "NETLOGON",
                    5723,
                    2,
                    vec![s(client), format!("{client}$")],
                    Some(0xC000_018B),
                ),
                2 => classic(
                    "NETLOGON",
                    5805,
                    2,
                    vec![s(client), s("アクセスが拒否されました。")],
                    None,
                ),
                3 => classic(
                    "NETLOGON",
                    3210,
                    2,
                    vec![s("CONTOSO"), s("\\\\DC01.contoso.local")],
                    Some(0xC000_0022),
                ),
                4 => classic(
                    "NETLOGON",
                    5719,
                    2,
                    vec![s("CONTOSO"), s(TRICKY)],
                    Some(0xC000_005E),
                ),
                5 => classic(
                    "LsaSrv",
                    40960,
                    3,
                    vec![s(client), s(""), s("%%0xc000006d")],
                    Some(0xC000_006D),
                ),
                6 => classic("LsaSrv", 6167, 2, vec![], None),
                7 => security(
                    4742,
                    vec![
                        ("ComputerAccountChange", s("-")),
                        ("TargetUserName", format!("{client}$")),
                        ("TargetDomainName", s("CONTOSO")),
                        ("TargetSid", s("S-1-5-21-1-2-3-1105")),
                        ("SubjectUserName", s("管理者")),
                        ("PasswordLastSet", s("3/14/2025 9:26:53 AM")),
                        ("DisplayName", s("")),
                    ],
                ),
                8 => security(
                    4741,
                    vec![
                        ("TargetUserName", format!("{client}$")),
                        ("TargetDomainName", s("CONTOSO")),
                        ("SubjectUserName", s(TRICKY)),
                    ],
                ),
                9 => security(
                    4624,
                    vec![
                        ("SubjectUserSid", s("S-1-0-0")),
                        ("TargetUserName", format!("{client}$")),
                        ("TargetDomainName", s("CONTOSO")),
                        ("LogonType", s("3")),
                        ("IpAddress", s("10.0.0.4")),
                    ],
                ),
                // A user logon: same template as above, but kizuna keeps only computers'.
                10 => security(
                    4624,
                    vec![
                        ("SubjectUserSid", s("S-1-0-0")),
                        ("TargetUserName", s("alice")),
                        ("TargetDomainName", s("CONTOSO")),
                        ("LogonType", s("3")),
                        ("IpAddress", s("10.0.0.5")),
                    ],
                ),
                _ => classic(
                    "NETLOGON",
                    5722,
                    2,
                    vec![s(client), s(&"長".repeat(300)), s("%%5")],
                    Some(0xC000_0022),
                ),
            }
        })
        .collect()
}

/// What every reader must give back for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    provider: String,
    guid: Option<String>,
    event_id: u32,
    qualifiers: Option<u16>,
    level: u8,
    record_id: u64,
    channel: String,
    computer: String,
    data: Vec<String>,
    named: Vec<(String, String)>,
    binary: Option<String>,
}

fn expected(e: &LabEvent) -> Fields {
    Fields {
        provider: e.provider.to_string(),
        guid: (e.provider == SECURITY).then(|| SECURITY_GUID.to_string()),
        event_id: e.event_id,
        qualifiers: e.qualifiers,
        level: e.level,
        record_id: e.record_id,
        channel: e.channel.to_string(),
        computer: e.computer.clone(),
        data: e.data.clone(),
        named: e.named.clone(),
        binary: e
            .status
            .map(|s| s.to_le_bytes().iter().map(|b| format!("{b:02X}")).collect()),
    }
}

fn ticks(t: &DateTime<Utc>) -> u64 {
    ((t.timestamp() + 11_644_473_600) * 10_000_000) as u64
        + u64::from(t.timestamp_subsec_nanos() / 100)
}

/// `SystemTime` as Windows renders it: 7 fraction digits.
fn system_time(t: &DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

fn write(dir: &Path, name: &str, events: &[LabEvent]) -> std::path::PathBuf {
    let path = dir.join(name);
    write_evtx(&path, events).expect("writing the EVTX file");
    path
}

// ---------------------------------------------------------------- the evtx crate

/// JSON text of a scalar as the evtx crate renders it (numbers for typed values).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other}"),
    }
}

/// A `<Data>` group as JSON: a string, an array, or an object with `#text`.
fn data_values(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(data_values).collect(),
        Value::Object(o) => {
            assert!(
                o.keys().all(|k| k == "#text"),
                "unexpected keys in Data: {v}"
            );
            o.get("#text").map(data_values).unwrap_or_default()
        }
        other => vec![scalar(other)],
    }
}

fn fields_from_evtx_json(v: &Value) -> (Fields, String) {
    let ev = &v["Event"];
    let sys = &ev["System"];
    let provider = &sys["Provider"]["#attributes"];
    let (event_id, qualifiers) = match &sys["EventID"] {
        Value::Object(o) => (
            scalar(&o["#text"]),
            Some(scalar(&o["#attributes"]["Qualifiers"])),
        ),
        other => (scalar(other), None),
    };
    let mut data = vec![];
    let mut named = vec![];
    let mut binary = None;
    if let Value::Object(ed) = &ev["EventData"] {
        for (k, val) in ed {
            match k.as_str() {
                "Data" => data.extend(data_values(val)),
                "Binary" => binary = Some(scalar(val)),
                _ => named.push((k.clone(), scalar(val))),
            }
        }
    } else {
        assert!(ev["EventData"].is_null(), "EventData: {}", ev["EventData"]);
    }
    let fields = Fields {
        provider: scalar(&provider["Name"]),
        guid: provider.get("Guid").map(scalar),
        event_id: event_id.parse().unwrap(),
        qualifiers: qualifiers.map(|q| q.parse().unwrap()),
        level: scalar(&sys["Level"]).parse().unwrap(),
        record_id: scalar(&sys["EventRecordID"]).parse().unwrap(),
        channel: scalar(&sys["Channel"]),
        computer: scalar(&sys["Computer"]),
        data,
        named,
        binary,
    };
    (
        fields,
        scalar(&sys["TimeCreated"]["#attributes"]["SystemTime"]),
    )
}

/// The evtx crate with its chunk CRC32 checks on (they are off by default).
fn evtx_parser(path: &Path) -> evtx::EvtxParser<std::fs::File> {
    evtx::EvtxParser::from_path(path)
        .expect("evtx opens the file")
        .with_configuration(evtx::ParserSettings::new().validate_checksums(true))
}

/// Every record through the evtx crate, as JSON and as XML: no error, every field as written.
fn check_with_evtx_crate(path: &Path, events: &[LabEvent]) {
    let mut parser = evtx_parser(path);
    let header = parser.header();
    assert!(header.validate_checksum(), "file header CRC: {header:?}");
    assert_eq!(
        header.flags,
        evtx::HeaderFlags::EMPTY,
        "the file is left clean"
    );
    let mut seen = 0;
    for (record, e) in parser.records_json_value().zip(events) {
        let record = record.unwrap_or_else(|err| panic!("evtx: record after {seen}: {err}"));
        assert_eq!(record.event_record_id, e.record_id);
        assert_eq!(
            record.timestamp.as_second() * 10_000_000
                + i64::from(record.timestamp.subsec_nanosecond() / 100)
                + 11_644_473_600 * 10_000_000,
            ticks(&e.time) as i64,
            "record header time of {}",
            e.record_id
        );
        let (fields, time) = fields_from_evtx_json(&record.data);
        assert_eq!(fields, expected(e), "evtx JSON of record {}", e.record_id);
        assert_eq!(time, system_time(&e.time), "TimeCreated of {}", e.record_id);
        let sys = &record.data["Event"]["System"];
        assert_eq!(scalar(&sys["Keywords"]), "0x80000000000000");
        assert_eq!(scalar(&sys["Version"]), "0");
        assert_eq!(scalar(&sys["Execution"]["#attributes"]["ProcessID"]), "0");
        seen += 1;
    }
    assert_eq!(seen, events.len(), "records the evtx crate found (JSON)");

    let mut parser = evtx_parser(path);
    let xml: Vec<_> = parser
        .records()
        .map(|r| r.unwrap_or_else(|err| panic!("evtx XML: {err}")))
        .collect();
    assert_eq!(
        xml.len(),
        events.len(),
        "records the evtx crate found (XML)"
    );
    for (r, e) in xml.iter().zip(events) {
        assert_eq!(r.event_record_id, e.record_id);
        assert!(
            r.data.contains("<Correlation/>") && r.data.contains("<Security/>"),
            "empty optional attributes are left out: {}",
            r.data
        );
        assert_eq!(
            r.data.contains("<Binary>"),
            e.status.is_some(),
            "Binary only with a status: {}",
            r.data
        );
    }
}

// ---------------------------------------------------------------- python-evtx

/// Prints a JSON line for the file header, one per chunk, one per record (fields from the
/// rendered XML through xml.etree), then the warnings python-evtx logged.
const PY_READER: &str = r#"
import base64, datetime, json, logging, sys
import xml.etree.ElementTree as ET
import Evtx.Evtx as evtx
import Evtx.Nodes as nodes

warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger().addHandler(Keep(level=logging.WARNING))

def local(tag):
    return tag.split('}', 1)[-1]

def sub_index(node, element, attribute):
    # The substitution that fills element/@attribute in the record's template.
    if isinstance(node, nodes.OpenStartElementNode):
        for child in node.children():
            if isinstance(child, nodes.AttributeNode) and node.tag_name() == element \
                    and child.attribute_name().string() == attribute:
                return child.attribute_value().index()
            found = sub_index(child, element, attribute)
            if found is not None:
                return found
    return None

with evtx.Evtx(sys.argv[1]) as log:
    fh = log.get_file_header()
    print(json.dumps({"header": {
        "verify": fh.verify(), "dirty": fh.is_dirty(), "full": fh.is_full(),
        "chunk_count": fh.chunk_count(), "next_record": fh.next_record_number(),
        "first_chunk": fh.oldest_chunk(), "last_chunk": fh.current_chunk_number()}}))
    for n, chunk in enumerate(log.chunks()):
        print(json.dumps({"chunk": {"n": n, "verify": chunk.verify(),
            "first": chunk.log_first_record_number(), "last": chunk.log_last_record_number(),
            "templates": len(chunk.templates()), "strings": len(chunk.strings())}}))
        for record in chunk.records():
            root = ET.fromstring(record.xml())
            sys_ = {local(c.tag): c for c in root.find('{*}System')}
            provider = sys_['Provider'].attrib
            event_id = sys_['EventID']
            data, named, binary = [], [], None
            for d in root.find('{*}EventData'):
                if local(d.tag) == 'Binary':
                    binary = base64.b64decode(d.text or '').hex().upper() or None
                elif 'Name' in d.attrib:
                    named.append([d.attrib['Name'], d.text or ''])
                else:
                    data.append(d.text or '')
            rroot = record.root()
            template = rroot.template()
            subs = rroot.substitutions()
            time_sub = None
            for child in template.children():
                time_sub = time_sub if time_sub is not None else sub_index(child, 'TimeCreated', 'SystemTime')
            xml_time = datetime.datetime.fromisoformat(sys_['TimeCreated'].attrib['SystemTime'])
            print(json.dumps({"record": {
                "verify": record.verify(),
                "header_ticks": record.unpack_qword(0x10),
                "time_ticks": subs[time_sub].unpack_qword(0),
                "xml_time_us": (xml_time - datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1),
                "provider": provider.get('Name'),
                "guid": provider.get('Guid') or None,
                "event_id": int(event_id.text),
                "qualifiers": int(event_id.attrib['Qualifiers']) if event_id.attrib.get('Qualifiers') else None,
                "level": int(sys_['Level'].text),
                "record_id": int(sys_['EventRecordID'].text),
                "record_num": record.record_num(),
                "channel": sys_['Channel'].text,
                "computer": sys_['Computer'].text,
                "keywords": sys_['Keywords'].text,
                "data": data, "named": named, "binary": binary}}, ensure_ascii=False))
print(json.dumps({"warnings": warnings}))
"#;

struct PyRead {
    header: Value,
    chunks: Vec<Value>,
    records: Vec<Value>,
}

fn read_with_python(path: &Path) -> PyRead {
    let out = support::run_python(PY_READER, &[path]);
    let mut read = PyRead {
        header: Value::Null,
        chunks: vec![],
        records: vec![],
    };
    let mut warnings = None;
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).expect("python printed JSON");
        if let Some(h) = v.get("header") {
            read.header = h.clone();
        } else if let Some(c) = v.get("chunk") {
            read.chunks.push(c.clone());
        } else if let Some(r) = v.get("record") {
            read.records.push(r.clone());
        } else if let Some(w) = v.get("warnings") {
            warnings = Some(w.clone());
        }
    }
    assert_eq!(
        warnings,
        Some(serde_json::json!([])),
        "python-evtx logged warnings (or stopped early):\n{out}"
    );
    read
}

fn check_with_python(path: &Path, events: &[LabEvent]) {
    let py = read_with_python(path);
    let chunk_count = (std::fs::metadata(path).unwrap().len() - 4096) / 65536;
    let h = &py.header;
    assert_eq!(h["verify"], true, "file header verify(): {h}");
    assert_eq!(h["dirty"], false, "{h}");
    assert_eq!(h["full"], false, "{h}");
    assert_eq!(h["chunk_count"], chunk_count, "{h}");
    assert_eq!(h["first_chunk"], 0, "{h}");
    assert_eq!(h["last_chunk"], chunk_count.saturating_sub(1), "{h}");
    assert_eq!(
        h["next_record"],
        events.last().map_or(1, |e| e.record_id + 1),
        "{h}"
    );
    assert_eq!(py.chunks.len() as u64, chunk_count);
    for c in &py.chunks {
        assert_eq!(c["verify"], true, "chunk verify(): {c}");
        assert!(c["templates"].as_u64().unwrap() >= 1, "{c}");
    }
    assert_eq!(py.records.len(), events.len(), "records python-evtx found");
    for (r, e) in py.records.iter().zip(events) {
        let id = e.record_id;
        assert_eq!(r["verify"], true, "record {id} size copy");
        assert_eq!(r["record_num"], id);
        assert_eq!(r["header_ticks"], ticks(&e.time), "record {id} header time");
        assert_eq!(r["time_ticks"], ticks(&e.time), "record {id} TimeCreated");
        // python-evtx renders the FILETIME through a float (ulp 1.6 µs at 1.3e17 ticks, then
        // 1.9 µs once scaled to seconds) and rounds to µs: off by up to ~2.3 µs.
        let xml_us = r["xml_time_us"].as_i64().unwrap();
        let want_us = (ticks(&e.time) / 10) as i64;
        assert!(
            (xml_us - want_us).abs() <= 3,
            "record {id} rendered time {xml_us} µs, wrote {want_us} µs"
        );
        assert_eq!(r["keywords"], "0x0080000000000000", "record {id}");
        let str_of = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let fields = Fields {
            provider: str_of("provider"),
            guid: r["guid"].as_str().map(str::to_string),
            event_id: r["event_id"].as_u64().unwrap() as u32,
            qualifiers: r["qualifiers"].as_u64().map(|q| q as u16),
            level: r["level"].as_u64().unwrap() as u8,
            record_id: r["record_id"].as_u64().unwrap(),
            channel: str_of("channel"),
            computer: str_of("computer"),
            data: r["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect(),
            named: r["named"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            binary: r["binary"].as_str().map(str::to_string),
        };
        assert_eq!(fields, expected(e), "python-evtx, record {id}");
    }
}

// ---------------------------------------------------------------- kizuna's reader

fn read_with_kizuna(path: &Path) -> (InputReport, Vec<kizuna_core::EventRecord>) {
    read_with_kizuna_as(path, EvtxPath::Prefiltered)
}

fn read_with_kizuna_as(
    path: &Path,
    evtx_path: EvtxPath,
) -> (InputReport, Vec<kizuna_core::EventRecord>) {
    let size = std::fs::metadata(path).unwrap().len();
    let mut report = InputReport::new(
        path.display().to_string(),
        InputKind::Evtx,
        String::new(),
        size,
    );
    let mut events = vec![];
    read_evtx(
        std::fs::File::open(path).unwrap(),
        &path.display().to_string(),
        EvtxOptions {
            threads: 2,
            path: evtx_path,
        },
        Arc::new(Knowledge::builtin()),
        &mut report,
        &Default::default(),
        &mut |f| {
            if let Fact::Event(e) = f {
                events.push(e);
            }
        },
    );
    (report, events)
}

fn check_with_kizuna(path: &Path, written: &[LabEvent]) {
    let (report, mut read) = read_with_kizuna(path);
    // The pre-filter reads exactly what rendering every record reads.
    let (full, full_read) = read_with_kizuna_as(path, EvtxPath::Full);
    assert_eq!(read, full_read, "pre-filtered vs full path");
    assert_eq!((report.records, report.kept), (full.records, full.kept));
    assert_eq!(report.errors, Vec::<String>::new());
    assert_eq!(report.error_count, 0);
    assert_eq!(report.records, written.len() as u64);
    read.sort_by_key(|e| e.record_id);
    // Every event is watched; of the logons, kizuna keeps computer accounts' only.
    let kept: Vec<&LabEvent> = written
        .iter()
        .filter(|e| {
            e.event_id != 4624
                || e.named
                    .iter()
                    .any(|(k, v)| k == "TargetUserName" && v.ends_with('$'))
        })
        .collect();
    // From the 11th event on, the set holds a user logon, which kizuna must drop.
    if written.len() >= 11 {
        assert!(kept.len() < written.len());
    }
    assert_eq!(read.len(), kept.len(), "events kizuna kept");
    assert_eq!(report.kept, kept.len() as u64);
    for (r, e) in read.iter().zip(kept) {
        let id = e.record_id;
        assert_eq!(r.record_id, Some(id));
        assert_eq!(r.provider, e.provider, "record {id}");
        assert_eq!(r.event_id, e.event_id, "record {id}");
        assert_eq!(r.qualifiers, e.qualifiers, "record {id}");
        assert_eq!(
            r.computer.as_deref(),
            Some(e.computer.as_str()),
            "record {id}"
        );
        assert_eq!(r.channel.as_deref(), Some(e.channel), "record {id}");
        assert_eq!(
            r.status,
            e.status.map(NtStatus),
            "record {id} status (from Binary)"
        );
        assert_eq!(r.binary, expected(e).binary, "record {id}");
        if e.named.is_empty() {
            assert_eq!(r.data, e.data, "record {id}");
        } else {
            let named: BTreeMap<String, String> = e.named.iter().cloned().collect();
            assert_eq!(r.named, named, "record {id}");
        }
    }
}

// ---------------------------------------------------------------- raw structure

/// CRC-32 (IEEE, reflected), bit by bit: independent of the writer's crc32fast.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn name_hash(units: &[u16]) -> u32 {
    units.iter().fold(0u32, |h, &c| {
        h.wrapping_mul(65599).wrapping_add(u32::from(c))
    })
}

/// Header fields, CRCs, record headers and the chunks' string and template tables, read
/// from the bytes by this test alone.
fn check_structure(path: &Path, events: &[LabEvent]) -> usize {
    let file = std::fs::read(path).unwrap();
    assert!(file.len() >= 4096 && (file.len() - 4096).is_multiple_of(65536));
    let chunks = (file.len() - 4096) / 65536;
    let h = &file[..4096];
    assert_eq!(&h[..8], b"ElfFile\0");
    assert_eq!(u64_at(h, 8), 0, "first chunk");
    assert_eq!(u64_at(h, 16), chunks.saturating_sub(1) as u64, "last chunk");
    assert_eq!(u64_at(h, 24), events.last().map_or(1, |e| e.record_id + 1));
    assert_eq!(u32_at(h, 32), 128);
    assert_eq!((u16_at(h, 36), u16_at(h, 38)), (1, 3), "version 3.1");
    assert_eq!(u16_at(h, 40), 4096);
    assert_eq!(usize::from(u16_at(h, 42)), chunks);
    assert_eq!(u32_at(h, 120), 0, "flags: clean");
    assert_eq!(u32_at(h, 124), crc32(&h[..120]), "file header CRC");
    assert!(h[128..].iter().all(|&b| b == 0));

    let mut expected_ids = events.iter().map(|e| e.record_id);
    for n in 0..chunks {
        let c = &file[4096 + n * 65536..4096 + (n + 1) * 65536];
        assert_eq!(&c[..8], b"ElfChnk\0");
        let free = u32_at(c, 48) as usize;
        assert!((512..=65536).contains(&free));
        assert_eq!(u32_at(c, 40), 128);
        assert_eq!(u32_at(c, 52), crc32(&c[512..free]), "chunk {n} data CRC");
        let mut header = c[..120].to_vec();
        header.extend_from_slice(&c[128..512]);
        assert_eq!(u32_at(c, 124), crc32(&header), "chunk {n} header CRC");
        assert!(c[free..].iter().all(|&b| b == 0), "free space is zeroed");

        // Records, back to back from 512 to the free space.
        let mut at = 512;
        let mut ids = vec![];
        let mut last_at = 0;
        while at < free {
            assert_eq!(
                &c[at..at + 4],
                &[0x2a, 0x2a, 0, 0],
                "chunk {n} record at {at}"
            );
            let size = u32_at(c, at + 4) as usize;
            assert_eq!(u32_at(c, at + size - 4) as usize, size, "size copy");
            let id = u64_at(c, at + 8);
            assert_eq!(Some(id), expected_ids.next(), "chunk {n} record at {at}");
            // A fragment header, then a template instance.
            assert_eq!(&c[at + 24..at + 30], &[0x0f, 1, 1, 0, 0x0c, 1]);
            ids.push(id);
            last_at = at;
            at += size;
        }
        assert_eq!(at, free);
        assert!(!ids.is_empty(), "chunk {n} has records");
        assert_eq!(u64_at(c, 8), ids[0]);
        assert_eq!(u64_at(c, 16), *ids.last().unwrap());
        assert_eq!(u64_at(c, 24), ids[0]);
        assert_eq!(u64_at(c, 32), *ids.last().unwrap());
        assert_eq!(u32_at(c, 44) as usize, last_at, "last record offset");

        // String table: each name sits in bucket hash % 64, with its hash, once.
        let mut names = vec![];
        for bucket in 0..64 {
            let mut off = u32_at(c, 128 + 4 * bucket) as usize;
            while off != 0 {
                assert!((512..free).contains(&off), "chunk {n} name at {off}");
                let len = usize::from(u16_at(c, off + 6));
                let units: Vec<u16> = (0..len).map(|i| u16_at(c, off + 8 + 2 * i)).collect();
                assert_eq!(u16_at(c, off + 8 + 2 * len), 0, "NUL after the name");
                let hash = name_hash(&units);
                assert_eq!(u16_at(c, off + 4), (hash & 0xffff) as u16, "name hash");
                assert_eq!(hash as usize % 64, bucket, "name bucket");
                names.push(String::from_utf16(&units).unwrap());
                off = u32_at(c, off) as usize;
            }
        }
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "chunk {n}: a name stored twice");
        for name in ["Event", "System", "EventData", "TimeCreated", "xmlns"] {
            assert!(names.iter().any(|s| s == name), "chunk {n} lacks {name}");
        }

        // Template table: each definition follows its instance header, in bucket id % 32.
        let mut templates = 0;
        for bucket in 0..32 {
            let mut off = u32_at(c, 384 + 4 * bucket) as usize;
            while off != 0 {
                assert_eq!(c[off - 10], 0x0c, "template instance token before {off}");
                assert_eq!(u32_at(c, off - 4) as usize, off);
                let template_id = u32_at(c, off - 8);
                assert_eq!(template_id, u32_at(c, off + 4), "id = GUID's first 4 bytes");
                assert_eq!(template_id as usize % 32, bucket, "template bucket");
                let size = u32_at(c, off + 20) as usize;
                assert_eq!(&c[off + 24..off + 28], &[0x0f, 1, 1, 0]);
                assert_eq!(c[off + 24 + size - 1], 0, "definition ends with EOF");
                templates += 1;
                off = u32_at(c, off) as usize;
            }
        }
        assert!(templates >= 1);
    }
    assert_eq!(expected_ids.next(), None, "every record is in a chunk");
    chunks
}

// ---------------------------------------------------------------- the tests

#[test]
fn several_chunks_read_back_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let events = watched_set(3000);
    let path = write(dir.path(), "watched.evtx", &events);
    let chunks = check_structure(&path, &events);
    assert!(chunks >= 3, "3000 events span several chunks, got {chunks}");
    check_with_evtx_crate(&path, &events);
    check_with_python(&path, &events);
    check_with_kizuna(&path, &events);
}

#[test]
fn one_event_and_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let one = vec![watched_set(1).remove(0)];
    let path = write(dir.path(), "one.evtx", &one);
    assert_eq!(check_structure(&path, &one), 1);
    check_with_evtx_crate(&path, &one);
    check_with_python(&path, &one);
    check_with_kizuna(&path, &one);

    let path = write(dir.path(), "none.evtx", &[]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    assert_eq!(check_structure(&path, &[]), 0);
    check_with_evtx_crate(&path, &[]);
    check_with_python(&path, &[]);
    let (report, read) = read_with_kizuna(&path);
    assert_eq!((report.error_count, report.records, read.len()), (0, 0, 0));
}

#[test]
fn every_shape_alone_and_ids_with_gaps() {
    // Each shape first in its chunk (template and names inline), ids not contiguous.
    let dir = tempfile::tempdir().unwrap();
    for (n, mut e) in watched_set(12).into_iter().enumerate() {
        e.record_id = 1000 + 7 * n as u64;
        let events = vec![e];
        let path = write(dir.path(), &format!("shape{n}.evtx"), &events);
        check_structure(&path, &events);
        check_with_evtx_crate(&path, &events);
    }
    let mut events = watched_set(200);
    for (i, e) in events.iter_mut().enumerate() {
        e.record_id = 50 + 3 * i as u64;
    }
    let path = write(dir.path(), "gaps.evtx", &events);
    check_structure(&path, &events);
    check_with_evtx_crate(&path, &events);
    check_with_python(&path, &events);
}

#[test]
fn same_events_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let events = watched_set(700);
    let a = std::fs::read(write(dir.path(), "a.evtx", &events)).unwrap();
    let b = std::fs::read(write(dir.path(), "b.evtx", &events)).unwrap();
    assert!(a == b, "two writes of the same events differ");
    // The streaming API on any Write + Seek gives the same file.
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    for e in &events {
        w.push(e).unwrap();
    }
    let c = w.finish().unwrap().into_inner();
    assert!(a == c, "EvtxWriter over a Cursor differs from write_evtx");
    // And the bytes depend on the events.
    let mut other = events.clone();
    other[500].computer.push('x');
    let d = std::fs::read(write(dir.path(), "d.evtx", &other)).unwrap();
    assert!(a != d);
}

#[test]
fn record_ids_must_increase() {
    let events = watched_set(3);
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    w.push(&events[1]).unwrap();
    let err = w.push(&events[0]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = w.push(&events[1]).unwrap_err();
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::InvalidInput,
        "same id twice"
    );
}

#[test]
fn unfinished_file_is_dirty() {
    // Dropped without finish: the placeholder header says the file is dirty.
    let mut out = Cursor::new(Vec::new());
    let mut w = EvtxWriter::new(&mut out).unwrap();
    for e in &watched_set(5) {
        w.push(e).unwrap();
    }
    drop(w);
    let bytes = out.into_inner();
    assert_eq!(
        bytes.len(),
        4096,
        "the chunk being filled was never written"
    );
    assert_eq!(&bytes[..8], b"ElfFile\0");
    assert_eq!(u32_at(&bytes, 120), 1, "dirty flag");
    assert_eq!(u32_at(&bytes, 124), crc32(&bytes[..120]));
}

#[test]
fn event_too_large_for_a_chunk_is_refused() {
    let mut e = watched_set(1).remove(0);
    e.data = vec!["x".repeat(30_000); 3];
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let err = w.push(&e).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
