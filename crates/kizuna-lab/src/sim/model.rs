//! The lab domain's population: OS images, DCs, members, clone groups, policies, and what
//! was collected from each. Built once from a scenario and a seed; the engine then runs
//! it day by day.

use chrono::{DateTime, Utc};

/// An installed OS image: what the SOFTWARE hive and the inventory say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsImage {
    pub build: u32,
    pub ubr: u32,
    pub product_name: &'static str,
    pub display_version: &'static str,
    pub edition_id: &'static str,
    pub server: bool,
}

impl OsImage {
    /// `10.0.26100.6584`
    pub fn version(&self) -> String {
        format!("10.0.{}.{}", self.build, self.ubr)
    }

    /// Whether the build enforces the machine-ID check (KB5064081 / KB5065426: build
    /// 26100 from UBR 5074, every build from 26200), or `None` when unknowable because
    /// the evidence lacks the UBR. The lab's own statement of DOMAIN.md §2, not kizuna's.
    pub fn enforces(&self, ubr_known: bool) -> Option<bool> {
        match self.build {
            b if b >= 26200 => Some(true),
            26100 if ubr_known => Some(self.ubr >= 5074),
            26100 => None,
            _ => Some(false),
        }
    }

    /// Windows Server 2025 (the DCs that make problem A).
    pub fn is_server_2025(&self) -> bool {
        self.server && self.build >= 26100
    }

    /// Whether a client build honours Machine Identity Isolation enforcement (the lab's
    /// own statement: 24H2/25H2 from UBR 9445, the September 2026 update).
    pub fn honours_identity_isolation(&self) -> bool {
        !self.server && matches!(self.build, 26100 | 26200) && self.ubr >= 9445
    }
}

pub const WIN10_22H2: OsImage = OsImage {
    build: 19045,
    ubr: 6093,
    product_name: "Windows 10 Enterprise",
    display_version: "22H2",
    edition_id: "Enterprise",
    server: false,
};
pub const WIN11_23H2: OsImage = OsImage {
    build: 22631,
    ubr: 5909,
    // Windows 11 still says "Windows 10" here: trust the build.
    product_name: "Windows 10 Enterprise",
    display_version: "23H2",
    edition_id: "Enterprise",
    server: false,
};
/// Windows 11 24H2 before the August 2025 hardening.
pub const WIN11_24H2_OLD: OsImage = OsImage {
    build: 26100,
    ubr: 4946,
    product_name: "Windows 10 Pro",
    display_version: "24H2",
    edition_id: "Professional",
    server: false,
};
pub const WIN11_24H2: OsImage = OsImage {
    build: 26100,
    ubr: 6584,
    product_name: "Windows 10 Enterprise",
    display_version: "24H2",
    edition_id: "Enterprise",
    server: false,
};
pub const WIN11_25H2: OsImage = OsImage {
    build: 26200,
    ubr: 6584,
    product_name: "Windows 10 Enterprise",
    display_version: "25H2",
    edition_id: "Enterprise",
    server: false,
};
/// Windows 11 25H2 / 24H2 with the September 2026 security update (KB5124008), which
/// honours Machine Identity Isolation enforcement.
pub const WIN11_25H2_SEP26: OsImage = OsImage {
    build: 26200,
    ubr: 9445,
    product_name: "Windows 10 Enterprise",
    display_version: "25H2",
    edition_id: "Enterprise",
    server: false,
};
pub const WIN11_24H2_SEP26: OsImage = OsImage {
    build: 26100,
    ubr: 9445,
    product_name: "Windows 10 Enterprise",
    display_version: "24H2",
    edition_id: "Enterprise",
    server: false,
};
pub const SERVER_2019: OsImage = OsImage {
    build: 17763,
    ubr: 7792,
    product_name: "Windows Server 2019 Standard",
    display_version: "1809",
    edition_id: "ServerStandard",
    server: true,
};
pub const SERVER_2022: OsImage = OsImage {
    build: 20348,
    ubr: 4171,
    product_name: "Windows Server 2022 Standard",
    display_version: "21H2",
    edition_id: "ServerStandard",
    server: true,
};
pub const SERVER_2025_OLD: OsImage = OsImage {
    build: 26100,
    ubr: 4946,
    product_name: "Windows Server 2025 Standard",
    display_version: "24H2",
    edition_id: "ServerStandard",
    server: true,
};
pub const SERVER_2025: OsImage = OsImage {
    build: 26100,
    ubr: 6584,
    product_name: "Windows Server 2025 Datacenter",
    display_version: "24H2",
    edition_id: "ServerDatacenter",
    server: true,
};

/// A machine (account-domain) SID `S-1-5-21-a-b-c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sid(pub [u32; 3]);

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S-1-5-21-{}-{}-{}", self.0[0], self.0[1], self.0[2])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Workstation,
    Server,
    Dc,
}

/// What an administrator collected from a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    pub system_evtx: bool,
    /// SAM, SECURITY, SYSTEM and SOFTWARE.
    pub hives: bool,
    /// `debug\netlogon.log` (Netlogon debug logging enabled on the device).
    pub netlogon_log: bool,
    /// Listed in the PsGetSid output.
    pub psgetsid: bool,
    /// The inventory row carries the UBR (`10.0.26100.6584`), not just `10.0.26100`.
    pub inventory_ubr: bool,
}

/// Registry values under `Services\Netlogon\Parameters` set outside the workaround GPOs
/// (golden images, old scripts, local tweaks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalPolicy {
    pub refuse_password_change: Option<u32>,
    pub maximum_password_age: Option<u32>,
    pub disable_password_change: Option<u32>,
}

/// One computer of the lab domain.
#[derive(Debug, Clone)]
pub struct Machine {
    pub name: String,
    pub role: Role,
    /// Distinguished name of its OU, relative to the domain (`OU=Tokyo,OU=Workstations`).
    pub ou: String,
    pub image: OsImage,
    /// (day, new image): a feature or cumulative update installed that day.
    pub update: Option<(u32, OsImage)>,
    pub sid: Sid,
    pub local_policy: LocalPolicy,
    /// In the OU the member workaround GPO is linked to.
    pub pilot: bool,
    /// The DC workaround GPO (RefusePasswordChange) also reaches it: a scoping mistake.
    pub misscoped_refuse: bool,
    /// Chance that a password rotation fails while every DC runs Server 2025.
    pub rotation_failure: f64,
    /// Days on which a VM snapshot is taken, and days on which it is reverted to the last
    /// snapshot.
    pub snapshots: Vec<u32>,
    pub reverts: Vec<u32>,
    /// Day an administrator deletes its computer account by mistake (rejoined later).
    pub account_deleted: Option<u32>,
    /// Days away from any DC (a laptop off the network without VPN).
    pub offline_days: Vec<u32>,
    /// Days since its last password change when the lab starts.
    pub password_age_at_start: u32,
    pub collected: Collected,
    /// Created this many days before the lab starts (for `whenCreated`).
    pub created_days_before: u32,
    /// msDS-SupportedEncryptionTypes (28 = RC4+AES; 4 = RC4 only).
    pub encryption_types: u32,
    /// Signs on to something that asks for NTLMv1-derived credentials (a PEAP-MSCHAPv2
    /// Wi-Fi, an old application): NTLM/Operational 4024, or 4025 once it is blocked.
    pub ntlmv1_sso: bool,
    /// Machine Identity Isolation set to enforcement by policy before the lab starts
    /// (SYSTEM `Control\Lsa` `MachineIdentityIsolation` = 2): harmless until the
    /// September 2026 update makes Windows honour it in this domain below the Windows
    /// Server 2025 functional level. `Some(true)`: the help desk turns it off and repairs
    /// the device once it breaks; `Some(false)`: still broken at the lab's end.
    pub identity_isolation: Option<bool>,
}

impl Machine {
    /// The image installed on `day`.
    pub fn image_on(&self, day: u32) -> OsImage {
        match self.update {
            Some((d, img)) if day >= d => img,
            _ => self.image,
        }
    }
}

/// A domain controller and the days it serves.
#[derive(Debug, Clone)]
pub struct DomainController {
    pub machine: Machine,
    /// Demoted on this day (its folder is not collected: it no longer exists).
    pub demoted: Option<u32>,
    /// Restored the wrong way (a VM snapshot put back): it serves with its old passwords
    /// until replication finds the USN rollback, then pauses Net Logon.
    pub restore: Option<Restore>,
}

/// A DC put back to a snapshot of `backup` on `restored`; it notices (Directory Service
/// 2095) on `detected` and serves no secure channel from then on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restore {
    pub backup: u32,
    pub restored: u32,
    pub detected: u32,
}

/// The lab's own statement of the hardening dates it writes events by (KB5073381's April
/// 2026 enforcement of the RC4 retirement; KB5066470's October 2026 NTLMv1 block, which
/// is secondary): not read from kizuna's knowledge, so the two can disagree in a test.
pub const RC4_ENFORCED: (i32, u32, u32) = (2026, 4, 14);
/// KB5124008: Windows 11 honours Machine Identity Isolation enforcement from this update.
pub const IDENTITY_ISOLATION_HONOURED: (i32, u32, u32) = (2026, 9, 8);
pub const NTLMV1_BLOCKED: (i32, u32, u32) = (2026, 10, 13);

/// Whether the calendar date of `t` is on or after `(y, m, d)`.
pub fn on_or_after(t: DateTime<Utc>, (y, m, d): (i32, u32, u32)) -> bool {
    chrono::NaiveDate::from_ymd_opt(y, m, d).is_some_and(|day| t.date_naive() >= day)
}

/// The workaround of the source article and its rollback, by day.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workaround {
    /// DC GPO (RefusePasswordChange=1) and member GPO (MaximumPasswordAge=0 on the pilot OU).
    pub applied: Option<u32>,
    pub rolled_back: Option<u32>,
    /// The day the change record says it must be gone by (what `kizuna gpo workaround
    /// --expires`, `kizuna plan` and `scan --expires` carry).
    pub expires: Option<u32>,
}

impl Workaround {
    pub fn active(&self, day: u32) -> bool {
        self.applied.is_some_and(|a| day >= a) && self.rolled_back.is_none_or(|r| day < r)
    }
}

/// How much unremarkable traffic the logs carry (what makes `scale` big).
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    /// Security events (user logons, logoffs, service tickets) per member per day, spread
    /// over the DCs.
    pub dc_security_per_device_day: f64,
    /// System events (service changes, uptime) per DC per day.
    pub dc_system_per_day: u32,
    /// System events per collected member per day.
    pub member_system_per_day: u32,
}

/// A whole lab domain before it runs.
#[derive(Debug, Clone)]
pub struct Domain {
    pub scenario: String,
    pub seed: u64,
    pub dns_name: String,
    pub netbios: String,
    pub domain_sid: Sid,
    pub start: DateTime<Utc>,
    pub days: u32,
    pub dcs: Vec<DomainController>,
    pub members: Vec<Machine>,
    pub workaround: Workaround,
    /// Chance per day that two updated members of one clone group authenticate to each
    /// other (and the target logs 6167).
    pub clone_contact_per_day: f64,
    pub noise: Noise,
}

impl Domain {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::days(self.days as i64)
    }

    /// The calendar date of day `day`.
    pub fn date_of(&self, day: u32) -> chrono::NaiveDate {
        (self.start + chrono::Duration::days(i64::from(day))).date_naive()
    }

    /// The workaround's expiry date, when one is recorded.
    pub fn workaround_expires(&self) -> Option<chrono::NaiveDate> {
        self.workaround.expires.map(|d| self.date_of(d))
    }

    /// Computers at the end: serving DCs and members.
    pub fn device_count(&self) -> usize {
        self.dcs.iter().filter(|x| x.demoted.is_none()).count() + self.members.len()
    }

    /// DCs serving on `day`.
    pub fn dcs_on(&self, day: u32) -> impl Iterator<Item = &DomainController> {
        self.dcs
            .iter()
            .filter(move |d| d.demoted.is_none_or(|x| day < x))
    }

    /// Problem A's condition: every serving DC runs Windows Server 2025.
    pub fn all_dcs_2025(&self, day: u32) -> bool {
        self.dcs_on(day)
            .all(|d| d.machine.image_on(day).is_server_2025())
    }

    pub fn fqdn(&self, name: &str) -> String {
        format!("{name}.{}", self.dns_name)
    }

    /// `DC=corp,DC=example`
    pub fn base_dn(&self) -> String {
        self.dns_name
            .split('.')
            .map(|p| format!("DC={p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}
