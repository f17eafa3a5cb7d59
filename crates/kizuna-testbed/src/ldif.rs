//! Small LDIF and value helpers (std only).

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Values of `attr` in LDIF text as ldb tools print it: folded lines unfolded, `attr::` decoded.
pub(crate) fn attr_values(ldif: &str, attr: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in ldif.lines() {
        match (line.strip_prefix(' '), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(line.to_string()),
        }
    }
    lines
        .iter()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            if !name.eq_ignore_ascii_case(attr) {
                return None;
            }
            match rest.strip_prefix(':') {
                Some(b64) => {
                    base64_decode(b64.trim()).map(|b| String::from_utf8_lossy(&b).into_owned())
                }
                None => Some(rest.trim_start().to_string()),
            }
        })
        .collect()
}

/// One `attr: value` line; values LDIF cannot carry verbatim (RFC 2849 SAFE-STRING) go base64.
pub(crate) fn attr_line(attr: &str, value: &str) -> String {
    let safe = value.is_ascii()
        && !value.contains(['\0', '\n', '\r'])
        && !value.starts_with([' ', ':', '<'])
        && !value.ends_with(' ');
    if safe {
        format!("{attr}: {value}\n")
    } else {
        format!("{attr}:: {}\n", base64(value.as_bytes()))
    }
}

/// Splits LDIF text into its entries (blank-line separated; continuation lines start with a space,
/// so a blank line never falls inside an entry). Comment-only blocks are dropped.
pub(crate) fn split_entries(ldif: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in ldif.lines() {
        // RFC 2849's optional `version: 1` header (ldifde writes it); ldb tools reject it.
        if out.is_empty()
            && cur.lines().all(|l| l.starts_with('#'))
            && line.trim_end().eq_ignore_ascii_case("version: 1")
        {
            continue;
        }
        if line.trim().is_empty() {
            if cur.lines().any(|l| !l.starts_with('#')) {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        } else {
            cur.push_str(line.trim_end_matches('\r'));
            cur.push('\n');
        }
    }
    if cur.lines().any(|l| !l.starts_with('#')) {
        out.push(cur);
    }
    out
}

/// Random bytes from the kernel.
pub(crate) fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(buf)
}

/// A random GUID in the braced upper-case form AD tools write ("{0F3A…}").
pub(crate) fn random_guid() -> Result<String, String> {
    let mut b = random_bytes(16)?;
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    Ok(format!(
        "{{{}-{}-{}-{}-{}}}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// True for "{8-4-4-4-12 hex}".
pub(crate) fn is_braced_guid(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return false;
    };
    let parts: Vec<&str> = inner.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A password that satisfies AD complexity, made of characters no config or URL syntax treats specially.
pub(crate) fn random_password() -> Result<String, String> {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let body: String = random_bytes(20)?
        .iter()
        .map(|b| ALNUM[*b as usize % ALNUM.len()] as char)
        .collect();
    Ok(format!("Kz{body}-7q"))
}

/// Converts Unix seconds to a FILETIME (100 ns ticks since 1601-01-01), as pwdLastSet stores it.
pub fn filetime(unix_secs: i64) -> i64 {
    (unix_secs + 11_644_473_600) * 10_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o, "{i:?}");
        }
    }

    #[test]
    fn folded_and_base64_values_read_back() {
        let text =
            "dn: OU=x\ngPLink: [LDAP://cn=a,cn=policies;0][LDAP://c\n n=b;2]\ngplink:: IGxlYWQ=\n";
        assert_eq!(
            attr_values(text, "gPLink"),
            ["[LDAP://cn=a,cn=policies;0][LDAP://cn=b;2]", " lead"]
        );
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(base64_decode(&base64(s.as_bytes())).unwrap(), s.as_bytes());
        }
    }

    #[test]
    fn unsafe_values_are_base64() {
        assert_eq!(attr_line("a", "plain"), "a: plain\n");
        assert_eq!(attr_line("a", " lead"), "a:: IGxlYWQ=\n");
        assert!(attr_line("a", "ü").starts_with("a:: "));
        assert!(attr_line("a", "x\ny").starts_with("a:: "));
    }

    #[test]
    fn entries_split_on_blank_lines_only() {
        let e = split_entries("# c\n\ndn: a\nx: 1\n  more\n\n\n\r\ndn: b\nchangetype: modify\n-\n");
        assert_eq!(
            e,
            vec!["dn: a\nx: 1\n  more\n", "dn: b\nchangetype: modify\n-\n"]
        );
        assert!(split_entries("\n\n").is_empty());
        let e = split_entries("version: 1\n\ndn: a\nversion: 1\n");
        assert_eq!(
            e,
            vec!["dn: a\nversion: 1\n".to_string()],
            "only the header goes"
        );
    }

    #[test]
    fn guids_and_passwords_have_their_shape() {
        let g = random_guid().unwrap();
        assert!(is_braced_guid(&g), "{g}");
        assert!(!is_braced_guid("{1234}"));
        assert!(!is_braced_guid("31B2F340-016D-11D2-945F-00C04FB984F9"));
        let p = random_password().unwrap();
        assert_eq!(p.len(), 25);
        assert_ne!(p, random_password().unwrap());
        assert_eq!(filetime(1_577_836_800), 132_223_104_000_000_000); // 2020-01-01
    }
}
