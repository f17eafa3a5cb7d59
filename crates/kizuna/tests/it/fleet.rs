//! Machine identity across a fleet: inventories in UTF-16LE, CP932 and UTF-8 JSON, and
//! PsGetSid output, merged per device; every duplicate-SID case of the issue.

use crate::common;

use std::collections::BTreeSet;

use common::{json, kizuna, stdout};

#[test]
fn fleet_duplicate_sids_match_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let truth = kizuna_lab::fleet::write(&dir.path().join("fleet")).unwrap();
    let o = kizuna(dir.path(), &["scan", "fleet", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "critical findings");
    let v = json(&o);
    let kinds: Vec<(&str, &str)> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["path"].as_str().unwrap(), i["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("fleet/PC-CLONE2/System.xml", "event-xml"),
            ("fleet/inventory-ps51.csv", "inventory-csv"),
            ("fleet/inventory.json", "inventory-json"),
            ("fleet/psgetsid.txt", "psgetsid"),
            ("fleet/資産一覧.csv", "inventory-csv"),
        ]
    );
    let ps = &v["inputs"][3];
    assert_eq!(ps["kept"], 2);
    assert_eq!(ps["status"], "partial", "the unreachable host is reported");
    assert!(
        ps["errors"][0].as_str().unwrap().contains("PC-GONE"),
        "{ps}"
    );

    let got: BTreeSet<(String, Vec<String>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), common::subjects(f)))
        .collect();
    let want: BTreeSet<(String, Vec<String>)> = truth
        .findings
        .iter()
        .map(|(r, s)| (r.to_string(), s.iter().map(|x| x.to_string()).collect()))
        .collect();
    assert_eq!(got, want);

    let devices = v["devices"].as_array().unwrap();
    for (name, sid) in &truth.sids {
        let d = devices
            .iter()
            .find(|d| d["name"] == *name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(d["machine_sid"], *sid, "{name}");
    }
    let dev = |n: &str| devices.iter().find(|d| d["name"] == n).unwrap();
    assert_eq!(dev("DC01")["role"], "dc");
    assert_eq!(dev("DC02")["role"], "dc");
    assert_eq!(dev("PC-UNIQUE")["role"], "server", "サーバー");
    assert_eq!(dev("PC-X")["os_build"], "26100.6584", "CurrentBuild + UBR");
    assert_eq!(dev("PC-X")["domain"], "corp.example");
    assert_eq!(dev("PC-UNK")["affected_by_sid_check"], "unknown");
    assert_eq!(dev("PC-OLD1")["affected_by_sid_check"], "no");
    assert_eq!(dev("PC-CLONE2")["affected_by_sid_check"], "yes");
    // PC-CLONE1 is in the UTF-16 inventory and in PsGetSid: one device, two sources.
    assert_eq!(dev("PC-CLONE1")["sources"].as_array().unwrap().len(), 2);

    let later = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "KZ-SID-002" && f["subjects"][0] == "PC-NEW1")
        .unwrap();
    assert!(
        later["detail"]
            .as_str()
            .unwrap()
            .contains("PC-OLD1: KB5064081"),
        "{later}"
    );
    let unk = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subjects"][0] == "PC-UNK")
        .unwrap();
    assert!(
        unk["detail"]
            .as_str()
            .unwrap()
            .contains("Builds unknown (not guessed): PC-UNK"),
        "{unk}"
    );
    let refused = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "KZ-SID-004")
        .unwrap();
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("devices known to share it: PC-CLONE1"),
        "{refused}"
    );
    let dc = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "KZ-SID-003")
        .unwrap();
    assert_eq!(dc["severity"], "critical");
    assert!(
        dc["remedy"].as_str().unwrap().contains("Keep DC01, DC02"),
        "{dc}"
    );
}

#[test]
fn fleet_text_ja_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    kizuna_lab::fleet::write(&dir.path().join("fleet")).unwrap();
    let o = kizuna(dir.path(), &["scan", "fleet", "--lang", "ja"]);
    insta::assert_snapshot!("fleet_text_ja", stdout(&o));
    let o = kizuna(dir.path(), &["devices", "fleet"]);
    insta::assert_snapshot!("fleet_devices_table", stdout(&o));
}
