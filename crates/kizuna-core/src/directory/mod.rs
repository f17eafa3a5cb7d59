//! What the directory (Active Directory over LDAP) says: computers, GPOs, their links and
//! WMI filters. Readers fill it; the KZ-AD rules read it. Nothing here knows LDAP.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

pub mod entry;

/// userAccountControl bits kizuna reads.
pub mod uac {
    pub const ACCOUNTDISABLE: u32 = 0x0002;
    pub const WORKSTATION_TRUST_ACCOUNT: u32 = 0x1000;
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x2000;
    pub const PARTIAL_SECRETS_ACCOUNT: u32 = 0x0400_0000;
}

/// msDS-SupportedEncryptionTypes bits.
pub mod enctype {
    pub const DES_CBC_CRC: u32 = 0x1;
    pub const DES_CBC_MD5: u32 = 0x2;
    pub const RC4_HMAC: u32 = 0x4;
    pub const AES128: u32 = 0x8;
    pub const AES256: u32 = 0x10;
}

/// One computer object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirComputer {
    pub dn: String,
    /// `cn` (the computer name).
    pub name: String,
    pub sam_account_name: Option<String>,
    pub dns_host_name: Option<String>,
    pub user_account_control: u32,
    pub operating_system: Option<String>,
    /// `10.0 (26100)`
    pub operating_system_version: Option<String>,
    /// None: never set (0) or absent.
    pub pwd_last_set: Option<Timestamp>,
    /// Replicated last logon (lags up to 14 days by design).
    pub last_logon_timestamp: Option<Timestamp>,
    pub when_created: Option<Timestamp>,
    pub supported_encryption_types: Option<u32>,
    /// Site of a DC (from its server object), when known.
    pub site: Option<String>,
    /// Where it was read (the server's URL, an export's path): exports of one domain
    /// are judged as one snapshot, and each computer's evidence still names its file.
    #[serde(default)]
    pub source: Option<String>,
}

impl DirComputer {
    pub fn enabled(&self) -> bool {
        self.user_account_control & uac::ACCOUNTDISABLE == 0
    }

    /// A writable domain controller (SERVER_TRUST_ACCOUNT); read-only DCs carry
    /// PARTIAL_SECRETS_ACCOUNT and count as DCs too.
    pub fn is_dc(&self) -> bool {
        self.user_account_control & (uac::SERVER_TRUST_ACCOUNT | uac::PARTIAL_SECRETS_ACCOUNT) != 0
    }

    /// The DN of the container it sits in.
    pub fn parent_dn(&self) -> &str {
        parent_dn(&self.dn)
    }

    /// The build in `operatingSystemVersion` (`10.0 (26100)` → 26100).
    pub fn build(&self) -> Option<u32> {
        let v = self.operating_system_version.as_deref()?;
        let inner = v.split('(').nth(1)?.split(')').next()?;
        inner.trim().parse().ok()
    }

    /// Server OS by name (`Windows Server 2025 Datacenter`), for DCs and servers.
    pub fn is_server_os(&self) -> bool {
        self.operating_system
            .as_deref()
            .is_some_and(|o| o.to_ascii_lowercase().contains("server"))
    }
}

/// The DN of the parent of `dn` (after the first unescaped comma).
pub fn parent_dn(dn: &str) -> &str {
    let b = dn.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b',' => return &dn[i + 1..],
            _ => i += 1,
        }
    }
    ""
}

/// A Group Policy object (groupPolicyContainer) and, when SYSVOL was read, its security
/// settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirGpo {
    /// `{6AC1786C-016F-11D2-945F-00C04FB984F9}`, upper case with braces.
    pub guid: String,
    pub dn: String,
    pub display_name: Option<String>,
    /// 0 enabled, 1 user part disabled, 2 computer part disabled, 3 all disabled.
    pub flags: u32,
    pub version_number: Option<u32>,
    pub machine_extension_names: Option<String>,
    /// `[DOMAIN;{ID};0]` reference to a WMI filter.
    pub wql_filter: Option<String>,
    pub when_changed: Option<Timestamp>,
    /// `[Registry Values]` of its GptTmpl.inf: full key path (case as written) → value
    /// (`4,1`). `None` when SYSVOL was not read for this GPO.
    pub registry_values: Option<BTreeMap<String, String>>,
}

impl DirGpo {
    /// Computer settings switched off by the GPO's flags.
    pub fn computer_disabled(&self) -> bool {
        self.flags & 2 != 0
    }

    /// The WMI filter id (`{…}`) of `gPCWQLFilter`.
    pub fn wmi_filter_id(&self) -> Option<String> {
        let f = self.wql_filter.as_deref()?;
        let id = f.trim_matches(['[', ']']).split(';').nth(1)?;
        Some(id.to_ascii_uppercase())
    }

    /// A DWORD from `[Registry Values]` by value name under
    /// `MACHINE\System\CurrentControlSet\Services\Netlogon\Parameters`.
    pub fn netlogon_value(&self, name: &str) -> Option<u32> {
        let values = self.registry_values.as_ref()?;
        values.iter().find_map(|(k, v)| {
            let k = k.to_ascii_lowercase().replace('/', "\\");
            let want = format!(
                "machine\\system\\currentcontrolset\\services\\netlogon\\parameters\\{}",
                name.to_ascii_lowercase()
            );
            if k != want {
                return None;
            }
            let (ty, data) = v.split_once(',')?;
            (ty.trim() == "4").then(|| data.trim().trim_matches('"').parse().ok())?
        })
    }
}

/// Where a GPO is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ContainerKind {
    Domain,
    Ou,
    Site,
    Other,
}

/// One entry of a container's gPLink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGpLink {
    pub container_dn: String,
    pub container_kind: ContainerKind,
    pub gpo_guid: String,
    /// Link disabled (flag 1).
    pub disabled: bool,
    /// Enforced (flag 2).
    pub enforced: bool,
    /// Position in the container's gPLink (1 = highest precedence, the last entry written).
    pub order: usize,
}

/// A WMI filter (msWMI-Som).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirWmiFilter {
    /// `{…}` upper case.
    pub id: String,
    pub name: Option<String>,
    /// The WQL queries of `msWMI-Parm2`.
    pub queries: Vec<String>,
}

impl DirWmiFilter {
    /// Whether the filter selects domain controllers only (`ProductType = 2`).
    pub fn selects_only_dcs(&self) -> bool {
        !self.queries.is_empty()
            && self.queries.iter().all(|q| {
                let q = q.to_ascii_lowercase().replace(' ', "");
                q.contains("producttype=2") || q.contains("producttype=\"2\"")
            })
    }
}

/// rootDSE and domain facts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirDomain {
    pub default_naming_context: String,
    pub dns_domain: Option<String>,
    pub server: Option<String>,
    /// domainFunctionality / forestFunctionality / domainControllerFunctionality.
    pub domain_functionality: Option<u32>,
    pub forest_functionality: Option<u32>,
    pub dc_functionality: Option<u32>,
    /// OUs with gPOptions = 1 (block inheritance).
    pub blocked_ous: Vec<String>,
}

/// Everything read from the directory in one audit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirectorySnapshot {
    pub source: String,
    pub read_at: Option<Timestamp>,
    pub domain: DirDomain,
    pub computers: Vec<DirComputer>,
    pub gpos: Vec<DirGpo>,
    pub links: Vec<DirGpLink>,
    pub wmi_filters: Vec<DirWmiFilter>,
    /// Where GPO settings came from (`SYSVOL over SMB`, `--sysvol DIR`) or why not.
    pub sysvol_notes: Vec<String>,
}

impl DirectorySnapshot {
    /// Every list in a total order, each object once: the first of equals stays (stable
    /// sorts), so whoever fills the lists decides which by the order it gives.
    pub fn tidy(&mut self) {
        fn once<T>(v: &mut Vec<T>, key: impl Fn(&T) -> String) {
            v.sort_by_key(|x| key(x));
            v.dedup_by(|a, b| key(a) == key(b));
        }
        once(&mut self.computers, |c| c.dn.to_ascii_lowercase());
        self.computers
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.dn.cmp(&b.dn)));
        once(&mut self.gpos, |g| g.guid.to_ascii_uppercase());
        self.gpos.sort_by(|a, b| {
            a.display_name
                .cmp(&b.display_name)
                .then_with(|| a.guid.cmp(&b.guid))
        });
        once(&mut self.links, |l| {
            format!("{}\n{}", l.container_dn.to_ascii_lowercase(), l.gpo_guid)
        });
        self.links.sort_by(|a, b| {
            a.container_dn
                .cmp(&b.container_dn)
                .then(a.order.cmp(&b.order))
                .then_with(|| a.gpo_guid.cmp(&b.gpo_guid))
        });
        once(&mut self.wmi_filters, |w| w.id.clone());
        self.domain.blocked_ous.sort();
        self.domain.blocked_ous.dedup();
        self.sysvol_notes.sort();
        self.sysvol_notes.dedup();
    }

    /// GPO settings read from SYSVOL files alone: GPOs with settings and nothing else,
    /// under no domain.
    pub fn is_gpo_settings(&self) -> bool {
        self.domain.default_naming_context.is_empty()
            && self.computers.is_empty()
            && self.links.is_empty()
            && self.wmi_filters.is_empty()
            && !self.gpos.is_empty()
            && self.gpos.iter().all(|g| g.registry_values.is_some())
    }

    /// `OU=Domain Controllers,<domain>`.
    pub fn domain_controllers_ou(&self) -> String {
        format!(
            "OU=Domain Controllers,{}",
            self.domain.default_naming_context
        )
    }

    pub fn gpo(&self, guid: &str) -> Option<&DirGpo> {
        self.gpos.iter().find(|g| g.guid.eq_ignore_ascii_case(guid))
    }

    pub fn wmi_filter(&self, id: &str) -> Option<&DirWmiFilter> {
        self.wmi_filters
            .iter()
            .find(|w| w.id.eq_ignore_ascii_case(id))
    }

    /// Enabled links of GPOs (with computer settings on) whose container holds `dn`
    /// (the domain, or an OU above it), honouring blocked inheritance unless enforced.
    pub fn gpos_applying_to(&self, dn: &str) -> Vec<&DirGpo> {
        let dn_l = dn.to_ascii_lowercase();
        let blocked_below: Vec<String> = self
            .domain
            .blocked_ous
            .iter()
            .map(|o| o.to_ascii_lowercase())
            .filter(|o| dn_l.ends_with(&format!(",{o}")) || dn_l == *o)
            .collect();
        self.links
            .iter()
            .filter(|l| !l.disabled && l.container_kind != ContainerKind::Site)
            .filter(|l| {
                let c = l.container_dn.to_ascii_lowercase();
                if !(dn_l.ends_with(&format!(",{c}")) || dn_l == c) {
                    return false;
                }
                // A block on an OU between the link and the object stops it, unless enforced.
                l.enforced
                    || !blocked_below
                        .iter()
                        .any(|b| b.len() > c.len() && b.ends_with(&format!(",{c}")))
            })
            .filter_map(|l| self.gpo(&l.gpo_guid))
            .filter(|g| !g.computer_disabled())
            .collect()
    }
}

/// Where the time of a directory export comes from: the ages of KZ-AD-001/002/006 are
/// computed at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportTime {
    /// The file says when it was written (an `# Exported: <RFC 3339>` line).
    Stated,
    /// The file's modification time.
    Modified,
    /// Neither: judged at `--until`, else at the scan's time.
    Unknown,
}

impl ExportTime {
    /// The words input notes use.
    pub fn describe(self) -> &'static str {
        match self {
            ExportTime::Stated => "the time the file states",
            ExportTime::Modified => "the file's modification time",
            ExportTime::Unknown => "no time in the file: --until, else the scan's time",
        }
    }
}

/// A directory export read from a file (`ldifde`, `csvde`, `Get-ADComputer | Export-Csv`):
/// what it says, and when it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryExport {
    pub snapshot: DirectorySnapshot,
    /// `None` with [`ExportTime::Unknown`].
    pub at: Option<Timestamp>,
    pub at_from: ExportTime,
}

/// Exports of one domain made one snapshot (computers in one file, GPOs in another), at
/// the newest export's time; the time `unknown` stands for when none says. An object in
/// several exports is taken from the newest (then the first by source). Domains stay
/// apart; the result is ordered by naming context, whatever the order given.
pub fn merge_exports(
    exports: Vec<DirectoryExport>,
    unknown: Timestamp,
) -> Vec<(DirectorySnapshot, Timestamp)> {
    let at = |e: &DirectoryExport| e.at.unwrap_or(unknown);
    // GPO settings read from SYSVOL files (no domain of their own): given to the GPOs
    // of that GUID in every export, after the merge.
    let (settings, mut exports): (Vec<_>, Vec<_>) = exports
        .into_iter()
        .partition(|e| e.snapshot.is_gpo_settings());
    exports.sort_by(|a, b| {
        let nc = |e: &DirectoryExport| {
            e.snapshot
                .domain
                .default_naming_context
                .to_ascii_lowercase()
        };
        nc(a)
            .cmp(&nc(b))
            .then_with(|| at(b).cmp(&at(a)))
            .then_with(|| a.snapshot.source.cmp(&b.snapshot.source))
    });
    let mut out: Vec<(DirectorySnapshot, Timestamp)> = Vec::new();
    for e in exports {
        let when = at(&e);
        let snap = e.snapshot;
        match out.last_mut() {
            Some((m, _))
                if m.domain
                    .default_naming_context
                    .eq_ignore_ascii_case(&snap.domain.default_naming_context) =>
            {
                if !m.source.split(" + ").any(|s| s == snap.source) {
                    m.source = format!("{} + {}", m.source, snap.source);
                }
                m.domain.domain_functionality = m
                    .domain
                    .domain_functionality
                    .or(snap.domain.domain_functionality);
                m.domain.blocked_ous.extend(snap.domain.blocked_ous);
                m.computers.extend(snap.computers);
                m.gpos.extend(snap.gpos);
                m.links.extend(snap.links);
                m.wmi_filters.extend(snap.wmi_filters);
                m.sysvol_notes.extend(snap.sysvol_notes);
            }
            _ => out.push((snap, when)),
        }
    }
    let mut settings: Vec<DirGpo> = settings.into_iter().flat_map(|e| e.snapshot.gpos).collect();
    settings.sort_by(|a, b| a.guid.cmp(&b.guid).then_with(|| a.dn.cmp(&b.dn)));
    for (m, _) in &mut out {
        for g in &mut m.gpos {
            for s in settings
                .iter()
                .filter(|s| s.guid.eq_ignore_ascii_case(&g.guid))
            {
                g.registry_values
                    .get_or_insert_with(BTreeMap::new)
                    .extend(s.registry_values.clone().unwrap_or_default());
            }
        }
        // The newest export's object comes first among equals and stays.
        m.tidy();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_and_filters() {
        assert_eq!(parent_dn("CN=PC1,OU=A\\,B,DC=x,DC=y"), "OU=A\\,B,DC=x,DC=y");
        assert_eq!(parent_dn("DC=y"), "");
        let w = DirWmiFilter {
            id: "{X}".into(),
            name: None,
            queries: vec!["SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2".into()],
        };
        assert!(w.selects_only_dcs());
        let w2 = DirWmiFilter {
            queries: vec!["SELECT * FROM Win32_OperatingSystem WHERE ProductType <> 1".into()],
            ..w.clone()
        };
        assert!(!w2.selects_only_dcs());
        let g = DirGpo {
            wql_filter: Some("[lab.test;{abc-1};0]".into()),
            registry_values: Some(BTreeMap::from([(
                "MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange".into(),
                "4,1".into(),
            )])),
            ..Default::default()
        };
        assert_eq!(g.wmi_filter_id().as_deref(), Some("{ABC-1}"));
        assert_eq!(g.netlogon_value("RefusePasswordChange"), Some(1));
        assert_eq!(g.netlogon_value("MaximumPasswordAge"), None);
    }

    #[test]
    fn exports_of_one_domain_merge_and_sysvol_settings_reach_their_gpo() {
        let t = |d: &str| d.parse::<Timestamp>().unwrap();
        let snap = |source: &str, nc: &str| DirectorySnapshot {
            source: source.into(),
            domain: DirDomain {
                default_naming_context: nc.into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let export = |s: DirectorySnapshot, at: Option<&str>| DirectoryExport {
            snapshot: s,
            at: at.map(t),
            at_from: if at.is_some() {
                ExportTime::Stated
            } else {
                ExportTime::Unknown
            },
        };
        let mut computers = snap("a.ldf", "DC=lab,DC=test");
        computers.computers.push(DirComputer {
            dn: "CN=PC1,DC=lab,DC=test".into(),
            name: "PC1".into(),
            user_account_control: 4096,
            source: Some("a.ldf".into()),
            ..Default::default()
        });
        let mut gpos = snap("b.ldf", "dc=lab,dc=test");
        gpos.gpos.push(DirGpo {
            guid: "{G1}".into(),
            ..Default::default()
        });
        let mut settings = snap("SYSVOL/{G1}/Machine/GptTmpl.inf", "");
        settings.gpos.push(DirGpo {
            guid: "{g1}".into(),
            registry_values: Some(BTreeMap::from([("K".into(), "4,1".into())])),
            ..Default::default()
        });
        let other = snap("c.ldf", "DC=other,DC=test");
        let given = vec![
            export(settings, None),
            export(gpos, Some("2026-12-02T00:00:00Z")),
            export(other, None),
            export(computers, Some("2026-12-01T00:00:00Z")),
        ];
        let unknown = t("2026-12-07T00:00:00Z");
        let merged = merge_exports(given.clone(), unknown);
        let mut reversed = given;
        reversed.reverse();
        assert_eq!(merged, merge_exports(reversed, unknown), "any order");
        assert_eq!(merged.len(), 2, "two domains; the settings are no domain");
        let (lab, at) = &merged[0];
        assert_eq!(*at, t("2026-12-02T00:00:00Z"), "the newest export's time");
        assert_eq!(lab.source, "b.ldf + a.ldf");
        assert_eq!(lab.computers.len(), 1);
        assert_eq!(
            lab.gpos[0].registry_values.as_ref().unwrap()["K"],
            "4,1",
            "SYSVOL settings reach the GPO of their GUID"
        );
        assert_eq!(merged[1].1, unknown, "no time: the judging time");
    }

    #[test]
    fn scope_follows_the_tree_blocks_and_enforcement() {
        let gpo = |g: &str| DirGpo {
            guid: g.into(),
            ..Default::default()
        };
        let link = |c: &str, kind, g: &str, disabled, enforced| DirGpLink {
            container_dn: c.into(),
            container_kind: kind,
            gpo_guid: g.into(),
            disabled,
            enforced,
            order: 1,
        };
        let s = DirectorySnapshot {
            domain: DirDomain {
                default_naming_context: "DC=lab,DC=test".into(),
                blocked_ous: vec!["OU=Kiosk,OU=PCs,DC=lab,DC=test".into()],
                ..Default::default()
            },
            gpos: vec![gpo("{A}"), gpo("{B}"), gpo("{C}"), gpo("{D}")],
            links: vec![
                link("DC=lab,DC=test", ContainerKind::Domain, "{A}", false, false),
                link("DC=lab,DC=test", ContainerKind::Domain, "{D}", false, true),
                link(
                    "OU=PCs,DC=lab,DC=test",
                    ContainerKind::Ou,
                    "{B}",
                    false,
                    false,
                ),
                link(
                    "OU=PCs,DC=lab,DC=test",
                    ContainerKind::Ou,
                    "{C}",
                    true,
                    false,
                ),
            ],
            ..Default::default()
        };
        let names = |dn: &str| -> Vec<String> {
            s.gpos_applying_to(dn)
                .iter()
                .map(|g| g.guid.clone())
                .collect()
        };
        assert_eq!(names("CN=PC1,OU=PCs,DC=lab,DC=test"), ["{A}", "{D}", "{B}"]);
        assert_eq!(
            names("CN=K1,OU=Kiosk,OU=PCs,DC=lab,DC=test"),
            ["{D}"],
            "blocked; enforced passes"
        );
        assert_eq!(names("CN=S1,OU=Servers,DC=lab,DC=test"), ["{A}", "{D}"]);
    }
}
