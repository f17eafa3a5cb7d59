//! Facts from the Netlogon debug log (`%windir%\debug\netlogon.log` / `netlogon.bak`).

use crate::{DeviceName, NtStatus, SourceRef, Timestamp};

/// What a netlogon.log line says, for the lines kizuna keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetlogonKind {
    /// Client: `NlChangePassword: Doing it.`
    PasswordChangeStarted,
    /// Client: `NlChangePassword: Flag password updated on DC` (or a successful response).
    PasswordChangeSucceeded,
    /// Client: `NlChangePassword: …` with an error status.
    PasswordChangeFailed,
    /// Client: `NlSessionSetup: … cannot I_NetServerAuthenticate 0x…` and similar.
    SessionSetupFailed,
    /// Client: `NlSessionSetup: new password is bad, try old one`.
    OldPasswordTried,
    /// Client: `NlSetStatusClientSession: Set connection status to c0000022`.
    ConnectionStatus,
    /// Client: `NlDiscoverDc: Cannot find DC` / `cannot pick trusted DC`.
    NoDcFound,
    /// Client (2025 member): `Denied access as we could not authenticate with Kerberos 0x…`.
    KerberosSecureChannelDenied,
    /// Client: `I_NetLogonGetAuthData failed: … 0x…`.
    AuthDataFailed,
    /// DC: `NetrServerAuthenticate returns Success: …`.
    ServerAuthenticateSucceeded,
    /// DC: `NetrServerAuthenticate returns <error>: …` or `NetrServerPasswordSet… returns <error>`.
    ServerAuthenticateFailed,
    /// DC: `SamLogon: … Returns 0x…` with an error.
    SamLogonFailed,
    /// `Eventlog: <id> (<type>) "…"`: a copy of what went to the System log.
    EventlogMirror,
}

/// One kept line of a netlogon.log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetlogonEntry {
    /// Line time. The file has no year and local time: the reader says which year it used.
    pub time: Option<Timestamp>,
    pub category: Option<String>,
    pub thread: Option<u32>,
    /// The domain prefix (`CONTOSO:`), when the line has one.
    pub domain: Option<String>,
    pub kind: NetlogonKind,
    pub status: Option<NtStatus>,
    /// The other end: the DC for client lines, the client for DC lines.
    pub peer: Option<String>,
    /// Event id for `Eventlog:` mirror lines.
    pub event_id: Option<u32>,
    /// The device whose log this is (from where it was collected), when known.
    pub device: Option<DeviceName>,
    pub source: SourceRef,
}
