//! The bodies of kizuna's fuzz targets: each reader on arbitrary bytes, with the invariants
//! every reader must keep whatever it is given (besides not panicking, hanging or taking
//! memory beyond its limits):
//!
//! - an input's report counts exactly the facts handed on (`kept`), keeps at most
//!   [`kizuna_core::MAX_ERRORS_KEPT`] messages plus the "… more" line, and its
//!   status agrees with its counts;
//! - every fact names the input it came from;
//! - EVTX: the pre-filtered path keeps exactly the events the full path keeps.
//!
//! `fuzz/` (cargo fuzz, on nightly) calls these through libFuzzer; the regression tests
//! (stable, in CI) call them on every input the fuzzers ever crashed on and on seeds.

pub mod seeds;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kizuna_core::input::sinks::Collect;
use kizuna_core::{Fact, InputKind, InputReport, InputStatus, Knowledge};
use kizuna_evidence::{
    EvtxOptions, EvtxPath, Limits, NetlogonContext, ReadOptions, YearSource, text_reader,
};

/// A fuzz target: its name (the binary in `fuzz/`) and body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    /// Largest input worth generating (libFuzzer's `-max_len`).
    pub max_len: usize,
}

/// Every target, in the order `fuzz/run` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "evtx",
        run: evtx,
        max_len: 4096 + 2 * 65536,
    },
    Target {
        name: "event_xml",
        run: event_xml,
        max_len: 64 * 1024,
    },
    Target {
        name: "event_json",
        run: event_json,
        max_len: 64 * 1024,
    },
    Target {
        name: "event_csv",
        run: event_csv,
        max_len: 64 * 1024,
    },
    Target {
        name: "wineventlog",
        run: wineventlog,
        max_len: 64 * 1024,
    },
    Target {
        name: "message_csv",
        run: message_csv,
        max_len: 64 * 1024,
    },
    Target {
        name: "ldif",
        run: ldif,
        max_len: 64 * 1024,
    },
    Target {
        name: "directory_csv",
        run: directory_csv,
        max_len: 64 * 1024,
    },
    Target {
        name: "netlogon",
        run: netlogon,
        max_len: 64 * 1024,
    },
    Target {
        name: "psgetsid",
        run: psgetsid,
        max_len: 16 * 1024,
    },
    Target {
        name: "inventory_csv",
        run: inventory_csv,
        max_len: 64 * 1024,
    },
    Target {
        name: "inventory_json",
        run: inventory_json,
        max_len: 64 * 1024,
    },
    Target {
        name: "hive",
        run: hive,
        max_len: 256 * 1024,
    },
    Target {
        name: "gpttmpl",
        run: gpttmpl,
        max_len: 64 * 1024,
    },
    Target {
        name: "registry_pol",
        run: registry_pol,
        max_len: 64 * 1024,
    },
    Target {
        name: "gpmc_xml",
        run: gpmc_xml,
        max_len: 64 * 1024,
    },
    Target {
        name: "archive",
        run: archive,
        max_len: 256 * 1024,
    },
];

const DISPLAY: &str = "fuzz-input";

fn knowledge() -> Arc<Knowledge> {
    static K: OnceLock<Arc<Knowledge>> = OnceLock::new();
    K.get_or_init(|| Arc::new(Knowledge::builtin())).clone()
}

/// Checks what every reader promises about an input's report and facts.
fn check(report: &InputReport, facts: &[Fact]) {
    if matches!(report.kind, InputKind::Ldif | InputKind::DirectoryCsv) {
        // One snapshot of the whole export; `kept` counts the objects it took.
        assert_eq!(
            facts.len(),
            usize::from(report.kept > 0),
            "a snapshot when anything was kept: {report:?}"
        );
        assert!(report.kept <= report.records, "{report:?}");
    } else {
        assert_eq!(
            report.kept,
            facts.len() as u64,
            "kept counts the facts: {report:?}"
        );
    }
    assert!(
        report.errors.len() <= kizuna_core::MAX_ERRORS_KEPT + 1,
        "{} error messages kept",
        report.errors.len()
    );
    assert!(report.error_count >= report.errors.len().saturating_sub(1) as u64);
    let expected = match (report.error_count, report.records) {
        // not evidence: nothing read, nothing wrong
        (0, 0) if report.kind == kizuna_core::InputKind::Unknown => InputStatus::Skipped,
        (0, _) => InputStatus::Ok,
        (_, 0) => InputStatus::Error,
        _ => InputStatus::Partial,
    };
    assert_eq!(report.status, expected, "{report:?}");
    for f in facts {
        let path = match f {
            Fact::Event(e) => &e.source.path,
            Fact::Identity(r) => &r.source.path,
            Fact::Netlogon(n) => &n.source.path,
            Fact::Directory(d) => &d.snapshot.source,
        };
        assert!(
            path.starts_with(&report.path),
            "{path} from {}",
            report.path
        );
    }
}

/// Runs a text reader on `data` as `kizuna scan` does (decoded by [`text_reader`]).
fn text(
    data: &[u8],
    kind: InputKind,
    read: impl FnOnce(Box<dyn std::io::BufRead>, &mut InputReport, &mut dyn FnMut(Fact)),
) {
    let mut report = InputReport::new(DISPLAY.into(), kind, String::new(), data.len() as u64);
    let mut facts = Vec::new();
    let (reader, _) = text_reader(Cursor::new(data.to_vec())).expect("reading memory");
    read(reader, &mut report, &mut |f| facts.push(f));
    report.settle();
    check(&report, &facts);
}

pub fn event_xml(data: &[u8]) {
    let k = knowledge();
    text(data, InputKind::EventXml, |r, report, out| {
        kizuna_evidence::read_event_xml(r, DISPLAY, report, out, &|e| k.admit(e))
    });
}

pub fn event_json(data: &[u8]) {
    let k = knowledge();
    text(data, InputKind::EventJson, |r, report, out| {
        kizuna_evidence::read_event_json(r, DISPLAY, report, out, &|e| k.admit(e))
    });
}

pub fn event_csv(data: &[u8]) {
    let k = knowledge();
    text(data, InputKind::EventCsv, |r, report, out| {
        kizuna_evidence::read_event_csv(r, DISPLAY, report, out, &|e| k.admit(e))
    });
}

pub fn wineventlog(data: &[u8]) {
    let k = knowledge();
    text(data, InputKind::WinEventLog, |r, report, out| {
        kizuna_evidence::read_wineventlog(r, DISPLAY, report, out, &|e| k.admit(e))
    });
}

pub fn message_csv(data: &[u8]) {
    let k = knowledge();
    let device = kizuna_core::DeviceName::parse("PC1.lab.test");
    text(data, InputKind::MessageCsv, |r, report, out| {
        kizuna_evidence::read_message_export(r, DISPLAY, device.as_ref(), &k, report, out, &|e| {
            k.admit(e)
        })
    });
}

pub fn ldif(data: &[u8]) {
    text(data, InputKind::Ldif, |r, report, out| {
        kizuna_evidence::read_ldif(r, DISPLAY, None, report, out)
    });
}

pub fn directory_csv(data: &[u8]) {
    text(data, InputKind::DirectoryCsv, |r, report, out| {
        kizuna_evidence::read_directory_csv(r, DISPLAY, None, report, out)
    });
}

pub fn netlogon(data: &[u8]) {
    let ctx = NetlogonContext {
        year: YearSource::Option(2026),
        device: None,
    };
    text(data, InputKind::NetlogonLog, |r, report, out| {
        kizuna_evidence::read_netlogon(r, DISPLAY, &ctx, report, out)
    });
}

pub fn psgetsid(data: &[u8]) {
    text(data, InputKind::PsGetSid, |r, report, out| {
        kizuna_evidence::read_psgetsid(r, DISPLAY, report, out)
    });
}

pub fn inventory_csv(data: &[u8]) {
    text(data, InputKind::InventoryCsv, |r, report, out| {
        kizuna_evidence::read_inventory_csv(r, DISPLAY, report, out)
    });
}

pub fn inventory_json(data: &[u8]) {
    text(data, InputKind::InventoryJson, |r, report, out| {
        kizuna_evidence::read_inventory_json(r, DISPLAY, report, out)
    });
}

/// A file holding `data`, reused across runs of one process (readers that take a path or
/// a `File` read it from there).
fn scratch(name: &str, data: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"));
    let thread = format!("{:?}", std::thread::current().id())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let path = dir.path().join(thread).join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("scratch folder");
    let mut f = std::fs::File::create(&path).expect("scratch file");
    f.write_all(data).expect("scratch write");
    path
}

/// The CRCs an EVTX header and its chunks would have: without this, nearly every input
/// dies at a checksum and the fuzzer never reaches the records.
pub fn fix_evtx_crcs(b: &mut [u8]) {
    if b.len() < 4096 || !b.starts_with(b"ElfFile\0") {
        return;
    }
    let crc = crc32fast::hash(&b[..0x78]);
    b[0x7C..0x80].copy_from_slice(&crc.to_le_bytes());
    let mut at = 4096;
    while at + 65536 <= b.len() {
        let c = &mut b[at..at + 65536];
        if c.starts_with(b"ElfChnk\0") {
            let free = u32::from_le_bytes(c[0x30..0x34].try_into().expect("4 bytes")) as usize;
            if (0x200..=65536).contains(&free) {
                let data = crc32fast::hash(&c[0x200..free]);
                c[0x34..0x38].copy_from_slice(&data.to_le_bytes());
            }
            let mut h = crc32fast::Hasher::new();
            h.update(&c[..0x78]);
            h.update(&c[0x80..0x200]);
            let header = h.finalize();
            c[0x7C..0x80].copy_from_slice(&header.to_le_bytes());
        }
        at += 65536;
    }
}

fn read_evtx(path: &Path, how: EvtxPath, threads: usize) -> (InputReport, Vec<Fact>) {
    let mut report = InputReport::new(DISPLAY.into(), InputKind::Evtx, String::new(), 0);
    let mut facts = Vec::new();
    let file = std::fs::File::open(path).expect("scratch file");
    kizuna_evidence::read_evtx(
        file,
        DISPLAY,
        EvtxOptions { threads, path: how },
        knowledge(),
        &mut report,
        &Default::default(),
        &mut |f| facts.push(f),
    );
    report.settle();
    (report, facts)
}

fn events(facts: &[Fact]) -> Vec<&kizuna_core::EventRecord> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

pub fn evtx(data: &[u8]) {
    let mut bytes = data.to_vec();
    fix_evtx_crcs(&mut bytes);
    let path = scratch("fuzz.evtx", &bytes);
    let (full_report, full) = read_evtx(&path, EvtxPath::Full, 1);
    check(&full_report, &full);
    for threads in [1, 2] {
        let (report, fast) = read_evtx(&path, EvtxPath::Prefiltered, threads);
        check(&report, &fast);
        assert_eq!(
            events(&fast),
            events(&full),
            "pre-filtered and full paths keep the same events ({threads} threads)"
        );
    }
}

/// `read_hive` catches a panic inside the hive parser and reports it; under libFuzzer its
/// panic hook aborts first, and on stable (the regression replay) the count of caught
/// panics fails the target, so a parser panic is a finding either way.
pub fn hive(data: &[u8]) {
    let path = scratch("SYSTEM", data);
    let before = kizuna_evidence::hive::caught_panics();
    let read = kizuna_evidence::hive::read_hive(&path, &[]);
    assert_eq!(
        kizuna_evidence::hive::caught_panics(),
        before,
        "the hive parser panicked: {:?}",
        read.as_ref().map(|f| &f.errors)
    );
    if let Ok(facts) = read {
        assert!(
            facts.key_count == 0 || facts.hive_type.is_some(),
            "a hive with keys is recognized as some type (Unknown included)"
        );
    }
}

pub fn gpttmpl(data: &[u8]) {
    for (k, v) in kizuna_gpo_read::gpttmpl::registry_values(data) {
        assert!(
            !k.contains(['\r', '\n']) && !v.contains(['\r', '\n']),
            "one line each"
        );
    }
}

pub fn registry_pol(data: &[u8]) {
    let f = kizuna_gpo_read::preg::read(data);
    let mut last = 0;
    for r in &f.records {
        assert!(r.offset >= 8 && r.offset >= last, "records in file order");
        assert!(r.data.len() < data.len(), "data comes from the file");
        last = r.offset;
        let _ = (r.setting(), r.action());
    }
    for e in &f.errors {
        assert!(e.offset <= data.len() as u64, "{e} within the file");
    }
}

pub fn gpmc_xml(data: &[u8]) {
    let _ = kizuna_gpo_read::gpmc::read_backup_info(data);
    if let Ok(b) = kizuna_gpo_read::gpmc::read_backup_xml(data) {
        assert!(
            b.display_name
                .is_none_or(|n| n.len() <= kizuna_gpo_read::gpmc::MAX_TEXT)
        );
    }
}

/// The whole path of `kizuna scan` from one file: sniffing, archives (zip, gzip, xz,
/// nested), then whichever reader the content calls for, under small limits.
pub fn archive(data: &[u8]) {
    let path = scratch("input", data);
    let opts = ReadOptions {
        threads: 1,
        year: Some(2026),
        evtx: EvtxPath::Prefiltered,
        knowledge: knowledge(),
        progress: Default::default(),
        limits: Limits {
            max_unpacked: 64 << 20,
            max_ratio: 1_100,
            ratio_floor: 1 << 20,
            max_entries: 256,
            max_nesting: 4,
        },
        shared_unpack: None,
        fingerprint: Default::default(),
    };
    let mut c = Collect::default();
    let Ok(()) = kizuna_evidence::ingest_paths(&[path], &opts, &mut c);
    assert!(!c.reports.is_empty(), "every input is reported");
    for r in &c.reports {
        let facts: Vec<Fact> = c
            .facts
            .iter()
            .filter(|(fp, _)| !r.fingerprint.is_empty() && *fp == r.fingerprint)
            .map(|(_, f)| f.clone())
            .collect();
        // Members with the same content share a fingerprint and are read once.
        if c.reports
            .iter()
            .filter(|o| o.fingerprint == r.fingerprint)
            .count()
            == 1
        {
            check(r, &facts);
        }
    }
}
