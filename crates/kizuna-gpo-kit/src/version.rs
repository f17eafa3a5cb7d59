//! GPO version numbers (MS-GPOL 3.3.5.4): the user version in the upper 16 bits, the
//! computer version in the lower; every change increments, and a side that wraps to 0
//! becomes 1 (MS-GPOL 3.3.4.5). A rollback therefore bumps past the workaround's
//! version, never restores an older number.

/// The versions of one GPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GpoVersion {
    pub user: u16,
    pub machine: u16,
}

impl GpoVersion {
    /// A computer-only GPO after `changes` edits of its computer side.
    pub fn machine(changes: u16) -> GpoVersion {
        GpoVersion {
            user: 0,
            machine: changes,
        }
    }

    /// `versionNumber` of the GPO container and `Version=` of GPT.INI.
    pub fn packed(self) -> u32 {
        (u32::from(self.user) << 16) | u32::from(self.machine)
    }

    pub fn from_packed(v: u32) -> GpoVersion {
        GpoVersion {
            user: (v >> 16) as u16,
            machine: v as u16,
        }
    }

    /// After one more change of the computer side.
    pub fn bump_machine(self) -> GpoVersion {
        let m = self.machine.wrapping_add(1);
        GpoVersion {
            user: self.user,
            machine: if m == 0 { 1 } else { m },
        }
    }

    /// Backup.xml's `<MachineVersionNumber>`: GPMC records each side as its directory
    /// version in the upper and its SYSVOL version in the lower 16 bits (equal in a
    /// consistent GPO: 7/7 is written 458759 in the real backups of anchors.md §4.1).
    pub fn backup_machine_number(self) -> u32 {
        (u32::from(self.machine) << 16) | u32::from(self.machine)
    }

    pub fn backup_user_number(self) -> u32 {
        (u32::from(self.user) << 16) | u32::from(self.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_and_bumping() {
        let v = GpoVersion {
            user: 2,
            machine: 7,
        };
        assert_eq!(v.packed(), 0x0002_0007);
        assert_eq!(GpoVersion::from_packed(0x0002_0007), v);
        assert_eq!(v.backup_machine_number(), 458_759, "as in the real backup");
        assert_eq!(v.backup_user_number(), 131_074);
        assert_eq!(
            v.bump_machine(),
            GpoVersion {
                user: 2,
                machine: 8
            }
        );
        let top = GpoVersion::machine(u16::MAX);
        assert_eq!(top.bump_machine().machine, 1, "0 after a wrap becomes 1");
        assert!(GpoVersion::machine(1).bump_machine() > GpoVersion::machine(1));
    }
}
