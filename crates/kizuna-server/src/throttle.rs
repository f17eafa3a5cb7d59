//! Failed sign-ins slow an attacker down. Every attempt counts as a failure the moment it
//! is allowed (checking and counting are one step, so attempts sent in parallel cannot
//! all slip through) and is taken back when it succeeds. After [`MAX_PER_NAME`] failures
//! for one account name, or [`MAX_PER_ADDRESS`] from one address (an IPv6 /64), within
//! [`WINDOW`], sign-in there is refused without checking the password until the oldest
//! failure ages out. The address limit is higher because many people may share one (a
//! proxy, a NAT). Kept in memory: a restart forgets it; every failure stays in the audit
//! log.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account name within [`WINDOW`].
pub const MAX_PER_NAME: usize = 5;
/// Failures allowed per address within [`WINDOW`].
pub const MAX_PER_ADDRESS: usize = 20;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most (a flood of names or addresses cannot grow memory without
/// bound). When full, keys with nothing recent go first; a key that is refusing
/// attempts is never dropped.
const MAX_KEYS: usize = 10_000;

/// Failures per key (`name:…`, `ip:…`), oldest first, with the key's limit.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

struct Failures {
    max: usize,
    times: VecDeque<Instant>,
}

impl Failures {
    fn recent(&mut self, now: Instant) -> usize {
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.times.pop_front();
        }
        self.times.len()
    }
}

/// An attempt that was let through and counted; give it back with
/// [`Throttle::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Attempt {
    keys: Vec<String>,
    at: Instant,
}

/// The keys an attempt counts against, with their limits. Names are compared without
/// case; IPv6 addresses by their /64 (one host usually holds the whole prefix).
fn keys(remote: Option<IpAddr>, name: &str) -> Vec<(String, usize)> {
    let mut k = vec![(format!("name:{}", name.trim().to_lowercase()), MAX_PER_NAME)];
    match remote {
        Some(IpAddr::V4(a)) => k.push((format!("ip:{a}"), MAX_PER_ADDRESS)),
        Some(IpAddr::V6(a)) => {
            let s = a.segments();
            k.push((
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]),
                MAX_PER_ADDRESS,
            ));
        }
        None => {}
    }
    k
}

impl Throttle {
    /// Lets an attempt by `name` from `remote` through and counts it, or says how long
    /// until one is allowed.
    pub fn attempt(
        &self,
        remote: Option<IpAddr>,
        name: &str,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let keys = keys(remote, name);
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|(k, _)| {
                let f = map.get_mut(k)?;
                (f.recent(now) >= f.max)
                    .then(|| WINDOW.saturating_sub(now.duration_since(f.times[0])))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (k, max) in &keys {
            if !map.contains_key(k) && !make_room(&mut map, now) {
                continue;
            }
            let f = map.entry(k.clone()).or_insert_with(|| Failures {
                max: *max,
                times: VecDeque::new(),
            });
            f.times.push_back(now);
        }
        Ok(Attempt {
            keys: keys.into_iter().map(|(k, _)| k).collect(),
            at: now,
        })
    }

    /// The attempt's password was right: it does not count, and the name's earlier
    /// failures are forgotten (the address's are not).
    pub fn succeeded(&self, a: Attempt) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in &a.keys {
            if k.starts_with("name:") {
                map.remove(k);
            } else if let Some(f) = map.get_mut(k)
                && let Some(i) = f.times.iter().rposition(|t| *t == a.at)
            {
                f.times.remove(i);
            }
        }
    }
}

/// Whether a new key fits: drops keys with nothing recent, then the stalest key that is
/// not refusing attempts. False when every key is refusing (the new one goes uncounted).
fn make_room(map: &mut HashMap<String, Failures>, now: Instant) -> bool {
    if map.len() < MAX_KEYS {
        return true;
    }
    map.retain(|_, f| f.recent(now) > 0);
    if map.len() < MAX_KEYS {
        return true;
    }
    let stalest = map
        .iter()
        .filter(|(_, f)| f.times.len() < f.max)
        .min_by_key(|(_, f)| f.times.back().copied())
        .map(|(k, _)| k.clone());
    match stalest {
        Some(k) => {
            map.remove(&k);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn five_failures_close_a_name_until_the_first_ages_out() {
        let th = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_PER_NAME as u64 {
            th.attempt(ip("192.0.2.7"), "Alice", t0 + Duration::from_secs(i))
                .unwrap();
        }
        let now = t0 + Duration::from_secs(60);
        assert_eq!(
            th.attempt(ip("192.0.2.7"), "alice", now).unwrap_err(),
            WINDOW - Duration::from_secs(60)
        );
        // The same name from elsewhere is refused; another name from there is not.
        assert!(th.attempt(ip("198.51.100.1"), "ALICE ", now).is_err());
        assert!(th.attempt(ip("192.0.2.7"), "bob", now).is_ok());
        // The first failure ages out: one more attempt is allowed.
        assert!(th.attempt(ip("192.0.2.7"), "alice", t0 + WINDOW).is_ok());
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_is_checked() {
        let th = Throttle::default();
        let t0 = Instant::now();
        // Six attempts arrive together: the sixth is refused although none has failed yet.
        let let_through: Vec<_> = (0..6)
            .filter_map(|_| th.attempt(ip("192.0.2.9"), "carol", t0).ok())
            .collect();
        assert_eq!(let_through.len(), MAX_PER_NAME);
        // One of them had the right password: the name is open again.
        th.succeeded(let_through.into_iter().next().unwrap());
        assert!(th.attempt(ip("192.0.2.9"), "carol", t0).is_ok());
    }

    #[test]
    fn an_address_is_closed_after_many_names_and_ipv6_by_its_prefix() {
        let th = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_PER_ADDRESS {
            th.attempt(ip(&format!("2001:db8:1:2::{i:x}")), &format!("user{i}"), t0)
                .unwrap();
        }
        assert!(th.attempt(ip("2001:db8:1:2:ffff::1"), "dave", t0).is_err());
        assert!(th.attempt(ip("2001:db8:1:3::1"), "dave", t0).is_ok());
    }

    #[test]
    fn a_flood_of_keys_stays_bounded_and_never_frees_a_closed_name() {
        let th = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_PER_NAME {
            th.attempt(None, "admin", t0).unwrap();
        }
        for i in 0..(MAX_KEYS + 50) {
            let _ = th.attempt(None, &format!("n{i}"), t0);
        }
        assert!(th.failures.lock().unwrap().len() <= MAX_KEYS);
        assert!(th.attempt(None, "admin", t0).is_err(), "still closed");
    }
}
