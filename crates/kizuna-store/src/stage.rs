//! Stage, then commit. An upload is read into a staging store of its own (no lock on the
//! shared store is held while archives unpack and readers parse), then taken into the
//! shared store inside one transaction with its scan and audit rows: the whole upload
//! becomes visible at once, or — after a crash at any point — none of it.
//!
//! Paths are settled here too: content read at several paths keeps the smallest of them,
//! so what is stored (and what findings cite) does not depend on the order in which
//! files, archives or uploads arrived.

use std::collections::BTreeMap;

use kizuna_core::SourceRef;

use crate::db::{self, Value};
use crate::facts::{DIRECTORY_COLUMNS, EVENT_COLUMNS, IDENTITY_COLUMNS, NETLOGON_COLUMNS};
use crate::{Result, Store, StoreError};

/// The tables holding an input's facts, with the columns an input's rows are copied by
/// (the first is always `input_id`).
const FACT_TABLES: [(&str, &[&str]); 4] = [
    ("events", EVENT_COLUMNS),
    ("netlogon", NETLOGON_COLUMNS),
    ("identity", IDENTITY_COLUMNS),
    ("directory_exports", DIRECTORY_COLUMNS),
];

/// The columns of an input row copied as they are.
const INPUT_COLUMNS: &[&str] = &[
    "fingerprint",
    "first_path",
    "kind",
    "status",
    "records",
    "kept",
    "errors",
    "error_count",
    "notes",
    "size",
];

/// Fact rows copied per query: bounds the memory an input of any size takes to copy.
const ROWS_PER_COPY: i64 = 4096;

/// Fingerprints looked up per query.
const LOOKUP_CHUNK: usize = 400;

impl Store {
    /// Runs `f` in one transaction: nothing `f` does (reading inputs, recording a scan,
    /// writing the audit log) is committed before it returns `Ok`, and all of it is rolled
    /// back when it returns an error.
    pub fn atomically<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.commit()?;
        self.begin()?;
        self.held = true;
        let out = f(self);
        self.held = false;
        match out {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                self.in_tx = false;
                // The error that made us roll back is the one worth reporting.
                let _ = self.conn.get_mut().rollback();
                Err(e)
            }
        }
    }

    /// Takes what `staged` read in its run into this store: every completely read input
    /// this store lacks, with its facts, then `staged`'s run reports as this store's run
    /// (so [`Store::take_run`] and [`Store::run_fingerprints`] answer for the upload), and
    /// settles the paths. Meant to run inside [`Store::atomically`].
    pub fn absorb(&mut self, staged: &mut Store) -> Result<()> {
        let mut inputs: Vec<(i64, String, Vec<Value>)> = Vec::new();
        staged.conn()?.query(
            &format!(
                "SELECT id, {} FROM inputs WHERE complete = 1 ORDER BY id",
                INPUT_COLUMNS.join(", ")
            ),
            &[],
            |r| {
                let values = (1..=INPUT_COLUMNS.len())
                    .map(|i| r.value(i))
                    .collect::<Result<Vec<_>>>()?;
                inputs.push((r.int(0)?, r.text(1)?, values));
                Ok(())
            },
        )?;
        for (from, fingerprint, values) in inputs {
            if self.known_input(&fingerprint)?.is_some() {
                continue;
            }
            self.begin()?;
            let placeholders: Vec<String> =
                (1..=INPUT_COLUMNS.len()).map(|i| format!("${i}")).collect();
            let args: Vec<&dyn db::ToArg> = values.iter().map(|v| v as &dyn db::ToArg).collect();
            let to = self.conn.get_mut().insert(
                &format!(
                    "INSERT INTO inputs ({}, complete) VALUES ({}, 1) RETURNING id",
                    INPUT_COLUMNS.join(", "),
                    placeholders.join(", ")
                ),
                &args,
            )?;
            for (table, columns) in FACT_TABLES {
                copy_rows(staged, self, table, columns, from, to)?;
            }
        }
        let reports = staged.take_run();
        self.run.extend(reports);
        self.settle_paths()?;
        self.commit()
    }

    /// Gives each content of this run the smallest of the paths it was read at, in this
    /// run or before: its facts, its input row and (for a hive) the folder that names its
    /// device follow. Content is read once whatever the paths (the first reader to claim
    /// it wins a race), so without this the stored path — and the evidence findings cite —
    /// would depend on the order of arguments, threads and uploads.
    pub fn settle_paths(&mut self) -> Result<()> {
        let mut smallest: BTreeMap<String, String> = BTreeMap::new();
        for r in self.run.iter().filter(|r| !r.fingerprint.is_empty()) {
            let e = smallest
                .entry(r.fingerprint.clone())
                .or_insert_with(|| r.path.clone());
            if r.path < *e {
                e.clone_from(&r.path);
            }
        }
        let wanted: Vec<(String, String)> = smallest.into_iter().collect();
        let mut moves: Vec<(i64, String, String)> = Vec::new();
        for chunk in wanted.chunks(LOOKUP_CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let args: Vec<&dyn db::ToArg> =
                chunk.iter().map(|(f, _)| f as &dyn db::ToArg).collect();
            let mut stored: BTreeMap<String, (i64, String)> = BTreeMap::new();
            self.conn()?.query(
                &format!(
                    "SELECT fingerprint, id, first_path FROM inputs
                     WHERE complete = 1 AND fingerprint IN ({})",
                    placeholders.join(", ")
                ),
                &args,
                |r| {
                    let path = r.opt_text(2)?.unwrap_or_default();
                    stored.insert(r.text(0)?, (r.int(1)?, path));
                    Ok(())
                },
            )?;
            for (fingerprint, path) in chunk {
                if let Some((id, old)) = stored.remove(fingerprint)
                    && *path < old
                {
                    moves.push((id, old, path.clone()));
                }
            }
        }
        for (id, old, new) in moves {
            self.move_input(id, &old, &new)?;
        }
        self.commit()
    }

    /// Moves input `id`'s facts from path `old` to `new`.
    fn move_input(&mut self, id: i64, old: &str, new: &str) -> Result<()> {
        self.begin()?;
        let c = self.conn.get_mut();
        for (table, _) in &FACT_TABLES[..3] {
            c.execute(
                &format!("UPDATE {table} SET path = $2 WHERE input_id = $1"),
                &[&id, &new],
            )?;
        }
        if let Some(was) = SourceRef::folder_of(old) {
            c.execute(
                "UPDATE identity SET folder = $3 WHERE input_id = $1 AND folder = $2",
                &[&id, &was, &SourceRef::folder_of(new)],
            )?;
        }
        // A directory export's snapshot names its source inside too.
        let mut exports: Vec<(i64, String)> = Vec::new();
        c.query(
            "SELECT id, snapshot FROM directory_exports WHERE input_id = $1",
            &[&id],
            |r| {
                exports.push((r.int(0)?, r.text(1)?));
                Ok(())
            },
        )?;
        for (row, snapshot) in exports {
            let mut v: serde_json::Value = serde_json::from_str(&snapshot)
                .map_err(|e| StoreError::Corrupt(format!("directory snapshot {row}: {e}")))?;
            if v.get("source").and_then(|s| s.as_str()) == Some(old) {
                v["source"] = serde_json::Value::String(new.to_string());
            }
            c.execute(
                "UPDATE directory_exports SET path = $2, snapshot = $3 WHERE id = $1",
                &[&row, &new, &v.to_string()],
            )?;
        }
        c.execute(
            "UPDATE inputs SET first_path = $2 WHERE id = $1",
            &[&id, &new],
        )?;
        Ok(())
    }
}

/// Copies input `from`'s rows of `table` in `source` to input `to` in `target`, a
/// bounded number of rows at a time, in their order.
fn copy_rows(
    source: &Store,
    target: &mut Store,
    table: &str,
    columns: &[&str],
    from: i64,
    to: i64,
) -> Result<()> {
    let select = format!(
        "SELECT id, {} FROM {table} WHERE input_id = $1 AND id > $2 ORDER BY id LIMIT {ROWS_PER_COPY}",
        columns[1..].join(", ")
    );
    let mut after = 0i64;
    loop {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut last = after;
        source.conn()?.query(&select, &[&from, &after], |r| {
            last = r.int(0)?;
            let mut row = Vec::with_capacity(columns.len());
            row.push(Value::Int(to));
            for i in 1..columns.len() {
                row.push(r.value(i)?);
            }
            rows.push(row);
            Ok(())
        })?;
        if rows.is_empty() {
            return Ok(());
        }
        after = last;
        target.conn.get_mut().insert_rows(table, columns, &rows)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FactFilter;
    use crate::test_stores::each;
    use kizuna_core::{
        DeviceName, DeviceRole, EventRecord, Fact, IdentityRecord, IdentitySource, Ingest,
        InputKind, InputReport, NtStatus,
    };

    /// A hive's identity fact and a NETLOGON event, both read at `path`.
    fn facts_at(path: &str) -> Vec<Fact> {
        let source = SourceRef {
            path: path.into(),
            offset: None,
            line: None,
        };
        vec![
            Fact::Identity(IdentityRecord {
                device: None,
                folder: SourceRef::folder_of(path),
                machine_sid: None,
                machine_guid: None,
                role: Some(DeviceRole::Workstation),
                domain: None,
                os_build: None,
                netlogon: Default::default(),
                hardening: Default::default(),
                observed: None,
                kind: IdentitySource::HiveSystem,
                source: source.clone(),
            }),
            Fact::Event(EventRecord {
                provider: "NETLOGON".into(),
                event_id: 5805,
                qualifiers: Some(0),
                time: "2026-01-01T00:00:00Z".parse().unwrap(),
                record_id: Some(7),
                channel: Some("System".into()),
                computer: Some("DC1".into()),
                data: vec!["PC1".into()],
                named: Default::default(),
                binary: None,
                status: Some(NtStatus(0xC0000022)),
                subject: DeviceName::parse("PC1.corp.example"),
                source,
            }),
        ]
    }

    /// Reads content `fp` found at `paths` as the readers do: the first path claims and
    /// reads it, the others are told it is known and finish under their own path.
    fn read_at(s: &mut Store, fp: &str, paths: &[&str]) {
        for path in paths {
            match s.known(fp).unwrap() {
                None => {
                    s.facts(fp, facts_at(path)).unwrap();
                    let mut r = InputReport::new(path.to_string(), InputKind::Evtx, fp.into(), 9);
                    r.records = 2;
                    r.kept = 2;
                    s.finish(r).unwrap();
                }
                Some(mut earlier) => {
                    earlier.path = path.to_string();
                    s.finish(earlier).unwrap();
                }
            }
        }
    }

    /// Paths, hive folders and input rows as stored.
    fn stored_paths(s: &Store) -> (Vec<String>, Vec<Option<String>>, Vec<String>) {
        let mut events = Vec::new();
        s.for_each_event(&FactFilter::default(), |e| events.push(e.source.path))
            .unwrap();
        let mut folders = Vec::new();
        s.for_each_identity(&FactFilter::default(), |r| folders.push(r.folder))
            .unwrap();
        let inputs = s
            .stored_inputs()
            .unwrap()
            .into_iter()
            .map(|r| r.path)
            .collect();
        (events, folders, inputs)
    }

    #[test]
    fn content_keeps_its_smallest_path_whatever_order_it_came_in() {
        each(|loc| {
            let fresh = || {
                crate::Store::connect(&match loc {
                    crate::Location::Sqlite(p) => {
                        let _ = std::fs::remove_file(p);
                        crate::Location::Sqlite(p.clone())
                    }
                    crate::Location::Postgres(_) => crate::test_stores::postgres_location(),
                })
                .unwrap()
            };
            let orders: [&[&[&str]]; 3] = [
                // One run, larger path first; two runs, either order.
                &[&["z.zip!/PC1/SYSTEM", "a/PC1/SYSTEM"]],
                &[&["z.zip!/PC1/SYSTEM"], &["a/PC1/SYSTEM"]],
                &[&["a/PC1/SYSTEM"], &["z.zip!/PC1/SYSTEM"]],
            ];
            for runs in orders {
                let mut s = fresh();
                for paths in runs {
                    read_at(&mut s, "fp1", paths);
                    s.settle_paths().unwrap();
                    s.take_run();
                }
                assert_eq!(
                    stored_paths(&s),
                    (
                        vec!["a/PC1/SYSTEM".to_string()],
                        vec![Some("a/PC1".to_string())],
                        vec!["a/PC1/SYSTEM".to_string()]
                    ),
                    "{runs:?} on {loc}"
                );
            }
        });
    }

    #[test]
    fn an_absorbed_upload_is_all_there_or_not_there_at_all() {
        each(|loc| {
            let dir = tempfile::tempdir().unwrap();
            let mut main = crate::Store::connect(loc).unwrap();
            // Already stored: content 1 at a larger path.
            read_at(&mut main, "fp1", &["z/PC1/SYSTEM"]);
            main.take_run();

            let stage = |name: &str| {
                let mut staged = crate::Store::staging(&dir.path().join(name)).unwrap();
                read_at(&mut staged, "fp1", &["b/PC1/SYSTEM"]);
                read_at(&mut staged, "fp2", &["b/PC2/SYSTEM"]);
                staged
            };
            let mut staged = stage("s1.db");
            let failed: std::result::Result<(), StoreError> = main.atomically(|m| {
                m.absorb(&mut staged)?;
                m.audit(&crate::AuditRow {
                    id: 0,
                    time: "2026-01-02T00:00:00Z".parse().unwrap(),
                    actor: "token:t".into(),
                    action: "upload".into(),
                    detail: "{}".into(),
                    remote: None,
                })?;
                Err(StoreError::Corrupt("the scan could not be recorded".into()))
            });
            assert!(failed.is_err());
            main.take_run();
            assert_eq!(
                main.counts().unwrap(),
                (1, 1, 0),
                "{loc}: nothing new stays"
            );
            assert_eq!(
                stored_paths(&main).2,
                vec!["z/PC1/SYSTEM".to_string()],
                "{loc}: no path moved either"
            );
            assert!(main.audit_log(10).unwrap().is_empty(), "{loc}");

            let mut staged = stage("s2.db");
            main.atomically(|m| m.absorb(&mut staged)).unwrap();
            let run = main.take_run();
            assert_eq!(run.len(), 2, "{loc}: the upload's reports are the run's");
            assert_eq!(main.counts().unwrap(), (2, 2, 0), "{loc}");
            assert_eq!(
                stored_paths(&main),
                (
                    vec!["b/PC1/SYSTEM".to_string(), "b/PC2/SYSTEM".to_string()],
                    vec![Some("b/PC1".to_string()), Some("b/PC2".to_string())],
                    vec!["b/PC1/SYSTEM".to_string(), "b/PC2/SYSTEM".to_string()]
                ),
                "{loc}: the new content is copied, the known one moved to the smaller path"
            );
        });
    }
}
