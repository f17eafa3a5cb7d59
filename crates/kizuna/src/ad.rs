//! `kizuna ad audit` and the directory options shared with `kizuna scan --server`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_directory::{Options, Secret, read_directory, read_sysvol};
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
    /// GPO settings from a SYSVOL copy or a folder of GPMC backups.
    #[arg(long, value_name = "DIR")]
    pub sysvol: Option<PathBuf>,
    /// Seconds to wait for the connection and for each LDAP operation.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub timeout: u64,
}

fn password(a: &DirectoryArgs) -> anyhow::Result<Option<Secret>> {
    if a.bind.is_none() {
        return Ok(None);
    }
    if let Some(name) = &a.password_env {
        let v = std::env::var(name).map_err(|_| {
            anyhow::anyhow!("--password-env {name}: the environment variable is not set")
        })?;
        return Ok(Some(Secret::new(v)));
    }
    if let Some(f) = &a.password_file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("--password-file {}: {e}", f.display()))?;
        let first = text.lines().next().unwrap_or("").to_string();
        return Ok(Some(Secret::new(first)));
    }
    let prompt = format!("Password for {}: ", a.bind.as_deref().unwrap_or(""));
    let pw = rpassword::prompt_password(prompt).map_err(|e| {
        anyhow::anyhow!(
            "cannot prompt for the password ({e}): use --password-env or --password-file"
        )
    })?;
    Ok(Some(Secret::new(pw)))
}

/// Reads the directory (and SYSVOL when given). Returns the snapshot and an input line for the report.
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
        None => snap
            .sysvol_notes
            .push("GPO settings not read (give --sysvol DIR): KZ-AD-004/005 need them".into()),
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
    report.notes.extend(snap.sysvol_notes.iter().cloned());
    Ok(Some((snap, report)))
}
