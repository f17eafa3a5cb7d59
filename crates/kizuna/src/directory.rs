//! The directory options shared by `kizuna ad audit` and `kizuna scan --server`, resolved
//! into a read of the directory; its errors get the flags that fix them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kizuna_core::InputReport;
use kizuna_core::directory::DirectorySnapshot;
use kizuna_directory::{GpoSettings, Options, Remedy, Secret};

/// Where the directory is and whom to bind as: the same flags for every command that
/// reads it (`ad audit`, `scan --server`, `sid scan`).
#[derive(Args, Debug, Clone, Default)]
pub struct LdapArgs {
    /// ldap://HOST[:PORT] or ldaps://HOST[:PORT] of a domain controller.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Bind as this user (user@domain, DOMAIN\user or a DN).
    #[arg(long, value_name = "USER")]
    pub bind: Option<String>,
    /// Trust this CA (PEM) for ldaps:// and --starttls instead of the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
    /// Upgrade ldap:// with StartTLS (verified like ldaps://).
    #[arg(long)]
    pub starttls: bool,
    /// Search base (default: the server's defaultNamingContext).
    #[arg(long, value_name = "DN")]
    pub base_dn: Option<String>,
}

/// How to read the directory. The password comes from an environment variable, a file, or
/// a prompt — never from the command line, never printed, never stored.
#[derive(Args, Debug, Clone, Default)]
pub struct DirectoryArgs {
    #[command(flatten)]
    pub ldap: LdapArgs,
    /// Read the bind password from this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// Read the bind password from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// GPO settings from a SYSVOL copy or a folder of GPMC backups (instead of SMB);
    /// without --server, of the directory exports (ldifde, csvde) among the inputs.
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
    if a.ldap.bind.is_none() {
        return Ok(None);
    }
    let prompt = format!("Password for {}: ", a.ldap.bind.as_deref().unwrap_or(""));
    crate::password::read(
        a.password_env.as_deref(),
        a.password_file.as_deref(),
        &prompt,
    )
    .map(|pw| Some(Secret::new(pw)))
}

/// `--sysvol DIR` without `--server`: the GPO settings of the directory exports among the
/// inputs, checked to be a folder before anything is read.
pub fn export_sysvol(a: &DirectoryArgs) -> anyhow::Result<Option<PathBuf>> {
    match &a.sysvol {
        Some(dir) if a.ldap.server.is_none() => {
            if !dir.is_dir() {
                anyhow::bail!(
                    "--sysvol {}: not a folder (a SYSVOL copy or a folder of GPMC backups)",
                    dir.display()
                );
            }
            Ok(Some(dir.clone()))
        }
        _ => Ok(None),
    }
}

/// Reads the directory and the GPO settings: from `--sysvol DIR` when given, else over
/// SMB from the server's SYSVOL unless `--no-smb`. `None` without `--server`.
pub fn read(a: &DirectoryArgs) -> anyhow::Result<Option<(DirectorySnapshot, InputReport)>> {
    if a.ldap.server.is_none() {
        return Ok(None);
    }
    read_signed_in(a, password(a)?)
}

/// [`read`], with the bind password already known (a command that signs in elsewhere
/// with the same account asks for it once).
pub fn read_signed_in(
    a: &DirectoryArgs,
    password: Option<Secret>,
) -> anyhow::Result<Option<(DirectorySnapshot, InputReport)>> {
    let LdapArgs {
        server,
        bind,
        ca_cert,
        starttls,
        base_dn,
    } = &a.ldap;
    let Some(url) = server else {
        return Ok(None);
    };
    let options = Options {
        url: url.clone(),
        bind: bind.clone(),
        password,
        ca_cert: ca_cert.clone(),
        starttls: *starttls,
        base_dn: base_dn.clone(),
        timeout: Duration::from_secs(a.timeout.max(1)),
        page_size: 500,
    };
    let gpo = match &a.sysvol {
        Some(dir) => GpoSettings::Folder(dir.clone()),
        None if a.no_smb => GpoSettings::NotRead,
        None => GpoSettings::Smb,
    };
    kizuna_directory::read(&options, &gpo)
        .map(Some)
        .map_err(|e| match e.remedy() {
            Some(r) => anyhow::anyhow!("{e} ({})", flag_hint(r)),
            None => e.into(),
        })
}

/// The flags that apply a directory error's remedy.
fn flag_hint(r: Remedy) -> &'static str {
    match r {
        Remedy::TrustCa => "give the server's CA with --ca-cert PEM",
        Remedy::ProtectBind => "use ldaps:// or --starttls",
        Remedy::SearchBase => "give --base-dn DN",
        Remedy::GpoFromFolder => "give --sysvol DIR, or --no-smb",
        Remedy::SmbSignIn => "give --bind and a password, or --sysvol DIR, or --no-smb",
    }
}
