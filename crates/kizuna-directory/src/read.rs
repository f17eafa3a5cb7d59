//! The directory read as a scan input: LDAP, then the GPO settings from where they were
//! asked for, summed up in an input report.

use std::path::PathBuf;

use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{InputKind, InputReport};

use crate::{DirectoryError, Options, read_directory, read_sysvol, read_sysvol_smb};

/// Where the GPO settings (KZ-AD-004/005) come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpoSettings {
    /// A SYSVOL copy or a folder of GPMC backups.
    Folder(PathBuf),
    /// `\\SERVER\SYSVOL` over SMB, with the bind's credentials.
    Smb,
    /// Not read: KZ-AD-004/005 stay unchecked.
    NotRead,
}

/// Reads the directory and the GPO settings. Returns the snapshot and its line among a
/// scan's inputs (what was read, the functional levels, the DCs, where the GPO settings
/// came from).
pub fn read(
    options: &Options,
    gpo: &GpoSettings,
) -> Result<(DirectorySnapshot, InputReport), DirectoryError> {
    let mut snap = read_directory(options)?;
    match gpo {
        GpoSettings::Folder(dir) => read_sysvol(dir, &mut snap)?,
        GpoSettings::NotRead => snap
            .sysvol_notes
            .push("GPO settings not read (no SYSVOL copy given): KZ-AD-004/005 need them".into()),
        GpoSettings::Smb if options.bind.is_none() => snap.sysvol_notes.push(
            "GPO settings not read (SMB needs a bind user; or give a SYSVOL copy): KZ-AD-004/005 need them"
                .into(),
        ),
        GpoSettings::Smb => read_sysvol_smb(options, &mut snap)?,
    }
    let mut report = InputReport::new(options.url.clone(), InputKind::Directory, String::new(), 0);
    report.records = (snap.computers.len() + snap.gpos.len() + snap.wmi_filters.len()) as u64;
    report.kept = report.records;
    report.notes.push(format!(
        "{} computers, {} GPOs, {} GPO links, {} WMI filters under {}",
        snap.computers.len(),
        snap.gpos.len(),
        snap.links.len(),
        snap.wmi_filters.len(),
        snap.domain.default_naming_context
    ));
    report.notes.extend(domain_notes(&snap));
    report.notes.extend(snap.sysvol_notes.iter().cloned());
    Ok((snap, report))
}

/// Windows name of a domain/forest/DC functional level (`msDS-Behavior-Version`).
fn functional_level(level: Option<u32>) -> String {
    let Some(n) = level else {
        return "unknown".into();
    };
    let name = match n {
        0 => "Windows 2000",
        1 => "Windows Server 2003 interim",
        2 => "Windows Server 2003",
        3 => "Windows Server 2008",
        4 => "Windows Server 2008 R2",
        5 => "Windows Server 2012",
        6 => "Windows Server 2012 R2",
        7 => "Windows Server 2016",
        10 => "Windows Server 2025",
        _ => return format!("{n} (unknown level)"),
    };
    format!("{n} ({name})")
}

/// Input notes on the domain: functional levels, and the DCs with their sites.
fn domain_notes(snap: &DirectorySnapshot) -> Vec<String> {
    const SHOWN: usize = 20;
    let d = &snap.domain;
    let mut notes = vec![format!(
        "functional levels: domain {}, forest {}, DC {}",
        functional_level(d.domain_functionality),
        functional_level(d.forest_functionality),
        functional_level(d.dc_functionality)
    )];
    let dcs: Vec<String> = snap
        .computers
        .iter()
        .filter(|c| c.is_dc())
        .map(|c| match &c.site {
            Some(site) => format!("{} (site {site})", c.name),
            None => format!("{} (no site)", c.name),
        })
        .collect();
    let mut line = format!("domain controllers ({}): ", dcs.len());
    line.push_str(&dcs[..dcs.len().min(SHOWN)].join(", "));
    if dcs.len() > SHOWN {
        line.push_str(&format!(", and {} more", dcs.len() - SHOWN));
    }
    notes.push(line);
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::directory::{DirComputer, DirDomain};

    #[test]
    fn functional_levels_and_dcs_in_the_notes() {
        assert_eq!(functional_level(Some(0)), "0 (Windows 2000)");
        assert_eq!(functional_level(Some(4)), "4 (Windows Server 2008 R2)");
        assert_eq!(functional_level(Some(10)), "10 (Windows Server 2025)");
        assert_eq!(functional_level(Some(8)), "8 (unknown level)");
        assert_eq!(functional_level(None), "unknown");
        let pc = |name: &str, uac: u32, site: Option<&str>| DirComputer {
            dn: format!("CN={name},DC=lab,DC=test"),
            name: name.into(),
            user_account_control: uac,
            site: site.map(str::to_string),
            ..Default::default()
        };
        let mut snap = DirectorySnapshot {
            domain: DirDomain {
                domain_functionality: Some(7),
                forest_functionality: Some(6),
                ..Default::default()
            },
            computers: vec![
                pc("DC1", 532_480, Some("Tokyo")),
                pc("PC1", 4096, None),
                pc("RODC1", 0x0400_1000, None),
            ],
            ..Default::default()
        };
        assert_eq!(
            domain_notes(&snap),
            [
                "functional levels: domain 7 (Windows Server 2016), forest 6 (Windows Server 2012 R2), DC unknown",
                "domain controllers (2): DC1 (site Tokyo), RODC1 (no site)",
            ]
        );
        snap.computers = (0..25)
            .map(|i| pc(&format!("DC{i:02}"), 8192, None))
            .collect();
        let notes = domain_notes(&snap);
        assert!(
            notes[1].starts_with("domain controllers (25): DC00 (no site), ")
                && notes[1].ends_with("DC19 (no site), and 5 more"),
            "{}",
            notes[1]
        );
    }
}
