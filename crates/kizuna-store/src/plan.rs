//! The plan tables (`kizuna plan`): a staged workaround or rollback plan, its phases and
//! its append-only log.
//!
//! The store keeps rows and makes every change of a plan one transaction; what the rows
//! mean (phases, scopes, gates) belongs to `kizuna-plan`. The log cannot be updated or
//! deleted (triggers refuse it): who advanced a phase, when and why stays on record.

use crate::db::{Begin, Conn, ToArg};
use crate::{Result, Store, StoreError, parse_ts, ts};
use kizuna_core::Timestamp;

/// A plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// Assigned by the store (ignored by [`Store::create_plan`]).
    pub id: i64,
    /// `workaround` or `rollback`.
    pub track: String,
    pub created: Timestamp,
    /// The workaround's expiry date, `YYYY-MM-DD`.
    pub expires: String,
    /// The plan's parameters as JSON.
    pub params: String,
    /// When the plan was completed or superseded.
    pub closed: Option<Timestamp>,
}

/// One phase of a plan, in order (`seq` from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseRow {
    pub seq: i64,
    pub name: String,
    pub kind: String,
    /// Device-name patterns; `["*"]` = every device.
    pub scope: Vec<String>,
    /// `pending`, `active` or `done`.
    pub state: String,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
}

/// One entry of a plan's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub time: Timestamp,
    pub who: String,
    /// `init`, `advance`, `force`, `record`, `superseded`.
    pub action: String,
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub helpdesk_tickets: Option<i64>,
    /// The gate result at that moment, as JSON.
    pub gate: Option<String>,
}

/// A move of a plan from one phase to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseChange {
    pub time: Timestamp,
    /// The active phase that ends.
    pub finish: Option<i64>,
    /// The pending phase that begins.
    pub start: Option<i64>,
    /// The plan is complete.
    pub close: bool,
}

fn opt_ts(s: Option<String>) -> Option<Timestamp> {
    s.as_deref().and_then(parse_ts)
}

impl Store {
    /// Runs `f` in one transaction serialized with every other plan change (after
    /// committing any ingest in progress).
    fn plan_tx<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        self.write_tx(Begin::Plan, f)
    }

    /// Creates a plan with its phases and first log entry; earlier plans still open are
    /// closed and their logs say they were superseded. Returns the new plan's id.
    pub fn create_plan(
        &mut self,
        plan: &PlanRow,
        phases: &[PhaseRow],
        log: &LogRow,
    ) -> Result<i64> {
        self.plan_tx(|c| {
            let mut open: Vec<i64> = Vec::new();
            c.query(
                "SELECT id FROM plans WHERE closed IS NULL ORDER BY id",
                &[],
                |r| {
                    open.push(r.int(0)?);
                    Ok(())
                },
            )?;
            let id = c.insert(
                "INSERT INTO plans (track, created, expires, params) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&plan.track, &ts(&plan.created), &plan.expires, &plan.params],
            )?;
            for old in open {
                c.execute(
                    "UPDATE plans SET closed = $2 WHERE id = $1",
                    &[&old, &ts(&log.time)],
                )?;
                insert_log(
                    c,
                    old,
                    &LogRow {
                        action: "superseded".into(),
                        phase: None,
                        reason: Some(format!("plan {id}")),
                        helpdesk_tickets: None,
                        gate: None,
                        ..log.clone()
                    },
                )?;
            }
            for p in phases {
                c.execute(
                    "INSERT INTO plan_phases (plan_id, seq, name, kind, scope, state, started, finished)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &id,
                        &p.seq,
                        &p.name,
                        &p.kind,
                        &serde_json::to_string(&p.scope).unwrap_or_default(),
                        &p.state,
                        &p.started.as_ref().map(ts),
                        &p.finished.as_ref().map(ts),
                    ],
                )?;
            }
            insert_log(c, id, log)?;
            Ok(id)
        })
    }

    /// The most recent plan, if any.
    pub fn latest_plan(&self) -> Result<Option<PlanRow>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, track, created, expires, params, closed FROM plans ORDER BY id DESC LIMIT 1",
                &[],
                |r| {
                    Ok((
                        r.int(0)?,
                        r.text(1)?,
                        r.text(2)?,
                        r.text(3)?,
                        r.text(4)?,
                        r.opt_text(5)?,
                    ))
                },
            )?
            .and_then(|(id, track, created, expires, params, closed)| {
                Some(PlanRow {
                    id,
                    track,
                    created: parse_ts(&created)?,
                    expires,
                    params,
                    closed: opt_ts(closed),
                })
            }))
    }

    /// A plan's phases in order.
    pub fn plan_phases(&self, plan_id: i64) -> Result<Vec<PhaseRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            "SELECT seq, name, kind, scope, state, started, finished FROM plan_phases
             WHERE plan_id = $1 ORDER BY seq",
            &[&plan_id],
            |r| {
                out.push(PhaseRow {
                    seq: r.int(0)?,
                    name: r.text(1)?,
                    kind: r.text(2)?,
                    scope: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
                    state: r.text(4)?,
                    started: opt_ts(r.opt_text(5)?),
                    finished: opt_ts(r.opt_text(6)?),
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// A plan's log, oldest first.
    pub fn plan_log(&self, plan_id: i64) -> Result<Vec<LogRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            "SELECT time, who, action, phase, reason, helpdesk_tickets, gate FROM plan_log
             WHERE plan_id = $1 ORDER BY id",
            &[&plan_id],
            |r| {
                if let Some(time) = parse_ts(&r.text(0)?) {
                    out.push(LogRow {
                        time,
                        who: r.text(1)?,
                        action: r.text(2)?,
                        phase: r.opt_text(3)?,
                        reason: r.opt_text(4)?,
                        helpdesk_tickets: r.opt_int(5)?,
                        gate: r.opt_text(6)?,
                    });
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Appends an entry to a plan's log.
    pub fn append_plan_log(&mut self, plan_id: i64, log: &LogRow) -> Result<()> {
        self.plan_tx(|c| insert_log(c, plan_id, log))
    }

    /// Ends the active phase, starts the next and logs it, in one transaction. Fails with
    /// [`StoreError::PlanChanged`] when the phases are no longer as the caller saw them
    /// (another `kizuna plan advance` got there first).
    pub fn advance_plan(&mut self, plan_id: i64, change: &PhaseChange, log: &LogRow) -> Result<()> {
        self.plan_tx(|c| {
            let time = ts(&change.time);
            let mut one = |sql: &str, args: &[&dyn ToArg]| match c.execute(sql, args)? {
                1 => Ok(()),
                _ => Err(StoreError::PlanChanged),
            };
            if let Some(seq) = change.finish {
                one(
                    "UPDATE plan_phases SET state = 'done', finished = $3
                     WHERE plan_id = $1 AND seq = $2 AND state = 'active'",
                    &[&plan_id, &seq, &time],
                )?;
            }
            if let Some(seq) = change.start {
                one(
                    "UPDATE plan_phases SET state = 'active', started = $3
                     WHERE plan_id = $1 AND seq = $2 AND state = 'pending'",
                    &[&plan_id, &seq, &time],
                )?;
            }
            if change.close {
                one(
                    "UPDATE plans SET closed = $2 WHERE id = $1 AND closed IS NULL",
                    &[&plan_id, &time],
                )?;
            }
            insert_log(c, plan_id, log)
        })
    }

    /// Every device the stored facts name (upper-case short names): the subjects of
    /// events, the logging computers, netlogon.log owners and identity facts.
    pub fn known_devices(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        let mut c = self.conn()?;
        c.query(
            "SELECT DISTINCT e.subject FROM events e JOIN inputs i ON i.id = e.input_id
                WHERE i.complete = 1 AND e.subject IS NOT NULL
             UNION SELECT DISTINCT n.device FROM netlogon n JOIN inputs i ON i.id = n.input_id
                WHERE i.complete = 1 AND n.device IS NOT NULL
             UNION SELECT DISTINCT d.device FROM identity d JOIN inputs i ON i.id = d.input_id
                WHERE i.complete = 1 AND d.device IS NOT NULL",
            &[],
            |r| {
                out.insert(r.text(0)?);
                Ok(())
            },
        )?;
        c.query(
            "SELECT DISTINCT e.computer FROM events e JOIN inputs i ON i.id = e.input_id
                WHERE i.complete = 1 AND e.computer IS NOT NULL",
            &[],
            |r| {
                if let Some(d) = kizuna_core::DeviceName::parse(&r.text(0)?) {
                    out.insert(d.key().to_string());
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The time of the newest stored fact (event or netlogon.log line), before `until`
    /// when given.
    pub fn newest_fact(&self, until: Option<&Timestamp>) -> Result<Option<Timestamp>> {
        // Far beyond any event time: the format sorts as text.
        let until = until.map_or_else(|| "9999".to_string(), ts);
        let newest = self.conn()?.query_one(
            "SELECT MAX(t) FROM (
                SELECT MAX(e.time) AS t FROM events e JOIN inputs i ON i.id = e.input_id
                    WHERE i.complete = 1 AND e.time < $1
                UNION ALL
                SELECT MAX(n.time) FROM netlogon n JOIN inputs i ON i.id = n.input_id
                    WHERE i.complete = 1 AND n.time IS NOT NULL AND n.time < $1
             ) AS newest",
            &[&until],
            |r| r.opt_text(0),
        )?;
        Ok(newest.as_deref().and_then(parse_ts))
    }
}

fn insert_log(c: &mut Conn, plan_id: i64, log: &LogRow) -> Result<()> {
    c.execute(
        "INSERT INTO plan_log (plan_id, time, who, action, phase, reason, helpdesk_tickets, gate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &plan_id,
            &ts(&log.time),
            &log.who,
            &log.action,
            &log.phase,
            &log.reason,
            &log.helpdesk_tickets,
            &log.gate,
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn t(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn log(time: &str, action: &str) -> LogRow {
        LogRow {
            time: t(time),
            who: "alice".into(),
            action: action.into(),
            phase: Some("pilot".into()),
            reason: Some("why".into()),
            helpdesk_tickets: None,
            gate: None,
        }
    }

    fn phases() -> Vec<PhaseRow> {
        ["pilot", "all"]
            .iter()
            .enumerate()
            .map(|(i, n)| PhaseRow {
                seq: i as i64,
                name: n.to_string(),
                kind: n.to_string(),
                scope: vec![if i == 0 { "PC-P*" } else { "*" }.into()],
                state: if i == 0 { "active" } else { "pending" }.into(),
                started: (i == 0).then(|| t("2026-02-01T00:00:00Z")),
                finished: None,
            })
            .collect()
    }

    fn plan() -> PlanRow {
        PlanRow {
            id: 0,
            track: "workaround".into(),
            created: t("2026-02-01T00:00:00Z"),
            expires: "2026-06-30".into(),
            params: "{\"quiet_days\":7}".into(),
            closed: None,
        }
    }

    #[test]
    fn a_plan_round_trips_and_advances_once() {
        crate::test_stores::stores(a_plan_round_trips_and_advances_once_in);
    }

    fn a_plan_round_trips_and_advances_once_in(mut s: Store) {
        assert_eq!(s.latest_plan().unwrap(), None);
        let id = s
            .create_plan(&plan(), &phases(), &log("2026-02-01T00:00:00Z", "init"))
            .unwrap();
        let p = s.latest_plan().unwrap().unwrap();
        assert_eq!((p.id, p.track.as_str(), p.closed), (id, "workaround", None));
        assert_eq!(s.plan_phases(id).unwrap(), phases());
        let change = PhaseChange {
            time: t("2026-02-10T00:00:00Z"),
            finish: Some(0),
            start: Some(1),
            close: false,
        };
        s.advance_plan(id, &change, &log("2026-02-10T00:00:00Z", "advance"))
            .unwrap();
        // The same move again: the phases changed meanwhile, nothing is written.
        let err = s
            .advance_plan(id, &change, &log("2026-02-10T00:00:00Z", "advance"))
            .unwrap_err();
        assert!(matches!(err, StoreError::PlanChanged), "{err}");
        let ph = s.plan_phases(id).unwrap();
        assert_eq!(ph[0].state, "done");
        assert_eq!(ph[0].finished, Some(t("2026-02-10T00:00:00Z")));
        assert_eq!(ph[1].state, "active");
        let l = s.plan_log(id).unwrap();
        assert_eq!(
            l.iter().map(|x| x.action.as_str()).collect::<Vec<_>>(),
            ["init", "advance"]
        );
        // A new plan supersedes the open one.
        let id2 = s
            .create_plan(&plan(), &phases(), &log("2026-03-01T00:00:00Z", "init"))
            .unwrap();
        assert_eq!(s.latest_plan().unwrap().unwrap().id, id2);
        let l = s.plan_log(id).unwrap();
        assert_eq!(l.last().unwrap().action, "superseded");
    }

    #[test]
    fn the_log_is_append_only() {
        crate::test_stores::stores(the_log_is_append_only_in);
    }

    fn the_log_is_append_only_in(mut s: Store) {
        let id = s
            .create_plan(&plan(), &phases(), &log("2026-02-01T00:00:00Z", "init"))
            .unwrap();
        s.append_plan_log(id, &log("2026-02-02T00:00:00Z", "record"))
            .unwrap();
        let err = s
            .conn
            .get_mut()
            .execute("UPDATE plan_log SET who = 'mallory'", &[])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let err = s
            .conn
            .get_mut()
            .execute("DELETE FROM plan_log", &[])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        assert_eq!(s.plan_log(id).unwrap().len(), 2);
    }

    /// Two operators advance the same plan at once from two connections: exactly one
    /// wins, the other is told the plan changed, and the log has one entry for it.
    #[test]
    fn concurrent_advances_on_postgres_let_one_win() {
        let db = crate::test_stores::postgres_location();
        let mut s = Store::connect(&db).unwrap();
        let id = s
            .create_plan(&plan(), &phases(), &log("2026-02-01T00:00:00Z", "init"))
            .unwrap();
        let change = PhaseChange {
            time: t("2026-02-10T00:00:00Z"),
            finish: Some(0),
            start: Some(1),
            close: false,
        };
        let barrier = std::sync::Barrier::new(4);
        let results: Vec<Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Store::connect(&db).unwrap();
                        barrier.wait();
                        mine.advance_plan(id, &change, &log("2026-02-10T00:00:00Z", "advance"))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{results:?}");
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, StoreError::PlanChanged)),
            "{results:?}"
        );
        let actions: Vec<String> = s
            .plan_log(id)
            .unwrap()
            .into_iter()
            .map(|l| l.action)
            .collect();
        assert_eq!(actions, ["init", "advance"]);
    }

    /// A store written by a build of schema version 2 (before plans) opens, keeps its
    /// facts and gains the plan tables.
    #[test]
    fn an_old_schema_database_opens_and_gains_the_plan_tables() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        {
            let c = rusqlite::Connection::open(&db).unwrap();
            // Exactly what version 2 wrote: migrations 1 and 2, user_version = 2.
            for (i, sql) in schema::MIGRATIONS.iter().take(2).enumerate() {
                c.execute_batch(sql).unwrap();
                c.pragma_update(None, "user_version", (i + 1) as i64)
                    .unwrap();
            }
            c.execute(
                "INSERT INTO inputs (fingerprint, first_path, kind, status, complete)
                 VALUES ('fp', 'dc.evtx', 'evtx', 'ok', 1)",
                [],
            )
            .unwrap();
            c.execute(
                "INSERT INTO events (input_id, provider, event_id, time, data, named, path,
                    subject, computer)
                 VALUES (1, 'NETLOGON', 5722, '2026-02-01T10:00:00.000000000Z', '[\"PC1\"]', '{}',
                    'dc.evtx', 'PC1', 'dc1.corp.example')",
                [],
            )
            .unwrap();
            let has_plans: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = 'plans'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(has_plans, 0);
        }
        let mut s = Store::open(&db).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::VERSION);
        const { assert!(schema::VERSION >= 3) };
        assert_eq!(
            s.counts().unwrap(),
            (1, 1, 0),
            "the old facts are still there"
        );
        assert_eq!(
            s.newest_fact(None).unwrap(),
            Some(t("2026-02-01T10:00:00Z"))
        );
        assert_eq!(
            s.newest_fact(Some(&t("2026-02-01T10:00:00Z"))).unwrap(),
            None,
            "strictly before"
        );
        assert_eq!(
            s.known_devices().unwrap().into_iter().collect::<Vec<_>>(),
            ["DC1", "PC1"]
        );
        assert_eq!(s.latest_plan().unwrap(), None);
        let id = s
            .create_plan(&plan(), &phases(), &log("2026-02-01T00:00:00Z", "init"))
            .unwrap();
        assert_eq!(s.plan_phases(id).unwrap().len(), 2);
    }
}
