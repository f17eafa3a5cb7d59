//! KZ-AD-001..006: what the directory says about machine passwords, encryption types and
//! the workaround GPOs. Bulk hygiene findings (stale, RC4-only, inactive computers) group
//! every computer concerned; GPO findings are one per GPO.

use chrono::Duration;
use kizuna_core::directory::{DirComputer, DirGpo, DirectorySnapshot, enctype};
use kizuna_core::{Evidence, Finding, Knowledge, MessageArg, RuleId, Severity, Timestamp};

pub const AD_STALE_ACTIVE: RuleId = RuleId("KZ-AD-001");
pub const AD_DC_PASSWORD: RuleId = RuleId("KZ-AD-002");
pub const AD_RC4_ONLY: RuleId = RuleId("KZ-AD-003");
pub const AD_REFUSE_SCOPE: RuleId = RuleId("KZ-AD-004");
pub const AD_WORKAROUND: RuleId = RuleId("KZ-AD-005");
pub const AD_INACTIVE: RuleId = RuleId("KZ-AD-006");

const REFUSE: &str = "RefusePasswordChange";
const MAX_AGE: &str = "MaximumPasswordAge";

fn day(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d").to_string())
}

fn computer_evidence(snap: &DirectorySnapshot, c: &DirComputer, label: String) -> Evidence {
    Evidence {
        time: None,
        path: format!("{} {}", c.source.as_deref().unwrap_or(&snap.source), c.dn),
        record_id: None,
        line: None,
        label,
    }
}

fn grouped(
    rule: RuleId,
    severity: Severity,
    items: Vec<(&DirComputer, Evidence)>,
    mut args: Vec<(&'static str, MessageArg)>,
    k: &Knowledge,
) -> Option<Finding> {
    if items.is_empty() {
        return None;
    }
    let mut subjects: Vec<String> = items.iter().map(|(c, _)| c.name.to_uppercase()).collect();
    subjects.sort();
    subjects.dedup();
    let (evidence, total) = crate::evidence::capped(items.into_iter().map(|(_, e)| e).collect(), k);
    let shown: Vec<&str> = subjects.iter().take(20).map(String::as_str).collect();
    let more = subjects.len().saturating_sub(shown.len());
    args.push(("count", subjects.len().into()));
    args.push((
        "devices",
        MessageArg::Text(if more > 0 {
            format!("{} (+{more})", shown.join(", "))
        } else {
            shown.join(", ")
        }),
    ));
    Some(Finding {
        rule,
        severity,
        subjects,
        args: args.into_iter().collect(),
        evidence,
        evidence_total: total,
    })
}

/// The MaximumPasswordAge a computer gets from the GPOs that apply to it (read from
/// SYSVOL), the closest link winning unless a higher one is enforced; `None` = not set by
/// any GPO read.
fn gpo_max_age(snap: &DirectorySnapshot, c: &DirComputer) -> Option<u32> {
    let applying = snap.gpos_applying_to(&c.dn);
    let enforced: Vec<&&DirGpo> = applying
        .iter()
        .filter(|g| {
            snap.links
                .iter()
                .any(|l| l.enforced && l.gpo_guid == g.guid && !l.disabled)
        })
        .collect();
    // Enforced links win, the one nearest the root first; otherwise the nearest link wins.
    if let Some(v) = enforced.iter().find_map(|g| g.netlogon_value(MAX_AGE)) {
        return Some(v);
    }
    let mut by_depth: Vec<(usize, &DirGpo)> = applying
        .iter()
        .map(|g| {
            let depth = snap
                .links
                .iter()
                .filter(|l| l.gpo_guid == g.guid && !l.disabled)
                .filter(|l| {
                    let c_l = c.dn.to_ascii_lowercase();
                    c_l.ends_with(&l.container_dn.to_ascii_lowercase())
                })
                .map(|l| l.container_dn.len())
                .max()
                .unwrap_or(0);
            (depth, *g)
        })
        .collect();
    by_depth.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    by_depth.iter().find_map(|(_, g)| g.netlogon_value(MAX_AGE))
}

/// Is this a GPO of the source article's workaround (Refuse on DCs, or a paused /
/// lengthened member rotation)?
fn workaround_settings(g: &DirGpo) -> Vec<String> {
    let mut v = Vec::new();
    if g.netlogon_value(REFUSE) == Some(1) {
        v.push(format!("{REFUSE}=1"));
    }
    if let Some(age) = g.netlogon_value(MAX_AGE)
        && (age == 0 || age > 30)
    {
        v.push(format!("{MAX_AGE}={age}"));
    }
    if g.netlogon_value("DisablePasswordChange") == Some(1) {
        v.push("DisablePasswordChange=1".into());
    }
    v
}

fn scope_of(snap: &DirectorySnapshot, g: &DirGpo) -> String {
    let links: Vec<String> = snap
        .links
        .iter()
        .filter(|l| l.gpo_guid == g.guid)
        .map(|l| {
            let mut s = l.container_dn.clone();
            if l.disabled {
                s.push_str(" (link disabled)");
            }
            if l.enforced {
                s.push_str(" (enforced)");
            }
            s
        })
        .collect();
    // Only names and queries: the sentences around them come from the catalogs.
    let filter = g.wmi_filter_id().map(|id| match snap.wmi_filter(&id) {
        Some(w) => format!(
            "WMI {}: {}",
            w.name.clone().unwrap_or(id),
            w.queries.join(" / ")
        ),
        None => format!("WMI {id} (?)"),
    });
    let mut parts = if links.is_empty() {
        vec!["-".to_string()]
    } else {
        links
    };
    parts.extend(filter);
    parts.join("; ")
}

/// The expiry a GPO's name records (`… (expires 2027-02-28)`, as kizuna's kit names it).
pub(crate) fn expiry_of(g: &DirGpo) -> Option<chrono::NaiveDate> {
    let name = g.display_name.as_deref()?;
    let at = name.rfind("(expires ")? + "(expires ".len();
    chrono::NaiveDate::parse_from_str(name.get(at..at + 10)?, "%Y-%m-%d").ok()
}

fn gpo_name(g: &DirGpo) -> String {
    g.display_name.clone().unwrap_or_else(|| g.guid.clone())
}

fn gpo_finding(
    rule: RuleId,
    severity: Severity,
    snap: &DirectorySnapshot,
    g: &DirGpo,
    args: Vec<(&'static str, MessageArg)>,
) -> Finding {
    let mut all: Vec<(&'static str, MessageArg)> = vec![
        ("gpo", MessageArg::Text(gpo_name(g))),
        ("guid", MessageArg::Text(g.guid.clone())),
        ("scope", MessageArg::Text(scope_of(snap, g))),
    ];
    all.extend(args);
    Finding {
        rule,
        severity,
        subjects: vec![gpo_name(g)],
        args: all.into_iter().collect(),
        evidence: vec![Evidence {
            time: g.when_changed,
            path: format!("{} {}", snap.source, g.dn),
            record_id: None,
            line: None,
            label: format!("GPO {} {}", g.guid, workaround_settings(g).join(" ")),
        }],
        evidence_total: 1,
    }
}

pub(crate) fn evaluate(snap: &DirectorySnapshot, now: Timestamp, k: &Knowledge) -> Vec<Finding> {
    let t = &k.thresholds;
    let mut out = Vec::new();
    let days = |n: i64| Duration::days(n);
    let enabled_members = || snap.computers.iter().filter(|c| c.enabled() && !c.is_dc());

    // KZ-AD-001: active, but the password stopped rotating.
    let mut stale = Vec::new();
    for c in enabled_members() {
        let active = c
            .last_logon_timestamp
            .is_some_and(|l| l >= now - days(t.ad_active_days));
        let Some(pwd) = c.pwd_last_set else { continue };
        if !active {
            continue;
        }
        let expected = match gpo_max_age(snap, c) {
            Some(0) => continue, // rotation paused by a GPO on purpose: KZ-AD-005 says so.
            Some(a) => i64::from(a),
            None => t.ad_default_max_password_age_days,
        };
        let limit = expected * t.ad_stale_factor;
        if pwd < now - days(limit) {
            let label = format!(
                "pwdLastSet {} ({} days), lastLogonTimestamp {}, expected every {expected} days",
                day(Some(pwd)),
                (now - pwd).num_days(),
                day(c.last_logon_timestamp)
            );
            stale.push((c, computer_evidence(snap, c, label)));
        }
    }
    out.extend(grouped(
        AD_STALE_ACTIVE,
        Severity::Medium,
        stale,
        vec![
            ("active_days", MessageArg::Number(t.ad_active_days)),
            ("factor", MessageArg::Number(t.ad_stale_factor)),
            (
                "default_age",
                MessageArg::Number(t.ad_default_max_password_age_days),
            ),
        ],
        k,
    ));

    // KZ-AD-002: a DC's own password is old.
    let dcs: Vec<(&DirComputer, Evidence)> = snap
        .computers
        .iter()
        .filter(|c| c.is_dc() && c.enabled())
        .filter(|c| {
            c.pwd_last_set
                .is_none_or(|p| p < now - days(t.ad_dc_password_days))
        })
        .map(|c| {
            let label = format!("DC pwdLastSet {}", day(c.pwd_last_set));
            (c, computer_evidence(snap, c, label))
        })
        .collect();
    out.extend(grouped(
        AD_DC_PASSWORD,
        Severity::High,
        dcs,
        vec![("dc_days", MessageArg::Number(t.ad_dc_password_days))],
        k,
    ));

    // KZ-AD-003: encryption types without AES.
    let rc4: Vec<(&DirComputer, Evidence)> = snap
        .computers
        .iter()
        .filter(|c| c.enabled())
        .filter_map(|c| {
            let e = c.supported_encryption_types?;
            (e != 0 && e & (enctype::AES128 | enctype::AES256) == 0).then(|| {
                let label = format!("msDS-SupportedEncryptionTypes {e} (0x{e:x})");
                (c, computer_evidence(snap, c, label))
            })
        })
        .collect();
    out.extend(grouped(AD_RC4_ONLY, Severity::Medium, rc4, vec![], k));

    // KZ-AD-004 / 005: the workaround GPOs and their scope.
    let dc_ou = snap.domain_controllers_ou().to_ascii_lowercase();
    for g in &snap.gpos {
        let settings = workaround_settings(g);
        if g.netlogon_value(REFUSE) == Some(1) {
            let elsewhere: Vec<String> = snap
                .links
                .iter()
                .filter(|l| l.gpo_guid == g.guid && !l.disabled)
                .filter(|l| l.container_dn.to_ascii_lowercase() != dc_ou)
                .map(|l| l.container_dn.clone())
                .collect();
            let dc_filter = g
                .wmi_filter_id()
                .and_then(|id| snap.wmi_filter(&id))
                .is_some_and(|w| w.selects_only_dcs());
            if !elsewhere.is_empty() || !dc_filter {
                out.push(gpo_finding(
                    AD_REFUSE_SCOPE,
                    Severity::High,
                    snap,
                    g,
                    vec![
                        (
                            "elsewhere",
                            MessageArg::Text(if elsewhere.is_empty() {
                                "-".into()
                            } else {
                                elsewhere.join(", ")
                            }),
                        ),
                        (
                            "filtered",
                            MessageArg::Text(if dc_filter { "yes" } else { "no" }.into()),
                        ),
                    ],
                ));
            }
        }
        if !settings.is_empty() {
            // Which baseline findings follow, as selectors: the catalogs word them.
            let flag = |b: bool| MessageArg::Text(if b { "yes" } else { "no" }.into());
            let expires = expiry_of(g);
            let days = expires.map(|e| (e - now.date_naive()).num_days());
            let overdue = days.is_some_and(|d| d < 0);
            out.push(gpo_finding(
                AD_WORKAROUND,
                if overdue {
                    Severity::High
                } else {
                    Severity::Medium
                },
                snap,
                g,
                vec![
                    ("settings", MessageArg::Text(settings.join(", "))),
                    ("refuse", flag(g.netlogon_value(REFUSE) == Some(1))),
                    (
                        "age",
                        flag(g.netlogon_value(MAX_AGE).is_some_and(|a| a == 0 || a > 30)),
                    ),
                    (
                        "disable",
                        flag(g.netlogon_value("DisablePasswordChange") == Some(1)),
                    ),
                    ("changed", MessageArg::Text(day(g.when_changed))),
                    (
                        "expiry",
                        MessageArg::Text(
                            match days {
                                None => "none",
                                Some(d) if d < 0 => "overdue",
                                Some(_) => "future",
                            }
                            .into(),
                        ),
                    ),
                    (
                        "expires",
                        MessageArg::Text(expires.map_or_else(|| "-".into(), |e| e.to_string())),
                    ),
                    ("days", MessageArg::Number(days.map_or(0, i64::abs))),
                ],
            ));
        }
    }

    // KZ-AD-006: no logon and no password change for a long time.
    let cutoff = now - days(t.ad_inactive_days);
    // A password never set counts as old only for an account created before the cutoff.
    let inactive: Vec<(&DirComputer, Evidence)> = enabled_members()
        .filter(|c| c.last_logon_timestamp.is_none_or(|l| l < cutoff))
        .filter(|c| match c.pwd_last_set {
            Some(p) => p < cutoff,
            None => c.when_created.is_some_and(|w| w < cutoff),
        })
        .map(|c| {
            let label = format!(
                "lastLogonTimestamp {}, pwdLastSet {}",
                day(c.last_logon_timestamp),
                day(c.pwd_last_set)
            );
            (c, computer_evidence(snap, c, label))
        })
        .collect();
    out.extend(grouped(
        AD_INACTIVE,
        Severity::Low,
        inactive,
        vec![("inactive_days", MessageArg::Number(t.ad_inactive_days))],
        k,
    ));
    out
}

/// Each computer object as an identity fact: name, role (DC by userAccountControl, server
/// by operatingSystem), domain and build (`operatingSystemVersion`, no UBR).
pub(crate) fn identity_records(snap: &DirectorySnapshot) -> Vec<kizuna_core::IdentityRecord> {
    use kizuna_core::{DeviceName, DeviceRole, IdentityRecord, IdentitySource, OsBuild, SourceRef};
    snap.computers
        .iter()
        .filter_map(|c| {
            let name = c
                .dns_host_name
                .as_deref()
                .and_then(DeviceName::parse)
                .or_else(|| DeviceName::parse(&c.name))?;
            let role = if c.is_dc() {
                DeviceRole::Dc
            } else if c.is_server_os() {
                DeviceRole::Server
            } else if c.operating_system.is_some() {
                DeviceRole::Workstation
            } else {
                DeviceRole::Unknown
            };
            Some(IdentityRecord {
                device: Some(name),
                folder: None,
                machine_sid: None,
                machine_guid: None,
                role: Some(role),
                domain: snap.domain.dns_domain.clone(),
                os_build: c.build().map(|build| OsBuild { build, ubr: None }),
                netlogon: Default::default(),
                hardening: Default::default(),
                observed: None,
                kind: IdentitySource::Directory,
                source: SourceRef {
                    path: format!("{} {}", c.source.as_deref().unwrap_or(&snap.source), c.dn),
                    offset: None,
                    line: None,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use kizuna_core::directory::{ContainerKind, DirDomain, DirGpLink, DirWmiFilter, uac};
    use std::collections::BTreeMap;

    const BASE: &str = "DC=lab,DC=test";

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
    }

    fn ago(days: i64) -> Option<Timestamp> {
        Some(now() - Duration::days(days))
    }

    fn pc(name: &str, ou: &str, pwd: i64, logon: i64) -> DirComputer {
        DirComputer {
            dn: format!("CN={name},{ou},{BASE}"),
            name: name.into(),
            sam_account_name: Some(format!("{name}$")),
            dns_host_name: Some(format!("{}.lab.test", name.to_lowercase())),
            user_account_control: uac::WORKSTATION_TRUST_ACCOUNT,
            operating_system: Some("Windows 11 Enterprise".into()),
            operating_system_version: Some("10.0 (26100)".into()),
            pwd_last_set: ago(pwd),
            last_logon_timestamp: ago(logon),
            when_created: ago(400),
            supported_encryption_types: Some(28),
            site: None,
            source: None,
        }
    }

    fn gpo(guid: &str, name: &str, values: &[(&str, &str)], filter: Option<&str>) -> DirGpo {
        DirGpo {
            guid: guid.into(),
            dn: format!("CN={guid},CN=Policies,CN=System,{BASE}"),
            display_name: Some(name.into()),
            wql_filter: filter.map(|f| format!("[lab.test;{f};0]")),
            registry_values: Some(
                values
                    .iter()
                    .map(|(k, v)| {
                        (
                            format!("MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\{k}"),
                            v.to_string(),
                        )
                    })
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..Default::default()
        }
    }

    fn link(container: &str, kind: ContainerKind, guid: &str) -> DirGpLink {
        DirGpLink {
            container_dn: container.into(),
            container_kind: kind,
            gpo_guid: guid.into(),
            disabled: false,
            enforced: false,
            order: 1,
        }
    }

    fn run(s: &DirectorySnapshot) -> Vec<(&'static str, Vec<String>)> {
        let k = Knowledge::builtin();
        evaluate(s, now(), &k)
            .into_iter()
            .map(|f| (f.rule.0, f.subjects))
            .collect()
    }

    fn snapshot() -> DirectorySnapshot {
        let mut dc = pc("DC1", "OU=Domain Controllers", 10, 1);
        dc.user_account_control = uac::SERVER_TRUST_ACCOUNT;
        let mut old_dc = pc("DC2", "OU=Domain Controllers", 60, 1);
        old_dc.user_account_control = uac::SERVER_TRUST_ACCOUNT;
        let mut rc4 = pc("RC4", "OU=PCs", 5, 1);
        rc4.supported_encryption_types = Some(4);
        let mut disabled = pc("OFF", "OU=PCs", 500, 500);
        disabled.user_account_control |= uac::ACCOUNTDISABLE;
        DirectorySnapshot {
            source: "ldap://dc1".into(),
            domain: DirDomain {
                default_naming_context: BASE.into(),
                ..Default::default()
            },
            computers: vec![
                dc,
                old_dc,
                pc("FRESH", "OU=PCs", 5, 1),
                pc("STALE", "OU=PCs", 70, 3),
                pc("PAUSED", "OU=Pilot", 200, 3),
                pc("GONE", "OU=PCs", 120, 100),
                rc4,
                disabled,
            ],
            gpos: vec![
                gpo(
                    "{DCGPO}",
                    "DC Refuse",
                    &[("RefusePasswordChange", "4,1")],
                    Some("{F1}"),
                ),
                gpo(
                    "{ROOT}",
                    "Refuse at root",
                    &[("RefusePasswordChange", "4,1")],
                    None,
                ),
                gpo(
                    "{PILOT}",
                    "Member age",
                    &[("MaximumPasswordAge", "4,0")],
                    None,
                ),
            ],
            links: vec![
                link(
                    &format!("OU=Domain Controllers,{BASE}"),
                    ContainerKind::Ou,
                    "{DCGPO}",
                ),
                link(BASE, ContainerKind::Domain, "{ROOT}"),
                link(&format!("OU=Pilot,{BASE}"), ContainerKind::Ou, "{PILOT}"),
            ],
            wmi_filters: vec![DirWmiFilter {
                id: "{F1}".into(),
                name: Some("DCs".into()),
                queries: vec!["SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2".into()],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn each_condition_by_its_rule_and_nothing_for_the_healthy() {
        let got = run(&snapshot());
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                ("KZ-AD-001", s(&["STALE"])),
                ("KZ-AD-002", s(&["DC2"])),
                ("KZ-AD-003", s(&["RC4"])),
                ("KZ-AD-005", s(&["DC Refuse"])),
                ("KZ-AD-004", s(&["Refuse at root"])),
                ("KZ-AD-005", s(&["Refuse at root"])),
                ("KZ-AD-005", s(&["Member age"])),
                ("KZ-AD-006", s(&["GONE"])),
            ],
            "PAUSED is covered by a MaximumPasswordAge=0 GPO; OFF is disabled; FRESH is healthy"
        );
        let all: Vec<String> = got.iter().flat_map(|(_, v)| v.clone()).collect();
        assert!(!all.contains(&"FRESH".to_string()));
    }

    #[test]
    fn a_dc_refuse_gpo_without_its_filter_or_with_a_second_link_is_mis_scoped() {
        let mut s = snapshot();
        s.gpos[0].wql_filter = None;
        let got = run(&s);
        assert!(
            got.contains(&("KZ-AD-004", vec!["DC Refuse".to_string()])),
            "{got:?}"
        );
        let mut s = snapshot();
        s.links.push(link(
            &format!("OU=PCs,{BASE}"),
            ContainerKind::Ou,
            "{DCGPO}",
        ));
        assert!(run(&s).contains(&("KZ-AD-004", vec!["DC Refuse".to_string()])));
        // A disabled extra link does not count.
        let mut s = snapshot();
        let mut l = link(&format!("OU=PCs,{BASE}"), ContainerKind::Ou, "{DCGPO}");
        l.disabled = true;
        s.links.push(l);
        assert!(!run(&s).contains(&("KZ-AD-004", vec!["DC Refuse".to_string()])));
    }

    #[test]
    fn the_expiry_in_a_workaround_gpo_name_is_reported_and_overdue_is_high() {
        let k = Knowledge::builtin();
        let expiring = |name: &str| {
            let mut s = snapshot();
            s.gpos[0].display_name = Some(name.into());
            evaluate(&s, now(), &k)
                .into_iter()
                .find(|f| f.rule == AD_WORKAROUND && f.subjects == vec![name.to_string()])
                .expect("KZ-AD-005 for the renamed GPO")
        };
        let arg = |f: &Finding, k: &str| match f.args.get(k) {
            Some(MessageArg::Text(t)) => t.clone(),
            Some(MessageArg::Number(n)) => n.to_string(),
            None => "?".into(),
        };
        let f = expiring("DC Refuse (expires 2026-12-01)");
        assert_eq!(
            (arg(&f, "expiry"), arg(&f, "expires"), arg(&f, "days")),
            ("future".into(), "2026-12-01".into(), "30".into())
        );
        assert_eq!(f.severity, Severity::Medium);
        let f = expiring("DC Refuse (expires 2026-10-01)");
        assert_eq!(
            (arg(&f, "expiry"), arg(&f, "days")),
            ("overdue".into(), "31".into())
        );
        assert_eq!(f.severity, Severity::High, "an overdue workaround is high");
        let f = expiring("DC Refuse (expires someday)");
        assert_eq!(arg(&f, "expiry"), "none");
        assert_eq!(f.severity, Severity::Medium);
    }

    #[test]
    fn a_longer_gpo_age_moves_the_stale_limit() {
        let mut s = snapshot();
        s.gpos[2] = gpo(
            "{PILOT}",
            "Member age",
            &[("MaximumPasswordAge", "4,120")],
            None,
        );
        let got = run(&s);
        let stale = got.iter().find(|(r, _)| *r == "KZ-AD-001").unwrap();
        assert_eq!(stale.1, ["STALE"], "PAUSED at 200 days is within 2 × 120");
        s.gpos[2] = gpo(
            "{PILOT}",
            "Member age",
            &[("MaximumPasswordAge", "4,60")],
            None,
        );
        let got = run(&s);
        let stale = got.iter().find(|(r, _)| *r == "KZ-AD-001").unwrap();
        assert_eq!(stale.1, ["PAUSED", "STALE"]);
    }
}
