//! What PsGetSid does for one host, in pure Rust (so kizuna.exe does it too): TCP 445 →
//! SMB2/3 negotiate → session setup (NTLMv2, or a null session) → tree connect `IPC$` →
//! open the `lsarpc` pipe → DCE/RPC bind → `LsarOpenPolicy2` → `LsarQueryInformationPolicy`
//! for the account domain (level 5: the machine SID; a DC answers its domain's SID) and the
//! primary domain (level 3) → `LsarClose`.
//!
//! A host that does not answer gets a [`Failure`] that says why, in the words an
//! administrator acts on (no route, port closed, logon refused, access denied, no pipe, an
//! RPC fault or status); the password never appears in one. Each step has the query's
//! timeout, so a dead host costs at most that.

mod pipe;

use std::net::ToSocketAddrs;
use std::time::Duration;

use kizuna_core::Secret;
pub use kizuna_lsarpc::DomainInfo;

/// SMB over TCP.
pub const SMB_PORT: u16 = 445;

/// Who the query signs in as.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A null session: many Samba hosts allow it; Windows refuses it since long ago.
    Anonymous,
    /// `DOMAIN\user`, `user@domain`, or a local `user` of the host.
    User { name: String, password: Secret },
}

/// One host's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its account domain: its own name and machine SID (a DC: the domain's name and SID).
    pub account: DomainInfo,
    /// The domain it is joined to (a workgroup has no SID).
    pub primary: DomainInfo,
}

/// Why a host gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("no answer on port {port} within {secs} s (host down, filtered, or no route)")]
    NoAnswer { port: u16, secs: u64 },
    #[error("no route to the host: {0}")]
    NoRoute(String),
    #[error("port {0} is closed (connection refused): no SMB server there")]
    PortClosed(u16),
    #[error("cannot resolve the name: {0}")]
    Name(String),
    #[error("{0}")]
    Logon(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("the host has no lsarpc pipe ({0})")]
    NoPipe(String),
    #[error("LSARPC: {0}")]
    Rpc(String),
    #[error("SMB: {0}")]
    Smb(String),
}

impl Failure {
    /// The reason as one word, for counting and for JSON.
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::NoAnswer { .. } => "timeout",
            Failure::NoRoute(_) => "no-route",
            Failure::PortClosed(_) => "port-closed",
            Failure::Name(_) => "name",
            Failure::Logon(_) => "logon-failure",
            Failure::AccessDenied(_) => "access-denied",
            Failure::NoPipe(_) => "pipe-missing",
            Failure::Rpc(_) => "rpc-fault",
            Failure::Smb(_) => "smb",
        }
    }
}

/// Asks `host` (a name or an address; `port` is 445 but for tests) for its machine SID,
/// within `timeout` per step.
pub fn query(
    host: &str,
    port: u16,
    credentials: &Credentials,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Failure::Smb(format!("cannot start the SMB runtime: {e}")))?;
    runtime.block_on(pipe::query(host, port, credentials, timeout))
}

/// `host:port` as one socket address, or why not.
fn address(host: &str, port: u16) -> Result<std::net::SocketAddr, Failure> {
    let text = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    text.to_socket_addrs()
        .map_err(|e| Failure::Name(format!("{host}: {e}")))?
        .next()
        .ok_or_else(|| Failure::Name(format!("{host}: no address")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};
    use std::time::Instant;

    const A: &str = "S-1-5-21-1111111111-2222222222-3333333333";
    const B: &str = "S-1-5-21-1111111111-2222222222-3333333334";

    #[test]
    fn machine_sids_and_every_way_a_host_fails() {
        let set = SidHosts::start(&[A, A, B]).unwrap();
        let t = Duration::from_secs(5);
        for h in &set.hosts {
            // each host's own account (the hosts share the password)
            let user = Credentials::User {
                name: format!("{}\\{USER}", h.name),
                password: Secret::new(PASSWORD.to_string()),
            };
            let a = query(&h.ip, SMB_PORT, &user, t).unwrap_or_else(|e| panic!("{}: {e}", h.ip));
            assert_eq!(a.account.name, h.name);
            assert_eq!(a.account.sid.as_deref(), Some(h.sid.as_str()));
            assert_eq!(a.primary.name, kizuna_testbed::sid_hosts::WORKGROUP);
            assert_eq!(a.primary.sid, None);
            // the same answer as Samba's own client gives
            let said = SidHosts::rpcclient_lsaquery(&h.ip).unwrap();
            assert!(said.contains(&format!("Domain Sid: {}", h.sid)), "{said}");
        }
        // No null session yet (smb2 sends no anonymous NTLM form): a clear refusal.
        let e = query(&set.hosts[0].ip, SMB_PORT, &Credentials::Anonymous, t).unwrap_err();
        assert_eq!(e.reason(), "logon-failure", "{e}");
        assert!(e.to_string().contains("give --user"), "{e}");

        let wrong = Credentials::User {
            name: USER.into(),
            password: Secret::new("Not-the-password-42".to_string()),
        };
        let e = query(&set.hosts[0].ip, SMB_PORT, &wrong, t).unwrap_err();
        assert_eq!(e.reason(), "logon-failure", "{e}");
        assert!(!e.to_string().contains("Not-the-password-42"), "{e}");

        let started = Instant::now();
        let e = query(&set.closed, SMB_PORT, &Credentials::Anonymous, t).unwrap_err();
        assert_eq!(e, Failure::PortClosed(SMB_PORT));
        assert!(started.elapsed() < Duration::from_secs(1));

        let started = Instant::now();
        let short = Duration::from_secs(2);
        let e = query(&set.silent, SMB_PORT, &Credentials::Anonymous, short).unwrap_err();
        assert!(matches!(e.reason(), "timeout" | "no-route"), "{e}");
        assert!(
            started.elapsed() < short + Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
