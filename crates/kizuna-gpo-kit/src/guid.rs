//! Deterministic GUIDs: the same kit inputs give the same GPO and backup ids (so a
//! regenerated kit is byte-identical and a rollback targets the workaround's GPO).

use sha2::{Digest, Sha256};

/// `{8-4-4-4-12}` upper case, from a hash of `parts` (RFC 9562 version 8 layout).
pub fn derived(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    // The crate's first name. Never change it: the rollback kit finds the workaround's
    // GPOs, in domains that already hold them, by these ids.
    h.update(b"kizuna-gpo");
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0F) | 0x80;
    b[8] = (b[8] & 0x3F) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The 16 bytes of a `{…}` GUID as Windows stores it (first three fields little-endian).
pub fn to_bytes(guid: &str) -> Option<[u8; 16]> {
    let hex: String = guid.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 32 {
        return None;
    }
    let raw: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
    b[4..6].copy_from_slice(&[raw[5], raw[4]]);
    b[6..8].copy_from_slice(&[raw[7], raw[6]]);
    b[8..16].copy_from_slice(&raw[8..16]);
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        let a = derived(&["corp.example", "dc"]);
        assert_eq!(a, derived(&["corp.example", "dc"]));
        assert_ne!(a, derived(&["corp.example", "member"]));
        assert_ne!(derived(&["ab", "c"]), derived(&["a", "bc"]));
        assert_eq!(a.len(), 38);
        assert!(a.starts_with('{') && a.ends_with('}'));
        assert_eq!(&a[15..16], "8", "version nibble");
        let b = to_bytes("{EDACFD8F-FFB3-11D1-B41D-00A0C968F939}").unwrap();
        assert_eq!(&b[..8], &[0x8f, 0xfd, 0xac, 0xed, 0xb3, 0xff, 0xd1, 0x11]);
        assert!(to_bytes("{xyz}").is_none());
    }
}
