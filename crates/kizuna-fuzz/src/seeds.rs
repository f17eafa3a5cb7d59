//! Seed inputs for the fuzz targets: real files from `../shared/corpus` (read in place,
//! never committed) and a small generated lab, each assigned to the target that reads it.

use std::path::{Path, PathBuf};

/// One seed: which target it feeds, and its bytes.
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub data: Vec<u8>,
}

/// `../shared/corpus` beside this checkout, if it is there.
pub fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    p.is_dir().then_some(p)
}

/// Files under `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The targets that read a file, from its name and first bytes. Every file also goes
/// through `archive`, the whole path `kizuna scan` takes.
fn targets_for(path: &Path, data: &[u8]) -> Vec<&'static str> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut t = Vec::new();
    if data.starts_with(b"ElfFile\0") {
        t.push("evtx");
    } else if data.starts_with(b"regf") {
        t.push("hive");
    } else if name == "gpttmpl.inf" {
        t.push("gpttmpl");
    } else if name.ends_with(".pol") {
        t.push("registry_pol");
    } else if name == "backup.xml" || name == "bkupinfo.xml" || name == "gpreport.xml" {
        t.push("gpmc_xml");
    } else if name.ends_with(".xml") {
        t.push("event_xml");
    } else if name.ends_with(".json") {
        t.extend(["event_json", "inventory_json"]);
    } else if name.ends_with(".log") {
        // netlogon.log, and Splunk's exports (raw event XML or classic WinEventLog)
        t.extend(["netlogon", "event_xml", "wineventlog"]);
    } else if name.ends_with(".csv") {
        t.extend(["inventory_csv", "event_csv", "directory_csv", "message_csv"]);
    } else if name.ends_with(".ldif") || name.ends_with(".ldf") {
        t.push("ldif");
    } else if name.contains("psgetsid") {
        t.push("psgetsid");
    }
    if !name.ends_with(".md") {
        t.push("archive");
    }
    t
}

/// Seeds from every file under `dir`. EVTX files are cut to their header and first two
/// chunks (what the evtx target generates at most).
pub fn seeds_from(dir: &Path) -> Vec<Seed> {
    let mut out = Vec::new();
    for f in files(dir) {
        let Ok(mut data) = std::fs::read(&f) else {
            continue;
        };
        if data.starts_with(b"ElfFile\0") {
            data.truncate(4096 + 2 * 65536);
        }
        let name = f
            .strip_prefix(dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('/', "_");
        for target in targets_for(&f, &data) {
            out.push(Seed {
                target,
                name: name.clone(),
                data: data.clone(),
            });
        }
    }
    out
}

/// Writes a small lab (every kind of evidence the simulator makes, and CSV/JSON exports)
/// into `dir`.
pub fn write_lab(dir: &Path) -> std::io::Result<()> {
    let spec = kizuna_lab::sim::Spec {
        devices: Some(6),
        days: Some(4),
        ..kizuna_lab::sim::Spec::new(kizuna_lab::sim::Scenario::Small, 2)
    };
    spec.generate(&dir.join("lab"))?;
    kizuna_lab::exports::write(&dir.join("exports"), 7).map(drop)
}
