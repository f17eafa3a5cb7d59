//! PsGetSid output (Sysinternals): `SID for \\HOST:` followed by the SID, for one or many
//! hosts, as redirected to a file by cmd (ANSI/UTF-8) or PowerShell (UTF-16LE).
//!
//! ```text
//! PsGetSid v1.46 - Translates SIDs to names and vice versa
//! Copyright (C) 1999-2023 Mark Russinovich
//! Sysinternals - www.sysinternals.com
//!
//! SID for \\PC01:
//! S-1-5-21-1004336348-1177238915-682003330
//! ```

use std::io::BufRead;

use kizuna_core::{DeviceName, IdentityRecord, IdentitySource, MachineSid, SourceRef};

use crate::text::for_each_line;
use kizuna_core::{Fact, InputReport};

/// The host named in a `SID for …:` line.
fn host_of(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("SID for ")?;
    let rest = rest.strip_suffix(':').unwrap_or(rest).trim();
    let rest = rest.trim_start_matches('\\');
    (!rest.is_empty()).then_some(rest)
}

/// Whether text looks like PsGetSid output.
pub(crate) fn looks_like_psgetsid(text: &str) -> bool {
    text.lines().take(20).any(|l| host_of(l).is_some()) || text.contains("PsGetSid v")
}

/// Reads PsGetSid output: one identity fact per host with a machine SID.
pub fn read_psgetsid(
    mut input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let mut host: Option<(String, u64)> = None;
    for_each_line(&mut *input, report, |line_no, text, report| {
        let t = text.trim();
        if let Some(h) = host_of(t) {
            if let Some((prev, at)) = host.replace((h.to_string(), line_no)) {
                report.error(format!("line {at}: no SID after `SID for {prev}`"));
            }
            return true;
        }
        if t.starts_with("S-1-") {
            report.records += 1;
            let Some((h, _)) = host.take() else {
                report.error(format!(
                    "line {line_no}: SID without a `SID for` line before it"
                ));
                return true;
            };
            match t.parse::<MachineSid>() {
                Ok(sid) => {
                    report.kept += 1;
                    out(Fact::Identity(IdentityRecord {
                        device: DeviceName::parse(&h),
                        folder: None,
                        machine_sid: Some(sid),
                        machine_guid: None,
                        role: None,
                        domain: DeviceName::parse(&h)
                            .and_then(|d| d.dns_domain().map(str::to_string)),
                        os_build: None,
                        netlogon: Default::default(),
                        hardening: Default::default(),
                        observed: None,
                        kind: IdentitySource::PsGetSid,
                        source: SourceRef {
                            path: path.to_string(),
                            offset: None,
                            line: Some(line_no),
                        },
                    }));
                }
                Err(e) => report.error(format!("line {line_no}: {e}")),
            }
            return true;
        }
        if let Some((h, at)) = &host
            && !t.is_empty()
        {
            // e.g. "Error querying SID: The network path was not found."
            report.error(format!("line {at}: {h}: {t}"));
            host = None;
        }
        true
    });
    if let Some((h, at)) = host {
        report.error(format!("line {at}: no SID after `SID for {h}`"));
    }
}
