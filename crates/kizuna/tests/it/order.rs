//! The same evidence gives the same findings and the same stored evidence whatever the
//! order of the arguments and however many threads read it — also when two archives hold
//! the same files (content is read once, and keeps the smallest of its paths).

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{contents, kizuna};

/// Zips every file under `root/sub` as `sub/…`, in sorted order.
fn zip_folder(root: &Path, sub: &str, out: &Path) {
    let mut files = common::files_under(&root.join(sub));
    files.sort();
    let mut z = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        let name = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        z.start_file(name, opts).unwrap();
        z.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn argument_order_and_threads_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = kizuna(d, &["lab", "generate", "--out", "lab", "--seed", "3", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    // b.zip: every device; a.zip: the first half of them again, the same files.
    zip_folder(&d.join("lab"), "evidence", &d.join("b.zip"));
    let mut devices: Vec<PathBuf> = std::fs::read_dir(d.join("lab/evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    devices.sort();
    for device in &devices[..devices.len() / 2] {
        let to = d.join("half/evidence").join(device.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        for f in common::files_under(device) {
            std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
        }
    }
    zip_folder(&d.join("half"), "evidence", &d.join("a.zip"));

    let mut runs = Vec::new();
    for (i, (first, second, threads)) in [
        ("a.zip", "b.zip", "1"),
        ("b.zip", "a.zip", "1"),
        ("a.zip", "b.zip", "2"),
        ("b.zip", "a.zip", "2"),
        ("b.zip", "a.zip", "2"),
    ]
    .into_iter()
    .enumerate()
    {
        let db = format!("run{i}.db");
        let o = kizuna(
            d,
            &[
                "scan",
                first,
                second,
                "--db",
                &db,
                "--format",
                "json",
                "--threads",
                threads,
            ],
        );
        assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
        let v = common::json(&o);
        // Without a store that lives on, files are fingerprinted while they are read:
        // the same findings and inputs.
        let o = kizuna(
            d,
            &[
                "scan",
                first,
                second,
                "--format",
                "json",
                "--threads",
                threads,
            ],
        );
        assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
        let throwaway = common::json(&o);
        assert_eq!(
            throwaway["findings"], v["findings"],
            "{first} {second} --threads {threads}: findings without --db"
        );
        assert_eq!(
            throwaway["inputs"], v["inputs"],
            "{first} {second} --threads {threads}: inputs without --db"
        );
        runs.push((
            format!("{first} {second} --threads {threads}"),
            serde_json::to_string_pretty(&v["findings"]).unwrap(),
            serde_json::to_string_pretty(&v["inputs"]).unwrap(),
            contents(&d.join(&db)),
        ));
    }
    let (name0, findings0, inputs0, stored0) = &runs[0];
    assert!(
        findings0.contains("a.zip!/evidence/"),
        "findings cite the smaller of two paths"
    );
    for i in 0..runs.len() {
        let c = rusqlite::Connection::open(d.join(format!("run{i}.db"))).unwrap();
        let unknown: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM inputs WHERE kind = 'unknown' OR records = 0 AND kind IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unknown, 0, "run {i}: inputs stored as unknown");
    }
    assert!(
        stored0.inputs.len() > 100,
        "{} inputs",
        stored0.inputs.len()
    );
    for (name, findings, inputs, stored) in &runs[1..] {
        assert_eq!(findings0, findings, "findings: {name0} vs {name}");
        assert_eq!(inputs0, inputs, "inputs: {name0} vs {name}");
        assert_eq!(stored0, stored, "stored evidence: {name0} vs {name}");
    }
}
