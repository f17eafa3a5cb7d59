//! Directory objects as attribute name → values, whatever carried them (an LDAP search, an
//! `ldifde` LDIF, a `csvde` or `Get-ADComputer | Export-Csv` CSV), and what they say as a
//! [`DirectorySnapshot`]. One home for the meaning of AD attributes, so that a live read
//! and an export of the same directory give the same snapshot.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{
    ContainerKind, DirComputer, DirDomain, DirGpLink, DirGpo, DirWmiFilter, DirectorySnapshot, uac,
};
use crate::Timestamp;

/// One directory object: its DN and attributes (names matched case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdEntry {
    pub dn: String,
    attrs: HashMap<String, Vec<String>>,
}

impl AdEntry {
    pub fn new(dn: impl Into<String>) -> AdEntry {
        AdEntry {
            dn: dn.into(),
            attrs: HashMap::new(),
        }
    }

    /// Adds one value of `name`.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.attrs
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.into());
    }

    /// Replaces every value of `name` with `value`.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.attrs
            .insert(name.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Whether the object has any value of `name`.
    pub fn has(&self, name: &str) -> bool {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .is_some_and(|v| !v.is_empty())
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.one(name)?.trim().parse().ok()
    }

    fn has_class(&self, class: &str) -> bool {
        self.all("objectClass")
            .iter()
            .any(|c| c.trim().eq_ignore_ascii_case(class))
    }

    /// The value of the DN's first component (`CN=PC1,OU=…` → `PC1`).
    fn rdn_value(&self) -> &str {
        let first = first_rdn(&self.dn);
        first.split_once('=').map_or(first, |(_, v)| v)
    }

    /// What kind of object this is, by its classes, else by what its attributes say (a
    /// `csvde -l` export may leave `objectClass` out; a computer account still has its
    /// trust bits in `userAccountControl`).
    pub fn kind(&self) -> EntryKind {
        if self.has_class("computer") {
            return EntryKind::Computer;
        }
        if self.has_class("groupPolicyContainer") {
            return EntryKind::Gpo;
        }
        if self.has_class("msWMI-Som") {
            return EntryKind::WmiFilter;
        }
        if self.has_class("domainDNS") || self.has_class("domain") {
            return EntryKind::Domain;
        }
        if self.has_class("server") && self.has("serverReference") {
            return EntryKind::Server;
        }
        if self.all("objectClass").is_empty() {
            let trust = uac::WORKSTATION_TRUST_ACCOUNT
                | uac::SERVER_TRUST_ACCOUNT
                | uac::PARTIAL_SECRETS_ACCOUNT;
            if self.number::<u32>("userAccountControl").unwrap_or(0) & trust != 0 {
                return EntryKind::Computer;
            }
        }
        EntryKind::Other
    }
}

/// What an entry is, as far as the snapshot cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Computer,
    Gpo,
    WmiFilter,
    /// The domain object (`domainDNS`): the naming context, the functional level, links.
    Domain,
    /// A DC's server object under `CN=Sites`: its site.
    Server,
    /// Anything else; an OU or site still counts for its gPLink / gPOptions.
    Other,
}

fn first_rdn(dn: &str) -> &str {
    let b = dn.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b',' => return &dn[..i],
            _ => i += 1,
        }
    }
    dn
}

/// A FILETIME attribute (`pwdLastSet`, `lastLogonTimestamp`): `None` for 0 / never.
pub fn filetime(v: Option<&str>) -> Option<Timestamp> {
    let n: i64 = v?.trim().parse().ok()?;
    crate::from_filetime(u64::try_from(n).ok()?)
}

/// A GeneralizedTime (`20250101000000.0Z`).
pub fn generalized(v: Option<&str>) -> Option<Timestamp> {
    let v = v?.trim();
    let base = v.split(['.', 'Z']).next()?;
    NaiveDateTime::parse_from_str(base, "%Y%m%d%H%M%S")
        .ok()
        .map(|n| DateTime::from_naive_utc_and_offset(n, Utc))
}

/// `[LDAP://cn={GUID},cn=policies,…;FLAGS][…]` → (GUID, flags), in written order.
pub fn parse_gplink(v: &str) -> Vec<(String, u32)> {
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
pub fn parse_wmi_parm2(v: &str) -> Vec<String> {
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

/// The DNS name a naming context spells (`DC=lab,DC=test` → `lab.test`).
pub fn dns_of_naming_context(nc: &str) -> Option<String> {
    let d = nc
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            p.get(..3)
                .filter(|k| k.eq_ignore_ascii_case("DC="))
                .map(|_| &p[3..])
        })
        .collect::<Vec<_>>()
        .join(".");
    (!d.is_empty()).then_some(d)
}

/// The trailing `DC=` components of a DN: the naming context it sits in.
pub fn naming_context_of(dn: &str) -> Option<String> {
    let parts: Vec<&str> = dn.split(',').map(str::trim).collect();
    let n = parts
        .iter()
        .rev()
        .take_while(|p| p.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("DC=")))
        .count();
    (n > 0).then(|| parts[parts.len() - n..].join(","))
}

/// Collects entries and builds the snapshot, sorted the same way whatever their order.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    /// Taken as they come (the entry's attribute map is dropped at once); their sites are
    /// filled in at the end, when every server object is known.
    computers: Vec<DirComputer>,
    gpos: Vec<DirGpo>,
    wmi_filters: Vec<DirWmiFilter>,
    links: Vec<DirGpLink>,
    blocked_ous: Vec<String>,
    /// Computer DN (lower case) → site, from server objects.
    site_of: HashMap<String, String>,
    /// The domain object's DN and `msDS-Behavior-Version`.
    domain_dn: Option<String>,
    domain_level: Option<u32>,
}

impl SnapshotBuilder {
    pub fn new() -> SnapshotBuilder {
        SnapshotBuilder::default()
    }

    /// Takes any entry by what it is ([`AdEntry::kind`]); containers also for their links.
    pub fn add(&mut self, e: AdEntry) {
        match e.kind() {
            EntryKind::Computer => self.computer(e),
            EntryKind::Gpo => self.gpo(&e),
            EntryKind::WmiFilter => self.wmi_filter(&e),
            EntryKind::Server => self.server(&e),
            EntryKind::Domain => {
                if self.domain_dn.is_none() {
                    self.domain_dn = Some(e.dn.clone());
                    self.domain_level = e.number("msDS-Behavior-Version");
                }
                self.container(&e);
            }
            EntryKind::Other => self.container(&e),
        }
    }

    pub fn computer(&mut self, e: AdEntry) {
        self.computers.push(DirComputer {
            name: e
                .one("cn")
                .map(str::to_string)
                .unwrap_or_else(|| e.rdn_value().to_string()),
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
            site: None,
            source: None,
            dn: e.dn,
        });
    }

    pub fn gpo(&mut self, e: &AdEntry) {
        self.gpos.push(DirGpo {
            guid: e
                .one("cn")
                .unwrap_or_else(|| e.rdn_value())
                .to_ascii_uppercase(),
            dn: e.dn.clone(),
            display_name: e.one("displayName").map(str::to_string),
            flags: e.number("flags").unwrap_or(0),
            version_number: e.number("versionNumber"),
            machine_extension_names: e.one("gPCMachineExtensionNames").map(str::to_string),
            wql_filter: e.one("gPCWQLFilter").map(str::to_string),
            when_changed: generalized(e.one("whenChanged")),
            registry_values: None,
        });
    }

    pub fn wmi_filter(&mut self, e: &AdEntry) {
        self.wmi_filters.push(DirWmiFilter {
            id: e
                .one("msWMI-ID")
                .unwrap_or_else(|| e.rdn_value())
                .to_ascii_uppercase(),
            name: e.one("msWMI-Name").map(str::to_string),
            queries: parse_wmi_parm2(e.one("msWMI-Parm2").unwrap_or("")),
        });
    }

    /// A DC's server object (`CN=DC1,CN=Servers,CN=SITE,CN=Sites,…`): the site of the
    /// computer it references.
    pub fn server(&mut self, e: &AdEntry) {
        let site =
            e.dn.split(',')
                .nth(2)
                .and_then(|p| p.split_once('=').map(|(_, v)| v.to_string()));
        if let (Some(r), Some(site)) = (e.one("serverReference"), site) {
            self.site_of.insert(r.to_ascii_lowercase(), site);
        }
    }

    /// A container's gPLink and block of inheritance (gPOptions = 1).
    pub fn container(&mut self, e: &AdEntry) {
        if !e.has("gPLink") && !e.has("gPOptions") {
            return;
        }
        let classes: Vec<String> = e
            .all("objectClass")
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let first = first_rdn(&e.dn).to_ascii_uppercase();
        let kind = if classes.iter().any(|c| c == "domaindns" || c == "domain") {
            ContainerKind::Domain
        } else if classes.iter().any(|c| c == "organizationalunit") {
            ContainerKind::Ou
        } else if classes.iter().any(|c| c == "site") {
            ContainerKind::Site
        } else if classes.is_empty() && first.starts_with("OU=") {
            // An export without objectClass: the DN says what it is.
            ContainerKind::Ou
        } else if classes.is_empty() && first.starts_with("DC=") {
            ContainerKind::Domain
        } else {
            ContainerKind::Other
        };
        if e.number::<u32>("gPOptions") == Some(1) && kind == ContainerKind::Ou {
            self.blocked_ous.push(e.dn.clone());
        }
        let parsed = parse_gplink(e.one("gPLink").unwrap_or(""));
        let n = parsed.len();
        for (i, (guid, flags)) in parsed.into_iter().enumerate() {
            self.links.push(DirGpLink {
                container_dn: e.dn.clone(),
                container_kind: kind,
                gpo_guid: guid,
                disabled: flags & 1 != 0,
                enforced: flags & 2 != 0,
                order: n - i,
            });
        }
    }

    /// How many things the snapshot will hold (objects, links, blocks, sites, the domain):
    /// an entry that did not change it said nothing kizuna judges.
    pub fn len(&self) -> usize {
        self.computers.len()
            + self.gpos.len()
            + self.wmi_filters.len()
            + self.links.len()
            + self.blocked_ous.len()
            + self.site_of.len()
            + usize::from(self.domain_dn.is_some())
    }

    /// Whether anything at all was taken.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The domain object's DN, else the naming context the entries sit in, else `""`.
    pub fn naming_context(&self) -> String {
        self.domain_dn
            .clone()
            .or_else(|| {
                let mut seen: BTreeMap<String, (usize, String)> = BTreeMap::new();
                let dns = self
                    .computers
                    .iter()
                    .map(|c| c.dn.as_str())
                    .chain(self.gpos.iter().map(|g| g.dn.as_str()))
                    .chain(self.links.iter().map(|l| l.container_dn.as_str()));
                for dn in dns {
                    if let Some(nc) = naming_context_of(dn) {
                        seen.entry(nc.to_ascii_lowercase()).or_insert((0, nc)).0 += 1;
                    }
                }
                // The most common; ties to the smallest name, so order never matters.
                seen.into_values()
                    .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                    .map(|(_, nc)| nc)
            })
            .unwrap_or_default()
    }

    /// The domain facts an export can carry (its naming context and functional level); a
    /// live read overrides them from the rootDSE.
    pub fn domain(&self) -> DirDomain {
        let nc = self.naming_context();
        DirDomain {
            dns_domain: dns_of_naming_context(&nc),
            default_naming_context: nc,
            server: None,
            domain_functionality: self.domain_level,
            forest_functionality: None,
            dc_functionality: None,
            blocked_ous: Vec::new(),
        }
    }

    /// The snapshot, every list in a total order ([`DirectorySnapshot::tidy`]).
    pub fn finish(
        self,
        source: String,
        read_at: Option<Timestamp>,
        mut domain: DirDomain,
    ) -> DirectorySnapshot {
        let site_of = self.site_of;
        let mut computers = self.computers;
        for c in &mut computers {
            c.site = site_of.get(&c.dn.to_ascii_lowercase()).cloned();
            c.source.get_or_insert_with(|| source.clone());
        }
        domain.blocked_ous.extend(self.blocked_ous);
        let mut snap = DirectorySnapshot {
            source,
            read_at,
            domain,
            computers,
            gpos: self.gpos,
            links: self.links,
            wmi_filters: self.wmi_filters,
            sysvol_notes: Vec::new(),
        };
        snap.tidy();
        snap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dn: &str, attrs: &[(&str, &str)]) -> AdEntry {
        let mut e = AdEntry::new(dn);
        for (k, v) in attrs {
            e.push(k, *v);
        }
        e
    }

    #[test]
    fn attribute_formats() {
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
        assert_eq!(
            naming_context_of("CN=PC1,OU=A,DC=lab,DC=test").as_deref(),
            Some("DC=lab,DC=test")
        );
        assert_eq!(naming_context_of("CN=PC1"), None);
        assert_eq!(
            dns_of_naming_context("dc=Lab, dc=test").as_deref(),
            Some("Lab.test")
        );
    }

    #[test]
    fn entries_become_the_same_snapshot_in_any_order() {
        let entries = vec![
            entry(
                "DC=lab,DC=test",
                &[
                    ("objectClass", "top"),
                    ("objectClass", "domainDNS"),
                    ("msDS-Behavior-Version", "10"),
                    (
                        "gPLink",
                        "[LDAP://cn={AAA},cn=policies,cn=system,DC=lab,DC=test;0]",
                    ),
                ],
            ),
            entry(
                "OU=Kiosk,DC=lab,DC=test",
                &[("objectClass", "organizationalUnit"), ("gPOptions", "1")],
            ),
            entry(
                "CN=PC2,OU=Kiosk,DC=lab,DC=test",
                &[
                    ("objectClass", "computer"),
                    ("userAccountControl", "4098"),
                    ("pwdLastSet", "132223104000000000"),
                ],
            ),
            // csvde -l without objectClass: the trust bits say computer
            entry(
                "CN=DC1,OU=Domain Controllers,DC=lab,DC=test",
                &[("cn", "DC1"), ("userAccountControl", "532480")],
            ),
            entry(
                "CN={aaa},CN=Policies,CN=System,DC=lab,DC=test",
                &[
                    ("objectClass", "groupPolicyContainer"),
                    ("displayName", "Default"),
                ],
            ),
            entry(
                "CN=DC1,CN=Servers,CN=Tokyo,CN=Sites,CN=Configuration,DC=lab,DC=test",
                &[
                    ("objectClass", "server"),
                    (
                        "serverReference",
                        "CN=DC1,OU=Domain Controllers,DC=lab,DC=test",
                    ),
                ],
            ),
        ];
        let build = |list: Vec<AdEntry>| {
            let mut b = SnapshotBuilder::new();
            for e in list {
                b.add(e);
            }
            let d = b.domain();
            b.finish("x.ldf".into(), None, d)
        };
        let a = build(entries.clone());
        let mut rev = entries;
        rev.reverse();
        assert_eq!(a, build(rev));
        assert_eq!(a.domain.default_naming_context, "DC=lab,DC=test");
        assert_eq!(a.domain.dns_domain.as_deref(), Some("lab.test"));
        assert_eq!(a.domain.domain_functionality, Some(10));
        assert_eq!(a.domain.blocked_ous, ["OU=Kiosk,DC=lab,DC=test"]);
        let names: Vec<&str> = a.computers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["DC1", "PC2"], "the RDN names a computer without cn");
        assert!(a.computers[0].is_dc());
        assert_eq!(a.computers[0].site.as_deref(), Some("Tokyo"));
        assert!(!a.computers[1].enabled());
        assert_eq!(a.gpos[0].guid, "{AAA}");
        assert_eq!(a.links.len(), 1);
        assert_eq!(a.links[0].container_kind, ContainerKind::Domain);
    }

    #[test]
    fn the_naming_context_comes_from_the_dns_without_a_domain_object() {
        let mut b = SnapshotBuilder::new();
        b.add(entry(
            "CN=PC1,OU=PCs,DC=corp,DC=example",
            &[("objectClass", "computer")],
        ));
        assert_eq!(b.naming_context(), "DC=corp,DC=example");
        assert!(SnapshotBuilder::new().is_empty());
    }
}
