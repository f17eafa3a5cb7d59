//! The lab simulator against kizuna: for many seeds, `kizuna scan` of the generated evidence
//! reports exactly the findings of `truth.json` (precision = recall = 1 for every rule), and
//! the same seed gives the same bytes.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{finding_keys, json, kizuna, kizuna_at};
use kizuna_lab::sim::{self, Scenario};

type Key = (String, String, Vec<String>);

/// Generates a lab, scans it, and compares the findings with its truth; returns the truth.
fn scan_matches_truth(
    scenario: Scenario,
    seed: u64,
    devices: Option<u32>,
    days: Option<u32>,
) -> BTreeSet<Key> {
    let dir = tempfile::tempdir().unwrap();
    let lab = sim::generate(scenario, seed, devices, days, &dir.path().join("lab")).unwrap();
    // Told the workaround's expiry, as of the lab's last day (KZ-POL-004 joins the rules).
    let expires = lab.domain.workaround_expires().unwrap().to_string();
    let end = lab.domain.end().to_rfc3339();
    let o = kizuna_at(
        dir.path(),
        &end,
        &[
            "scan",
            "lab/evidence",
            "--format",
            "json",
            "--expires",
            &expires,
        ],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{} seed {seed}: {}",
        scenario.name(),
        String::from_utf8_lossy(&o.stderr)
    );
    let scan = json(&o);
    for input in scan["inputs"].as_array().unwrap() {
        assert_eq!(input["status"], "ok", "{input}");
    }
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("lab/truth.json")).unwrap()).unwrap();
    let want = common::truth_keys_with_expiry(&truth);
    let got = finding_keys(&scan);
    let missing: Vec<&Key> = want.difference(&got).collect();
    let extra: Vec<&Key> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} seed {seed}: missing {missing:?}, extra {extra:?}",
        scenario.name()
    );
    assert!(!want.is_empty());
    want
}

fn rules(found: &BTreeSet<Key>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (rule, _, _) in found {
        *m.entry(rule.clone()).or_default() += 1;
    }
    m
}

#[test]
fn small_twenty_seeds_scan_exactly_to_truth() {
    for seed in 1..=20 {
        let found = scan_matches_truth(Scenario::Small, seed, None, None);
        let by_rule = rules(&found);
        for rule in common::SMALL_LAB_RULES {
            assert!(by_rule.contains_key(rule), "small seed {seed} lacks {rule}");
        }
    }
}

#[test]
fn contoso_three_seeds_scan_exactly_to_truth() {
    let mut all = BTreeMap::new();
    let mut severities = BTreeSet::new();
    for seed in 1..=3 {
        let found = scan_matches_truth(Scenario::Contoso, seed, None, None);
        for (rule, severity, _) in &found {
            severities.insert((rule.clone(), severity.clone()));
        }
        for (rule, n) in rules(&found) {
            *all.entry(rule).or_insert(0) += n;
        }
    }
    for rule in [
        "KZ-SC-001",
        "KZ-SC-002",
        "KZ-SC-003",
        "KZ-SID-001",
        "KZ-SID-003",
        "KZ-SID-004",
        "KZ-DC-001",
        "KZ-DC-002",
        "KZ-KRB-001",
        "KZ-NTLM-001",
    ] {
        assert!(all.contains_key(rule), "contoso lacks {rule}: {all:?}");
    }
    // Every seed's restored DC rejected some members that rotated after its snapshot.
    assert_eq!(all["KZ-DC-002"], 3, "{all:?}");
    // The mixed-DC period gives the expected 0xC00000E5 (low), laptops away medium ones.
    for sev in ["low", "medium", "high"] {
        assert!(
            severities.contains(&("KZ-SC-001".into(), sev.into())),
            "{severities:?}"
        );
    }
    assert!(
        all["KZ-SC-001"] > 50,
        "a realistic share of failing devices: {all:?}"
    );
}

#[test]
fn scale_scenario_small_instance_scans_exactly_to_truth() {
    let found = scan_matches_truth(Scenario::Scale, 5, Some(400), Some(30));
    let dc = found
        .iter()
        .find(|k| k.0 == "KZ-DC-002")
        .expect("the restored DC");
    assert!(dc.2.len() > 1, "it rejected members: {dc:?}");
}

fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    sim::output::list_files(dir)
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("a", 9), ("b", 9), ("c", 10)] {
        sim::generate(Scenario::Small, seed, None, None, &dir.path().join(name)).unwrap();
    }
    let a = tree_bytes(&dir.path().join("a"));
    let b = tree_bytes(&dir.path().join("b"));
    let c = tree_bytes(&dir.path().join("c"));
    assert!(a.len() > 100, "{} files", a.len());
    assert!(a == b, "same seed, byte-identical output");
    assert!(a != c, "another seed, another lab");
}

#[test]
fn lab_generate_command_writes_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuna(
        dir.path(),
        &[
            "lab",
            "generate",
            "--scenario",
            "contoso",
            "--seed",
            "2",
            "--devices",
            "120",
            "--days",
            "40",
            "--out",
            "c",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = dir.path().join("c");
    for f in [
        "truth.json",
        "evidence/inventory.csv",
        "evidence/psgetsid.txt",
        "directory/contoso.local.ldif",
        "evidence/DC01/System.evtx",
        "evidence/DC01/Security.evtx",
        "evidence/DC01/SYSTEM",
    ] {
        assert!(c.join(f).is_file(), "{f}");
    }
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth["scenario"], "contoso");
    assert_eq!(truth["devices"], 120);
    let ldif = std::fs::read_to_string(c.join("directory/contoso.local.ldif")).unwrap();
    // Every device, and the accounts of 4 retired machines (2% of the members, at least 4).
    assert_eq!(ldif.matches("\nobjectClass: computer\n").count(), 124);
    assert_eq!(
        ldif.matches("\ncn: PC-7").count() + ldif.matches("\ncn: SV-7").count(),
        4
    );
    assert!(
        !ldif.contains("dn: OU=Domain Controllers,"),
        "every domain has that OU: the LDIF must not add it"
    );
    assert!(truth["directory"]["findings"].is_array());
    assert!(ldif.contains("dn: CN=DC01,OU=Domain Controllers,DC=contoso,DC=local\n"));
    let bad = kizuna(
        dir.path(),
        &["lab", "generate", "--scenario", "huge", "--out", "x"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scenario"));
    let bad = kizuna(
        dir.path(),
        &["lab", "generate", "--domain", "not a domain", "--out", "x"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a DNS domain name"));
}

/// DC hives: the SECURITY hive names the domain (PolAcDmN = PolPrDmN) and holds the domain
/// SID, the SAM the local (DSRM) SID. The DC is named by its SYSTEM hive and carries the
/// domain's SID; no device is named after the domain.
#[test]
fn domain_controllers_from_their_hives() {
    let dir = tempfile::tempdir().unwrap();
    let got = sim::generate(Scenario::Small, 3, None, None, &dir.path().join("lab")).unwrap();
    let o = kizuna(dir.path(), &["devices", "lab/evidence", "--format", "json"]);
    let v = json(&o);
    let devices = v.as_array().expect("a device list");
    assert_eq!(devices.len(), got.domain.device_count());
    let domain_sid = got.domain.domain_sid.to_string();
    for name in ["DC01", "DC02"] {
        let dc = devices.iter().find(|d| d["name"] == name).expect(name);
        assert_eq!(dc["role"], "dc", "{dc}");
        assert_eq!(dc["machine_sid"], domain_sid.as_str(), "{dc}");
        assert_eq!(dc["os_build"], "26100.6584", "{dc}");
    }
    assert!(
        !devices
            .iter()
            .any(|d| d["name"] == got.domain.netbios.as_str())
    );
}

/// The lab's EVTX files hold the events no public sample has.
#[test]
fn lab_logs_hold_the_events_no_public_sample_has() {
    let dir = tempfile::tempdir().unwrap();
    sim::generate(Scenario::Small, 1, None, None, &dir.path().join("lab")).unwrap();
    let o = kizuna(dir.path(), &["scan", "lab/evidence", "--format", "json"]);
    let v = json(&o);
    let counts: BTreeMap<(String, u64), u64> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                (
                    e["provider"].as_str().unwrap().to_string(),
                    e["event_id"].as_u64().unwrap(),
                ),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect();
    for (provider, id) in [
        ("NETLOGON", 5722),
        ("NETLOGON", 3210),
        ("LsaSrv", 40960),
        ("LsaSrv", 6167),
        ("NETLOGON", 5723),
        ("NETLOGON", 5805),
        ("NETLOGON", 5719),
        ("NETLOGON", 5823),
        ("Microsoft-Windows-Security-Auditing", 4743),
        ("Microsoft-Windows-Security-Auditing", 4768),
        ("Microsoft-Windows-Kerberos-Key-Distribution-Center", 201),
        ("Microsoft-Windows-NTLM", 4024),
    ] {
        assert!(
            counts
                .get(&(provider.to_string(), id))
                .is_some_and(|&n| n > 0),
            "{provider} {id}: {counts:?}"
        );
    }
    let evtx_inputs = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "evtx")
        .count();
    assert!(evtx_inputs > 10, "{evtx_inputs} EVTX files");
}

/// The lab's directory from its LDIF alone, no DC: a scan of `directory/` reports exactly
/// the directory truth (judged at the time the LDIF states, whatever the clock says), and
/// a scan of evidence and LDIF together reports both truths. Random seeds, printed.
#[test]
fn lab_ldif_alone_scans_to_its_directory_truth() {
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 10_000;
    for (scenario, seed) in [
        (Scenario::Small, base),
        (Scenario::Small, base + 1),
        (Scenario::Contoso, base + 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let lab = sim::generate(scenario, seed, None, None, &dir.path().join("lab")).unwrap();
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("lab/truth.json")).unwrap())
                .unwrap();
        let want_directory = finding_keys(&truth["directory"]);
        assert!(!want_directory.is_empty(), "seed {seed}: {truth:#}");
        // A clock far from the lab's end: the ages come from the LDIF's stated time.
        let o = kizuna_at(
            dir.path(),
            "2031-01-01T00:00:00Z",
            &["scan", "lab/directory", "--format", "json"],
        );
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "seed {seed}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let scan = json(&o);
        let input = &scan["inputs"][0];
        assert_eq!(input["kind"], "ldif", "{input}");
        assert_eq!(input["status"], "ok", "{input}");
        let end = lab.domain.end().format("%Y-%m-%d %H:%M:%SZ").to_string();
        assert!(
            input["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_str().unwrap()
                    == format!("ages computed at {end} (the time the file states)")),
            "{input}"
        );
        assert_eq!(
            finding_keys(&scan),
            want_directory,
            "{} seed {seed}: the LDIF alone",
            scenario.name()
        );

        let end = lab.domain.end().to_rfc3339();
        let o = kizuna_at(
            dir.path(),
            &end,
            &["scan", "lab/evidence", "lab/directory", "--format", "json"],
        );
        let both = json(&o);
        let mut want = finding_keys(&truth);
        want.extend(want_directory);
        // One KZ-DC-001 names every DC the evidence or the directory shows.
        let dc = |keys: &BTreeSet<Key>| -> BTreeSet<String> {
            keys.iter()
                .filter(|k| k.0 == "KZ-DC-001")
                .flat_map(|k| k.2.clone())
                .collect()
        };
        let got = finding_keys(&both);
        assert_eq!(dc(&got), dc(&want), "seed {seed}");
        let strip = |keys: BTreeSet<Key>| -> BTreeSet<Key> {
            keys.into_iter().filter(|k| k.0 != "KZ-DC-001").collect()
        };
        assert_eq!(
            strip(got),
            strip(want),
            "{} seed {seed}: evidence and LDIF together",
            scenario.name()
        );
    }
}

/// A contoso domain run past the September 2026 updates: the pilot of Machine Identity
/// Isolation enforcement breaks its devices' trust (the domain is below the Windows Server
/// 2025 level), next to every other cause; the scan still equals the truth.
#[test]
fn contoso_through_september_2026_scans_exactly_to_truth() {
    let mut isolation = 0;
    for seed in [3, 4] {
        let found = scan_matches_truth(Scenario::Contoso, seed, Some(300), Some(300));
        isolation += found.iter().filter(|k| k.0 == "KZ-MII-001").count();
        for rule in ["KZ-KRB-001", "KZ-DC-002", "KZ-SC-002"] {
            assert!(
                found.iter().any(|k| k.0 == rule),
                "seed {seed} lacks {rule}"
            );
        }
    }
    assert!(
        isolation > 0,
        "no device still enforcing Machine Identity Isolation"
    );
}
