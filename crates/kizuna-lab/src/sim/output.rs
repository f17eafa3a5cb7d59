//! Writes a lab domain's evidence as an administrator would collect it:
//!
//! ```text
//! OUT/truth.json                      what a correct scan reports
//! OUT/directory/<domain>.ldif         the directory (computers, OUs) for seeding a DC
//! OUT/evidence/inventory.csv          fleet inventory (Export-Csv, UTF-8 with BOM)
//! OUT/evidence/psgetsid.txt           PsGetSid \\server output
//! OUT/evidence/DC01/System.evtx, Security.evtx, SAM, SECURITY, SYSTEM, SOFTWARE
//! OUT/evidence/PC-00001/System.evtx, SAM…, debug/netlogon.log   (where collected)
//! ```
//!
//! Event logs are streamed day by day: the watched events of a log are merged with that
//! day's unremarkable traffic, so memory stays bounded whatever the size of the lab.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use super::files;
use super::model::{Domain, Machine, RC4_ENFORCED, on_or_after};
use super::run::{
    self, Happening, Occurrence, Run, STATUS_INTERNAL_ERROR, STATUS_NO_LOGON_SERVERS,
    STATUS_NO_TRUST_SAM_ACCOUNT,
};
use super::truth::{self, Expected};
use crate::Rng;
use crate::evtx::EvtxWriter;
use crate::writers::{LabEvent, netlogon_line};

const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
/// The account that repairs and rejoins computers.
const HELPDESK: &str = "helpdesk01";

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub files: u64,
    pub bytes: u64,
    pub events: u64,
}

impl Written {
    fn file(&mut self, path: &Path) -> io::Result<()> {
        self.files += 1;
        self.bytes += fs::metadata(path)?.len();
        Ok(())
    }
}

pub fn write_all(
    d: &Domain,
    run: &Run,
    expected: &[Expected],
    directory: &[Expected],
    out: &Path,
) -> io::Result<Written> {
    let evidence = out.join("evidence");
    fs::create_dir_all(&evidence)?;
    let mut w = Written::default();
    let end = d.end();

    for (i, dc) in d.dcs.iter().enumerate() {
        if dc.demoted.is_some() {
            continue;
        }
        let dir = evidence.join(&dc.machine.name);
        fs::create_dir_all(&dir)?;
        let mine = |o: &&Occurrence| dc_of(o.what) == Some(i);
        let watched: Vec<&Occurrence> = run.occurrences.iter().filter(mine).collect();
        for channel in [Channel::DcSystem, Channel::DcSecurity] {
            let path = dir.join(channel.file());
            let events: Vec<LabEvent> = watched
                .iter()
                .filter_map(|o| dc_event(d, o, channel))
                .collect();
            w.events += write_log(d, &dc.machine, i as u64, channel, events, &path)?;
            w.file(&path)?;
        }
        // A DC that found its USN rollback says so in its Directory Service log.
        if let Some(t) = run::restore_detected_at(d, i) {
            let path = dir.join(Channel::DcDirectory.file());
            let mut e = event(
                "Microsoft-Windows-ActiveDirectory_DomainService",
                2095,
                t,
                "Directory Service",
                d.fqdn(&dc.machine.name),
            );
            e.level = 2;
            // Then Net Logon pauses: the database was restored by an unsupported procedure.
            let mut paused = e.clone();
            paused.event_id = 2103;
            paused.time = t + Duration::seconds(40);
            w.events += write_log(
                d,
                &dc.machine,
                i as u64,
                Channel::DcDirectory,
                vec![e, paused],
                &path,
            )?;
            w.file(&path)?;
        }
        w.files += files::write_hives(d, &dc.machine, None, &dir)?;
    }

    let mut by_member: Vec<Vec<&Occurrence>> = vec![Vec::new(); d.members.len()];
    for o in &run.occurrences {
        by_member[o.member].push(o);
    }
    for (i, m) in d.members.iter().enumerate() {
        let c = m.collected;
        if !(c.system_evtx || c.hives || c.netlogon_log) {
            continue;
        }
        let dir = evidence.join(&m.name);
        fs::create_dir_all(&dir)?;
        if c.system_evtx {
            let path = dir.join("System.evtx");
            let events: Vec<LabEvent> = by_member[i]
                .iter()
                .flat_map(|o| member_events(d, o))
                .collect();
            let label = 0x100 + i as u64;
            w.events += write_log(d, m, label, Channel::MemberSystem, events, &path)?;
            w.file(&path)?;
        }
        if c.system_evtx
            && by_member[i]
                .iter()
                .any(|o| o.what == Happening::KerberosRefused)
        {
            let path = dir.join(Channel::MemberSecurityNetlogon.file());
            let me = d.fqdn(&m.name);
            let events: Vec<LabEvent> = by_member[i]
                .iter()
                .filter(|o| o.what == Happening::KerberosRefused)
                .map(|o| {
                    let mut e = named(
                        event(
                            "Microsoft-Windows-Security-Netlogon",
                            9005,
                            o.time,
                            "Microsoft-Windows-Security-Netlogon/Operational",
                            me.clone(),
                        ),
                        &[("Status", format!("0x{STATUS_INTERNAL_ERROR:08X}"))],
                    );
                    e.level = 3;
                    e
                })
                .collect();
            let label = 0x100 + i as u64;
            w.events += write_log(d, m, label, Channel::MemberSecurityNetlogon, events, &path)?;
            w.file(&path)?;
        }
        if c.system_evtx && m.ntlmv1_sso {
            let path = dir.join(Channel::MemberNtlm.file());
            let events: Vec<LabEvent> = by_member[i]
                .iter()
                .filter_map(|o| ntlm_event(d, o))
                .collect();
            let label = 0x100 + i as u64;
            w.events += write_log(d, m, label, Channel::MemberNtlm, events, &path)?;
            w.file(&path)?;
        }
        if c.hives {
            w.files += files::write_hives(d, m, run.outcomes[i].isolation_switch, &dir)?;
        }
        if c.netlogon_log {
            let debug = dir.join("debug");
            fs::create_dir_all(&debug)?;
            let path = debug.join("netlogon.log");
            let mut f = BufWriter::new(File::create(&path)?);
            // Debug logging switched on (`nltest /dbflag:0x2080ffff`) before the lab starts.
            let on = netlogon_line(&d.start, "MISC", 700, "DbFlag is set to 2080ffff");
            f.write_all(on.as_bytes())?;
            f.write_all(b"\r\n")?;
            for o in &by_member[i] {
                for line in netlogon_lines(d, o) {
                    f.write_all(line.as_bytes())?;
                    f.write_all(b"\r\n")?;
                }
            }
            let f = f.into_inner().map_err(|e| e.into_error())?;
            // netlogon.log lines carry no year: readers take it from the file's time.
            f.set_modified(end.into())?;
            w.file(&path)?;
        }
    }

    let path = evidence.join("inventory.csv");
    files::write_inventory(d, &path)?;
    w.file(&path)?;
    let path = evidence.join("psgetsid.txt");
    files::write_psgetsid(d, &path)?;
    w.file(&path)?;
    let dir = out.join("directory");
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.ldif", d.dns_name));
    files::write_ldif(d, run, &path)?;
    w.file(&path)?;
    let path = out.join("truth.json");
    let doc = truth::document(d, expected, directory);
    fs::write(
        &path,
        serde_json::to_string_pretty(&doc).map_err(io::Error::other)? + "\n",
    )?;
    w.file(&path)?;
    Ok(w)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    DcSystem,
    DcSecurity,
    MemberSystem,
    /// A DC's Directory Service log (only the restore events: no traffic).
    DcDirectory,
    /// A member's NTLM Operational log (only NTLMv1 sign-on events: no traffic).
    MemberNtlm,
    /// A member's Security-NetLogon Operational log (only its secure-channel events).
    MemberSecurityNetlogon,
}

impl Channel {
    /// As the collector names its exports (`/` in a channel name is `%4`, as Windows
    /// names its own log files).
    fn file(self) -> &'static str {
        match self {
            Channel::DcSecurity => "Security.evtx",
            Channel::DcDirectory => "Directory Service.evtx",
            Channel::MemberNtlm => "Microsoft-Windows-NTLM%4Operational.evtx",
            Channel::MemberSecurityNetlogon => {
                "Microsoft-Windows-Security-Netlogon%4Operational.evtx"
            }
            Channel::DcSystem | Channel::MemberSystem => "System.evtx",
        }
    }
}

fn dc_of(h: Happening) -> Option<usize> {
    match h {
        Happening::SelfChange { dc }
        | Happening::Rejected { dc, .. }
        | Happening::NoAccount { dc }
        | Happening::Repaired { dc }
        | Happening::Rejoined { dc }
        | Happening::AccountDeleted { dc }
        | Happening::EtypeRefused { dc } => Some(dc),
        _ => None,
    }
}

fn event(
    provider: &'static str,
    event_id: u32,
    time: DateTime<Utc>,
    channel: &'static str,
    computer: String,
) -> LabEvent {
    let classic = provider == "NETLOGON" || provider == "LsaSrv" || provider == "EventLog";
    LabEvent {
        provider,
        event_id,
        qualifiers: classic.then_some(0),
        level: 4,
        time,
        record_id: 0,
        channel,
        computer,
        data: Vec::new(),
        named: Vec::new(),
        status: None,
    }
}

/// An error-level classic event (Qualifiers 49152 = severity "error" in the event id).
fn error(mut e: LabEvent, data: Vec<String>, status: Option<u32>) -> LabEvent {
    e.level = 2;
    e.qualifiers = Some(49152);
    e.data = data;
    e.status = status;
    e
}

/// A warning-level classic event (Qualifiers 32768).
fn warning(mut e: LabEvent, data: Vec<String>) -> LabEvent {
    e.level = 3;
    e.qualifiers = Some(32768);
    e.data = data;
    e
}

fn named(mut e: LabEvent, fields: &[(&str, String)]) -> LabEvent {
    e.named = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    e
}

/// `PasswordLastSet` as the Security log renders it (`1/5/2026 3:04:05 PM`).
fn password_last_set(t: DateTime<Utc>) -> String {
    t.format("%-m/%-d/%Y %-I:%M:%S %p").to_string()
}

/// Security 4741/4742 about a computer account.
fn account_event(d: &Domain, id: u32, o: &Occurrence, dc: &Machine, by: &str) -> LabEvent {
    let m = &d.members[o.member];
    let account = format!("{}$", m.name);
    let rid = 1100 + o.member;
    let e = event(SECURITY, id, o.time, "Security", d.fqdn(&dc.name));
    let by_sid = if by.ends_with('$') {
        format!("{}-{rid}", d.domain_sid)
    } else {
        format!("{}-1108", d.domain_sid)
    };
    let mut fields = vec![
        ("ComputerAccountChange", "-".to_string()),
        ("TargetUserName", account.clone()),
        ("TargetDomainName", d.netbios.clone()),
        ("TargetSid", format!("{}-{rid}", d.domain_sid)),
        ("SubjectUserSid", by_sid),
        ("SubjectUserName", by.to_string()),
        ("SubjectDomainName", d.netbios.clone()),
        ("SubjectLogonId", "0x3e7".to_string()),
        ("PrivilegeList", "-".to_string()),
        ("SamAccountName", "-".to_string()),
        ("PasswordLastSet", password_last_set(o.time)),
    ];
    if id == 4741 {
        fields.remove(0);
        fields.push(("DnsHostName", d.fqdn(&m.name)));
        fields.push(("UserAccountControl", "%%2087".to_string()));
    }
    named(e, &fields)
}

/// The DC-side event of an occurrence on `channel`, if any.
fn dc_event(d: &Domain, o: &Occurrence, channel: Channel) -> Option<LabEvent> {
    let m = &d.members[o.member];
    let dc = &d.dcs[dc_of(o.what)?].machine;
    let system = |id| event("NETLOGON", id, o.time, "System", d.fqdn(&dc.name));
    let account = format!("{}$", m.name);
    Some(match (o.what, channel) {
        (
            Happening::Rejected {
                status, dc_event, ..
            },
            Channel::DcSystem,
        ) => {
            let data = if dc_event == 5722 {
                vec![m.name.clone(), account, "%%5".into()]
            } else {
                vec![m.name.clone(), "%%5".into()]
            };
            error(system(dc_event), data, Some(status))
        }
        (Happening::NoAccount { .. }, Channel::DcSystem) => error(
            system(5723),
            vec![m.name.clone(), account],
            Some(STATUS_NO_TRUST_SAM_ACCOUNT),
        ),
        (Happening::SelfChange { .. }, Channel::DcSecurity) => {
            account_event(d, 4742, o, dc, &account)
        }
        (Happening::Repaired { .. }, Channel::DcSecurity) => {
            account_event(d, 4742, o, dc, HELPDESK)
        }
        (Happening::Rejoined { .. }, Channel::DcSecurity) => {
            account_event(d, 4741, o, dc, HELPDESK)
        }
        (Happening::AccountDeleted { .. }, Channel::DcSecurity) => {
            let rid = 1100 + o.member;
            named(
                event(SECURITY, 4743, o.time, "Security", d.fqdn(&dc.name)),
                &[
                    ("TargetUserName", account),
                    ("TargetDomainName", d.netbios.clone()),
                    ("TargetSid", format!("{}-{rid}", d.domain_sid)),
                    ("SubjectUserSid", format!("{}-1108", d.domain_sid)),
                    ("SubjectUserName", HELPDESK.to_string()),
                    ("SubjectDomainName", d.netbios.clone()),
                    ("SubjectLogonId", "0x3e7".to_string()),
                    ("PrivilegeList", "-".to_string()),
                ],
            )
        }
        (Happening::EtypeRefused { .. }, Channel::DcSecurity) => {
            // A TGT request the KDC cannot answer: no AES key, and no RC4 ticket from a
            // Windows Server 2025 DC (KDC_ERR_ETYPE_NOTSUPP).
            let mut e = named(
                event(SECURITY, 4768, o.time, "Security", d.fqdn(&dc.name)),
                &[
                    ("TargetUserName", account),
                    ("TargetDomainName", d.netbios.clone()),
                    ("TargetSid", "S-1-0-0".to_string()),
                    ("ServiceName", "krbtgt".to_string()),
                    ("ServiceSid", "S-1-0-0".to_string()),
                    ("TicketOptions", "0x40810010".to_string()),
                    ("Status", "0xe".to_string()),
                    ("TicketEncryptionType", "0xffffffff".to_string()),
                    ("PreAuthType", "-".to_string()),
                    (
                        "IpAddress",
                        format!("::ffff:10.0.{}.{}", o.member / 250, 1 + o.member % 250),
                    ),
                    ("IpPort", "49732".to_string()),
                    ("CertIssuerName", String::new()),
                    ("CertSerialNumber", String::new()),
                    ("CertThumbprint", String::new()),
                ],
            );
            e.level = 4;
            e
        }
        (Happening::EtypeRefused { .. }, Channel::DcSystem) => {
            // KB5073381's KDC events: 201 warns in the audit phase, 203 says it blocked.
            // Their field names are not published: the lab names them after the rendered
            // labels (the rules do not depend on the names).
            let blocked = on_or_after(o.time, RC4_ENFORCED);
            let mut e = named(
                event(
                    "Microsoft-Windows-Kerberos-Key-Distribution-Center",
                    if blocked { 203 } else { 201 },
                    o.time,
                    "System",
                    d.fqdn(&dc.name),
                ),
                &[
                    ("AccountName", account),
                    ("SuppliedRealmName", d.dns_name.to_ascii_uppercase()),
                    ("AccountSupportedEncryptionTypes", "0x4".to_string()),
                    ("AccountAvailableKeys", "RC4".to_string()),
                    ("ServiceName", "krbtgt".to_string()),
                ],
            );
            e.level = if blocked { 2 } else { 3 };
            e
        }
        _ => return None,
    })
}

/// The member's NTLM Operational event of an occurrence.
fn ntlm_event(d: &Domain, o: &Occurrence) -> Option<LabEvent> {
    let Happening::Ntlmv1 { blocked } = o.what else {
        return None;
    };
    let m = &d.members[o.member];
    let mut e = event(
        "Microsoft-Windows-NTLM",
        if blocked { 4025 } else { 4024 },
        o.time,
        "Microsoft-Windows-NTLM/Operational",
        d.fqdn(&m.name),
    );
    e.level = if blocked { 2 } else { 3 };
    Some(e)
}

/// The member's own System events of an occurrence.
fn member_events(d: &Domain, o: &Occurrence) -> Vec<LabEvent> {
    let m = &d.members[o.member];
    let me = d.fqdn(&m.name);
    let netlogon = |id| event("NETLOGON", id, o.time, "System", me.clone());
    let dc_name = |dc: usize| format!("\\\\{}", d.dcs[dc].machine.name);
    match o.what {
        Happening::SelfChange { dc } => {
            vec![{
                let mut e = netlogon(5823);
                e.data = vec![format!("\\\\{}", d.fqdn(&d.dcs[dc].machine.name))];
                e
            }]
        }
        Happening::Rejected { dc, status, .. } => vec![
            error(
                netlogon(3210),
                vec![d.netbios.clone(), dc_name(dc)],
                Some(status),
            ),
            // Kerberos to the DC fails too while the machine password is wrong.
            warning(
                event("LsaSrv", 40960, o.time, "System", me.clone()),
                vec![
                    format!("ldap/{}", d.fqdn(&d.dcs[dc].machine.name)),
                    "Kerberos".into(),
                    "The attempted logon is invalid. This is either due to a bad username or \
                     authentication information.\n (0xc000006d)"
                        .into(),
                ],
            ),
        ],
        Happening::NoAccount { dc } => vec![error(
            netlogon(3210),
            vec![d.netbios.clone(), dc_name(dc)],
            Some(STATUS_NO_TRUST_SAM_ACCOUNT),
        )],
        Happening::NoDc => vec![error(
            netlogon(5719),
            vec![d.netbios.clone(), "%%1311".into()],
            Some(STATUS_NO_LOGON_SERVERS),
        )],
        Happening::MachineIdRefused { .. } => {
            vec![warning(
                event("LsaSrv", 6167, o.time, "System", me),
                Vec::new(),
            )]
        }
        _ => Vec::new(),
    }
}

/// The member's netlogon.log lines of an occurrence.
fn netlogon_lines(d: &Domain, o: &Occurrence) -> Vec<String> {
    let nb = &d.netbios;
    let tid = 700 + (o.member as u32 % 3000);
    let line = |cat: &str, msg: String| netlogon_line(&o.time, cat, tid, &format!("{nb}: {msg}"));
    match o.what {
        Happening::SelfChange { dc } => {
            let dc = d.fqdn(&d.dcs[dc].machine.name);
            vec![
                line("SESSION", "NlChangePassword: Doing it.".into()),
                line(
                    "SESSION",
                    format!("NlChangePassword: Successful response from DC \\\\{dc}"),
                ),
                line(
                    "SESSION",
                    "NlChangePassword: Flag password changed in LsaSecret".into(),
                ),
                line(
                    "SESSION",
                    "NlChangePassword: Flag password updated on DC".into(),
                ),
                netlogon_line(
                    &o.time,
                    "MISC",
                    tid,
                    "NlWksScavenger: Can be called again in 30 days (0x9a7ec800)",
                ),
            ]
        }
        Happening::Rejected { status, .. } => vec![
            line(
                "CRITICAL",
                format!("NlSessionSetup: Session setup: cannot I_NetServerAuthenticate 0x{status:08x}"),
            ),
            line(
                "CRITICAL",
                "NlSessionSetup: new password is bad, try old one".into(),
            ),
            line("SESSION", "NlSessionSetup: Session setup failed".into()),
        ],
        Happening::NoAccount { .. } => vec![
            line(
                "CRITICAL",
                format!(
                    "NlSessionSetup: Session setup: cannot I_NetServerAuthenticate 0x{STATUS_NO_TRUST_SAM_ACCOUNT:08x}"
                ),
            ),
            line("SESSION", "NlSessionSetup: Session setup failed".into()),
        ],
        Happening::NoDc => vec![
            line("CRITICAL", "NlDiscoverDc: Cannot find DC.".into()),
            line(
                "CRITICAL",
                "NlSessionSetup: Session setup: cannot pick trusted DC".into(),
            ),
        ],
        Happening::KerberosRefused => vec![
            line(
                "SESSION",
                "NlSessionSetup: Denied access as we could not authenticate with Kerberos 0xC002002E"
                    .into(),
            ),
            line(
                "SESSION",
                format!(
                    "NlSessionSetup: Denied access as we could not authenticate with Kerberos (translated status) 0x{STATUS_INTERNAL_ERROR:08X}"
                ),
            ),
        ],
        _ => Vec::new(),
    }
}

/// Writes one event log: the watched `events` (in time order) merged with each day's
/// unremarkable traffic. Returns the number of records.
fn write_log(
    d: &Domain,
    machine: &Machine,
    label: u64,
    channel: Channel,
    mut events: Vec<LabEvent>,
    path: &Path,
) -> io::Result<u64> {
    events.sort_by_key(|e| e.time);
    let mut w = EvtxWriter::new(BufWriter::with_capacity(1 << 20, File::create(path)?))?;
    let mut rng = Rng::stream(d.seed, 0x3000_0000 + label * 4 + channel as u64);
    let mut record = 1 + rng.range(1_000, 500_000);
    let mut watched = events.into_iter().peekable();
    let computer = d.fqdn(&machine.name);
    let mut day_events: Vec<LabEvent> = Vec::new();
    let mut written = 0;
    for day in 0..d.days {
        let day_start = d.start + Duration::days(day as i64);
        let day_end = day_start + Duration::days(1);
        day_events.clear();
        noise(d, &computer, channel, day_start, &mut rng, &mut day_events);
        while let Some(e) = watched.next_if(|e| e.time < day_end) {
            day_events.push(e);
        }
        day_events.sort_by_key(|e| e.time);
        for e in day_events.iter_mut() {
            e.record_id = record;
            record += 1;
            w.push(e)?;
            written += 1;
        }
    }
    w.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(written)
}

/// A day of unremarkable traffic on one log: logons, logoffs and service tickets of users
/// on a DC's Security log; service state changes and uptime reports on System logs.
fn noise(
    d: &Domain,
    computer: &str,
    channel: Channel,
    day_start: DateTime<Utc>,
    rng: &mut Rng,
    out: &mut Vec<LabEvent>,
) {
    let serving = d.dcs.iter().filter(|x| x.demoted.is_none()).count().max(1) as f64;
    let n = match channel {
        Channel::DcSecurity => {
            (d.noise.dc_security_per_device_day * d.members.len() as f64 / serving) as u64
        }
        Channel::DcSystem => d.noise.dc_system_per_day as u64,
        Channel::MemberSystem => d.noise.member_system_per_day as u64,
        Channel::DcDirectory | Channel::MemberNtlm | Channel::MemberSecurityNetlogon => 0,
    };
    for _ in 0..n {
        let time = day_start + Duration::milliseconds(rng.range(0, 86_400_000) as i64);
        let e = match channel {
            Channel::DcSecurity => user_traffic(d, computer, time, rng),
            _ => service_traffic(computer, time, rng),
        };
        out.push(e);
    }
}

fn user_traffic(d: &Domain, computer: &str, time: DateTime<Utc>, rng: &mut Rng) -> LabEvent {
    let user = format!("user{:05}", rng.below(d.members.len() as u64 + 50));
    let user_sid = format!("{}-{}", d.domain_sid, 5000 + rng.below(100_000));
    let ip = format!(
        "10.{}.{}.{}",
        rng.below(4),
        rng.below(256),
        1 + rng.below(254)
    );
    let logon_id = format!("0x{:x}", rng.range(0x10_0000, 0xFFFF_FFFF));
    let e = |id| event(SECURITY, id, time, "Security", computer.to_string());
    match rng.below(3) {
        0 => named(
            e(4624),
            &[
                ("SubjectUserSid", "S-1-0-0".into()),
                ("SubjectUserName", "-".into()),
                ("SubjectDomainName", "-".into()),
                ("SubjectLogonId", "0x0".into()),
                ("TargetUserSid", user_sid),
                ("TargetUserName", user),
                ("TargetDomainName", d.netbios.clone()),
                ("TargetLogonId", logon_id),
                ("LogonType", "3".into()),
                ("LogonProcessName", "Kerberos".into()),
                ("AuthenticationPackageName", "Kerberos".into()),
                ("WorkstationName", "-".into()),
                ("IpAddress", ip),
                ("IpPort", "0".into()),
            ],
        ),
        1 => named(
            e(4634),
            &[
                ("TargetUserSid", user_sid),
                ("TargetUserName", user),
                ("TargetDomainName", d.netbios.clone()),
                ("TargetLogonId", logon_id),
                ("LogonType", "3".into()),
            ],
        ),
        _ => {
            let host = &d.members[rng.below(d.members.len() as u64) as usize].name;
            named(
                e(4769),
                &[
                    (
                        "TargetUserName",
                        format!("{user}@{}", d.dns_name.to_ascii_uppercase()),
                    ),
                    ("TargetDomainName", d.dns_name.to_ascii_uppercase()),
                    ("ServiceName", format!("{host}$")),
                    ("ServiceSid", format!("{}-{}", d.domain_sid, 1100)),
                    ("TicketOptions", "0x40810000".into()),
                    ("TicketEncryptionType", "0x12".into()),
                    ("IpAddress", format!("::ffff:{ip}")),
                    ("IpPort", "0".into()),
                    ("Status", "0x0".into()),
                    ("LogonGuid", "{00000000-0000-0000-0000-000000000000}".into()),
                    ("TransmittedServices", "-".into()),
                ],
            )
        }
    }
}

fn service_traffic(computer: &str, time: DateTime<Utc>, rng: &mut Rng) -> LabEvent {
    const SERVICES: [&str; 5] = [
        "Windows Update",
        "Windows Modules Installer",
        "Background Intelligent Transfer Service",
        "Microsoft Defender Antivirus Service",
        "WinHTTP Web Proxy Auto-Discovery Service",
    ];
    if rng.below(10) == 0 {
        let mut e = event("EventLog", 6013, time, "System", computer.to_string());
        e.data = vec![
            rng.range(1000, 9_000_000).to_string(),
            "60".into(),
            "540 Tokyo Standard Time".into(),
        ];
        return e;
    }
    let mut e = event(
        "Service Control Manager",
        7036,
        time,
        "System",
        computer.to_string(),
    );
    e.qualifiers = Some(16384);
    let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
    let state = if rng.below(2) == 0 {
        "running"
    } else {
        "stopped"
    };
    named(e, &[("param1", service.into()), ("param2", state.into())])
}

/// Paths of every file under `dir`, sorted (for tests and the byte-identical check).
pub fn list_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}
