//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::Connection;

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
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
