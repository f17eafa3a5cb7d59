//! LDAP: one bind, paged subtree searches, every step under a timeout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use kizuna_core::Timestamp;
use kizuna_core::directory::{
    ContainerKind, DirComputer, DirDomain, DirGpLink, DirGpo, DirWmiFilter, DirectorySnapshot,
};
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
    ) -> Result<Vec<Entry>, DirectoryError> {
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
            let mut attrs: HashMap<String, Vec<String>> = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            for (k, v) in e.bin_attrs {
                attrs
                    .entry(k.to_ascii_lowercase())
                    .or_default()
                    .extend(v.iter().map(|b| String::from_utf8_lossy(b).into_owned()));
            }
            out.push(Entry { dn: e.dn, attrs });
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

struct Entry {
    dn: String,
    attrs: HashMap<String, Vec<String>>,
}

impl Entry {
    fn one(&self, name: &str) -> Option<&str> {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    fn all(&self, name: &str) -> &[String] {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.one(name)?.trim().parse().ok()
    }
}

/// A FILETIME attribute (`pwdLastSet`, `lastLogonTimestamp`): `None` for 0 / never.
fn filetime(v: Option<&str>) -> Option<Timestamp> {
    let n: i64 = v?.trim().parse().ok()?;
    kizuna_core::from_filetime(u64::try_from(n).ok()?)
}

/// A GeneralizedTime (`20250101000000.0Z`).
fn generalized(v: Option<&str>) -> Option<Timestamp> {
    let v = v?.trim();
    let base = v.split(['.', 'Z']).next()?;
    NaiveDateTime::parse_from_str(base, "%Y%m%d%H%M%S")
        .ok()
        .map(|n| DateTime::from_naive_utc_and_offset(n, Utc))
}

/// `[LDAP://cn={GUID},cn=policies,…;FLAGS][…]` → (GUID, flags), in written order.
pub(crate) fn parse_gplink(v: &str) -> Vec<(String, u32)> {
    v.split('[')
        .filter_map(|part| {
            let part = part.trim_end_matches(']').trim();
            let (path, flags) = part.rsplit_once(';')?;
            let start = path.find('{')?;
            let end = path[start..].find('}')? + start;
            Some((
                path[start..=end].to_ascii_uppercase(),
                flags.trim().parse().unwrap_or(0),
            ))
        })
        .collect()
}

/// `msWMI-Parm2`: `COUNT;` then per query `3;10;LEN;WQL;NAMESPACE;QUERY;` (QUERY is LEN
/// characters and may itself contain `;`).
pub(crate) fn parse_wmi_parm2(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some((count, mut rest)) = v.split_once(';') else {
        return out;
    };
    let count: usize = count.trim().parse().unwrap_or(0);
    for _ in 0..count.min(64) {
        let mut fields = Vec::new();
        for _ in 0..5 {
            let Some((f, r)) = rest.split_once(';') else {
                return out;
            };
            fields.push(f);
            rest = r;
        }
        let len: usize = fields[2].trim().parse().unwrap_or(0);
        let q: String = rest.chars().take(len).collect();
        rest = &rest[q.len()..];
        rest = rest.strip_prefix(';').unwrap_or(rest);
        out.push(q);
    }
    out
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
    let dns_domain = Some(
        base.split(',')
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("DC=")
                    .or_else(|| p.trim().strip_prefix("dc="))
            })
            .collect::<Vec<_>>()
            .join("."),
    )
    .filter(|d| !d.is_empty());

    let mut domain = DirDomain {
        default_naming_context: base.clone(),
        dns_domain,
        server: root.one("dnsHostName").map(str::to_string),
        domain_functionality: root.number("domainFunctionality"),
        forest_functionality: root.number("forestFunctionality"),
        dc_functionality: root.number("domainControllerFunctionality"),
        blocked_ous: Vec::new(),
    };

    // DC sites: server objects under CN=Sites reference their computer objects.
    let servers = s.search(
        "DC server objects",
        &format!("CN=Sites,{config}"),
        Scope::Subtree,
        "(objectClass=server)",
        &["serverReference", "dNSHostName"],
    )?;
    let mut site_of: HashMap<String, String> = HashMap::new();
    for e in &servers {
        // CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,…
        let site =
            e.dn.split(',')
                .nth(2)
                .and_then(|p| p.split_once('=').map(|(_, v)| v.to_string()));
        if let (Some(r), Some(site)) = (e.one("serverReference"), site) {
            site_of.insert(r.to_ascii_lowercase(), site);
        }
    }

    let computers = s.search(
        "computers",
        &base,
        Scope::Subtree,
        "(objectClass=computer)",
        &COMPUTER_ATTRIBUTES,
    )?;
    let mut computers: Vec<DirComputer> = computers
        .iter()
        .map(|e| DirComputer {
            dn: e.dn.clone(),
            name: e.one("cn").map(str::to_string).unwrap_or_else(|| {
                e.dn.split(',')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("CN=")
                    .to_string()
            }),
            sam_account_name: e.one("sAMAccountName").map(str::to_string),
            dns_host_name: e.one("dNSHostName").map(str::to_string),
            user_account_control: e.number("userAccountControl").unwrap_or(0),
            operating_system: e.one("operatingSystem").map(str::to_string),
            operating_system_version: e.one("operatingSystemVersion").map(str::to_string),
            pwd_last_set: filetime(e.one("pwdLastSet")),
            last_logon_timestamp: filetime(e.one("lastLogonTimestamp")),
            when_created: generalized(e.one("whenCreated")),
            supported_encryption_types: e
                .number::<i64>("msDS-SupportedEncryptionTypes")
                .map(|n| n as u32),
            site: site_of.get(&e.dn.to_ascii_lowercase()).cloned(),
        })
        .collect();
    computers.sort_by(|a, b| a.name.cmp(&b.name).then(a.dn.cmp(&b.dn)));

    let gpos = s.search(
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
    )?;
    let mut gpos: Vec<DirGpo> = gpos
        .iter()
        .map(|e| DirGpo {
            guid: e.one("cn").unwrap_or("").to_ascii_uppercase(),
            dn: e.dn.clone(),
            display_name: e.one("displayName").map(str::to_string),
            flags: e.number("flags").unwrap_or(0),
            version_number: e.number("versionNumber"),
            machine_extension_names: e.one("gPCMachineExtensionNames").map(str::to_string),
            wql_filter: e.one("gPCWQLFilter").map(str::to_string),
            when_changed: generalized(e.one("whenChanged")),
            registry_values: None,
        })
        .collect();
    gpos.sort_by(|a, b| {
        a.display_name
            .cmp(&b.display_name)
            .then(a.guid.cmp(&b.guid))
    });

    let mut links = Vec::new();
    for (what, search_base) in [
        ("GPO links", base.as_str()),
        ("site GPO links", config.as_str()),
    ] {
        let containers = s.search(
            what,
            search_base,
            Scope::Subtree,
            "(|(gPLink=*)(gPOptions=1))",
            &["gPLink", "gPOptions", "objectClass"],
        )?;
        for e in &containers {
            let classes: Vec<String> = e
                .all("objectClass")
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect();
            let kind = if classes.iter().any(|c| c == "domaindns" || c == "domain") {
                ContainerKind::Domain
            } else if classes.iter().any(|c| c == "organizationalunit") {
                ContainerKind::Ou
            } else if classes.iter().any(|c| c == "site") {
                ContainerKind::Site
            } else {
                ContainerKind::Other
            };
            if e.number::<u32>("gPOptions") == Some(1) && kind == ContainerKind::Ou {
                domain.blocked_ous.push(e.dn.clone());
            }
            let parsed = parse_gplink(e.one("gPLink").unwrap_or(""));
            let n = parsed.len();
            for (i, (guid, flags)) in parsed.into_iter().enumerate() {
                links.push(DirGpLink {
                    container_dn: e.dn.clone(),
                    container_kind: kind,
                    gpo_guid: guid,
                    disabled: flags & 1 != 0,
                    enforced: flags & 2 != 0,
                    order: n - i,
                });
            }
        }
    }
    links.sort_by(|a, b| {
        a.container_dn
            .cmp(&b.container_dn)
            .then(a.order.cmp(&b.order))
    });

    let filters = s.search(
        "WMI filters",
        &format!("CN=SOM,CN=WMIPolicy,CN=System,{base}"),
        Scope::OneLevel,
        "(objectClass=msWMI-Som)",
        &["msWMI-ID", "msWMI-Name", "msWMI-Parm2"],
    )?;
    let mut wmi_filters: Vec<DirWmiFilter> = filters
        .iter()
        .map(|e| DirWmiFilter {
            id: e
                .one("msWMI-ID")
                .or_else(|| {
                    e.dn.split(',')
                        .next()
                        .and_then(|p| p.split_once('=').map(|(_, v)| v))
                })
                .unwrap_or("")
                .to_ascii_uppercase(),
            name: e.one("msWMI-Name").map(str::to_string),
            queries: parse_wmi_parm2(e.one("msWMI-Parm2").unwrap_or("")),
        })
        .collect();
    wmi_filters.sort_by(|a, b| a.id.cmp(&b.id));
    let _ = s.conn.unbind();

    Ok(DirectorySnapshot {
        source: o.url.clone(),
        read_at: Some(Utc::now()),
        domain,
        computers,
        gpos,
        links,
        wmi_filters,
        sysvol_notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gplink_and_wmi_and_times() {
        let l = parse_gplink(
            "[LDAP://cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=lab,DC=test;0][LDAP://CN={abc},CN=Policies,CN=System,DC=lab,DC=test;2]",
        );
        assert_eq!(
            l,
            [
                ("{31B2F340-016D-11D2-945F-00C04FB984F9}".to_string(), 0),
                ("{ABC}".to_string(), 2)
            ]
        );
        assert!(parse_gplink("").is_empty());
        let q = "SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2";
        let p = format!("1;3;10;{};WQL;root\\CIMv2;{q};", q.len());
        assert_eq!(parse_wmi_parm2(&p), [q]);
        let two = format!(
            "2;3;10;{};WQL;root\\CIMv2;{q};3;10;3;WQL;root\\CIMv2;a;b;",
            q.len()
        );
        assert_eq!(parse_wmi_parm2(&two), [q, "a;b"]);
        assert!(parse_wmi_parm2("garbage").is_empty());
        assert_eq!(
            filetime(Some("132223104000000000")).unwrap().to_rfc3339(),
            "2020-01-01T00:00:00+00:00"
        );
        assert_eq!(filetime(Some("0")), None);
        assert_eq!(filetime(Some("9223372036854775807")), None);
        assert_eq!(
            generalized(Some("20250101123000.0Z")).unwrap().to_rfc3339(),
            "2025-01-01T12:30:00+00:00"
        );
    }
}
