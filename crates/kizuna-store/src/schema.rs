//! Schema migrations: SQLite's applied in order and recorded in `PRAGMA user_version`;
//! PostgreSQL's created at once and recorded in the `kizuna_schema` table.

use rusqlite::Connection;

use crate::db::{Begin, Conn};
use crate::{Result, StoreError};

/// Each entry moves the schema from version `i` to `i + 1`. Never edit a released one:
/// add a new migration instead.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: inputs, events, netlogon lines.
    "CREATE TABLE inputs (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        first_path TEXT,
        kind TEXT,
        status TEXT,
        records INTEGER NOT NULL DEFAULT 0,
        kept INTEGER NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '[]',
        error_count INTEGER NOT NULL DEFAULT 0,
        notes TEXT NOT NULL DEFAULT '[]',
        size INTEGER NOT NULL DEFAULT 0,
        complete INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        provider TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        qualifiers INTEGER,
        time TEXT NOT NULL,
        record_id INTEGER,
        channel TEXT,
        computer TEXT,
        subject TEXT,
        subject_domain TEXT,
        status INTEGER,
        data TEXT NOT NULL,
        named TEXT NOT NULL,
        binary TEXT,
        path TEXT NOT NULL,
        offset INTEGER,
        line INTEGER
    );
    CREATE INDEX events_input ON events(input_id);
    CREATE INDEX events_time ON events(time);
    CREATE INDEX events_subject ON events(subject, time);
    CREATE TABLE netlogon (
        id INTEGER PRIMARY KEY,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        time TEXT,
        category TEXT,
        thread INTEGER,
        domain TEXT,
        kind TEXT NOT NULL,
        status INTEGER,
        peer TEXT,
        event_id INTEGER,
        device TEXT,
        path TEXT NOT NULL,
        line INTEGER
    );
    CREATE INDEX netlogon_input ON netlogon(input_id);",
    // 2: identity facts (hives, PsGetSid, inventories).
    "CREATE TABLE identity (
        id INTEGER PRIMARY KEY,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        device TEXT,
        device_domain TEXT,
        folder TEXT,
        machine_sid TEXT,
        role TEXT,
        domain TEXT,
        os_build INTEGER,
        os_ubr INTEGER,
        netlogon TEXT NOT NULL DEFAULT '{}',
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER
    );
    CREATE INDEX identity_input ON identity(input_id);",
    // 3: the staged workaround / rollback plan (`kizuna plan`). The log is append-only.
    "CREATE TABLE plans (
        id INTEGER PRIMARY KEY,
        track TEXT NOT NULL,
        created TEXT NOT NULL,
        expires TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        closed TEXT
    );
    CREATE TABLE plan_phases (
        plan_id INTEGER NOT NULL REFERENCES plans(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL,
        started TEXT,
        finished TEXT,
        PRIMARY KEY (plan_id, seq)
    );
    CREATE TABLE plan_log (
        id INTEGER PRIMARY KEY,
        plan_id INTEGER NOT NULL REFERENCES plans(id),
        time TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        phase TEXT,
        reason TEXT,
        helpdesk_tickets INTEGER,
        gate TEXT
    );
    CREATE INDEX plan_log_plan ON plan_log(plan_id, id);
    CREATE TRIGGER plan_log_no_update BEFORE UPDATE ON plan_log
        BEGIN SELECT RAISE(ABORT, 'the plan log is append-only'); END;
    CREATE TRIGGER plan_log_no_delete BEFORE DELETE ON plan_log
        BEGIN SELECT RAISE(ABORT, 'the plan log is append-only'); END;",
    // 4: when an identity source last recorded its facts (a hive's last-written time).
    "ALTER TABLE identity ADD COLUMN observed TEXT;",
    // 5: the scans run on this store and what each found (the weekly review's baseline).
    "CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        since TEXT,
        until TEXT,
        tool_version TEXT NOT NULL,
        inputs INTEGER NOT NULL,
        devices INTEGER NOT NULL,
        expires TEXT
    );
    CREATE TABLE scan_findings (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        seq INTEGER NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        subjects TEXT NOT NULL,
        args TEXT NOT NULL,
        PRIMARY KEY (scan_id, seq)
    );",
    // 6: who may use `kizuna serve`: API tokens (stored as hashes), local accounts
    // (argon2 hashes), web sessions (hashes), and an append-only audit log of logins,
    // uploads and changes.
    "CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL,
        last_used TEXT,
        revoked TEXT
    );
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL,
        disabled TEXT
    );
    CREATE TABLE sessions (
        hash TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        remote TEXT
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 7: who ran a scan (an upload's caller) and which inputs it read under which path,
    // so its report can be rendered again from the stored facts.
    "ALTER TABLE scans ADD COLUMN actor TEXT;
    CREATE TABLE scan_inputs (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        seq INTEGER NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (scan_id, seq)
    );",
    // 8: the installation's MachineGuid, which corroborates a duplicate machine SID.
    "ALTER TABLE identity ADD COLUMN machine_guid TEXT;",
    // 9: directory exports (ldifde, csvde, Get-ADComputer), one snapshot per file, as
    // JSON: the rules read them whole, never by column.
    "CREATE TABLE directory_exports (
        id INTEGER PRIMARY KEY,
        input_id INTEGER NOT NULL REFERENCES inputs(id),
        path TEXT NOT NULL,
        naming_context TEXT NOT NULL,
        at TEXT,
        at_from TEXT NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE INDEX directory_exports_input ON directory_exports(input_id);",
    // 10: hardening switches read from hives (Machine Identity Isolation, BlockNtlmv1SSO),
    // as JSON like `netlogon`.
    "ALTER TABLE identity ADD COLUMN hardening TEXT;",
];

/// The migrations after [`POSTGRES_BASE_VERSION`] in PostgreSQL's dialect: entry `i`
/// moves the schema to version `POSTGRES_BASE_VERSION + i + 1`, as `MIGRATIONS` does
/// for SQLite.
const POSTGRES_MIGRATIONS: &[&str] = &[
    // 6: as SQLite's 6.
    r#"CREATE TABLE api_tokens (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        scope TEXT COLLATE "C" NOT NULL,
        hash TEXT COLLATE "C" NOT NULL UNIQUE,
        created TEXT COLLATE "C" NOT NULL,
        created_by TEXT COLLATE "C" NOT NULL,
        last_used TEXT COLLATE "C",
        revoked TEXT COLLATE "C"
    );
    CREATE TABLE accounts (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL UNIQUE,
        role TEXT COLLATE "C" NOT NULL,
        password_hash TEXT NOT NULL,
        created TEXT COLLATE "C" NOT NULL,
        disabled TEXT COLLATE "C"
    );
    CREATE TABLE sessions (
        hash TEXT COLLATE "C" PRIMARY KEY,
        account TEXT COLLATE "C" NOT NULL,
        csrf TEXT NOT NULL,
        created TEXT COLLATE "C" NOT NULL,
        expires TEXT COLLATE "C" NOT NULL
    );
    CREATE TABLE audit_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        time TEXT COLLATE "C" NOT NULL,
        actor TEXT COLLATE "C" NOT NULL,
        action TEXT COLLATE "C" NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        remote TEXT COLLATE "C"
    );
    CREATE FUNCTION kizuna_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION kizuna_audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION kizuna_audit_log_append_only();"#,
    // 7: as SQLite's 7.
    r#"ALTER TABLE scans ADD COLUMN actor TEXT COLLATE "C";
    CREATE TABLE scan_inputs (
        scan_id BIGINT NOT NULL REFERENCES scans(id),
        seq BIGINT NOT NULL,
        path TEXT COLLATE "C" NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (scan_id, seq)
    );"#,
    // 8: as SQLite's 8.
    r#"ALTER TABLE identity ADD COLUMN machine_guid TEXT COLLATE "C";"#,
    // 9: as SQLite's 9.
    r#"CREATE TABLE directory_exports (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        input_id BIGINT NOT NULL REFERENCES inputs(id),
        path TEXT COLLATE "C" NOT NULL,
        naming_context TEXT COLLATE "C" NOT NULL,
        at TEXT COLLATE "C",
        at_from TEXT COLLATE "C" NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE INDEX directory_exports_input ON directory_exports(input_id);"#,
    // 10: as SQLite's 10.
    r#"ALTER TABLE identity ADD COLUMN hardening TEXT;"#,
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The PostgreSQL schema at version [`POSTGRES_BASE_VERSION`], created in one step (no
/// PostgreSQL store predates it). Integers are `BIGINT`; text is compared byte by byte
/// (`COLLATE "C"`), as SQLite compares it, whatever the database's locale, so both sort
/// paths, names and times the same.
pub(crate) const POSTGRES_BASE: &str = r#"
CREATE TABLE inputs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    fingerprint TEXT COLLATE "C" NOT NULL UNIQUE,
    first_path TEXT COLLATE "C",
    kind TEXT COLLATE "C",
    status TEXT COLLATE "C",
    records BIGINT NOT NULL DEFAULT 0,
    kept BIGINT NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]',
    error_count BIGINT NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '[]',
    size BIGINT NOT NULL DEFAULT 0,
    complete BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE events (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES inputs(id),
    provider TEXT COLLATE "C" NOT NULL,
    event_id BIGINT NOT NULL,
    qualifiers BIGINT,
    time TEXT COLLATE "C" NOT NULL,
    record_id BIGINT,
    channel TEXT COLLATE "C",
    computer TEXT COLLATE "C",
    subject TEXT COLLATE "C",
    subject_domain TEXT COLLATE "C",
    status BIGINT,
    data TEXT NOT NULL,
    named TEXT NOT NULL,
    "binary" TEXT,
    path TEXT COLLATE "C" NOT NULL,
    "offset" BIGINT,
    line BIGINT
);
CREATE INDEX events_input ON events(input_id);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_subject ON events(subject, time);
CREATE TABLE netlogon (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES inputs(id),
    time TEXT COLLATE "C",
    category TEXT COLLATE "C",
    thread BIGINT,
    domain TEXT COLLATE "C",
    kind TEXT COLLATE "C" NOT NULL,
    status BIGINT,
    peer TEXT COLLATE "C",
    event_id BIGINT,
    device TEXT COLLATE "C",
    path TEXT COLLATE "C" NOT NULL,
    line BIGINT
);
CREATE INDEX netlogon_input ON netlogon(input_id);
CREATE TABLE identity (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES inputs(id),
    device TEXT COLLATE "C",
    device_domain TEXT COLLATE "C",
    folder TEXT COLLATE "C",
    machine_sid TEXT COLLATE "C",
    role TEXT COLLATE "C",
    domain TEXT COLLATE "C",
    os_build BIGINT,
    os_ubr BIGINT,
    netlogon TEXT NOT NULL DEFAULT '{}',
    kind TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    line BIGINT,
    observed TEXT COLLATE "C"
);
CREATE INDEX identity_input ON identity(input_id);
CREATE TABLE plans (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    track TEXT COLLATE "C" NOT NULL,
    created TEXT COLLATE "C" NOT NULL,
    expires TEXT COLLATE "C" NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    closed TEXT COLLATE "C"
);
CREATE TABLE plan_phases (
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    seq BIGINT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    scope TEXT NOT NULL DEFAULT '[]',
    state TEXT COLLATE "C" NOT NULL,
    started TEXT COLLATE "C",
    finished TEXT COLLATE "C",
    PRIMARY KEY (plan_id, seq)
);
CREATE TABLE plan_log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    time TEXT COLLATE "C" NOT NULL,
    who TEXT NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    phase TEXT,
    reason TEXT,
    helpdesk_tickets BIGINT,
    gate TEXT
);
CREATE INDEX plan_log_plan ON plan_log(plan_id, id);
CREATE FUNCTION kizuna_plan_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the plan log is append-only'; END $$;
CREATE TRIGGER plan_log_no_update BEFORE UPDATE OR DELETE ON plan_log
    FOR EACH ROW EXECUTE FUNCTION kizuna_plan_log_append_only();
CREATE TRIGGER plan_log_no_truncate BEFORE TRUNCATE ON plan_log
    FOR EACH STATEMENT EXECUTE FUNCTION kizuna_plan_log_append_only();
CREATE TABLE scans (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    time TEXT COLLATE "C" NOT NULL,
    since TEXT COLLATE "C",
    until TEXT COLLATE "C",
    tool_version TEXT NOT NULL,
    inputs BIGINT NOT NULL,
    devices BIGINT NOT NULL,
    expires TEXT COLLATE "C"
);
CREATE TABLE scan_findings (
    scan_id BIGINT NOT NULL REFERENCES scans(id),
    seq BIGINT NOT NULL,
    rule TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C" NOT NULL,
    subjects TEXT NOT NULL,
    args TEXT NOT NULL,
    PRIMARY KEY (scan_id, seq)
);
"#;

/// The version [`POSTGRES_BASE`] is at. Migrations after it apply to both databases, each
/// in its own dialect.
const POSTGRES_BASE_VERSION: i64 = 5;

/// Reads the schema version of an open database (0 = empty).
pub(crate) fn version(conn: &mut Conn) -> Result<i64> {
    match conn {
        Conn::Sqlite(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
        Conn::Postgres(_) => {
            let exists = conn.query_one(
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = 'kizuna_schema'",
                &[],
                |r| r.int(0),
            )?;
            if exists == 0 {
                return Ok(0);
            }
            Ok(conn
                .query_opt("SELECT version FROM kizuna_schema", &[], |r| r.int(0))?
                .unwrap_or(0))
        }
    }
}

/// Brings the schema to [`VERSION`], refusing a database written by a newer kizuna.
pub(crate) fn migrate(conn: &mut Conn) -> Result<()> {
    const {
        assert!(POSTGRES_BASE_VERSION + POSTGRES_MIGRATIONS.len() as i64 == VERSION);
    }
    match conn {
        Conn::Sqlite(c) => migrate_sqlite(c),
        Conn::Postgres(_) => {
            // Servers started side by side migrate one after the other.
            conn.transaction(Begin::Write, |c| {
                c.batch(
                    "SELECT pg_advisory_xact_lock(7316411);
                     CREATE TABLE IF NOT EXISTS kizuna_schema (version BIGINT NOT NULL)",
                )?;
                let current = version(c)?;
                check_not_newer(current)?;
                if current == 0 {
                    c.batch(POSTGRES_BASE)?;
                    c.execute(
                        "INSERT INTO kizuna_schema (version) VALUES ($1)",
                        &[&POSTGRES_BASE_VERSION],
                    )?;
                }
                let from = current.max(POSTGRES_BASE_VERSION);
                for (i, sql) in POSTGRES_MIGRATIONS.iter().enumerate() {
                    let to = POSTGRES_BASE_VERSION + i as i64 + 1;
                    if to > from {
                        c.batch(sql)?;
                        c.execute("UPDATE kizuna_schema SET version = $1", &[&to])?;
                    }
                }
                Ok(())
            })
        }
    }
}

fn check_not_newer(found: i64) -> Result<()> {
    if found > VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: VERSION,
        });
    }
    Ok(())
}

/// Applies the missing migrations in one write transaction taken before the version is
/// read: processes opening a new store at once migrate one after the other, and the
/// later ones find the work done (a version read outside it let two of them create the
/// same tables).
fn migrate_sqlite(conn: &Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    check_not_newer(current)?;
    if current as usize == MIGRATIONS.len() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = (|| {
        let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        check_not_newer(current)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        Ok(())
    })();
    match applied {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
