//! How much an input may unpack, and what is unpacked at all: one allowance can cover
//! every input of a read (an upload of several files), and an archive member whose first
//! bytes are no evidence is reported without being unpacked further.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kizuna_core::input::sinks::Collect;
use kizuna_core::{FactSource, InputKind, InputReport, InputStatus, Knowledge};
use kizuna_evidence::text::SNIFF_LEN;
use kizuna_evidence::{Files, Limits, ReadOptions, UnpackAllowance};
use sha2::{Digest, Sha256};

const MIB: u64 = 1 << 20;

const NOT_EVIDENCE: &str = "not evidence: no format kizuna reads (event logs and exports, \
                            netlogon.log, hives, PsGetSid output, inventories)";

fn options(threads: usize, limits: Limits, shared_unpack: Option<UnpackAllowance>) -> ReadOptions {
    ReadOptions {
        threads,
        year: Some(2026),
        knowledge: Arc::new(Knowledge::builtin()),
        evtx: Default::default(),
        progress: Default::default(),
        limits,
        shared_unpack,
        fingerprint: Default::default(),
    }
}

/// Reads the files as the server reads an upload: each under its own name.
fn read(files: &[&Path], opts: ReadOptions) -> Vec<InputReport> {
    let named = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (p.to_path_buf(), name)
        })
        .collect();
    let mut c = Collect::default();
    let Ok(()) = Files::named(named, opts).read_into(&mut c);
    c.reports.sort_by(|a, b| a.path.cmp(&b.path));
    c.reports
}

fn report<'a>(reports: &'a [InputReport], path: &str) -> &'a InputReport {
    reports
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("{path} not reported: {reports:#?}"))
}

/// A netlogon.log of `bytes` bytes (give or take a line), its lines tagged by `tag`.
fn netlogon(bytes: u64, tag: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while (out.len() as u64) < bytes {
        write!(
            out,
            "08/22 07:32:{:02} [MISC] [4128] {tag}: Eventlog: 5823 ({i})\r\n",
            i % 60
        )
        .unwrap();
        i += 1;
    }
    out
}

/// PsGetSid output for `hosts` computers (its fingerprint is its content's SHA-256).
fn psgetsid(hosts: u32) -> Vec<u8> {
    let mut out = b"\r\nPsGetSid v1.46 - Translates SIDs\r\n\r\n".to_vec();
    for n in 0..hosts {
        write!(
            out,
            "SID for \\\\PC{n:05}:\r\nS-1-5-21-1-2-{}\r\n\r\n",
            1000 + n
        )
        .unwrap();
    }
    out
}

fn gzip(path: &Path, bytes: &[u8]) -> PathBuf {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap();
    path.to_path_buf()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn one_allowance_covers_every_input_of_an_upload() {
    let dir = tempfile::tempdir().unwrap();
    let a = gzip(&dir.path().join("a.log.gz"), &netlogon(3 * MIB, "A"));
    let b = gzip(&dir.path().join("b.log.gz"), &netlogon(3 * MIB, "B"));
    let limits = Limits {
        max_unpacked: 5 * MIB,
        ..Limits::default()
    };

    // Each input on its own allowance (as before): both are read.
    let reports = read(&[&a, &b], options(1, limits, None));
    for name in ["a.log.gz", "b.log.gz"] {
        let r = report(&reports, name);
        assert_eq!(r.status, InputStatus::Ok, "{r:?}");
        assert_eq!(r.kind, InputKind::NetlogonLog, "{r:?}");
    }

    // One allowance of 5 MiB for the upload: the first file takes 3 MiB of it, the
    // second runs out, and no more than the 5 MiB was unpacked.
    let upload = UnpackAllowance::new(5 * MIB);
    let reports = read(&[&a, &b], options(1, limits, Some(upload.clone())));
    let first = report(&reports, "a.log.gz");
    assert_eq!(first.status, InputStatus::Ok, "{first:?}");
    let second = report(&reports, "b.log.gz");
    assert_eq!(second.status, InputStatus::Error, "{second:?}");
    assert_eq!(
        second.errors,
        ["gzip: unpacks to more than the limit of 5242880 bytes for this upload; not read"]
    );
    let drawn = 5 * MIB - upload.remaining();
    assert!(
        (first.size..=5 * MIB).contains(&drawn),
        "{drawn} bytes drawn, {} of them by the first file",
        first.size
    );

    // Read side by side, the two still cannot pass the 5 MiB between them.
    let upload = UnpackAllowance::new(5 * MIB);
    let reports = read(&[&a, &b], options(2, limits, Some(upload.clone())));
    assert!(
        reports.iter().any(|r| r.errors.iter().any(|e| e.contains(
            "unpacks to more than the limit of 5242880 bytes for this upload; not read"
        ))),
        "{reports:#?}"
    );
    assert!(
        reports.iter().any(|r| r.status != InputStatus::Ok),
        "{reports:#?}"
    );

    // The limit of one input still names itself so.
    let small = Limits {
        max_unpacked: 2 * MIB,
        ..Limits::default()
    };
    let reports = read(&[&a], options(1, small, None));
    assert_eq!(
        reports[0].errors,
        ["gzip: unpacks to more than the limit of 2097152 bytes for one input; not read"]
    );
}

#[test]
fn a_member_that_is_no_evidence_is_not_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.zip");
    let evidence = netlogon(300, "CORP");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("junk/zeros.bin", opts).unwrap();
    let mib = vec![0u8; MIB as usize];
    for _ in 0..64 {
        z.write_all(&mib).unwrap();
    }
    z.start_file("PC01/netlogon.log", opts).unwrap();
    z.write_all(&evidence).unwrap();
    z.finish().unwrap();
    let packed = std::fs::metadata(&path).unwrap().len();
    assert!(packed < 2 * MIB, "{packed}");

    // Today's limits: the zeros are skipped, the log is read.
    let before = read(&[&path], options(1, Limits::default(), None));
    let zeros = report(&before, "bundle.zip!/junk/zeros.bin");
    assert_eq!(zeros.status, InputStatus::Skipped, "{zeros:?}");
    assert_eq!(zeros.kind, InputKind::Unknown);
    assert_eq!(zeros.notes, [NOT_EVIDENCE]);
    assert!(zeros.errors.is_empty(), "{zeros:?}");
    assert_eq!(zeros.fingerprint, "");
    assert_eq!(zeros.size, 64 * MIB);
    let log = report(&before, "bundle.zip!/PC01/netlogon.log");
    assert_eq!(log.status, InputStatus::Ok, "{log:?}");
    assert_eq!(log.kind, InputKind::NetlogonLog);
    assert_eq!(log.size, evidence.len() as u64);
    assert!(log.records > 0, "{log:?}");

    // Within 1 MiB for the whole upload the zeros are still only skipped (never
    // unpacked past their first bytes, so never near the limit), and the log is read
    // exactly as before.
    let upload = UnpackAllowance::new(MIB);
    let after = read(
        &[&path],
        options(1, Limits::default(), Some(upload.clone())),
    );
    assert_eq!(after, before);
    let drawn = MIB - upload.remaining();
    assert!(
        drawn <= (SNIFF_LEN + evidence.len()) as u64,
        "{drawn} bytes unpacked for a {} byte log",
        evidence.len()
    );

    // The same with 1 MiB for each input.
    let small = Limits {
        max_unpacked: MIB,
        ..Limits::default()
    };
    assert_eq!(read(&[&path], options(1, small, None)), before);
}

#[test]
fn a_gzip_that_is_no_evidence_is_skipped_with_its_notes() {
    let dir = tempfile::tempdir().unwrap();
    let short = b"hello world\n".repeat(10);
    let long = b"hello world\n".repeat(100_000);
    let a = gzip(&dir.path().join("short.txt.gz"), &short);
    let b = gzip(&dir.path().join("long.txt.gz"), &long);
    let reports = read(&[&a, &b], options(1, Limits::default(), None));
    for (name, size) in [
        ("short.txt.gz", short.len() as u64),
        // Only its head was unpacked: its size is the packed one.
        ("long.txt.gz", std::fs::metadata(&b).unwrap().len()),
    ] {
        let r = report(&reports, name);
        assert_eq!(r.status, InputStatus::Skipped, "{r:?}");
        assert_eq!(r.kind, InputKind::Unknown, "{r:?}");
        assert_eq!(r.notes, ["gzip-compressed", NOT_EVIDENCE], "{r:?}");
        assert!(r.errors.is_empty(), "{r:?}");
        assert_eq!(r.fingerprint, "");
        assert_eq!(r.size, size, "{name}");
    }
}

#[test]
fn compressed_evidence_is_fingerprinted_by_all_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Far longer than the head that is sniffed first.
    let text = psgetsid(5000);
    assert!(text.len() > 20 * SNIFF_LEN);
    let plain = dir.path().join("sids.txt");
    std::fs::write(&plain, &text).unwrap();
    let gz = gzip(&dir.path().join("sids.txt.gz"), &text);
    let zip_path = dir.path().join("sids.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    z.start_file("sids.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(&text).unwrap();
    z.finish().unwrap();

    for (path, shown, notes) in [
        (&plain, "sids.txt", &[][..]),
        (&gz, "sids.txt.gz", &["gzip-compressed"][..]),
        (&zip_path, "sids.zip!/sids.txt", &[][..]),
    ] {
        let reports = read(&[path], options(1, Limits::default(), None));
        let r = report(&reports, shown);
        assert_eq!(r.status, InputStatus::Ok, "{r:?}");
        assert_eq!(r.kind, InputKind::PsGetSid, "{r:?}");
        assert_eq!(r.fingerprint, sha256(&text), "{shown}");
        assert_eq!(r.size, text.len() as u64, "{shown}");
        assert_eq!(r.records, 5000, "{shown}");
        assert_eq!(r.notes, notes, "{shown}");
    }
}
