//! Where a store lives, as `--db` names it: a file path (or `sqlite://FILE`) for SQLite,
//! `postgres://…` (or `postgresql://…`, or libpq's `key=value` form) for PostgreSQL.
//!
//! A PostgreSQL address may carry a password; it is kept private and never shown:
//! [`PostgresUrl`] prints as `postgres://user@host:port/dbname`. Without a password in the
//! address, `PGPASSWORD` is used when set, as libpq does.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The database of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(Box<PostgresUrl>),
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Location, String> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://kizuna.db".into());
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://")
            || lower.starts_with("postgresql://")
            || (s.contains('=') && (lower.contains("host=") || lower.contains("dbname=")))
        {
            return s.parse().map(|u| Location::Postgres(Box::new(u)));
        }
        if s.is_empty() {
            return Err("the database path is empty".into());
        }
        Ok(Location::Sqlite(PathBuf::from(s)))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => u.fmt(f),
        }
    }
}

/// A PostgreSQL connection address. Its password never prints.
#[derive(Clone)]
pub struct PostgresUrl {
    config: postgres::Config,
}

impl PartialEq for PostgresUrl {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
            && self.config.get_password() == other.config.get_password()
    }
}

impl Eq for PostgresUrl {}

impl FromStr for PostgresUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<PostgresUrl, String> {
        // The parser's message never repeats the address (it may hold a password).
        let mut config =
            postgres::Config::from_str(s).map_err(|e| format!("not a PostgreSQL address ({e})"))?;
        if config.get_hosts().is_empty() {
            return Err("the PostgreSQL address names no host".into());
        }
        if config.get_password().is_none()
            && let Ok(p) = std::env::var("PGPASSWORD")
        {
            config.password(p);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        config.application_name("kizuna");
        Ok(PostgresUrl { config })
    }
}

impl PostgresUrl {
    /// Connects. TLS is not offered: reach a remote server over a network you trust, or a
    /// local socket; an address that demands TLS (`sslmode=require`) fails to connect.
    pub(crate) fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(postgres::NoTls)
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres://")?;
        if let Some(user) = self.config.get_user() {
            write!(f, "{user}@")?;
        }
        let ports = self.config.get_ports();
        for (i, host) in self.config.get_hosts().iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            match host {
                postgres::config::Host::Tcp(h) if h.contains(':') => write!(f, "[{h}]")?,
                postgres::config::Host::Tcp(h) => write!(f, "{h}")?,
                postgres::config::Host::Unix(p) => write!(f, "{}", p.display())?,
            }
            if let Some(port) = ports.get(i).or(ports.first()) {
                write!(f, ":{port}")?;
            }
        }
        if let Some(db) = self.config.get_dbname() {
            write!(f, "/{db}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_addresses_are_told_apart() {
        assert_eq!(
            "k.db".parse::<Location>().unwrap(),
            Location::Sqlite("k.db".into())
        );
        assert_eq!(
            "sqlite:///var/lib/kizuna.db".parse::<Location>().unwrap(),
            Location::Sqlite("/var/lib/kizuna.db".into())
        );
        let pg: Location = "postgres://kz:s3cret@db.example:5433/kizuna"
            .parse()
            .unwrap();
        assert!(matches!(pg, Location::Postgres(_)));
        let pg2: Location = "host=db.example port=5433 user=kz dbname=kizuna password=s3cret"
            .parse()
            .unwrap();
        assert_eq!(pg, pg2);
        assert!("sqlite://".parse::<Location>().is_err());
    }

    #[test]
    fn a_password_never_prints() {
        for s in [
            "postgres://kz:s3cret@db.example:5433/kizuna",
            "postgresql://kz:s3cret@db.example/kizuna?sslmode=disable",
            "host=db.example user=kz password=s3cret dbname=kizuna",
        ] {
            let loc: Location = s.parse().unwrap();
            let shown = format!("{loc} {loc:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("kz@db.example"), "{shown}");
        }
        let err = "postgres://kz:s3cret@db.example:notaport/kizuna"
            .parse::<Location>()
            .unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
