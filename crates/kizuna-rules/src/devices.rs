//! The device inventory built from what the facts say about each device.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kizuna_core::{
    Affected, DeviceName, DeviceRole as Role, EventRecord, IdentityRecord, IdentitySource,
    Knowledge, LoggedOn, MachineGuid, MachineSid, NetlogonEntry, OsBuild, Timestamp, WatchEntry,
};

/// A device and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Upper-case short name (the comparison key).
    pub name: String,
    /// DNS domain when known, else the NetBIOS domain.
    pub domain: Option<String>,
    pub role: Role,
    pub machine_sid: Option<MachineSid>,
    pub os_build: Option<OsBuild>,
    /// Whether the device enforces the duplicate-SID check (from its build).
    pub affected: Affected,
    /// Netlogon parameters read from its SYSTEM hive (the newest one, when several were
    /// collected: a value removed since is gone from the newer hive).
    pub netlogon: BTreeMap<String, u32>,
    /// When that hive was last written: how recent the reading of `netlogon` is.
    pub netlogon_read: Option<Timestamp>,
    /// The input path of that hive.
    pub netlogon_from: Option<Arc<str>>,
    /// Input paths that mention the device, sorted (shared strings: a million devices
    /// from one inventory hold one copy of its path).
    pub sources: Vec<Arc<str>>,
    /// The inputs that gave the device its machine SID (hives, PsGetSid lines, inventory
    /// rows naming this SID), sorted: the evidence of a SID, not every file that names the
    /// device.
    pub sid_sources: Vec<Arc<str>>,
    /// The inputs that gave its OS build (the same build number), sorted.
    pub build_sources: Vec<Arc<str>>,
    /// The installation's MachineGuid (SOFTWARE hive, inventory), ranked like the SID.
    pub machine_guid: Option<MachineGuid>,
    /// The inputs that gave it that MachineGuid, sorted.
    pub guid_sources: Vec<Arc<str>>,
    /// Hardening switches (`IdentityRecord::hardening`), each with the hive it was read
    /// from: per hive type, the newest hive's reading.
    pub hardening: BTreeMap<String, (u32, Arc<str>)>,
}

#[derive(Default)]
struct Acc {
    dns_domain: Option<String>,
    netbios_domain: Option<String>,
    /// DNS domain of a DC that named this device (a fallback).
    dc_domain: Option<String>,
    role: Option<Role>,
    sources: Vec<Arc<str>>,
    /// (rank, SID): hives outrank PsGetSid, which outranks inventories.
    sid: Option<(u8, MachineSid)>,
    build: Option<(u8, OsBuild)>,
    /// Every (SID, input) and (build number, input) an identity record gave.
    sids_from: Vec<(MachineSid, Arc<str>)>,
    builds_from: Vec<(u32, Arc<str>)>,
    guid: Option<(u8, MachineGuid)>,
    guids_from: Vec<(MachineGuid, Arc<str>)>,
    /// The newest SYSTEM hive's Netlogon values.
    netlogon: BTreeMap<String, u32>,
    /// Values other sources name (inventories): a hive's reading of a value wins.
    netlogon_other: BTreeMap<String, u32>,
    /// The reading time of `netlogon`, and whether any reading set it yet.
    netlogon_read: Option<Option<Timestamp>>,
    netlogon_from: Option<Arc<str>>,
    /// A role said by an inventory or hive (a DC-side event still makes it a DC).
    declared_role: Option<Role>,
    /// Per hive type, the newest reading of its hardening switches.
    hardening: BTreeMap<IdentitySource, HardeningReading>,
}

/// One hive's hardening switches: when the hive was written, the values, where from.
type HardeningReading = (Option<Timestamp>, BTreeMap<String, u32>, Arc<str>);

fn rank(k: IdentitySource) -> u8 {
    match k {
        IdentitySource::HiveSam
        | IdentitySource::HiveSecurity
        | IdentitySource::HiveSystem
        | IdentitySource::HiveSoftware => 0,
        // the host's own answer, as PsGetSid gives it
        IdentitySource::PsGetSid | IdentitySource::Lsarpc => 1,
        IdentitySource::Directory => 2,
        IdentitySource::Inventory => 3,
    }
}

/// One shared copy of each input path.
#[derive(Default)]
struct Paths(std::collections::HashMap<String, Arc<str>>);

impl Paths {
    fn intern(&mut self, p: &str) -> Arc<str> {
        if let Some(a) = self.0.get(p) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(p);
        self.0.insert(p.to_string(), a.clone());
        a
    }
}

#[derive(Default)]
pub(crate) struct Inventory {
    paths: Paths,
    devices: BTreeMap<String, Acc>,
    /// Hive facts that name no device yet, by folder.
    unnamed: Vec<IdentityRecord>,
}

impl Inventory {
    fn add_source(sources: &mut Vec<Arc<str>>, p: Arc<str>) {
        if !sources.contains(&p) {
            sources.push(p);
        }
    }

    fn acc(&mut self, name: &DeviceName) -> &mut Acc {
        let acc = self.devices.entry(name.key().to_string()).or_default();
        if acc.dns_domain.is_none() {
            acc.dns_domain = name.dns_domain().map(str::to_string);
        }
        acc
    }

    pub(crate) fn add_event(&mut self, ev: &EventRecord, entry: &WatchEntry) {
        let src = self.paths.intern(&ev.source.path);
        let logger = ev.logging_device();
        if let Some(l) = &logger {
            let acc = self.acc(l);
            Self::add_source(&mut acc.sources, src.clone());
            if entry.logged_on == LoggedOn::Dc {
                acc.role = Some(Role::Dc);
            }
            // Client-side NETLOGON events name the device's own domain first (3210, 5719).
            if entry.logged_on == LoggedOn::Client
                && acc.netbios_domain.is_none()
                && let Some(d) = ev
                    .data
                    .first()
                    .filter(|d| !d.is_empty() && !d.contains(' '))
            {
                acc.netbios_domain = Some(d.to_uppercase());
            }
        }
        if let Some(s) = &ev.subject
            && logger.as_ref().is_none_or(|l| l.key() != s.key())
        {
            let dc_domain = logger
                .as_ref()
                .filter(|_| entry.logged_on == LoggedOn::Dc)
                .and_then(|l| l.dns_domain().map(str::to_string));
            let acc = self.acc(s);
            Self::add_source(&mut acc.sources, src.clone());
            if acc.dc_domain.is_none() {
                acc.dc_domain = dc_domain;
            }
        }
    }

    pub(crate) fn add_netlogon(&mut self, e: &NetlogonEntry) {
        let src = self.paths.intern(&e.source.path);
        if let Some(d) = &e.device {
            let acc = self.acc(d);
            Self::add_source(&mut acc.sources, src.clone());
            if acc.netbios_domain.is_none() {
                acc.netbios_domain = e.domain.as_ref().map(|d| d.to_uppercase());
            }
        }
    }

    pub(crate) fn add_identity(&mut self, r: &IdentityRecord) {
        let from_hive = matches!(
            r.kind,
            IdentitySource::HiveSam
                | IdentitySource::HiveSecurity
                | IdentitySource::HiveSystem
                | IdentitySource::HiveSoftware
        );
        match (&r.device, from_hive && r.folder.is_some()) {
            // Hives are named per folder at the end (a SAM hive has no name of its own).
            (_, true) => self.unnamed.push(r.clone()),
            (Some(d), false) => self.apply(d.clone(), r),
            (None, false) => {}
        }
    }

    /// Names the hive facts of each folder: the folder's SYSTEM hive, else its SECURITY
    /// hive (PolAcDmN), else the folder. A folder that mixes machines (several machine
    /// SIDs or computer names) is split by SID instead of merged.
    fn name_hives(&mut self) {
        let mut by_folder: BTreeMap<String, Vec<IdentityRecord>> = BTreeMap::new();
        for r in std::mem::take(&mut self.unnamed) {
            by_folder
                .entry(r.folder.clone().unwrap_or_default())
                .or_default()
                .push(r);
        }
        for (folder, mut records) in by_folder {
            // A DC's SAM holds only its local (DSRM) accounts, under the SID the server had
            // before promotion; its machine SID is the domain's (SECURITY PolAcDmS).
            if records.iter().any(|r| r.role == Some(Role::Dc)) {
                for r in records
                    .iter_mut()
                    .filter(|r| r.kind == IdentitySource::HiveSam)
                {
                    r.machine_sid = None;
                }
            }
            let folder_name = folder
                .rsplit(['/', '\\', '!'])
                .find(|s| !s.is_empty() && *s != ".")
                .and_then(DeviceName::parse);
            let sids: BTreeSet<MachineSid> = records.iter().filter_map(|r| r.machine_sid).collect();
            let names_of = |kind: IdentitySource| -> BTreeSet<DeviceName> {
                records
                    .iter()
                    .filter(|r| r.kind == kind)
                    .filter_map(|r| r.device.clone())
                    .collect()
            };
            let systems = names_of(IdentitySource::HiveSystem);
            let securities = names_of(IdentitySource::HiveSecurity);
            if sids.len() <= 1 && systems.len() <= 1 && securities.len() <= 1 {
                let name = systems
                    .into_iter()
                    .next()
                    .or(securities.into_iter().next())
                    .or(folder_name);
                if let Some(name) = name {
                    for r in &records {
                        self.apply(name.clone(), r);
                    }
                }
                continue;
            }
            let by_sid: BTreeMap<MachineSid, DeviceName> = records
                .iter()
                .filter(|r| r.kind == IdentitySource::HiveSecurity)
                .filter_map(|r| Some((r.machine_sid?, r.device.clone()?)))
                .collect();
            for r in &records {
                let name = r
                    .device
                    .clone()
                    .or_else(|| r.machine_sid.and_then(|s| by_sid.get(&s).cloned()))
                    .or_else(|| {
                        let base = folder_name
                            .as_ref()
                            .map_or("HIVES".to_string(), |f| f.key().to_string());
                        let tail = r
                            .machine_sid
                            .map(|s| s.to_string().rsplit('-').next().unwrap_or("").to_string());
                        DeviceName::parse(&match tail {
                            Some(t) => format!("{base}-{t}"),
                            None => base,
                        })
                    });
                if let Some(name) = name {
                    self.apply(name, r);
                }
            }
        }
    }

    fn apply(&mut self, name: DeviceName, r: &IdentityRecord) {
        let src = self.paths.intern(&r.source.path);
        let acc = self.acc(&name);
        Self::add_source(&mut acc.sources, src.clone());
        let k = rank(r.kind);
        if let Some(s) = r.machine_sid {
            acc.sids_from.push((s, src.clone()));
        }
        if let Some(b) = r.os_build {
            acc.builds_from.push((b.build, src.clone()));
        }
        // Ties between sources of one rank are broken by the value, never by the order the
        // records came in: the same evidence in any order (uploads, arguments, threads)
        // gives the same device.
        if let Some(g) = r.machine_guid {
            acc.guids_from.push((g, src.clone()));
            if acc.guid.is_none_or(|old| (k, g) < old) {
                acc.guid = Some((k, g));
            }
        }
        if let Some(s) = r.machine_sid
            && acc.sid.is_none_or(|old| (k, s) < old)
        {
            acc.sid = Some((k, s));
        }
        // Builds without the update revision rank below every source that has one: a
        // remote answer's (its NTLM challenge), then the directory's operatingSystemVersion
        // (what the machine last wrote to its account), so neither hides a UBR that
        // decides enforcement.
        let build_rank = match r.kind {
            IdentitySource::Lsarpc => 4,
            IdentitySource::Directory => 5,
            _ => k,
        };
        // Within a rank: one with the update revision first, then the newer build.
        let better = |b: OsBuild, old: OsBuild| {
            (b.ubr.is_some(), b.build, b.ubr) > (old.ubr.is_some(), old.build, old.ubr)
        };
        if let Some(b) = r.os_build
            && acc
                .build
                .is_none_or(|(rk, old)| build_rank < rk || (build_rank == rk && better(b, old)))
        {
            acc.build = Some((build_rank, b));
        }
        if let Some(role) = r.role
            && role != Role::Unknown
        {
            acc.declared_role = Some(acc.declared_role.map_or(role, |old| old.max(role)));
        }
        if let Some(d) = r.domain.as_ref().filter(|d| d.contains('.')) {
            let d = d.to_ascii_lowercase();
            if acc.dns_domain.as_ref().is_none_or(|old| d < *old) {
                acc.dns_domain = Some(d);
            }
        }
        if let Some(d) = r
            .domain
            .as_ref()
            .filter(|d| !d.contains('.') && !d.is_empty())
        {
            let d = d.to_uppercase();
            if acc.netbios_domain.as_ref().is_none_or(|old| d < *old) {
                acc.netbios_domain = Some(d);
            }
        }
        // A SYSTEM hive gives the whole Netlogon\Parameters key: the newest reading wins
        // entirely (a value deleted since must not survive from an older copy). Other
        // sources add values they name.
        if matches!(
            r.kind,
            IdentitySource::HiveSystem | IdentitySource::HiveSoftware
        ) && acc
            .hardening
            .get(&r.kind)
            .is_none_or(|(old, values, from)| {
                (r.observed, &r.hardening, &src) > (*old, values, from)
            })
        {
            acc.hardening
                .insert(r.kind, (r.observed, r.hardening.clone(), src.clone()));
        }
        if r.kind == IdentitySource::HiveSystem {
            let newer = match acc.netlogon_read {
                None => true,
                Some(old) => {
                    (r.observed, &r.netlogon, Some(&src))
                        > (old, &acc.netlogon, acc.netlogon_from.as_ref())
                }
            };
            if newer {
                acc.netlogon = r.netlogon.clone();
                acc.netlogon_read = Some(r.observed);
                acc.netlogon_from = Some(src.clone());
            }
        } else {
            // Two inventories that disagree: the larger value, whichever came first.
            for (k, v) in &r.netlogon {
                let slot = acc.netlogon_other.entry(k.clone()).or_insert(*v);
                *slot = (*slot).max(*v);
            }
        }
    }

    pub(crate) fn finish(mut self, k: &Knowledge) -> Vec<Device> {
        self.name_hives();
        self.devices
            .into_iter()
            .map(|(name, a)| {
                let os_build = a.build.map(|(_, b)| b);
                let machine_sid = a.sid.map(|(_, s)| s);
                let sid_sources = sorted_unique(
                    a.sids_from
                        .iter()
                        .filter(|(s, _)| Some(*s) == machine_sid)
                        .map(|(_, p)| p.clone()),
                );
                let build_sources = sorted_unique(
                    a.builds_from
                        .iter()
                        .filter(|(b, _)| Some(*b) == os_build.map(|o| o.build))
                        .map(|(_, p)| p.clone()),
                );
                let machine_guid = a.guid.map(|(_, g)| g);
                let guid_sources = sorted_unique(
                    a.guids_from
                        .iter()
                        .filter(|(g, _)| Some(*g) == machine_guid)
                        .map(|(_, p)| p.clone()),
                );
                Device {
                    name,
                    domain: a.dns_domain.or(a.dc_domain).or(a.netbios_domain),
                    role: match (a.role, a.declared_role) {
                        (Some(Role::Dc), _) => Role::Dc,
                        (_, Some(r)) => r,
                        (r, None) => r.unwrap_or(Role::Unknown),
                    },
                    machine_sid,
                    affected: k.hardening.affected(os_build),
                    os_build,
                    netlogon: {
                        let mut n = a.netlogon_other;
                        n.extend(a.netlogon);
                        n
                    },
                    netlogon_read: a.netlogon_read.flatten(),
                    netlogon_from: a.netlogon_from,
                    sources: {
                        let mut v = a.sources;
                        v.sort();
                        v
                    },
                    sid_sources,
                    build_sources,
                    machine_guid,
                    guid_sources,
                    hardening: a
                        .hardening
                        .into_values()
                        .flat_map(|(_, values, from)| {
                            values.into_iter().map(move |(k, v)| (k, (v, from.clone())))
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// Paths sorted, each once.
fn sorted_unique(paths: impl Iterator<Item = Arc<str>>) -> Vec<Arc<str>> {
    let mut v: Vec<Arc<str>> = paths.collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::{IdentitySource, Knowledge, OsBuild, SourceRef};

    fn record(kind: IdentitySource, build: u32, ubr: Option<u32>) -> IdentityRecord {
        IdentityRecord {
            device: DeviceName::parse("PC1.lab.test"),
            folder: None,
            machine_sid: None,
            machine_guid: None,
            role: None,
            domain: None,
            os_build: Some(OsBuild { build, ubr }),
            netlogon: Default::default(),
            hardening: Default::default(),
            observed: None,
            kind,
            source: SourceRef {
                path: format!("{kind:?}"),
                offset: None,
                line: None,
            },
        }
    }

    #[test]
    fn a_build_without_its_update_revision_never_hides_one_with_it() {
        let k = Knowledge::builtin();
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let records = [
                record(IdentitySource::Inventory, 26100, Some(6584)),
                record(IdentitySource::Directory, 26100, None),
                record(IdentitySource::Lsarpc, 26100, None),
            ];
            let mut inv = Inventory::default();
            for i in order {
                inv.add_identity(&records[i]);
            }
            let devices = inv.finish(&k);
            assert_eq!(
                devices[0].os_build,
                Some(OsBuild {
                    build: 26100,
                    ubr: Some(6584)
                }),
                "order {order:?}"
            );
        }
    }

    /// Every order of disagreeing records gives the same device (issue 28's D4: the
    /// upload order changed a device's Netlogon values and so KZ-POL-003).
    #[test]
    fn disagreeing_records_give_the_same_device_in_any_order() {
        let k = Knowledge::builtin();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let with = |kind, path: &str, f: &dyn Fn(&mut IdentityRecord)| {
            let mut r = record(kind, 26100, Some(5074));
            r.os_build = None;
            r.source.path = path.into();
            f(&mut r);
            r
        };
        let records = [
            with(IdentitySource::HiveSystem, "b/SYSTEM", &|r| {
                r.observed = Some(at);
                r.netlogon = [("MaximumPasswordAge".to_string(), 0)].into();
                r.hardening = [("Lsa\\MachineIdentityIsolation".to_string(), 2)].into();
            }),
            with(IdentitySource::HiveSystem, "a/SYSTEM", &|r| {
                r.observed = Some(at);
                r.netlogon = [("MaximumPasswordAge".to_string(), 30)].into();
            }),
            with(IdentitySource::Inventory, "x.csv", &|r| {
                r.machine_sid = "S-1-5-21-1-2-3".parse().ok();
                r.os_build = Some(OsBuild {
                    build: 26100,
                    ubr: Some(5074),
                });
                r.domain = Some("corp.example".into());
                r.netlogon = [("RefusePasswordChange".to_string(), 1)].into();
            }),
            with(IdentitySource::Inventory, "y.csv", &|r| {
                r.machine_sid = "S-1-5-21-4-5-6".parse().ok();
                r.os_build = Some(OsBuild {
                    build: 26200,
                    ubr: Some(6584),
                });
                r.domain = Some("other.example".into());
                r.netlogon = [("RefusePasswordChange".to_string(), 0)].into();
            }),
            with(IdentitySource::HiveSoftware, "a/SOFTWARE", &|r| {
                r.machine_guid = "{8B1F2A3C-4D5E-6F70-8192-A3B4C5D6E7F8}".parse().ok();
            }),
            with(IdentitySource::HiveSoftware, "b/SOFTWARE", &|r| {
                r.machine_guid = "{0B1F2A3C-4D5E-6F70-8192-A3B4C5D6E7F8}".parse().ok();
            }),
        ];
        let device = |order: &[usize]| {
            let mut inv = Inventory::default();
            for &i in order {
                inv.add_identity(&records[i]);
            }
            inv.finish(&k).remove(0)
        };
        let first = device(&[0, 1, 2, 3, 4, 5]);
        // Every rotation and its reverse.
        for shift in 0..6 {
            let mut order: Vec<usize> = (0..6).map(|i| (i + shift) % 6).collect();
            assert_eq!(device(&order), first, "{order:?}");
            order.reverse();
            assert_eq!(device(&order), first, "{order:?}");
        }
        // The hive's reading wins over an inventory's; within one rank, by the value.
        assert_eq!(first.netlogon["MaximumPasswordAge"], 30);
        assert_eq!(first.netlogon["RefusePasswordChange"], 1);
        assert_eq!(first.domain.as_deref(), Some("corp.example"));
    }
}
