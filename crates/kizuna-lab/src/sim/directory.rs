//! The lab's Active Directory as a DC holds it on the lab's last day: every serving DC and
//! member as a computer object, plus the objects of machines retired without anyone
//! deleting their account (every real directory has them). The LDIF writer and the truth
//! both read [`accounts`], so they cannot disagree; what the rules make of the values is
//! stated independently in [`expected`].

use chrono::{DateTime, Duration, Utc};

use super::model::{Domain, Machine, Role};
use super::run::{Run, Severity};
use super::truth::Expected;
use crate::Rng;

/// One computer object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    /// Relative to the domain: `OU=Tokyo,OU=Workstations`.
    pub ou: String,
    pub dc: bool,
    pub disabled: bool,
    pub os_name: String,
    pub build: u32,
    pub password_set: DateTime<Utc>,
    pub last_logon: DateTime<Utc>,
    pub created: DateTime<Utc>,
    /// msDS-SupportedEncryptionTypes; 0 = attribute absent (accounts older than 2008 R2).
    pub encryption_types: u32,
}

impl Account {
    /// userAccountControl: WORKSTATION_TRUST_ACCOUNT (4096) or SERVER_TRUST_ACCOUNT |
    /// TRUSTED_FOR_DELEGATION (532480), plus ACCOUNTDISABLE (2).
    pub fn user_account_control(&self) -> u32 {
        let base = if self.dc { 532_480 } else { 4096 };
        base | if self.disabled { 2 } else { 0 }
    }
}

/// Serving DCs, then members, then retired machines' objects.
pub fn accounts(d: &Domain, run: &Run) -> Vec<Account> {
    let end = d.end();
    let last = d.days.saturating_sub(1);
    let dcs = d
        .dcs
        .iter()
        .filter(|x| x.demoted.is_none())
        .map(|x| (&x.machine, None));
    let members = d
        .members
        .iter()
        .zip(&run.outcomes)
        .map(|(m, o)| (m, o.last_password_set));
    let mut out: Vec<Account> = dcs
        .chain(members)
        .enumerate()
        .map(|(i, (m, rotated))| {
            let img = m.image_on(last);
            // DCs rotate every 30 days, untouched by the workaround (it refuses members' changes).
            let password_set = rotated.unwrap_or_else(|| {
                end - Duration::days(i64::from((m.password_age_at_start + d.days) % 30) + 1)
            });
            Account {
                name: m.name.clone(),
                ou: m.ou.clone(),
                dc: m.role == Role::Dc,
                disabled: false,
                os_name: os_name(img.product_name, img.server, img.build),
                build: img.build,
                password_set,
                last_logon: end - Duration::hours(1 + (i as i64 * 7) % 240),
                created: d.start - Duration::days(i64::from(m.created_days_before)),
                encryption_types: m.encryption_types,
            }
        })
        .collect();
    out.extend(retired(d));
    out
}

/// The name the directory and inventories give the OS (Windows 11 says so there, unlike
/// the registry's ProductName).
pub(crate) fn os_name(product_name: &str, server: bool, build: u32) -> String {
    if !server && build >= 22000 {
        product_name.replace("Windows 10", "Windows 11")
    } else {
        product_name.to_string()
    }
}

/// Machines retired over the years whose computer objects stayed: some long gone, some
/// recently, a few disabled by a tidy admin, a few from before AES. Their own random
/// stream, so adding them changes nothing else in the lab.
fn retired(d: &Domain) -> Vec<Account> {
    let mut r = Rng::stream(d.seed, 0x4000_0000);
    let end = d.end();
    let count = (d.members.len() / 50).max(4);
    (0..count)
        .map(|i| {
            let server = r.chance(0.15);
            let (prefix, ou) = if server {
                ("SV", "OU=Servers")
            } else {
                ("PC", "OU=Tokyo,OU=Workstations")
            };
            // Last seen between 50 days and two years ago, at an odd hour (no day boundaries).
            // The first one is always long gone and still enabled, so every lab shows a
            // stale account (KZ-AD-006) whatever its seed.
            let logon_days = r.range(if i == 0 { 120 } else { 50 }, 730) as i64;
            let last_logon =
                end - Duration::days(logon_days) - Duration::hours(r.range(1, 23) as i64);
            let password_set = last_logon - Duration::days(r.range(0, 30) as i64);
            let (product, build) = match r.below(3) {
                0 => ("Windows 7 Enterprise", 7601),
                1 if server => ("Windows Server 2012 R2 Standard", 9600),
                _ if server => ("Windows Server 2016 Standard", 14393),
                _ => ("Windows 10 Enterprise", 19044),
            };
            let encryption_types = match r.below(10) {
                0 => 0,
                1 => 4,
                _ => 28,
            };
            Account {
                name: format!("{prefix}-{:05}", 70_000 + i),
                ou: ou.into(),
                dc: false,
                disabled: r.chance(0.3) && i != 0,
                os_name: product.into(),
                build,
                password_set,
                last_logon,
                created: password_set - Duration::days(r.range(30, 2000) as i64),
                encryption_types,
            }
        })
        .collect()
}

/// The directory thresholds the lab states (DOMAIN.md §1 and the rule texts):
/// active = logged on within 45 days; a member's password is expected every 30 days
/// (no GPO in the lab's LDIF changes that) and stale at twice that; inactive = neither a
/// logon nor a password change for 90 days; a DC's password is stale after 45 days.
const ACTIVE_DAYS: i64 = 45;
const STALE_DAYS: i64 = 60;
const INACTIVE_DAYS: i64 = 90;
const DC_PASSWORD_DAYS: i64 = 45;
const AES: u32 = 0x08 | 0x10;

/// What `kizuna ad audit` of a DC seeded with the lab's LDIF reports at the lab's end.
pub fn expected(d: &Domain, run: &Run) -> Vec<Expected> {
    let end = d.end();
    let ago = |n: i64| end - Duration::days(n);
    let all = accounts(d, run);
    let enabled = || all.iter().filter(|a| !a.disabled);
    let members = || enabled().filter(|a| !a.dc);
    let names = |v: Vec<&Account>| {
        let mut n: Vec<String> = v.iter().map(|a| a.name.to_uppercase()).collect();
        n.sort();
        n
    };
    let rules: [(&'static str, Severity, Vec<&Account>); 4] = [
        (
            "KZ-AD-001",
            Severity::Medium,
            members()
                .filter(|a| a.last_logon >= ago(ACTIVE_DAYS) && a.password_set < ago(STALE_DAYS))
                .collect(),
        ),
        (
            "KZ-AD-002",
            Severity::High,
            enabled()
                .filter(|a| a.dc && a.password_set < ago(DC_PASSWORD_DAYS))
                .collect(),
        ),
        (
            "KZ-AD-003",
            Severity::Medium,
            enabled()
                .filter(|a| a.encryption_types != 0 && a.encryption_types & AES == 0)
                .collect(),
        ),
        (
            "KZ-AD-006",
            Severity::Low,
            members()
                .filter(|a| {
                    a.last_logon < ago(INACTIVE_DAYS) && a.password_set < ago(INACTIVE_DAYS)
                })
                .collect(),
        ),
    ];
    let mut out: Vec<Expected> = rules
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(rule, severity, v)| Expected {
            rule,
            severity: severity.as_str(),
            subjects: names(v),
        })
        .collect();
    let dcs: Vec<&Machine> = d
        .dcs
        .iter()
        .filter(|x| x.demoted.is_none())
        .map(|x| &x.machine)
        .collect();
    if dcs.iter().all(|m| m.image_on(d.days).is_server_2025()) {
        let mut subjects: Vec<String> = dcs.iter().map(|m| m.name.clone()).collect();
        subjects.sort();
        out.push(Expected {
            rule: "KZ-DC-001",
            severity: "medium",
            subjects,
        });
    }
    out.sort();
    out
}
