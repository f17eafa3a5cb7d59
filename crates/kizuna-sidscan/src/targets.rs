//! What a SID scan asks: host names, addresses and IPv4 ranges as the administrator gave
//! them (arguments, a file of them) or the directory's enabled computers. Ranges are
//! counted, never expanded into memory: a /16 costs a few bytes until it is asked.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use kizuna_core::directory::DirectorySnapshot;

/// More addresses than a /16 are refused unless the administrator says they mean it.
pub const LARGE: u64 = 1 << 16;

/// Why a target cannot be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{0:?}: not a host name, an address or an IPv4 range (a.b.c.d/nn)")]
    Malformed(String),
    #[error("{0:?}: IPv6 ranges are not scanned (name the hosts or their addresses)")]
    Ipv6Range(String),
    #[error(
        "{count} addresses to ask, more than a /16 ({LARGE}): give --yes-large if that is meant"
    )]
    TooLarge { count: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Spec {
    Host(String),
    /// Inclusive, as numbers.
    Range(u32, u32),
}

/// The hosts a scan asks, in the order given; each at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    specs: Vec<Spec>,
    /// Names seen (lower case), so a host given twice is asked once.
    names: HashSet<String>,
    count: u64,
}

impl Targets {
    /// Adds one target as typed: `host`, `\\host` (PsGetSid's form), `host.domain`, an
    /// address, or `a.b.c.d/nn` (a /31 or /32 is every address; wider ranges leave out the
    /// network and broadcast addresses). Blank items and `#` comments are skipped, so the
    /// lines of a hosts file can be given as they are.
    pub fn add(&mut self, item: &str) -> Result<(), TargetError> {
        let item = item.split('#').next().unwrap_or("").trim();
        if item.is_empty() {
            return Ok(());
        }
        if let Some((net, bits)) = item.split_once('/') {
            let bits: u32 = bits
                .parse()
                .map_err(|_| TargetError::Malformed(item.to_string()))?;
            return match net.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) if bits <= 32 => {
                    let (first, last) = range(a, bits);
                    self.push_range(first, last);
                    Ok(())
                }
                Ok(IpAddr::V6(_)) => Err(TargetError::Ipv6Range(item.to_string())),
                _ => Err(TargetError::Malformed(item.to_string())),
            };
        }
        let host = item.trim_start_matches('\\');
        if !valid_host(host) {
            return Err(TargetError::Malformed(item.to_string()));
        }
        self.push_host(host);
        Ok(())
    }

    /// The directory's enabled computers, by `dNSHostName`, else their name in the
    /// directory's DNS domain; returns how many disabled ones were left out.
    pub fn add_directory(&mut self, snapshot: &DirectorySnapshot) -> usize {
        let mut disabled = 0;
        for c in &snapshot.computers {
            if !c.enabled() {
                disabled += 1;
                continue;
            }
            let host = match (&c.dns_host_name, &snapshot.domain.dns_domain) {
                (Some(h), _) if valid_host(h) => h.clone(),
                (_, Some(d)) => format!("{}.{d}", c.name),
                _ => c.name.clone(),
            };
            if valid_host(&host) {
                self.push_host(&host);
            }
        }
        disabled
    }

    fn push_host(&mut self, host: &str) {
        if let Ok(IpAddr::V4(a)) = host.parse::<IpAddr>() {
            let n = u32::from(a);
            if self.in_range(n, self.specs.len()) {
                return;
            }
        }
        if self.names.insert(host.to_ascii_lowercase()) {
            self.specs.push(Spec::Host(host.to_string()));
            self.count += 1;
        }
    }

    fn push_range(&mut self, first: u32, last: u32) {
        // Addresses of earlier ranges are not counted twice (iteration skips them too).
        let mut fresh = 0u64;
        let mut n = first;
        loop {
            if !self.covered(n, self.specs.len()) {
                fresh += 1;
            }
            if n == last {
                break;
            }
            n += 1;
        }
        self.specs.push(Spec::Range(first, last));
        self.count += fresh;
    }

    /// Whether address `n` is asked before the spec at `before`: in an earlier range, or
    /// given by itself (an address given after a range that holds it is never kept).
    fn covered(&self, n: u32, before: usize) -> bool {
        self.in_range(n, before) || self.names.contains(&Ipv4Addr::from(n).to_string())
    }

    /// Whether `n` lies in a range among the first `before` specs.
    fn in_range(&self, n: u32, before: usize) -> bool {
        self.specs[..before]
            .iter()
            .any(|s| matches!(s, Spec::Range(a, b) if (*a..=*b).contains(&n)))
    }

    /// How many hosts will be asked.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Refuses more than [`LARGE`] hosts unless `large` is allowed.
    pub fn check_size(&self, large: bool) -> Result<(), TargetError> {
        if self.count > LARGE && !large {
            return Err(TargetError::TooLarge { count: self.count });
        }
        Ok(())
    }

    /// Every host once, in the order given, ranges expanded as they are reached.
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        self.specs.iter().enumerate().flat_map(move |(i, s)| {
            let (hosts, range): (Option<&str>, Option<(u32, u32)>) = match s {
                Spec::Host(h) => (Some(h.as_str()), None),
                Spec::Range(a, b) => (None, Some((*a, *b))),
            };
            let names = hosts.map(str::to_string).into_iter();
            let addresses = range
                .into_iter()
                .flat_map(|(a, b)| a..=b)
                .filter(move |n| !self.covered(*n, i))
                .map(|n| Ipv4Addr::from(n).to_string());
            names.chain(addresses)
        })
    }
}

/// The first and last address of `a/bits` worth asking.
fn range(a: Ipv4Addr, bits: u32) -> (u32, u32) {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let network = u32::from(a) & mask;
    let broadcast = network | !mask;
    if bits >= 31 {
        (network, broadcast)
    } else {
        (network + 1, broadcast - 1)
    }
}

/// A DNS name, a NetBIOS name or an address: letters, digits, `-`, `_`, `.` and `:`
/// (IPv6), nothing that could be taken for an option or a path.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && !h.starts_with(['-', '.'])
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::directory::{DirComputer, DirDomain};

    fn targets(items: &[&str]) -> Targets {
        let mut t = Targets::default();
        for i in items {
            t.add(i).unwrap();
        }
        t
    }

    #[test]
    fn names_addresses_and_ranges_in_the_order_given_each_once() {
        let t = targets(&[
            "pc-1",
            r"\\PC-2",
            "# a comment",
            "",
            "10.0.0.1",
            "10.0.0.0/30",
            "10.0.0.2",
            "PC-1",
            "10.0.0.1/32",
            "10.0.0.8/31  # two",
        ]);
        let all: Vec<String> = t.iter().collect();
        assert_eq!(
            all,
            [
                "pc-1", "PC-2", "10.0.0.1", "10.0.0.2", "10.0.0.8", "10.0.0.9"
            ]
        );
        assert_eq!(t.len(), all.len() as u64);
    }

    #[test]
    fn ranges_are_bounded_and_counted_without_expansion() {
        let t = targets(&["10.0.0.0/16"]);
        assert_eq!(t.len(), 65_534);
        assert!(t.check_size(false).is_ok());
        let t = targets(&["10.0.0.0/15"]);
        assert_eq!(
            t.check_size(false),
            Err(TargetError::TooLarge { count: 131_070 })
        );
        assert!(t.check_size(true).is_ok());
        assert_eq!(t.iter().nth(131_069).as_deref(), Some("10.1.255.254"));
    }

    #[test]
    fn what_is_not_a_target_is_refused_by_name() {
        let mut t = Targets::default();
        for bad in ["--user", "a b", "10.0.0.0/33", "x/8", "../etc", "h;rm"] {
            assert!(
                matches!(t.add(bad), Err(TargetError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(t.add("fe80::/64"), Err(TargetError::Ipv6Range(_))));
        assert!(t.is_empty());
    }

    #[test]
    fn the_directory_gives_its_enabled_computers() {
        let computer = |name: &str, dns: Option<&str>, uac: u32| DirComputer {
            dn: format!("CN={name},CN=Computers,DC=lab,DC=test"),
            name: name.into(),
            sam_account_name: Some(format!("{name}$")),
            dns_host_name: dns.map(Into::into),
            user_account_control: uac,
            ..Default::default()
        };
        let snap = DirectorySnapshot {
            domain: DirDomain {
                dns_domain: Some("lab.test".into()),
                ..Default::default()
            },
            computers: vec![
                computer("PC1", Some("pc1.lab.test"), 0x1000),
                computer("PC2", None, 0x1000),
                computer("OLD", Some("old.lab.test"), 0x1002),
            ],
            ..Default::default()
        };
        let mut t = Targets::default();
        assert_eq!(t.add_directory(&snap), 1);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            ["pc1.lab.test", "PC2.lab.test"]
        );
    }
}
