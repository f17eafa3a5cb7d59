//! Machine identity: machine SIDs and OS builds, as types that cannot hold a malformed
//! value.

use std::fmt;
use std::str::FromStr;

/// A machine (account-domain) SID: `S-1-5-21-a-b-c`, exactly three sub-authorities after
/// 21. The only way to make one is to parse or decode a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MachineSid([u32; 3]);

impl MachineSid {
    /// Decodes a binary SID (revision 1, authority 5, sub-authorities 21, a, b, c).
    pub fn from_bytes(b: &[u8]) -> Option<MachineSid> {
        if b.len() != 24 || b[0] != 1 || b[1] != 4 || b[2..8] != [0, 0, 0, 0, 0, 5] {
            return None;
        }
        let sub =
            |i: usize| u32::from_le_bytes(b[8 + 4 * i..12 + 4 * i].try_into().expect("4 bytes"));
        (sub(0) == 21).then(|| MachineSid([sub(1), sub(2), sub(3)]))
    }

    /// The binary form (24 bytes).
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0] = 1;
        b[1] = 4;
        b[7] = 5;
        b[8..12].copy_from_slice(&21u32.to_le_bytes());
        for (i, v) in self.0.iter().enumerate() {
            b[12 + 4 * i..16 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

impl FromStr for MachineSid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not a machine SID (S-1-5-21-a-b-c): {s:?}");
        let rest = s.trim().to_ascii_uppercase();
        let rest = rest.strip_prefix("S-1-5-21-").ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split('-').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let mut v = [0u32; 3];
        for (slot, p) in v.iter_mut().zip(parts) {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            *slot = p.parse().map_err(|_| bad())?;
        }
        Ok(MachineSid(v))
    }
}

impl fmt::Display for MachineSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-1-5-21-{}-{}-{}", self.0[0], self.0[1], self.0[2])
    }
}

/// A Windows installation's `MachineGuid` (SOFTWARE `Microsoft\Cryptography`): a random
/// GUID made when the installation is set up, so two devices with the same one are copies
/// of one installation. Held as 16 bytes; shown lower-case without braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MachineGuid(u128);

impl MachineGuid {
    /// The GUID whose 32 hex digits are `n`'s (for generated labs).
    pub fn from_u128(n: u128) -> MachineGuid {
        MachineGuid(n)
    }
}

impl FromStr for MachineGuid {
    type Err = String;
    /// `8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8`, with or without braces, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): {s:?}");
        let t = s.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(t);
        let groups: Vec<&str> = t.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12]
            || !groups
                .iter()
                .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(bad());
        }
        u128::from_str_radix(&groups.concat(), 16)
            .map(MachineGuid)
            .map_err(|_| bad())
    }
}

impl fmt::Display for MachineGuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

/// An OS build: `CurrentBuild` and, when known, the update build revision (`UBR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OsBuild {
    pub build: u32,
    pub ubr: Option<u32>,
}

impl OsBuild {
    /// Parses `26100.6584`, `10.0.26100.6584`, `10.0.26100`, `26100`.
    pub fn parse(s: &str) -> Option<OsBuild> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
        let nums = nums?;
        let (build, ubr) = match nums.as_slice() {
            [b] => (*b, None),
            [b, u] if *b >= 1000 => (*b, Some(*u)),
            [10, 0, b] | [6, _, b] => (*b, None),
            [10, 0, b, u] | [6, _, b, u] => (*b, Some(*u)),
            _ => return None,
        };
        (build >= 1000).then_some(OsBuild { build, ubr })
    }
}

impl fmt::Display for OsBuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ubr {
            Some(u) => write!(f, "{}.{u}", self.build),
            None => write!(f, "{}", self.build),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_sids() {
        let s: MachineSid = "S-1-5-21-4070822719-3404542230-2541167049".parse().unwrap();
        assert_eq!(s.to_string(), "S-1-5-21-4070822719-3404542230-2541167049");
        assert_eq!(MachineSid::from_bytes(&s.to_bytes()), Some(s));
        for bad in [
            "S-1-5-21-1-2",
            "S-1-5-21-1-2-3-4",
            "S-1-5-18",
            "S-1-5-21-a-2-3",
            "S-1-5-21-1-2-99999999999",
            "",
        ] {
            assert!(bad.parse::<MachineSid>().is_err(), "{bad}");
        }
        assert_eq!(MachineSid::from_bytes(&[1, 4, 0, 0]), None);
    }

    #[test]
    fn builds() {
        assert_eq!(
            OsBuild::parse("10.0.26100.6584"),
            Some(OsBuild {
                build: 26100,
                ubr: Some(6584)
            })
        );
        assert_eq!(
            OsBuild::parse("26100.4946"),
            Some(OsBuild {
                build: 26100,
                ubr: Some(4946)
            })
        );
        assert_eq!(
            OsBuild::parse("19045"),
            Some(OsBuild {
                build: 19045,
                ubr: None
            })
        );
        assert_eq!(
            OsBuild::parse("10.0.17763"),
            Some(OsBuild {
                build: 17763,
                ubr: None
            })
        );
        assert_eq!(OsBuild::parse("Windows 11"), None);
        assert_eq!(OsBuild::parse("10"), None);
        assert_eq!(
            OsBuild {
                build: 26100,
                ubr: Some(6584)
            }
            .to_string(),
            "26100.6584"
        );
    }
}

/// What a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceRole {
    Unknown,
    Workstation,
    Server,
    Dc,
}

impl DeviceRole {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceRole::Unknown => "unknown",
            DeviceRole::Workstation => "workstation",
            DeviceRole::Server => "server",
            DeviceRole::Dc => "dc",
        }
    }

    /// From the words inventories and the registry use: `WinNT` / `ServerNT` / `LanmanNT`
    /// (ProductType), `1`/`2`/`3` (Win32_OperatingSystem.ProductType), `Workstation`,
    /// `Server`, `DC`, `Domain Controller`, Japanese `ドメイン コントローラー`…
    pub fn parse(s: &str) -> Option<DeviceRole> {
        let t = s.trim().to_lowercase().replace([' ', '_', '-'], "");
        Some(match t.as_str() {
            "winnt" | "1" | "workstation" | "client" | "desktop" | "laptop" | "pc"
            | "クライアント" | "端末" => DeviceRole::Workstation,
            "servernt" | "3" | "server" | "memberserver" | "サーバー" | "サーバ" => {
                DeviceRole::Server
            }
            "lanmannt"
            | "2"
            | "dc"
            | "domaincontroller"
            | "primarydomaincontroller"
            | "backupdomaincontroller"
            | "ドメインコントローラー"
            | "ドメインコントローラ" => DeviceRole::Dc,
            _ => return None,
        })
    }
}

/// Where an identity fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentitySource {
    HiveSam,
    HiveSecurity,
    HiveSystem,
    HiveSoftware,
    PsGetSid,
    /// A live answer over LSARPC (`kizuna sid scan`): what PsGetSid shows, from the host.
    Lsarpc,
    /// A computer object read over LDAP.
    Directory,
    Inventory,
}

impl IdentitySource {
    pub fn as_str(&self) -> &'static str {
        match self {
            IdentitySource::HiveSam => "hive-sam",
            IdentitySource::HiveSecurity => "hive-security",
            IdentitySource::HiveSystem => "hive-system",
            IdentitySource::HiveSoftware => "hive-software",
            IdentitySource::PsGetSid => "psgetsid",
            IdentitySource::Lsarpc => "lsarpc",
            IdentitySource::Directory => "directory",
            IdentitySource::Inventory => "inventory",
        }
    }

    pub fn parse(s: &str) -> Option<IdentitySource> {
        [
            IdentitySource::HiveSam,
            IdentitySource::HiveSecurity,
            IdentitySource::HiveSystem,
            IdentitySource::HiveSoftware,
            IdentitySource::PsGetSid,
            IdentitySource::Lsarpc,
            IdentitySource::Directory,
            IdentitySource::Inventory,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What one source says about one device's identity. Hives name no device by
/// themselves (a SAM hive has no computer name): `folder` then says which artifacts
/// belong together, and the rules name the device from the folder's SYSTEM or SECURITY
/// hive, else the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub device: Option<crate::DeviceName>,
    /// The folder the artifact was collected in (its display path), for grouping.
    pub folder: Option<String>,
    pub machine_sid: Option<MachineSid>,
    /// The installation's MachineGuid (SOFTWARE hives, inventories): two devices sharing
    /// it as well as their SID are certainly clones.
    pub machine_guid: Option<MachineGuid>,
    pub role: Option<DeviceRole>,
    pub domain: Option<String>,
    pub os_build: Option<OsBuild>,
    /// Netlogon parameters (RefusePasswordChange, MaximumPasswordAge, DisablePasswordChange).
    pub netlogon: std::collections::BTreeMap<String, u32>,
    /// Hardening switches that tell look-alike failures apart, by where they were read:
    /// `Lsa\MachineIdentityIsolation` and `DeviceGuard\MachineIdentityIsolation` (Machine
    /// Identity Isolation: 2 = enforced, 0 = off), `Lsa\MSV1_0\BlockNtlmv1SSO` (KB5066470).
    pub hardening: std::collections::BTreeMap<String, u32>,
    /// When the source last recorded these facts (a hive's base-block "last written"
    /// time): the rules weigh a reading by it, e.g. whether a setting was still on a
    /// device after the workaround's expiry. `None` when the source does not say.
    pub observed: Option<crate::Timestamp>,
    pub kind: IdentitySource,
    pub source: crate::SourceRef,
}

#[cfg(test)]
mod guid_tests {
    use super::MachineGuid;

    #[test]
    fn guids_parse_in_any_usual_form_and_show_one_way() {
        let a: MachineGuid = "8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8".parse().unwrap();
        let b: MachineGuid = "{8B1F2A3C-4D5E-6F70-8192-A3B4C5D6E7F8}".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_string(), "8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8");
        for bad in [
            "",
            "8b1f2a3c4d5e6f708192a3b4c5d6e7f8",
            "8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7fg",
            "{8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8",
            "+b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8",
        ] {
            assert!(bad.parse::<MachineGuid>().is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod role_tests {
    use super::DeviceRole;

    #[test]
    fn roles() {
        assert_eq!(DeviceRole::parse("LanmanNT"), Some(DeviceRole::Dc));
        assert_eq!(DeviceRole::parse("Domain Controller"), Some(DeviceRole::Dc));
        assert_eq!(
            DeviceRole::parse("ドメイン コントローラー"),
            Some(DeviceRole::Dc)
        );
        assert_eq!(DeviceRole::parse("ServerNT"), Some(DeviceRole::Server));
        assert_eq!(DeviceRole::parse("1"), Some(DeviceRole::Workstation));
        assert_eq!(DeviceRole::parse("toaster"), None);
    }
}
