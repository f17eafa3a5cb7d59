//! One run of readers into the store: inputs claimed, facts written, each input marked
//! complete with its last facts (the `Ingest` sink), and the run's reports.

use kizuna_core::{Fact, Ingest, InputKind, InputReport, InputStatus};

use crate::db::{self, Row};
use crate::facts::{
    DIRECTORY_COLUMNS, EVENT_COLUMNS, Fingerprints, IDENTITY_COLUMNS, NETLOGON_COLUMNS,
    export_time_name, kind_name,
};
use crate::{Result, ScanSource, Store, StoreError, ts};

impl Store {
    /// Reports of the inputs handled since the store was opened (this run), sorted by
    /// path. Content found at several paths is read once; every path gets the same
    /// counts, and all but the first name the first.
    pub fn run_inputs(&self) -> Vec<InputReport> {
        let mut all = self.run.clone();
        all.sort_by(|a, b| a.path.cmp(&b.path));
        let mut first: std::collections::HashMap<String, InputReport> = Default::default();
        for r in all.iter().filter(|r| !r.fingerprint.is_empty()) {
            let entry = first
                .entry(r.fingerprint.clone())
                .or_insert_with(|| r.clone());
            // The report that actually read the content carries its counts.
            if r.records > entry.records || !r.errors.is_empty() && entry.errors.is_empty() {
                let path = entry.path.clone();
                *entry = r.clone();
                entry.path = path;
            }
        }
        for r in all.iter_mut().filter(|r| !r.fingerprint.is_empty()) {
            let f = &first[&r.fingerprint];
            let path = std::mem::take(&mut r.path);
            *r = f.clone();
            if f.path != path {
                r.notes.push(same_content_note(&f.path));
            }
            r.path = path;
        }
        all
    }

    /// Ends this run: returns its input reports (as [`Store::run_inputs`]) and starts a
    /// new one. A long-lived store (the server) calls it after each upload, so one
    /// upload's reports never mix with the next one's.
    pub fn take_run(&mut self) -> Vec<InputReport> {
        let reports = self.run_inputs();
        self.run.clear();
        self.claimed.clear();
        reports
    }

    /// Fingerprints of the inputs of this run; `None` when it read no content.
    pub fn run_fingerprints(&self) -> Option<Fingerprints> {
        Fingerprints::new(self.run.iter().map(|r| r.fingerprint.clone()))
    }

    fn input_id(&mut self, fingerprint: &str) -> Result<Option<(i64, bool)>> {
        self.conn.get_mut().query_opt(
            "SELECT id, complete FROM inputs WHERE fingerprint = $1",
            &[&fingerprint],
            |r| Ok((r.int(0)?, r.int(1)? != 0)),
        )
    }

    pub(crate) fn known_input(&mut self, fingerprint: &str) -> Result<Option<InputReport>> {
        match self.input_id(fingerprint)? {
            None => Ok(None),
            Some((id, false)) => {
                // Left over from an interrupted run: forget it and read it again.
                self.begin()?;
                let c = self.conn.get_mut();
                for table in ["events", "netlogon", "identity", "directory_exports"] {
                    c.execute(&format!("DELETE FROM {table} WHERE input_id = $1"), &[&id])?;
                }
                c.execute("DELETE FROM inputs WHERE id = $1", &[&id])?;
                self.commit()?;
                Ok(None)
            }
            Some((id, true)) => self.conn.get_mut().query_opt(
                &format!("SELECT {INPUT_REPORT}, first_path FROM inputs WHERE id = $1"),
                &[&id],
                |r| input_report(&r, r.text(8)?, fingerprint.to_string()),
            ),
        }
    }

    /// Every completely stored input's report (under the path it was first read as),
    /// sorted by that path: what a report over the whole store lists as its inputs.
    pub fn stored_inputs(&self) -> Result<Vec<InputReport>> {
        let mut out = Vec::new();
        self.conn()?.query(
            &format!(
                "SELECT {INPUT_REPORT}, first_path, fingerprint FROM inputs WHERE complete = 1
                 ORDER BY first_path, fingerprint"
            ),
            &[],
            |r| {
                let path = r.opt_text(8)?.unwrap_or_default();
                out.push(input_report(&r, path, r.text(9)?)?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The stored reports of the inputs a recorded scan read, each under the path the
    /// scan read it as, in the scan's order. Inputs no longer completely stored are left
    /// out.
    pub fn recorded_inputs(&self, sources: &[ScanSource]) -> Result<Vec<InputReport>> {
        let mut out = Vec::with_capacity(sources.len());
        let mut c = self.conn()?;
        // As in `run_inputs`: content read at several paths names its first path.
        let mut first: std::collections::HashMap<&str, &str> = Default::default();
        for src in sources {
            let found = c.query_opt(
                &format!(
                    "SELECT {INPUT_REPORT} FROM inputs WHERE fingerprint = $1 AND complete = 1"
                ),
                &[&src.fingerprint],
                |r| input_report(&r, src.path.clone(), src.fingerprint.clone()),
            )?;
            if let Some(mut report) = found {
                let at = *first.entry(&src.fingerprint).or_insert(&src.path);
                if at != src.path {
                    report.notes.push(same_content_note(at));
                }
                out.push(report);
            }
        }
        Ok(out)
    }

    /// The row id of an input being read, created (incomplete) on first use.
    fn open_input(&mut self, fingerprint: &str) -> Result<i64> {
        if let Some((id, _)) = self.input_id(fingerprint)? {
            return Ok(id);
        }
        self.begin()?;
        self.conn.get_mut().insert(
            "INSERT INTO inputs (fingerprint, complete) VALUES ($1, 0) RETURNING id",
            &[&fingerprint],
        )
    }

    fn write_facts(&mut self, fingerprint: &str, facts: Vec<Fact>) -> Result<()> {
        let input = self.open_input(fingerprint)?;
        self.begin()?;
        let (mut events, mut identity, mut netlogon, mut directory) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for fact in facts {
            match fact {
                Fact::Event(e) => {
                    events.push(db::row(&[
                        &input,
                        &e.provider,
                        &e.event_id,
                        &e.qualifiers,
                        &ts(&e.time),
                        &e.record_id.map(|r| r as i64),
                        &e.channel,
                        &e.computer,
                        &e.subject.as_ref().map(|s| s.key()),
                        &e.subject.as_ref().and_then(|s| s.dns_domain()),
                        &e.status.map(|s| s.0),
                        &serde_json::to_string(&e.data).unwrap_or_default(),
                        &serde_json::to_string(&e.named).unwrap_or_default(),
                        &e.binary,
                        &e.source.path,
                        &e.source.offset.map(|o| o as i64),
                        &e.source.line.map(|o| o as i64),
                    ]));
                }
                Fact::Identity(r) => {
                    identity.push(db::row(&[
                        &input,
                        &r.device.as_ref().map(|d| d.key()),
                        &r.device.as_ref().and_then(|d| d.dns_domain()),
                        &r.folder,
                        &r.machine_sid.map(|s| s.to_string()),
                        &r.role.map(|x| x.as_str()),
                        &r.domain,
                        &r.os_build.map(|b| b.build),
                        &r.os_build.and_then(|b| b.ubr),
                        &serde_json::to_string(&r.netlogon).unwrap_or_default(),
                        &r.kind.as_str(),
                        &r.source.path,
                        &r.source.line.map(|o| o as i64),
                        &r.observed.as_ref().map(ts),
                        &r.machine_guid.map(|g| g.to_string()),
                        &serde_json::to_string(&r.hardening).unwrap_or_default(),
                    ]));
                }
                Fact::Directory(d) => {
                    directory.push(db::row(&[
                        &input,
                        &d.snapshot.source,
                        &d.snapshot.domain.default_naming_context,
                        &d.at.as_ref().map(ts),
                        &export_time_name(d.at_from),
                        &serde_json::to_string(&d.snapshot).unwrap_or_default(),
                    ]));
                }
                Fact::Netlogon(n) => {
                    netlogon.push(db::row(&[
                        &input,
                        &n.time.as_ref().map(ts),
                        &n.category,
                        &n.thread,
                        &n.domain,
                        &kind_name(n.kind),
                        &n.status.map(|s| s.0),
                        &n.peer,
                        &n.event_id,
                        &n.device.as_ref().map(|d| d.key()),
                        &n.source.path,
                        &n.source.line.map(|o| o as i64),
                    ]));
                }
            }
        }
        let c = self.conn.get_mut();
        c.insert_rows("events", EVENT_COLUMNS, &events)?;
        c.insert_rows("identity", IDENTITY_COLUMNS, &identity)?;
        c.insert_rows("netlogon", NETLOGON_COLUMNS, &netlogon)?;
        c.insert_rows("directory_exports", DIRECTORY_COLUMNS, &directory)?;
        Ok(())
    }

    fn finish_input(&mut self, report: &InputReport) -> Result<()> {
        // No content, or content another path of this run reads (the placeholder `known`
        // gave): that path's reader writes the row. Were this one written first, the
        // content would stay "unknown, 0 records" whatever the reader found.
        if report.fingerprint.is_empty() || report.kind == InputKind::Unknown {
            return Ok(());
        }
        let id = self.open_input(&report.fingerprint)?;
        self.begin()?;
        self.conn.get_mut().execute(
            "UPDATE inputs SET first_path = $2, kind = $3, status = $4, records = $5, kept = $6,
                errors = $7, error_count = $8, notes = $9, size = $10, complete = 1
             WHERE id = $1 AND complete = 0",
            &[
                &id,
                &report.path,
                &report.kind.as_str(),
                &report.status.as_str(),
                &(report.records as i64),
                &(report.kept as i64),
                &serde_json::to_string(&report.errors).unwrap_or_default(),
                &(report.error_count as i64),
                &serde_json::to_string(&report.notes).unwrap_or_default(),
                &(report.size as i64),
            ],
        )?;
        self.commit()
    }
}

fn same_content_note(first: &str) -> String {
    format!("same content as {first}")
}

/// The columns of `inputs` that [`input_report`] reads, in its order.
const INPUT_REPORT: &str = "kind, status, records, kept, errors, error_count, notes, size";

/// An input's report from the [`INPUT_REPORT`] columns, under `path`.
fn input_report(r: &Row<'_>, path: String, fingerprint: String) -> Result<InputReport> {
    Ok(InputReport {
        path,
        kind: InputKind::parse(&r.text(0)?),
        status: InputStatus::parse(&r.text(1)?),
        records: r.int(2)? as u64,
        kept: r.int(3)? as u64,
        errors: serde_json::from_str(&r.text(4)?).unwrap_or_default(),
        error_count: r.int(5)? as u64,
        notes: serde_json::from_str(&r.text(6)?).unwrap_or_default(),
        fingerprint,
        size: r.int(7)? as u64,
    })
}

/// A device name stored as its key and DNS domain.
impl Ingest for Store {
    type Error = StoreError;

    fn known(&mut self, fingerprint: &str) -> Result<Option<InputReport>> {
        if !self.claimed.insert(fingerprint.to_string()) {
            // Being read (or read) in this run under another path: counted once.
            return Ok(Some(InputReport::new(
                String::new(),
                InputKind::Unknown,
                fingerprint.to_string(),
                0,
            )));
        }
        self.known_input(fingerprint)
    }

    fn facts(&mut self, fingerprint: &str, facts: Vec<Fact>) -> Result<()> {
        self.write_facts(fingerprint, facts)
    }

    fn finish(&mut self, report: InputReport) -> Result<()> {
        self.finish_input(&report)?;
        self.run.push(report);
        Ok(())
    }
}
