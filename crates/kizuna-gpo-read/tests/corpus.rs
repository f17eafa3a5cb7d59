//! The GPO readers on the real GPMC backups in `../shared/corpus/gpo` and on the backups
//! kizuna's own kit writes (known ground truth).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use kizuna_gpo_kit::{DomainName, Workaround};
use kizuna_gpo_read::{gpmc, gpttmpl, preg};

fn corpus_gpo() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/gpo");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "\n!!!!! SKIPPED: ../shared/corpus/gpo is absent; corpus tests did not run !!!!!\n"
        );
        None
    }
}

fn backup(root: &Path, set: &str) -> PathBuf {
    std::fs::read_dir(root.join(set))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("Backup.xml").is_file())
        .expect("a backup folder")
}

#[test]
fn real_registry_pol_files() {
    let Some(root) = corpus_gpo() else { return };
    let ie = backup(&root, "nsacyber-shb-ie11-user");
    let f = preg::read(&std::fs::read(ie.join("DomainSysvol/GPO/User/registry.pol")).unwrap());
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    assert_eq!(f.records.len(), 5, "the manifest says 5 records");
    let first = &f.records[0];
    assert_eq!(
        first.key,
        "Software\\Policies\\Microsoft\\Internet Explorer\\Control Panel"
    );
    assert_eq!(first.value, "FormSuggest");
    assert_eq!((first.kind, first.setting().as_deref()), (4, Some("4,1")));
    assert!(f.records.iter().any(|r| r.kind == 1), "a REG_SZ record");

    let empty = preg::read(&std::fs::read(root.join("edge-cases/empty-registry.pol")).unwrap());
    assert_eq!(empty, preg::PolicyFile::default());

    let stig = backup(&root, "nsacyber-shb-windows10-stig-computer");
    let f = preg::read(&std::fs::read(stig.join("DomainSysvol/GPO/Machine/registry.pol")).unwrap());
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    assert!(f.records.len() > 50, "{} records", f.records.len());
    assert!(
        f.records
            .iter()
            .all(|r| !r.key.is_empty() && r.setting().is_some())
    );
    // Records are contiguous: each starts where the previous one ended.
    let size = std::fs::metadata(stig.join("DomainSysvol/GPO/Machine/registry.pol"))
        .unwrap()
        .len();
    assert!(f.records.last().unwrap().offset < size);
}

#[test]
fn real_backup_xml_and_gpttmpl() {
    let Some(root) = corpus_gpo() else { return };
    let stig = backup(&root, "nsacyber-shb-windows10-stig-computer");
    let info = gpmc::read_backup_info(&std::fs::read(stig.join("bkupInfo.xml")).unwrap()).unwrap();
    assert_eq!(
        info.gpo_guid.as_deref(),
        Some("{356FB116-26CD-4FBF-830B-6D736B802FD7}")
    );
    assert_eq!(info.gpo_domain.as_deref(), Some("idl.local"));
    assert_eq!(
        info.backup_id.as_deref(),
        stig.file_name().and_then(|n| n.to_str())
    );
    let b = gpmc::read_backup_xml(&std::fs::read(stig.join("Backup.xml")).unwrap()).unwrap();
    assert_eq!(b.gpo_guid, info.gpo_guid);
    assert_eq!(b.machine_version, Some(458_759));
    assert_eq!(b.user_version, Some(131_074));
    assert_eq!(b.options, Some(1));
    assert!(
        b.extensions
            .iter()
            .any(|(id, d)| id == "{827D319E-6EAC-11D2-A4EA-00C04F79F83A}" && d == "Security")
    );
    // Every file the backup lists (that is a file, not a wildcard) is in the folder.
    let listed: Vec<&String> = b.files.iter().filter(|f| !f.contains('*')).collect();
    assert!(listed.len() >= 3);
    for f in listed {
        assert!(stig.join(f.replace('\\', "/")).is_file(), "{f}");
    }
    let inf = gpttmpl::registry_values(
        &std::fs::read(
            stig.join("DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf"),
        )
        .unwrap(),
    );
    assert_eq!(
        inf.get(
            "MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RequireSignOrSeal"
        )
        .map(String::as_str),
        Some("4,1")
    );
    // gpreport.xml (UTF-16LE with BOM) is XML that the same reader walks.
    assert!(gpmc::read_backup_xml(&std::fs::read(stig.join("gpreport.xml")).unwrap()).is_ok());
}

#[test]
fn the_kits_own_backups_read_back() {
    let domain = DomainName::parse("corp.example").unwrap();
    let time = NaiveDate::from_ymd_opt(2026, 11, 21)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let k = Workaround::new(
        domain.clone(),
        &format!("OU=Pilot,{}", domain.dn()),
        NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        0,
        time,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    k.write(out.path()).unwrap();
    for want in [k.refuse.backup(), k.member.backup()] {
        let dir = find_dir(out.path(), &want.backup_id).expect("backup folder");
        let info =
            gpmc::read_backup_info(&std::fs::read(dir.join("bkupInfo.xml")).unwrap()).unwrap();
        assert_eq!(info.gpo_guid.as_deref(), Some(want.gpo_guid.as_str()));
        assert_eq!(
            info.gpo_display_name.as_deref(),
            Some(want.display_name.as_str())
        );
        let b = gpmc::read_backup_xml(&std::fs::read(dir.join("Backup.xml")).unwrap()).unwrap();
        assert_eq!(
            b.machine_version,
            Some(want.version.backup_machine_number())
        );
        assert!(
            b.files.iter().any(|f| f.ends_with("SecEdit\\GptTmpl.inf")),
            "{:?}",
            b.files
        );
        assert_eq!(b.display_name.as_deref(), Some(want.display_name.as_str()));
        assert_eq!(
            b.machine_extension_guids.as_deref(),
            Some(kizuna_gpo_kit::backup::machine_extension_names().as_str())
        );
    }
}

fn find_dir(root: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(root).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == name) {
                return Some(p);
            }
            if let Some(found) = find_dir(&p, name) {
                return Some(found);
            }
        }
    }
    None
}
