//! Registry hives from the real corpus through `kizuna scan`: machine SIDs, names, logs,
//! damage, and one device per folder.

use crate::common;

use common::{corpus, json, kizuna};

/// MANIFEST ground truth (regipy 6.5.0): hive → machine SID.
const SIDS: &[(&str, &str)] = &[
    ("winregkb_SAM", "S-1-5-21-4070822719-3404542230-2541167049"),
    (
        "winregkb_SECURITY",
        "S-1-5-21-4070822719-3404542230-2541167049",
    ),
    ("grownd_SAM", "S-1-5-21-2702878673-795188819-444038987"),
    ("grownd_SECURITY", "S-1-5-21-2702878673-795188819-444038987"),
    ("regipy_SAM", "S-1-5-21-1760460187-1592185332-161725925"),
    (
        "regipy_SECURITY",
        "S-1-5-21-1786693902-1815088602-2777321892",
    ),
    (
        "ez_SAM_DUPENAME",
        "S-1-5-21-4271176276-4210259494-4108073714",
    ),
    (
        "ez_SAMBadHBinHeader",
        "S-1-5-21-3064465268-1549819264-574340205",
    ),
];

#[test]
fn every_hive_in_its_own_folder_gives_the_manifest_sid() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (hive, _) in SIDS {
        let d = dir
            .path()
            .join(format!("box-{}", hive.to_lowercase().replace('_', "-")));
        std::fs::create_dir_all(&d).unwrap();
        std::os::unix::fs::symlink(c.join("hives").join(hive), d.join(hive)).unwrap();
    }
    let v = json(&kizuna(dir.path(), &["scan", ".", "--format", "json"]));
    for (hive, sid) in SIDS {
        let input = v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(hive))
            .unwrap();
        assert!(
            input["kind"].as_str().unwrap().starts_with("hive-"),
            "{input}"
        );
        let folder = format!("BOX-{}", hive.to_uppercase().replace('_', "-"));
        let device = v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s.as_str().unwrap().ends_with(hive))
            })
            .unwrap_or_else(|| panic!("no device for {hive}"));
        assert_eq!(device["machine_sid"], *sid, "{hive}");
        if hive.ends_with("SAM") {
            assert_eq!(
                device["name"], folder,
                "a lone SAM hive is named by its folder"
            );
        }
    }
    let bad = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("ez_SAMBadHBinHeader"))
        .unwrap();
    assert_eq!(bad["status"], "partial");
    assert!(
        bad["errors"][0].as_str().unwrap().contains("0x2000"),
        "{bad}"
    );
}

#[test]
fn a_sam_and_security_pair_in_one_folder_is_one_device() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pc = dir.path().join("collected/pc8");
    std::fs::create_dir_all(&pc).unwrap();
    for h in ["winregkb_SAM", "winregkb_SECURITY"] {
        std::os::unix::fs::symlink(c.join("hives").join(h), pc.join(h)).unwrap();
    }
    let v = json(&kizuna(
        dir.path(),
        &["scan", "collected", "--format", "json"],
    ));
    let devices = v["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(
        devices[0]["name"], "STUDENT-PC8",
        "named by the SECURITY hive (PolAcDmN)"
    );
    assert_eq!(devices[0]["domain"], "internal.greendale.edu");
    assert_eq!(devices[0]["sources"].as_array().unwrap().len(), 2);
}

#[test]
fn system_hives_names_logs_and_damage() {
    let Some(c) = corpus() else { return };
    let v = json(&kizuna(
        &c.join("hives"),
        &["scan", ".", "--format", "json"],
    ));
    let input = |name: &str| {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == format!("./{name}"))
            .unwrap()
            .clone()
    };
    let b = input("regipy_SYSTEM_B.xz");
    assert_eq!(b["kind"], "hive-system");
    assert_eq!(
        b["records"], 35595,
        "key count with both logs applied (MANIFEST)"
    );
    assert!(
        b["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("2 transaction logs applied")),
        "{b}"
    );
    assert_eq!(input("regipy_SYSTEM_B.LOG1.xz")["kind"], "hive-log");
    let corrupt = input("regipy_corrupted_system_hive.xz");
    assert_eq!(corrupt["status"], "partial");
    assert!(corrupt["records"].as_u64().unwrap() > 1000);
    let names: Vec<&str> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for n in [
        "WKS-WIN732BITA",
        "DESKTOP-PM6C56D",
        "GINEVRA",
        "STUDENT-PC8",
        "DESKTOP-M964FJN",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let wks = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "WKS-WIN732BITA")
        .unwrap();
    assert_eq!(wks["role"], "workstation");
    assert_eq!(wks["domain"], "shieldbase.local");
    assert_eq!(wks["netlogon"]["MaximumPasswordAge"], 30);
    // The folder mixes machines: SAMs are split by SID, never merged into one device.
    let sids: std::collections::BTreeSet<&str> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["machine_sid"].as_str())
        .collect();
    assert_eq!(sids.len(), 6, "{sids:?}");
    assert!(
        v["findings"].as_array().unwrap().is_empty(),
        "no shared SIDs in the corpus"
    );
}
