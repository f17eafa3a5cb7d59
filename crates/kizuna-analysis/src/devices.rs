//! The device inventory built from what the facts say about each device.

use std::collections::{BTreeMap, BTreeSet};

use kizuna_core::{DeviceName, EventRecord, LoggedOn, NetlogonEntry, WatchEntry};

/// What a device is, as far as the evidence tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Unknown,
    Workstation,
    Server,
    Dc,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Unknown => "unknown",
            Role::Workstation => "workstation",
            Role::Server => "server",
            Role::Dc => "dc",
        }
    }
}

/// A device and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Upper-case short name (the comparison key).
    pub name: String,
    /// DNS domain when known, else the NetBIOS domain.
    pub domain: Option<String>,
    pub role: Role,
    pub machine_sid: Option<String>,
    pub os_build: Option<String>,
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
}

#[derive(Default)]
pub(crate) struct Inventory {
    devices: BTreeMap<String, Acc>,
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

    pub(crate) fn finish(self) -> Vec<Device> {
        self.devices
            .into_iter()
            .map(|(name, a)| Device {
                name,
                domain: a.dns_domain.or(a.dc_domain).or(a.netbios_domain),
                role: a.role.unwrap_or(Role::Unknown),
                machine_sid: None,
                os_build: None,
                sources: a.sources,
            })
            .collect()
    }
}
