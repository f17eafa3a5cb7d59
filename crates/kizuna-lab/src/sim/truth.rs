//! `truth.json`: every finding a correct scan of the lab's evidence reports, nothing more.
//!
//! Secure-channel findings come from each member's [`Outcome`] (counted from causes by the
//! engine); identity and policy findings from the population and what was collected:
//! machine SIDs from the fleet inventory (every device), builds from the SOFTWARE hive when
//! collected else the inventory (which may lack the UBR), policy values from the SYSTEM
//! hive when collected.

use std::collections::BTreeMap;

use serde_json::json;

use super::model::{Domain, Machine, Role};
use super::run::{Outcome, Run, Severity};

/// One expected finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub rule: &'static str,
    pub severity: &'static str,
    /// Sorted device names.
    pub subjects: Vec<String>,
}

/// The registry values under `Services\Netlogon\Parameters` on the last day: the workaround
/// GPOs write them (security options stay written after the GPO goes: the rollback GPO
/// writes the defaults explicitly), else the device's local values.
pub fn netlogon_parameters(d: &Domain, m: &Machine) -> BTreeMap<&'static str, u32> {
    let mut v = BTreeMap::new();
    let lp = &m.local_policy;
    let last = d.days.saturating_sub(1);
    let gpo = d.workaround.applied.is_some_and(|a| a <= last);
    let active = d.workaround.active(last);
    let refuse = if gpo && (m.role == Role::Dc || m.misscoped_refuse) {
        Some(u32::from(active))
    } else {
        lp.refuse_password_change
    };
    let age = if gpo && m.pilot {
        Some(if active { 0 } else { 30 })
    } else {
        lp.maximum_password_age
    };
    for (name, value) in [
        ("RefusePasswordChange", refuse),
        ("MaximumPasswordAge", age),
        ("DisablePasswordChange", lp.disable_password_change),
    ] {
        if let Some(x) = value {
            v.insert(name, x);
        }
    }
    v
}

pub fn expected(d: &Domain, run: &Run) -> Vec<Expected> {
    let mut out = Vec::new();
    let one = |rule, severity: Severity, name: &str| Expected {
        rule,
        severity: severity.as_str(),
        subjects: vec![name.to_string()],
    };
    // Devices KZ-MII-001 names: their rollback pattern is its doing, not a snapshot's.
    let mut isolated_findings = Vec::new();
    identity_isolation(d, run, &mut isolated_findings);
    let isolated: std::collections::BTreeSet<String> = isolated_findings
        .iter()
        .flat_map(|e| e.subjects.iter().cloned())
        .collect();
    out.extend(isolated_findings);
    for (m, o) in d.members.iter().zip(&run.outcomes) {
        let Outcome {
            worst,
            trust_incidents,
            account_missing,
            forgot_own_change,
            refused_clone,
            last_password_set: _,
            etype_refused,
            ntlmv1,
            isolation_switch: _,
            forgot_by_isolation,
        } = o;
        if let Some(w) = worst {
            out.push(one("KZ-SC-001", *w, &m.name));
        }
        if *trust_incidents >= 2 {
            out.push(one("KZ-SC-002", Severity::High, &m.name));
        }
        if *account_missing {
            out.push(one("KZ-SC-003", Severity::High, &m.name));
        }
        // A device KZ-MII-001 names gets no rollback finding, whatever else happened.
        if (*forgot_own_change || *forgot_by_isolation) && !isolated.contains(&m.name) {
            out.push(one("KZ-SC-004", Severity::High, &m.name));
        }
        if *refused_clone {
            out.push(one("KZ-SID-004", Severity::High, &m.name));
        }
        // A Windows Server 2025 DC's refusal (4768 0xE) is a blocked request: high.
        if *etype_refused {
            out.push(one("KZ-KRB-001", Severity::High, &m.name));
        }
        if let Some(blocked) = ntlmv1 {
            let sev = if *blocked {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(one("KZ-NTLM-001", sev, &m.name));
        }
    }
    restored_dcs(d, run, &mut out);
    duplicate_sids(d, &mut out);
    policies(d, &mut out);
    every_dc_2025(d, &mut out);
    for e in &mut out {
        e.subjects.sort();
    }
    out.sort();
    out
}

/// KZ-MII-001: a workstation whose collected hives show Machine Identity Isolation still
/// enforced (2) on a build that honours it, with a trust failure since the update shipped.
fn identity_isolation(d: &Domain, run: &Run, out: &mut Vec<Expected>) {
    let (y, m, day) = super::model::IDENTITY_ISOLATION_HONOURED;
    let Some(honoured) = chrono::NaiveDate::from_ymd_opt(y, m, day) else {
        return;
    };
    let last = d.days.saturating_sub(1);
    for (i, (m, o)) in d.members.iter().zip(&run.outcomes).enumerate() {
        if o.isolation_switch != Some(2)
            || !m.collected.hives
            || m.role != Role::Workstation
            || !m.image_on(last).honours_identity_isolation()
        {
            continue;
        }
        let failed_since = run.occurrences.iter().any(|x| {
            x.member == i
                && x.time.date_naive() >= honoured
                && matches!(
                    x.what,
                    super::run::Happening::Rejected { .. }
                        | super::run::Happening::NoAccount { .. }
                )
        });
        if failed_since {
            out.push(Expected {
                rule: "KZ-MII-001",
                severity: "critical",
                subjects: vec![m.name.clone()],
            });
        }
    }
}

/// How long before a DC says it was restored its rejections count as the restore's (the
/// lab's statement of the rule's look-back).
const RESTORE_LOOKBACK_DAYS: i64 = 14;

/// KZ-DC-002: each DC that logged its USN rollback, with the members it rejected (a
/// password mismatch, DC NETLOGON 5722/5805) from the look-back before that on.
fn restored_dcs(d: &Domain, run: &Run, out: &mut Vec<Expected>) {
    for (i, dc) in d.dcs.iter().enumerate() {
        let Some(t) = super::run::restore_detected_at(d, i) else {
            continue;
        };
        let from = t - chrono::Duration::days(RESTORE_LOOKBACK_DAYS);
        let mut subjects = vec![dc.machine.name.clone()];
        let mut members: Vec<String> = run
            .occurrences
            .iter()
            .filter(|o| {
                o.time >= from
                    && matches!(o.what, super::run::Happening::Rejected { dc, .. } if dc == i)
            })
            .map(|o| d.members[o.member].name.clone())
            .collect();
        members.sort();
        members.dedup();
        subjects.extend(members);
        out.push(Expected {
            rule: "KZ-DC-002",
            severity: "critical",
            subjects,
        });
    }
}

fn serving_dcs(d: &Domain) -> impl Iterator<Item = &Machine> {
    d.dcs
        .iter()
        .filter(|x| x.demoted.is_none())
        .map(|x| &x.machine)
}

fn duplicate_sids(d: &Domain, out: &mut Vec<Expected>) {
    let mut groups: BTreeMap<_, Vec<&Machine>> = BTreeMap::new();
    for m in serving_dcs(d).chain(&d.members) {
        groups.entry(m.sid).or_default().push(m);
    }
    let names = |v: &[&Machine]| v.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    for group in groups.values() {
        let (dcs, members): (Vec<&Machine>, Vec<&Machine>) =
            group.iter().partition(|m| m.role == Role::Dc);
        if members.is_empty() {
            continue;
        }
        if !dcs.is_empty() {
            out.push(Expected {
                rule: "KZ-SID-003",
                severity: "critical",
                subjects: names(&members),
            });
        }
        if members.len() < 2 {
            continue;
        }
        let last = d.days;
        let enforcing: Vec<&Machine> = members
            .iter()
            .copied()
            .filter(|m| {
                let known = m.collected.hives || m.collected.inventory_ubr;
                m.image_on(last).enforces(known) == Some(true)
            })
            .collect();
        if enforcing.len() >= 2 {
            out.push(Expected {
                rule: "KZ-SID-001",
                severity: "critical",
                subjects: names(&enforcing),
            });
        }
        if enforcing.len() < members.len() {
            out.push(Expected {
                rule: "KZ-SID-002",
                severity: "high",
                subjects: names(&members),
            });
        }
    }
}

fn policies(d: &Domain, out: &mut Vec<Expected>) {
    let mut refuse = Vec::new();
    let mut disable = Vec::new();
    let mut ages: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for m in serving_dcs(d).chain(&d.members) {
        if !m.collected.hives {
            continue;
        }
        let p = netlogon_parameters(d, m);
        if m.role != Role::Dc && p.get("RefusePasswordChange") == Some(&1) {
            refuse.push(m.name.clone());
        }
        if p.get("DisablePasswordChange") == Some(&1) {
            disable.push(m.name.clone());
        }
        if let Some(&age) = p.get("MaximumPasswordAge")
            && (age == 0 || age > 999)
        {
            ages.entry(age).or_default().push(m.name.clone());
        }
    }
    if !refuse.is_empty() {
        out.push(Expected {
            rule: "KZ-POL-001",
            severity: "high",
            subjects: refuse,
        });
    }
    if !disable.is_empty() {
        out.push(Expected {
            rule: "KZ-POL-002",
            severity: "medium",
            subjects: disable,
        });
    }
    for subjects in ages.into_values() {
        out.push(Expected {
            rule: "KZ-POL-003",
            severity: "low",
            subjects,
        });
    }
}

/// What `kizuna scan --expires <workaround expiry>` adds to [`expected`] at the lab's end:
/// KZ-POL-004 (high) for every collected device whose SYSTEM hive, written on the last day,
/// still holds a workaround value (RefusePasswordChange=1, MaximumPasswordAge 0 or above
/// 30) after the expiry date.
pub fn past_expiry(d: &Domain) -> Vec<Expected> {
    let Some(day) = d.workaround.expires else {
        return Vec::new();
    };
    // Hives are written on the last day; they prove the workaround outlived its expiry
    // only when that day is later than the expiry's.
    if day + 1 >= d.days {
        return Vec::new();
    }
    let mut subjects: Vec<String> = serving_dcs(d)
        .chain(&d.members)
        .filter(|m| m.collected.hives)
        .filter(|m| {
            let p = netlogon_parameters(d, m);
            p.get("RefusePasswordChange") == Some(&1)
                || p.get("MaximumPasswordAge")
                    .is_some_and(|&a| a == 0 || a > 30)
        })
        .map(|m| m.name.clone())
        .collect();
    subjects.sort();
    if subjects.is_empty() {
        return Vec::new();
    }
    vec![Expected {
        rule: "KZ-POL-004",
        severity: "high",
        subjects,
    }]
}

fn every_dc_2025(d: &Domain, out: &mut Vec<Expected>) {
    let dcs: Vec<&Machine> = serving_dcs(d).collect();
    if !dcs.is_empty()
        && dcs
            .iter()
            .all(|m| m.collected.hives && m.image_on(d.days).is_server_2025())
    {
        out.push(Expected {
            rule: "KZ-DC-001",
            severity: "medium",
            subjects: dcs.iter().map(|m| m.name.clone()).collect(),
        });
    }
}

/// The `truth.json` document: `findings` for a scan of the evidence; `directory.findings`
/// for `kizuna ad audit` of a DC holding `directory.ldif`, at time `end`;
/// `workaround.findings` what a scan adds when told `workaround.expires`.
pub fn document(d: &Domain, expected: &[Expected], directory: &[Expected]) -> serde_json::Value {
    let list = |v: &[Expected]| {
        v.iter()
            .map(|e| {
                json!({
                    "rule": e.rule,
                    "severity": e.severity,
                    "subjects": e.subjects,
                })
            })
            .collect::<Vec<_>>()
    };
    json!({
        "scenario": d.scenario,
        "seed": d.seed,
        "domain": d.dns_name,
        "start": d.start.to_rfc3339(),
        "end": d.end().to_rfc3339(),
        "devices": d.device_count(),
        "findings": list(expected),
        "directory": {
            "ldif": format!("directory/{}.ldif", d.dns_name),
            "findings": list(directory),
        },
        "workaround": {
            "applied": d.workaround.applied.map(|x| d.date_of(x).to_string()),
            "rolled_back": d.workaround.rolled_back.map(|x| d.date_of(x).to_string()),
            "expires": d.workaround_expires().map(|x| x.to_string()),
            "findings": list(&past_expiry(d)),
        },
    })
}
