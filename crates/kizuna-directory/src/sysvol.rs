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

use crate::DirectoryError;

/// The `[Registry Values]` of a GptTmpl.inf: key path → `type,value`.
pub fn parse_gpttmpl(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = decode(bytes);
    let mut out = BTreeMap::new();
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            in_section = line[1..line.len() - 1]
                .trim()
                .eq_ignore_ascii_case("Registry Values");
            continue;
        }
        if in_section && let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().replace(", ", ","));
        }
    }
    out
}

/// Stores the `[Registry Values]` of a GPO's GptTmpl.inf (`bytes` as read from a SYSVOL
/// copy, a GPMC backup or SMB) into the GPO, merged with what is already there.
pub(crate) fn store_gpttmpl(gpo: &mut DirGpo, bytes: &[u8]) {
    gpo.registry_values
        .get_or_insert_with(BTreeMap::new)
        .extend(parse_gpttmpl(bytes));
}

/// A GPO whose SYSVOL folder was read and holds no GptTmpl.inf: read, nothing set.
pub(crate) fn store_no_gpttmpl(gpo: &mut DirGpo) {
    gpo.registry_values.get_or_insert_with(BTreeMap::new);
}

fn decode(b: &[u8]) -> String {
    let utf16 = |b: &[u8]| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest)
    } else if b.len() >= 2 && b[1] == 0 && b[0] != 0 {
        utf16(b)
    } else {
        String::from_utf8_lossy(b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)).into_owned()
    }
}

/// `{6AC1786C-016F-11D2-945F-00C04FB984F9}`-shaped, upper-cased.
fn guid_of(name: &str) -> Option<String> {
    let n = name.trim();
    (n.len() == 38 && n.starts_with('{') && n.ends_with('}')).then(|| n.to_ascii_uppercase())
}

/// The GPO GUID in a GPMC backup's `bkupInfo.xml` (`<GPOGuid><![CDATA[{…}]]></GPOGuid>`).
fn backup_gpo_guid(backup_dir: &Path) -> Option<String> {
    let text = std::fs::read(backup_dir.join("bkupInfo.xml")).ok()?;
    let text = decode(&text);
    let start = text.find("<GPOGuid>")? + "<GPOGuid>".len();
    let end = text[start..].find("</GPOGuid>")? + start;
    let inner = text[start..end]
        .trim()
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("]]>");
    guid_of(inner)
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
            Ok(_)
                if e.file_name()
                    .to_string_lossy()
                    .eq_ignore_ascii_case("GptTmpl.inf") =>
            {
                out.push(p)
            }
            _ => {}
        }
    }
}

/// Reads every GptTmpl.inf under `dir` into the snapshot's GPOs (matched by GUID). GPOs
/// without a file get empty settings (read, nothing set); notes say what was matched.
pub fn read_sysvol(dir: &Path, snap: &mut DirectorySnapshot) -> Result<(), DirectoryError> {
    if !dir.is_dir() {
        return Err(DirectoryError::Io {
            path: dir.display().to_string(),
            why: "not a folder (--sysvol takes a SYSVOL copy or a folder of GPMC backups)".into(),
        });
    }
    let mut files = Vec::new();
    walk(dir, &mut files, 0);
    files.sort();
    let mut matched = 0;
    for f in &files {
        // The GPO is the nearest {GUID} folder, or the GPMC backup that holds the file.
        let guid = f.ancestors().skip(1).find_map(|a| {
            if a.join("bkupInfo.xml").is_file() {
                return backup_gpo_guid(a);
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
        let bytes = std::fs::read(f).map_err(|e| DirectoryError::Io {
            path: f.display().to_string(),
            why: e.to_string(),
        })?;
        store_gpttmpl(gpo, &bytes);
        matched += 1;
    }
    snap.gpos.iter_mut().for_each(store_no_gpttmpl);
    snap.sysvol_notes.push(format!(
        "GPO settings from {}: {matched} GptTmpl.inf file(s) matched to GPOs",
        dir.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpttmpl_windows_and_samba_forms() {
        let text = "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\r\n; comment\r\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let v = parse_gpttmpl(&utf16);
        assert_eq!(
            v.get("MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange").map(String::as_str),
            Some("4,1")
        );
        assert_eq!(v.len(), 1, "only [Registry Values]");
        let samba = "[System Access]\nMinimumPasswordAge = 1\n[Registry Values]\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\MaximumPasswordAge = 4, 0\n";
        let v = parse_gpttmpl(samba.as_bytes());
        assert_eq!(v.values().next().map(String::as_str), Some("4,0"));
        assert!(parse_gpttmpl(b"").is_empty());
        assert!(
            parse_gpttmpl(&[0xFF, 0xFE, 0x00]).is_empty(),
            "odd UTF-16 never panics"
        );
    }
}
