//! GPO security settings from files: `GptTmpl.inf` in a SYSVOL copy
//! (`Policies/{GUID}/Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf`) or in GPMC backups
//! (`{BackupID}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf`, the GPO
//! named by `bkupInfo.xml`).
//!
//! GptTmpl.inf is UTF-16LE with BOM and CRLF as Windows writes it; Samba's tools rewrite it
//! as ASCII with LF and spaces around `=`. Both are read; path components match
//! case-insensitively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kizuna_core::directory::{DirGpo, DirectorySnapshot};
use kizuna_gpo_read::{gpmc, gpttmpl, preg};

use crate::{DirectoryError, Remedy};

/// Largest GPO file read: real ones are kilobytes; anything bigger is not a GPO file.
const MAX_GPO_FILE: u64 = 16 * 1024 * 1024;

/// Stores the `[Registry Values]` of a GPO's GptTmpl.inf (`bytes` as read from a SYSVOL
/// copy, a GPMC backup or SMB) into the GPO, merged with what is already there. The
/// Security extension's values win over a Registry.pol record for the same value.
pub(crate) fn store_gpttmpl(gpo: &mut DirGpo, bytes: &[u8]) {
    gpo.registry_values
        .get_or_insert_with(BTreeMap::new)
        .extend(gpttmpl::registry_values(bytes));
}

/// Stores the records of a GPO's `Machine/Registry.pol` as `MACHINE\key\value` → `type,data`,
/// the form GptTmpl.inf uses, without replacing a value GptTmpl.inf set. Deletions and other
/// `**` instructions set nothing. Damage goes to `notes`, naming `file`.
pub(crate) fn store_registry_pol(
    gpo: &mut DirGpo,
    bytes: &[u8],
    file: &str,
    notes: &mut Vec<String>,
) {
    let pol = preg::read(bytes);
    notes.extend(pol.errors.iter().map(|e| format!("{file}: {e}")));
    let values = gpo.registry_values.get_or_insert_with(BTreeMap::new);
    for r in pol.records {
        if r.action() != preg::Action::Set {
            continue;
        }
        match r.setting() {
            Some(v) => {
                values
                    .entry(format!("MACHINE\\{}\\{}", r.key, r.value))
                    .or_insert(v);
            }
            None => notes.push(format!(
                "{file}: offset {}: {}\\{} holds {} bytes, too few or many for its type {}",
                r.offset,
                r.key,
                r.value,
                r.data.len(),
                r.kind
            )),
        }
    }
}

/// A GPO whose SYSVOL folder was read and holds no GptTmpl.inf: read, nothing set.
pub(crate) fn store_no_gpttmpl(gpo: &mut DirGpo) {
    gpo.registry_values.get_or_insert_with(BTreeMap::new);
}

/// `{6AC1786C-016F-11D2-945F-00C04FB984F9}`-shaped, upper-cased.
fn guid_of(name: &str) -> Option<String> {
    let n = name.trim();
    (n.len() == 38 && n.starts_with('{') && n.ends_with('}')).then(|| n.to_ascii_uppercase())
}

/// The GPO GUID in a GPMC backup's `bkupInfo.xml`.
fn backup_gpo_guid(backup_dir: &Path, notes: &mut Vec<String>) -> Option<String> {
    let path = backup_dir.join("bkupInfo.xml");
    let bytes = read_bounded(&path).ok()?;
    match gpmc::read_backup_info(&bytes) {
        Ok(info) => info.gpo_guid,
        Err(e) => {
            notes.push(format!("{}: {e}", path.display()));
            None
        }
    }
}

/// Reads a GPO file of at most [`MAX_GPO_FILE`] bytes.
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_GPO_FILE {
        return Err(format!(
            "{size} bytes, larger than any GPO file ({MAX_GPO_FILE}); not read"
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// What a GPO file under a GPO's folder is to kizuna.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GpoFile {
    GptTmpl,
    MachineRegistryPol,
}

fn gpo_file(path: &Path) -> Option<GpoFile> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent()?.file_name()?.to_str()?;
    if name.eq_ignore_ascii_case("GptTmpl.inf") {
        Some(GpoFile::GptTmpl)
    } else if name.eq_ignore_ascii_case("Registry.pol") && parent.eq_ignore_ascii_case("Machine") {
        Some(GpoFile::MachineRegistryPol)
    } else {
        None
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, out, depth + 1),
            Ok(_) if gpo_file(&p).is_some() => out.push(p),
            _ => {}
        }
    }
}

/// Reads every GptTmpl.inf and Machine Registry.pol under `dir` into the snapshot's GPOs
/// (matched by GUID). GPOs without a file get empty settings (read, nothing set); notes
/// say what was matched and what could not be read.
pub fn read_sysvol(dir: &Path, snap: &mut DirectorySnapshot) -> Result<(), DirectoryError> {
    if !dir.is_dir() {
        return Err(DirectoryError::Io {
            path: dir.display().to_string(),
            why: "not a folder (GPO settings are read from a SYSVOL copy or a folder of GPMC backups)".into(),
        }
        .fixable(Remedy::GpoFromFolder));
    }
    let mut files = Vec::new();
    walk(dir, &mut files, 0);
    files.sort();
    let (mut matched, mut pols) = (0, 0);
    for f in &files {
        // The GPO is the nearest {GUID} folder, or the GPMC backup that holds the file.
        let guid = f.ancestors().skip(1).find_map(|a| {
            if a.join("bkupInfo.xml").is_file() {
                return backup_gpo_guid(a, &mut snap.sysvol_notes);
            }
            a.file_name()
                .and_then(|n| n.to_str())
                .and_then(guid_of)
                .filter(|g| snap.gpo(g).is_some())
        });
        let Some(guid) = guid else {
            snap.sysvol_notes.push(format!(
                "{}: belongs to no GPO in the directory",
                f.display()
            ));
            continue;
        };
        let Some(gpo) = snap.gpos.iter_mut().find(|g| g.guid == guid) else {
            snap.sysvol_notes.push(format!(
                "{}: GPO {guid} is not in the directory",
                f.display()
            ));
            continue;
        };
        let bytes = match read_bounded(f) {
            Ok(b) => b,
            Err(why) => {
                snap.sysvol_notes.push(format!("{}: {why}", f.display()));
                continue;
            }
        };
        match gpo_file(f) {
            Some(GpoFile::GptTmpl) => {
                store_gpttmpl(gpo, &bytes);
                matched += 1;
            }
            Some(GpoFile::MachineRegistryPol) => {
                store_registry_pol(
                    gpo,
                    &bytes,
                    &f.display().to_string(),
                    &mut snap.sysvol_notes,
                );
                pols += 1;
            }
            None => {}
        }
    }
    snap.gpos.iter_mut().for_each(store_no_gpttmpl);
    snap.sysvol_notes.push(format!(
        "GPO settings from {}: {matched} GptTmpl.inf and {pols} Registry.pol file(s) matched to GPOs",
        dir.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETLOGON: &str = "System\\CurrentControlSet\\Services\\Netlogon\\Parameters";

    fn utf16(text: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn a_backup_with_gpttmpl_and_registry_pol() {
        let guid = "{11111111-2222-3333-4444-555555555555}";
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("{AAAAAAAA-2222-3333-4444-555555555555}");
        let machine = b.join("DomainSysvol/GPO/Machine");
        std::fs::create_dir_all(machine.join("microsoft/windows nt/SecEdit")).unwrap();
        std::fs::write(
            b.join("bkupInfo.xml"),
            format!(
                "<BackupInst><GPOGuid><![CDATA[{}]]></GPOGuid></BackupInst>",
                guid.to_lowercase()
            ),
        )
        .unwrap();
        std::fs::write(
            machine.join("microsoft/windows nt/SecEdit/GptTmpl.inf"),
            utf16(&format!(
                "[Registry Values]\r\nMACHINE\\{NETLOGON}\\RefusePasswordChange=4,1\r\n"
            )),
        )
        .unwrap();
        let mut pol = preg::write(&[
            (NETLOGON, "RefusePasswordChange", 4, &0u32.to_le_bytes()),
            (NETLOGON, "MaximumPasswordAge", 4, &30u32.to_le_bytes()),
            (NETLOGON, "**del.DisablePasswordChange", 1, &[0x20, 0, 0, 0]),
        ]);
        pol.extend([0x5B, 0x00, 0x4B]); // a record cut short
        std::fs::write(machine.join("registry.pol"), pol).unwrap();

        let mut snap = DirectorySnapshot {
            gpos: vec![DirGpo {
                guid: guid.to_string(),
                ..Default::default()
            }],
            ..Default::default()
        };
        read_sysvol(dir.path(), &mut snap).unwrap();
        let g = &snap.gpos[0];
        assert_eq!(
            g.netlogon_value("RefusePasswordChange"),
            Some(1),
            "GptTmpl.inf wins"
        );
        assert_eq!(
            g.netlogon_value("MaximumPasswordAge"),
            Some(30),
            "from Registry.pol"
        );
        assert_eq!(
            g.registry_values.as_ref().unwrap().len(),
            2,
            "a deletion sets nothing"
        );
        let notes = snap.sysvol_notes.join("\n");
        assert!(notes.contains("registry.pol: offset "), "{notes}");
        assert!(
            notes.contains("1 GptTmpl.inf and 1 Registry.pol file(s)"),
            "{notes}"
        );
    }
}
