//! Per-device timelines of what the secure-channel rules look at.

use std::collections::{BTreeMap, BTreeSet};

use kizuna_core::{
    DeviceName, EventRecord, Evidence, Finding, Knowledge, MessageArg, NetlogonEntry, NetlogonKind,
    NtStatus, RuleId, Severity, Signal, StatusClass, Timestamp, WatchEntry,
};

/// What happened, for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum What {
    /// The secure channel could not be set up.
    Failure {
        status: Option<NtStatus>,
        class: StatusClass,
    },
    /// The DC has no usable computer account for the device.
    AccountMissing,
    /// The device changed its own password (rotation): 4742 by itself, netlogon.log success.
    SelfPasswordChange,
    /// Someone else reset the password or re-created the account: a repair.
    Repair,
    /// The computer account was deleted (Security 4743), by `by` when the event says.
    AccountDeleted { by: Option<String> },
    /// Kerberos refused (or, in the audit phase, warned about) the account's encryption
    /// types: RC4 retirement, not a password mismatch.
    Etype { blocked: bool },
    /// A sign-on with an NTLMv1-derived credential: warned about, or blocked.
    Ntlmv1 { blocked: bool },
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub time: Option<Timestamp>,
    pub what: What,
    /// Who reported it (a DC name, or the device's own log).
    pub reporter: Option<String>,
    pub evidence: Evidence,
}

#[derive(Default)]
pub(crate) struct Timelines {
    pub by_device: BTreeMap<String, Vec<Item>>,
}

/// A time as findings print it (UTC, to the minute), `?` when unknown.
pub(crate) fn time_arg(t: Option<Timestamp>) -> MessageArg {
    MessageArg::Text(t.map_or_else(
        || "?".to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    ))
}

/// The phase of hardening change `id` in force on `day`, as finding arguments: `phase`
/// (`audit`, `enforced`, `final`, or `none` before it began), `since` (its first day) and
/// `phase_source` (`primary` or `secondary`, so the text can say "reported").
pub(crate) fn phase_args(
    k: &Knowledge,
    id: &str,
    day: Option<Timestamp>,
) -> [(&'static str, MessageArg); 3] {
    let phase = k
        .hardening
        .change(id)
        .zip(day)
        .and_then(|(c, d)| c.phase_on(d.date_naive()));
    match phase {
        Some(p) => [
            ("phase", p.state.clone().into()),
            ("since", p.from.to_string().into()),
            (
                "phase_source",
                match p.verified {
                    kizuna_core::Verified::Primary => "primary",
                    kizuna_core::Verified::Secondary => "secondary",
                }
                .into(),
            ),
        ],
        None => [
            ("phase", "none".into()),
            ("since", "-".into()),
            ("phase_source", "primary".into()),
        ],
    }
}

/// A finding about one device over `items`: its evidence capped, `device` among the
/// arguments.
pub(crate) fn device_finding(
    rule: RuleId,
    severity: Severity,
    device: &str,
    items: &[&Item],
    args: Vec<(&'static str, MessageArg)>,
    k: &Knowledge,
) -> Finding {
    let (evidence, total) =
        crate::evidence::capped(items.iter().map(|i| i.evidence.clone()).collect(), k);
    let mut all_args: BTreeMap<&'static str, MessageArg> = args.into_iter().collect();
    all_args.insert("device", MessageArg::Text(device.to_string()));
    Finding {
        rule,
        severity,
        subjects: vec![device.to_string()],
        args: all_args,
        evidence,
        evidence_total: total,
    }
}

/// The first and last time of `items`.
pub(crate) fn span(items: &[&Item]) -> (Option<Timestamp>, Option<Timestamp>) {
    let times = items.iter().filter_map(|i| i.time);
    (times.clone().min(), times.max())
}

/// Who reported `items`, named once each.
pub(crate) fn reporters(items: &[&Item]) -> MessageArg {
    let set: BTreeSet<&str> = items.iter().filter_map(|i| i.reporter.as_deref()).collect();
    MessageArg::Text(set.into_iter().collect::<Vec<_>>().join(", "))
}

/// A look-alike's severity: refused or blocked now is high; audit warnings alone (it breaks
/// at enforcement) medium.
pub(crate) fn blocked_or_audit(blocked: usize) -> Severity {
    if blocked > 0 {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// An event as evidence for a finding.
pub(crate) fn evidence_of(ev: &EventRecord) -> Evidence {
    Evidence {
        time: Some(ev.time),
        path: ev.source.path.clone(),
        record_id: ev.record_id,
        line: ev.source.line,
        label: label(ev),
    }
}

fn label(ev: &EventRecord) -> String {
    let mut s = format!("{} {}", ev.provider, ev.event_id);
    if let Some(st) = ev.status {
        s.push(' ');
        s.push_str(&st.hex());
    }
    if let Some(c) = &ev.computer {
        s.push_str(" @");
        s.push_str(c);
    }
    s
}

/// Who set a computer account's password, per a computer-account change (4742) whose
/// PasswordLastSet is set: the computer itself (its own rotation) or someone else (a
/// repair or reset). `None` when the change did not touch the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    Own,
    Other,
}

/// The one reading of "the device changed its own password" that rules and plan gates share.
pub fn password_change(ev: &EventRecord) -> Option<PasswordChange> {
    let subject = ev.subject.as_ref()?;
    let pwd = ev
        .named
        .get("PasswordLastSet")
        .map(|s| s.trim())
        .unwrap_or("-");
    if pwd.is_empty() || pwd == "-" {
        return None;
    }
    let by_itself = ev.named.get("SubjectUserName").is_some_and(|s| {
        DeviceName::is_computer_account(s)
            && DeviceName::parse(s).is_some_and(|b| b.key() == subject.key())
    });
    Some(if by_itself {
        PasswordChange::Own
    } else {
        PasswordChange::Other
    })
}

/// A failure that says the trust itself is broken (not the network, not an expected retry).
pub(crate) fn is_trust_failure(w: &What) -> bool {
    matches!(
        w,
        What::Failure {
            class: StatusClass::PasswordMismatch | StatusClass::AccountMissing,
            ..
        }
    )
}

/// KDC_ERR_ETYPE_NOTSUPP (RFC 4120 §7.5.9): the KDC has no key of an encryption type
/// both ends support.
const KDC_ERR_ETYPE_NOTSUPP: u32 = 0xE;

/// The Kerberos result code of a 4768/4769/4771 (`Status`, e.g. `0xe`; RFC 4120 error
/// numbers, not NTSTATUS).
fn kerberos_result(ev: &EventRecord) -> Option<u32> {
    let v = ev.named.get("Status")?.trim();
    let hex = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"))?;
    u32::from_str_radix(hex, 16).ok()
}

/// Whether an event says its subject changed its own machine password (a rotation): a
/// computer-account change (4742) made by that account itself, or the client's NETLOGON
/// 5823. The one reading the secure-channel rules and the plan's gates share.
pub fn is_own_rotation(ev: &EventRecord, signal: Signal) -> bool {
    match signal {
        Signal::PasswordChanged => true,
        Signal::AccountChanged => password_change(ev) == Some(PasswordChange::Own),
        _ => false,
    }
}

impl Timelines {
    fn push(&mut self, device: &DeviceName, item: Item) {
        self.by_device
            .entry(device.key().to_string())
            .or_default()
            .push(item);
    }

    pub(crate) fn add_event(&mut self, ev: &EventRecord, entry: &WatchEntry, k: &Knowledge) {
        let Some(subject) = &ev.subject else { return };
        let status_class =
            |st: Option<NtStatus>| st.map_or(StatusClass::Other, |s| k.status_class(s));
        let whats: Vec<What> = match entry.signal {
            Signal::ScFailure => {
                let class = status_class(ev.status);
                let mut v = vec![What::Failure {
                    status: ev.status,
                    class,
                }];
                if class == StatusClass::AccountMissing {
                    v.push(What::AccountMissing);
                }
                v
            }
            Signal::AccountMissing => {
                let status = ev.status.or(Some(NtStatus(0xC000018B)));
                vec![
                    What::Failure {
                        status,
                        class: StatusClass::AccountMissing,
                    },
                    What::AccountMissing,
                ]
            }
            s if is_own_rotation(ev, s) => vec![What::SelfPasswordChange],
            Signal::AccountChanged => match password_change(ev) {
                Some(PasswordChange::Other) => vec![What::Repair],
                _ => return,
            },
            Signal::AccountCreated => vec![What::Repair],
            Signal::AccountDeleted => vec![What::AccountDeleted {
                by: ev
                    .named
                    .get("SubjectUserName")
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty() && *s != "-")
                    .map(str::to_string),
            }],
            Signal::EtypeWarning => vec![What::Etype { blocked: false }],
            Signal::EtypeBlocked => vec![What::Etype { blocked: true }],
            Signal::KerberosTicket if kerberos_result(ev) == Some(KDC_ERR_ETYPE_NOTSUPP) => {
                vec![What::Etype { blocked: true }]
            }
            Signal::Ntlmv1Audit => vec![What::Ntlmv1 { blocked: false }],
            Signal::Ntlmv1Blocked => vec![What::Ntlmv1 { blocked: true }],
            _ => return,
        };
        let reporter = ev.logging_device().map(|d| d.key().to_string());
        for what in whats {
            self.push(
                subject,
                Item {
                    time: Some(ev.time),
                    what,
                    reporter: reporter.clone(),
                    evidence: evidence_of(ev),
                },
            );
        }
    }

    pub(crate) fn add_netlogon(&mut self, e: &NetlogonEntry, k: &Knowledge) {
        let (device, what, reporter) = match e.kind {
            NetlogonKind::SessionSetupFailed
            | NetlogonKind::AuthDataFailed
            | NetlogonKind::KerberosSecureChannelDenied
                if e.status.is_some() =>
            {
                let class = e.status.map_or(StatusClass::Other, |s| k.status_class(s));
                (
                    e.device.clone(),
                    What::Failure {
                        status: e.status,
                        class,
                    },
                    None,
                )
            }
            NetlogonKind::NoDcFound => (
                e.device.clone(),
                What::Failure {
                    status: Some(NtStatus(0xC000005E)),
                    class: StatusClass::Connectivity,
                },
                None,
            ),
            NetlogonKind::PasswordChangeSucceeded => {
                (e.device.clone(), What::SelfPasswordChange, None)
            }
            NetlogonKind::ServerAuthenticateFailed => {
                let class = e.status.map_or(StatusClass::Other, |s| k.status_class(s));
                (
                    e.peer.as_deref().and_then(DeviceName::parse),
                    What::Failure {
                        status: e.status,
                        class,
                    },
                    e.device.as_ref().map(|d| d.key().to_string()),
                )
            }
            _ => return,
        };
        let Some(device) = device else { return };
        let mut label = format!("netlogon.log {}", kind_label(e.kind));
        if let Some(st) = e.status {
            label.push(' ');
            label.push_str(&st.hex());
        }
        self.push(
            &device,
            Item {
                time: e.time,
                what,
                reporter: reporter.or_else(|| Some(device.key().to_string())),
                evidence: Evidence {
                    time: e.time,
                    path: e.source.path.clone(),
                    record_id: None,
                    line: e.source.line,
                    label,
                },
            },
        );
    }
}

fn kind_label(k: NetlogonKind) -> &'static str {
    match k {
        NetlogonKind::SessionSetupFailed => "session setup failed",
        NetlogonKind::AuthDataFailed => "I_NetLogonGetAuthData failed",
        NetlogonKind::KerberosSecureChannelDenied => "Kerberos secure channel denied",
        NetlogonKind::NoDcFound => "no DC found",
        NetlogonKind::PasswordChangeSucceeded => "password changed",
        NetlogonKind::ServerAuthenticateFailed => "NetrServerAuthenticate failed",
        _ => "line",
    }
}

/// STATUS_ACCESS_DENIED: what NETLOGON reports when the DC rejects the machine password.
const ACCESS_DENIED: u32 = 0xC000_0022;

/// Whether a device's password-mismatch failures are explained by Kerberos encryption
/// types: the KDC refused or warned about its etypes, and no failure says "access denied"
/// (the machine-password signature of NETLOGON). Such failures are not reported as a
/// machine-password failure, and do not count toward recurrence or rollback.
pub(crate) fn etype_explains(items: &[Item]) -> bool {
    items.iter().any(|i| matches!(i.what, What::Etype { .. }))
        && !items.iter().any(|i| {
            matches!(
                i.what,
                What::Failure {
                    status: Some(NtStatus(ACCESS_DENIED)),
                    ..
                }
            )
        })
}

/// The failures `etype_explains` takes away from the secure-channel rules.
pub(crate) fn is_explained_by_etype(i: &Item) -> bool {
    matches!(
        i.what,
        What::Failure {
            class: StatusClass::PasswordMismatch,
            ..
        }
    )
}
