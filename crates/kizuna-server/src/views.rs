//! Selections the API and the web pages share: which devices a filter shows in which
//! order, and the events about one device. One definition, so a page and an API call
//! with the same query show the same devices.

use std::collections::{HashMap, VecDeque};

use kizuna_core::{DeviceName, EventRecord, Severity};
use kizuna_rules::{Analysis, Device};
use kizuna_store::{FactFilter, Store};

use crate::error::ApiError;

/// How devices are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Severity,
    Findings,
}

/// A device filter, sort and page (`q`, `role`, `severity`, `sort`, `order`, `limit`,
/// `offset`).
#[derive(Debug, Clone)]
pub struct DeviceQuery {
    /// Part of the name, domain or SID, upper case.
    pub text: Option<String>,
    pub role: Option<String>,
    /// Devices whose worst finding is at least this.
    pub severity: Option<Severity>,
    pub sort: SortBy,
    pub desc: bool,
    pub limit: usize,
    pub offset: usize,
}

/// One device as listed: the device, its worst finding and how many findings name it.
pub struct Listed<'a> {
    pub device: &'a Device,
    pub worst: Option<Severity>,
    pub findings: usize,
}

pub fn number(
    q: &HashMap<String, String>,
    key: &str,
    default: u64,
    max: u64,
) -> Result<u64, ApiError> {
    // An empty value is refused, not taken as absent: no form sends these empty, and a
    // caller that sends `?limit=` meant something.
    match q.get(key).map(String::as_str) {
        None => Ok(default),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n <= max && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(ApiError::bad_request(format!("{key}: {s:?} (0 to {max})"))),
        },
    }
}

pub fn severity(q: &HashMap<String, String>) -> Result<Option<Severity>, ApiError> {
    let names = Severity::ALL.map(|s| s.as_str());
    Ok(one_of(q, "severity", &names)?.and_then(|s| s.parse::<Severity>().ok()))
}

/// A parameter that must be one of `allowed`, exactly as written (the OpenAPI
/// description's enum); empty counts as absent (an HTML form's "any").
pub fn one_of<'a>(
    q: &HashMap<String, String>,
    key: &str,
    allowed: &[&'a str],
) -> Result<Option<&'a str>, ApiError> {
    match q.get(key).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .map(|a| Some(*a))
            .ok_or_else(|| ApiError::bad_request(format!("{key}: {v:?} ({})", allowed.join(", ")))),
    }
}

impl DeviceQuery {
    /// From query parameters; empty values count as absent (an HTML form sends them).
    pub fn parse(q: &HashMap<String, String>, default_limit: u64) -> Result<DeviceQuery, ApiError> {
        let given = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let sort = match one_of(q, "sort", &["name", "severity", "findings"])? {
            None | Some("name") => SortBy::Name,
            Some("severity") => SortBy::Severity,
            Some(_) => SortBy::Findings,
        };
        let desc = one_of(q, "order", &["asc", "desc"])? == Some("desc");
        Ok(DeviceQuery {
            text: given("q").map(str::to_uppercase),
            role: given("role").map(str::to_string),
            severity: severity(q)?,
            sort,
            desc,
            limit: number(q, "limit", default_limit, 1000)? as usize,
            offset: number(q, "offset", 0, u64::MAX)? as usize,
        })
    }

    /// The devices the filter keeps, sorted (ties by name, so pages never overlap): the
    /// total and one page.
    pub fn select<'a>(&self, analysis: &'a Analysis) -> (usize, Vec<Listed<'a>>) {
        let by_device = kizuna_report::findings_by_device(analysis);
        let mut rows: Vec<Listed<'a>> = analysis
            .devices
            .iter()
            .map(|d| {
                let (worst, findings) = by_device
                    .get(d.name.as_str())
                    .copied()
                    .map_or((None, 0), |(s, n)| (Some(s), n));
                Listed {
                    device: d,
                    worst,
                    findings,
                }
            })
            .filter(|l| {
                self.role
                    .as_deref()
                    .is_none_or(|r| l.device.role.as_str() == r)
            })
            .filter(|l| {
                self.severity
                    .is_none_or(|m| l.worst.is_some_and(|w| w >= m))
            })
            .filter(|l| {
                let d = l.device;
                self.text.as_deref().is_none_or(|t| {
                    d.name.contains(t)
                        || d.domain
                            .as_deref()
                            .is_some_and(|x| x.to_uppercase().contains(t))
                        || d.machine_sid.is_some_and(|s| s.to_string().contains(t))
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            let primary = match self.sort {
                SortBy::Severity => a.worst.cmp(&b.worst),
                SortBy::Findings => a.findings.cmp(&b.findings),
                SortBy::Name => std::cmp::Ordering::Equal,
            };
            let name = a.device.name.cmp(&b.device.name);
            if self.desc {
                primary.reverse().then(if self.sort == SortBy::Name {
                    name.reverse()
                } else {
                    name
                })
            } else {
                primary.then(name)
            }
        });
        let total = rows.len();
        let page = rows
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        (total, page)
    }
}

/// The device key (upper-case short name) of a name as typed.
pub fn device_key(raw: &str) -> Option<String> {
    DeviceName::parse(raw).map(|d| d.key().to_string())
}

/// A device asked for by name: 404 when no device can have that name (an IP address, an
/// empty or SID-like string), as for a name no device has.
pub fn named_device(raw: &str) -> Result<String, ApiError> {
    device_key(raw).ok_or_else(|| ApiError::not_found(format!("no device is named {raw:?}")))
}

/// A `?device=` filter: a name no device can have matches nothing (never every device).
pub fn device_filter(raw: Option<&String>) -> Option<String> {
    raw.map(|d| device_key(d).unwrap_or_default())
}

/// Whether an event is about the device `key` or was logged by it.
pub fn about(e: &EventRecord, key: &str) -> bool {
    e.subject.as_ref().is_some_and(|s| s.key() == key)
        || e.computer
            .as_deref()
            .and_then(DeviceName::parse)
            .is_some_and(|n| n.key() == key)
}

/// The newest `limit` events about `key` that `filter` selects, newest first.
pub fn newest_events(
    store: &Store,
    filter: &FactFilter,
    key: &str,
    limit: usize,
) -> kizuna_store::Result<Vec<EventRecord>> {
    let mut kept: VecDeque<EventRecord> = VecDeque::with_capacity(limit.min(1024));
    store.for_each_event(filter, |e| {
        if limit > 0 && about(&e, key) {
            if kept.len() == limit {
                kept.pop_front();
            }
            kept.push_back(e);
        }
    })?;
    Ok(kept.into_iter().rev().collect())
}
