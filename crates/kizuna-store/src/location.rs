//! Where a store lives, as `--db` names it: a file path (or `sqlite://FILE`) for SQLite,
//! `postgres://…` (or `postgresql://…`, or libpq's `key=value` form) for PostgreSQL.
//!
//! A PostgreSQL address may carry a password; it is kept private and never shown:
//! [`PostgresUrl`] prints as `postgres://user@host:port/dbname`. Without a password in the
//! address, `PGPASSWORD` is used when set, as libpq does.
//!
//! TLS as libpq's options name it, with one difference that makes it safe by default:
//! `sslmode=require`, `verify-ca` and `verify-full` all encrypt *and* verify the server's
//! certificate chain and name, against `sslrootcert=FILE` when given (a private CA) or
//! the system's roots. `disable`, `allow`, `prefer` or no `sslmode` connect unencrypted
//! (a local socket, or a network you trust); kizuna never encrypts without verifying.

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
    tls: Tls,
}

/// Whether the connection is encrypted, and whom it trusts when it is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tls {
    Off,
    /// Encrypted and verified: against this CA file, else the system's roots.
    Verified {
        root_cert: Option<PathBuf>,
    },
}

impl PartialEq for PostgresUrl {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
            && self.config.get_password() == other.config.get_password()
    }
}

/// The TLS options of an address, taken out before the `postgres` parser (which knows
/// neither `verify-*` nor `sslrootcert`) reads the rest.
struct TlsOptions {
    rest: String,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

const TLS_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];

/// `%XX` escapes of a URL query value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), b.get(i + 2).copied().and_then(hex))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn take_tls_options(s: &str) -> TlsOptions {
    let mut o = TlsOptions {
        rest: String::new(),
        sslmode: None,
        sslrootcert: None,
    };
    let mut keep = |key: &str, value: String| match key {
        "sslmode" => o.sslmode = Some(value),
        _ => o.sslrootcert = Some(value),
    };
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        // The query begins at the first `?` after the credentials (a `?` in a password
        // is not one); what is missed here is caught after parsing (`from_str`).
        let from = s.find('@').map_or(0, |at| at + 1);
        let (base, query) = match s[from..].find('?') {
            Some(q) => (&s[..from + q], &s[from + q + 1..]),
            None => (s, ""),
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(k);
            if TLS_KEYS.contains(&key.as_str()) {
                keep(&key, percent_decode(v));
            } else {
                kept.push(pair);
            }
        }
        o.rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return o;
    }
    // libpq's `key=value key='quoted value'` form.
    let mut kept: Vec<String> = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut raw = String::new();
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            raw.push('=');
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'\'') {
                raw.push('\'');
                chars.next();
                while let Some(c) = chars.next() {
                    raw.push(c);
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                raw.push(n);
                                value.push(n);
                            }
                        }
                        '\'' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    raw.push(c);
                    value.push(c);
                    chars.next();
                }
            }
        }
        if TLS_KEYS.contains(&key.as_str()) {
            keep(&key, value);
        } else {
            kept.push(format!("{key}{raw}"));
        }
    }
    o.rest = kept.join(" ");
    o
}

impl Eq for PostgresUrl {}

impl FromStr for PostgresUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<PostgresUrl, String> {
        let options = take_tls_options(s);
        let root_cert = options.sslrootcert.map(PathBuf::from);
        let tls = match options.sslmode.as_deref() {
            Some("require" | "verify-ca" | "verify-full") => Tls::Verified { root_cert },
            // A CA file alone asks for a verified connection too.
            None if root_cert.is_some() => Tls::Verified { root_cert },
            None | Some("disable" | "allow" | "prefer") => Tls::Off,
            Some(other) => {
                return Err(format!(
                    "sslmode={other}: use disable, require, verify-ca or verify-full"
                ));
            }
        };
        // The parser's message is not shown: it may repeat part of the address, and the
        // address may hold a password.
        let mut config = postgres::Config::from_str(&options.rest).map_err(|_| {
            "not a PostgreSQL address: expected postgres://USER@HOST[:PORT]/DB[?OPTIONS] or \
             host=… dbname=…; percent-encode '@', '?' and '/' in a password"
                .to_string()
        })?;
        // An sslmode the parser read but this module did not (an unusual spelling) must
        // not be overridden into an unencrypted connection.
        if tls == Tls::Off && config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(
                "the address asks for TLS in a way kizuna cannot read: write sslmode=require \
                 (or verify-full) plainly, and percent-encode '?' and '@' in a password"
                    .into(),
            );
        }
        if config.get_hosts().iter().any(
            |h| matches!(h, postgres::config::Host::Tcp(name) if name.contains(['@', '/', '?'])),
        ) {
            return Err(
                "the PostgreSQL host name is not valid: percent-encode '@', '?' and '/' in a \
                 password (%40, %3F, %2F)"
                    .into(),
            );
        }
        config.ssl_mode(match tls {
            Tls::Off => postgres::config::SslMode::Disable,
            Tls::Verified { .. } => postgres::config::SslMode::Require,
        });
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
        Ok(PostgresUrl { config, tls })
    }
}

/// Why a PostgreSQL connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// With its causes: "error performing TLS handshake" alone does not say that the
    /// certificate's issuer was unknown.
    #[error("{}", with_causes(.0))]
    Postgres(#[from] postgres::Error),
    #[error("TLS: {0}")]
    Tls(#[from] kizuna_tls::TlsError),
}

fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

impl PostgresUrl {
    /// Connects: unencrypted, or over TLS verified as the address asks.
    pub(crate) fn connect(&self) -> Result<postgres::Client, ConnectError> {
        Ok(match &self.tls {
            Tls::Off => self.config.connect(postgres::NoTls)?,
            Tls::Verified { root_cert } => {
                let tls = kizuna_tls::client_config(root_cert.as_deref())?;
                self.config.connect(crate::pg_tls::RustlsConnect(tls))?
            }
        })
    }

    /// Whether the connection is encrypted and verified.
    pub fn encrypted(&self) -> bool {
        self.tls != Tls::Off
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
                // a socket folder exists only on Unix (tokio-postgres has no variant elsewhere)
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => write!(f, "{}", p.display())?,
            }
            if let Some(port) = ports.get(i).or(ports.first()) {
                write!(f, ":{port}")?;
            }
        }
        if let Some(db) = self.config.get_dbname() {
            write!(f, "/{db}")?;
        }
        if let Tls::Verified { root_cert } = &self.tls {
            write!(f, "?sslmode=verify-full")?;
            if let Some(p) = root_cert {
                write!(f, "&sslrootcert={}", p.display())?;
            }
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
        // An unencoded '@' in a password would make part of it a host name, shown.
        let err = "postgres://kz:p@ss3cret@db.example/kizuna"
            .parse::<Location>()
            .unwrap_err();
        assert!(!err.contains("ss3cret"), "{err}");
        let err = "host=db.example user=kz password=se cret=x dbname=kizuna"
            .parse::<Location>()
            .unwrap_err();
        assert!(!err.contains("cret"), "{err}");
    }

    #[test]
    fn tls_asked_for_is_never_dropped() {
        let tls = |s: &str| match s.parse::<Location>() {
            Ok(Location::Postgres(u)) => Ok(u.encrypted()),
            Ok(other) => panic!("{other}"),
            Err(e) => Err(e),
        };
        assert_eq!(tls("postgres://kz@db/k"), Ok(false));
        assert_eq!(tls("postgres://kz@db/k?sslmode=disable"), Ok(false));
        assert_eq!(tls("postgres://kz@db/k?sslmode=verify-full"), Ok(true));
        assert_eq!(tls("postgres://kz:pa?ss@db/k?sslmode=require"), Ok(true));
        assert_eq!(tls("postgres://kz@db/k?ssl%6Dode=require"), Ok(true));
        assert_eq!(
            tls("postgres://kz@db/k?application_name=x&sslmode=require"),
            Ok(true)
        );
        assert_eq!(tls("host=db dbname=k sslmode = 'verify-full'"), Ok(true));
        assert_eq!(
            tls("host=db dbname=k sslrootcert='/etc/my ca.pem'"),
            Ok(true)
        );
        assert!(tls("postgres://kz@db/k?sslmode=verify").is_err());
        let shown = "postgres://kz:pa?ss@db/k?sslmode=require&sslrootcert=%2Fetc%2Fca.pem"
            .parse::<Location>()
            .unwrap()
            .to_string();
        assert_eq!(
            shown,
            "postgres://kz@db:5432/k?sslmode=verify-full&sslrootcert=/etc/ca.pem"
        );
    }
}
