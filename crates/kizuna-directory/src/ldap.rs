//! LDAP: one bind, paged subtree searches, every step under a timeout.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kizuna_core::directory::entry::{AdEntry, SnapshotBuilder, dns_of_naming_context};
use kizuna_core::directory::{DirDomain, DirectorySnapshot};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConn, LdapConnSettings, Scope, SearchEntry};

use crate::{DirectoryError, Remedy, Secret};

/// How to reach and read the directory.
#[derive(Debug, Clone)]
pub struct Options {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// Bind name (UPN `user@domain`, `DOMAIN\user` or a DN); `None` = anonymous (rootDSE only
    /// on AD).
    pub bind: Option<String>,
    pub password: Option<Secret>,
    /// PEM file of the CA(s) to trust instead of the system roots.
    pub ca_cert: Option<PathBuf>,
    pub starttls: bool,
    /// Default: rootDSE `defaultNamingContext`.
    pub base_dn: Option<String>,
    /// Connect and per-operation timeout.
    pub timeout: Duration,
    pub page_size: i32,
}

impl Options {
    pub fn new(url: &str) -> Options {
        Options {
            url: url.to_string(),
            bind: None,
            password: None,
            ca_cert: None,
            starttls: false,
            base_dn: None,
            timeout: Duration::from_secs(10),
            page_size: 500,
        }
    }
}

/// TLS trust: the CA file when given (and only it), else the system roots.
fn tls_config(o: &Options) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    kizuna_tls::client_config(o.ca_cert.as_deref()).map_err(|e| DirectoryError::Tls {
        url: o.url.clone(),
        why: match (&o.ca_cert, e) {
            (
                Some(_),
                e
                @ (kizuna_tls::TlsError::CaFile { .. } | kizuna_tls::TlsError::EmptyCaFile { .. }),
            ) => {
                format!("the CA certificate: {e}")
            }
            (_, e) => e.to_string(),
        },
    })
}

struct Session<'o> {
    o: &'o Options,
    conn: LdapConn,
}

fn classify_connect(o: &Options, e: ldap3::LdapError) -> DirectoryError {
    let why = e.to_string();
    let secs = o.timeout.as_secs();
    let tls = why.contains("certificate")
        || why.contains("Tls")
        || why.contains("TLS")
        || why.contains("InvalidCertificate")
        || why.contains("handshake");
    if tls {
        DirectoryError::Tls {
            url: o.url.clone(),
            why: format!("{why} (the server's certificate is not trusted: give its CA)"),
        }
        .fixable(Remedy::TrustCa)
    } else if why.contains("invalid URL") || why.contains("scheme") || why.contains("Url") {
        DirectoryError::Url {
            url: o.url.clone(),
            why,
        }
    } else {
        DirectoryError::Connect {
            url: o.url.clone(),
            secs,
            why,
        }
    }
}

impl<'o> Session<'o> {
    fn open(o: &'o Options) -> Result<Self, DirectoryError> {
        let lower = o.url.to_ascii_lowercase();
        if !(lower.starts_with("ldap://") || lower.starts_with("ldaps://")) {
            return Err(DirectoryError::Url {
                url: o.url.clone(),
                why: "the scheme must be ldap or ldaps".into(),
            });
        }
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(o.timeout)
            .set_starttls(o.starttls);
        if lower.starts_with("ldaps://") || o.starttls {
            settings = settings.set_config(tls_config(o)?);
        }
        let mut conn =
            LdapConn::with_settings(settings, &o.url).map_err(|e| classify_connect(o, e))?;
        if let (Some(user), Some(pw)) = (&o.bind, &o.password) {
            let r = conn
                .with_timeout(o.timeout)
                .simple_bind(user, pw.expose())
                .map_err(|e| classify_connect(o, e))?;
            if r.rc != 0 {
                let refused = DirectoryError::Bind {
                    url: o.url.clone(),
                    user: user.clone(),
                    why: bind_reason(r.rc, &r.text),
                };
                return Err(match r.rc {
                    8 | 13 => refused.fixable(Remedy::ProtectBind),
                    _ => refused,
                });
            }
        }
        Ok(Session { o, conn })
    }

    /// A paged search; every entry's attributes as (lower-case name → values).
    fn search(
        &mut self,
        what: &str,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
    ) -> Result<Vec<AdEntry>, DirectoryError> {
        let err = |why: String| DirectoryError::Search {
            url: self.o.url.clone(),
            what: what.to_string(),
            why,
        };
        let adapters: Vec<Box<dyn Adapter<_, _>>> = if scope == Scope::Base {
            vec![Box::new(EntriesOnly::new())]
        } else {
            vec![
                Box::new(EntriesOnly::new()),
                Box::new(PagedResults::new(self.o.page_size)),
            ]
        };
        let timeout = self.o.timeout;
        let mut stream = self
            .conn
            .with_timeout(timeout)
            .streaming_search_with(adapters, base, scope, filter, attrs.to_vec())
            .map_err(|e| err(e.to_string()))?;
        let mut out = Vec::new();
        while let Some(raw) = stream.next().map_err(|e| err(e.to_string()))? {
            let e = SearchEntry::construct(raw);
            let mut entry = AdEntry::new(e.dn);
            for (k, values) in e.attrs {
                for v in values {
                    entry.push(&k, v);
                }
            }
            for (k, values) in e.bin_attrs {
                for v in values {
                    entry.push(&k, String::from_utf8_lossy(&v).into_owned());
                }
            }
            out.push(entry);
        }
        let r = stream.result();
        // 32 = no such object: an absent container (no WMI filters yet) is empty, not an error.
        if r.rc != 0 && r.rc != 32 {
            return Err(err(format!("LDAP result {}: {}", r.rc, r.text)));
        }
        Ok(out)
    }
}

fn bind_reason(rc: u32, text: &str) -> String {
    match rc {
        49 => format!(
            "invalid credentials (LDAP 49{}): check the user name and password",
            if text.contains("data 52e") {
                ", AD data 52e"
            } else {
                ""
            }
        ),
        8 => "the server requires a protected connection for simple binds: use ldaps:// or StartTLS (LDAP 8)".into(),
        13 => "confidentiality required: use ldaps:// or StartTLS (LDAP 13)".into(),
        _ => format!("LDAP result {rc}: {text}"),
    }
}

/// The attributes read from every computer object.
pub const COMPUTER_ATTRIBUTES: [&str; 10] = [
    "cn",
    "sAMAccountName",
    "dNSHostName",
    "userAccountControl",
    "operatingSystem",
    "operatingSystemVersion",
    "pwdLastSet",
    "lastLogonTimestamp",
    "whenCreated",
    "msDS-SupportedEncryptionTypes",
];

/// Reads the directory: rootDSE, computers, DC sites, GPOs, gPLinks and WMI filters.
pub fn read_directory(o: &Options) -> Result<DirectorySnapshot, DirectoryError> {
    let mut s = Session::open(o)?;
    let root = s.search(
        "rootDSE",
        "",
        Scope::Base,
        "(objectClass=*)",
        &[
            "defaultNamingContext",
            "configurationNamingContext",
            "dnsHostName",
            "domainFunctionality",
            "forestFunctionality",
            "domainControllerFunctionality",
        ],
    )?;
    let root = root
        .into_iter()
        .next()
        .ok_or_else(|| DirectoryError::Search {
            url: o.url.clone(),
            what: "rootDSE".into(),
            why: "empty answer".into(),
        })?;
    let base = o
        .base_dn
        .clone()
        .or_else(|| root.one("defaultNamingContext").map(str::to_string))
        .ok_or_else(|| {
            DirectoryError::Search {
                url: o.url.clone(),
                what: "rootDSE".into(),
                why: "no defaultNamingContext: give the search base".into(),
            }
            .fixable(Remedy::SearchBase)
        })?;
    let config = root
        .one("configurationNamingContext")
        .map(str::to_string)
        .unwrap_or_else(|| format!("CN=Configuration,{base}"));
    let number = |name: &str| root.one(name).and_then(|v| v.trim().parse().ok());
    let domain = DirDomain {
        default_naming_context: base.clone(),
        dns_domain: dns_of_naming_context(&base),
        server: root.one("dnsHostName").map(str::to_string),
        domain_functionality: number("domainFunctionality"),
        forest_functionality: number("forestFunctionality"),
        dc_functionality: number("domainControllerFunctionality"),
        blocked_ous: Vec::new(),
    };
    let mut snap = SnapshotBuilder::new();

    // DC sites: server objects under CN=Sites reference their computer objects.
    for e in s.search(
        "DC server objects",
        &format!("CN=Sites,{config}"),
        Scope::Subtree,
        "(objectClass=server)",
        &["serverReference", "dNSHostName"],
    )? {
        snap.server(&e);
    }
    for e in s.search(
        "computers",
        &base,
        Scope::Subtree,
        "(objectClass=computer)",
        &COMPUTER_ATTRIBUTES,
    )? {
        snap.computer(e);
    }
    for e in s.search(
        "GPOs",
        &format!("CN=Policies,CN=System,{base}"),
        Scope::OneLevel,
        "(objectClass=groupPolicyContainer)",
        &[
            "cn",
            "displayName",
            "flags",
            "versionNumber",
            "gPCMachineExtensionNames",
            "gPCWQLFilter",
            "whenChanged",
        ],
    )? {
        snap.gpo(&e);
    }
    for (what, search_base) in [
        ("GPO links", base.as_str()),
        ("site GPO links", config.as_str()),
    ] {
        for e in s.search(
            what,
            search_base,
            Scope::Subtree,
            "(|(gPLink=*)(gPOptions=1))",
            &["gPLink", "gPOptions", "objectClass"],
        )? {
            snap.container(&e);
        }
    }
    for e in s.search(
        "WMI filters",
        &format!("CN=SOM,CN=WMIPolicy,CN=System,{base}"),
        Scope::OneLevel,
        "(objectClass=msWMI-Som)",
        &["msWMI-ID", "msWMI-Name", "msWMI-Parm2"],
    )? {
        snap.wmi_filter(&e);
    }
    let _ = s.conn.unbind();
    Ok(snap.finish(o.url.clone(), Some(Utc::now()), domain))
}
