//! The exports lab: two Windows Server 2025 DCs and five members, each with one known
//! problem (or none), written in every export format administrators produce (wevtutil and
//! Event Viewer XML, Get-WinEvent JSON, Winlogbeat lines, netlogon.log). Tests use it to
//! prove the text readers feed the rules the same facts as EVTX; the simulator
//! ([`crate::sim`]) writes EVTX and hives.
//!
//! | device | what happens | findings a correct scan gives |
//! |---|---|---|
//! | PC-A01 | access denied, repaired, breaks again 30 days later | KZ-SC-001, KZ-SC-002 |
//! | PC-B02 | its computer account is gone (5723) | KZ-SC-001, KZ-SC-003 |
//! | PC-C03 | no DC reachable (5719 0xC000005E) | KZ-SC-001 (medium) |
//! | PC-D04 | changes its password, is rejected 10 days later | KZ-SC-001, KZ-SC-004 |
//! | PC-E05 | healthy: only successful machine logons | none |

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::Rng;
use crate::writers::{
    LabEvent, netlogon_line, write_event_viewer_xml, write_get_winevent_json, write_wevtutil_xml,
    write_winlogbeat_jsonl,
};

pub const DOMAIN: &str = "corp.example";
pub const NETBIOS: &str = "CORP";

/// What the lab contains and what a correct scan must find.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub domain: String,
    /// The year of the netlogon.log lines (they carry none).
    pub year: i32,
    pub devices: Vec<String>,
    pub files: Vec<PathBuf>,
    /// (rule id, device) pairs.
    pub findings: Vec<(&'static str, &'static str)>,
}

const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
const STATUS_NO_TRUST_SAM_ACCOUNT: u32 = 0xC000_018B;
const STATUS_NO_LOGON_SERVERS: u32 = 0xC000_005E;

struct Log {
    events: Vec<LabEvent>,
    next_record: u64,
}

impl Log {
    fn new(first_record: u64) -> Log {
        Log {
            events: Vec::new(),
            next_record: first_record,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        provider: &'static str,
        event_id: u32,
        time: DateTime<Utc>,
        channel: &'static str,
        computer: &str,
        data: &[&str],
        named: &[(&str, &str)],
        status: Option<u32>,
    ) {
        let classic = provider != "Microsoft-Windows-Security-Auditing";
        self.events.push(LabEvent {
            provider,
            event_id,
            qualifiers: classic.then_some(0),
            level: if status.is_some() { 2 } else { 0 },
            time,
            record_id: self.next_record,
            channel,
            computer: computer.to_string(),
            data: data.iter().map(|s| s.to_string()).collect(),
            named: named
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            status,
        });
        self.next_record += 1;
    }

    fn sorted(mut self) -> Vec<LabEvent> {
        self.events.sort_by_key(|e| e.time);
        for (i, e) in self.events.iter_mut().enumerate() {
            e.record_id = self.next_record - 1000 + i as u64;
        }
        self.events
    }
}

fn fqdn(name: &str) -> String {
    format!("{name}.{DOMAIN}")
}

/// Security 4742 (computer account changed) with the fields Windows writes.
fn account_changed(
    log: &mut Log,
    dc: &str,
    t: DateTime<Utc>,
    target: &str,
    by: &str,
    pwd_last_set: &str,
) {
    let target_acc = format!("{target}$");
    log.push(
        "Microsoft-Windows-Security-Auditing",
        4742,
        t,
        "Security",
        &fqdn(dc),
        &[],
        &[
            ("ComputerAccountChange", "-"),
            ("TargetUserName", &target_acc),
            ("TargetDomainName", NETBIOS),
            ("TargetSid", "S-1-5-21-1004336348-1177238915-682003330-1105"),
            (
                "SubjectUserSid",
                "S-1-5-21-1004336348-1177238915-682003330-500",
            ),
            ("SubjectUserName", by),
            ("SubjectDomainName", NETBIOS),
            ("SubjectLogonId", "0x3e7"),
            ("PrivilegeList", "-"),
            ("SamAccountName", "-"),
            ("PasswordLastSet", pwd_last_set),
        ],
        None,
    );
}

fn logon(log: &mut Log, dc: &str, t: DateTime<Utc>, account: &str) {
    log.push(
        "Microsoft-Windows-Security-Auditing",
        4624,
        t,
        "Security",
        &fqdn(dc),
        &[],
        &[
            ("SubjectUserSid", "S-1-0-0"),
            ("SubjectUserName", "-"),
            ("SubjectDomainName", "-"),
            ("SubjectLogonId", "0x0"),
            (
                "TargetUserSid",
                "S-1-5-21-1004336348-1177238915-682003330-1106",
            ),
            ("TargetUserName", account),
            ("TargetDomainName", NETBIOS),
            ("TargetLogonId", "0x5a1b2c"),
            ("LogonType", "3"),
            ("LogonProcessName", "Kerberos"),
            ("AuthenticationPackageName", "Kerberos"),
        ],
        None,
    );
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p)?;
    }
    Ok(BufWriter::new(File::create(path)?))
}

/// Writes the lab evidence under `dir` and returns its ground truth.
pub fn write(dir: &Path, seed: u64) -> io::Result<GroundTruth> {
    let mut rng = Rng::new(seed);
    let base = Utc
        .with_ymd_and_hms(2026, 9, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut at = |day: i64, hour: i64| {
        base + Duration::days(day)
            + Duration::hours(hour)
            + Duration::seconds(rng.below(3600) as i64)
    };

    let mut dc01_sys = Log::new(1000);
    let mut dc02_sys = Log::new(1000);
    let mut dc01_sec = Log::new(1000);
    let mut pc_a01 = Log::new(1000);
    let mut pc_c03 = Log::new(1000);
    let mut netlogon_a01: Vec<String> = Vec::new();

    // PC-A01: rejected on day 3, repaired by an administrator, rejected again on day 33.
    for h in [8, 9, 10] {
        dc01_sys.push(
            "NETLOGON",
            5805,
            at(3, h),
            "System",
            &fqdn("DC01"),
            &["PC-A01", "%%5"],
            &[],
            Some(STATUS_ACCESS_DENIED),
        );
        pc_a01.push(
            "NETLOGON",
            3210,
            at(3, h),
            "System",
            &fqdn("PC-A01"),
            &[NETBIOS, "\\\\DC01.corp.example"],
            &[],
            Some(STATUS_ACCESS_DENIED),
        );
    }
    account_changed(
        &mut dc01_sec,
        "DC01",
        at(3, 14),
        "PC-A01",
        "helpdesk1",
        "9/4/2026 2:11:09 PM",
    );
    for h in [8, 11] {
        dc02_sys.push(
            "NETLOGON",
            5722,
            at(33, h),
            "System",
            &fqdn("DC02"),
            &["PC-A01", "PC-A01$", "%%5"],
            &[],
            Some(STATUS_ACCESS_DENIED),
        );
        pc_a01.push(
            "NETLOGON",
            3210,
            at(33, h),
            "System",
            &fqdn("PC-A01"),
            &[NETBIOS, "\\\\DC02.corp.example"],
            &[],
            Some(STATUS_ACCESS_DENIED),
        );
        let t = at(33, h);
        netlogon_a01.push(netlogon_line(&t, "CRITICAL", 768, &format!("{NETBIOS}: NlSessionSetup: Session setup: cannot I_NetServerAuthenticate 0xc0000022")));
        netlogon_a01.push(netlogon_line(
            &t,
            "CRITICAL",
            768,
            &format!("{NETBIOS}: NlSessionSetup: new password is bad, try old one"),
        ));
        netlogon_a01.push(netlogon_line(
            &t,
            "SESSION",
            768,
            &format!("{NETBIOS}: NlSetStatusClientSession: Set connection status to c0000022"),
        ));
    }

    // PC-B02: its computer account is missing.
    for d in [12, 13] {
        dc01_sys.push(
            "NETLOGON",
            5723,
            at(d, 9),
            "System",
            &fqdn("DC01"),
            &["PC-B02", "PC-B02$"],
            &[],
            Some(STATUS_NO_TRUST_SAM_ACCOUNT),
        );
    }

    // PC-C03: no DC reachable (the client's own log, exported by Winlogbeat).
    for d in [20, 21, 22] {
        pc_c03.push(
            "NETLOGON",
            5719,
            at(d, 7),
            "System",
            &fqdn("PC-C03"),
            &[NETBIOS, "%%1311"],
            &[],
            Some(STATUS_NO_LOGON_SERVERS),
        );
    }

    // PC-D04: changes its own password on day 10, is rejected on day 20 (rolled back).
    account_changed(
        &mut dc01_sec,
        "DC01",
        at(10, 2),
        "PC-D04",
        "PC-D04$",
        "9/11/2026 2:03:44 AM",
    );
    dc02_sys.push(
        "NETLOGON",
        5722,
        at(20, 9),
        "System",
        &fqdn("DC02"),
        &["PC-D04", "PC-D04$", "%%5"],
        &[],
        Some(STATUS_ACCESS_DENIED),
    );

    // PC-E05 and every member: successful machine logons; a user logon that must be ignored.
    for d in (0..40).step_by(5) {
        logon(&mut dc01_sec, "DC01", at(d, 6), "PC-E05$");
        logon(&mut dc01_sec, "DC01", at(d, 7), "alice");
    }

    let files = vec![
        dir.join("DC01/System.xml"),
        dir.join("DC01/Security.xml"),
        dir.join("DC02/System-saved.xml"),
        dir.join("PC-A01/System.json"),
        dir.join("PC-A01/debug/netlogon.log"),
        dir.join("PC-C03/winlogbeat.ndjson"),
    ];
    write_wevtutil_xml(&mut create(&files[0])?, &dc01_sys.sorted())?;
    write_wevtutil_xml(&mut create(&files[1])?, &dc01_sec.sorted())?;
    write_event_viewer_xml(&mut create(&files[2])?, &dc02_sys.sorted())?;
    write_get_winevent_json(&mut create(&files[3])?, &pc_a01.sorted())?;
    {
        let mut w = create(&files[4])?;
        netlogon_a01.sort();
        for l in &netlogon_a01 {
            write!(w, "{l}\r\n")?;
        }
        w.flush()?;
    }
    write_winlogbeat_jsonl(&mut create(&files[5])?, &pc_c03.sorted())?;

    Ok(GroundTruth {
        domain: DOMAIN.to_string(),
        year: 2026,
        devices: [
            "DC01", "DC02", "PC-A01", "PC-B02", "PC-C03", "PC-D04", "PC-E05",
        ]
        .map(String::from)
        .to_vec(),
        files,
        findings: vec![
            ("KZ-SC-001", "PC-A01"),
            ("KZ-SC-001", "PC-B02"),
            ("KZ-SC-001", "PC-C03"),
            ("KZ-SC-001", "PC-D04"),
            ("KZ-SC-002", "PC-A01"),
            ("KZ-SC-003", "PC-B02"),
            ("KZ-SC-004", "PC-D04"),
        ],
    })
}
