//! Text of GPO files: UTF-16LE with BOM as Windows writes it, or UTF-8 (Samba's tools,
//! GPMC's XML). Undecodable units become U+FFFD; nothing fails.

/// Decodes a GPO text file.
pub(crate) fn decode(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
        utf16le(rest)
    } else if b.len() >= 2 && b[1] == 0 && b[0] != 0 {
        utf16le(b)
    } else {
        String::from_utf8_lossy(b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)).into_owned()
    }
}

/// UTF-16LE units, a trailing odd byte ignored.
pub(crate) fn utf16le(b: &[u8]) -> String {
    char::decode_utf16(b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}
