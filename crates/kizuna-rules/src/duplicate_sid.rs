//! KZ-SID-001..004: devices that share a machine SID, which Windows 11 24H2/25H2 and
//! Server 2025 now refuse to authenticate between (KB5065426, LsaSrv 6167).
//!
//! Domain controllers of one domain share the domain's SID by design: never a finding.
//! A member sharing a DC's SID is one (KZ-SID-003). Among members, a pair is blocked now
//! when both ends enforce the check (KZ-SID-001); otherwise it breaks when the other end
//! is updated (KZ-SID-002). Unknown builds are said, not guessed.

use std::collections::BTreeMap;

use kizuna_core::{
    Affected, DeviceRole, Evidence, Finding, Knowledge, MachineGuid, MachineSid, MessageArg,
    RuleId, Severity,
};

use crate::Device;

pub const SID_BLOCKED: RuleId = RuleId("KZ-SID-001");
pub const SID_LATER: RuleId = RuleId("KZ-SID-002");
pub const SID_DC: RuleId = RuleId("KZ-SID-003");
pub const SID_6167: RuleId = RuleId("KZ-SID-004");

fn member(d: &Device) -> String {
    let build = d
        .os_build
        .map_or_else(|| "?".to_string(), |b| b.to_string());
    format!("{} ({}, {build})", d.name, d.role.as_str())
}

fn list(items: impl IntoIterator<Item = String>) -> MessageArg {
    MessageArg::Text(items.into_iter().collect::<Vec<_>>().join(", "))
}

/// The device to keep: the one that serves others (a DC, then a server), else the first
/// by name. The rest are rebuilt.
fn keep_order<'a>(members: &[&'a Device]) -> (Vec<&'a Device>, Vec<&'a Device>) {
    let mut sorted = members.to_vec();
    sorted.sort_by(|a, b| b.role.cmp(&a.role).then(a.name.cmp(&b.name)));
    let keep_role = sorted[0].role;
    let (keep, rebuild): (Vec<&Device>, Vec<&Device>) = if keep_role == DeviceRole::Dc {
        sorted.iter().partition(|d| d.role == DeviceRole::Dc)
    } else {
        let (k, r) = sorted.split_at(1);
        (k.to_vec(), r.to_vec())
    };
    (keep, rebuild)
}

/// The members that also share a MachineGuid, by GUID (two or more each): copies of one
/// installation, not only of its SID.
fn same_installation<'a>(members: &[&'a Device]) -> BTreeMap<MachineGuid, Vec<&'a Device>> {
    let mut by_guid: BTreeMap<MachineGuid, Vec<&Device>> = BTreeMap::new();
    for d in members {
        if let Some(g) = d.machine_guid {
            by_guid.entry(g).or_default().push(d);
        }
    }
    by_guid.retain(|_, v| v.len() > 1);
    by_guid
}

/// The sources of each member's SID, then those of a MachineGuid it shares with another
/// member (when they are other inputs).
fn evidence(members: &[&Device]) -> Vec<Evidence> {
    let shared = same_installation(members);
    let sids = members.iter().flat_map(|d| {
        let sid = d.machine_sid.map(|s| s.to_string()).unwrap_or_default();
        crate::evidence::from_sources(&d.sid_sources, format!("{} {sid}", d.name))
    });
    let guids = shared.iter().flat_map(|(g, ds)| {
        ds.iter().flat_map(move |d| {
            crate::evidence::from_sources(&d.guid_sources, format!("{} MachineGuid {g}", d.name))
                .filter(|e| !d.sid_sources.iter().any(|p| **p == *e.path))
        })
    });
    sids.chain(guids).collect()
}

fn finding(
    rule: RuleId,
    severity: Severity,
    subjects: Vec<String>,
    args: Vec<(&'static str, MessageArg)>,
    evidence: Vec<Evidence>,
    k: &Knowledge,
) -> Finding {
    let (evidence, total) = crate::evidence::capped(evidence, k);
    let mut subjects = subjects;
    subjects.sort();
    subjects.dedup();
    Finding {
        rule,
        severity,
        subjects,
        args: args.into_iter().collect(),
        evidence,
        evidence_total: total,
    }
}

pub(crate) fn evaluate(
    devices: &[Device],
    machine_id_events: &BTreeMap<String, Vec<Evidence>>,
    k: &Knowledge,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut groups: BTreeMap<MachineSid, Vec<&Device>> = BTreeMap::new();
    for d in devices {
        if let Some(s) = d.machine_sid {
            groups.entry(s).or_default().push(d);
        }
    }
    let h = &k.hardening;
    for (sid, members) in &groups {
        if members.len() < 2 {
            continue;
        }
        let dcs: Vec<&Device> = members
            .iter()
            .copied()
            .filter(|d| d.role == DeviceRole::Dc)
            .collect();
        let others: Vec<&Device> = members
            .iter()
            .copied()
            .filter(|d| d.role != DeviceRole::Dc)
            .collect();
        if others.is_empty() {
            continue; // DCs of one domain share its SID by design.
        }
        let (keep, rebuild) = keep_order(members);
        let shared = same_installation(members);
        let common = |extra: Vec<(&'static str, MessageArg)>| {
            let mut v = vec![
                ("sid", MessageArg::Text(sid.to_string())),
                ("members", list(members.iter().map(|d| member(d)))),
                ("count", members.len().into()),
                ("keep", list(keep.iter().map(|d| d.name.clone()))),
                ("rebuild", list(rebuild.iter().map(|d| d.name.clone()))),
                (
                    "compat_expires",
                    MessageArg::Text(h.compat_option_expires.clone()),
                ),
                ("kb", MessageArg::Text(h.security_kb.clone())),
                (
                    "corroborated",
                    MessageArg::Text(if shared.is_empty() { "no" } else { "yes" }.into()),
                ),
                (
                    "guid_clones",
                    list(shared.iter().map(|(g, ds)| {
                        let names: Vec<&str> = ds.iter().map(|d| d.name.as_str()).collect();
                        format!("{} ({g})", names.join(" = "))
                    })),
                ),
            ];
            v.extend(extra);
            v
        };
        if !dcs.is_empty() {
            out.push(finding(
                SID_DC,
                Severity::Critical,
                others.iter().map(|d| d.name.clone()).collect(),
                common(vec![
                    ("dcs", list(dcs.iter().map(|d| d.name.clone()))),
                    ("others", list(others.iter().map(|d| member(d)))),
                ]),
                evidence(members),
                k,
            ));
        }
        let mut blocked = Vec::new();
        let mut later = Vec::new();
        for (i, a) in others.iter().enumerate() {
            for b in &others[i + 1..] {
                match (a.affected, b.affected) {
                    (Affected::Yes, Affected::Yes) => blocked.push((*a, *b)),
                    _ => later.push((*a, *b)),
                }
            }
        }
        if !blocked.is_empty() {
            let mut subjects: Vec<String> = blocked
                .iter()
                .flat_map(|(a, b)| [a.name.clone(), b.name.clone()])
                .collect();
            subjects.sort();
            subjects.dedup();
            out.push(finding(
                SID_BLOCKED,
                Severity::Critical,
                subjects,
                common(vec![
                    (
                        "pairs",
                        list(
                            blocked
                                .iter()
                                .map(|(a, b)| format!("{} ↔ {}", a.name, b.name)),
                        ),
                    ),
                    ("pair_count", blocked.len().into()),
                ]),
                evidence(members),
                k,
            ));
        }
        if !later.is_empty() {
            let unknown: Vec<String> = others
                .iter()
                .filter(|d| d.affected == Affected::Unknown)
                .map(|d| d.name.clone())
                .collect();
            let not_yet: Vec<String> = others
                .iter()
                .filter(|d| d.affected == Affected::No)
                .map(|d| format!("{}: {}", d.name, h.breaking_update(d.os_build)))
                .collect();
            out.push(finding(
                SID_LATER,
                Severity::High,
                later
                    .iter()
                    .flat_map(|(a, b)| [a.name.clone(), b.name.clone()])
                    .collect(),
                common(vec![
                    (
                        "pairs",
                        list(
                            later
                                .iter()
                                .map(|(a, b)| format!("{} ↔ {}", a.name, b.name)),
                        ),
                    ),
                    ("pair_count", later.len().into()),
                    (
                        "updates",
                        MessageArg::Text(if not_yet.is_empty() {
                            "-".into()
                        } else {
                            not_yet.join("; ")
                        }),
                    ),
                    (
                        "unknown",
                        MessageArg::Text(if unknown.is_empty() {
                            "-".into()
                        } else {
                            unknown.join(", ")
                        }),
                    ),
                ]),
                evidence(members),
                k,
            ));
        }
    }
    // KZ-SID-004: the machine-ID check has already refused an authentication.
    let by_name: BTreeMap<&str, &Device> = devices.iter().map(|d| (d.name.as_str(), d)).collect();
    for (device, events) in machine_id_events {
        let d = by_name.get(device.as_str());
        let group: Vec<String> = d
            .and_then(|d| d.machine_sid)
            .and_then(|s| groups.get(&s))
            .map(|g| {
                g.iter()
                    .filter(|m| m.name != *device)
                    .map(|m| m.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut ev = events.clone();
        ev.sort();
        let first = ev.first().and_then(|e| e.time);
        let last = ev.last().and_then(|e| e.time);
        let fmt = |t: Option<kizuna_core::Timestamp>| {
            MessageArg::Text(t.map_or("?".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()))
        };
        out.push(finding(
            SID_6167,
            Severity::High,
            vec![device.clone()],
            vec![
                ("device", MessageArg::Text(device.clone())),
                ("count", ev.len().into()),
                ("first", fmt(first)),
                ("last", fmt(last)),
                (
                    "sid",
                    MessageArg::Text(
                        d.and_then(|d| d.machine_sid)
                            .map_or("?".to_string(), |s| s.to_string()),
                    ),
                ),
                (
                    "group",
                    MessageArg::Text(if group.is_empty() {
                        "-".into()
                    } else {
                        group.join(", ")
                    }),
                ),
            ],
            ev,
            k,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, sid: &str, guid: Option<&str>) -> Device {
        Device {
            name: name.into(),
            domain: None,
            role: DeviceRole::Workstation,
            machine_sid: sid.parse().ok(),
            os_build: None,
            affected: Affected::Unknown,
            netlogon: Default::default(),
            netlogon_read: None,
            netlogon_from: None,
            sources: vec![format!("{name}/SAM").into()],
            sid_sources: vec![format!("{name}/SAM").into()],
            build_sources: vec![],
            machine_guid: guid.and_then(|g| g.parse().ok()),
            guid_sources: guid.map_or(vec![], |_| vec![format!("{name}/SOFTWARE").into()]),
            hardening: Default::default(),
        }
    }

    const SID: &str = "S-1-5-21-1-2-3";
    const G1: &str = "11111111-2222-3333-4444-555555555555";
    const G2: &str = "11111111-2222-3333-4444-555555555556";

    fn only(devices: &[Device]) -> Finding {
        let found = evaluate(devices, &BTreeMap::new(), &Knowledge::builtin());
        assert_eq!(found.len(), 1, "{found:?}");
        found.into_iter().next().unwrap()
    }

    fn arg(f: &Finding, name: &str) -> String {
        match f.args.get(name) {
            Some(MessageArg::Text(t)) => t.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_shared_machine_guid_makes_the_clones_certain_and_is_evidence() {
        let f = only(&[
            device("PC1", SID, Some(G1)),
            device("PC2", SID, Some(G1)),
            device("PC3", SID, Some(G2)),
        ]);
        assert_eq!(arg(&f, "corroborated"), "yes");
        assert_eq!(arg(&f, "guid_clones"), format!("PC1 = PC2 ({G1})"));
        let paths: Vec<&str> = f.evidence.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"PC1/SOFTWARE") && paths.contains(&"PC2/SOFTWARE"));
        assert!(!paths.contains(&"PC3/SOFTWARE"), "{paths:?}");
    }

    #[test]
    fn different_or_unknown_guids_corroborate_nothing() {
        for devices in [
            [device("PC1", SID, Some(G1)), device("PC2", SID, Some(G2))],
            [device("PC1", SID, Some(G1)), device("PC2", SID, None)],
        ] {
            let f = only(&devices);
            assert_eq!(arg(&f, "corroborated"), "no");
            assert!(f.evidence.iter().all(|e| e.path.ends_with("/SAM")), "{f:?}");
        }
    }
}
