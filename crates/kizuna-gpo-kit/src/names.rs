//! Where a GPO may be linked, as types: the Refuse GPO's only possible target is the
//! Domain Controllers OU of a validated domain ([`DomainControllersOu`] has no other
//! constructor), and a member GPO's target ([`MemberOu`]) can be neither the domain root
//! (it holds the DCs too) nor the Domain Controllers OU.

use crate::KitError;

pub use kizuna_core::DomainName;

/// `OU=Domain Controllers,<domain DN>`: the one place a Refuse GPO is linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainControllersOu {
    dn: String,
}

impl DomainControllersOu {
    /// The only constructor: derived from the domain, never from a DN given by anyone.
    pub fn of(domain: &DomainName) -> DomainControllersOu {
        DomainControllersOu {
            dn: format!("OU=Domain Controllers,{}", domain.dn()),
        }
    }

    pub fn dn(&self) -> &str {
        &self.dn
    }
}

/// An OU of member computers inside the domain: not the root, not the Domain Controllers OU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOu {
    dn: String,
}

/// Splits a DN into RDNs on unescaped commas, trimming spaces around them.
fn rdns(dn: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in dn.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' => {
                cur.push(c);
                escaped = true;
            }
            ',' => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

impl MemberOu {
    pub fn parse(dn: &str, domain: &DomainName) -> Result<MemberOu, KitError> {
        let bad = |why: &str| KitError::MemberOu {
            dn: dn.to_string(),
            why: why.to_string(),
        };
        let parts = rdns(dn);
        let base = rdns(&domain.dn());
        if parts.len() <= base.len() {
            return Err(bad(
                "it is the domain itself or outside it; a member GPO linked at the domain root reaches the domain controllers too",
            ));
        }
        let (ous, tail) = parts.split_at(parts.len() - base.len());
        if !tail
            .iter()
            .zip(&base)
            .all(|(a, b)| a.replace(' ', "").eq_ignore_ascii_case(b))
        {
            return Err(bad(&format!("it is not inside {}", domain.dn())));
        }
        for rdn in ous {
            let Some((attr, value)) = rdn.split_once('=') else {
                return Err(bad("not a distinguished name (expected OU=…,DC=…)"));
            };
            if !attr.trim().eq_ignore_ascii_case("OU") || value.trim().is_empty() {
                return Err(bad(
                    "GPOs link to OUs: every part before the domain must be OU=…",
                ));
            }
        }
        if ous.len() == 1
            && ous[0]
                .split_once('=')
                .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case("Domain Controllers"))
        {
            return Err(bad(
                "it is the Domain Controllers OU: the member GPO must not reach DCs",
            ));
        }
        let dn = ous
            .iter()
            .chain(std::iter::once(&domain.dn()))
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(",");
        Ok(MemberOu { dn })
    }

    pub fn dn(&self) -> &str {
        &self.dn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ous() {
        let d = DomainName::parse("corp.example").unwrap();
        let ou = MemberOu::parse("OU=Pilot, OU=Workstations,DC=Corp,DC=Example", &d).unwrap();
        assert_eq!(ou.dn(), "OU=Pilot,OU=Workstations,DC=corp,DC=example");
        for bad in [
            "DC=corp,DC=example",
            "OU=Domain Controllers,DC=corp,DC=example",
            "ou=domain controllers,dc=corp,dc=example",
            "OU=Pilot,DC=other,DC=example",
            "CN=Computers,DC=corp,DC=example",
            "Pilot",
            "OU=,DC=corp,DC=example",
        ] {
            assert!(MemberOu::parse(bad, &d).is_err(), "{bad}");
        }
        // An OU *under* one named like the DC OU is a different OU.
        assert!(MemberOu::parse("OU=Domain Controllers,OU=Lab,DC=corp,DC=example", &d).is_ok());
        assert_eq!(
            DomainControllersOu::of(&d).dn(),
            "OU=Domain Controllers,DC=corp,DC=example"
        );
    }
}
