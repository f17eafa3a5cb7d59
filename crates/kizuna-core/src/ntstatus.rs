//! NTSTATUS values, as they appear in event `<Binary>` data and in netlogon.log.

use std::fmt;

/// A Windows NTSTATUS code, e.g. `0xC0000022` (STATUS_ACCESS_DENIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NtStatus(pub u32);

impl NtStatus {
    /// Reads the status from an event's `<Binary>` hex string: the first four bytes,
    /// little-endian (`220000C0` → 0xC0000022). Only error-severity values (top two bits
    /// set) are accepted, so unrelated binary payloads are not mistaken for a status.
    pub fn from_binary_hex(hex: &str) -> Option<NtStatus> {
        // Bytes, not string slices: the text may hold any character (fuzzing found
        // `0é…`, where slicing at byte 4 panicked).
        let digits = hex.trim().as_bytes().get(..8)?;
        let mut bytes = [0u8; 4];
        for (b, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let nibble = |c: u8| (c as char).to_digit(16);
            *b = (nibble(pair[0])? * 16 + nibble(pair[1])?) as u8;
        }
        Self::error_only(u32::from_le_bytes(bytes))
    }

    /// Reads the status from raw bytes (little-endian), error values only.
    pub fn from_binary_bytes(bytes: &[u8]) -> Option<NtStatus> {
        let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        Self::error_only(u32::from_le_bytes(head))
    }

    /// Parses `0xC0000022`, `0xc0000022`, `c0000022` or `C0000022`.
    pub fn parse_hex(text: &str) -> Option<NtStatus> {
        let t = text.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.is_empty() || t.len() > 8 {
            return None;
        }
        u32::from_str_radix(t, 16).ok().map(NtStatus)
    }

    /// Finds the first `0xC…` style error status in free text (a message, a log line).
    pub fn find_in_text(text: &str) -> Option<NtStatus> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i + 10 <= bytes.len() {
            if bytes[i] == b'0'
                && (bytes[i + 1] | 0x20) == b'x'
                && (bytes[i + 2] | 0x20) == b'c'
                && bytes[i + 2..i + 10].iter().all(u8::is_ascii_hexdigit)
                && bytes.get(i + 10).is_none_or(|b| !b.is_ascii_hexdigit())
            {
                return Self::parse_hex(&text[i..i + 10]);
            }
            i += 1;
        }
        None
    }

    fn error_only(v: u32) -> Option<NtStatus> {
        (v >> 30 == 3).then_some(NtStatus(v))
    }

    /// The code as `0xC0000022` (upper-case hex, fixed width): the form kizuna prints.
    pub fn hex(&self) -> String {
        format!("0x{:08X}", self.0)
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_hex_with_any_characters() {
        assert_eq!(
            NtStatus::from_binary_hex("220000C0"),
            Some(NtStatus(0xC0000022))
        );
        assert_eq!(
            NtStatus::from_binary_hex(" 220000c0FFFF "),
            Some(NtStatus(0xC0000022))
        );
        for odd in [
            "0é000000",
            "22é0000C0",
            "220000C",
            "2200 0C0",
            "日本語の文字列",
            "+2200000C0",
        ] {
            assert_eq!(NtStatus::from_binary_hex(odd), None, "{odd}");
        }
    }

    #[test]
    fn binary_is_little_endian() {
        assert_eq!(
            NtStatus::from_binary_hex("220000C0"),
            Some(NtStatus(0xC0000022))
        );
        assert_eq!(
            NtStatus::from_binary_hex("8B0100C0"),
            Some(NtStatus(0xC000018B))
        );
        assert_eq!(
            NtStatus::from_binary_hex("5E0000C0DEADBEEF"),
            Some(NtStatus(0xC000005E))
        );
        // Not an error status, too short, not hex, multi-byte text: rejected.
        assert_eq!(NtStatus::from_binary_hex("00000000"), None);
        assert_eq!(NtStatus::from_binary_hex("2200"), None);
        assert_eq!(NtStatus::from_binary_hex("zz0000C0"), None);
        assert_eq!(NtStatus::from_binary_hex("日本語テキスト"), None);
    }

    #[test]
    fn text_forms() {
        assert_eq!(
            NtStatus::parse_hex("0xc0000022"),
            Some(NtStatus(0xC0000022))
        );
        assert_eq!(NtStatus::parse_hex("c000005e"), Some(NtStatus(0xC000005E)));
        assert_eq!(NtStatus(0xC00000E5).to_string(), "0xC00000E5");
        assert_eq!(
            NtStatus::find_in_text("Session setup: cannot I_NetServerAuthenticate 0xc0000022"),
            Some(NtStatus(0xC0000022))
        );
        assert_eq!(
            NtStatus::find_in_text("Negotiated flags are 0x612fffff"),
            None
        );
        assert_eq!(NtStatus::find_in_text("0xc00000221"), None);
    }
}
