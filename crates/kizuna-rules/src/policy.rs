//! KZ-POL-001..003: Netlogon password settings read from devices' SYSTEM hives, and
//! KZ-DC-001: every domain controller runs Windows Server 2025 (problem A's risk factor).
//!
//! Settings are grouped by value: one finding lists every device where a GPO (or a local
//! tweak) put the same value, because one GPO link or one image is usually the cause.

use std::collections::BTreeMap;

use kizuna_core::{DeviceRole, Evidence, Finding, Knowledge, MessageArg, RuleId, Severity};

use crate::Device;

pub const POL_REFUSE_ON_MEMBER: RuleId = RuleId("KZ-POL-001");
pub const POL_DISABLE_CHANGE: RuleId = RuleId("KZ-POL-002");
pub const POL_MAX_AGE: RuleId = RuleId("KZ-POL-003");
pub const DC_ALL_2025: RuleId = RuleId("KZ-DC-001");

const REFUSE: &str = "RefusePasswordChange";
const DISABLE: &str = "DisablePasswordChange";
const MAX_AGE: &str = "MaximumPasswordAge";

fn grouped(
    rule: RuleId,
    severity: Severity,
    devices: &[&Device],
    setting: &str,
    value: u32,
    k: &Knowledge,
) -> Finding {
    let evidence: Vec<Evidence> = devices
        .iter()
        .flat_map(|d| {
            let label = format!("{} {setting}={value}", d.name);
            crate::evidence::from_system_hive(d, label)
        })
        .collect();
    let (evidence, total) = crate::evidence::capped(evidence, k);
    let mut subjects: Vec<String> = devices.iter().map(|d| d.name.clone()).collect();
    subjects.sort();
    let list = subjects.join(", ");
    Finding {
        rule,
        severity,
        args: [
            ("devices", MessageArg::Text(list)),
            ("count", subjects.len().into()),
            ("value", MessageArg::Number(i64::from(value))),
            (
                "max_age_limit",
                MessageArg::Number(k.thresholds.max_password_age_limit),
            ),
        ]
        .into_iter()
        .collect(),
        subjects,
        evidence,
        evidence_total: total,
    }
}

pub(crate) fn evaluate(devices: &[Device], k: &Knowledge) -> Vec<Finding> {
    let mut out = Vec::new();
    let value = |d: &Device, name: &str| d.netlogon.get(name).copied();

    let refusing: Vec<&Device> = devices
        .iter()
        .filter(|d| matches!(d.role, DeviceRole::Workstation | DeviceRole::Server))
        .filter(|d| value(d, REFUSE) == Some(1))
        .collect();
    if !refusing.is_empty() {
        out.push(grouped(
            POL_REFUSE_ON_MEMBER,
            Severity::High,
            &refusing,
            REFUSE,
            1,
            k,
        ));
    }

    let disabled: Vec<&Device> = devices
        .iter()
        .filter(|d| value(d, DISABLE) == Some(1))
        .collect();
    if !disabled.is_empty() {
        out.push(grouped(
            POL_DISABLE_CHANGE,
            Severity::Medium,
            &disabled,
            DISABLE,
            1,
            k,
        ));
    }

    let limit = k.thresholds.max_password_age_limit;
    let mut by_age: BTreeMap<u32, Vec<&Device>> = BTreeMap::new();
    for d in devices {
        if let Some(age) = value(d, MAX_AGE)
            && (age == 0 || i64::from(age) > limit)
        {
            by_age.entry(age).or_default().push(d);
        }
    }
    for (age, group) in by_age {
        out.push(grouped(POL_MAX_AGE, Severity::Low, &group, MAX_AGE, age, k));
    }

    out.extend(every_dc_2025(devices, k));
    out
}

/// KZ-DC-001 only when every DC seen has a known build: a DC whose build is unknown
/// could be the older one, so nothing is said.
fn every_dc_2025(devices: &[Device], k: &Knowledge) -> Option<Finding> {
    let dcs: Vec<&Device> = devices
        .iter()
        .filter(|d| d.role == DeviceRole::Dc)
        .collect();
    let first = k.thresholds.server_2025_build;
    if dcs.is_empty()
        || !dcs
            .iter()
            .all(|d| d.os_build.is_some_and(|b| b.build >= first))
    {
        return None;
    }
    let evidence: Vec<Evidence> = dcs
        .iter()
        .flat_map(|d| {
            let build = d.os_build.map(|b| b.to_string()).unwrap_or_default();
            crate::evidence::from_sources(&d.build_sources, format!("{} {build}", d.name))
        })
        .collect();
    let (evidence, total) = crate::evidence::capped(evidence, k);
    let subjects: Vec<String> = dcs.iter().map(|d| d.name.clone()).collect();
    Some(Finding {
        rule: DC_ALL_2025,
        severity: Severity::Medium,
        args: [
            ("dcs", MessageArg::Text(subjects.join(", "))),
            ("count", subjects.len().into()),
        ]
        .into_iter()
        .collect(),
        subjects,
        evidence,
        evidence_total: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::{Affected, OsBuild};

    fn device(
        name: &str,
        role: DeviceRole,
        build: Option<u32>,
        netlogon: &[(&str, u32)],
    ) -> Device {
        Device {
            name: name.into(),
            domain: None,
            role,
            machine_sid: None,
            os_build: build.map(|build| OsBuild { build, ubr: None }),
            affected: Affected::Unknown,
            netlogon: netlogon.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            netlogon_read: None,
            netlogon_from: (!netlogon.is_empty()).then(|| format!("{name}/SYSTEM").into()),
            sources: vec![
                format!("{name}/SYSTEM").into(),
                format!("{name}/System.evtx").into(),
            ],
            sid_sources: vec![],
            build_sources: vec![],
            machine_guid: None,
            guid_sources: Vec::new(),
            hardening: Default::default(),
        }
    }

    fn rules(found: &[Finding]) -> Vec<(&str, Vec<String>)> {
        found
            .iter()
            .map(|f| (f.rule.0, f.subjects.clone()))
            .collect()
    }

    #[test]
    fn settings_are_grouped_by_value_and_scoped_by_role() {
        let k = Knowledge::builtin();
        let devices = [
            device("DC1", DeviceRole::Dc, Some(20348), &[(REFUSE, 1)]),
            device(
                "SV1",
                DeviceRole::Server,
                None,
                &[(REFUSE, 1), (MAX_AGE, 0)],
            ),
            device(
                "PC1",
                DeviceRole::Workstation,
                None,
                &[(MAX_AGE, 0), (DISABLE, 1)],
            ),
            device("PC2", DeviceRole::Workstation, None, &[(MAX_AGE, 1000)]),
            device(
                "PC3",
                DeviceRole::Workstation,
                None,
                &[(MAX_AGE, 999), (DISABLE, 0)],
            ),
            device("PC4", DeviceRole::Unknown, None, &[(REFUSE, 1)]),
        ];
        let found = evaluate(&devices, &k);
        assert_eq!(
            rules(&found),
            [
                ("KZ-POL-001", vec!["SV1".to_string()]),
                ("KZ-POL-002", vec!["PC1".to_string()]),
                ("KZ-POL-003", vec!["PC1".to_string(), "SV1".to_string()]),
                ("KZ-POL-003", vec!["PC2".to_string()]),
            ],
            "a DC may refuse; an unknown role is not called a member; 999 is in range"
        );
        assert_eq!(
            found[0].evidence.len(),
            1,
            "only the SYSTEM hive is evidence"
        );
        assert_eq!(found[0].evidence[0].path, "SV1/SYSTEM");
        assert_eq!(found[3].args["value"], MessageArg::Number(1000));
    }

    #[test]
    fn every_dc_2025_only_when_every_dc_build_is_known() {
        let k = Knowledge::builtin();
        let dc = |n, b| device(n, DeviceRole::Dc, b, &[]);
        let found = evaluate(&[dc("DC1", Some(26100)), dc("DC2", Some(26100))], &k);
        assert_eq!(
            rules(&found),
            [("KZ-DC-001", vec!["DC1".to_string(), "DC2".to_string()])]
        );
        assert!(evaluate(&[dc("DC1", Some(26100)), dc("DC2", None)], &k).is_empty());
        assert!(evaluate(&[dc("DC1", Some(26100)), dc("DC2", Some(20348))], &k).is_empty());
        assert!(evaluate(&[], &k).is_empty());
    }
}
