//! GPO security settings over SMB: every GPO's
//! `\\HOST\SYSVOL\<dns domain>\Policies\{GUID}\Machine\Microsoft\Windows NT\SecEdit\GptTmpl.inf`
//! read from the LDAP server with the LDAP bind's user and password.
//!
//! SMB2/3 through the `smb2` crate (pure Rust): NTLM, signed or encrypted as the server
//! demands, DFS referrals followed only to the same server. It is async; one current-thread
//! tokio runtime drives it here. The connection (TCP, negotiate, session setup), the share
//! and every file read each have `Options::timeout`. A missing GptTmpl.inf is a GPO without
//! security settings; any other failure on one file becomes a note naming its UNC path.

use std::future::Future;
use std::time::Duration;

use kizuna_core::directory::DirectorySnapshot;
use smb2::{ClientConfig, ErrorKind, SmbClient};

use crate::sysvol::{store_gpttmpl, store_no_gpttmpl, store_registry_pol};
use crate::{DirectoryError, Options, Remedy};

/// SMB over TCP.
pub const SMB_PORT: u16 = 445;

/// The GptTmpl.inf of a GPO, relative to its `Policies\{GUID}` folder.
const GPTTMPL: [&str; 5] = [
    "Machine",
    "Microsoft",
    "Windows NT",
    "SecEdit",
    "GptTmpl.inf",
];

/// The computer-side Registry.pol of a GPO, relative to its `Policies\{GUID}` folder.
const REGISTRY_POL: [&str; 2] = ["Machine", "Registry.pol"];

/// The host of an `ldap://HOST[:PORT]` / `ldaps://…` URL (brackets of an IPv6 literal
/// removed): where SYSVOL is read over SMB.
pub fn smb_host(url: &str) -> Result<String, DirectoryError> {
    let bad = |why: &str| DirectoryError::Url {
        url: url.to_string(),
        why: why.to_string(),
    };
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| bad("no scheme"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok(host.to_string())
}

/// NTLM user and domain from the bind name: `user@domain`, `DOMAIN\user`, or a bare user
/// (then `default_domain`). A DN cannot sign in over SMB.
pub(crate) fn ntlm_identity(bind: &str, default_domain: &str) -> Result<(String, String), String> {
    let bind = bind.trim();
    let (user, domain) = if let Some((d, u)) = bind.split_once('\\') {
        (u, d)
    } else if let Some((u, d)) = bind.rsplit_once('@') {
        (u, d)
    } else if bind.contains('=') {
        return Err(format!(
            "the bind name {bind:?} is a DN, which cannot sign in over SMB: bind as \
             user@domain or DOMAIN\\user (or read the GPO settings from a SYSVOL copy, or not at all)"
        ));
    } else {
        (bind, default_domain)
    };
    if user.is_empty() || domain.is_empty() {
        return Err(format!(
            "the bind name {bind:?} has no user or no domain: use user@domain or DOMAIN\\user"
        ));
    }
    Ok((user.to_string(), domain.to_string()))
}

/// Runs `f` under `limit`; running out is smb2's own `Timeout`.
async fn within<T>(limit: Duration, f: impl Future<Output = smb2::Result<T>>) -> smb2::Result<T> {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or(Err(smb2::Error::Timeout))
}

/// What went wrong, in words, with the password never in them.
fn why(e: &smb2::Error, secret: &str) -> String {
    let text = e.to_string();
    // smb2 never puts the password in a message; scrub anyway, should that change.
    if secret.len() >= 3 {
        text.replace(secret, "***")
    } else {
        text
    }
}

/// Reads every GPO's GptTmpl.inf over SMB from the host of `o.url` (port 445) with the
/// bind credentials of `o`, into the snapshot's GPOs, and notes where settings came from.
pub fn read_sysvol_smb(o: &Options, snap: &mut DirectorySnapshot) -> Result<(), DirectoryError> {
    let host = smb_host(&o.url)?;
    read_sysvol_smb_at(o, &host, SMB_PORT, snap)
}

pub(crate) fn read_sysvol_smb_at(
    o: &Options,
    host: &str,
    port: u16,
    snap: &mut DirectorySnapshot,
) -> Result<(), DirectoryError> {
    let share = format!(r"\\{host}\SYSVOL");
    let err = |why: String| DirectoryError::Smb {
        unc: share.clone(),
        why,
    };
    let dns = snap.domain.dns_domain.clone().ok_or_else(|| {
        err(
            "the directory named no DNS domain, so its SYSVOL folder is unknown: give a SYSVOL copy"
                .into(),
        )
        .fixable(Remedy::GpoFromFolder)
    })?;
    let (Some(bind), Some(password)) = (&o.bind, &o.password) else {
        return Err(err(
            "SMB needs a bind user and a password (or read the GPO settings from a SYSVOL copy, or not at all)".into(),
        )
        .fixable(Remedy::SmbSignIn));
    };
    let (user, domain) =
        ntlm_identity(bind, &dns).map_err(|why| err(why).fixable(Remedy::SmbSignIn))?;
    let secret = password.expose();
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let secs = o.timeout.as_secs();
    let config = ClientConfig {
        addr,
        timeout: o.timeout,
        username: user,
        password: secret.to_string(),
        domain,
        auto_reconnect: false,
        compression: false,
        response_timeout: Some(o.timeout),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| err(format!("cannot start the SMB runtime: {e}")))?;

    runtime.block_on(async {
        let mut client = within(o.timeout, SmbClient::connect(config))
            .await
            .map_err(|e| {
                err(match e.kind() {
                    ErrorKind::AuthRequired | ErrorKind::GuestSessionRefused => format!(
                        "signing in as {bind} refused ({}): check the user name and password",
                        why(&e, secret)
                    ),
                    ErrorKind::TimedOut | ErrorKind::ConnectionLost | ErrorKind::Io => format!(
                        "cannot connect to port {port} within {secs} s: {} (SMB reads the GPO \
                         settings; read them from a SYSVOL copy, or audit without them)",
                        why(&e, secret)
                    ),
                    _ => format!("SMB session as {bind} failed: {}", why(&e, secret)),
                })
            })?;
        let mut tree = within(o.timeout, client.connect_share("SYSVOL"))
            .await
            .map_err(|e| {
                err(format!(
                    "cannot open the share as {bind}: {}",
                    why(&e, secret)
                ))
            })?;

        let (mut read, mut with_settings, mut failed, mut pols) = (0usize, 0usize, 0usize, 0usize);
        let mut notes = Vec::new();
        for gpo in snap.gpos.iter_mut() {
            let mut parts = vec![dns.as_str(), "Policies", gpo.guid.as_str()];
            parts.extend(GPTTMPL);
            let unc = format!(r"{share}\{}", parts.join(r"\"));
            match within(o.timeout, client.read_file(&mut tree, &parts.join("/"))).await {
                Ok(bytes) => {
                    store_gpttmpl(gpo, &bytes);
                    read += 1;
                    with_settings += 1;
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    store_no_gpttmpl(gpo);
                    read += 1;
                }
                // Settings unknown: the GPO keeps `None`, so no rule judges it on nothing.
                Err(e) => {
                    failed += 1;
                    notes.push(format!("{unc}: {}", why(&e, secret)));
                    continue;
                }
            }
            let mut parts = vec![dns.as_str(), "Policies", gpo.guid.as_str()];
            parts.extend(REGISTRY_POL);
            let unc = format!(r"{share}\{}", parts.join(r"\"));
            match within(o.timeout, client.read_file(&mut tree, &parts.join("/"))).await {
                Ok(bytes) => {
                    store_registry_pol(gpo, &bytes, &unc, &mut notes);
                    pols += 1;
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => notes.push(format!("{unc}: {}", why(&e, secret))),
            }
        }
        let _ = within(o.timeout, client.disconnect_share(&tree)).await;
        let mut summary = format!(
            "GPO settings from {share} over SMB as {bind}: {read} GPOs read, {with_settings} \
             with security settings (GptTmpl.inf), {pols} with a computer Registry.pol"
        );
        if failed > 0 {
            summary.push_str(&format!(", {failed} unreadable (settings unknown)"));
        }
        snap.sysvol_notes.push(summary);
        snap.sysvol_notes.extend(notes);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use kizuna_core::directory::{DirDomain, DirGpo};

    #[test]
    fn hosts_from_ldap_urls() {
        for (url, host) in [
            ("ldaps://127.0.0.2", "127.0.0.2"),
            ("ldap://dc1.lab.test:389", "dc1.lab.test"),
            ("ldaps://DC1.lab.test:636/", "DC1.lab.test"),
            ("ldap://[::1]:389", "::1"),
            ("ldap://[fe80::1]", "fe80::1"),
        ] {
            assert_eq!(smb_host(url).unwrap(), host, "{url}");
        }
        assert!(smb_host("dc1").is_err());
        assert!(smb_host("ldap://").is_err());
    }

    #[test]
    fn ntlm_identities_split_like_windows() {
        let id = |b: &str| ntlm_identity(b, "lab.test");
        assert_eq!(
            id("Administrator@lab.test").unwrap(),
            ("Administrator".into(), "lab.test".into())
        );
        assert_eq!(
            id("LAB\\auditor").unwrap(),
            ("auditor".into(), "LAB".into())
        );
        assert_eq!(
            id("first.last@corp@lab.test").unwrap(),
            ("first.last@corp".into(), "lab.test".into()),
            "the domain is after the last @"
        );
        assert_eq!(
            id("auditor").unwrap(),
            ("auditor".into(), "lab.test".into())
        );
        let dn = id("CN=Auditor,CN=Users,DC=lab,DC=test").unwrap_err();
        assert!(dn.contains("DN") && dn.contains("SYSVOL copy"), "{dn}");
        assert!(id("LAB\\").is_err());
        assert!(id("@lab.test").is_err());
    }

    fn snapshot() -> DirectorySnapshot {
        DirectorySnapshot {
            domain: DirDomain {
                dns_domain: Some("lab.test".into()),
                ..Default::default()
            },
            gpos: vec![DirGpo {
                guid: "{31B2F340-016D-11D2-945F-00C04FB984F9}".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn options(timeout: u64) -> Options {
        let mut o = Options::new("ldap://127.0.0.1");
        o.bind = Some("auditor@lab.test".into());
        o.password = Some(Secret::new("Sup3r-Secret-Pw".into()));
        o.timeout = Duration::from_secs(timeout);
        o
    }

    /// A server that accepts TCP and never answers: given up on within the timeout, the
    /// message names the share and the time and not the password.
    #[test]
    fn silent_and_closed_servers_fail_within_the_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = std::thread::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_secs(4));
            drop(conn);
        });
        let mut snap = snapshot();
        let started = std::time::Instant::now();
        let e = read_sysvol_smb_at(&options(1), "127.0.0.1", port, &mut snap)
            .unwrap_err()
            .to_string();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(
            e.contains(r"\\127.0.0.1\SYSVOL") && e.contains("within 1 s"),
            "{e}"
        );
        assert!(!e.contains("Sup3r-Secret-Pw"), "{e}");
        assert_eq!(snap.gpos[0].registry_values, None, "nothing read");
        hold.join().unwrap();

        // Nothing listens there now: refused at once.
        let e = read_sysvol_smb_at(&options(5), "127.0.0.1", port, &mut snap)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot connect to port"), "{e}");
    }

    #[test]
    fn needs_credentials_and_a_domain() {
        let mut o = options(1);
        o.password = None;
        let e = read_sysvol_smb(&o, &mut snapshot())
            .unwrap_err()
            .to_string();
        assert!(e.contains("bind user") && e.contains("SYSVOL copy"), "{e}");
        let fixable = read_sysvol_smb(&o, &mut snapshot()).unwrap_err();
        assert_eq!(fixable.remedy(), Some(Remedy::SmbSignIn));
        let mut snap = snapshot();
        snap.domain.dns_domain = None;
        let e = read_sysvol_smb(&options(1), &mut snap)
            .unwrap_err()
            .to_string();
        assert!(e.contains("DNS domain"), "{e}");
    }
}
