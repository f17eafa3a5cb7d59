//! KZ-NTLM-001: a device tried to sign on with NTLMv1-derived credentials, which Windows
//! 11 24H2 and Windows Server 2025 audit and then block (KB5066470, `BlockNtlmv1SSO`).
//! "Access denied" from it is neither a broken secure channel nor a duplicate SID.

use std::collections::BTreeMap;

use kizuna_core::{Finding, Knowledge, MessageArg, RuleId, Severity};

use crate::timeline::{Item, Timelines, What, phase_args, time_arg};

pub const NTLMV1: RuleId = RuleId("KZ-NTLM-001");

pub(crate) fn evaluate(t: &Timelines, k: &Knowledge) -> Vec<Finding> {
    let mut out = Vec::new();
    for (device, items) in &t.by_device {
        let hits: Vec<&Item> = items
            .iter()
            .filter(|i| matches!(i.what, What::Ntlmv1 { .. }))
            .collect();
        if hits.is_empty() {
            continue;
        }
        let blocked = hits
            .iter()
            .filter(|i| matches!(i.what, What::Ntlmv1 { blocked: true }))
            .count();
        let (evidence, total) =
            crate::evidence::capped(hits.iter().map(|i| i.evidence.clone()).collect(), k);
        let mut args: BTreeMap<&'static str, MessageArg> = BTreeMap::new();
        args.insert("device", device.clone().into());
        args.insert("count", hits.len().into());
        args.insert("blocked", blocked.into());
        let last = hits.iter().filter_map(|i| i.time).max();
        args.insert("first", time_arg(hits.iter().filter_map(|i| i.time).min()));
        args.insert("last", time_arg(last));
        args.extend(phase_args(k, "ntlmv1-sso-block", last));
        out.push(Finding {
            rule: NTLMV1,
            severity: if blocked > 0 {
                Severity::High
            } else {
                Severity::Medium
            },
            subjects: vec![device.clone()],
            args,
            evidence,
            evidence_total: total,
        });
    }
    out
}
