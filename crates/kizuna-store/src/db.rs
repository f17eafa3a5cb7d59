//! One SQL interface over the two databases a store lives in: an embedded SQLite file
//! (one administrator, a small office) and a PostgreSQL server (a team's `kizuna serve`).
//!
//! Every query is written once, in SQL both understand, with PostgreSQL's `$1`
//! placeholders (rewritten to `?1` for SQLite). Values are integers, text or NULL: times
//! are stored as fixed-width RFC 3339 text, so they sort the same on both. What differs
//! between the two (transactions, schema bookkeeping, text collation, NULL order) is
//! decided here or in `schema`, never at the call sites.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::{Result, StoreError};

/// A value bound to a placeholder.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

/// An owned [`Arg`]: a value of a row gathered before it is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    fn arg(&self) -> Arg<'_> {
        match self {
            Value::Null => Arg::Null,
            Value::Int(i) => Arg::Int(*i),
            Value::Text(s) => Arg::Text(s),
        }
    }
}

/// A row to write later, from the same arguments an `execute` takes.
pub(crate) fn row(args: &[&dyn ToArg]) -> Vec<Value> {
    args.iter()
        .map(|a| match a.arg() {
            Arg::Null => Value::Null,
            Arg::Int(i) => Value::Int(i),
            Arg::Text(s) => Value::Text(s.to_string()),
        })
        .collect()
}

/// Rows per multi-row `INSERT` on PostgreSQL (well under its 65,535 parameters).
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Something that binds as an [`Arg`].
pub(crate) trait ToArg {
    fn arg(&self) -> Arg<'_>;
}

impl ToArg for Value {
    fn arg(&self) -> Arg<'_> {
        Value::arg(self)
    }
}

impl ToArg for i64 {
    fn arg(&self) -> Arg<'_> {
        Arg::Int(*self)
    }
}

impl ToArg for u32 {
    fn arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for u16 {
    fn arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for u8 {
    fn arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for str {
    fn arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for String {
    fn arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn arg(&self) -> Arg<'_> {
        (**self).arg()
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn arg(&self) -> Arg<'_> {
        self.as_ref().map_or(Arg::Null, ToArg::arg)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Arg::Null => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(i),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

impl postgres::types::ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use postgres::types::{IsNull, Type};
        match *self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                _ => Err(format!("an integer cannot be stored in a {ty} column").into()),
            },
            Arg::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// One row of a query's result.
pub(crate) enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// An integer column that may be NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(match self {
            Row::Sqlite(r) => r.get(i)?,
            Row::Postgres(r) => r.try_get(i)?,
        })
    }

    /// An integer column that is never NULL.
    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }

    /// A text column that is never NULL.
    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }

    /// Any column as it is stored (integer, text or NULL): for copying rows between
    /// stores without knowing what they mean.
    pub fn value(&self, i: usize) -> Result<Value> {
        match self {
            Row::Sqlite(r) => Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::Text(String::from_utf8_lossy(t).into_owned())
                }
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "column {i} holds a {:?} value",
                        other.data_type()
                    )));
                }
            }),
            Row::Postgres(r) => {
                use postgres::types::Type;
                let ty = r.columns()[i].type_().clone();
                let v = if ty == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
                } else if ty == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?
                        .map(|n| Value::Int(n.into()))
                } else if ty == Type::INT2 {
                    r.try_get::<_, Option<i16>>(i)?
                        .map(|n| Value::Int(n.into()))
                } else {
                    r.try_get::<_, Option<String>>(i)?.map(Value::Text)
                };
                Ok(v.unwrap_or(Value::Null))
            }
        }
    }

    /// An integer column of a narrower type (an event id, an NTSTATUS, a build).
    pub fn opt_narrow<T: TryFrom<i64>>(&self, i: usize) -> Result<Option<T>> {
        self.opt_int(i)?
            .map(|v| {
                T::try_from(v)
                    .map_err(|_| StoreError::Corrupt(format!("column {i}: {v} is out of range")))
            })
            .transpose()
    }
}

/// A connection to either database.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

/// A PostgreSQL client with its prepared statements (one round trip saved per execution).
pub(crate) struct PgConn {
    pub client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client,
            statements: HashMap::new(),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// `$1` → `?1`: SQLite reads `$1` as a parameter *named* "$1", numbered by first
/// appearance, which would bind `UPDATE … SET a = $2 WHERE id = $1` backwards.
fn sqlite_placeholders(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    if !b.windows(2).any(|w| w[0] == b'$' && w[1].is_ascii_digit()) {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn args_of<'a>(args: &'a [&'a dyn ToArg]) -> Vec<Arg<'a>> {
    args.iter().map(|a| a.arg()).collect()
}

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Begin {
    /// Facts of an input: one writer at a time on SQLite.
    Write,
    /// A change of a plan: serialized with every other plan change on both databases, so
    /// "read the open plans, then write" cannot interleave.
    Plan,
}

impl Conn {
    /// Runs several statements without arguments.
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.client.batch_execute(sql)?,
        }
        Ok(())
    }

    pub fn begin(&mut self, how: Begin) -> Result<()> {
        match (self, how) {
            (Conn::Sqlite(c), _) => c.execute_batch("BEGIN IMMEDIATE")?,
            (Conn::Postgres(c), Begin::Write) => c.client.batch_execute("BEGIN")?,
            (Conn::Postgres(c), Begin::Plan) => c
                .client
                .batch_execute("BEGIN; LOCK TABLE plans IN SHARE ROW EXCLUSIVE MODE")?,
        }
        Ok(())
    }

    pub fn commit(&mut self) -> Result<()> {
        self.batch("COMMIT")
    }

    pub fn rollback(&mut self) -> Result<()> {
        self.batch("ROLLBACK")
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(
        &mut self,
        how: Begin,
        f: impl FnOnce(&mut Conn) -> Result<T>,
    ) -> Result<T> {
        self.begin(how)?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The error that made us roll back is the one worth reporting.
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    /// Runs one statement; returns the rows it changed.
    /// Inserts `rows` into `table`. SQLite runs its prepared one-row `INSERT` per row (it
    /// is in-process); PostgreSQL gets multi-row `INSERT`s, one round trip per
    /// [`ROWS_PER_INSERT`] rows instead of one per row. Row order is kept.
    pub fn insert_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<()> {
        let width = columns.len();
        let sql = |count: usize| {
            let mut s = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            for r in 0..count {
                s.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..width {
                    if c > 0 {
                        s.push_str(", ");
                    }
                    s.push('$');
                    s.push_str(&(r * width + c + 1).to_string());
                }
                s.push(')');
            }
            s
        };
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_placeholders(&sql(1)))?;
                for r in rows {
                    stmt.execute(rusqlite::params_from_iter(r.iter().map(Value::arg)))?;
                }
            }
            Conn::Postgres(c) => {
                for chunk in rows.chunks(ROWS_PER_INSERT) {
                    let args: Vec<Arg<'_>> = chunk.iter().flatten().map(Value::arg).collect();
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = args
                        .iter()
                        .map(|a| a as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    // A full chunk's statement is kept; a last, shorter one is not.
                    if chunk.len() == ROWS_PER_INSERT {
                        let stmt = c.statement(&sql(chunk.len()))?;
                        c.client.execute(&stmt, &refs)?;
                    } else {
                        c.client.execute(sql(chunk.len()).as_str(), &refs)?;
                    }
                }
            }
        }
        Ok(())
    }

    pub fn execute(&mut self, sql: &str, args: &[&dyn ToArg]) -> Result<u64> {
        let args = args_of(args);
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_placeholders(sql))?;
                Ok(stmt.execute(rusqlite::params_from_iter(args.iter()))? as u64)
            }
            Conn::Postgres(c) => {
                let stmt = c.statement(sql)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = args
                    .iter()
                    .map(|a| a as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                Ok(c.client.execute(&stmt, &refs)?)
            }
        }
    }

    /// Calls `f` for each row of a query, streaming (a big table is never held whole).
    pub fn query(
        &mut self,
        sql: &str,
        args: &[&dyn ToArg],
        mut f: impl FnMut(Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let args = args_of(args);
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_placeholders(sql))?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                while let Some(r) = rows.next()? {
                    f(Row::Sqlite(r))?;
                }
            }
            Conn::Postgres(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let stmt = c.statement(sql)?;
                let refs = args
                    .iter()
                    .map(|a| a as &(dyn postgres::types::ToSql + Sync));
                let mut rows = c.client.query_raw(&stmt, refs)?;
                while let Some(r) = rows.next()? {
                    f(Row::Postgres(&r))?;
                }
            }
        }
        Ok(())
    }

    /// The first row of a query mapped by `f`, if there is one.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        args: &[&dyn ToArg],
        f: impl FnOnce(Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.query(sql, args, |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query that always returns one (an aggregate, `RETURNING`).
    pub fn query_one<T>(
        &mut self,
        sql: &str,
        args: &[&dyn ToArg],
        f: impl FnOnce(Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, args, f)?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from: {sql}")))
    }

    /// Inserts one row and returns its id (`sql` ends in `RETURNING id`).
    pub fn insert(&mut self, sql: &str, args: &[&dyn ToArg]) -> Result<i64> {
        self.query_one(sql, args, |r| r.int(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        assert_eq!(
            sqlite_placeholders("UPDATE t SET a = $2 WHERE id = $1 AND b = '$x'"),
            "UPDATE t SET a = ?2 WHERE id = ?1 AND b = '$x'"
        );
        assert!(matches!(
            sqlite_placeholders("SELECT 1"),
            Cow::Borrowed("SELECT 1")
        ));
    }

    #[test]
    fn sqlite_binds_numbered_placeholders_out_of_order() {
        let mut c = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
            .unwrap();
        let id = c
            .insert("INSERT INTO t (a) VALUES ($1) RETURNING id", &[&"x"])
            .unwrap();
        c.execute("UPDATE t SET a = $2 WHERE id = $1", &[&id, &"y"])
            .unwrap();
        let a = c
            .query_one("SELECT a FROM t WHERE id = $1", &[&id], |r| r.text(0))
            .unwrap();
        assert_eq!(a, "y");
        let none: Option<String> = None;
        c.execute("UPDATE t SET a = $1", &[&none]).unwrap();
        let a = c
            .query_one("SELECT a FROM t", &[], |r| r.opt_text(0))
            .unwrap();
        assert_eq!(a, None);
    }
}
