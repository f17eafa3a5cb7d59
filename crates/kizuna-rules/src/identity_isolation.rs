//! KZ-MII-001: a client that enforces Machine Identity Isolation (Credential Guard-protected
//! machine account) lost its trust because its domain is below the Windows Server 2025
//! functional level — the mass breakage of the September 2026 updates. The fix is to turn
//! the setting off the way it was set, reboot and repair, not the GPO workaround of
//! problem A; so KZ-SC-001 points here for these devices.

use std::collections::BTreeMap;

use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{
    Affected, Evidence, Finding, Knowledge, MessageArg, RuleId, Severity, Timestamp,
};

use crate::Device;
use crate::timeline::{Item, Timelines, is_trust_failure, time_arg};

pub const MII: RuleId = RuleId("KZ-MII-001");

/// The registry switches that enforce it, as `IdentityRecord::hardening` keys them.
const SWITCHES: [&str; 2] = [
    "Lsa\\MachineIdentityIsolation",
    "DeviceGuard\\MachineIdentityIsolation",
];

/// One device the finding holds for.
pub(crate) struct Case<'a> {
    device: &'a Device,
    /// The switches set to "enforced", with the hive each was read from.
    switches: Vec<(&'static str, std::sync::Arc<str>)>,
    /// The domain's functional level, when a directory read says.
    level: Option<u32>,
    failures: Vec<&'a Item>,
}

/// The domain functional level of `device`'s domain: from the directory read of that DNS
/// domain, else from the only directory read.
fn functional_level(
    device: &Device,
    directories: &[(DirectorySnapshot, Timestamp)],
) -> Option<u32> {
    let by_name = directories
        .iter()
        .find(|(s, _)| match (&s.domain.dns_domain, &device.domain) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        });
    let snap = match (by_name, directories) {
        (Some((s, _)), _) => s,
        (None, [(only, _)]) => only,
        _ => return None,
    };
    snap.domain.domain_functionality
}

/// The devices the finding holds for, by device key: a client (Windows Server is not
/// affected) on a build that honours enforcement, with a switch set to enforced, in a
/// domain not known to be at the Windows Server 2025 level, with trust failures since the
/// update shipped.
pub(crate) fn cases<'a>(
    devices: &'a [Device],
    directories: &[(DirectorySnapshot, Timestamp)],
    t: &'a Timelines,
    k: &Knowledge,
) -> BTreeMap<String, Case<'a>> {
    let mii = &k.hardening.identity_isolation;
    let mut out = BTreeMap::new();
    for d in devices {
        let client = match d.role {
            crate::Role::Workstation => true,
            // 26100 is Windows 11 24H2 and Windows Server 2025 alike: only a client role
            // tells; the later builds are client-only.
            crate::Role::Unknown => d.os_build.is_some_and(|b| b.build != 26100),
            _ => false,
        };
        if !client || k.hardening.honours_identity_isolation(d.os_build) != Affected::Yes {
            continue;
        }
        let switches: Vec<(&'static str, std::sync::Arc<str>)> = SWITCHES
            .iter()
            .filter_map(|s| match d.hardening.get(*s) {
                Some((v, from)) if *v == mii.enforced_value => Some((*s, from.clone())),
                _ => None,
            })
            .collect();
        if switches.is_empty() {
            continue;
        }
        let level = functional_level(d, directories);
        if level.is_some_and(|l| l >= mii.min_functional_level) {
            continue;
        }
        let failures: Vec<&Item> = t
            .by_device
            .get(&d.name)
            .into_iter()
            .flatten()
            .filter(|i| {
                is_trust_failure(&i.what) && i.time.is_some_and(|t| t.date_naive() >= mii.date)
            })
            .collect();
        if failures.is_empty() {
            continue;
        }
        out.insert(
            d.name.clone(),
            Case {
                device: d,
                switches,
                level,
                failures,
            },
        );
    }
    out
}

pub(crate) fn evaluate(cases: &BTreeMap<String, Case<'_>>, k: &Knowledge) -> Vec<Finding> {
    let mii = &k.hardening.identity_isolation;
    cases
        .values()
        .map(|c| {
            let mut evidence: Vec<Evidence> = c
                .switches
                .iter()
                .map(|(s, from)| Evidence {
                    time: None,
                    path: from.to_string(),
                    record_id: None,
                    line: None,
                    label: format!("{s} = {}", mii.enforced_value),
                })
                .collect();
            evidence.extend(c.failures.iter().map(|i| i.evidence.clone()));
            let (evidence, total) = crate::evidence::capped(evidence, k);
            let build = c.device.os_build.map_or("?".to_string(), |b| match b.ubr {
                Some(u) => format!("{}.{u}", b.build),
                None => b.build.to_string(),
            });
            let mut args: BTreeMap<&'static str, MessageArg> = BTreeMap::new();
            args.insert("device", c.device.name.clone().into());
            args.insert(
                "switches",
                c.switches
                    .iter()
                    .map(|(s, _)| *s)
                    .collect::<Vec<_>>()
                    .join(", ")
                    .into(),
            );
            args.insert("build", build.into());
            args.insert(
                "level",
                c.level
                    .map_or("unknown".to_string(), |l| l.to_string())
                    .into(),
            );
            args.insert("count", c.failures.len().into());
            args.insert(
                "first",
                time_arg(c.failures.iter().filter_map(|i| i.time).min()),
            );
            // The update of this build (its text says "reported" where only secondary
            // sources name it), else the first KB.
            let update = c
                .device
                .os_build
                .and_then(|b| {
                    mii.builds
                        .iter()
                        .find(|a| a.build == Some(b.build))
                        .or_else(|| {
                            mii.builds
                                .iter()
                                .find(|a| a.from_build.is_some_and(|f| b.build >= f))
                        })
                })
                .map_or_else(|| mii.kb.clone(), |a| a.update.clone());
            args.insert("kb", update.into());
            args.insert("date", mii.date.to_string().into());
            Finding {
                rule: MII,
                severity: Severity::Critical,
                subjects: vec![c.device.name.clone()],
                args,
                evidence,
                evidence_total: total,
            }
        })
        .collect()
}
