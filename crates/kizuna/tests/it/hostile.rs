//! The hostile-input suite: compression bombs, archive members that try to leave the
//! archive, huge lines and tokens, deep nesting, entity expansion and malformed encodings.
//! Each is bounded, reported on its own input with a clear message, and never stops the
//! other inputs of the run.

use crate::common;

use std::io::Write;
use std::path::Path;

use common::{Collect, Reported, files_under, json, kizuna};
use kizuna_core::Fact;
use kizuna_core::Knowledge;
use kizuna_evidence::{Limits, ReadOptions};

fn read_with(path: &Path, limits: Limits) -> Collect {
    let mut c = Collect::default();
    let opts = ReadOptions {
        threads: 2,
        year: Some(2026),
        evtx: Default::default(),
        knowledge: std::sync::Arc::new(Knowledge::builtin()),
        progress: Default::default(),
        limits,
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let Ok(()) = kizuna_evidence::ingest_paths(&[path.to_path_buf()], &opts, &mut c);
    c
}

/// A netlogon.log line kizuna keeps (a password change), numbered.
fn netlogon_line(i: u32) -> String {
    format!(
        "08/22 07:32:{:02} [SESSION] [4128] CONTOSO: NlChangePassword: Doing it.\r\n",
        i % 60
    )
}

/// One event as `wevtutil qe /f:xml` writes it (NETLOGON 5719, watched).
fn event_xml(record: u32, data: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='NETLOGON'/><EventID Qualifiers='0'>5719</EventID><TimeCreated SystemTime='2026-10-01T08:00:00.000Z'/><EventRecordID>{record}</EventRecordID><Channel>System</Channel><Computer>PC01.corp.example</Computer></System><EventData><Data>CORP</Data><Data>{data}</Data><Binary>5E0000C0</Binary></EventData></Event>"
    )
}

fn zip_with(path: &Path, members: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn compression_bombs_stop_at_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Each bomb begins with evidence (a few netlogon.log lines): a member that is not
    // evidence is skipped before it is unpacked, so only a bomb that looks like evidence
    // reaches the limits.
    let lines: String = (0..200).map(netlogon_line).collect();
    // gzip: the lines, then one member of 64 MiB of zeros, repeated 20 times (1.25 GiB
    // from ~1.3 MB).
    let mut head = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    head.write_all(lines.as_bytes()).unwrap();
    let mut one = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    one.write_all(&vec![0u8; 64 << 20]).unwrap();
    let one = one.finish().unwrap();
    let mut f = std::fs::File::create(d.join("bomb.log.gz")).unwrap();
    f.write_all(&head.finish().unwrap()).unwrap();
    for _ in 0..20 {
        f.write_all(&one).unwrap();
    }
    drop(f);
    // xz: 100 MiB of zeros in a few kilobytes (a ratio deflate cannot reach).
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 0);
    xz.write_all(lines.as_bytes()).unwrap();
    xz.write_all(&vec![0u8; 100 << 20]).unwrap();
    let xz = xz.finish().unwrap();
    assert!(xz.len() < 100 << 10, "{}", xz.len());
    std::fs::write(d.join("bomb.xz"), &xz).unwrap();
    // A zip nested six deep around a real log.
    let mut inner = netlogon_line(1).into_bytes();
    for level in 0..6 {
        let p = d.join(format!("n{level}.zip"));
        zip_with(&p, &[("PC01/inner", &inner)]);
        inner = std::fs::read(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
    }
    std::fs::write(d.join("nested.zip"), &inner).unwrap();
    // A good input beside them is read as always.
    std::fs::create_dir_all(d.join("PC02")).unwrap();
    std::fs::write(d.join("PC02/netlogon.log"), netlogon_line(2)).unwrap();

    let o = kizuna(
        d,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--year",
            "2026",
            "--max-unpacked-gib",
            "1",
        ],
    );
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let v = json(&o);
    let by = |name: &str| -> serde_json::Value {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed: {}", v["inputs"]))
            .clone()
    };
    let gz = by("bomb.log.gz");
    assert_eq!(gz["status"], "error");
    assert!(
        gz["errors"][0]
            .as_str()
            .unwrap()
            .contains("more than the limit of 1073741824 bytes for one input; not read"),
        "{gz}"
    );
    let xz = by("bomb.xz");
    assert!(
        xz["errors"][0]
            .as_str()
            .unwrap()
            .contains("more than 1100 times its packed size"),
        "{xz}"
    );
    let nested = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().starts_with("./nested.zip!/"))
        .expect("the nested archive is reported");
    assert!(
        nested["errors"][0]
            .as_str()
            .unwrap()
            .contains("archives nested deeper than 4"),
        "{nested}"
    );
    let good = by("PC02/netlogon.log");
    assert_eq!(good["status"], "ok");
    assert_eq!(good["kept"], 1);

    // An archive listing more members than allowed is not opened at all.
    let many: Vec<(String, Vec<u8>)> = (0..11)
        .map(|i| {
            (
                format!("PC{i:02}/netlogon.log"),
                netlogon_line(i).into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    zip_with(&d.join("many.zip"), &refs);
    let c = read_with(
        &d.join("many.zip"),
        Limits {
            max_entries: 10,
            ..Limits::default()
        },
    );
    assert_eq!(c.reports.len(), 1);
    assert!(
        c.reports[0].errors[0].contains("11 members, more than the limit of 10; not opened"),
        "{:?}",
        c.reports[0]
    );
    assert!(c.facts.is_empty());
    // The same archive within the limits is read whole.
    let c = read_with(&d.join("many.zip"), Limits::default());
    assert_eq!(c.reports.len(), 11);
    assert_eq!(c.facts.len(), 11);
}

#[test]
fn archive_members_cannot_leave_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("in");
    std::fs::create_dir_all(&d).unwrap();
    let line = netlogon_line(3);
    let mut z = zip::ZipWriter::new(std::fs::File::create(d.join("bundle.zip")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for name in [
        "../../PC66/debug/netlogon.log",
        "/abs/PC67/netlogon.log",
        "C:\\Windows\\debug\\netlogon.log",
        "PC68/netlogon.log",
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(line.as_bytes()).unwrap();
    }
    z.add_symlink("PC69/netlogon.log", "/etc/passwd", opts)
        .unwrap();
    z.finish().unwrap();

    let c = read_with(&d, Limits::default());
    let err = |suffix: &str| c.report(suffix).errors.join(" | ");
    assert!(err("../../PC66/debug/netlogon.log").contains("leaves the archive"));
    assert!(err("/abs/PC67/netlogon.log").contains("an absolute path"));
    assert!(err("C:\\Windows\\debug\\netlogon.log").contains("a drive letter"));
    assert!(err("PC69/netlogon.log").contains("a symbolic link"));
    assert_eq!(
        c.report("PC68/netlogon.log").kept,
        1,
        "the honest member is read"
    );
    assert_eq!(c.facts.len(), 1, "{:#?}", c.reports);
    // Nothing was written anywhere: members are unpacked into anonymous files.
    let written = files_under(dir.path());
    assert_eq!(written, [d.join("bundle.zip")]);
}

#[test]
fn huge_tokens_deep_nesting_and_entities_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // XML: two events, then one with a 20 MiB text node, then one more.
    let mut xml = format!("<Events>{}{}", event_xml(1, "a"), event_xml(2, "b"));
    xml.push_str(&event_xml(3, &"x".repeat(20 << 20)));
    xml.push_str(&event_xml(4, "d"));
    xml.push_str("</Events>");
    std::fs::write(d.join("huge.xml"), &xml).unwrap();
    // XML nested 100,000 deep around nothing.
    std::fs::write(
        d.join("deep.xml"),
        format!("<Events>{}", "<w>".repeat(100_000)),
    )
    .unwrap();
    // Billion laughs: entities are never expanded.
    let mut laughs = String::from("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        laughs.push_str(&format!(
            "<!ENTITY lol{i} '{}'>",
            format!("&{prev};").repeat(10)
        ));
    }
    laughs.push_str("]><Events>");
    laughs.push_str(&event_xml(7, "&lol9;"));
    laughs.push_str("</Events>");
    std::fs::write(d.join("laughs.xml"), &laughs).unwrap();
    // JSON nested 100,000 deep, after one good element.
    let good = r#"{"Id": 5719, "ProviderName": "NETLOGON", "TimeCreated": "/Date(1700000000000)/", "Properties": [{"Value": "CORP"}]}"#;
    std::fs::write(
        d.join("deep.json"),
        format!("[{good}, {}", "[".repeat(100_000)),
    )
    .unwrap();
    // CSV: an unclosed quote swallows 3 MiB, after one good row.
    let mut csv = "ComputerName,MachineSid\r\nPC01,S-1-5-21-1-2-3\r\nPC02,\"".to_string();
    csv.push_str(&"y".repeat(3 << 20));
    std::fs::write(d.join("inventory.csv"), &csv).unwrap();

    let c = read_with(d, Limits::default());
    let huge = c.report("huge.xml");
    assert_eq!(huge.records, 2, "the events before the huge token are kept");
    assert!(
        huge.errors[0].contains("an XML token is larger than 16777216 bytes"),
        "{:?}",
        huge.errors
    );
    assert!(
        c.report("deep.xml").errors[0].contains("nested deeper than 256"),
        "{:?}",
        c.report("deep.xml").errors
    );
    let laughs = c.report("laughs.xml");
    assert_eq!(laughs.kept, 1, "{laughs:?}");
    let ev = c
        .facts
        .iter()
        .find_map(|(_, f)| match f {
            Fact::Event(e) if e.record_id == Some(7) => Some(e),
            _ => None,
        })
        .expect("the event with entities");
    assert!(
        ev.data
            .iter()
            .chain(ev.named.values())
            .any(|v| v == "&lol9;"),
        "kept literally: {ev:?}"
    );
    let deep = c.report("deep.json");
    assert_eq!(deep.records, 1, "{deep:?}");
    assert!(
        deep.errors[0].contains("recursion limit"),
        "{:?}",
        deep.errors
    );
    let inv = c.report("inventory.csv");
    assert_eq!(inv.kept, 1, "the row before the broken one: {inv:?}");
    assert!(
        inv.errors[0].contains("a CSV record is larger than 1048576 bytes"),
        "{:?}",
        inv.errors
    );
}

#[test]
fn malformed_encodings_are_read_around_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // UTF-16LE netlogon.log (as PowerShell redirection writes it) with two lone surrogates.
    let mut log = vec![0xFF, 0xFE];
    for i in 0..3 {
        let line = netlogon_line(i);
        let body = line.trim_end();
        log.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
        if i > 0 {
            log.extend([0x00, 0xDC]);
        }
        log.extend("\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    }
    std::fs::create_dir_all(d.join("PC03")).unwrap();
    std::fs::write(d.join("PC03/netlogon.log"), &log).unwrap();
    // Event XML with invalid UTF-8 inside a value.
    let mut xml = format!("<Events>{}</Events>", event_xml(9, "bad MARK here")).into_bytes();
    let at = xml.windows(4).position(|w| w == b"MARK").unwrap();
    // Invalid in UTF-8 and in Shift_JIS alike.
    xml.splice(at..at + 4, [0xFD, 0xFF]);
    std::fs::write(d.join("bad-utf8.xml"), &xml).unwrap();
    // A Shift_JIS inventory as Japanese Excel saves it.
    let (sjis, _, _) = encoding_rs::SHIFT_JIS
        .encode("ComputerName,MachineSid,説明\r\nPC04,S-1-5-21-1-2-3,経理部の端末\r\n");
    std::fs::write(d.join("inventory-sjis.csv"), &sjis).unwrap();

    let c = read_with(d, Limits::default());
    let nl = c.report("PC03/netlogon.log");
    assert_eq!(nl.kept, 3, "{nl:?}");
    assert!(
        nl.errors
            .iter()
            .any(|e| e.starts_with("2 byte sequences are not valid text")),
        "{:?}",
        nl.errors
    );
    let x = c.report("bad-utf8.xml");
    assert_eq!(x.kept, 1, "{x:?}");
    assert!(
        x.errors.iter().any(|e| e.contains("not valid text")),
        "{:?}",
        x.errors
    );
    let inv = c.report("inventory-sjis.csv");
    assert_eq!((inv.kept, inv.error_count), (1, 0), "{inv:?}");
}
