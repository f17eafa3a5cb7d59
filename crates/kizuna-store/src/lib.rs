//! The store: every fact kizuna has read, keyed by the content fingerprint of its input.
//!
//! Readers hand facts over through [`kizuna_core::Ingest`]; rules and outputs read
//! them back from here. An input is marked complete only after its last fact is written,
//! in the same transaction, so a run killed half-way leaves nothing that a re-run would
//! count twice: incomplete inputs are purged and read again. Content already stored is
//! never read again, so re-scanning the same evidence adds nothing.
//!
//! The same database keeps the staged workaround / rollback plans (`plan`): their phases
//! and an append-only log of who moved them, when and why; and the history of the scans
//! run on it (`scans`), the baseline of the weekly review.

mod access;
mod db;
mod facts;
mod location;
mod pg_tls;
mod plan;
mod run;
mod scans;
mod schema;
mod stage;

pub use access::{AccountRow, AuditRow, SessionRow, TokenRow};
pub use facts::{FactFilter, Fingerprints, Inputs, kind_name};
pub use location::{Location, PostgresUrl};
pub use plan::{LogRow, PhaseChange, PhaseRow, PlanRow};
pub use scans::{ScanRow, ScanSource, ScanTally};

use std::cell::{RefCell, RefMut};
use std::path::Path;

use chrono::SecondsFormat;
use kizuna_core::InputReport;
use kizuna_core::Timestamp;
use rusqlite::Connection;

use db::{Begin, Conn};

/// Store errors, with what the store was doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database {location}: {source}")]
    Connect {
        /// Where, without any password.
        location: String,
        source: location::ConnectError,
    },
    #[error("database: {}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("the store is busy with another query (a callback called back into the store)")]
    Busy,
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot create a temporary database: {0}")]
    Temporary(std::io::Error),
    #[error("database schema version {found} is newer than this kizuna understands ({supported})")]
    TooNew { found: i64, supported: i64 },
    /// The plan's phases changed since they were read (someone else moved it).
    #[error("the plan changed meanwhile (moved by someone else?): read its status again")]
    PlanChanged,
    #[error("database holds an unreadable value: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// PostgreSQL's own words for a server error (its message and detail), else the client's.
fn postgres_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{}: {d}", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// A store: an SQLite file or a PostgreSQL database, with the same tables and the same
/// answers. Queries take `&self`; the connection is borrowed for the query's length, so a
/// callback handed to a query must not call the store again (it gets [`StoreError::Busy`]).
pub struct Store {
    conn: RefCell<Conn>,
    /// Holds a temporary database file alive for the store's lifetime.
    _temp: Option<tempfile::TempDir>,
    /// Reports of the inputs handled in this run, in the order they finished.
    run: Vec<InputReport>,
    /// Fingerprints being read in this run, so the same content at two paths is read once.
    claimed: std::collections::HashSet<String>,
    in_tx: bool,
    /// Inside [`Store::atomically`]: nothing commits until it ends.
    held: bool,
}

/// Whether a database must survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// The user's store: write-ahead log, synced at each commit.
    Kept,
    /// Deleted after the run: no journal on disk, no sync.
    Throwaway,
}

fn ts(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_ts(s: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.to_utc())
}

impl Store {
    /// Opens (creating and migrating) an SQLite database file.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::init(conn, None, Durability::Kept)
    }

    /// Opens (creating and migrating) the store at `location`, creating an SQLite file's
    /// folder when needed.
    pub fn connect(location: &Location) -> Result<Store> {
        match location {
            Location::Sqlite(path) => {
                // A new store may go into a folder that does not exist yet (`--out`).
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
                Self::open(path)
            }
            Location::Postgres(url) => {
                let client = url.connect().map_err(|source| StoreError::Connect {
                    location: url.to_string(),
                    source,
                })?;
                let mut conn = Conn::Postgres(Box::new(db::PgConn::new(client)));
                schema::migrate(&mut conn)?;
                Ok(Self::with(conn, None))
            }
        }
    }

    /// A throw-away database in a temporary folder: bounded memory for big runs, and
    /// nothing durable to pay for (see [`Store::staging`]).
    pub fn temporary() -> Result<Store> {
        let dir = tempfile::tempdir().map_err(StoreError::Temporary)?;
        let conn = Connection::open(dir.path().join("kizuna.db"))?;
        Self::init(conn, Some(dir), Durability::Throwaway)
    }

    /// A throw-away database at `path` (a file in a folder the caller removes): its
    /// journal in memory, never synced, since it is deleted whether the process ends well
    /// or not. Where an upload waits to be taken into the shared store.
    pub fn staging(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::init(conn, None, Durability::Throwaway)
    }

    fn init(
        conn: Connection,
        temp: Option<tempfile::TempDir>,
        durability: Durability,
    ) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let (journal, sync) = match durability {
            Durability::Kept => ("WAL", "NORMAL"),
            Durability::Throwaway => ("MEMORY", "OFF"),
        };
        conn.pragma_update(None, "journal_mode", journal)?;
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut conn = Conn::Sqlite(conn);
        schema::migrate(&mut conn)?;
        Ok(Self::with(conn, temp))
    }

    fn with(conn: Conn, temp: Option<tempfile::TempDir>) -> Store {
        Store {
            conn: RefCell::new(conn),
            _temp: temp,
            run: Vec::new(),
            claimed: Default::default(),
            in_tx: false,
            held: false,
        }
    }

    /// The connection, for one query or transaction.
    fn conn(&self) -> Result<RefMut<'_, Conn>> {
        self.conn.try_borrow_mut().map_err(|_| StoreError::Busy)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        schema::version(&mut *self.conn()?)
    }

    /// Which database this is: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.conn.try_borrow().as_deref() {
            Ok(Conn::Postgres(_)) => "postgres",
            _ => "sqlite",
        }
    }

    fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            self.conn.get_mut().begin(Begin::Write)?;
            self.in_tx = true;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        if self.in_tx && !self.held {
            self.conn.get_mut().commit()?;
            self.in_tx = false;
        }
        Ok(())
    }

    /// Runs `f` in a transaction of its own (committing any ingest in progress first), or
    /// inside the one [`Store::atomically`] holds.
    fn write_tx<T>(&mut self, how: Begin, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        if self.held {
            return f(self.conn.get_mut());
        }
        self.commit()?;
        self.conn.get_mut().transaction(how, f)
    }

    /// Changes whenever facts or plans change, from this or any other process: what a
    /// cached judgement of the whole store is keyed on. Scans count too: a scan may move
    /// stored facts to a smaller path without adding an input.
    pub fn change_marker(&self) -> Result<String> {
        self.conn()?.query_one(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM inputs),
                    (SELECT COUNT(*) FROM inputs WHERE complete = 1),
                    (SELECT COALESCE(MAX(id), 0) FROM plan_log),
                    (SELECT COALESCE(MAX(id), 0) FROM scans)",
            &[],
            |r| {
                Ok(format!(
                    "{}/{}/{}/{}",
                    r.int(0)?,
                    r.int(1)?,
                    r.int(2)?,
                    r.int(3)?
                ))
            },
        )
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.commit();
    }
}

/// Fresh stores on both databases, for tests that must hold on each.
#[cfg(test)]
pub(crate) mod test_stores {
    use super::*;

    /// Calls `f` with the location of an empty store: an SQLite file, then a new database
    /// on the test PostgreSQL server (started on first use).
    pub fn each(mut f: impl FnMut(&Location)) {
        let dir = tempfile::tempdir().unwrap();
        f(&Location::Sqlite(dir.path().join("k.db")));
        f(&postgres_location());
    }

    /// A new database on the test PostgreSQL server.
    pub fn postgres_location() -> Location {
        kizuna_testbed::postgres::new_database()
            .url
            .parse()
            .unwrap()
    }

    /// An empty store on each database.
    pub fn stores(mut f: impl FnMut(Store)) {
        each(|loc| f(Store::connect(loc).unwrap()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::{
        DeviceName, DeviceRole, Fact, IdentityRecord, IdentitySource, Ingest, InputKind,
        NetlogonEntry, NetlogonKind,
    };
    use kizuna_core::{EventRecord, NtStatus, SourceRef};
    use test_stores::{each, postgres_location};

    fn fact(i: u64) -> Fact {
        Fact::Event(EventRecord {
            provider: "NETLOGON".into(),
            event_id: 5805,
            qualifiers: Some(0),
            time: chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
            record_id: Some(i),
            channel: Some("System".into()),
            computer: Some("DC1".into()),
            data: vec!["PC1".into(), "%%5".into()],
            named: Default::default(),
            binary: Some("220000C0".into()),
            status: Some(NtStatus(0xC0000022)),
            subject: DeviceName::parse("PC1.corp.example"),
            source: SourceRef {
                path: "a.evtx".into(),
                offset: None,
                line: None,
            },
        })
    }

    fn report(fp: &str) -> InputReport {
        let mut r = InputReport::new("a.evtx".into(), InputKind::Evtx, fp.into(), 10);
        r.records = 2;
        r.kept = 2;
        r
    }

    /// Two paths with one content, read on two threads: the path that finds the content
    /// claimed may finish before the reader does; the stored input is still the reader's.
    #[test]
    fn a_duplicate_path_finishing_first_never_overwrites_the_readers_report() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("k.db")).unwrap();
        assert!(s.known("dup").unwrap().is_none(), "the reader claims it");
        let mut placeholder = s.known("dup").unwrap().expect("claimed by the reader");
        placeholder.path = "copy/a.evtx".into();
        s.finish(placeholder).unwrap();
        s.finish(report("dup")).unwrap();
        let stored = s.stored_inputs().unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].kind, stored[0].records), (InputKind::Evtx, 2));
    }

    #[test]
    fn an_interrupted_input_is_purged_and_read_again() {
        each(an_interrupted_input_is_purged_and_read_again_in);
    }

    fn an_interrupted_input_is_purged_and_read_again_in(db: &Location) {
        {
            // A run that dies after writing facts but before finishing the input.
            let mut s = Store::connect(db).unwrap();
            assert!(s.known("abc").unwrap().is_none());
            s.facts("abc", vec![fact(1), fact(2)]).unwrap();
            s.commit().unwrap();
            std::mem::forget(s); // no orderly shutdown
        }
        let mut s = Store::connect(db).unwrap();
        assert_eq!(
            s.counts().unwrap(),
            (1, 2, 0),
            "the half-read input is there, incomplete"
        );
        assert!(
            s.known("abc").unwrap().is_none(),
            "incomplete content is read again"
        );
        assert_eq!(
            s.counts().unwrap(),
            (0, 0, 0),
            "and its facts are gone first"
        );
        s.facts("abc", vec![fact(1), fact(2)]).unwrap();
        s.finish(report("abc")).unwrap();
        drop(s);
        let mut s = Store::connect(db).unwrap();
        let known = s.known("abc").unwrap().expect("complete now");
        assert_eq!(known.records, 2);
        let mut got = Vec::new();
        s.for_each_event(&FactFilter::default(), |e| got.push(e))
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].subject.as_ref().unwrap().dns_domain(),
            Some("corp.example")
        );
        assert_eq!(got[0].status, Some(NtStatus(0xC0000022)));
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
    }

    fn hive_fact(observed: Option<Timestamp>) -> Fact {
        Fact::Identity(IdentityRecord {
            device: DeviceName::parse("PC1"),
            folder: Some("PC1".into()),
            machine_sid: None,
            machine_guid: None,
            role: Some(DeviceRole::Workstation),
            domain: None,
            os_build: None,
            netlogon: [("MaximumPasswordAge".to_string(), 0)].into(),
            hardening: Default::default(),
            observed,
            kind: IdentitySource::HiveSystem,
            source: SourceRef {
                path: "PC1/SYSTEM".into(),
                offset: None,
                line: None,
            },
        })
    }

    fn identities(s: &Store) -> Vec<IdentityRecord> {
        let mut got = Vec::new();
        s.for_each_identity(&FactFilter::default(), |r| got.push(r))
            .unwrap();
        got
    }

    #[test]
    fn a_version_3_store_gains_reading_times_and_keeps_its_facts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        {
            // A store written by the release before migration 4.
            let c = Connection::open(&db).unwrap();
            for sql in &schema::MIGRATIONS[..3] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 3).unwrap();
            c.execute_batch(
                "INSERT INTO inputs (id, fingerprint, complete) VALUES (1, 'old', 1);
                 INSERT INTO identity (input_id, device, netlogon, kind, path)
                 VALUES (1, 'PC0', '{\"RefusePasswordChange\":1}', 'hive-system', 'PC0/SYSTEM');",
            )
            .unwrap();
        }
        let mut s = Store::open(&db).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        assert!(
            s.scans().unwrap().is_empty(),
            "no scan history before migration 5"
        );
        let old = identities(&s);
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].netlogon["RefusePasswordChange"], 1);
        assert_eq!(old[0].observed, None, "not recorded before migration 4");

        let when = parse_ts("2026-11-20T08:30:00.1234567Z");
        s.facts("new", vec![hive_fact(when)]).unwrap();
        s.finish(report("new")).unwrap();
        let got = identities(&s);
        assert_eq!(got.len(), 2);
        let new = got.iter().find(|r| r.source.path == "PC1/SYSTEM").unwrap();
        assert_eq!(new.observed, when, "kept to the 100 ns of a FILETIME");
    }

    #[test]
    fn a_version_7_store_gains_machine_guids_and_keeps_its_facts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        {
            // A store written by the release before migration 8.
            let c = Connection::open(&db).unwrap();
            for sql in &schema::MIGRATIONS[..7] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 7).unwrap();
            c.execute_batch(
                "INSERT INTO inputs (id, fingerprint, complete) VALUES (1, 'old', 1);
                 INSERT INTO identity (input_id, device, netlogon, kind, path)
                 VALUES (1, 'PC0', '{}', 'hive-software', 'PC0/SOFTWARE');",
            )
            .unwrap();
        }
        let mut s = Store::open(&db).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        assert_eq!(identities(&s)[0].machine_guid, None);
        let guid = "{8B1F2A3C-4D5E-6F70-8192-A3B4C5D6E7F8}".parse().ok();
        let Fact::Identity(mut r) = hive_fact(None) else {
            unreachable!()
        };
        r.machine_guid = guid;
        s.facts("new", vec![Fact::Identity(r)]).unwrap();
        s.finish(report("new")).unwrap();
        let got = identities(&s);
        let new = got.iter().find(|r| r.source.path == "PC1/SYSTEM").unwrap();
        assert_eq!(new.machine_guid, guid);
    }

    #[test]
    fn a_version_9_store_gains_hardening_switches_and_keeps_its_facts() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        {
            // A store written by the release before migration 10.
            let c = Connection::open(&db).unwrap();
            for sql in &schema::MIGRATIONS[..9] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 9).unwrap();
            c.execute_batch(
                "INSERT INTO inputs (id, fingerprint, complete) VALUES (1, 'old', 1);
                 INSERT INTO identity (input_id, device, netlogon, kind, path)
                 VALUES (1, 'PC0', '{}', 'hive-system', 'PC0/SYSTEM');",
            )
            .unwrap();
        }
        let mut s = Store::open(&db).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        assert!(identities(&s)[0].hardening.is_empty());
        let Fact::Identity(mut r) = hive_fact(None) else {
            unreachable!()
        };
        r.hardening = [("Lsa\\MachineIdentityIsolation".to_string(), 2)].into();
        s.facts("new", vec![Fact::Identity(r.clone())]).unwrap();
        s.finish(report("new")).unwrap();
        let got = identities(&s);
        let new = got.iter().find(|x| x.source.path == "PC1/SYSTEM").unwrap();
        assert_eq!(new.hardening, r.hardening);
    }

    #[test]
    fn a_newer_postgres_schema_is_refused() {
        let db = postgres_location();
        let mut s = Store::connect(&db).unwrap();
        assert_eq!(s.backend(), "postgres");
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        s.conn
            .get_mut()
            .execute("UPDATE kizuna_schema SET version = 99", &[])
            .unwrap();
        drop(s);
        let err = Store::connect(&db).err().unwrap().to_string();
        assert!(err.contains("99"), "{err}");
    }

    #[test]
    fn a_version_5_postgres_store_gains_the_access_tables_and_keeps_its_facts() {
        let db = postgres_location();
        let Location::Postgres(url) = &db else {
            unreachable!()
        };
        {
            // A store written by the release before migration 6.
            let mut c = url.connect().unwrap();
            c.batch_execute(schema::POSTGRES_BASE).unwrap();
            c.batch_execute(
                "CREATE TABLE kizuna_schema (version BIGINT NOT NULL);
                 INSERT INTO kizuna_schema VALUES (5);
                 INSERT INTO inputs (fingerprint, complete) VALUES ('old', 1);",
            )
            .unwrap();
        }
        let s = Store::connect(&db).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        assert!(s.tokens().unwrap().is_empty());
        let kept = s
            .conn()
            .unwrap()
            .query_one("SELECT COUNT(*) FROM inputs", &[], |r| r.int(0))
            .unwrap();
        assert_eq!(kept, 1);
        drop(s);
        // Opening again migrates nothing twice.
        assert_eq!(
            Store::connect(&db).unwrap().schema_version().unwrap(),
            schema::VERSION
        );
    }

    /// Facts that sort on NULLs, case, non-ASCII paths and equal times come back in the
    /// same order, with the same values, from both databases.
    /// `sslmode` encrypts and verifies against the given CA (the test server's certificate
    /// is signed by its own CA); an unknown CA is refused; no `sslmode` stays plain.
    #[test]
    fn tls_to_postgres_is_encrypted_and_verified() {
        let server = kizuna_testbed::postgres::PgServer::shared().unwrap();
        let db = server.create_database().unwrap();
        let ca = server.ca_file();
        let encrypted = |address: &str| -> std::result::Result<i64, String> {
            let loc: Location = address.parse()?;
            let s = Store::connect(&loc).map_err(|e| e.to_string())?;
            let on = s
                .conn()
                .map_err(|e| e.to_string())?
                .query_one(
                    "SELECT (CASE WHEN ssl THEN 1 ELSE 0 END)::bigint FROM pg_stat_ssl
                     WHERE pid = pg_backend_pid()",
                    &[],
                    |r| r.int(0),
                )
                .map_err(|e| e.to_string())?;
            Ok(on)
        };
        assert_eq!(encrypted(&db.url), Ok(0), "no sslmode: plain");
        let ca_q = ca.display().to_string().replace('/', "%2F");
        assert_eq!(
            encrypted(&format!(
                "{}?sslmode=verify-full&sslrootcert={ca_q}",
                db.url
            )),
            Ok(1)
        );
        let by_name = db.url.replace("@127.0.0.1:", "@localhost:");
        assert_eq!(
            encrypted(&format!("{by_name}?sslrootcert={}", ca.display())),
            Ok(1),
            "a CA file alone asks for TLS; the name is checked against the certificate"
        );
        // libpq's key=value form, with a quoted path.
        let (user_pw, rest) = db.url["postgres://".len()..].split_once('@').unwrap();
        let (user, pw) = user_pw.split_once(':').unwrap();
        let (host_port, name) = rest.split_once('/').unwrap();
        let (host, port) = host_port.split_once(':').unwrap();
        let kv = format!(
            "host={host} port={port} user={user} password={pw} dbname={name} \
             sslmode=verify-ca sslrootcert='{}'",
            ca.display()
        );
        assert_eq!(encrypted(&kv), Ok(1));

        // The system's roots do not know the test CA; another CA is refused too.
        let e = encrypted(&format!("{}?sslmode=require", db.url)).unwrap_err();
        assert!(e.contains("certificate"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("other.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        std::fs::write(&other, params.self_signed(&key).unwrap().pem()).unwrap();
        let e = encrypted(&format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            db.url,
            other.display()
        ))
        .unwrap_err();
        assert!(e.contains("certificate"), "{e}");
        assert!(!e.contains(pw), "no password in errors: {e}");
        let missing = encrypted(&format!("{}?sslrootcert=/nonexistent/ca.pem", db.url));
        assert!(missing.unwrap_err().contains("/nonexistent/ca.pem"));

        let shown: Location = format!("{}?sslmode=require&sslrootcert=/etc/kz/ca.pem", db.url)
            .parse()
            .unwrap();
        let shown = shown.to_string();
        assert!(
            shown.ends_with("?sslmode=verify-full&sslrootcert=/etc/kz/ca.pem")
                && !shown.contains(pw),
            "{shown}"
        );
        assert!(
            format!("{}?sslmode=bogus", db.url)
                .parse::<Location>()
                .unwrap_err()
                .contains("sslmode=bogus")
        );
    }

    #[test]
    fn both_databases_give_the_same_facts_in_the_same_order() {
        let paths = [
            "PC/b.evtx",
            "pc/a.evtx",
            "PC/ä.evtx",
            "PC/B.evtx",
            "PC/_.evtx",
        ];
        let facts = |n: u64| {
            let mut out = Vec::new();
            for i in 0..n {
                let Fact::Event(mut e) = fact(i) else {
                    unreachable!()
                };
                e.source.path = paths[(i % 5) as usize].into();
                e.record_id = (i % 3 != 0).then_some(i % 4);
                e.source.offset = (i % 2 == 0).then_some(i);
                e.time += chrono::Duration::seconds((i % 2) as i64);
                e.status = (i % 4 != 0).then_some(NtStatus(0xC000_0000 + i as u32));
                e.qualifiers = (i % 5 != 0).then_some(16384);
                out.push(Fact::Event(e));
                out.push(hive_fact(None));
                out.push(Fact::Netlogon(NetlogonEntry {
                    time: (i % 3 != 0).then(|| parse_ts("2026-01-01T00:00:00Z").unwrap()),
                    category: Some("SESSION".into()),
                    thread: None,
                    domain: Some("LAB".into()),
                    kind: NetlogonKind::SessionSetupFailed,
                    status: Some(NtStatus(0xC000_0022)),
                    peer: None,
                    event_id: None,
                    device: DeviceName::parse("PC1"),
                    source: SourceRef {
                        path: paths[(i % 5) as usize].into(),
                        offset: None,
                        line: (i % 2 == 0).then_some(i),
                    },
                }));
            }
            out
        };
        let mut seen: Vec<(Vec<EventRecord>, Vec<NetlogonEntry>, usize)> = Vec::new();
        test_stores::stores(|mut s| {
            // More rows than one multi-row INSERT holds, and a shorter last one.
            s.facts("fp", facts(2 * db::ROWS_PER_INSERT as u64 + 203))
                .unwrap();
            s.finish(report("fp")).unwrap();
            let (mut ev, mut nl, mut ids) = (Vec::new(), Vec::new(), 0);
            let all = FactFilter::default();
            s.for_each_event(&all, |e| ev.push(e)).unwrap();
            s.for_each_netlogon(&all, |n| nl.push(n)).unwrap();
            s.for_each_identity(&all, |_| ids += 1).unwrap();
            let n = 2 * db::ROWS_PER_INSERT + 203;
            assert_eq!((ev.len(), nl.len(), ids), (n, n, n), "{}", s.backend());
            seen.push((ev, nl, ids));
        });
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], seen[1], "SQLite and PostgreSQL disagree");
        assert_eq!(
            seen[0].0[0].source.path, "PC/B.evtx",
            "byte order, not the locale's"
        );
        assert_eq!(seen[0].0[0].record_id, None, "NULLs first");
    }

    /// Several processes opening a new store at once (three `kizuna scan --db NEW.db`
    /// started together): each migrates or finds it migrated, none fails.
    #[test]
    fn first_opens_at_once_all_succeed() {
        each(|loc| {
            for _ in 0..3 {
                let dir = tempfile::tempdir().unwrap();
                let loc = match loc {
                    Location::Sqlite(_) => Location::Sqlite(dir.path().join("new.db")),
                    Location::Postgres(_) => postgres_location(),
                };
                let start = std::sync::Barrier::new(4);
                let opened: Vec<Result<i64>> = std::thread::scope(|s| {
                    let handles: Vec<_> = (0..4)
                        .map(|_| {
                            s.spawn(|| {
                                start.wait();
                                Store::connect(&loc).and_then(|s| s.schema_version())
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap()).collect()
                });
                for o in opened {
                    assert_eq!(o.unwrap(), schema::VERSION, "{}", loc);
                }
            }
        });
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let c = Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let err = Store::open(&db).err().unwrap().to_string();
        assert!(err.contains("99"), "{err}");
    }
}
