//! KZ-KRB-001: Kerberos refused a device's encryption types (the RC4 retirement of
//! KB5073381), a look-alike of a machine-password failure that needs another fix.
//!
//! Evidence: the KDC's RC4 events (audit and enforcement) naming the device's account, and
//! 4768/4769 failures with KDC_ERR_ETYPE_NOTSUPP (0xE) for it. The directory, when read,
//! says what the account allows (msDS-SupportedEncryptionTypes). While this explains a
//! device's password-mismatch failures (no NETLOGON "access denied"), the secure-channel
//! rules leave them out (`timeline::etype_explains`).

use std::collections::BTreeMap;

use kizuna_core::directory::DirectorySnapshot;
use kizuna_core::{DeviceName, Finding, Knowledge, RuleId, Timestamp};

use crate::timeline::{
    Item, Timelines, What, blocked_or_audit, device_finding, etype_explains, is_explained_by_etype,
    phase_args, reporters, span, time_arg,
};

pub const KRB_ETYPE: RuleId = RuleId("KZ-KRB-001");

/// msDS-SupportedEncryptionTypes bits (MS-KILE §2.2.7).
const RC4: u32 = 0x4;
const AES: u32 = 0x8 | 0x10;

/// What a computer account allows, as the finding words it.
fn account_state(etypes: Option<u32>) -> &'static str {
    match etypes {
        None | Some(0) => "unset",
        Some(e) if e & AES != 0 => "aes",
        Some(e) if e & RC4 != 0 => "rc4-only",
        Some(_) => "des-only",
    }
}

pub(crate) fn evaluate(
    t: &Timelines,
    directories: &[(DirectorySnapshot, Timestamp)],
    k: &Knowledge,
) -> Vec<Finding> {
    // The account's etypes by device key, from the directory reads (the last read wins).
    let mut etypes: BTreeMap<String, Option<u32>> = BTreeMap::new();
    for (snap, _) in directories {
        for c in &snap.computers {
            if let Some(d) = DeviceName::parse(&c.name) {
                etypes.insert(d.key().to_string(), c.supported_encryption_types);
            }
        }
    }
    let mut out = Vec::new();
    for (device, items) in &t.by_device {
        let hits: Vec<&Item> = items
            .iter()
            .filter(|i| matches!(i.what, What::Etype { .. }))
            .collect();
        if hits.is_empty() {
            continue;
        }
        let blocked = hits
            .iter()
            .filter(|i| matches!(i.what, What::Etype { blocked: true }))
            .count();
        let withheld = if etype_explains(items) {
            items.iter().filter(|i| is_explained_by_etype(i)).count()
        } else {
            0
        };
        let (first, last) = span(&hits);
        let account = etypes.get(device).copied();
        let mut args = vec![
            ("count", hits.len().into()),
            ("blocked", blocked.into()),
            ("first", time_arg(first)),
            ("last", time_arg(last)),
            ("reporters", reporters(&hits)),
            ("withheld", withheld.into()),
            ("account", account.map_or("unknown", account_state).into()),
            (
                "etypes",
                match account.flatten() {
                    Some(e) => format!("0x{e:X}").into(),
                    None => "-".into(),
                },
            ),
        ];
        args.extend(phase_args(k, "rc4-retirement", last));
        out.push(device_finding(
            KRB_ETYPE,
            blocked_or_audit(blocked),
            device,
            &hits,
            args,
            k,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_states_follow_the_bits() {
        assert_eq!(account_state(None), "unset");
        assert_eq!(account_state(Some(0)), "unset");
        assert_eq!(account_state(Some(0x4)), "rc4-only");
        assert_eq!(account_state(Some(0x1C)), "aes");
        assert_eq!(account_state(Some(0x18)), "aes");
        assert_eq!(account_state(Some(0x3)), "des-only");
    }
}
