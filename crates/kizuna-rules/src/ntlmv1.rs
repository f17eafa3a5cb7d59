//! KZ-NTLM-001: a device tried to sign on with NTLMv1-derived credentials, which Windows
//! 11 24H2 and Windows Server 2025 audit and then block (KB5066470, `BlockNtlmv1SSO`).
//! "Access denied" from it is neither a broken secure channel nor a duplicate SID.

use kizuna_core::{Finding, Knowledge, RuleId};

use crate::timeline::{
    Item, Timelines, What, blocked_or_audit, device_finding, phase_args, span, time_arg,
};

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
        let (first, last) = span(&hits);
        let mut args = vec![
            ("count", hits.len().into()),
            ("blocked", blocked.into()),
            ("first", time_arg(first)),
            ("last", time_arg(last)),
        ];
        args.extend(phase_args(k, "ntlmv1-sso-block", last));
        out.push(device_finding(
            NTLMV1,
            blocked_or_audit(blocked),
            device,
            &hits,
            args,
            k,
        ));
    }
    out
}
