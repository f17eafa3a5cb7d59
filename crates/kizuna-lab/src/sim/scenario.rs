//! The lab scenarios: `small` (the demo: every rule at least once), `contoso` (a realistic
//! mid-size domain over four months) and `scale` (as big as asked, for benchmarks).

use chrono::{TimeZone, Utc};

use super::model::*;
use crate::Rng;

/// A scenario by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Small,
    Contoso,
    Scale,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::Small, Scenario::Contoso, Scenario::Scale];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Small => "small",
            Scenario::Contoso => "contoso",
            Scenario::Scale => "scale",
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Default (devices, days).
    pub fn defaults(self) -> (u32, u32) {
        match self {
            Scenario::Small => (30, 60),
            Scenario::Contoso => (500, 120),
            Scenario::Scale => (10_000, 90),
        }
    }

    /// The lab domain for `seed`, with `devices` computers (DCs included, approximately
    /// for `small`, whose cast is fixed) over `days` days.
    pub fn build(self, seed: u64, devices: Option<u32>, days: Option<u32>) -> Domain {
        let (dev, len) = self.defaults();
        let devices = devices.unwrap_or(dev).max(4);
        let days = days.unwrap_or(len).max(7);
        match self {
            Scenario::Small => small(seed, devices, days),
            Scenario::Contoso => mid_size(self, seed, devices, days, "contoso.local", "CONTOSO"),
            Scenario::Scale => mid_size(self, seed, devices, days, "scale.example", "SCALE"),
        }
    }
}

struct Builder {
    rng: Rng,
    /// Draws for the causes added later (NTLMv1 sign-on, restored DCs): a stream of
    /// their own, so the rest of a seed's population stays what it was.
    later: Rng,
    domain: Domain,
}

impl Builder {
    fn new(scenario: Scenario, seed: u64, days: u32, dns: &str, netbios: &str) -> Self {
        let mut rng = Rng::stream(seed, 1);
        let domain_sid = Sid([
            rng.range(1_000_000_000, u32::MAX as u64) as u32,
            rng.range(1_000_000_000, u32::MAX as u64) as u32,
            rng.range(1_000_000_000, u32::MAX as u64) as u32,
        ]);
        Builder {
            domain: Domain {
                scenario: scenario.name().into(),
                seed,
                dns_name: dns.into(),
                netbios: netbios.into(),
                domain_sid,
                start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
                days,
                dcs: Vec::new(),
                members: Vec::new(),
                workaround: Workaround::default(),
                clone_contact_per_day: 0.3,
                noise: Noise {
                    dc_security_per_device_day: 3.0,
                    dc_system_per_day: 20,
                    member_system_per_day: 5,
                },
            },
            rng,
            later: Rng::stream(seed, 7),
        }
    }

    fn sid(&mut self) -> Sid {
        Sid([
            self.rng.range(1_000_000_000, u32::MAX as u64) as u32,
            self.rng.range(1_000_000_000, u32::MAX as u64) as u32,
            self.rng.range(1_000_000_000, u32::MAX as u64) as u32,
        ])
    }

    fn machine(&mut self, name: &str, role: Role, ou: &str, image: OsImage) -> Machine {
        Machine {
            name: name.into(),
            role,
            ou: ou.into(),
            image,
            update: None,
            sid: self.sid(),
            local_policy: LocalPolicy::default(),
            pilot: false,
            misscoped_refuse: false,
            rotation_failure: 0.0,
            snapshots: Vec::new(),
            reverts: Vec::new(),
            account_deleted: None,
            offline_days: Vec::new(),
            password_age_at_start: self.rng.range(0, 30) as u32,
            collected: Collected::default(),
            created_days_before: self.rng.range(60, 2000) as u32,
            encryption_types: 28,
            ntlmv1_sso: false,
            identity_isolation: None,
        }
    }

    fn dc(&mut self, name: &str, image: OsImage, demoted: Option<u32>) {
        let mut m = self.machine(name, Role::Dc, "OU=Domain Controllers", image);
        m.sid = self.domain.domain_sid;
        m.collected = Collected {
            system_evtx: true,
            hives: true,
            netlogon_log: false,
            psgetsid: true,
            inventory_ubr: true,
        };
        m.encryption_types = 28;
        self.domain.dcs.push(DomainController {
            machine: m,
            demoted,
            restore: None,
        });
    }

    fn member(&mut self, m: Machine) -> usize {
        self.domain.members.push(m);
        self.domain.members.len() - 1
    }

    /// A random member (`index` numbers its name) with scenario-wide odds.
    fn random_member(&mut self, index: u32, odds: &Odds) -> Machine {
        let r = &mut self.rng;
        let server = r.chance(odds.server);
        let (role, prefix, ou) = if server {
            (Role::Server, "SV", "OU=Servers")
        } else {
            let site = ["Tokyo", "Osaka", "Nagoya"][r.below(3) as usize];
            (Role::Workstation, "PC", site)
        };
        let ou = if server {
            ou.to_string()
        } else {
            format!("OU={ou},OU=Workstations")
        };
        let image = if server {
            [SERVER_2019, SERVER_2022, SERVER_2025_OLD, SERVER_2025][r.below(4) as usize]
        } else {
            [
                WIN10_22H2,
                WIN11_23H2,
                WIN11_24H2_OLD,
                WIN11_24H2,
                WIN11_25H2,
            ][r.below(5) as usize]
        };
        let name = format!("{prefix}-{index:05}");
        let mut m = self.machine(&name, role, &ou, image);
        let r = &mut self.rng;
        if image == WIN11_24H2_OLD || image == SERVER_2025_OLD {
            let upgraded = if server { SERVER_2025 } else { WIN11_24H2 };
            if r.chance(0.6) {
                m.update = Some((r.range(1, self.domain.days as u64) as u32, upgraded));
            }
        }
        if r.chance(odds.susceptible) {
            m.rotation_failure = 0.6;
        }
        m.pilot = !server && r.chance(odds.pilot);
        if server && r.chance(odds.vm_reverts) {
            let days = self.domain.days as u64;
            m.snapshots = (0..days as u32).step_by(7).collect();
            m.reverts = vec![r.range(3, days) as u32];
        }
        if r.chance(odds.account_deleted) {
            m.account_deleted = Some(r.range(2, self.domain.days as u64) as u32);
        }
        if !server && r.chance(odds.laptop_offline) {
            let d = r.range(0, self.domain.days as u64 - 2) as u32;
            m.offline_days = vec![d, d + 1];
        }
        if r.chance(odds.rc4_only) {
            m.encryption_types = 4;
        }
        // Windows 11 24H2 and later audit and block NTLMv1-derived sign-on (KB5066470).
        if !server && self.later.chance(odds.ntlmv1) {
            m.ntlmv1_sso = true;
        }
        // A pilot of Machine Identity Isolation enforcement on current Windows 11; the
        // September 2026 update installs on its Patch Tuesday when the lab runs that long.
        if odds.identity_isolation > 0.0
            && (image == WIN11_25H2 || image == WIN11_24H2)
            && m.update.is_none()
            && self.later.chance(odds.identity_isolation)
        {
            m.identity_isolation = Some(self.later.chance(0.5));
            let start = self.domain.start.date_naive();
            let (y, mo, d) = IDENTITY_ISOLATION_HONOURED;
            if let Some(day) = chrono::NaiveDate::from_ymd_opt(y, mo, d)
                .map(|u| (u - start).num_days())
                .filter(|&n| n >= 0 && n < i64::from(self.domain.days))
            {
                let updated = if image == WIN11_25H2 {
                    WIN11_25H2_SEP26
                } else {
                    WIN11_24H2_SEP26
                };
                m.update = Some((day as u32, updated));
            }
        }
        let r = &mut self.rng;
        m.collected = Collected {
            system_evtx: r.chance(odds.system_evtx),
            hives: r.chance(odds.hives),
            netlogon_log: r.chance(odds.netlogon_log),
            psgetsid: server,
            inventory_ubr: r.chance(odds.inventory_ubr),
        };
        m
    }

    /// Clones of `of` (same machine SID): `images` give each clone's OS.
    fn clone_group(&mut self, of: usize, images: &[OsImage], first: u32) {
        let sid = self.domain.members[of].sid;
        for (i, image) in images.iter().enumerate() {
            let mut m = self.random_member(first + i as u32, &Odds::QUIET);
            m.role = Role::Workstation;
            m.name = format!("PC-{:05}", first + i as u32);
            m.image = *image;
            m.update = None;
            m.sid = sid;
            self.member(m);
        }
    }
}

/// Scenario-wide odds for random members.
struct Odds {
    server: f64,
    susceptible: f64,
    pilot: f64,
    vm_reverts: f64,
    account_deleted: f64,
    laptop_offline: f64,
    rc4_only: f64,
    ntlmv1: f64,
    identity_isolation: f64,
    system_evtx: f64,
    hives: f64,
    netlogon_log: f64,
    inventory_ubr: f64,
}

impl Odds {
    const QUIET: Odds = Odds {
        server: 0.0,
        susceptible: 0.0,
        pilot: 0.0,
        vm_reverts: 0.0,
        account_deleted: 0.0,
        laptop_offline: 0.0,
        rc4_only: 0.0,
        ntlmv1: 0.0,
        identity_isolation: 0.0,
        system_evtx: 0.5,
        hives: 0.5,
        netlogon_log: 0.2,
        inventory_ubr: 0.9,
    };
}

const ALL: Collected = Collected {
    system_evtx: true,
    hives: true,
    netlogon_log: true,
    psgetsid: false,
    inventory_ubr: true,
};

/// `small`: two Server 2025 DCs and a cast that shows every rule, plus random members.
///
/// | device | what happens | findings |
/// |---|---|---|
/// | PC-A01 | rotation fails twice (all DCs 2025), repaired each time | SC-001, SC-002 |
/// | PC-B02 | its account is deleted by mistake, rejoined | SC-001, SC-003 |
/// | PC-C03 | a laptop two days away from any DC | SC-001 (medium) |
/// | SV-D04 | VM reverted to a snapshot older than its last rotation | SC-001, SC-004 |
/// | PC-CLONE1/2 | clones, both 24H2 patched; PC-CLONE2 logs 6167 | SID-001, SID-004 |
/// | PC-OLD1, PC-NEW1 | clones, Windows 10 and 24H2; PC-OLD1 RC4-only, refused tickets | SID-002, AD-003, KRB-001 |
/// | PC-DCCLONE | carries the domain SID (built from a DC image) | SID-003 |
/// | SV-FILE01 | the DC "Refuse" GPO reaches it (mis-linked) | POL-001 |
/// | PC-KIOSK01 | DisablePasswordChange=1 from its image; password never rotates | POL-002, AD-001 |
/// | PC-P01..P03 | pilot OU of the member GPO (MaximumPasswordAge=0); PC-P02 signs on to a PEAP-MSCHAPv2 Wi-Fi | POL-003, NTLM-001 |
/// | DC01, DC02 | both Windows Server 2025 | DC-001 |
/// | PC-70000… | directory only: retired machines' accounts | AD-006 (some) |
fn small(seed: u64, devices: u32, days: u32) -> Domain {
    let days = days.max(50);
    let mut b = Builder::new(Scenario::Small, seed, days, "corp.example", "CORP");
    b.dc("DC01", SERVER_2025, None);
    b.dc("DC02", SERVER_2025, None);
    // Still in place five days after its expiry: KZ-POL-004 for `scan --expires`.
    b.domain.workaround = Workaround {
        applied: Some(45),
        rolled_back: None,
        expires: Some(days - 5),
    };
    let ws = "OU=Tokyo,OU=Workstations";
    let mut m = b.machine("PC-A01", Role::Workstation, ws, WIN11_24H2);
    m.rotation_failure = 1.0;
    m.password_age_at_start = 27;
    m.collected = ALL;
    b.member(m);
    let mut m = b.machine("PC-B02", Role::Workstation, ws, WIN11_23H2);
    m.account_deleted = Some(20);
    m.password_age_at_start = 10;
    m.collected = Collected {
        hives: false,
        ..ALL
    };
    b.member(m);
    let mut m = b.machine(
        "PC-C03",
        Role::Workstation,
        "OU=Osaka,OU=Workstations",
        WIN10_22H2,
    );
    m.offline_days = vec![12, 13];
    m.collected = Collected {
        netlogon_log: false,
        ..ALL
    };
    b.member(m);
    let mut m = b.machine("SV-D04", Role::Server, "OU=Servers", SERVER_2022);
    m.password_age_at_start = 25;
    m.snapshots = vec![2];
    m.reverts = vec![9];
    m.collected = Collected {
        psgetsid: true,
        ..ALL
    };
    b.member(m);
    let mut m = b.machine("PC-CLONE1", Role::Workstation, ws, WIN11_24H2);
    m.collected = Collected {
        system_evtx: false,
        ..ALL
    };
    let c1 = b.member(m);
    let mut m = b.machine("PC-CLONE2", Role::Workstation, ws, WIN11_25H2);
    m.sid = b.domain.members[c1].sid;
    m.collected = ALL;
    b.member(m);
    let mut m = b.machine("PC-OLD1", Role::Workstation, ws, WIN10_22H2);
    // Joined under an RC4-only policy long ago (KZ-AD-003).
    m.encryption_types = 4;
    m.collected = Collected {
        hives: false,
        ..ALL
    };
    let old = b.member(m);
    let mut m = b.machine("PC-NEW1", Role::Workstation, ws, WIN11_24H2);
    m.sid = b.domain.members[old].sid;
    b.member(m);
    let mut m = b.machine("PC-DCCLONE", Role::Workstation, ws, WIN11_24H2);
    m.sid = b.domain.domain_sid;
    m.collected = ALL;
    b.member(m);
    let mut m = b.machine("SV-FILE01", Role::Server, "OU=Servers", SERVER_2022);
    m.misscoped_refuse = true;
    m.collected = Collected {
        psgetsid: true,
        ..ALL
    };
    b.member(m);
    let mut m = b.machine("PC-KIOSK01", Role::Workstation, "OU=Kiosks", WIN11_24H2_OLD);
    m.local_policy.disable_password_change = Some(1);
    // Never rotates: its directory password is 80 days old at the end (KZ-AD-001).
    m.password_age_at_start = 20;
    m.collected = ALL;
    b.member(m);
    for i in 1..=3 {
        let mut m = b.machine(
            &format!("PC-P{i:02}"),
            Role::Workstation,
            "OU=Pilot",
            WIN11_24H2,
        );
        m.pilot = true;
        m.collected = ALL;
        // Joins a PEAP-MSCHAPv2 Wi-Fi: NTLMv1-derived sign-on, audited (KZ-NTLM-001).
        m.ntlmv1_sso = i == 2;
        b.member(m);
    }
    let odds = Odds {
        server: 0.2,
        susceptible: 0.3,
        pilot: 0.2,
        vm_reverts: 0.3,
        account_deleted: 0.05,
        laptop_offline: 0.1,
        rc4_only: 0.1,
        ntlmv1: 0.05,
        identity_isolation: 0.0,
        system_evtx: 0.6,
        hives: 0.6,
        netlogon_log: 0.4,
        inventory_ubr: 0.8,
    };
    let cast = b.domain.dcs.len() + b.domain.members.len();
    for i in 0..devices.saturating_sub(cast as u32) {
        let m = b.random_member(i + 1, &odds);
        b.member(m);
    }
    b.domain
}

/// `contoso` and `scale`: a domain that moves its last DCs to Server 2025 early on,
/// applies the workaround at 50% of the period and rolls it back at 80%; DC01 is put back
/// to a ten-day-old snapshot at 60% and finds its USN rollback two days later.
fn mid_size(
    scenario: Scenario,
    seed: u64,
    devices: u32,
    days: u32,
    dns: &str,
    netbios: &str,
) -> Domain {
    let mut b = Builder::new(scenario, seed, days, dns, netbios);
    let dcs = (devices / 1000 + 2).min(20);
    for i in 0..dcs {
        b.dc(&format!("DC{:02}", i + 1), SERVER_2025, None);
    }
    // The last pre-2025 DC leaves on day 15: from then on every DC runs Server 2025.
    b.dc(
        &format!("DC{:02}", dcs + 1),
        SERVER_2022,
        Some(15.min(days / 4)),
    );
    // DC01 is put back to a snapshot ten days old at 60% of the period; replication
    // finds the USN rollback two days later (KZ-DC-002).
    let restored = days * 3 / 5;
    b.domain.dcs[0].restore = Some(Restore {
        backup: restored.saturating_sub(10),
        restored,
        detected: (restored + 2).min(days - 1),
    });
    // Rolled back before its expiry: only devices whose own policy matches the workaround's
    // values are KZ-POL-004.
    b.domain.workaround = Workaround {
        applied: Some(days / 2),
        rolled_back: Some(days * 4 / 5),
        expires: Some(days * 9 / 10),
    };
    if scenario == Scenario::Scale {
        b.domain.noise = Noise {
            dc_security_per_device_day: 8.0,
            dc_system_per_day: 100,
            member_system_per_day: 4,
        };
        b.domain.clone_contact_per_day = 0.05;
    } else {
        b.domain.noise.dc_security_per_device_day = 1.0;
    }
    let odds = Odds {
        server: 0.12,
        susceptible: 0.2,
        pilot: 0.25,
        vm_reverts: 0.15,
        account_deleted: 0.01,
        laptop_offline: 0.08,
        rc4_only: 0.03,
        ntlmv1: 0.02,
        identity_isolation: 0.06,
        system_evtx: if scenario == Scenario::Scale {
            0.3
        } else {
            0.6
        },
        hives: if scenario == Scenario::Scale {
            0.2
        } else {
            0.5
        },
        netlogon_log: if scenario == Scenario::Scale {
            0.1
        } else {
            0.3
        },
        inventory_ubr: 0.85,
    };
    // Members, exactly: random ones, clone groups (sizes drawn first) and one DC clone.
    let members = devices.saturating_sub(dcs) as usize;
    let groups = (members / 100).max(1);
    let sizes: Vec<usize> = (0..groups).map(|_| b.rng.range(1, 4) as usize).collect();
    let reserved = sizes.iter().sum::<usize>() + 1;
    for n in 1..=members.saturating_sub(reserved).max(1) {
        let mut m = b.random_member(n as u32, &odds);
        // A few local tweaks that outlive any GPO.
        let r = &mut b.rng;
        if r.chance(0.01) {
            m.local_policy.maximum_password_age = Some(9999);
        }
        if r.chance(0.005) {
            m.local_policy.disable_password_change = Some(1);
        }
        if m.role == Role::Server && r.chance(0.02) {
            m.local_policy.refuse_password_change = Some(1);
        }
        b.member(m);
    }
    // Clone groups: an image copied without Sysprep, in mixed OS states.
    let images = [
        WIN11_24H2,
        WIN11_25H2,
        WIN10_22H2,
        WIN11_24H2_OLD,
        WIN11_23H2,
    ];
    for (g, size) in sizes.into_iter().enumerate() {
        let of = b.rng.below(b.domain.members.len() as u64) as usize;
        let picked: Vec<OsImage> = (0..size)
            .map(|_| images[b.rng.below(images.len() as u64) as usize])
            .collect();
        b.clone_group(of, &picked, 50_000 + g as u32 * 10);
    }
    // One workstation built from a DC's disk image.
    let mut m = b.random_member(90_000, &odds);
    m.role = Role::Workstation;
    m.name = "PC-90000".into();
    m.sid = b.domain.domain_sid;
    b.member(m);
    b.domain
}
