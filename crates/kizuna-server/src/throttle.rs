//! Failed sign-ins slow an attacker down: after [`MAX_FAILURES`] failures within
//! [`WINDOW`] from one address, or for one account name, sign-in is refused (without
//! checking the password) until the oldest of them ages out. Kept in memory: a restart
//! forgets it, every failure stays in the audit log.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per address or account name within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most; the stalest go first (a flood of addresses cannot grow
/// the map without bound).
const MAX_KEYS: usize = 10_000;

/// Failures per key (`ip:…`, `name:…`), oldest first.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// The keys a sign-in attempt counts against.
pub fn keys(remote: Option<&str>, name: &str) -> Vec<String> {
    let mut k = vec![format!("name:{}", name.trim().to_lowercase())];
    if let Some(ip) = remote {
        k.push(format!("ip:{ip}"));
    }
    k
}

impl Throttle {
    /// How long until an attempt on `keys` is allowed again; `None` when it is now.
    pub fn wait(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| map.get(k))
            .filter_map(|times| {
                let recent: Vec<&Instant> = times
                    .iter()
                    .filter(|t| now.duration_since(**t) < WINDOW)
                    .collect();
                (recent.len() >= MAX_FAILURES)
                    .then(|| WINDOW.saturating_sub(now.duration_since(*recent[0])))
            })
            .max()
    }

    /// Counts a failed attempt against `keys`.
    pub fn fail(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        if map.len() >= MAX_KEYS {
            let stalest = map
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(k, _)| k.clone());
            if let Some(k) = stalest {
                map.remove(&k);
            }
        }
        for k in keys {
            let times = map.entry(k.clone()).or_default();
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= WINDOW)
            {
                times.pop_front();
            }
            times.push_back(now);
            if times.len() > MAX_FAILURES {
                times.pop_front();
            }
        }
    }

    /// A successful sign-in forgets the account name's failures (not the address's).
    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("name:{}", name.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_close_the_door_until_the_first_ages_out() {
        let th = Throttle::default();
        let t0 = Instant::now();
        let k = keys(Some("192.0.2.7"), "Alice");
        for i in 0..MAX_FAILURES as u64 {
            assert_eq!(th.wait(&k, t0 + Duration::from_secs(i)), None, "{i}");
            th.fail(&k, t0 + Duration::from_secs(i));
        }
        let now = t0 + Duration::from_secs(60);
        assert_eq!(th.wait(&k, now), Some(WINDOW - Duration::from_secs(60)));
        // The same name from elsewhere, and another name from the same address.
        assert!(th.wait(&keys(Some("198.51.100.1"), "alice"), now).is_some());
        assert!(th.wait(&keys(Some("192.0.2.7"), "bob"), now).is_some());
        assert_eq!(th.wait(&keys(Some("198.51.100.1"), "bob"), now), None);
        // The first failure ages out: one more attempt is allowed.
        assert_eq!(th.wait(&k, t0 + WINDOW), None);
        // Success forgets the name but not the address.
        th.succeeded("ALICE");
        assert_eq!(th.wait(&keys(None, "alice"), now), None);
        assert!(th.wait(&keys(Some("192.0.2.7"), "carol"), now).is_some());
    }

    #[test]
    fn the_map_stays_bounded() {
        let th = Throttle::default();
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 50) {
            th.fail(&[format!("ip:{i}")], t0);
        }
        assert!(th.failures.lock().unwrap().len() <= MAX_KEYS);
    }
}
