//! The scan history: each `kizuna scan` that keeps a store records when it ran, over
//! which window, and what it found. `kizuna report --compare-to` reads a scan back as
//! the baseline of a weekly review.
//!
//! Findings are kept language-neutral (rule, severity, subjects, message arguments), so
//! a scan recorded in Japanese is reviewed in English as well.

use crate::db::Begin;
use crate::{Result, Store, StoreError, parse_ts, ts};
use kizuna_core::{FindingRecord, MessageArg, Severity, Timestamp};

/// One recorded scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRow {
    /// Assigned by the store (ignored by [`Store::record_scan`]).
    pub id: i64,
    /// When the scan judged its evidence.
    pub time: Timestamp,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub tool_version: String,
    /// How many inputs and devices it saw.
    pub inputs: usize,
    pub devices: usize,
    /// The workaround expiry the scan judged KZ-POL-004 by, `YYYY-MM-DD`.
    pub expires: Option<String>,
    pub findings: Vec<FindingRecord>,
    /// Who ran it, when not the command line: the caller of a server upload.
    pub actor: Option<String>,
    /// The inputs it read, each under the path it was read as; empty for scans recorded
    /// before kizuna kept them. [`Store::scans`] leaves it empty.
    pub sources: Vec<ScanSource>,
}

/// What a recorded scan found, counted, and whether its report can be rendered again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanTally {
    /// Findings per severity, most severe first.
    pub findings: Vec<(Severity, usize)>,
    /// Its inputs were recorded ([`ScanRow::sources`]).
    pub has_sources: bool,
}

/// One input a scan read: the path it was read under and its content's fingerprint
/// (the key of its stored facts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSource {
    pub path: String,
    pub fingerprint: String,
}

fn args_json(args: &[(String, MessageArg)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(k, v)| {
            let v = match v {
                MessageArg::Text(s) => serde_json::Value::from(s.as_str()),
                MessageArg::Number(n) => serde_json::Value::from(*n),
            };
            (k.clone(), v)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn args_from_json(s: &str) -> Vec<(String, MessageArg)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(s) else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, MessageArg::Text(s))),
            serde_json::Value::Number(n) => n.as_i64().map(|n| (k, MessageArg::Number(n))),
            _ => None,
        })
        .collect()
}

impl Store {
    /// Records a scan and its findings in one transaction; returns its id.
    pub fn record_scan(&mut self, scan: &ScanRow) -> Result<i64> {
        self.write_tx(Begin::Write, |c| {
            let id = c.insert(
                "INSERT INTO scans (time, since, until, tool_version, inputs, devices, expires, actor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &ts(&scan.time),
                    &scan.since.as_ref().map(ts),
                    &scan.until.as_ref().map(ts),
                    &scan.tool_version,
                    &(scan.inputs as i64),
                    &(scan.devices as i64),
                    &scan.expires,
                    &scan.actor,
                ],
            )?;
            for (seq, src) in scan.sources.iter().enumerate() {
                c.execute(
                    "INSERT INTO scan_inputs (scan_id, seq, path, fingerprint)
                     VALUES ($1, $2, $3, $4)",
                    &[&id, &(seq as i64), &src.path, &src.fingerprint],
                )?;
            }
            for (seq, f) in scan.findings.iter().enumerate() {
                c.execute(
                    "INSERT INTO scan_findings (scan_id, seq, rule, severity, subjects, args)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &id,
                        &(seq as i64),
                        &f.rule,
                        &f.severity.as_str(),
                        &serde_json::to_string(&f.subjects).unwrap_or_default(),
                        &args_json(&f.args),
                    ],
                )?;
            }
            Ok(id)
        })
    }

    /// The recorded scans, oldest first, without their findings.
    pub fn scans(&self) -> Result<Vec<ScanRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            "SELECT id, time, since, until, tool_version, inputs, devices, expires, actor
             FROM scans ORDER BY id",
            &[],
            |r| {
                out.push(ScanRow {
                    id: r.int(0)?,
                    time: parse_ts(&r.text(1)?).unwrap_or_default(),
                    since: r.opt_text(2)?.as_deref().and_then(parse_ts),
                    until: r.opt_text(3)?.as_deref().and_then(parse_ts),
                    tool_version: r.text(4)?,
                    inputs: r.int(5)? as usize,
                    devices: r.int(6)? as usize,
                    expires: r.opt_text(7)?,
                    findings: Vec::new(),
                    actor: r.opt_text(8)?,
                    sources: Vec::new(),
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Per recorded scan: its findings by severity and whether it recorded its inputs
    /// (so its report can be rendered again). Scans without findings have no severities.
    pub fn scan_tallies(&self) -> Result<std::collections::BTreeMap<i64, ScanTally>> {
        let mut out: std::collections::BTreeMap<i64, ScanTally> = Default::default();
        let mut c = self.conn()?;
        c.query(
            "SELECT scan_id, severity, COUNT(*) FROM scan_findings GROUP BY scan_id, severity",
            &[],
            |r| {
                let severity: Severity = r.text(1)?.parse().map_err(StoreError::Corrupt)?;
                out.entry(r.int(0)?)
                    .or_default()
                    .findings
                    .push((severity, r.int(2)? as usize));
                Ok(())
            },
        )?;
        c.query("SELECT DISTINCT scan_id FROM scan_inputs", &[], |r| {
            out.entry(r.int(0)?).or_default().has_sources = true;
            Ok(())
        })?;
        for t in out.values_mut() {
            t.findings.sort_by_key(|f| std::cmp::Reverse(f.0));
        }
        Ok(out)
    }

    /// Scan `id` with its findings (in the order recorded), or the latest scan when `id`
    /// is `None`. `Ok(None)` when there is no such scan.
    pub fn scan(&self, id: Option<i64>) -> Result<Option<ScanRow>> {
        let id = match id {
            Some(id) => Some(id),
            None => self
                .conn()?
                .query_one("SELECT MAX(id) FROM scans", &[], |r| r.opt_int(0))?,
        };
        let Some(id) = id else { return Ok(None) };
        let Some(mut scan) = self.scans()?.into_iter().find(|s| s.id == id) else {
            return Ok(None);
        };
        self.conn()?.query(
            "SELECT rule, severity, subjects, args FROM scan_findings
             WHERE scan_id = $1 ORDER BY seq",
            &[&id],
            |r| {
                let rule = r.text(0)?;
                let severity: Severity = r.text(1)?.parse().map_err(|e: String| {
                    StoreError::Corrupt(format!("scan {id}: finding {rule}: {e}"))
                })?;
                scan.findings.push(FindingRecord {
                    rule,
                    severity,
                    subjects: serde_json::from_str(&r.text(2)?).unwrap_or_default(),
                    args: args_from_json(&r.text(3)?),
                });
                Ok(())
            },
        )?;
        self.conn()?.query(
            "SELECT path, fingerprint FROM scan_inputs WHERE scan_id = $1 ORDER BY seq",
            &[&id],
            |r| {
                scan.sources.push(ScanSource {
                    path: r.text(0)?,
                    fingerprint: r.text(1)?,
                });
                Ok(())
            },
        )?;
        Ok(Some(scan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn finding(rule: &str, subjects: &[&str]) -> FindingRecord {
        FindingRecord {
            rule: rule.to_string(),
            severity: Severity::High,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            args: vec![
                ("count".to_string(), MessageArg::Number(3)),
                (
                    "device".to_string(),
                    MessageArg::Text(subjects[0].to_string()),
                ),
            ],
        }
    }

    #[test]
    fn a_scan_round_trips_and_the_latest_is_found() {
        crate::test_stores::stores(a_scan_round_trips_and_the_latest_is_found_in);
    }

    fn a_scan_round_trips_and_the_latest_is_found_in(mut store: Store) {
        assert_eq!(store.scan(None).unwrap(), None);
        let first = ScanRow {
            id: 0,
            time: at("2026-11-14T09:00:00Z"),
            since: Some(at("2026-11-07T09:00:00Z")),
            until: None,
            tool_version: "0.1.0".to_string(),
            inputs: 4,
            devices: 12,
            expires: Some("2027-01-31".to_string()),
            findings: vec![
                finding("KZ-SC-001", &["PC01"]),
                finding("KZ-SID-001", &["PC02", "PC03"]),
            ],
            actor: Some("token:collector".to_string()),
            sources: vec![
                ScanSource {
                    path: "b/System.evtx".to_string(),
                    fingerprint: "f2".to_string(),
                },
                ScanSource {
                    path: "a/netlogon.log".to_string(),
                    fingerprint: "f1".to_string(),
                },
            ],
        };
        let id1 = store.record_scan(&first).unwrap();
        let second = ScanRow {
            time: at("2026-11-21T09:00:00Z"),
            findings: Vec::new(),
            actor: None,
            sources: Vec::new(),
            ..first.clone()
        };
        let id2 = store.record_scan(&second).unwrap();
        assert!(id2 > id1);

        let back = store.scan(Some(id1)).unwrap().unwrap();
        assert_eq!(back, ScanRow { id: id1, ..first });
        let latest = store.scan(None).unwrap().unwrap();
        assert_eq!((latest.id, latest.findings.len()), (id2, 0));
        assert_eq!(store.scan(Some(99)).unwrap(), None);
        let tallies = store.scan_tallies().unwrap();
        assert_eq!(
            tallies.get(&id1),
            Some(&ScanTally {
                findings: vec![(Severity::High, 2)],
                has_sources: true
            })
        );
        assert_eq!(tallies.get(&id2), None, "no findings and no inputs");
        assert_eq!(
            store
                .scans()
                .unwrap()
                .iter()
                .map(|s| (s.id, s.actor.as_deref(), s.sources.len()))
                .collect::<Vec<_>>(),
            vec![(id1, Some("token:collector"), 0), (id2, None, 0)]
        );
    }
}
