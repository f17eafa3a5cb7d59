//! The security descriptor recorded in Backup.xml and gpreport.xml. Import-GPO and GPMC
//! "Import Settings" take settings only, never the ACL, so this only has to be a valid,
//! conservative GPO ACL: built from well-known SIDs (the domain's SID is not known
//! offline) — Authenticated Users read and apply, Enterprise Domain Controllers read,
//! SYSTEM and Administrators full control, CREATOR OWNER full control inherit-only.

use crate::guid;

/// "Apply Group Policy" extended right.
const APPLY_GROUP_POLICY: &str = "{EDACFD8F-FFB3-11D1-B41D-00A0C968F939}";
const FULL: u32 = 0x000F_01FF;
const READ: u32 = 0x0002_0094;
const CONTROL_ACCESS: u32 = 0x0000_0100;
const CI: u8 = 0x02;
const IO: u8 = 0x08;

pub const SDDL: &str = "O:BAG:BAD:PAI(OA;CI;CR;edacfd8f-ffb3-11d1-b41d-00a0c968f939;;AU)(A;CI;LCRPLORC;;;AU)(A;CI;LCRPLORC;;;ED)(A;CI;CCDCLCSWRPWPDTLOSDRCWDWO;;;SY)(A;CI;CCDCLCSWRPWPDTLOSDRCWDWO;;;BA)(A;CIIO;CCDCLCSWRPWPDTLOSDRCWDWO;;;CO)";

fn sid(authority: u8, subs: &[u32]) -> Vec<u8> {
    let mut b = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, authority];
    for s in subs {
        b.extend(s.to_le_bytes());
    }
    b
}

fn ace(kind: u8, flags: u8, body: Vec<u8>) -> Vec<u8> {
    let mut b = vec![kind, flags];
    b.extend(((body.len() + 4) as u16).to_le_bytes());
    b.extend(body);
    b
}

fn allowed(flags: u8, mask: u32, sid: Vec<u8>) -> Vec<u8> {
    let mut body = mask.to_le_bytes().to_vec();
    body.extend(sid);
    ace(0x00, flags, body)
}

fn allowed_object(flags: u8, mask: u32, object: &str, sid: Vec<u8>) -> Vec<u8> {
    let mut body = mask.to_le_bytes().to_vec();
    body.extend(1u32.to_le_bytes()); // ACE_OBJECT_TYPE_PRESENT
    body.extend(guid::to_bytes(object).expect("a constant GUID"));
    body.extend(sid);
    ace(0x05, flags, body)
}

/// Self-relative binary form (SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_PRESENT).
pub fn bytes() -> Vec<u8> {
    let authenticated_users = || sid(5, &[11]);
    let aces = [
        allowed_object(
            CI,
            CONTROL_ACCESS,
            APPLY_GROUP_POLICY,
            authenticated_users(),
        ),
        allowed(CI, READ, authenticated_users()),
        allowed(CI, READ, sid(5, &[9])),
        allowed(CI, FULL, sid(5, &[18])),
        allowed(CI, FULL, sid(5, &[32, 544])),
        allowed(CI | IO, FULL, sid(3, &[0])),
    ];
    let body: Vec<u8> = aces.concat();
    let mut acl = vec![4, 0];
    acl.extend(((body.len() + 8) as u16).to_le_bytes());
    acl.extend((aces.len() as u16).to_le_bytes());
    acl.extend([0, 0]);
    acl.extend(body);
    let owner = sid(5, &[32, 544]);
    let dacl_at = 20u32;
    let owner_at = dacl_at + acl.len() as u32;
    let group_at = owner_at + owner.len() as u32;
    let mut sd = vec![1, 0];
    sd.extend(0x9004u16.to_le_bytes());
    sd.extend(owner_at.to_le_bytes());
    sd.extend(group_at.to_le_bytes());
    sd.extend(0u32.to_le_bytes());
    sd.extend(dacl_at.to_le_bytes());
    sd.extend(acl);
    sd.extend(owner.clone());
    sd.extend(owner);
    sd
}

/// As Backup.xml writes it: lower-case hex bytes separated by spaces.
pub fn hex() -> String {
    bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], i: usize) -> usize {
        u16::from_le_bytes([b[i], b[i + 1]]) as usize
    }
    fn u32_at(b: &[u8], i: usize) -> usize {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize
    }

    /// Walks the descriptor as a reader would: every offset and size must land exactly.
    #[test]
    fn well_formed_self_relative_descriptor() {
        let b = bytes();
        assert_eq!(b[0], 1, "revision");
        assert_eq!(u16_at(&b, 2), 0x9004);
        let (owner, group, sacl, dacl) =
            (u32_at(&b, 4), u32_at(&b, 8), u32_at(&b, 12), u32_at(&b, 16));
        assert_eq!(sacl, 0);
        let acl_size = u16_at(&b, dacl + 2);
        let count = u16_at(&b, dacl + 4);
        assert_eq!(count, 6);
        let mut at = dacl + 8;
        let mut kinds = Vec::new();
        for _ in 0..count {
            kinds.push(b[at]);
            let size = u16_at(&b, at + 2);
            assert_eq!(size % 4, 0, "ACE sizes are DWORD multiples");
            at += size;
        }
        assert_eq!(at, dacl + acl_size, "ACEs fill the ACL exactly");
        assert_eq!(at, owner);
        let sid_len = |i: usize| 8 + 4 * b[i + 1] as usize;
        assert_eq!(owner + sid_len(owner), group);
        assert_eq!(group + sid_len(group), b.len());
        assert_eq!(kinds, vec![5, 0, 0, 0, 0, 0]);
        assert_eq!(
            &b[owner..owner + 16],
            &[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0],
            "BA"
        );
        assert!(hex().starts_with("01 00 04 90 "));
    }
}
