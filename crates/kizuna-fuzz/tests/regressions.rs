//! Every fuzz target on every input a fuzzer ever failed on (`fuzz/regressions/<target>/`,
//! committed) and on the seeds `fuzz/run` starts from: the real files of `../shared/corpus`
//! and a generated lab. Stable Rust, in CI: a fixed crash stays fixed without nightly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kizuna_fuzz::TARGETS;
use kizuna_fuzz::seeds::{files, seeds_from, shared_corpus, write_lab};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(target: &str, data: &[u8]) {
    let t = TARGETS.iter().find(|t| t.name == target).expect("a target");
    (t.run)(data);
}

#[test]
fn every_target_has_a_binary_and_regressions_replay() {
    let fuzz = repo().join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut replayed = 0;
    for t in TARGETS {
        let body = std::fs::read_to_string(fuzz.join(format!("fuzz_targets/{}.rs", t.name)))
            .unwrap_or_else(|_| panic!("fuzz/fuzz_targets/{}.rs", t.name));
        assert!(
            body.contains(&format!("kizuna_fuzz::{}(", t.name)),
            "{}",
            t.name
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "{}",
            t.name
        );
        for f in files(&fuzz.join("regressions").join(t.name)) {
            (t.run)(&std::fs::read(&f).unwrap());
            replayed += 1;
        }
    }
    eprintln!("{replayed} regression inputs replayed");
}

fn per_target(dir: &Path) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for s in seeds_from(dir) {
        run(s.target, &s.data);
        *counts.entry(s.target).or_default() += 1;
    }
    counts
}

#[test]
fn targets_on_the_real_corpus() {
    let Some(corpus) = shared_corpus() else {
        eprintln!("\n!!!!! SKIPPED: ../shared/corpus is absent; corpus seeds did not run !!!!!\n");
        return;
    };
    let counts = per_target(&corpus);
    for t in [
        "evtx",
        "netlogon",
        "hive",
        "gpttmpl",
        "registry_pol",
        "gpmc_xml",
        "archive",
    ] {
        assert!(counts.get(t).is_some_and(|&n| n > 0), "{t}: {counts:?}");
    }
    assert!(counts["evtx"] >= 25, "{counts:?}");
}

#[test]
fn targets_on_a_generated_lab() {
    let dir = tempfile::tempdir().unwrap();
    write_lab(dir.path()).unwrap();
    let counts = per_target(dir.path());
    for t in [
        "evtx",
        "event_xml",
        "event_json",
        "netlogon",
        "inventory_csv",
        "ldif",
        "hive",
        "archive",
    ] {
        assert!(counts.get(t).is_some_and(|&n| n > 0), "{t}: {counts:?}");
    }
}

/// A hive whose root `lf` list points one entry near 4 GiB: the input behind the notatin
/// overflow the hive target found. Written by the lab, because the fuzzer's own crash input
/// was mutated from third-party seeds and is not ours to commit.
fn lf_offset_overflow() -> Vec<u8> {
    let mut b = kizuna_lab::hive::HiveBuilder::new("ROOT");
    b.key("Select").dword("Current", 1);
    b.key("ControlSet001\\Control\\ComputerName\\ComputerName")
        .sz("ComputerName", "WS-CLONE-01");
    kizuna_lab::hive::with_root_lf_entry_at(&b.to_bytes(), 0xFFFF_FFF8)
}

/// A hive whose base block names a root cell with the top bit set: notatin read it as a
/// negative number and overflowed (the second hive finding).
fn root_offset_negative() -> Vec<u8> {
    let mut b = kizuna_lab::hive::HiveBuilder::new("ROOT");
    b.key("SAM\\Domains\\Account").binary("V", &[0; 8]);
    kizuna_lab::hive::with_root_cell_at(&b.to_bytes(), 0xFFFF_FFE0)
}

/// The lab-written regression inputs are committed as the generator writes them today
/// (`KIZUNA_WRITE_REGRESSIONS=1` rewrites them); the replay test runs them.
#[test]
fn lab_written_regressions_are_current() {
    let inputs = [
        ("hive/lf-offset-overflow.hiv", lf_offset_overflow()),
        ("hive/root-offset-negative.hiv", root_offset_negative()),
    ];
    for (name, want) in inputs {
        let path = repo().join("fuzz/regressions").join(name);
        if std::env::var_os("KIZUNA_WRITE_REGRESSIONS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(have == want, "{} is stale", path.display());
        run("hive", &have);
    }
}
