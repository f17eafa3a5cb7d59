//! netlogon.log / netlogon.bak, the Netlogon debug log
//! (`MM/DD HH:MM:SS [CATEGORY] [TID] DOMAIN: Function: message`).
//!
//! Lines carry no year and are in the device's local time. The year comes from `--year`
//! or the file's modification time, and the input's notes say which; times are kept as
//! written (read as UTC), because the log does not say its time zone.

use std::io::BufRead;

use chrono::NaiveDate;
use kizuna_core::{DeviceName, NetlogonEntry, NetlogonKind, NtStatus, SourceRef};

use crate::YearSource;
use crate::text::for_each_line;
use kizuna_core::{Fact, InputReport};

/// What the reader needs to know that the file does not say.
#[derive(Debug, Clone)]
pub struct NetlogonContext {
    pub year: YearSource,
    /// The device whose log this is (from the folder it was collected in), if known.
    pub device: Option<DeviceName>,
}

/// The `[CATEGORY]` of a line, after an optional `MM/DD HH:MM:SS ` (or `Date Time `) prefix.
pub(crate) fn category_of(line: &str) -> Option<&str> {
    split_prefix(line).map(|p| p.category)
}

struct Prefix<'a> {
    date: Option<(u32, u32, u32, u32, u32)>,
    category: &'a str,
    thread: Option<u32>,
    rest: &'a str,
}

fn split_prefix(line: &str) -> Option<Prefix<'_>> {
    let mut s = line.trim_start();
    let mut date = None;
    let b = s.as_bytes();
    if b.len() >= 15
        && b[2] == b'/'
        && b[5] == b' '
        && b[8] == b':'
        && b[11] == b':'
        && b[14] == b' '
    {
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
        if let (Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
            (num(0..2), num(3..5), num(6..8), num(9..11), num(12..14))
        {
            date = Some((mo, d, h, mi, se));
            s = &s[15..];
        }
    } else if let Some(rest) = s.strip_prefix("Date Time ") {
        s = rest;
    }
    let s = s.trim_start();
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    let category = &inner[..end];
    if category.is_empty()
        || category.len() > 16
        || !category
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'_')
    {
        return None;
    }
    let mut rest = inner[end + 1..].trim_start();
    let mut thread = None;
    if let Some(t) = rest.strip_prefix('[')
        && let Some(e) = t.find(']')
        && let Ok(n) = t[..e].parse::<u32>()
    {
        thread = Some(n);
        rest = t[e + 1..].trim_start();
    }
    Some(Prefix {
        date,
        category,
        thread,
        rest,
    })
}

/// The first `\\NAME` on a line, without the backslashes.
fn unc_name(s: &str) -> Option<String> {
    let i = s.find("\\\\")?;
    let name: String = s[i + 2..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ')' && *c != '(')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// A status written as a bare `c0000022` after `prefix`.
fn bare_status_after(s: &str, prefix: &str) -> Option<NtStatus> {
    let at = s.find(prefix)? + prefix.len();
    let word: String = s[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    NtStatus::parse_hex(&word).filter(|st| st.0 != 0)
}

/// Classifies one line. `None` for lines kizuna does not keep.
pub fn parse_netlogon_line(
    line: &str,
    ctx: &NetlogonContext,
    source: SourceRef,
) -> Option<NetlogonEntry> {
    let p = split_prefix(line)?;
    // Leading `WORD: ` segments: domains, then the function name.
    let mut segs: Vec<&str> = Vec::new();
    let mut rest = p.rest;
    while let Some(i) = rest.find(": ") {
        let head = &rest[..i];
        if head.is_empty() || head.contains(' ') {
            break;
        }
        segs.push(head);
        rest = &rest[i + 2..];
    }
    let (function, domain) = match segs.split_last() {
        Some((f, domains)) => (*f, domains.first().map(|d| d.to_string())),
        None => ("", None),
    };
    let msg = rest;
    let text_status = NtStatus::find_in_text(p.rest).filter(|s| s.0 != 0);
    let mut peer = None;
    let mut event_id = None;
    let kind = match function {
        "NlChangePassword" => {
            if msg.starts_with("Doing it") {
                NetlogonKind::PasswordChangeStarted
            } else if msg.starts_with("Flag password updated on DC") {
                NetlogonKind::PasswordChangeSucceeded
            } else if text_status.is_some() || msg.contains("fail") || msg.contains("Fail") {
                NetlogonKind::PasswordChangeFailed
            } else {
                return None;
            }
        }
        "NlSessionSetup" => {
            if msg.contains("new password is bad, try old one") {
                NetlogonKind::OldPasswordTried
            } else if msg.contains("could not authenticate with Kerberos") {
                NetlogonKind::KerberosSecureChannelDenied
            } else if msg.contains("cannot pick trusted DC") {
                NetlogonKind::NoDcFound
            } else if msg.contains("cannot I_NetServerAuthenticate")
                || msg.to_ascii_lowercase().starts_with("session setup failed")
            {
                NetlogonKind::SessionSetupFailed
            } else {
                return None;
            }
        }
        "NlDiscoverDc" if msg.starts_with("Cannot find DC") => NetlogonKind::NoDcFound,
        "NlSetStatusClientSession" => {
            let st = bare_status_after(msg, "Set connection status to ")?;
            return Some(entry(
                &p,
                ctx,
                domain,
                NetlogonKind::ConnectionStatus,
                Some(st),
                None,
                None,
                source,
            ));
        }
        "Eventlog" => {
            let id: String = msg.chars().take_while(char::is_ascii_digit).collect();
            event_id = id.parse().ok();
            event_id?;
            peer = unc_name(msg);
            NetlogonKind::EventlogMirror
        }
        _ if p.rest.starts_with("I_NetLogonGetAuthData failed") => NetlogonKind::AuthDataFailed,
        _ if function.starts_with("NetrServerAuthenticate")
            || function.starts_with("NetrServerPasswordSet") =>
        {
            return None;
        }
        _ => {
            // DC side: `NetrServerAuthenticate returns Success: M82-DC2 on account …`.
            // Here every leading segment is a domain.
            let domain = segs.first().map(|d| d.to_string());
            let body = if function.is_empty() { p.rest } else { msg };
            let full = p.rest;
            if let Some(after) = full
                .find("NetrServerAuthenticate")
                .or_else(|| full.find("NetrServerPasswordSet"))
                .map(|i| &full[i..])
                && let Some(r) = after.find(" returns ").map(|i| &after[i + 9..])
            {
                let (verdict, tail) = r.split_once(": ").unwrap_or((r, ""));
                let client: String = tail.chars().take_while(|c| !c.is_whitespace()).collect();
                let kind = if verdict.trim() == "Success" {
                    NetlogonKind::ServerAuthenticateSucceeded
                } else {
                    NetlogonKind::ServerAuthenticateFailed
                };
                let status = NtStatus::find_in_text(verdict).or(text_status);
                let peer = (!client.is_empty()).then_some(client);
                return Some(entry(&p, ctx, domain, kind, status, peer, None, source));
            }
            if body.starts_with("SamLogon:") || function == "SamLogon" || full.contains("SamLogon:")
            {
                let st = full
                    .rfind("Returns ")
                    .and_then(|i| NtStatus::parse_hex(full[i + 8..].split_whitespace().next()?))
                    .filter(|s| s.0 >> 30 == 3)?;
                return Some(entry(
                    &p,
                    ctx,
                    domain,
                    NetlogonKind::SamLogonFailed,
                    Some(st),
                    None,
                    None,
                    source,
                ));
            }
            return None;
        }
    };
    Some(entry(
        &p,
        ctx,
        domain,
        kind,
        text_status,
        peer,
        event_id,
        source,
    ))
}

#[allow(clippy::too_many_arguments)]
fn entry(
    p: &Prefix<'_>,
    ctx: &NetlogonContext,
    domain: Option<String>,
    kind: NetlogonKind,
    status: Option<NtStatus>,
    peer: Option<String>,
    event_id: Option<u32>,
    source: SourceRef,
) -> NetlogonEntry {
    let time = p.date.and_then(|(mo, d, h, mi, s)| {
        NaiveDate::from_ymd_opt(ctx.year.year(), mo, d)?
            .and_hms_opt(h, mi, s)
            .map(|t| t.and_utc())
    });
    NetlogonEntry {
        time,
        category: Some(p.category.to_string()),
        thread: p.thread,
        domain,
        kind,
        status,
        peer,
        event_id,
        device: ctx.device.clone(),
        source,
    }
}

/// Reads a whole netlogon.log, keeping the lines kizuna uses.
pub fn read_netlogon(
    mut input: Box<dyn BufRead>,
    path: &str,
    ctx: &NetlogonContext,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let mut bad_dates = 0u64;
    for_each_line(&mut *input, report, |line_no, text, report| {
        report.records += 1;
        let source = SourceRef {
            path: path.to_string(),
            offset: None,
            line: Some(line_no),
        };
        if let Some(e) = parse_netlogon_line(&text, ctx, source) {
            if e.time.is_none() && split_prefix(&text).is_some_and(|p| p.date.is_some()) {
                bad_dates += 1;
            }
            report.kept += 1;
            out(Fact::Netlogon(e));
        }
        true
    });
    if bad_dates > 0 {
        report.error(format!(
            "{bad_dates} kept lines have an impossible date (e.g. 02/30 in {})",
            ctx.year.year()
        ));
    }
    report.notes.push(match ctx.year {
        YearSource::Option(y) => format!("netlogon.log lines carry no year: {y} as given; times are the device's local time"),
        YearSource::FileTime(y) => format!("netlogon.log lines carry no year: {y} from the file's modification time; times are the device's local time"),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> NetlogonContext {
        NetlogonContext {
            year: YearSource::Option(2025),
            device: DeviceName::parse("PC01"),
        }
    }

    fn parse(line: &str) -> Option<NetlogonEntry> {
        parse_netlogon_line(line, &ctx(), SourceRef::default())
    }

    /// Every line shape of `../shared/research/anchors.md` §5, with what kizuna makes of it.
    #[test]
    fn anchor_lines() {
        use NetlogonKind::*;
        type Case = (&'static str, Option<(NetlogonKind, Option<u32>)>);
        let cases: &[Case] = &[
            (
                "08/22 07:32:23 [SESSION] [4128] CONTOSO: NlChangePassword: Doing it.",
                Some((PasswordChangeStarted, None)),
            ),
            (
                "08/22 07:32:23 [SESSION] [4128] CONTOSO: NlChangePassword: Successful response from DC \\\\DC1-CONT.contoso.com",
                None,
            ),
            (
                "08/22 07:32:24 [SESSION] [4128] CONTOSO: NlChangePassword: Flag password changed in LsaSecret",
                None,
            ),
            (
                "08/22 07:32:24 [SESSION] [4128] CONTOSO: NlChangePassword: Flag password updated on DC",
                Some((PasswordChangeSucceeded, None)),
            ),
            (
                "08/22 07:32:24 [MISC] [4128] Eventlog: 5823 (4) \"\\\\DC1-CONT.contoso.com\"",
                Some((EventlogMirror, None)),
            ),
            (
                "08/22 07:32:24 [MISC] [4128] NlWksScavenger: Can be called again in # days (0x5265c00)",
                None,
            ),
            (
                "07/21 10:56:51 [CRITICAL] [768] NlPrintRpcDebug: Couldn't get EEInfo for I_NetServerAuthenticate3: 1761 (may be legitimate for 0xc0000022)",
                None,
            ),
            (
                "07/21 10:56:51 [SESSION] [768] CONTOSO: NlSessionSetup: Negotiated flags with server are 0x612fffff",
                None,
            ),
            (
                "07/21 10:56:51 [CRITICAL] [768] CONTOSO: NlSessionSetup: Session setup: cannot I_NetServerAuthenticate 0xc0000022",
                Some((SessionSetupFailed, Some(0xC0000022))),
            ),
            (
                "07/21 10:56:51 [CRITICAL] [768] CONTOSO: NlSessionSetup: new password is bad, try old one",
                Some((OldPasswordTried, None)),
            ),
            (
                "07/21 10:56:51 [MISC] [768] Eventlog: 3210 (1) \"CONTOSO\" \"\\\\DC2016.CONTOSO.COM\" 2f8270f1 5bc8d5e7 34c3e164 6665df64 .p./...[d..4d.ef",
                Some((EventlogMirror, None)),
            ),
            (
                "07/21 10:56:51 [SESSION] [768] CONTOSO: NlSetStatusClientSession: Set connection status to c0000022",
                Some((ConnectionStatus, Some(0xC0000022))),
            ),
            (
                "07/21 10:56:51 [SESSION] [768] CONTOSO: NlSetStatusClientSession: Unbind from server \\\\DC2016.CONTOSO.COM (TCP) 0.",
                None,
            ),
            (
                "07/21 10:56:51 [SESSION] [768] CONTOSO: NlSessionSetup: Session setup failed",
                Some((SessionSetupFailed, None)),
            ),
            (
                "07/21 10:56:55 [CRITICAL] [768] I_NetLogonGetAuthData failed: (null) CONTOSO (Flags 0x1): '0xc0000022'",
                Some((AuthDataFailed, Some(0xC0000022))),
            ),
            (
                "07/21 14:27:40 [CRITICAL] [2292] CONTOSO: NlDiscoverDc: Cannot find DC.",
                Some((NoDcFound, None)),
            ),
            (
                "07/21 14:27:40 [CRITICAL] [2292] CONTOSO: NlSessionSetup: Session setup: cannot pick trusted DC",
                Some((NoDcFound, None)),
            ),
            (
                "07/21 14:27:40 [MISC] [2292] Eventlog: 5719 (1) \"CONTOSO\" 0xc000005e 7f14dcc8 6c48a92f f9c5d616 c111129e ..../.Hl........",
                Some((EventlogMirror, Some(0xC000005E))),
            ),
            (
                "07/16 16:17:43 [CRITICAL] [524] I_NetLogonGetAuthData failed: (null) CONTOSO.COM (Flags 0x1): 0xc000005e",
                Some((AuthDataFailed, Some(0xC000005E))),
            ),
            (
                " [INIT] [10664]    UseKerberosForSecureChannels = TRUE",
                None,
            ),
            (
                "[SESSION] [3036] CONTOSO: NlSessionSetup: Denied access as we could not authenticate with Kerberos 0xC002002E",
                Some((KerberosSecureChannelDenied, Some(0xC002002E))),
            ),
            (
                "[SESSION] [3036] CONTOSO: NlSessionSetup: Denied access as we could not authenticate with Kerberos (translated status) 0xC00000E5",
                Some((KerberosSecureChannelDenied, Some(0xC00000E5))),
            ),
            (
                "[MISC] [3036] Eventlog: 5719 (1) \"CONTOSO\" 0xc00000e5 3dc54378 84808124 847d677c e2aadc59   xC.=$...|g}.Y...",
                Some((EventlogMirror, Some(0xC00000E5))),
            ),
            (
                "04/30 05:41:12 [SESSION] CIGAR: NetrServerAuthenticate entered: M82-DC2 (192.168.100.135) on account M82-DC2$ (Negot: 612fffff)",
                None,
            ),
            (
                "04/30 05:41:12 [SESSION] CIGAR: NetrServerAuthenticate returns Success: M82-DC2 on account M82-DC2$ (Negot: 612fffff)",
                Some((ServerAuthenticateSucceeded, None)),
            ),
            (
                "04/30 05:41:12 [SESSION] CIGAR: NetrLogonGetDomainInfo: M82-DC2 is running NT 10.0 build 17763 (3)",
                None,
            ),
            (
                "04/30 04:21:31 [LOGON] CIGAR: SamLogon: Transitive Network logon of CONTOSO\\testuser from CONT-W81 (via M82-DC2) Returns 0xC000005E",
                Some((SamLogonFailed, Some(0xC000005E))),
            ),
            (
                "09/12 20:23:09 [SESSION] [6456] devmdcom: NlSetStatusClientSession: Set connection status to c000005e",
                Some((ConnectionStatus, Some(0xC000005E))),
            ),
            (
                "09/12 20:22:46 [MISC] [6456] DbFlag is set to 2080ffff",
                None,
            ),
            (
                "Date Time [CRITICAL] CORP: NlSessionSetup: Session setup: cannot I_NetServerAuthenticate 0xc0000022",
                Some((SessionSetupFailed, Some(0xC0000022))),
            ),
            (
                "Date Time [SESSION] CORP: NlSessionSetup: Session setup Failed",
                Some((SessionSetupFailed, None)),
            ),
            ("04/30 04:21:16 6c246b27 1e12c491 ...   'k$l....", None),
            (
                "04/30 05:41:12 [SESSION] CIGAR: NetrServerAuthenticate returns Access denied: PC7 on account PC7$ (Negot: 612fffff)",
                Some((ServerAuthenticateFailed, None)),
            ),
        ];
        for (line, want) in cases {
            let got = parse(line).map(|e| (e.kind, e.status.map(|s| s.0)));
            assert_eq!(&got, want, "{line}");
        }
    }

    #[test]
    fn fields() {
        let e = parse("08/22 07:32:24 [SESSION] [4128] CONTOSO: NlChangePassword: Flag password updated on DC").unwrap();
        assert_eq!(e.domain.as_deref(), Some("CONTOSO"));
        assert_eq!(e.thread, Some(4128));
        assert_eq!(e.time.unwrap().to_rfc3339(), "2025-08-22T07:32:24+00:00");
        assert_eq!(e.device.unwrap().key(), "PC01");
        let e = parse("07/21 10:56:51 [MISC] [768] Eventlog: 3210 (1) \"CONTOSO\" \"\\\\DC2016.CONTOSO.COM\" 2f8270f1").unwrap();
        assert_eq!(e.event_id, Some(3210));
        assert_eq!(e.peer.as_deref(), Some("DC2016.CONTOSO.COM"));
        let e = parse("04/30 05:41:12 [SESSION] CIGAR: NetrServerAuthenticate returns Success: M82-DC2 on account M82-DC2$").unwrap();
        assert_eq!(e.peer.as_deref(), Some("M82-DC2"));
        assert_eq!(e.domain.as_deref(), Some("CIGAR"));
        // An impossible date keeps the line, without a time.
        let e =
            parse("02/30 10:00:00 [SESSION] [1] X: NlSessionSetup: Session setup failed").unwrap();
        assert!(e.time.is_none());
    }
}
