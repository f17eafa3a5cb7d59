//! The engine: runs each member of the lab domain day by day and records what happens
//! (occurrences), and what a correct scan must therefore report (outcomes).
//!
//! Every occurrence is caused by something the model decided (a rotation failing while
//! every DC runs Server 2025, a snapshot revert, a deleted account, a laptop away from the
//! network, clones meeting): the outcomes are counted from those causes, under invariants
//! the engine keeps — failures of one incident at most a day apart, every incident ended
//! by a repair before the next one starts, a failing rotation's first failure within hours
//! of its password change — so that the documented rules must find exactly them.

use chrono::{DateTime, Duration, Utc};

use super::model::{Domain, Machine, Role};
use crate::Rng;

pub const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
pub const STATUS_NO_TRUST_SAM_ACCOUNT: u32 = 0xC000_018B;
pub const STATUS_NO_LOGON_SERVERS: u32 = 0xC000_005E;
pub const STATUS_INTERNAL_ERROR: u32 = 0xC000_00E5;

/// What happened to a member at one moment. `dc` indexes [`Domain::dcs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// The member changed its own machine password through `dc` (Security 4742 by the
    /// computer account; netlogon.log "Flag password updated on DC").
    SelfChange { dc: usize },
    /// `dc` rejected the member's secure-channel setup (DC 5722 or 5805, member 3210,
    /// netlogon.log session-setup failure).
    Rejected {
        dc: usize,
        status: u32,
        dc_event: u32,
    },
    /// `dc` has no account for the member (DC 5723, member 3210 with 0xC000018B).
    NoAccount { dc: usize },
    /// An administrator reset the computer account password (Security 4742 by a person).
    Repaired { dc: usize },
    /// An administrator rejoined the member: its account is created again (4741).
    Rejoined { dc: usize },
    /// No DC reachable (member 5719 0xC000005E; netlogon.log "Cannot find DC").
    NoDc,
    /// A Server 2025 member's Kerberos secure channel refused by an older DC
    /// (netlogon.log 0xC00000E5, expected while the domain is mixed).
    KerberosRefused,
    /// The member refused a clone that shares its machine SID (LsaSrv 6167 on it).
    MachineIdRefused { peer: usize },
    /// An administrator deleted the member's computer account on `dc` (Security 4743).
    AccountDeleted { dc: usize },
    /// `dc` (Windows Server 2025, which issues no RC4 tickets) refused the RC4-only
    /// account a ticket: Security 4768 with status 0xE, and a KDC RC4 event (audit
    /// before the enforcement date, blocked from it).
    EtypeRefused { dc: usize },
    /// The member signed on with NTLMv1-derived credentials (NTLM/Operational 4024, or
    /// 4025 once blocked).
    Ntlmv1 { blocked: bool },
}

/// One happening of one member (`member` indexes [`Domain::members`]).
#[derive(Debug, Clone, Copy)]
pub struct Occurrence {
    pub time: DateTime<Utc>,
    pub member: usize,
    pub what: Happening,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// What the collected evidence of one member shows, by cause.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Worst secure-channel failure visible in the collected evidence (KZ-SC-001).
    pub worst: Option<Severity>,
    /// Trust incidents (password mismatch or missing account), each ended by a repair.
    pub trust_incidents: u32,
    /// An incident of a missing computer account (KZ-SC-003).
    pub account_missing: bool,
    /// A snapshot revert made it forget its own password change (KZ-SC-004).
    pub forgot_own_change: bool,
    /// It logged LsaSrv 6167 and its System log was collected (KZ-SID-004).
    pub refused_clone: bool,
    /// When its password was last set (own change, repair or rejoin), for `pwdLastSet`.
    pub last_password_set: Option<DateTime<Utc>>,
    /// A DC refused its RC4-only account a ticket (KZ-KRB-001, blocked: high).
    pub etype_refused: bool,
    /// NTLMv1-derived sign-on seen in its collected NTLM log: `Some(true)` once one was
    /// blocked (KZ-NTLM-001 high), `Some(false)` when only audited (medium).
    pub ntlmv1: Option<bool>,
    /// Machine Identity Isolation's registry value on the last day (2 = enforced, 0 =
    /// turned off by the help desk after it broke the trust); `None` when never set.
    pub isolation_switch: Option<u32>,
    /// Machine Identity Isolation broke the trust a day or more after the device's own
    /// password change, with nothing between: KZ-SC-004's pattern, which a scan reports
    /// unless it can tell Machine Identity Isolation did it (KZ-MII-001).
    pub forgot_by_isolation: bool,
}

/// Every occurrence in time order, and each member's outcome.
pub struct Run {
    pub occurrences: Vec<Occurrence>,
    pub outcomes: Vec<Outcome>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Broken {
    Mismatch,
    NoAccount,
}

/// One member's state between days.
struct State<'a> {
    domain: &'a Domain,
    index: usize,
    m: &'a Machine,
    rng: Rng,
    /// Draws for the causes added later (RC4, NTLMv1, restored DCs), so a seed's other
    /// happenings stay what they were.
    later: Rng,
    /// When the member and the DCs last agreed on a password.
    password_set: DateTime<Utc>,
    last_own_change: Option<DateTime<Utc>>,
    /// No failure and no repair since the last own change.
    clean_since_own_change: bool,
    broken: Option<(Broken, DateTime<Utc>)>,
    /// Machine Identity Isolation already broke the trust (once: it is then turned off,
    /// or stays broken).
    isolation_broke: bool,
    snapshot_password: Option<DateTime<Utc>>,
    out: Vec<Occurrence>,
    outcome: Outcome,
}

pub fn run(domain: &Domain) -> Run {
    let mut occurrences = Vec::new();
    let mut outcomes = Vec::new();
    for (i, m) in domain.members.iter().enumerate() {
        let mut st = State::new(domain, i, m);
        st.outcome.isolation_switch = m.identity_isolation.map(|_| 2);
        for day in 0..domain.days {
            st.day(day);
        }
        st.outcome.last_password_set = Some(st.password_set);
        occurrences.append(&mut st.out);
        outcomes.push(st.outcome);
    }
    clones_meet(domain, &mut occurrences, &mut outcomes);
    occurrences.sort_by_key(|o| (o.time, o.member));
    Run {
        occurrences,
        outcomes,
    }
}

impl<'a> State<'a> {
    fn new(domain: &'a Domain, index: usize, m: &'a Machine) -> Self {
        let mut rng = Rng::stream(domain.seed, 0x1000_0000 + index as u64);
        let password_set = domain.start - Duration::days(m.password_age_at_start as i64)
            + Duration::minutes(rng.range(0, 24 * 60) as i64);
        State {
            domain,
            index,
            m,
            rng,
            later: Rng::stream(domain.seed, 0x5000_0000 + index as u64),
            password_set,
            last_own_change: None,
            clean_since_own_change: false,
            broken: None,
            isolation_broke: false,
            snapshot_password: None,
            out: Vec::new(),
            outcome: Outcome::default(),
        }
    }

    fn at(&mut self, day: u32, from_hour: u64, to_hour: u64) -> DateTime<Utc> {
        self.domain.start
            + Duration::days(day as i64)
            + Duration::seconds(self.rng.range(from_hour * 3600, to_hour * 3600) as i64)
    }

    /// A DC serving on `day` (a restored DC that found its USN rollback serves no more).
    fn dc(&mut self, day: u32) -> usize {
        let serving: Vec<usize> = (0..self.domain.dcs.len())
            .filter(|&i| {
                let dc = &self.domain.dcs[i];
                dc.demoted.is_none_or(|x| day < x) && dc.restore.is_none_or(|r| day < r.detected)
            })
            .collect();
        serving[self.rng.below(serving.len() as u64) as usize]
    }

    /// Records a happening inside the lab window; false when it falls after the end.
    fn happen(&mut self, time: DateTime<Utc>, what: Happening) -> bool {
        if time >= self.domain.end() {
            return false;
        }
        self.out.push(Occurrence {
            time,
            member: self.index,
            what,
        });
        true
    }

    fn see(&mut self, s: Severity) {
        self.outcome.worst = self.outcome.worst.max(Some(s));
    }

    /// Days between password rotations on `day`; `None` = it does not rotate.
    fn rotation_age(&self, day: u32) -> Option<i64> {
        let w = &self.domain.workaround;
        let lp = &self.m.local_policy;
        if lp.disable_password_change == Some(1) || w.active(day) {
            // The DC GPO makes every DC refuse the change: no rotation, no failure.
            return None;
        }
        let age = if self.m.pilot && w.rolled_back.is_some_and(|r| day >= r) {
            30
        } else {
            lp.maximum_password_age.unwrap_or(30)
        };
        (age > 0).then_some(age as i64)
    }

    /// Starts a trust incident whose first failure is at `first`; false when that is
    /// after the lab ends (nothing visible, no incident).
    fn break_trust(&mut self, kind: Broken, day: u32, first: DateTime<Utc>) -> bool {
        let what = self.failure(kind, day);
        if !self.happen(first, what) {
            return false;
        }
        self.see(Severity::High);
        self.outcome.trust_incidents += 1;
        if kind == Broken::NoAccount {
            self.outcome.account_missing = true;
        }
        let repair = first + Duration::minutes(self.rng.range(20 * 60, 4 * 24 * 60) as i64);
        self.broken = Some((kind, repair));
        self.clean_since_own_change = false;
        true
    }

    fn failure(&mut self, kind: Broken, day: u32) -> Happening {
        let dc = self.dc(day);
        match kind {
            Broken::Mismatch => Happening::Rejected {
                dc,
                status: STATUS_ACCESS_DENIED,
                dc_event: if self.rng.chance(0.7) { 5722 } else { 5805 },
            },
            Broken::NoAccount => Happening::NoAccount { dc },
        }
    }

    fn day(&mut self, day: u32) {
        let m = self.m;
        if m.snapshots.contains(&day) {
            self.snapshot_password = Some(self.password_set);
        }
        if m.account_deleted == Some(day) && self.broken.is_none() {
            let first = self.at(day, 10, 16);
            let deleted = first - Duration::minutes(self.later.range(5, 120) as i64);
            let dc = self.later_dc(day);
            self.happen(deleted, Happening::AccountDeleted { dc });
            self.break_trust(Broken::NoAccount, day, first);
        }
        self.restored_dc_day(day);
        self.rc4_day(day);
        self.ntlmv1_day(day);
        self.identity_isolation_day(day);
        if m.reverts.contains(&day)
            && self.broken.is_none()
            && let Some(snap) = self.snapshot_password
            && snap < self.password_set
        {
            // Back to a password the DCs no longer accept.
            let revert = self.at(day, 8, 12);
            let first = revert + Duration::minutes(self.rng.range(5, 90) as i64);
            let forgot = self.clean_since_own_change
                && self
                    .last_own_change
                    .is_some_and(|c| first - c >= Duration::hours(24));
            self.password_set = snap;
            if self.break_trust(Broken::Mismatch, day, first) && forgot {
                self.outcome.forgot_own_change = true;
            }
        }
        self.broken_day(day);
        if m.offline_days.contains(&day) && self.broken.is_none() {
            for _ in 0..2 {
                let t = self.at(day, 7, 20);
                if self.happen(t, Happening::NoDc)
                    && (m.collected.system_evtx || m.collected.netlogon_log)
                {
                    self.see(Severity::Medium);
                }
            }
        }
        let domain = self.domain;
        if m.image_on(day).is_server_2025()
            && !domain.all_dcs_2025(day)
            && (m.collected.netlogon_log || m.collected.system_evtx)
        {
            // netlogon.log says 0xC00000E5 (a low KZ-SC-001); Security-NetLogon 9005 says
            // it fell back to NetLogon (counted, not a failure).
            let t = self.at(day, 0, 24);
            if self.happen(t, Happening::KerberosRefused) && m.collected.netlogon_log {
                self.see(Severity::Low);
            }
        }
        self.rotate(day);
    }

    /// A serving DC drawn from the later causes' stream.
    fn later_dc(&mut self, day: u32) -> usize {
        let serving: Vec<usize> = (0..self.domain.dcs.len())
            .filter(|&i| {
                let dc = &self.domain.dcs[i];
                dc.demoted.is_none_or(|x| day < x) && dc.restore.is_none_or(|r| day < r.detected)
            })
            .collect();
        serving[self.later.below(serving.len() as u64) as usize]
    }

    /// While a restored DC serves with its old passwords, a member whose password changed
    /// after the snapshot and that sets up its secure channel with it is rejected: the DC
    /// went back in time, not the member (KZ-SC-004 on the member, explained by KZ-DC-002).
    fn restored_dc_day(&mut self, day: u32) {
        let domain = self.domain;
        for (i, dc) in domain.dcs.iter().enumerate() {
            let Some(r) = dc.restore else { continue };
            if day < r.restored || day >= r.detected || self.broken.is_some() {
                continue;
            }
            let snapshot = domain.start + Duration::days(i64::from(r.backup) + 1);
            if self.password_set <= snapshot || !self.later.chance(0.5) {
                continue;
            }
            let first = self.at(day, 7, 20);
            let forgot = self.clean_since_own_change
                && self
                    .last_own_change
                    .is_some_and(|c| first - c >= Duration::hours(24));
            let what = Happening::Rejected {
                dc: i,
                status: STATUS_ACCESS_DENIED,
                dc_event: 5722,
            };
            if !self.happen(first, what) {
                continue;
            }
            self.see(Severity::High);
            self.outcome.trust_incidents += 1;
            if forgot {
                self.outcome.forgot_own_change = true;
            }
            // The help desk resets it on a DC that has the current password.
            let repair = first + Duration::minutes(self.later.range(20 * 60, 3 * 24 * 60) as i64);
            self.broken = Some((Broken::Mismatch, repair));
            self.clean_since_own_change = false;
        }
    }

    /// Machine Identity Isolation enforced: on the first day its build honours it (the
    /// reboot of the September 2026 update) the device loses its trust — DCs reject it as
    /// for a password mismatch. The help desk turns the setting off and repairs it, or it
    /// stays broken to the lab's end.
    fn identity_isolation_day(&mut self, day: u32) {
        let Some(fixed) = self.m.identity_isolation else {
            return;
        };
        if self.isolation_broke
            || self.broken.is_some()
            || !self.m.image_on(day).honours_identity_isolation()
        {
            return;
        }
        self.isolation_broke = true;
        let first = self.at(day, 7, 10);
        let forgot = self.clean_since_own_change
            && self
                .last_own_change
                .is_some_and(|c| first - c >= Duration::hours(24));
        if !self.break_trust(Broken::Mismatch, day, first) {
            return;
        }
        self.outcome.forgot_by_isolation = forgot;
        let end = self.domain.end();
        if fixed {
            if self.broken.is_some_and(|(_, repair)| repair < end) {
                self.outcome.isolation_switch = Some(0);
            }
        } else {
            // Nobody has found the cause yet: it fails every day to the end.
            self.broken = Some((Broken::Mismatch, end + Duration::days(1000)));
        }
    }

    /// An RC4-only account (msDS-SupportedEncryptionTypes 4) gets no ticket from a Windows
    /// Server 2025 DC: some days it asks one.
    fn rc4_day(&mut self, day: u32) {
        if self.m.encryption_types != 4 || !self.later.chance(0.3) {
            return;
        }
        let domain = self.domain;
        let dcs: Vec<usize> = (0..domain.dcs.len())
            .filter(|&i| {
                let dc = &domain.dcs[i];
                dc.demoted.is_none_or(|x| day < x)
                    && dc.restore.is_none_or(|r| day < r.detected)
                    && dc.machine.image_on(day).is_server_2025()
            })
            .collect();
        if dcs.is_empty() {
            return;
        }
        let dc = dcs[self.later.below(dcs.len() as u64) as usize];
        let t = domain.start
            + Duration::days(i64::from(day))
            + Duration::seconds(self.later.range(6 * 3600, 22 * 3600) as i64);
        if self.happen(t, Happening::EtypeRefused { dc }) {
            self.outcome.etype_refused = true;
        }
    }

    /// A device that signs on with NTLMv1-derived credentials, on a build that checks
    /// them (Windows 11 24H2 and later).
    fn ntlmv1_day(&mut self, day: u32) {
        if !self.m.ntlmv1_sso || self.m.image_on(day).build < 26100 || !self.later.chance(0.5) {
            return;
        }
        let t = self.domain.start
            + Duration::days(i64::from(day))
            + Duration::seconds(self.later.range(8 * 3600, 18 * 3600) as i64);
        let blocked = super::model::on_or_after(t, super::model::NTLMV1_BLOCKED);
        if self.happen(t, Happening::Ntlmv1 { blocked }) && self.m.collected.system_evtx {
            self.outcome.ntlmv1 = self.outcome.ntlmv1.max(Some(blocked));
        }
    }

    /// Failures of a broken member on `day`, then its repair when due.
    fn broken_day(&mut self, day: u32) {
        let Some((kind, repair)) = self.broken else {
            return;
        };
        let day_end = self.domain.start + Duration::days(day as i64 + 1);
        let mut times: Vec<DateTime<Utc>> = (0..2).map(|_| self.at(day, 0, 24)).collect();
        times.sort();
        let already = self.out.last().map(|o| o.time);
        for t in times {
            if t < repair && already.is_none_or(|a| t > a) {
                let what = self.failure(kind, day);
                self.happen(t, what);
            }
        }
        if repair < day_end {
            let dc = self.dc(day);
            let what = match kind {
                Broken::Mismatch => Happening::Repaired { dc },
                Broken::NoAccount => Happening::Rejoined { dc },
            };
            if self.happen(repair, what) {
                self.broken = None;
                self.password_set = repair;
                self.clean_since_own_change = false;
            }
        }
    }

    fn rotate(&mut self, day: u32) {
        if self.broken.is_some() {
            return;
        }
        let Some(age) = self.rotation_age(day) else {
            return;
        };
        let t = self.at(day, 1, 23);
        if t - self.password_set < Duration::days(age) {
            return;
        }
        let dc = self.dc(day);
        if !self.happen(t, Happening::SelfChange { dc }) {
            return;
        }
        self.password_set = t;
        self.last_own_change = Some(t);
        self.clean_since_own_change = true;
        if self.domain.all_dcs_2025(day) && self.rng.chance(self.m.rotation_failure) {
            let first = t + Duration::minutes(self.rng.range(30, 6 * 60) as i64);
            self.break_trust(Broken::Mismatch, day, first);
        }
    }
}

/// When a restored DC logs that it found its USN rollback (Directory Service 2095): the
/// morning of its detection day, minutes apart per DC.
pub fn restore_detected_at(d: &Domain, dc: usize) -> Option<DateTime<Utc>> {
    let r = d.dcs.get(dc)?.restore?;
    let t = d.start
        + Duration::days(i64::from(r.detected))
        + Duration::hours(9)
        + Duration::minutes(dc as i64 * 7 + 3);
    (t < d.end()).then_some(t)
}

/// Members that share a machine SID meet (SMB, RDP, WinRM): once both enforce the
/// machine-ID check, the target refuses the other and logs 6167.
fn clones_meet(domain: &Domain, out: &mut Vec<Occurrence>, outcomes: &mut [Outcome]) {
    let members = &domain.members;
    let mut by_sid: std::collections::BTreeMap<_, Vec<usize>> = Default::default();
    for (i, m) in members.iter().enumerate() {
        if m.role != Role::Dc {
            by_sid.entry(m.sid).or_default().push(i);
        }
    }
    for group in by_sid.values().filter(|g| g.len() > 1) {
        let mut rng = Rng::stream(domain.seed, 0x2000_0000 + group[0] as u64);
        for day in 0..domain.days {
            for &from in group {
                for &to in group {
                    let both = |i: usize| members[i].image_on(day).enforces(true) == Some(true);
                    if from == to || !both(from) || !both(to) {
                        continue;
                    }
                    if rng.chance(domain.clone_contact_per_day) {
                        let time = domain.start
                            + Duration::days(day as i64)
                            + Duration::seconds(rng.range(8 * 3600, 19 * 3600) as i64);
                        out.push(Occurrence {
                            time,
                            member: to,
                            what: Happening::MachineIdRefused { peer: from },
                        });
                        if members[to].collected.system_evtx {
                            outcomes[to].refused_clone = true;
                        }
                    }
                }
            }
        }
    }
}
