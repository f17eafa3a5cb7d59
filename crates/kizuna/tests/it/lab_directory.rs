//! The lab's directory in a real DC. `kizuna lab generate --domain lab.test` writes the
//! computer objects as LDIF and, in truth.json, what the directory audit must report; the
//! Samba testbed DC is seeded with that LDIF (the times through the local sam.ldb, as
//! LDAP cannot write them); then `kizuna ad audit` must report exactly the lab's directory
//! findings, and `kizuna scan EVIDENCE --server` the evidence's and the directory's
//! together. The seed is random (printed): a blind check of the rules' thresholds.

use crate::common;

use std::collections::BTreeSet;

use kizuna_testbed::SambaDc;

type Key = (String, String, Vec<String>);

/// The DC-001 key with `extra` among its subjects (the testbed DC is one more DC).
fn with_dc(keys: BTreeSet<Key>, extra: &str) -> BTreeSet<Key> {
    keys.into_iter()
        .map(|(rule, sev, mut subjects)| {
            if rule == "KZ-DC-001" {
                subjects.push(extra.to_string());
                subjects.sort();
            }
            (rule, sev, subjects)
        })
        .collect()
}

#[test]
fn lab_directory_seeded_into_a_real_dc() {
    if let Err(why) = kizuna_testbed::available() {
        panic!("the Samba testbed cannot run here: {why}");
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 10_000;
    eprintln!("lab seed {seed}");
    let work = tempfile::tempdir().unwrap();
    let lab = work.path().join("lab");
    let o = common::kizuna(
        work.path(),
        &[
            "lab",
            "generate",
            "--scenario",
            "small",
            "--seed",
            &seed.to_string(),
            "--domain",
            "lab.test",
            "--out",
            lab.to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lab.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth["domain"], "lab.test");
    let now = truth["end"].as_str().unwrap().to_string();
    let want_directory = common::finding_keys(&truth["directory"]);
    let rules: BTreeSet<&str> = want_directory.iter().map(|k| k.0.as_str()).collect();
    for rule in ["KZ-AD-001", "KZ-AD-003", "KZ-AD-006", "KZ-DC-001"] {
        assert!(
            rules.contains(rule),
            "seed {seed}: the small lab's directory shows {rule}: {truth:#}"
        );
    }

    let dc = SambaDc::start().expect("the Samba DC starts");
    let info = dc.info().clone();
    let ldif =
        std::fs::read_to_string(lab.join(truth["directory"]["ldif"].as_str().unwrap())).unwrap();
    let entries = ldif.matches("\ndn: ").count();
    dc.add_local(&ldif)
        .expect("the lab's LDIF loads into the DC");
    // The testbed DC reports Samba's own OS; make it one more Server 2025 DC of the lab.
    dc.modify_local(&format!(
        "dn: {}\nchangetype: modify\nreplace: operatingSystem\noperatingSystem: Windows Server 2025 Datacenter\n-\n\
replace: operatingSystemVersion\noperatingSystemVersion: 10.0 (26100)\n-\n",
        info.dc_dn
    ))
    .unwrap();

    let pw = info.password_file.to_str().unwrap();
    let ca = info.ca_cert.to_str().unwrap();
    let connect = [
        "--server",
        info.ldaps_url.as_str(),
        "--bind",
        info.admin_upn.as_str(),
        "--password-file",
        pw,
        "--ca-cert",
        ca,
        "--format",
        "json",
    ];
    let mut args = vec!["ad", "audit"];
    args.extend(connect);
    let o = common::kizuna_at(work.path(), &now, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let audit = common::json(&o);
    assert!(
        audit["inputs"][0]["records"].as_u64().unwrap() >= entries as u64 / 2,
        "every computer object read: {:#}",
        audit["inputs"]
    );
    assert_eq!(
        common::finding_keys(&audit),
        with_dc(want_directory.clone(), &info.dc_name),
        "seed {seed}: ad audit of the lab's directory"
    );

    // The evidence and the directory in one scan: both truths, one DC-001 naming every DC.
    let evidence = lab.join("evidence");
    let mut args = vec!["scan", evidence.to_str().unwrap()];
    args.extend(connect);
    let o = common::kizuna_at(work.path(), &now, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let scan = common::json(&o);
    let mut want: BTreeSet<Key> = common::finding_keys(&truth)
        .into_iter()
        .filter(|k| k.0 != "KZ-DC-001")
        .collect();
    want.extend(with_dc(want_directory, &info.dc_name));
    assert_eq!(
        common::finding_keys(&scan),
        want,
        "seed {seed}: scan of the lab's evidence with its directory"
    );
    dc.stop().unwrap();
}
