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

mod ntlm;
mod pipe;
mod sweep;
mod targets;

pub use sweep::{DEFAULT_CONCURRENCY, Sweep, SweepProgress, SweepSnapshot};
pub use targets::{LARGE, TargetError, Targets};

use std::time::Duration;

use kizuna_core::{
    DeviceName, DeviceRole, IdentityRecord, IdentitySource, MachineSid, Secret, SourceRef,
    Timestamp,
};
pub use kizuna_lsarpc::DomainInfo;
pub use ntlm::Version;

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
    /// The version its NTLM challenge gave (Windows: major, minor, build; no update
    /// revision).
    pub os: Option<ntlm::Version>,
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

/// What an answer says about the host, as the identity fact every other source gives
/// (`lsarpc://HOST`, read at `at`): its name and machine SID from the account domain; its
/// domain when it is joined to one. A DC answers its domain as its account domain too (the
/// SID PsGetSid shows on a DC), which makes it a DC here, named by the name it was asked by;
/// a DC asked by its address gives no fact (`None`), as does an unusable name.
pub fn identity(host: &str, answer: &Answer, at: Timestamp) -> Option<IdentityRecord> {
    let joined = answer.primary.sid.is_some();
    let dc = joined
        && answer.primary.sid == answer.account.sid
        && answer
            .primary
            .name
            .eq_ignore_ascii_case(&answer.account.name);
    // A DC's account domain is its domain, which names no computer: the DC is named by the
    // name it was asked by (an address names nothing).
    let device = if dc {
        if host.parse::<std::net::IpAddr>().is_ok() {
            return None;
        }
        DeviceName::parse(host)?
    } else {
        DeviceName::parse(&answer.account.name)?
    };
    let machine_sid = answer
        .account
        .sid
        .as_deref()
        .and_then(|s| s.parse::<MachineSid>().ok());
    Some(IdentityRecord {
        device: Some(device),
        folder: None,
        machine_sid,
        machine_guid: None,
        role: dc.then_some(DeviceRole::Dc),
        domain: joined.then(|| answer.primary.name.clone()),
        // the NTLM challenge's build, without the update revision
        os_build: answer
            .os
            .and_then(|v| v.windows_build())
            .map(|build| kizuna_core::OsBuild { build, ubr: None }),
        netlogon: Default::default(),
        hardening: Default::default(),
        observed: Some(at),
        kind: IdentitySource::Lsarpc,
        source: SourceRef {
            path: format!("lsarpc://{host}"),
            offset: None,
            line: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};

    fn domain(name: &str, sid: Option<&str>) -> DomainInfo {
        DomainInfo {
            name: name.into(),
            sid: sid.map(str::to_string),
        }
    }

    #[test]
    fn answers_become_identity_facts() {
        let at = "2026-12-07T10:00:00Z".parse::<Timestamp>().unwrap();
        const D: &str = "S-1-5-21-1004336348-1177238915-682003330";
        // a member: its own name and SID, joined to CORP
        let member = Answer {
            account: domain("PC-0042", Some("S-1-5-21-1-2-3")),
            primary: domain("CORP", Some(D)),
            os: Some(Version {
                major: 10,
                minor: 0,
                build: 26100,
            }),
        };
        let r = identity("10.0.0.42", &member, at).unwrap();
        assert_eq!(r.os_build.map(|b| b.to_string()).as_deref(), Some("26100"));
        assert_eq!(r.device.unwrap().to_string(), "PC-0042");
        assert_eq!(r.machine_sid.unwrap().to_string(), "S-1-5-21-1-2-3");
        assert_eq!(r.domain.as_deref(), Some("CORP"));
        assert_eq!(r.role, None);
        assert_eq!(r.kind, IdentitySource::Lsarpc);
        assert_eq!(r.source.path, "lsarpc://10.0.0.42");
        assert_eq!(r.observed, Some(at));
        // a DC answers its domain for both
        let dc = Answer {
            account: domain("CORP", Some(D)),
            primary: domain("CORP", Some(D)),
            os: None,
        };
        let r = identity("dc01.corp.example", &dc, at).unwrap();
        assert_eq!(r.role, Some(DeviceRole::Dc));
        assert_eq!(r.device.unwrap().to_string(), "DC01");
        assert_eq!(r.machine_sid.unwrap().to_string(), D);
        assert!(identity("10.0.0.1", &dc, at).is_none());
        // a workgroup host: no domain
        let wg = Answer {
            account: domain("SIDHOST1", Some("S-1-5-21-1-2-3")),
            primary: domain("SIDLAB", None),
            // Samba says 6.1 build 0: no build
            os: Some(Version {
                major: 6,
                minor: 1,
                build: 0,
            }),
        };
        assert_eq!(identity("h", &wg, at).unwrap().os_build, None);
        assert_eq!(identity("h", &wg, at).unwrap().domain, None);
    }
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
        // A null session, as PsGetSid tries first: Samba allows it (restrict anonymous = 0)
        let a = query(&set.hosts[1].ip, SMB_PORT, &Credentials::Anonymous, t).unwrap();
        assert_eq!(a.account.sid.as_deref(), Some(set.hosts[1].sid.as_str()));
        // Samba's NTLM challenge says 6.1 build 0: a version, no Windows build
        assert_eq!(a.os.and_then(|v| v.windows_build()), None);
        assert!(a.os.is_some());
        // and a host that refuses it, as Windows does, says what to give
        set.refuse_anonymous(0).unwrap();
        let e = query(&set.hosts[0].ip, SMB_PORT, &Credentials::Anonymous, t).unwrap_err();
        assert!(
            matches!(e.reason(), "logon-failure" | "access-denied"),
            "{e}"
        );
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
