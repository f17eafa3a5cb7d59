//! `GptTmpl.inf`: the Security extension's template. Only `[Registry Values]` matters to
//! kizuna (`MACHINE\System\CurrentControlSet\Services\Netlogon\Parameters\…=4,1`).
//!
//! Windows writes it as UTF-16LE with BOM and CRLF; Samba's tools rewrite it as ASCII with
//! LF and spaces around `=` (`= 4, 0`). Both are read.

use std::collections::BTreeMap;

use crate::text::decode;

/// The `[Registry Values]` of a GptTmpl.inf: key path (as written) → `type,value`
/// (`4,1`). A key set twice keeps its last value, as secedit applies it.
pub fn registry_values(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = decode(bytes);
    let mut out = BTreeMap::new();
    let mut in_section = false;
    // A lone CR ends a line too (fuzzing found one inside a key).
    for line in text.split(['\r', '\n']) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            in_section = line[1..line.len() - 1]
                .trim()
                .eq_ignore_ascii_case("Registry Values");
            continue;
        }
        if in_section && let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().replace(", ", ","));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_samba_forms() {
        let text = "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\r\n; comment\r\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let v = registry_values(&utf16);
        assert_eq!(
            v.get("MACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange").map(String::as_str),
            Some("4,1")
        );
        assert_eq!(v.len(), 1, "only [Registry Values]");
        let samba = "[System Access]\nMinimumPasswordAge = 1\n[Registry Values]\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\MaximumPasswordAge = 4, 0\n";
        let v = registry_values(samba.as_bytes());
        assert_eq!(v.values().next().map(String::as_str), Some("4,0"));
        assert!(registry_values(b"").is_empty());
        assert!(
            registry_values(&[0xFF, 0xFE, 0x00]).is_empty(),
            "odd UTF-16 never panics"
        );
        // A lone surrogate is replaced, the line still read.
        let mut bad = vec![0xFF, 0xFE];
        bad.extend(
            "[Registry Values]\r\nK=4,"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        bad.extend([0x00, 0xD8]);
        assert_eq!(registry_values(&bad)["K"], "4,\u{FFFD}");
        let lone_cr = registry_values(b"[Registry Values]\r\nA=4,1\rB=4,2\r\n");
        assert_eq!(lone_cr.len(), 2, "{lone_cr:?}");
    }
}
