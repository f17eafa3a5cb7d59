//! The kits byte by byte, against the real GPMC backups in `../shared/corpus/gpo/`, and
//! read back by kizuna's own GPO reader (the one `kizuna ad audit --sysvol` uses).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use kizuna_core::directory::{DirGpo, DirectorySnapshot};
use kizuna_gpo_kit::{DomainName, KitError, Rollback, Workaround};
use quick_xml::events::Event;

fn time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 21)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap()
}

fn kit(domain: &str) -> Workaround {
    Workaround::new(
        DomainName::parse(domain).unwrap(),
        &format!(
            "OU=Pilot,OU=Workstations,{}",
            DomainName::parse(domain).unwrap().dn()
        ),
        NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        0,
        time(),
    )
    .unwrap()
}

fn corpus_backups() -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/gpo");
    if !root.is_dir() {
        eprintln!(
            "\n*** SKIPPED: ../shared/corpus/gpo is absent; the layout comparison needs it ***\n"
        );
        return None;
    }
    let mut v = Vec::new();
    for set in std::fs::read_dir(&root).unwrap() {
        let set = set.unwrap().path();
        for b in std::fs::read_dir(&set).into_iter().flatten() {
            let b = b.unwrap().path();
            if b.join("Backup.xml").is_file() {
                v.push(b);
            }
        }
    }
    assert!(v.len() >= 3, "the corpus holds three backups");
    Some(v)
}

fn utf16(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "UTF-16LE BOM");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn assert_crlf(text: &str, what: &str) {
    assert!(
        text.ends_with("\r\n") || what.contains("gpreport"),
        "{what} ends with CRLF"
    );
    for (i, _) in text.match_indices('\n') {
        assert!(
            i > 0 && text.as_bytes()[i - 1] == b'\r',
            "{what}: bare LF at byte {i}"
        );
    }
}

/// Child element names of the first `parent` element.
fn children(xml: &str, parent: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let (mut inside, mut depth, mut out) = (false, 0, Vec::new());
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_string();
                if inside {
                    if depth == 0 {
                        out.push(name);
                    }
                    depth += 1;
                } else if name == parent {
                    inside = true;
                }
            }
            Event::Empty(e) if inside && depth == 0 => {
                out.push(e.local_name().into_inner().to_string())
            }
            Event::End(e) if inside => {
                if depth == 0 {
                    let _ = e;
                    return out;
                }
                depth -= 1;
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn well_formed(xml: &str) {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut depth = 0i32;
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "balanced");
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push(
                    p.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    v.sort();
    v
}

#[test]
fn gpttmpl_bytes() {
    let out = tempfile::tempdir().unwrap();
    let k = kit("corp.example");
    k.write(out.path()).unwrap();
    let dc = out
        .path()
        .join(&k.refuse.backup().backup_id)
        .join(kizuna_gpo_kit::backup::GPTTMPL_IN_BACKUP);
    let bytes = std::fs::read(dc).unwrap();
    let text = utf16(&bytes);
    assert_crlf(&text, "GptTmpl.inf");
    assert_eq!(
        text,
        "[Unicode]\r\nUnicode=yes\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
    );
    let member = out
        .path()
        .join(&k.member.backup().backup_id)
        .join(kizuna_gpo_kit::backup::GPTTMPL_IN_BACKUP);
    let text = utf16(&std::fs::read(member).unwrap());
    assert!(text.contains("\\Netlogon\\Parameters\\MaximumPasswordAge=4,0\r\n"));
    assert!(
        !text.contains("RefusePasswordChange"),
        "members never get Refuse"
    );
}

#[test]
fn layout_and_encodings_match_real_backups() {
    let out = tempfile::tempdir().unwrap();
    let k = kit("corp.example");
    k.write(out.path()).unwrap();
    for b in [k.refuse.backup(), k.member.backup()] {
        let dir = out.path().join(&b.backup_id);
        let ours = files_under(&dir);
        assert_eq!(
            ours,
            vec![
                "Backup.xml",
                "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf",
                "bkupInfo.xml",
                "gpreport.xml",
            ]
        );
        let backup = std::fs::read_to_string(dir.join("Backup.xml")).unwrap();
        assert_crlf(&backup, "Backup.xml");
        well_formed(&backup);
        assert!(backup.contains(
            "<MachineExtensionGuids><![CDATA[[{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]]]></MachineExtensionGuids>"
        ));
        assert!(
            backup.contains("<MachineVersionNumber><![CDATA[65537]]></MachineVersionNumber>"),
            "version 1 on both the directory and SYSVOL halves"
        );
        assert!(backup.contains("<UserVersionNumber><![CDATA[0]]></UserVersionNumber>"));
        assert!(backup.contains(&format!("<ID><![CDATA[{}]]></ID>", b.gpo_guid)));
        assert!(backup.contains("bkp:Location=\"DomainSysvol\\GPO\\Machine\\microsoft\\windows nt\\SecEdit\\GptTmpl.inf\""));
        let info = std::fs::read_to_string(dir.join("bkupInfo.xml")).unwrap();
        assert_crlf(&info, "bkupInfo.xml");
        well_formed(&info);
        assert_eq!(info.lines().count(), 1);
        assert!(info.contains(&format!("<ID><![CDATA[{}]]></ID>", b.backup_id)));
        let report = utf16(&std::fs::read(dir.join("gpreport.xml")).unwrap());
        assert_crlf(&report, "gpreport.xml");
        well_formed(&report.replacen("encoding=\"utf-16\"", "", 1));
        assert!(report.contains("<VersionDirectory>1</VersionDirectory>"));
    }
    let manifest = std::fs::read_to_string(out.path().join("manifest.xml")).unwrap();
    well_formed(&manifest);
    assert_eq!(manifest.matches("<BackupInst>").count(), 2);

    let Some(real) = corpus_backups() else { return };
    let ours = std::fs::read_to_string(
        out.path()
            .join(&k.refuse.backup().backup_id)
            .join("Backup.xml"),
    )
    .unwrap();
    let our_core = children(&ours, "GroupPolicyCoreSettings");
    let our_info = children(
        &std::fs::read_to_string(
            out.path()
                .join(&k.refuse.backup().backup_id)
                .join("bkupInfo.xml"),
        )
        .unwrap(),
        "BackupInst",
    );
    let our_report = children(
        &utf16(
            &std::fs::read(
                out.path()
                    .join(&k.refuse.backup().backup_id)
                    .join("gpreport.xml"),
            )
            .unwrap(),
        )
        .replacen("encoding=\"utf-16\"", "", 1),
        "GPO",
    );
    for r in &real {
        let theirs = std::fs::read(r.join("Backup.xml")).unwrap();
        let theirs = String::from_utf8(theirs).unwrap();
        // Same prologue, same core settings in the same order.
        assert_eq!(
            &ours[..120],
            &theirs[..120],
            "{}: Backup.xml prologue",
            r.display()
        );
        assert_eq!(
            our_core,
            children(&theirs, "GroupPolicyCoreSettings"),
            "{}",
            r.display()
        );
        let info = std::fs::read_to_string(r.join("bkupInfo.xml")).unwrap();
        assert_eq!(our_info, children(&info, "BackupInst"), "{}", r.display());
        assert!(info.ends_with("\r\n") && ours.ends_with("\r\n"));
        let report_bytes = std::fs::read(r.join("gpreport.xml")).unwrap();
        let report = utf16(&report_bytes);
        assert!(report.starts_with("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<GPO "));
        // Our report's top-level elements appear in theirs, in the same order.
        let theirs_top = children(&report.replacen("encoding=\"utf-16\"", "", 1), "GPO");
        let mut it = theirs_top.iter();
        for e in &our_report {
            assert!(
                it.any(|t| t == e),
                "{}: gpreport <{e}> in GPMC's order",
                r.display()
            );
        }
        // Every file we write sits where the real backups put it, with their encoding.
        let inf = r.join("DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf");
        if inf.is_file() {
            let t = utf16(&std::fs::read(inf).unwrap());
            assert!(t.starts_with("[Unicode]\r\nUnicode=yes\r\n"));
        }
    }
}

#[test]
fn read_back_by_kizunas_gpo_reader() {
    let out = tempfile::tempdir().unwrap();
    let k = kit("corp.example");
    k.write(out.path()).unwrap();
    let gpo = |guid: &str| DirGpo {
        guid: guid.to_string(),
        dn: format!("CN={guid},CN=Policies,CN=System,DC=corp,DC=example"),
        display_name: None,
        flags: 0,
        version_number: None,
        machine_extension_names: None,
        wql_filter: None,
        when_changed: None,
        registry_values: None,
    };
    let mut snap = DirectorySnapshot {
        gpos: vec![
            gpo(&k.refuse.backup().gpo_guid),
            gpo(&k.member.backup().gpo_guid),
        ],
        ..Default::default()
    };
    kizuna_directory::read_sysvol(out.path(), &mut snap).unwrap();
    let values =
        |i: usize| -> BTreeMap<String, String> { snap.gpos[i].registry_values.clone().unwrap() };
    let key = |v: &str| {
        format!("MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\{v}")
    };
    assert_eq!(
        values(0),
        BTreeMap::from([(key("RefusePasswordChange"), "4,1".to_string())])
    );
    assert_eq!(
        values(1),
        BTreeMap::from([(key("MaximumPasswordAge"), "4,0".to_string())])
    );
    assert_eq!(snap.gpos[0].netlogon_value("RefusePasswordChange"), Some(1));
    assert_eq!(snap.gpos[1].netlogon_value("MaximumPasswordAge"), Some(0));

    // The rollback kit targets the same GPOs with the defaults, one version later.
    let rb = Rollback::new(DomainName::parse("corp.example").unwrap(), None, time());
    let out2 = tempfile::tempdir().unwrap();
    rb.write(out2.path()).unwrap();
    assert_eq!(rb.dc_gpo.gpo_guid, k.refuse.backup().gpo_guid);
    assert_eq!(rb.member_gpo.gpo_guid, k.member.backup().gpo_guid);
    assert_ne!(rb.dc_gpo.backup_id, k.refuse.backup().backup_id);
    assert!(
        rb.dc_gpo.version > k.refuse.backup().version,
        "versions only go up"
    );
    for g in snap.gpos.iter_mut() {
        g.registry_values = None;
    }
    kizuna_directory::read_sysvol(out2.path(), &mut snap).unwrap();
    assert_eq!(snap.gpos[0].netlogon_value("RefusePasswordChange"), Some(0));
    assert_eq!(snap.gpos[1].netlogon_value("MaximumPasswordAge"), Some(30));
    let backup =
        std::fs::read_to_string(out2.path().join(&rb.dc_gpo.backup_id).join("Backup.xml")).unwrap();
    assert!(backup.contains("<MachineVersionNumber><![CDATA[131074]]></MachineVersionNumber>"));
}

#[test]
fn refuse_is_scoped_to_domain_controllers_whatever_the_input() {
    for domain in ["corp.example", "a.b.c.example", "x-1.test"] {
        let d = DomainName::parse(domain).unwrap();
        let k = kit(domain);
        assert_eq!(
            k.refuse.link().dn(),
            format!("OU=Domain Controllers,{}", d.dn())
        );
        assert_eq!(
            k.refuse.filter().query,
            "SELECT * FROM Win32_OperatingSystem WHERE ProductType = \"2\""
        );
        let out = tempfile::tempdir().unwrap();
        k.write(out.path()).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("kit.json")).unwrap()).unwrap();
        let gpos = json["gpos"].as_array().unwrap();
        let refuse: Vec<&serde_json::Value> = gpos
            .iter()
            .filter(|g| {
                g["settings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s.as_str().unwrap().contains("RefusePasswordChange"))
            })
            .collect();
        assert_eq!(refuse.len(), 1);
        assert_eq!(
            refuse[0]["link"],
            format!("OU=Domain Controllers,{}", d.dn())
        );
        assert_eq!(refuse[0]["wmi_filter"], json["wmi_filter"]["id"]);
        let script =
            std::fs::read_to_string(out.path().join("Import-KizunaWorkaround.ps1")).unwrap();
        assert_eq!(script.matches("$DcOu = ").count(), 1);
        assert!(script.contains(&format!("$DcOu = 'OU=Domain Controllers,{}'", d.dn())));
        assert!(script.contains("New-GPLink -Guid $dcGpo.Id -Target $DcOu "));
        assert_eq!(script.matches("New-GPLink").count(), 2, "one link per GPO");
        // Never DisablePasswordChange, anywhere in the kit.
        for f in walk(out.path()) {
            let bytes = std::fs::read(&f).unwrap();
            let text = if bytes.starts_with(&[0xFF, 0xFE]) {
                utf16(&bytes)
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            let lines = text
                .lines()
                .filter(|l| l.contains("DisablePasswordChange="))
                .count();
            assert_eq!(lines, 0, "{}", f.display());
        }
    }
    // Pilot OUs that would reach DCs are refused.
    let d = DomainName::parse("corp.example").unwrap();
    for bad in [
        "OU=Domain Controllers,DC=corp,DC=example",
        "DC=corp,DC=example",
        "OU=Pilot,DC=other,DC=example",
    ] {
        let e = Workaround::new(
            d.clone(),
            bad,
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            0,
            time(),
        )
        .unwrap_err();
        assert!(matches!(e, KitError::MemberOu { .. }), "{bad}: {e}");
    }
    let pilot = "OU=Pilot,DC=corp,DC=example";
    let past = Workaround::new(
        d.clone(),
        pilot,
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        0,
        time(),
    );
    assert!(matches!(past, Err(KitError::Expiry(_))));
    let far = Workaround::new(
        d.clone(),
        pilot,
        NaiveDate::from_ymd_opt(2028, 1, 1).unwrap(),
        0,
        time(),
    );
    assert!(matches!(far, Err(KitError::Expiry(_))));
    let age = Workaround::new(
        d,
        pilot,
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        1000,
        time(),
    );
    assert_eq!(age.unwrap_err(), KitError::MaxAge(1000));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    files_under(dir).into_iter().map(|f| dir.join(f)).collect()
}

#[test]
fn deterministic_bytes_and_mof() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = kit("corp.example").write(a.path()).unwrap();
    kit("corp.example").write(b.path()).unwrap();
    assert_eq!(files.len(), walk(a.path()).len(), "every file reported");
    for f in walk(a.path()) {
        let rel = f.strip_prefix(a.path()).unwrap();
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(b.path().join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
    let other = tempfile::tempdir().unwrap();
    kit("other.example").write(other.path()).unwrap();
    assert_ne!(
        files_under(a.path()),
        files_under(other.path()),
        "ids differ per domain"
    );
    let mof = std::fs::read_to_string(a.path().join("WMI/kizuna-domain-controllers.mof")).unwrap();
    assert_crlf(&mof, "mof");
    assert!(mof.starts_with("instance of MSFT_SomFilter\r\n{\r\n"));
    assert!(mof.contains(
        "\tQuery = \"SELECT * FROM Win32_OperatingSystem WHERE ProductType = \\\"2\\\"\";\r\n"
    ));
    assert!(mof.contains("\tTargetNameSpace = \"root\\\\CIMv2\";\r\n"));
    let k = kit("corp.example");
    let f = k.refuse.filter();
    assert_eq!(
        f.parm2(),
        format!("1;3;10;{};WQL;root\\CIMv2;{};", f.query.len(), f.query)
    );
    assert_eq!(f.gpc_wql_filter(), format!("[corp.example;{};0]", f.id));
}

#[test]
fn readmes_and_scripts_snapshots() {
    let out = tempfile::tempdir().unwrap();
    kit("corp.example").write(out.path()).unwrap();
    let rb = tempfile::tempdir().unwrap();
    Rollback::new(DomainName::parse("corp.example").unwrap(), Some(3), time())
        .write(rb.path())
        .unwrap();
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap().replace("\r\n", "\n");
    insta::assert_snapshot!("workaround_readme_en", read(out.path().join("README.md")));
    insta::assert_snapshot!(
        "workaround_readme_ja",
        read(out.path().join("README.ja.md"))
    );
    insta::assert_snapshot!(
        "import_script",
        read(out.path().join("Import-KizunaWorkaround.ps1"))
    );
    insta::assert_snapshot!("rollback_readme_en", read(rb.path().join("README.md")));
    insta::assert_snapshot!("rollback_readme_ja", read(rb.path().join("README.ja.md")));
    insta::assert_snapshot!(
        "removal_script",
        read(rb.path().join("Remove-KizunaWorkaround.ps1"))
    );
    insta::assert_snapshot!("kit_json", read(out.path().join("kit.json")));
}

#[test]
fn generated_powershell_parses() {
    let out = tempfile::tempdir().unwrap();
    kit("corp.example").write(out.path()).unwrap();
    Rollback::new(DomainName::parse("corp.example").unwrap(), None, time())
        .write(&out.path().join("rb"))
        .unwrap();
    for f in [
        "Import-KizunaWorkaround.ps1",
        "rb/Remove-KizunaWorkaround.ps1",
    ] {
        let text = std::fs::read_to_string(out.path().join(f)).unwrap();
        assert_crlf(&text, f);
        assert!(
            text.is_ascii(),
            "{f}: ASCII, so Windows PowerShell 5.1 reads it without a BOM"
        );
        let errors = kizuna_pwsh_check::syntax_errors(&text);
        assert!(errors.is_empty(), "{f}: {errors:?}");
        assert!(
            text.contains("SupportsShouldProcess = $true"),
            "{f}: -WhatIf"
        );
        // The grammar catches a broken copy of the same script.
        let broken = text.replacen(
            "Set-StrictMode -Version Latest",
            "Set-StrictMode -Version Latest\r\nif ($true) {",
            1,
        );
        assert_ne!(broken, text);
        assert!(
            !kizuna_pwsh_check::syntax_errors(&broken).is_empty(),
            "{f}: the check can fail"
        );
    }
    // A hostile OU name stays a literal.
    let d = DomainName::parse("corp.example").unwrap();
    let k = Workaround::new(
        d,
        "OU=O'Brien $(calc),DC=corp,DC=example",
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        0,
        time(),
    )
    .unwrap();
    let v = k.view();
    let script = kizuna_gpo_kit::powershell::import_script(&v);
    assert!(script.contains("$PilotOu = 'OU=O''Brien $(calc),DC=corp,DC=example'"));
    assert!(kizuna_pwsh_check::syntax_errors(&script).is_empty());
}
