//! KZ-SC-001..004: secure channels that fail, keep failing, lost their account, or went
//! back in time. Thresholds come from `data/thresholds.toml`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use kizuna_core::{
    Evidence, Finding, Knowledge, MessageArg, NtStatus, RuleId, Severity, StatusClass, Timestamp,
};

use crate::timeline::{
    Item, Timelines, What, device_finding, etype_explains, is_explained_by_etype, is_trust_failure,
    reporters, span, time_arg,
};

pub const SC_FAILURE: RuleId = RuleId("KZ-SC-001");
pub const SC_RECURRENCE: RuleId = RuleId("KZ-SC-002");
pub const SC_ACCOUNT: RuleId = RuleId("KZ-SC-003");
pub const SC_ROLLBACK: RuleId = RuleId("KZ-SC-004");

/// The rules this module implements.
pub const RULES: [RuleId; 4] = [SC_FAILURE, SC_RECURRENCE, SC_ACCOUNT, SC_ROLLBACK];

fn class_key(c: StatusClass) -> &'static str {
    match c {
        StatusClass::PasswordMismatch => "password",
        StatusClass::AccountMissing => "account",
        StatusClass::Connectivity => "connectivity",
        StatusClass::Expected => "expected",
        StatusClass::Blocked => "blocked",
        StatusClass::Other => "other",
    }
}

/// What other rules already explain, so the secure-channel findings point to them.
pub(crate) struct Explained<'a> {
    /// DCs that logged a wrong restore (KZ-DC-002): their rejections explain a member's
    /// rollback finding.
    pub restored_dcs: &'a BTreeMap<String, Vec<Evidence>>,
    /// Devices whose trust failures Machine Identity Isolation explains (KZ-MII-001):
    /// their KZ-SC-001 remedy is its revert-then-repair, not the GPO workaround.
    pub identity_isolation: &'a BTreeSet<String>,
}

pub(crate) fn evaluate(t: &Timelines, explained: &Explained<'_>, k: &Knowledge) -> Vec<Finding> {
    let restored_dcs = explained.restored_dcs;
    let mut out = Vec::new();
    for (device, items) in &t.by_device {
        let by_etype = etype_explains(items);
        let mut items: Vec<&Item> = items
            .iter()
            .filter(|i| !(by_etype && is_explained_by_etype(i)))
            .collect();
        items.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.evidence.cmp(&b.evidence))
        });

        // KZ-SC-001: every failure, with its statuses decoded.
        let failures: Vec<&Item> = items
            .iter()
            .copied()
            .filter(|i| matches!(i.what, What::Failure { .. }))
            .collect();
        if !failures.is_empty() {
            let mut by_status: BTreeMap<Option<NtStatus>, usize> = BTreeMap::new();
            let mut worst = (Severity::Info, StatusClass::Other);
            for f in &failures {
                if let What::Failure { status, class } = &f.what {
                    *by_status.entry(*status).or_default() += 1;
                    let sev = status
                        .and_then(|s| k.status(s))
                        .map_or(Severity::Medium, |s| s.severity);
                    if sev > worst.0 {
                        worst = (sev, *class);
                    }
                }
            }
            let statuses: Vec<String> = by_status
                .iter()
                .map(|(st, n)| match st {
                    Some(s) => match k.status_name(*s) {
                        Some(name) => format!("{} {name} ×{n}", s.hex()),
                        None => format!("{} ×{n}", s.hex()),
                    },
                    None => format!("? ×{n}"),
                })
                .collect();
            let (first, last) = span(&failures);
            out.push(device_finding(
                SC_FAILURE,
                worst.0,
                device,
                &failures,
                vec![
                    ("count", failures.len().into()),
                    ("first", time_arg(first)),
                    ("last", time_arg(last)),
                    ("statuses", statuses.join(", ").into()),
                    ("reporters", reporters(&failures)),
                    ("kind", class_key(worst.1).into()),
                    // What another rule says caused them: the remedy points there.
                    (
                        "cause",
                        if explained.identity_isolation.contains(device) {
                            "identity-isolation".into()
                        } else {
                            "none".into()
                        },
                    ),
                ],
                k,
            ));
        }

        // KZ-SC-003: the computer account is missing or was reset.
        let missing: Vec<&Item> = items
            .iter()
            .copied()
            .filter(|i| i.what == What::AccountMissing)
            .collect();
        if !missing.is_empty() {
            let (first, last) = span(&missing);
            // Security 4743 explains it: the account was deleted (the last deletion
            // before the last report of it missing).
            let deleted = items
                .iter()
                .copied()
                .rfind(|i| matches!(i.what, What::AccountDeleted { .. }) && i.time <= last);
            let mut args = vec![
                ("count", missing.len().into()),
                ("first", time_arg(first)),
                ("last", time_arg(last)),
                ("reporters", reporters(&missing)),
            ];
            let mut shown = missing.clone();
            match deleted {
                Some(d) => {
                    let by = match &d.what {
                        What::AccountDeleted { by: Some(by) } => by.clone(),
                        _ => "?".to_string(),
                    };
                    args.push(("deleted", time_arg(d.time)));
                    args.push(("deleted_by", by.into()));
                    shown.insert(0, d);
                }
                None => args.push(("deleted", "none".into())),
            }
            out.push(device_finding(
                SC_ACCOUNT,
                Severity::High,
                device,
                &shown,
                args,
                k,
            ));
        }

        // KZ-SC-002: trust failures in two or more episodes, split by a recovery or a gap.
        let gap = Duration::days(k.thresholds.recurrence_gap_days);
        let mut episodes: Vec<Vec<&Item>> = Vec::new();
        let mut recovered = false;
        let mut last_failure: Option<Timestamp> = None;
        let mut recoveries = 0usize;
        let mut last_recovery: Option<Timestamp> = None;
        for i in items.iter().copied().filter(|i| i.time.is_some()) {
            match &i.what {
                What::SelfPasswordChange | What::Repair if last_failure.is_some() => {
                    recovered = true;
                    // One change seen from several sides (the DC's 4742, the client's
                    // 5823, its netlogon.log) within minutes is one recovery.
                    let t = i.time.expect("filtered");
                    if last_recovery.is_none_or(|r| t - r > Duration::minutes(10)) {
                        recoveries += 1;
                    }
                    last_recovery = Some(t);
                }
                w if is_trust_failure(w) => {
                    let t = i.time.expect("filtered");
                    let new_episode = match last_failure {
                        None => true,
                        Some(prev) => recovered || t - prev >= gap,
                    };
                    if new_episode {
                        episodes.push(Vec::new());
                    }
                    episodes.last_mut().expect("pushed").push(i);
                    recovered = false;
                    last_failure = Some(t);
                }
                _ => {}
            }
        }
        if episodes.len() >= 2 {
            let all: Vec<&Item> = episodes.iter().flatten().copied().collect();
            let starts: Vec<String> = episodes
                .iter()
                .map(|e| {
                    e.first()
                        .and_then(|i| i.time)
                        .map_or("?".to_string(), |t| t.format("%Y-%m-%d").to_string())
                })
                .collect();
            let (first, last) = span(&all);
            out.push(device_finding(
                SC_RECURRENCE,
                Severity::High,
                device,
                &all,
                vec![
                    ("episodes", episodes.len().into()),
                    ("starts", starts.join(", ").into()),
                    ("recoveries", recoveries.into()),
                    ("first", time_arg(first)),
                    ("last", time_arg(last)),
                    (
                        "gap_days",
                        MessageArg::Number(k.thresholds.recurrence_gap_days),
                    ),
                ],
                k,
            ));
        }

        // KZ-SC-004: the device's own password change went through, then — long enough
        // after that a half-finished rotation is unlikely — the DC rejects its password.
        // Not for a device Machine Identity Isolation explains: its secret moved, it did
        // not go back in time.
        if explained.identity_isolation.contains(device) {
            continue;
        }
        let min = Duration::hours(k.thresholds.rollback_min_hours);
        let mut last_change: Option<&Item> = None;
        for i in items.iter().copied().filter(|i| i.time.is_some()) {
            match &i.what {
                What::SelfPasswordChange => last_change = Some(i),
                What::Repair => last_change = None,
                What::Failure {
                    class: StatusClass::PasswordMismatch,
                    ..
                } => {
                    if let Some(change) = last_change
                        && let (Some(tc), Some(tf)) = (change.time, i.time)
                        && tf - tc >= min
                    {
                        // The DC that rejected it was itself restored: that explains it.
                        let restored = i
                            .reporter
                            .as_deref()
                            .filter(|r| restored_dcs.contains_key(*r));
                        out.push(device_finding(
                            SC_ROLLBACK,
                            Severity::High,
                            device,
                            &[change, i],
                            vec![
                                ("changed", time_arg(Some(tc))),
                                ("failed", time_arg(Some(tf))),
                                ("days", MessageArg::Number((tf - tc).num_days())),
                                ("restored_dc", restored.unwrap_or("none").into()),
                            ],
                            k,
                        ));
                        break;
                    }
                    last_change = None;
                }
                _ => {}
            }
        }
    }
    out
}
