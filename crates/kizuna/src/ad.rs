//! `kizuna ad audit` and the directory options shared with `kizuna scan --server`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_directory::{Options, Secret, read_directory, read_sysvol, read_sysvol_smb};
use kizuna_evidence::{InputKind, InputReport};

/// How to read the directory. The password comes from an environment variable, a file, or
/// a prompt — never from the command line, never printed, never stored.
#[derive(Args, Debug, Clone, Default)]
pub struct DirectoryArgs {
    /// ldap://HOST[:PORT] or ldaps://HOST[:PORT] of a domain controller.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Bind as this user (user@domain, DOMAIN\user or a DN).
    #[arg(long, value_name = "USER")]
    pub bind: Option<String>,
    /// Read the bind password from this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// Read the bind password from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Trust this CA (PEM) for ldaps:// and --starttls instead of the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Upgrade ldap:// with StartTLS (verified like ldaps://).
    #[arg(long)]
    pub starttls: bool,
    /// Search base (default: the server's defaultNamingContext).
    #[arg(long, value_name = "DN")]
    pub base_dn: Option<String>,
    /// GPO settings from a SYSVOL copy or a folder of GPMC backups (instead of SMB).
    #[arg(long, value_name = "DIR")]
    pub sysvol: Option<PathBuf>,
    /// Do not read the GPO settings from \\SERVER\SYSVOL over SMB (port 445, same
    /// credentials); without --sysvol, KZ-AD-004/005 then stay unchecked.
    #[arg(long)]
    pub no_smb: bool,
    /// Seconds to wait for each connection and for each LDAP or SMB operation.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub timeout: u64,
}

fn password(a: &DirectoryArgs) -> anyhow::Result<Option<Secret>> {
    if a.bind.is_none() {
        return Ok(None);
    }
    let prompt = format!("Password for {}: ", a.bind.as_deref().unwrap_or(""));
    crate::password::read(
        a.password_env.as_deref(),
        a.password_file.as_deref(),
        &prompt,
    )
    .map(|pw| Some(Secret::new(pw)))
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

/// Reads the directory and the GPO settings: from `--sysvol DIR` when given, else over
/// SMB from the server's SYSVOL unless `--no-smb`. Returns the snapshot and an input line
/// for the report.
pub fn read(a: &DirectoryArgs) -> anyhow::Result<Option<(DirectorySnapshot, InputReport)>> {
    let Some(url) = &a.server else {
        return Ok(None);
    };
    let pw = password(a)?;
    let o = Options {
        url: url.clone(),
        bind: a.bind.clone(),
        password: pw,
        ca_cert: a.ca_cert.clone(),
        starttls: a.starttls,
        base_dn: a.base_dn.clone(),
        timeout: Duration::from_secs(a.timeout.max(1)),
        page_size: 500,
    };
    let mut snap = read_directory(&o)?;
    match &a.sysvol {
        Some(dir) => read_sysvol(dir, &mut snap)?,
        None if a.no_smb => snap
            .sysvol_notes
            .push("GPO settings not read (give --sysvol DIR): KZ-AD-004/005 need them".into()),
        None if o.bind.is_none() => snap.sysvol_notes.push(
            "GPO settings not read (SMB needs --bind; or give --sysvol DIR): KZ-AD-004/005 need them"
                .into(),
        ),
        None => read_sysvol_smb(&o, &mut snap)?,
    }
    let mut report = InputReport::new(url.clone(), InputKind::Directory, String::new(), 0);
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
    Ok(Some((snap, report)))
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
            sam_account_name: None,
            dns_host_name: None,
            user_account_control: uac,
            operating_system: None,
            operating_system_version: None,
            pwd_last_set: None,
            last_logon_timestamp: None,
            when_created: None,
            supported_encryption_types: None,
            site: site.map(str::to_string),
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
