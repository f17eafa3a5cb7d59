//! Hostile and unusual inputs, archives, the same event in three formats, and
//! re-scans: nothing panics, nothing is lost, nothing is counted twice.

use crate::common;

use std::io::Write;
use std::path::Path;

use common::{Collect, corpus, json, kizuna};
use kizuna_core::Fact;
use kizuna_core::{Knowledge, SourceRef};
use kizuna_evidence::ReadOptions;

fn read(path: &Path) -> Collect {
    let mut c = Collect::default();
    let opts = ReadOptions {
        threads: 1,
        year: Some(2026),
        evtx: Default::default(),
        knowledge: std::sync::Arc::new(Knowledge::builtin()),
        progress: Default::default(),
        limits: Default::default(),
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let Ok(()) = kizuna_evidence::ingest_paths(&[path.to_path_buf()], &opts, &mut c);
    c
}

fn events(c: &Collect) -> Vec<kizuna_core::EventRecord> {
    c.facts
        .iter()
        .filter_map(|(_, f)| match f {
            Fact::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn hostile_inputs_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Random bytes behind an EVTX magic.
    let mut junk = b"ElfFile\0".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        junk.push((x >> 16) as u8);
    }
    std::fs::write(d.join("junk.evtx"), &junk).unwrap();
    // A netlogon.log with one 2 MB line between good ones.
    let mut log =
        b"08/22 07:32:23 [SESSION] [4128] CONTOSO: NlChangePassword: Doing it.\r\n".to_vec();
    log.extend(std::iter::repeat_n(b'A', 2 * 1024 * 1024));
    log.extend_from_slice(b"\r\n08/22 07:32:24 [SESSION] [4128] CONTOSO: NlChangePassword: Flag password updated on DC\r\n");
    std::fs::create_dir_all(d.join("PC9")).unwrap();
    std::fs::write(d.join("PC9/netlogon.log"), &log).unwrap();
    // Broken XML, broken JSON, an empty file, a file named .evtx that is text.
    std::fs::write(
        d.join("broken.xml"),
        "<Events><Event><System><Provider Name='NETLOGON'/><EventID>5719</EventID>",
    )
    .unwrap();
    std::fs::write(d.join("broken.json"), "[{\"Id\": 5719, \"ProviderName\": \"NETLOGON\", \"TimeCreated\": \"/Date(1700000000000)/\"}, {\"Id\": ").unwrap();
    std::fs::write(d.join("empty.evtx"), "").unwrap();
    std::fs::write(d.join("readme.evtx"), "this is not an event log\n").unwrap();
    // A truncated copy of a real EVTX, when the corpus is here.
    if let Some(c) = corpus() {
        let real =
            std::fs::read(c.join("evtx/netlogon/belkasoft-win10-client_System.evtx")).unwrap();
        std::fs::write(d.join("cut.evtx"), &real[..real.len() / 3 + 777]).unwrap();
    }

    let o = kizuna(d, &["scan", ".", "--format", "json"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    let v = json(&o);
    let inputs = v["inputs"].as_array().unwrap();
    let by = |name: &str| {
        inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed"))
    };
    assert_eq!(by("junk.evtx")["status"], "error");
    assert_eq!(by("junk.evtx")["kind"], "evtx");
    let nl = by("netlogon.log");
    assert_eq!(nl["status"], "partial");
    assert_eq!(nl["kept"], 2, "both good lines kept around the huge one");
    assert!(
        nl["errors"][0].as_str().unwrap().starts_with("line 2:"),
        "{nl}"
    );
    assert!(
        nl["notes"][0].as_str().unwrap().contains("2026"),
        "the year used is said"
    );
    assert!(
        by("broken.xml")["errors"][0]
            .as_str()
            .unwrap()
            .contains("offset")
    );
    assert_eq!(
        by("broken.json")["records"],
        1,
        "the complete element is kept"
    );
    assert_eq!(by("broken.json")["status"], "partial");
    assert_eq!(by("empty.evtx")["kind"], "unknown");
    assert_eq!(by("readme.evtx")["kind"], "unknown");
    if corpus().is_some() {
        let cut = by("cut.evtx");
        assert_eq!(cut["status"], "partial");
        assert!(cut["records"].as_u64().unwrap() > 100);
    }
}

#[test]
fn nothing_readable_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
    let o = kizuna(dir.path(), &["scan", "."]);
    assert_eq!(o.status.code(), Some(2));
    let o = kizuna(dir.path(), &["scan", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(2));
    let o = kizuna(dir.path(), &["scan", ".", "--fail-on", "sometimes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown severity"));
}

#[test]
fn archives_are_opened_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab");
    kizuna_lab::exports::write(&lab, 7).unwrap();
    // gzip one file, zip the rest.
    let xml = std::fs::read(lab.join("DC01/System.xml")).unwrap();
    let mut gz = flate2_writer(dir.path().join("System.xml.gz"));
    gz.write_all(&xml).unwrap();
    gz.finish().unwrap();
    let pc_json = std::fs::read(lab.join("PC-A01/System.json")).unwrap();
    let mut xz = xz2::write::XzEncoder::new(
        std::fs::File::create(dir.path().join("pc-a01.json.xz")).unwrap(),
        6,
    );
    xz.write_all(&pc_json).unwrap();
    xz.finish().unwrap();
    let zip_path = dir.path().join("bundle.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        z.start_file("DC02/System-saved.xml", opts).unwrap();
        z.write_all(&std::fs::read(lab.join("DC02/System-saved.xml")).unwrap())
            .unwrap();
        z.start_file("PC-A01/debug/netlogon.log", opts).unwrap();
        z.write_all(&std::fs::read(lab.join("PC-A01/debug/netlogon.log")).unwrap())
            .unwrap();
        z.finish().unwrap();
    }
    std::fs::remove_dir_all(&lab).unwrap();
    let o = kizuna(
        dir.path(),
        &["scan", ".", "--format", "json", "--year", "2026"],
    );
    let v = json(&o);
    let paths: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "./System.xml.gz",
            "./bundle.zip!/DC02/System-saved.xml",
            "./bundle.zip!/PC-A01/debug/netlogon.log",
            "./pc-a01.json.xz"
        ]
    );
    assert!(
        v["inputs"][0]["notes"][0]
            .as_str()
            .unwrap()
            .contains("gzip")
    );
    assert_eq!(v["inputs"][0]["kind"], "event-xml");
    assert_eq!(v["inputs"][2]["kind"], "netlogon-log");
    assert_eq!(v["inputs"][3]["kind"], "event-json");
    assert!(v["inputs"][3]["notes"][0].as_str().unwrap().contains("xz"));
    assert_eq!(v["inputs"][3]["kept"], 5, "five 3210 events from PC-A01");
    // The netlogon.log inside the zip is attributed to the device folder it sits in.
    let a01 = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "PC-A01")
        .unwrap();
    assert!(
        a01["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("netlogon.log"))
    );
}

fn flate2_writer(p: std::path::PathBuf) -> flate2::write::GzEncoder<std::fs::File> {
    flate2::write::GzEncoder::new(
        std::fs::File::create(p).unwrap(),
        flate2::Compression::default(),
    )
}

type Writer = fn(&mut dyn Write, &[kizuna_lab::writers::LabEvent]) -> std::io::Result<()>;

/// The event shapes other than EVTX, as wevtutil, Event Viewer, Get-WinEvent and
/// Winlogbeat write them: each test of "the same event from every shape" uses all four.
const EVENT_WRITERS: [(&str, Writer); 4] = [
    ("wevtutil.xml", kizuna_lab::writers::write_wevtutil_xml),
    ("viewer.xml", kizuna_lab::writers::write_event_viewer_xml),
    (
        "get-winevent.json",
        kizuna_lab::writers::write_get_winevent_json,
    ),
    (
        "winlogbeat.ndjson",
        kizuna_lab::writers::write_winlogbeat_jsonl,
    ),
];

/// The same event read from EVTX, event XML and event JSON normalizes identically.
#[test]
fn evtx_xml_and_json_normalize_identically() {
    let Some(c) = corpus() else { return };
    let from_evtx = events(&read(&c.join("evtx/netlogon/plaso-greendale_System.evtx")));
    assert_eq!(from_evtx.len(), 5);
    let dir = tempfile::tempdir().unwrap();
    for original in &from_evtx {
        // Write the event the way wevtutil, Event Viewer, Get-WinEvent and Winlogbeat do.
        let lab = kizuna_lab::writers::LabEvent {
            provider: Box::leak(original.provider.clone().into_boxed_str()),
            event_id: original.event_id,
            qualifiers: original.qualifiers,
            level: 2,
            time: original.time,
            record_id: original.record_id.unwrap(),
            channel: "System",
            computer: original.computer.clone().unwrap(),
            data: original.data.clone(),
            named: original
                .named
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            status: original
                .binary
                .as_deref()
                .and_then(|b| kizuna_core::NtStatus::from_binary_hex(b).map(|s| s.0)),
        };
        for (name, write) in EVENT_WRITERS {
            let p = dir.path().join(name);
            let mut f = std::fs::File::create(&p).unwrap();
            write(&mut f, std::slice::from_ref(&lab)).unwrap();
            drop(f);
            let got = events(&read(&p));
            assert_eq!(got.len(), 1, "{name}");
            let mut want = original.clone();
            // Get-WinEvent cannot name positional values of named events; LsaSrv 40961
            // is the one named classic event here, so compare its values only.
            if name == "get-winevent.json" && !original.named.is_empty() {
                want.data = original.named.values().cloned().collect();
                want.named.clear();
            }
            // Winlogbeat documents carry no Qualifiers.
            if name == "winlogbeat.ndjson" {
                want.qualifiers = None;
            }
            want.source = SourceRef {
                path: got[0].source.path.clone(),
                offset: got[0].source.offset,
                line: got[0].source.line,
            };
            assert_eq!(
                got[0], want,
                "{name} differs from EVTX for record {:?}",
                original.record_id
            );
        }
    }
}

#[test]
fn same_input_same_bytes_and_rescan_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    kizuna_lab::exports::write(&dir.path().join("ev"), 3).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", "ev", "--format", "json", "--year", "2026"];
        args.extend_from_slice(extra);
        kizuna(dir.path(), &args)
    };
    let a = run(&[]);
    let b = run(&["--threads", "1"]);
    assert_eq!(a.stdout, b.stdout, "byte-identical JSON");
    let c = run(&["--db", "k.db"]);
    let d = run(&["--db", "k.db"]);
    assert_eq!(
        c.stdout, d.stdout,
        "re-scan into the same DB gives the same JSON"
    );
    assert_eq!(a.stdout, c.stdout);
    let store = kizuna_store::Store::open(&dir.path().join("k.db")).unwrap();
    let (inputs, events, netlogon) = store.counts().unwrap();
    assert_eq!(inputs, 6);
    let first_events = events;
    drop(store);
    // A copy of the evidence under another name adds nothing either.
    std::fs::create_dir_all(dir.path().join("copy")).unwrap();
    std::fs::copy(
        dir.path().join("ev/DC01/System.xml"),
        dir.path().join("copy/dc01.xml"),
    )
    .unwrap();
    let e = kizuna(
        dir.path(),
        &["scan", "ev", "copy", "--format", "json", "--db", "k.db"],
    );
    let v = json(&e);
    let copy = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "copy/dc01.xml")
        .unwrap();
    assert!(
        copy["records"].as_u64().unwrap() > 0,
        "the copy reports the counts of its content"
    );
    let store = kizuna_store::Store::open(&dir.path().join("k.db")).unwrap();
    assert_eq!(store.counts().unwrap(), (6, first_events, netlogon));
}

/// The progress counters end where the reports do: every file and byte found is done,
/// and the records equal the reports' (EVTX records, counted live while reading, are not
/// counted twice).
#[test]
fn progress_counters_add_up_to_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna(
        dir.path(),
        &["lab", "generate", "--out", "lab", "--seed", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let evidence = dir.path().join("lab/evidence");
    let progress = std::sync::Arc::new(kizuna_evidence::Progress::default());
    let opts = ReadOptions {
        threads: 2,
        year: Some(2026),
        evtx: Default::default(),
        knowledge: std::sync::Arc::new(Knowledge::builtin()),
        progress: progress.clone(),
        limits: Default::default(),
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let mut c = Collect::default();
    let Ok(()) = kizuna_evidence::ingest_paths(std::slice::from_ref(&evidence), &opts, &mut c);
    fn sizes(dir: &Path, out: &mut Vec<u64>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                sizes(&e.path(), out);
            } else {
                out.push(e.metadata().unwrap().len());
            }
        }
    }
    let mut files = Vec::new();
    sizes(&evidence, &mut files);
    let s = progress.snapshot();
    assert_eq!(
        (s.files_total, s.files_done),
        (files.len() as u64, files.len() as u64)
    );
    let bytes: u64 = files.iter().sum();
    assert_eq!((s.bytes_total, s.bytes_done), (bytes, bytes));
    let records: u64 = c.reports.iter().map(|r| r.records).sum();
    assert!(records > 10_000, "{records}");
    assert_eq!(s.records, records);
}

/// Directory exports as Windows writes them on a Japanese system, inside one zip: `ldifde
/// -u` (UTF-16LE with BOM, CRLF, a Japanese OU in base64) and `Get-ADComputer | Export-Csv
/// -Encoding Default` (CP932, Japanese display dates). Both read, merged into one domain,
/// judged at the time they state; the Japanese names come through.
#[test]
fn directory_exports_in_windows_encodings_inside_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let ft = |days: i64| {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap()
            - chrono::Duration::days(days);
        ((t.timestamp() + 11_644_473_600) * 10_000_000).to_string()
    };
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let dn = "CN=経理PC01,OU=経理部,DC=corp,DC=example";
    let ldif = format!(
        "version: 1\r\n# Exported: 2026-12-01T00:00:00Z\r\n\r\ndn:: {}\r\nchangetype: add\r\nobjectClass: top\r\nobjectClass: computer\r\ncn:: {}\r\nsAMAccountName: KEIRI-PC01$\r\nuserAccountControl: 4096\r\noperatingSystem: Windows 11 Enterprise\r\noperatingSystemVersion: 10.0 (26100)\r\npwdLastSet: {}\r\nlastLogonTimestamp: {}\r\n\r\n",
        b64(dn),
        b64("経理PC01"),
        ft(100),
        ft(2)
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(ldif.encode_utf16().flat_map(u16::to_le_bytes));
    let csv = "# Exported: 2026-12-01T00:00:00Z\r\n#TYPE Microsoft.ActiveDirectory.Management.ADComputer\r\n\
\"DistinguishedName\",\"DNSHostName\",\"Enabled\",\"Name\",\"ObjectClass\",\"PasswordLastSet\",\"LastLogonDate\",\"PrimaryGroupID\",\"SamAccountName\"\r\n\
\"CN=総務PC02,OU=総務部,DC=corp,DC=example\",\"soumu-pc02.corp.example\",\"True\",\"総務PC02\",\"computer\",\"2026/08/01 09:00:00\",\"2026/11/30 09:00:00\",\"515\",\"SOUMU-PC02$\"\r\n";
    let (cp932, _, bad) = encoding_rs::SHIFT_JIS.encode(csv);
    assert!(!bad);
    let zip_path = dir.path().join("exports.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("ad/computers.ldf", opts).unwrap();
    z.write_all(&utf16).unwrap();
    z.start_file("ad/computers.csv", opts).unwrap();
    z.write_all(&cp932).unwrap();
    z.finish().unwrap();

    let o = kizuna(dir.path(), &["scan", "exports.zip", "--format", "json"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let inputs = v["inputs"].as_array().unwrap();
    let kinds: Vec<&str> = inputs.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["directory-csv", "ldif"], "{inputs:#?}");
    for i in inputs {
        assert_eq!(i["status"], "ok", "{i:#}");
        assert!(
            i["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == "ages computed at 2026-12-01 00:00:00Z (the time the file states)"),
            "{i:#}"
        );
    }
    let ad001 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "KZ-AD-001")
        .unwrap_or_else(|| panic!("{:#}", v["findings"]));
    assert_eq!(
        ad001["subjects"],
        serde_json::json!(["経理PC01", "総務PC02"]),
        "{ad001:#}"
    );
    let paths: Vec<&str> = ad001["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    // Each computer's evidence names its own file and its DN, Japanese kept.
    assert!(
        paths.contains(&format!("exports.zip!/ad/computers.ldf {dn}").as_str()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"exports.zip!/ad/computers.csv CN=総務PC02,OU=総務部,DC=corp,DC=example"),
        "{paths:?}"
    );
}

/// Event Viewer "Save All Events As… CSV" from a DC and a client, each in a folder named
/// after its computer, scanned together: the DC's 5722 names the client by its message,
/// the client's 3210 is its own; both statuses come from the rendered error text.
#[test]
fn event_viewer_csv_exports_are_judged_by_their_messages() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["DC1", "PC7"] {
        std::fs::create_dir_all(dir.path().join("ev").join(d)).unwrap();
    }
    let mut dc = String::from("Level,Date and Time,Source,Event ID,Task Category\r\n");
    let mut pc = dc.clone();
    for day in 1..=3 {
        dc.push_str(&format!(
            "Error,11/{day}/2026 3:04:05 AM,NETLOGON,5722,None,\"The session setup from the computer PC7 failed to authenticate. The name(s) of the account(s) referenced in the security database is PC7$.  The following error occurred: \r\nAccess is denied.\r\n\"\r\n"
        ));
        pc.push_str(&format!(
            "Error,11/{day}/2026 3:04:06 AM,NETLOGON,3210,None,\"This computer could not authenticate with \\\\DC1.corp.example, a Windows domain controller for domain CORP, and therefore this computer might deny logon requests. This inability to authenticate might be caused by another computer on the same network using the same name or the password for this computer account is not recognized. If this message appears again, contact your system administrator.\"\r\n"
        ));
    }
    std::fs::write(dir.path().join("ev/DC1/System.csv"), dc).unwrap();
    std::fs::write(dir.path().join("ev/PC7/System.csv"), pc).unwrap();
    let o = kizuna(dir.path(), &["scan", "ev", "--format", "json"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    for i in v["inputs"].as_array().unwrap() {
        assert_eq!(i["kind"], "event-message-csv", "{i:#}");
        assert_eq!(i["kept"], 3, "{i:#}");
    }
    let sc = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "KZ-SC-001")
        .unwrap_or_else(|| panic!("{:#}", v["findings"]));
    assert_eq!(sc["subjects"], serde_json::json!(["PC7"]), "{sc:#}");
    assert!(
        sc["detail"]
            .as_str()
            .unwrap()
            .contains("STATUS_ACCESS_DENIED"),
        "{sc:#}"
    );
}

#[test]
fn the_same_netlogon_log_in_two_device_folders_is_two_devices() {
    // netlogon.log names no computer: the folder it was collected in does. Two devices
    // with byte-identical logs (a cloned image, a quiet week) must not collapse into one.
    let dir = tempfile::tempdir().unwrap();
    let log = "11/02 07:32:23 [SESSION] [4128] CORP: NlSessionSetup: Session setup Failed\r\n\
               11/02 07:32:24 [CRITICAL] [4128] CORP: NlSessionSetup: Session setup: cannot I_NetServerAuthenticate: 0xc0000022\r\n";
    for d in ["PC1", "PC2"] {
        std::fs::create_dir_all(dir.path().join(d).join("debug")).unwrap();
        std::fs::write(dir.path().join(d).join("debug/netlogon.log"), log).unwrap();
    }
    let db = dir.path().join("k.db");
    let o = kizuna(
        dir.path(),
        &[
            "scan",
            "PC1",
            "PC2",
            "--db",
            db.to_str().unwrap(),
            "--year",
            "2026",
            "--format",
            "json",
        ],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
    let v = json(&o);
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "{inputs:#?}");
    assert_ne!(inputs[0]["sha256"], inputs[1]["sha256"], "{inputs:#?}");
    for i in inputs {
        assert_eq!(i["kept"], 2, "{i:#}");
    }
    // A re-scan of the same folders adds nothing: the placed fingerprint is stable.
    let again = kizuna(
        dir.path(),
        &[
            "scan",
            "PC2",
            "PC1",
            "--db",
            db.to_str().unwrap(),
            "--year",
            "2026",
            "--format",
            "json",
        ],
    );
    let w = json(&again);
    let shas = |v: &serde_json::Value| {
        let mut s: Vec<String> = v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sha256"].as_str().unwrap().to_string())
            .collect();
        s.sort();
        s
    };
    assert_eq!(shas(&v), shas(&w));
    let devices = kizuna(
        dir.path(),
        &["devices", "PC1", "PC2", "--year", "2026", "--format", "csv"],
    );
    let d = String::from_utf8_lossy(&devices.stdout);
    assert!(d.contains("PC1") && d.contains("PC2"), "{d}");
}

/// Every (provider, id) watched since issue 27, each written to an EVTX file by the lab's
/// writer and to wevtutil XML, read back with its subject; the ids around them are not kept.
#[test]
fn every_lookalike_id_is_read_from_evtx_and_xml() {
    use kizuna_lab::writers::LabEvent;
    let dir = tempfile::tempdir().unwrap();
    let time = chrono::DateTime::parse_from_rfc3339("2026-10-20T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let kdc = "Microsoft-Windows-Kerberos-Key-Distribution-Center";
    // (provider, channel, ids, named values, the subject it names)
    type Case<'a> = (&'a str, &'a str, Vec<u32>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 9] = [
        ("NETLOGON", "System", vec![5823], vec![], "PC1"),
        (
            "Microsoft-Windows-Security-Auditing",
            "Security",
            vec![4743],
            vec![("TargetUserName", "PC2$"), ("SubjectUserName", "admin")],
            "PC2",
        ),
        (
            kdc,
            "System",
            (201..=209).filter(|i| *i != 205).collect(),
            vec![("AccountName", "PC3$")],
            "PC3",
        ),
        (kdc, "System", vec![205], vec![], "DC1"),
        (
            "Microsoft-Windows-NTLM",
            "Microsoft-Windows-NTLM/Operational",
            vec![4024, 4025],
            vec![],
            "PC1",
        ),
        (
            "Microsoft-Windows-Security-Netlogon",
            "Microsoft-Windows-Security-Netlogon/Operational",
            vec![9005, 9006],
            vec![("Status", "0xC000006D")],
            "PC1",
        ),
        (
            "Microsoft-Windows-ActiveDirectory_DomainServices",
            "Directory Service",
            vec![2095, 2103],
            vec![],
            "DC1",
        ),
        (
            "NTDS Replication",
            "Directory Service",
            vec![2095],
            vec![],
            "DC1",
        ),
        (
            "NTDS General",
            "Directory Service",
            vec![2103],
            vec![],
            "DC1",
        ),
    ];
    for (provider, channel, ids, named, subject) in cases {
        let computer =
            if subject.starts_with("DC") || provider.contains("Auditing") || provider == kdc {
                "DC1.corp.example"
            } else {
                "PC1.corp.example"
            };
        let mut near: Vec<u32> = ids.iter().flat_map(|i| [i - 1, i + 1]).collect();
        let knowledge = Knowledge::builtin();
        near.retain(|n| knowledge.watched.lookup(provider, *n).is_none());
        for (id, kept) in ids
            .iter()
            .map(|i| (*i, true))
            .chain(near.iter().map(|i| (*i, false)))
        {
            let e = LabEvent {
                provider: Box::leak(provider.to_string().into_boxed_str()),
                event_id: id,
                qualifiers: None,
                level: 3,
                time,
                record_id: 7,
                channel: Box::leak(channel.to_string().into_boxed_str()),
                computer: computer.into(),
                data: vec![],
                named: named
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                status: None,
            };
            let evtx = dir.path().join("one.evtx");
            let mut w =
                kizuna_lab::evtx::EvtxWriter::new(std::fs::File::create(&evtx).unwrap()).unwrap();
            w.push(&e).unwrap();
            w.finish().unwrap();
            let xml = dir.path().join("one.xml");
            let mut f = std::fs::File::create(&xml).unwrap();
            kizuna_lab::writers::write_wevtutil_xml(&mut f, std::slice::from_ref(&e)).unwrap();
            drop(f);
            for path in [&evtx, &xml] {
                let got = events(&read(path));
                if kept {
                    assert_eq!(got.len(), 1, "{provider} {id} from {}", path.display());
                    assert_eq!(
                        got[0]
                            .subject
                            .as_ref()
                            .map(|s| s.key().to_string())
                            .as_deref(),
                        Some(subject),
                        "{provider} {id}"
                    );
                } else {
                    assert!(got.is_empty(), "near miss {provider} {id} kept");
                }
            }
        }
    }
}

/// The events watched since issue 27, as the lab writes them to EVTX (no public sample
/// has most of them), read back alike from wevtutil XML, Event Viewer XML, Get-WinEvent
/// JSON and Winlogbeat lines; their near-miss ids from every shape are not kept.
#[test]
fn lookalike_events_read_alike_from_evtx_xml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    let scale = dir.path().join("scale");
    kizuna_lab::sim::generate(kizuna_lab::sim::Scenario::Small, 1, None, None, &small).unwrap();
    kizuna_lab::sim::generate(
        kizuna_lab::sim::Scenario::Scale,
        5,
        Some(400),
        Some(30),
        &scale,
    )
    .unwrap();
    let mut all = events(&read(&small.join("evidence")));
    all.extend(events(&read(&scale.join("evidence"))));
    // (provider, id, a neighbouring id of the provider that is not watched)
    let wanted: [(&str, u32, u32); 8] = [
        ("NETLOGON", 5823, 5824),
        ("Microsoft-Windows-Security-Netlogon", 9005, 9004),
        (
            "Microsoft-Windows-ActiveDirectory_DomainService",
            2103,
            2102,
        ),
        ("Microsoft-Windows-Security-Auditing", 4743, 4744),
        ("Microsoft-Windows-Security-Auditing", 4768, 4770),
        (
            "Microsoft-Windows-Kerberos-Key-Distribution-Center",
            201,
            200,
        ),
        ("Microsoft-Windows-NTLM", 4024, 4023),
        (
            "Microsoft-Windows-ActiveDirectory_DomainService",
            2095,
            2094,
        ),
    ];
    let knowledge = Knowledge::builtin();
    // Named values in the template's order (what Get-WinEvent's positional Properties
    // keep), as the watch list gives it; the record holds them sorted by name.
    let in_template_order = |e: &kizuna_core::EventRecord| -> Vec<(String, String)> {
        let fields = knowledge
            .watched
            .lookup(&e.provider, e.event_id)
            .map(|w| w.fields.clone())
            .unwrap_or_default();
        let mut v: Vec<(String, String)> = e
            .named
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort_by_key(|(k, _)| fields.iter().position(|f| f == k).unwrap_or(usize::MAX));
        v
    };
    let lab_event = |e: &kizuna_core::EventRecord, id: u32| kizuna_lab::writers::LabEvent {
        provider: Box::leak(e.provider.clone().into_boxed_str()),
        event_id: id,
        qualifiers: e.qualifiers,
        level: 2,
        time: e.time,
        record_id: e.record_id.unwrap(),
        channel: Box::leak(e.channel.clone().unwrap().into_boxed_str()),
        computer: e.computer.clone().unwrap(),
        data: e.data.clone(),
        named: in_template_order(e),
        status: None,
    };
    for (provider, id, near) in wanted {
        let original = all
            .iter()
            .find(|e| {
                e.provider == provider
                    && e.event_id == id
                    && (id != 4768 || e.named.get("Status").map(String::as_str) == Some("0xe"))
            })
            .unwrap_or_else(|| panic!("the lab wrote no {provider} {id}"));
        assert!(original.subject.is_some(), "{provider} {id}: {original:?}");
        for (name, write) in EVENT_WRITERS {
            let p = dir.path().join(name);
            let mut f = std::fs::File::create(&p).unwrap();
            write(&mut f, &[lab_event(original, id)]).unwrap();
            drop(f);
            let got = events(&read(&p));
            assert_eq!(got.len(), 1, "{name}: {provider} {id}");
            assert_eq!(got[0].subject, original.subject, "{name}: {provider} {id}");
            assert_eq!(got[0].time, original.time, "{name}: {provider} {id}");
            let mut f = std::fs::File::create(&p).unwrap();
            write(&mut f, &[lab_event(original, near)]).unwrap();
            drop(f);
            let got = events(&read(&p));
            assert!(
                got.is_empty(),
                "{name}: near miss {provider} {near} kept: {got:?}"
            );
        }
    }
}

/// A stored (uncompressed) zip written byte by byte, so member names may repeat (no zip
/// writer allows that, but hand-made and broken archives do).
fn raw_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let crc = |data: &[u8]| {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in members {
        let offset = out.len() as u32;
        let (crc, size, n) = (crc(data), data.len() as u32, name.len() as u16);
        out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&n.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, cd_size, count) =
        (out.len() as u32, central.len() as u32, members.len() as u16);
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Issue 28 D12: a zip whose members repeat a name loses all but one of them in the zip
/// reader; the archive says so instead of dropping them silently.
#[test]
fn repeated_zip_member_names_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let a = b"ComputerName,MachineSid\r\nDUPA,S-1-5-21-1-2-3\r\n";
    let b = b"ComputerName,MachineSid\r\nDUPB,S-1-5-21-4-5-6\r\n";
    let c = b"ComputerName,MachineSid\r\nOTHER,S-1-5-21-7-8-9\r\n";
    std::fs::write(
        dir.path().join("dup.zip"),
        raw_zip(&[("DUP/inv.csv", a), ("DUP/inv.csv", b), ("ok/inv.csv", c)]),
    )
    .unwrap();
    let o = kizuna(dir.path(), &["scan", "dup.zip", "--format", "json"]);
    let v = json(&o);
    let inputs = v["inputs"].as_array().unwrap();
    let archive = inputs
        .iter()
        .find(|i| i["path"] == "dup.zip")
        .unwrap_or_else(|| panic!("{inputs:#?}"));
    assert_eq!(archive["status"], "error");
    assert!(
        archive["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("zip: 3 members under 2 names"),
        "{archive}"
    );
    // The members that could be read still are.
    assert!(
        inputs
            .iter()
            .any(|i| i["path"] == "dup.zip!/ok/inv.csv" && i["kept"] == 1)
    );
    // A well-formed zip gives no such error.
    std::fs::write(
        dir.path().join("fine.zip"),
        raw_zip(&[("a/inv.csv", a), ("b/inv.csv", b)]),
    )
    .unwrap();
    let v = json(&kizuna(
        dir.path(),
        &["scan", "fine.zip", "--format", "json"],
    ));
    assert!(
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "ok"),
        "{v:#}"
    );
}
