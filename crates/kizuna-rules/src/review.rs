//! The weekly review (the article's 週次レビュー): what changed between a baseline and
//! now — findings that are new, persisting or resolved, how the watched events and the
//! failures moved day by day, and the devices an administrator should look at.
//!
//! The baseline's findings come from a recorded scan or from the previous window of the
//! same length; the day-by-day counts always come from the two windows' analyses. The
//! comparison is language-neutral ([`FindingRecord`]); outputs render it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use kizuna_core::{FindingRecord, Severity};

use crate::{Analysis, Role};

/// How a finding or a device moved between the baseline and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    New,
    Persisting,
    Resolved,
}

impl Change {
    pub fn as_str(&self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Persisting => "persisting",
            Change::Resolved => "resolved",
        }
    }
}

/// One finding of the review: now, before, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedFinding {
    pub change: Change,
    pub now: Option<FindingRecord>,
    pub before: Option<FindingRecord>,
}

impl ReviewedFinding {
    /// The finding as it stands (now, else as it was).
    pub fn current(&self) -> &FindingRecord {
        self.now
            .as_ref()
            .or(self.before.as_ref())
            .expect("a reviewed finding has a side")
    }

    /// Subjects that joined and left a persisting finding (a duplicate-SID group that
    /// gained a clone, a DC that stopped failing).
    pub fn subjects_moved(&self) -> (Vec<&str>, Vec<&str>) {
        let (Some(now), Some(before)) = (&self.now, &self.before) else {
            return (Vec::new(), Vec::new());
        };
        let was: BTreeSet<&str> = before.subjects.iter().map(String::as_str).collect();
        let is: BTreeSet<&str> = now.subjects.iter().map(String::as_str).collect();
        (
            is.difference(&was).copied().collect(),
            was.difference(&is).copied().collect(),
        )
    }
}

/// One watched (provider, event id) pair in both windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTrend {
    pub provider: String,
    pub event_id: u32,
    pub before: u64,
    pub now: u64,
}

/// A device with a finding in either window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceTrend {
    pub name: String,
    pub role: Role,
    pub os_build: Option<String>,
    pub change: Change,
    /// The worst finding now (`None` once resolved) and the rules now.
    pub worst: Option<Severity>,
    pub rules: Vec<String>,
    /// Secure-channel failures in the previous window and in this one.
    pub failures_before: u64,
    pub failures_now: u64,
    pub last_failure: Option<NaiveDate>,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// New findings, then persisting, then resolved; most severe first within each.
    pub findings: Vec<ReviewedFinding>,
    /// Devices with a finding in either window: new, persisting, then resolved; most
    /// failures now first, then by name.
    pub devices: Vec<DeviceTrend>,
    /// Every watched pair seen in either window, sorted.
    pub events: Vec<EventTrend>,
    /// Failures per day over both windows, every day from `first` to `last` (zeros
    /// included), so a chart or a sparkline needs nothing else.
    pub failures_per_day: Vec<(NaiveDate, u64)>,
    /// Watched events per day over both windows, likewise.
    pub events_per_day: Vec<(NaiveDate, u64)>,
}

/// Pairs findings of the same rule: identical subjects first, then the largest overlap
/// (a group that gained or lost a member is the same problem, not a new one). Returns
/// (now index, before index) pairs.
fn pair(before: &[FindingRecord], now: &[FindingRecord]) -> Vec<(usize, usize)> {
    let mut candidates = Vec::new();
    for (i, n) in now.iter().enumerate() {
        let is: BTreeSet<&String> = n.subjects.iter().collect();
        for (j, b) in before.iter().enumerate().filter(|(_, b)| b.rule == n.rule) {
            let was: BTreeSet<&String> = b.subjects.iter().collect();
            let overlap = is.intersection(&was).count();
            let exact = is == was;
            if exact || overlap > 0 {
                candidates.push((std::cmp::Reverse((exact, overlap)), i, j));
            }
        }
    }
    candidates.sort();
    let (mut used_now, mut used_before) = (BTreeSet::new(), BTreeSet::new());
    let mut pairs = Vec::new();
    for (_, i, j) in candidates {
        if !used_now.contains(&i) && !used_before.contains(&j) {
            used_now.insert(i);
            used_before.insert(j);
            pairs.push((i, j));
        }
    }
    pairs
}

/// Compares findings: each of `now` is new or persisting, each of `before` left
/// unpaired is resolved.
pub fn compare(before: &[FindingRecord], now: &[FindingRecord]) -> Vec<ReviewedFinding> {
    let pairs: BTreeMap<usize, usize> = pair(before, now).into_iter().collect();
    let paired_before: BTreeSet<usize> = pairs.values().copied().collect();
    let mut out: Vec<ReviewedFinding> = now
        .iter()
        .enumerate()
        .map(|(i, n)| ReviewedFinding {
            change: if pairs.contains_key(&i) {
                Change::Persisting
            } else {
                Change::New
            },
            now: Some(n.clone()),
            before: pairs.get(&i).map(|&j| before[j].clone()),
        })
        .collect();
    out.extend(
        before
            .iter()
            .enumerate()
            .filter(|(j, _)| !paired_before.contains(j))
            .map(|(_, b)| ReviewedFinding {
                change: Change::Resolved,
                now: None,
                before: Some(b.clone()),
            }),
    );
    out.sort_by(|a, b| {
        let (x, y) = (a.current(), b.current());
        (
            a.change,
            std::cmp::Reverse(x.severity),
            &x.rule,
            &x.subjects,
        )
            .cmp(&(
                b.change,
                std::cmp::Reverse(y.severity),
                &y.rule,
                &y.subjects,
            ))
    });
    out
}

fn failures_by_device(a: &Analysis) -> BTreeMap<&str, (u64, NaiveDate)> {
    let mut by = BTreeMap::new();
    for ((device, day), n) in &a.activity.failures_per_day {
        let e = by.entry(device.as_str()).or_insert((0, *day));
        e.0 += n;
        e.1 = e.1.max(*day);
    }
    by
}

/// Every day of `first..=last` with the sum of `counts` on it.
fn daily(
    counts: impl Iterator<Item = (NaiveDate, u64)>,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<(NaiveDate, u64)> {
    let mut by_day: BTreeMap<NaiveDate, u64> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, 0))
        .collect();
    for (d, n) in counts {
        if let Some(v) = by_day.get_mut(&d) {
            *v += n;
        }
    }
    by_day.into_iter().collect()
}

/// The review of `now` (this window's analysis) against `baseline` findings, with the
/// previous window's analysis `before` for the day-by-day counts. `days` is the first
/// and last day of the two windows together.
pub fn review(
    baseline: &[FindingRecord],
    before: &Analysis,
    now: &Analysis,
    days: (NaiveDate, NaiveDate),
) -> Review {
    let current: Vec<FindingRecord> = now.findings.iter().map(FindingRecord::from).collect();
    let findings = compare(baseline, &current);

    // Devices: what each is now, from the findings of both sides.
    let mut rules_now: BTreeMap<&str, (Severity, BTreeSet<&str>)> = BTreeMap::new();
    let mut had_before: BTreeSet<&str> = BTreeSet::new();
    for f in &current {
        for d in &f.subjects {
            let e = rules_now
                .entry(d.as_str())
                .or_insert((f.severity, BTreeSet::new()));
            e.0 = e.0.max(f.severity);
            e.1.insert(f.rule.as_str());
        }
    }
    for f in baseline {
        had_before.extend(f.subjects.iter().map(String::as_str));
    }
    let known: BTreeMap<&str, &crate::Device> = now
        .devices
        .iter()
        .chain(&before.devices)
        .map(|d| (d.name.as_str(), d))
        .rev()
        .collect();
    let (fail_now, fail_before) = (failures_by_device(now), failures_by_device(before));
    let mut devices: Vec<DeviceTrend> = rules_now
        .keys()
        .chain(had_before.iter())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|name| {
            // Subjects that are not devices (a GPO's name) have no row.
            let device = known.get(name)?;
            let now_rules = rules_now.get(name);
            let change = match (now_rules.is_some(), had_before.contains(name)) {
                (true, true) => Change::Persisting,
                (true, false) => Change::New,
                _ => Change::Resolved,
            };
            let last = [fail_now.get(name), fail_before.get(name)]
                .into_iter()
                .flatten()
                .map(|(_, d)| *d)
                .max();
            Some(DeviceTrend {
                name: name.to_string(),
                role: device.role,
                os_build: device.os_build.map(|b| b.to_string()),
                change,
                worst: now_rules.map(|(s, _)| *s),
                rules: now_rules
                    .map(|(_, r)| r.iter().map(|r| r.to_string()).collect())
                    .unwrap_or_default(),
                failures_before: fail_before.get(name).map_or(0, |(n, _)| *n),
                failures_now: fail_now.get(name).map_or(0, |(n, _)| *n),
                last_failure: last,
            })
        })
        .collect();
    devices.sort_by(|a, b| {
        (a.change, std::cmp::Reverse(a.failures_now), &a.name).cmp(&(
            b.change,
            std::cmp::Reverse(b.failures_now),
            &b.name,
        ))
    });

    let mut events: BTreeMap<(String, u32), (u64, u64)> = BTreeMap::new();
    for (p, id, n) in &before.event_counts {
        events.entry((p.clone(), *id)).or_default().0 += n;
    }
    for (p, id, n) in &now.event_counts {
        events.entry((p.clone(), *id)).or_default().1 += n;
    }
    let events = events
        .into_iter()
        .map(|((provider, event_id), (before, now))| EventTrend {
            provider,
            event_id,
            before,
            now,
        })
        .collect();

    let (first, last) = days;
    let both = [before, now];
    Review {
        findings,
        devices,
        events,
        failures_per_day: daily(
            both.iter()
                .flat_map(|a| a.activity.failures_per_day.iter())
                .map(|((_, d), n)| (*d, *n)),
            first,
            last,
        ),
        events_per_day: daily(
            both.iter()
                .flat_map(|a| a.activity.events_per_day.iter())
                .map(|((d, _), n)| (*d, *n)),
            first,
            last,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &str, severity: Severity, subjects: &[&str]) -> FindingRecord {
        FindingRecord {
            rule: rule.to_string(),
            severity,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            args: Vec::new(),
        }
    }

    fn summary(r: &[ReviewedFinding]) -> Vec<(Change, String, Vec<String>)> {
        r.iter()
            .map(|x| {
                (
                    x.change,
                    x.current().rule.clone(),
                    x.current().subjects.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn findings_are_new_persisting_or_resolved() {
        use Severity::*;
        let before = [
            f("KZ-SC-001", High, &["PC01"]),
            f("KZ-SC-001", High, &["PC02"]),
            f("KZ-SID-001", Critical, &["PC10", "PC11"]),
            f("KZ-DC-001", Info, &["DC01", "DC02"]),
        ];
        let now = [
            f("KZ-SID-001", Critical, &["PC10", "PC11", "PC12"]),
            f("KZ-SC-001", Medium, &["PC02"]),
            f("KZ-SC-001", High, &["PC03"]),
            // Same subjects, other rule: not the same problem.
            f("KZ-SC-002", High, &["PC01"]),
        ];
        let r = compare(&before, &now);
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary(&r),
            vec![
                (Change::New, "KZ-SC-001".into(), s(&["PC03"])),
                (Change::New, "KZ-SC-002".into(), s(&["PC01"])),
                (
                    Change::Persisting,
                    "KZ-SID-001".into(),
                    s(&["PC10", "PC11", "PC12"])
                ),
                (Change::Persisting, "KZ-SC-001".into(), s(&["PC02"])),
                (Change::Resolved, "KZ-SC-001".into(), s(&["PC01"])),
                (Change::Resolved, "KZ-DC-001".into(), s(&["DC01", "DC02"])),
            ]
        );
        let group = &r[2];
        assert_eq!(group.subjects_moved(), (vec!["PC12"], vec![]));
        // A persisting finding keeps what it was: the severity dropped.
        assert_eq!(r[3].before.as_ref().unwrap().severity, High);
        assert_eq!(r[3].now.as_ref().unwrap().severity, Medium);
    }

    #[test]
    fn the_exact_match_wins_over_an_overlap() {
        use Severity::*;
        // Two groups; the one with identical members pairs with its twin, the other with
        // the overlapping one.
        let before = [
            f("KZ-SID-002", High, &["A", "B"]),
            f("KZ-SID-002", High, &["A", "B", "C"]),
        ];
        let now = [
            f("KZ-SID-002", High, &["A", "B", "C"]),
            f("KZ-SID-002", High, &["B", "D"]),
        ];
        let r = compare(&before, &now);
        assert!(r.iter().all(|x| x.change == Change::Persisting), "{r:?}");
        let moved: Vec<_> = r.iter().map(ReviewedFinding::subjects_moved).collect();
        assert!(moved.contains(&(vec![], vec![])));
        assert!(moved.contains(&(vec!["D"], vec!["A"])));
    }

    #[test]
    fn nothing_before_makes_everything_new_and_nothing_now_resolves_all() {
        let x = [f("KZ-SC-001", Severity::High, &["PC01"])];
        assert!(compare(&[], &x).iter().all(|r| r.change == Change::New));
        assert!(
            compare(&x, &[])
                .iter()
                .all(|r| r.change == Change::Resolved)
        );
        assert!(compare(&[], &[]).is_empty());
    }

    #[test]
    fn daily_counts_cover_every_day() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        let got = daily([(d(2), 3), (d(2), 1), (d(9), 5)].into_iter(), d(1), d(4));
        assert_eq!(got, vec![(d(1), 0), (d(2), 4), (d(3), 0), (d(4), 0)]);
    }
}
