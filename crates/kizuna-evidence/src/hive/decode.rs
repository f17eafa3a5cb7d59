//! The binary values hives hold: SIDs, UTF-16 strings, UNICODE_STRING records, numbers.

use super::*;

pub(super) fn parse_number(s: &str) -> Result<u32, String> {
    let t = s.trim_end_matches('\0').trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| format!("{t:?} is not a number"))
}

pub(super) fn utf16_le(b: &[u8]) -> Result<String, String> {
    let pairs = b.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(format!("{} bytes of binary data, not UTF-16 text", b.len()));
    }
    let units: Vec<u16> = pairs.map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| "invalid UTF-16 text".to_string())
}

/// A binary SID: revision 1, sub-authority count, 6-byte big-endian identifier authority,
/// then count × u32 LE sub-authorities. Trailing bytes are ignored.
pub(super) fn sid_to_string(b: &[u8]) -> Result<String, String> {
    let (Some(&revision), Some(&count)) = (b.first(), b.get(1)) else {
        return Err(format!("SID too short ({} bytes)", b.len()));
    };
    if revision != 1 {
        return Err(format!("not a SID (revision {revision}, expected 1)"));
    }
    let count = usize::from(count);
    if count > 15 {
        return Err(format!("not a SID ({count} sub-authorities, at most 15)"));
    }
    let need = 8 + 4 * count;
    if b.len() < need {
        return Err(format!(
            "SID truncated: {count} sub-authorities need {need} bytes, have {}",
            b.len()
        ));
    }
    let authority = b[2..8]
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let mut s = if authority >> 32 == 0 {
        format!("S-{revision}-{authority}")
    } else {
        format!("S-{revision}-0x{authority:012X}")
    };
    for i in 0..count {
        s.push_str(&format!("-{}", u32_le(b, 8 + 4 * i)));
    }
    Ok(s)
}

/// The machine SID from SAM `Domains\Account\V`: descriptor #1 (bytes 12..24, offset
/// relative to 0x30), and whether those bytes equal the last 24 bytes of `V`.
pub(super) fn sam_descriptor_sid(v: &[u8]) -> Result<(String, bool), String> {
    if v.len() < 24 {
        return Err(format!(
            "{} bytes, too short for its descriptor table",
            v.len()
        ));
    }
    let offset = u32_le(v, 12);
    let length = u32_le(v, 16);
    let range = usize::try_from(offset)
        .ok()
        .and_then(|o| o.checked_add(0x30))
        .and_then(|start| {
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            Some(start..end)
        });
    let bytes = range.and_then(|r| v.get(r)).ok_or_else(|| {
        format!(
            "descriptor 1 (offset 0x{offset:x} + 0x30, length {length}) points outside V ({} bytes)",
            v.len()
        )
    })?;
    let sid = sid_to_string(bytes).map_err(|e| format!("descriptor 1: {e}"))?;
    let tail = v.get(v.len() - 24..);
    Ok((sid, tail == Some(bytes)))
}

/// A SECURITY `*DmN` value: UNICODE_STRING header (u16 Length, u16 MaximumLength, u32
/// offset = 8) then UTF-16LE; `Length` bytes are decoded from offset 8.
pub(super) fn unicode_string(b: &[u8]) -> Result<Option<String>, String> {
    if b.is_empty() {
        return Ok(None);
    }
    if b.len() < 8 {
        return Err(format!(
            "{} bytes, too short for a UNICODE_STRING header",
            b.len()
        ));
    }
    let length = usize::from(u16_le(b, 0));
    let text = b.get(8..8 + length).ok_or_else(|| {
        format!(
            "UNICODE_STRING length {length} exceeds the {} bytes after its header",
            b.len() - 8
        )
    })?;
    let s = utf16_le(text)?;
    Ok(non_empty(s.trim_end_matches('\0').to_string()))
}
