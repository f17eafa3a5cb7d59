//! Who may use `kizuna serve`: API tokens, local accounts and the audit log.
//!
//! The store keeps rows; what a scope or role allows, how a secret is hashed and checked,
//! belongs to `kizuna-server`. Secrets never reach the store: a token is kept as its
//! SHA-256, a password as its argon2 hash. The audit log cannot be updated or deleted
//! (triggers refuse it), like the plan log.

use crate::db::Row;
use crate::{Result, Store, parse_ts, ts};
use kizuna_core::Timestamp;

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Assigned by the store (ignored by [`Store::create_token`]).
    pub id: i64,
    pub name: String,
    /// `ingest`, `read` or `admin`.
    pub scope: String,
    /// Hex SHA-256 of the token.
    pub hash: String,
    pub created: Timestamp,
    /// Who made it: an account, a token, or `cli` / `environment`.
    pub created_by: String,
    pub last_used: Option<Timestamp>,
    pub revoked: Option<Timestamp>,
}

/// A local account of the web interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// Assigned by the store (ignored by [`Store::create_account`]).
    pub id: i64,
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    pub created: Timestamp,
    pub disabled: Option<Timestamp>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Assigned by the store (ignored by [`Store::audit`]).
    pub id: i64,
    pub time: Timestamp,
    /// `account:NAME`, `token:NAME`, `cli` or `anonymous`.
    pub actor: String,
    /// What happened, e.g. `login`, `login-failed`, `upload`, `token-create`.
    pub action: String,
    /// What it was done to, as JSON.
    pub detail: String,
    /// The client address, for requests.
    pub remote: Option<String>,
}

/// A signed-in browser: the session cookie's hash, never the cookie itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub hash: String,
    pub account: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    pub created: Timestamp,
    pub expires: Timestamp,
}

fn time(r: &Row, i: usize) -> Result<Timestamp> {
    let s = r.text(i)?;
    parse_ts(&s).ok_or_else(|| crate::StoreError::Corrupt(format!("time {s:?}")))
}

fn opt_time(r: &Row, i: usize) -> Result<Option<Timestamp>> {
    Ok(r.opt_text(i)?.as_deref().and_then(parse_ts))
}

const TOKEN_COLUMNS: &str = "id, name, scope, hash, created, created_by, last_used, revoked";

fn token(r: Row<'_>) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.int(0)?,
        name: r.text(1)?,
        scope: r.text(2)?,
        hash: r.text(3)?,
        created: time(&r, 4)?,
        created_by: r.text(5)?,
        last_used: opt_time(&r, 6)?,
        revoked: opt_time(&r, 7)?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, name, role, password_hash, created, disabled";

fn account(r: Row<'_>) -> Result<AccountRow> {
    Ok(AccountRow {
        id: r.int(0)?,
        name: r.text(1)?,
        role: r.text(2)?,
        password_hash: r.text(3)?,
        created: time(&r, 4)?,
        disabled: opt_time(&r, 5)?,
    })
}

impl Store {
    /// Stores a new token; returns its id.
    pub fn create_token(&mut self, t: &TokenRow) -> Result<i64> {
        self.commit()?;
        self.conn.get_mut().insert(
            "INSERT INTO api_tokens (name, scope, hash, created, created_by, last_used, revoked)
             VALUES ($1, $2, $3, $4, $5, NULL, NULL) RETURNING id",
            &[&t.name, &t.scope, &t.hash, &ts(&t.created), &t.created_by],
        )
    }

    /// The token with this hash, revoked or not.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>> {
        self.conn()?.query_opt(
            &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1"),
            &[&hash],
            token,
        )
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"),
            &[],
            |r| {
                out.push(token(r)?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Revokes a token; false when there is no such token or it was revoked already.
    pub fn revoke_token(&mut self, id: i64, at: Timestamp) -> Result<bool> {
        self.commit()?;
        let n = self.conn.get_mut().execute(
            "UPDATE api_tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL",
            &[&id, &ts(&at)],
        )?;
        Ok(n > 0)
    }

    /// Records that a token was used.
    pub fn token_used(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.commit()?;
        self.conn.get_mut().execute(
            "UPDATE api_tokens SET last_used = $2 WHERE id = $1",
            &[&id, &ts(&at)],
        )?;
        Ok(())
    }

    /// Stores a new account; returns its id. Fails when the name is taken.
    pub fn create_account(&mut self, a: &AccountRow) -> Result<i64> {
        self.commit()?;
        self.conn.get_mut().insert(
            "INSERT INTO accounts (name, role, password_hash, created, disabled)
             VALUES ($1, $2, $3, $4, NULL) RETURNING id",
            &[&a.name, &a.role, &a.password_hash, &ts(&a.created)],
        )
    }

    /// The account with this name.
    pub fn account(&self, name: &str) -> Result<Option<AccountRow>> {
        self.conn()?.query_opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = $1"),
            &[&name],
            account,
        )
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<AccountRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"),
            &[],
            |r| {
                out.push(account(r)?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Stores a new session.
    pub fn create_session(&mut self, s: &SessionRow) -> Result<()> {
        self.commit()?;
        self.conn.get_mut().execute(
            "INSERT INTO sessions (hash, account, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)",
            &[&s.hash, &s.account, &s.csrf, &ts(&s.created), &ts(&s.expires)],
        )?;
        Ok(())
    }

    /// The session with this hash, if it has not expired at `now`.
    pub fn session(&self, hash: &str, now: Timestamp) -> Result<Option<SessionRow>> {
        self.conn()?.query_opt(
            "SELECT hash, account, csrf, created, expires FROM sessions
             WHERE hash = $1 AND expires > $2",
            &[&hash, &ts(&now)],
            |r| {
                Ok(SessionRow {
                    hash: r.text(0)?,
                    account: r.text(1)?,
                    csrf: r.text(2)?,
                    created: time(&r, 3)?,
                    expires: time(&r, 4)?,
                })
            },
        )
    }

    /// Ends a session, and forgets every session that expired before `now`.
    pub fn end_session(&mut self, hash: &str, now: Timestamp) -> Result<()> {
        self.commit()?;
        let c = self.conn.get_mut();
        c.execute("DELETE FROM sessions WHERE hash = $1", &[&hash])?;
        c.execute("DELETE FROM sessions WHERE expires <= $1", &[&ts(&now)])?;
        Ok(())
    }

    /// Appends to the audit log; returns the entry's id.
    pub fn audit(&mut self, e: &AuditRow) -> Result<i64> {
        self.commit()?;
        self.conn.get_mut().insert(
            "INSERT INTO audit_log (time, actor, action, detail, remote)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&ts(&e.time), &e.actor, &e.action, &e.detail, &e.remote],
        )
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>> {
        self.audit_entries(None, limit)
    }

    /// The newest `limit` audit entries of one action (`upload`, `login`, …), newest first.
    pub fn audit_log_of(&self, action: &str, limit: i64) -> Result<Vec<AuditRow>> {
        self.audit_entries(Some(action), limit)
    }

    fn audit_entries(&self, action: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        let mut out = Vec::new();
        self.conn()?.query(
            "SELECT id, time, actor, action, detail, remote FROM audit_log
             WHERE CAST($1 AS TEXT) IS NULL OR action = $1
             ORDER BY id DESC LIMIT $2",
            &[&action, &limit],
            |r| {
                out.push(AuditRow {
                    id: r.int(0)?,
                    time: time(&r, 1)?,
                    actor: r.text(2)?,
                    action: r.text(3)?,
                    detail: r.text(4)?,
                    remote: r.opt_text(5)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_stores::stores;

    fn at(s: &str) -> Timestamp {
        parse_ts(s).unwrap()
    }

    #[test]
    fn tokens_are_found_by_hash_and_revoked_once() {
        stores(|mut s| {
            let t = TokenRow {
                id: 0,
                name: "collector".into(),
                scope: "ingest".into(),
                hash: "ab".repeat(32),
                created: at("2026-12-01T00:00:00Z"),
                created_by: "cli".into(),
                last_used: None,
                revoked: None,
            };
            let id = s.create_token(&t).unwrap();
            assert!(s.create_token(&t).is_err(), "a hash is unique");
            let got = s.token_by_hash(&t.hash).unwrap().unwrap();
            assert_eq!(got, TokenRow { id, ..t.clone() });
            assert_eq!(s.token_by_hash(&"cd".repeat(32)).unwrap(), None);

            s.token_used(id, at("2026-12-02T00:00:00Z")).unwrap();
            assert!(s.revoke_token(id, at("2026-12-03T00:00:00Z")).unwrap());
            assert!(!s.revoke_token(id, at("2026-12-04T00:00:00Z")).unwrap());
            assert!(
                !s.revoke_token(id + 100, at("2026-12-04T00:00:00Z"))
                    .unwrap()
            );
            let all = s.tokens().unwrap();
            assert_eq!(all.len(), 1);
            assert_eq!(all[0].last_used, Some(at("2026-12-02T00:00:00Z")));
            assert_eq!(all[0].revoked, Some(at("2026-12-03T00:00:00Z")));
        });
    }

    #[test]
    fn accounts_have_unique_names() {
        stores(|mut s| {
            let a = AccountRow {
                id: 0,
                name: "alice".into(),
                role: "admin".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
                created: at("2026-12-01T00:00:00Z"),
                disabled: None,
            };
            let id = s.create_account(&a).unwrap();
            assert!(s.create_account(&a).is_err());
            assert_eq!(s.account("alice").unwrap(), Some(AccountRow { id, ..a }));
            assert_eq!(s.account("bob").unwrap(), None);
            assert_eq!(s.accounts().unwrap().len(), 1);
        });
    }

    #[test]
    fn sessions_expire_and_end() {
        stores(|mut s| {
            let row = SessionRow {
                hash: "11".repeat(32),
                account: "alice".into(),
                csrf: "c".repeat(64),
                created: at("2026-12-01T00:00:00Z"),
                expires: at("2026-12-01T08:00:00Z"),
            };
            s.create_session(&row).unwrap();
            assert_eq!(
                s.session(&row.hash, at("2026-12-01T07:59:59Z")).unwrap(),
                Some(row.clone())
            );
            assert_eq!(
                s.session(&row.hash, at("2026-12-01T08:00:00Z")).unwrap(),
                None,
                "expired"
            );
            assert_eq!(
                s.session(&"22".repeat(32), at("2026-12-01T01:00:00Z"))
                    .unwrap(),
                None
            );
            s.end_session(&row.hash, at("2026-12-01T01:00:00Z"))
                .unwrap();
            assert_eq!(
                s.session(&row.hash, at("2026-12-01T01:00:00Z")).unwrap(),
                None,
                "ended"
            );
        });
    }

    #[test]
    fn the_audit_log_is_append_only() {
        stores(|mut s| {
            for (i, action) in ["login", "upload", "token-create"].iter().enumerate() {
                s.audit(&AuditRow {
                    id: 0,
                    time: at(&format!("2026-12-01T00:00:0{i}Z")),
                    actor: "account:alice".into(),
                    action: action.to_string(),
                    detail: "{}".into(),
                    remote: Some("127.0.0.1".into()),
                })
                .unwrap();
            }
            let log = s.audit_log(2).unwrap();
            let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(actions, ["token-create", "upload"], "newest first, limited");
            let uploads = s.audit_log_of("upload", 10).unwrap();
            assert_eq!(uploads.len(), 1);
            assert_eq!(uploads[0].action, "upload");
            assert!(s.audit_log_of("logout", 10).unwrap().is_empty());
            let c = s.conn.get_mut();
            for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
                let err = c.execute(sql, &[]).unwrap_err().to_string();
                assert!(err.contains("append-only"), "{sql}: {err}");
            }
            assert_eq!(s.audit_log(10).unwrap().len(), 3);
        });
    }
}
