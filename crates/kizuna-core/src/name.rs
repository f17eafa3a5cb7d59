//! Device names as Windows writes them in different places, reconciled.
//!
//! The same PC shows up as `PC01` (NetBIOS), `pc01.corp.example.com` (FQDN),
//! `PC01$` (computer account), `\\PC01` (UNC) or `PC01$@CORP.EXAMPLE.COM` (Kerberos).
//! [`DeviceName`] keeps the one key they all share: the upper-case short name.

use std::fmt;

/// A device (computer) name, compared case-insensitively by its short name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceName {
    key: String,
    dns_domain: Option<String>,
}

impl DeviceName {
    /// Parses any of the spellings above. Returns `None` for empty names and for values
    /// that are not computer names (`-`, `%%1311` message references, SIDs).
    pub fn parse(raw: &str) -> Option<DeviceName> {
        let mut s = raw.trim().trim_start_matches('\\').trim();
        if let Some((left, _realm)) = s.split_once('@') {
            s = left;
        }
        let s = s.trim_end_matches('$').trim_end_matches('.');
        if s.is_empty() || s == "-" || s.starts_with("%%") || s.starts_with("S-1-") {
            return None;
        }
        if s.chars()
            .any(|c| c.is_control() || c == ' ' || c == '\\' || c == '/')
        {
            return None;
        }
        let (short, domain) = match s.split_once('.') {
            Some((short, domain)) if !short.is_empty() && !domain.is_empty() => {
                (short, Some(domain.to_ascii_lowercase()))
            }
            _ => (s, None),
        };
        // An IP address is not a name.
        if short.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(DeviceName {
            key: short.to_uppercase(),
            dns_domain: domain,
        })
    }

    /// Upper-case short (NetBIOS-style) name: the comparison key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// DNS domain when the name was given as an FQDN.
    pub fn dns_domain(&self) -> Option<&str> {
        self.dns_domain.as_deref()
    }

    /// Whether a raw account name is a computer account (`NAME$`, possibly `NAME$@REALM`).
    pub fn is_computer_account(raw: &str) -> bool {
        let account = raw.split('@').next().unwrap_or("").trim();
        account.len() > 1 && account.ends_with('$')
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_reconcile() {
        let forms = [
            "PC01",
            "pc01",
            "PC01$",
            "\\\\PC01",
            "pc01.corp.example.com",
            "PC01$@CORP.EXAMPLE.COM",
            "  PC01 ",
        ];
        let keys: Vec<_> = forms
            .iter()
            .map(|f| DeviceName::parse(f).unwrap().key().to_string())
            .collect();
        assert!(keys.iter().all(|k| k == "PC01"), "{keys:?}");
        assert_eq!(
            DeviceName::parse("DC1.internal.greendale.edu")
                .unwrap()
                .dns_domain(),
            Some("internal.greendale.edu")
        );
    }

    #[test]
    fn non_names_are_rejected() {
        for raw in [
            "", "-", "$", "%%1311", "S-1-5-18", "10.0.0.1", "a b", "x\\y",
        ] {
            assert!(DeviceName::parse(raw).is_none(), "{raw:?} accepted");
        }
    }

    #[test]
    fn computer_accounts() {
        assert!(DeviceName::is_computer_account("PC01$"));
        assert!(DeviceName::is_computer_account("PC01$@CORP.LOCAL"));
        assert!(!DeviceName::is_computer_account("alice"));
        assert!(!DeviceName::is_computer_account("$"));
        assert!(!DeviceName::is_computer_account("ANONYMOUS LOGON"));
    }
}

/// A DNS domain name (`corp.example`): two labels or more of letters, digits and hyphens,
/// not all-numeric at the top; lower case, without a trailing dot. Every command taking
/// `--domain` validates through this one type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(s: &str) -> Result<DomainName, String> {
        let name = s.trim().trim_end_matches('.');
        let labels: Vec<&str> = name.split('.').collect();
        let ok = name.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
            && !labels
                .last()
                .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
        if ok {
            Ok(DomainName(name.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{s:?} is not a DNS domain name like corp.example (letters, digits and hyphens, two labels or more)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `DC=corp,DC=example`
    pub fn dn(&self) -> String {
        self.0
            .split('.')
            .map(|l| format!("DC={l}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod domain_tests {
    use super::DomainName;

    #[test]
    fn domain_names() {
        assert_eq!(
            DomainName::parse("Corp.Example.").unwrap().as_str(),
            "corp.example"
        );
        assert_eq!(
            DomainName::parse("corp.example").unwrap().dn(),
            "DC=corp,DC=example"
        );
        for bad in ["corp", "", "-a.b", "a..b", "a b.c", "a.b/c", "10.0.0.1"] {
            let e = DomainName::parse(bad).unwrap_err();
            assert!(e.contains("not a DNS domain name"), "{bad}: {e}");
        }
    }
}
