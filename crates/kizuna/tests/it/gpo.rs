//! `kizuna gpo workaround|rollback`: the kit's files, its refusals, and a round trip
//! through the real Samba DC — the kit deployed as Import-KizunaWorkaround.ps1 would
//! (GPO objects, SYSVOL files, the WMI filter, links from kit.json), then `kizuna ad audit`
//! sees the workaround scoped to the DC OU with its filter (KZ-AD-005, no KZ-AD-004), and
//! after the rollback kit nothing at all.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use kizuna_testbed::SambaDc;

/// Runs kizuna at this session's fixed time.
fn kizuna_now(dir: &Path, args: &[&str]) -> Output {
    common::kizuna_at(dir, NOW, args)
}

const NOW: &str = "2026-11-21T09:00:00Z";
const GPTTMPL_IN_BACKUP: &str = "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf";
const GPTTMPL_IN_SYSVOL: &str = "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf";

fn workaround(dir: &Path, domain: &str, pilot: &str, expires: &str, out: &str) -> Output {
    kizuna_now(
        dir,
        &[
            "gpo",
            "workaround",
            "--domain",
            domain,
            "--pilot-ou",
            pilot,
            "--expires",
            expires,
            "--out",
            out,
        ],
    )
}

#[test]
fn workaround_command_writes_the_kit_and_refuses_unsafe_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = workaround(
        dir.path(),
        "corp.example",
        "OU=Pilot,DC=corp,DC=example",
        "2027-02-28",
        "kit",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("CIS 2.3.6.5"),
        "the 0 caveat is printed: {err}"
    );
    assert!(err.contains("OU=Domain Controllers,DC=corp,DC=example"));
    let kit = dir.path().join("kit");
    for f in [
        "Import-KizunaWorkaround.ps1",
        "README.md",
        "README.ja.md",
        "kit.json",
        "manifest.xml",
        "WMI/kizuna-domain-controllers.mof",
    ] {
        assert!(kit.join(f).is_file(), "{f}");
    }
    let listed = common::stdout(&o);
    assert!(
        listed.contains("Backup.xml") && listed.contains("GptTmpl.inf"),
        "{listed}"
    );

    let o = workaround(
        dir.path(),
        "corp.example",
        "OU=Pilot,DC=corp,DC=example",
        "2027-02-28",
        "kit999",
    );
    assert_eq!(o.status.code(), Some(0));
    let o = kizuna_now(
        dir.path(),
        &[
            "gpo",
            "workaround",
            "--domain",
            "corp.example",
            "--pilot-ou",
            "OU=Pilot,DC=corp,DC=example",
            "--expires",
            "2027-02-28",
            "--member-max-age",
            "999",
            "--out",
            "kit999",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("CIS 2.3.6.5"),
        "no caveat for 999"
    );

    for (pilot, expires, want) in [
        (
            "OU=Domain Controllers,DC=corp,DC=example",
            "2027-02-28",
            "must not reach DCs",
        ),
        ("DC=corp,DC=example", "2027-02-28", "domain root"),
        (
            "OU=Pilot,DC=corp,DC=example",
            "2026-11-20",
            "not after today",
        ),
        ("OU=Pilot,DC=corp,DC=example", "2028-06-01", "stopgap"),
        ("OU=Pilot,DC=corp,DC=example", "next month", "YYYY-MM-DD"),
    ] {
        let o = workaround(dir.path(), "corp.example", pilot, expires, "bad");
        assert_eq!(o.status.code(), Some(2), "{pilot} {expires}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{pilot} {expires}: {err}");
    }
    assert!(
        !dir.path().join("bad").exists(),
        "nothing written on refusal"
    );

    let o = kizuna_now(
        dir.path(),
        &[
            "gpo",
            "rollback",
            "--domain",
            "corp.example",
            "--after-version",
            "4",
            "--out",
            "rb",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let kit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rb/kit.json")).unwrap()).unwrap();
    assert_eq!(kit["gpos"][0]["version"], 5, "one past the live version");
    assert!(dir.path().join("rb/Remove-KizunaWorkaround.ps1").is_file());
}

/// Deploys a kit's GPOs into the DC as the import script does; returns the GPO GUIDs by name.
fn deploy(dc: &SambaDc, kit_dir: &Path, links: bool, guids: &mut Vec<(String, String)>) {
    let info = dc.info();
    let kit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kit_dir.join("kit.json")).unwrap()).unwrap();
    let mut filter_ref = None;
    if let Some(f) = kit.get("wmi_filter") {
        let id = dc
            .create_wmi_filter(f["name"].as_str().unwrap(), f["query"].as_str().unwrap())
            .unwrap();
        filter_ref = Some(format!("[{};{id};0]", info.dns_domain));
    }
    for (i, g) in kit["gpos"].as_array().unwrap().iter().enumerate() {
        let guid = match guids.get(i) {
            Some((_, guid)) => guid.clone(), // the rollback imports into the live GPO
            None => {
                let guid = dc.create_gpo(g["display_name"].as_str().unwrap()).unwrap();
                guids.push((
                    g["display_name"].as_str().unwrap().to_string(),
                    guid.clone(),
                ));
                guid
            }
        };
        let backup = kit_dir.join(g["backup_id"].as_str().unwrap());
        dc.write_sysvol(
            &guid,
            GPTTMPL_IN_SYSVOL,
            &std::fs::read(backup.join(GPTTMPL_IN_BACKUP)).unwrap(),
        )
        .unwrap();
        let version = g["version"].as_u64().unwrap().to_string();
        let mut attrs = vec![
            (
                "gPCMachineExtensionNames",
                g["gPCMachineExtensionNames"].as_str().unwrap(),
            ),
            ("versionNumber", version.as_str()),
        ];
        let wql = g["wmi_filter"].as_str().and(filter_ref.clone());
        if let Some(w) = &wql {
            attrs.push(("gPCWQLFilter", w.as_str()));
        }
        dc.set_gpo_attrs(&guid, &attrs).unwrap();
        if links && let Some(link) = g["link"].as_str() {
            dc.link_gpo(link, &guid, 0).unwrap();
        }
    }
}

/// The options that read the testbed DC (LDAPS, SYSVOL from its folder), JSON out.
fn dc_options(dc: &SambaDc) -> Vec<String> {
    let info = dc.info();
    [
        "--server",
        &info.ldaps_url,
        "--bind",
        &info.admin_upn,
        "--password-file",
        info.password_file.to_str().unwrap(),
        "--ca-cert",
        info.ca_cert.to_str().unwrap(),
        "--sysvol",
        info.sysvol.to_str().unwrap(),
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec()
}

fn audit(dir: &Path, dc: &SambaDc) -> serde_json::Value {
    let options = dc_options(dc);
    let mut args = vec!["ad", "audit"];
    args.extend(options.iter().map(String::as_str));
    let o = kizuna_now(dir, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::json(&o)
}

fn gpo_findings(v: &serde_json::Value, rule: &str) -> Vec<serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .cloned()
        .collect()
}

#[test]
fn kit_round_trip_through_a_real_dc() {
    if let Err(why) = kizuna_testbed::available() {
        panic!("the Samba testbed cannot run here: {why}");
    }
    let dc = SambaDc::start().expect("the Samba DC starts");
    let info = dc.info().clone();
    let work = tempfile::tempdir().unwrap();
    dc.add_local(&format!(
        "dn: OU=Pilot,{}\nobjectClass: organizationalUnit\n\n",
        info.base_dn
    ))
    .unwrap();
    let pilot = format!("OU=Pilot,{}", info.base_dn);
    let o = workaround(work.path(), &info.dns_domain, &pilot, "2027-01-31", "kit");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut guids = Vec::new();
    deploy(&dc, &work.path().join("kit"), true, &mut guids);

    let v = audit(work.path(), &dc);
    assert!(
        gpo_findings(&v, "KZ-AD-004").is_empty(),
        "the kit's Refuse GPO is DC-scoped and filtered: {v:#}"
    );
    let found = gpo_findings(&v, "KZ-AD-005");
    let names: BTreeSet<String> = found
        .iter()
        .map(|f| f["subjects"][0].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = guids.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, want, "{v:#}");
    let dc_finding = found
        .iter()
        .find(|f| f["subjects"][0].as_str().unwrap().contains("Refuse"))
        .unwrap();
    let text = dc_finding.to_string();
    assert!(
        text.contains(&format!("OU=Domain Controllers,{}", info.base_dn)),
        "scope: {text}"
    );
    assert!(
        text.contains("ProductType"),
        "the WMI filter is read: {text}"
    );
    assert!(
        text.contains("2027-01-31"),
        "the expiry is read from the name: {text}"
    );
    assert_eq!(dc_finding["severity"], "medium", "not overdue on {NOW}");

    // Past the expiry in the GPOs' names, a DC hive written after it that still refuses
    // is KZ-POL-004, the date taken from the directory (no --expires, no plan).
    let mut m =
        kizuna_lab::hive::MachineHives::sample(kizuna_lab::hive::MachineRole::DomainController);
    m.refuse_password_change = Some(1);
    m.last_written = chrono::DateTime::parse_from_rfc3339("2027-02-10T12:00:00Z")
        .unwrap()
        .to_utc();
    kizuna_lab::hive::write_machine_hives(&work.path().join("hives/DC-LAB01"), &m).unwrap();
    let options = dc_options(&dc);
    let mut args = vec!["scan", "hives"];
    args.extend(options.iter().map(String::as_str));
    let o = common::kizuna_at(work.path(), "2027-02-15T09:00:00Z", &args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = common::json(&o);
    let past = gpo_findings(&v, "KZ-POL-004");
    assert_eq!(past.len(), 1, "{v:#}");
    assert_eq!(past[0]["severity"], "high");
    assert_eq!(past[0]["subjects"], serde_json::json!(["DC-LAB01"]));
    let detail = past[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("the expiry in the name of GPO \"kizuna workaround - ")
            && detail.contains("(expires 2027-01-31)\"); that was 15 days ago"),
        "{detail}"
    );

    // Mis-link the same Refuse GPO at the domain root: KZ-AD-004 at once.
    dc.link_gpo(&info.base_dn, &guids[0].1, 0).unwrap();
    let v = audit(work.path(), &dc);
    assert_eq!(gpo_findings(&v, "KZ-AD-004").len(), 1, "{v:#}");
    dc.link_gpo(&info.base_dn, &guids[0].1, 1).unwrap(); // link disabled again

    // The rollback kit into the same GPOs: the defaults, so no workaround is reported.
    let o = kizuna_now(
        work.path(),
        &[
            "gpo",
            "rollback",
            "--domain",
            &info.dns_domain,
            "--out",
            "rb",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    deploy(&dc, &work.path().join("rb"), false, &mut guids);
    let v = audit(work.path(), &dc);
    assert!(gpo_findings(&v, "KZ-AD-005").is_empty(), "{v:#}");
    assert!(gpo_findings(&v, "KZ-AD-004").is_empty(), "{v:#}");
    dc.stop().unwrap();
}

/// The workaround kit is checked against the evidence of `--db`: refused when every
/// failure is a look-alike of problem A, written with a warning naming the look-alike
/// devices when problem A is there too, and written as asked with `--despite-lookalikes`.
#[test]
fn workaround_is_refused_when_the_evidence_shows_only_lookalikes() {
    use kizuna_lab::writers::{LabEvent, write_wevtutil_xml};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let time = chrono::DateTime::parse_from_rfc3339("2026-11-10T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    // PC7's RC4-only account refused by the KDC; no NETLOGON failure anywhere.
    let refused = LabEvent {
        provider: "Microsoft-Windows-Security-Auditing",
        event_id: 4768,
        qualifiers: None,
        level: 0,
        time,
        record_id: 1,
        channel: "Security",
        computer: "DC1.corp.example".into(),
        data: vec![],
        named: vec![
            ("TargetUserName".into(), "PC7$".into()),
            ("TargetDomainName".into(), "CORP".into()),
            ("Status".into(), "0xe".into()),
        ],
        status: None,
    };
    std::fs::create_dir_all(d.join("ev")).unwrap();
    let mut f = std::fs::File::create(d.join("ev/dc1.xml")).unwrap();
    write_wevtutil_xml(&mut f, &[refused]).unwrap();
    drop(f);
    let o = kizuna_now(d, &["scan", "ev", "--db", "only.db", "--format", "json"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
    let args = |db: &str, out: &str, extra: &[&str]| {
        let mut a = vec![
            "gpo",
            "workaround",
            "--domain",
            "corp.example",
            "--pilot-ou",
            "OU=Pilot,DC=corp,DC=example",
            "--expires",
            "2027-02-28",
            "--out",
            out,
            "--db",
            db,
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        kizuna_now(d, &a)
    };
    let o = run(args("only.db", "kit1", &[]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not written") && err.contains("PC7 (KZ-KRB-001)"),
        "{err}"
    );
    assert!(!d.join("kit1").exists(), "nothing is written");
    let o = run(args("only.db", "kit2", &["--despite-lookalikes"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("Written anyway"), "{err}");
    assert!(d.join("kit2/kit.json").exists());

    // The small lab: problem A on several devices, and look-alikes beside it.
    kizuna_lab::sim::generate(
        kizuna_lab::sim::Scenario::Small,
        1,
        None,
        None,
        &d.join("lab"),
    )
    .unwrap();
    let o = kizuna_now(
        d,
        &["scan", "lab/evidence", "--db", "lab.db", "--format", "json"],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{o:?}");
    let o = run(args("lab.db", "kit3", &[]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("besides problem A") && err.contains("PC-OLD1 (KZ-KRB-001)"),
        "{err}"
    );
    assert!(d.join("kit3/kit.json").exists());
}
