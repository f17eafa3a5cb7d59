//! The device inventory built from what the facts say about each device.

use std::collections::{BTreeMap, BTreeSet};

use kizuna_core::{
    Affected, DeviceName, DeviceRole as Role, EventRecord, IdentityRecord, IdentitySource,
    Knowledge, LoggedOn, MachineSid, NetlogonEntry, OsBuild, WatchEntry,
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
    /// Netlogon parameters read from its SYSTEM hive.
    pub netlogon: BTreeMap<String, u32>,
    /// Input paths that mention the device, sorted.
    pub sources: BTreeSet<String>,
}

#[derive(Default)]
struct Acc {
    dns_domain: Option<String>,
    netbios_domain: Option<String>,
    /// DNS domain of a DC that named this device (a fallback).
    dc_domain: Option<String>,
    role: Option<Role>,
    sources: BTreeSet<String>,
    /// (rank, SID): hives outrank PsGetSid, which outranks inventories.
    sid: Option<(u8, MachineSid)>,
    build: Option<(u8, OsBuild)>,
    netlogon: BTreeMap<String, u32>,
    /// A role said by an inventory or hive (a DC-side event still makes it a DC).
    declared_role: Option<Role>,
}

fn rank(k: IdentitySource) -> u8 {
    match k {
        IdentitySource::HiveSam
        | IdentitySource::HiveSecurity
        | IdentitySource::HiveSystem
        | IdentitySource::HiveSoftware => 0,
        IdentitySource::PsGetSid => 1,
        IdentitySource::Inventory => 2,
    }
}

#[derive(Default)]
pub(crate) struct Inventory {
    devices: BTreeMap<String, Acc>,
    /// Hive facts that name no device yet, by folder.
    unnamed: Vec<IdentityRecord>,
    /// The name a folder's artifacts give their device: (rank, name).
    folder_names: BTreeMap<String, (u8, DeviceName)>,
}

impl Inventory {
    fn acc(&mut self, name: &DeviceName) -> &mut Acc {
        let acc = self.devices.entry(name.key().to_string()).or_default();
        if acc.dns_domain.is_none() {
            acc.dns_domain = name.dns_domain().map(str::to_string);
        }
        acc
    }

    pub(crate) fn add_event(&mut self, ev: &EventRecord, entry: &WatchEntry) {
        let logger = ev.logging_device();
        if let Some(l) = &logger {
            let acc = self.acc(l);
            acc.sources.insert(ev.source.path.clone());
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
            acc.sources.insert(ev.source.path.clone());
            if acc.dc_domain.is_none() {
                acc.dc_domain = dc_domain;
            }
        }
    }

    pub(crate) fn add_netlogon(&mut self, e: &NetlogonEntry) {
        if let Some(d) = &e.device {
            let acc = self.acc(d);
            acc.sources.insert(e.source.path.clone());
            if acc.netbios_domain.is_none() {
                acc.netbios_domain = e.domain.as_ref().map(|d| d.to_uppercase());
            }
        }
    }

    pub(crate) fn add_identity(&mut self, r: &IdentityRecord) {
        // A folder's SYSTEM hive names its device; else its SECURITY hive (PolAcDmN).
        if let (Some(folder), Some(name)) = (&r.folder, &r.device) {
            let rank = match r.kind {
                IdentitySource::HiveSystem => 0,
                IdentitySource::HiveSecurity => 1,
                _ => 2,
            };
            let e = self
                .folder_names
                .entry(folder.clone())
                .or_insert((rank, name.clone()));
            if rank < e.0 {
                *e = (rank, name.clone());
            }
        }
        match &r.device {
            Some(d) => self.apply(d.clone(), r),
            None => self.unnamed.push(r.clone()),
        }
    }

    fn apply(&mut self, name: DeviceName, r: &IdentityRecord) {
        let acc = self.acc(&name);
        acc.sources.insert(r.source.path.clone());
        let k = rank(r.kind);
        if let Some(s) = r.machine_sid
            && acc.sid.is_none_or(|(rk, _)| k < rk)
        {
            acc.sid = Some((k, s));
        }
        if let Some(b) = r.os_build
            && acc
                .build
                .is_none_or(|(rk, old)| k < rk || (k == rk && old.ubr.is_none()))
        {
            acc.build = Some((k, b));
        }
        if let Some(role) = r.role
            && role != Role::Unknown
        {
            acc.declared_role = Some(acc.declared_role.map_or(role, |old| old.max(role)));
        }
        if acc.dns_domain.is_none()
            && let Some(d) = r.domain.as_ref().filter(|d| d.contains('.'))
        {
            acc.dns_domain = Some(d.to_ascii_lowercase());
        }
        if acc.netbios_domain.is_none()
            && let Some(d) = r
                .domain
                .as_ref()
                .filter(|d| !d.contains('.') && !d.is_empty())
        {
            acc.netbios_domain = Some(d.to_uppercase());
        }
        for (k, v) in &r.netlogon {
            acc.netlogon.insert(k.clone(), *v);
        }
    }

    pub(crate) fn finish(mut self, k: &Knowledge) -> Vec<Device> {
        for r in std::mem::take(&mut self.unnamed) {
            let name = r.folder.as_ref().and_then(|f| {
                self.folder_names
                    .get(f)
                    .map(|(_, n)| n.clone())
                    .or_else(|| {
                        let last = f.rsplit(['/', '\\']).find(|s| !s.is_empty() && *s != ".")?;
                        DeviceName::parse(last)
                    })
            });
            if let Some(name) = name {
                self.apply(name, &r);
            }
        }
        self.devices
            .into_iter()
            .map(|(name, a)| {
                let os_build = a.build.map(|(_, b)| b);
                Device {
                    name,
                    domain: a.dns_domain.or(a.dc_domain).or(a.netbios_domain),
                    role: match (a.role, a.declared_role) {
                        (Some(Role::Dc), _) => Role::Dc,
                        (_, Some(r)) => r,
                        (r, None) => r.unwrap_or(Role::Unknown),
                    },
                    machine_sid: a.sid.map(|(_, s)| s),
                    affected: k.hardening.affected(os_build),
                    os_build,
                    netlogon: a.netlogon,
                    sources: a.sources,
                }
            })
            .collect()
    }
}
