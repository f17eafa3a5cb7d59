//! KZ-DC-002: a domain controller restored the wrong way (Directory Service 2095 "USN
//! rollback" / 2103 "restored by an unsupported procedure"). Such a DC holds machine
//! passwords older than the members' own: the members it rejects look like KZ-SC-004 on
//! their side, and this finding names them.

use std::collections::{BTreeMap, BTreeSet};

use kizuna_core::{Evidence, Finding, Knowledge, MessageArg, RuleId, Severity, StatusClass};

use crate::timeline::{Timelines, What, time_arg};

pub const DC_RESTORED: RuleId = RuleId("KZ-DC-002");

pub(crate) fn evaluate(
    t: &Timelines,
    restored_dcs: &BTreeMap<String, Vec<Evidence>>,
    k: &Knowledge,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (dc, events) in restored_dcs {
        let first = events.iter().filter_map(|e| e.time).min();
        let last = events.iter().filter_map(|e| e.time).max();
        // Members this DC rejected with a password mismatch from the look-back before its
        // first restore event on: it served with its old passwords until it noticed.
        let from = first.map(|f| f - chrono::Duration::days(k.thresholds.dc_restore_lookback_days));
        let members: BTreeSet<&str> = t
            .by_device
            .iter()
            .filter(|(_, items)| {
                items.iter().any(|i| {
                    i.reporter.as_deref() == Some(dc.as_str())
                        && matches!(
                            i.what,
                            What::Failure {
                                class: StatusClass::PasswordMismatch,
                                ..
                            }
                        )
                        && from.is_none_or(|f| i.time.is_some_and(|t| t >= f))
                })
            })
            .map(|(d, _)| d.as_str())
            .collect();
        let labels: BTreeSet<String> = events
            .iter()
            .filter_map(|e| {
                // The label is "<provider> <id> …"; providers may hold spaces ("NTDS General").
                e.label
                    .split_whitespace()
                    .find(|w| w.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string)
            })
            .collect();
        let (evidence, total) = crate::evidence::capped(events.clone(), k);
        let mut args: BTreeMap<&'static str, MessageArg> = BTreeMap::new();
        args.insert("dc", dc.clone().into());
        args.insert("count", events.len().into());
        args.insert(
            "ids",
            labels.into_iter().collect::<Vec<_>>().join(", ").into(),
        );
        args.insert("first", time_arg(first));
        args.insert("last", time_arg(last));
        args.insert("member_count", members.len().into());
        args.insert(
            "members",
            members
                .iter()
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
                .into(),
        );
        let mut subjects = vec![dc.clone()];
        subjects.extend(members.iter().map(|m| m.to_string()));
        out.push(Finding {
            rule: DC_RESTORED,
            severity: Severity::Critical,
            subjects,
            args,
            evidence,
            evidence_total: total,
        });
    }
    out
}
