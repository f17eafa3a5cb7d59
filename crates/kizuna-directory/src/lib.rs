//! The directory reader: Active Directory over LDAP (rootDSE, computers, GPOs, their
//! links and WMI filters) and GPO security settings from SYSVOL, read over SMB with the
//! same credentials ([`read_sysvol_smb`]) or from a SYSVOL copy or GPMC backups
//! ([`read_sysvol`]).
//!
//! Safe defaults: TLS is verified (system roots, or the CA given with `ca_cert`); there is
//! no switch to skip verification. Every network step has a timeout. The password is held
//! in a [`Secret`] that never prints.

mod ldap;
mod read;
mod smb;
mod sysvol;

pub use ldap::{COMPUTER_ATTRIBUTES, Options, read_directory};
pub use read::{GpoSettings, read};
pub use smb::{SMB_PORT, read_sysvol_smb, smb_host};
pub use sysvol::read_sysvol;

pub use kizuna_core::Secret;

/// Why the directory could not be read. Messages name the server and what to check;
/// they never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{url}: invalid URL: {why} (use ldap://HOST[:PORT] or ldaps://HOST[:PORT])")]
    Url { url: String, why: String },
    #[error("{url}: cannot connect within {secs} s: {why}")]
    Connect { url: String, secs: u64, why: String },
    #[error("{url}: TLS: {why}")]
    Tls { url: String, why: String },
    #[error("{url}: bind as {user} refused: {why}")]
    Bind {
        url: String,
        user: String,
        why: String,
    },
    #[error("{url}: search {what} failed: {why}")]
    Search {
        url: String,
        what: String,
        why: String,
    },
    #[error("{path}: {why}")]
    Io { path: String, why: String },
    /// SYSVOL over SMB could not be opened (connect, sign-in, share).
    #[error("{unc}: {why}")]
    Smb { unc: String, why: String },
    /// An error the user can fix by changing a setting ([`Remedy`]).
    #[error("{error}")]
    Fixable {
        error: Box<DirectoryError>,
        remedy: Remedy,
    },
}

/// What the user can change so that the directory can be read. Messages say it in words;
/// each front end names its own control for it (the command line a flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Trust the server's certificate authority (a CA certificate file).
    TrustCa,
    /// Protect the bind: ldaps:// or StartTLS.
    ProtectBind,
    /// Name the search base (the server named none).
    SearchBase,
    /// Read the GPO settings from a SYSVOL copy, or not at all.
    GpoFromFolder,
    /// Bind as a user with a password (SMB needs one), or read the GPO settings from a
    /// SYSVOL copy.
    SmbSignIn,
}

impl DirectoryError {
    /// The same error, with what would fix it.
    pub(crate) fn fixable(self, remedy: Remedy) -> DirectoryError {
        DirectoryError::Fixable {
            error: Box::new(self),
            remedy,
        }
    }

    /// What the user can change to get past this error, when a setting can.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            DirectoryError::Fixable { remedy, .. } => Some(*remedy),
            _ => None,
        }
    }
}
