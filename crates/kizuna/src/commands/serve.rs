//! `kizuna serve`: runs the team server (`kizuna-server`), and `kizuna serve token …`
//! makes, lists and revokes its API tokens from the server's console, which is how the
//! first admin token can be made without `KIZUNA_ADMIN_TOKEN`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use kizuna_i18n::Lang;
use kizuna_server::accounts::Role;
use kizuna_server::tls::TlsError;
use kizuna_server::{Config, Scope, ServeError, Uploads};
use kizuna_store::{Location, Store};

use crate::console::{Console, num, text};
use crate::exit;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum ServeCommand {
    /// API tokens: create (the secret is shown once), list, revoke.
    Token(TokenArgs),
    /// Web accounts: create, list.
    Account(AccountArgs),
}

#[derive(Args, Debug)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Make an account; the password comes from --password-env, --password-file or a
    /// prompt (12 characters or more), never from the command line.
    Create {
        #[arg(long)]
        db: Location,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Read the password from this environment variable.
        #[arg(long, value_name = "NAME", conflicts_with = "password_file")]
        password_env: Option<String>,
        /// Read the password from this file (first line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Every account: name, role, when made, disabled.
    List {
        #[arg(long)]
        db: Location,
    },
}

/// `serve --max-unpacked-gib` unless given: a whole upload unpacks to at most this.
pub const SERVE_MAX_UNPACKED_GIB: u64 = 4;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// The store: an SQLite file (sqlite://FILE or a path) or postgres://….
    #[arg(long)]
    pub db: Option<Location>,
    /// PEM certificate chain (leaf first) for HTTPS.
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// A proxy in front (repeatable): its X-Forwarded-For names the client that sign-ins
    /// are counted and audited under. The header is ignored from anyone else.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest upload, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub max_upload_mib: u64,
    /// Most bytes the archives of one upload may unpack to, all its files together, in
    /// GiB. Lower than scan's: anyone with an ingest token can send a compression bomb.
    #[arg(long, value_name = "GIB", default_value_t = SERVE_MAX_UNPACKED_GIB)]
    pub max_unpacked_gib: u64,
    /// Uploads one token (or account) may have in progress at once; more are answered
    /// 429 until one ends.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_uploads_per_token: usize,
    /// Threads reading one upload.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Folder for uploads while they are read (default: the system's temporary folder).
    #[arg(long, value_name = "DIR")]
    pub scratch: Option<PathBuf>,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
    /// Language of the console messages: ja or en (default: from the locale).
    #[arg(long, value_parser = crate::settings::parse_lang)]
    pub lang: Option<Lang>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a token; its secret goes to stdout, once.
    Create {
        #[arg(long)]
        db: Location,
        /// What the token is for (shown in lists and the audit log).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        scope: Scope,
    },
    /// Every token: id, name, scope, when made, last used, revoked.
    List {
        #[arg(long)]
        db: Location,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        db: Location,
        id: i64,
    },
}

pub fn run(a: ServeArgs, console: &Console) -> anyhow::Result<i32> {
    match a.command {
        Some(ServeCommand::Token(t)) => token(t.command, console),
        Some(ServeCommand::Account(a)) => account(a.command, console),
        None => serve(a.run, console),
    }
}

fn serve(a: RunArgs, console: &Console) -> anyhow::Result<i32> {
    let Some(db) = a.db else {
        console.error("serve-no-db", &[]);
        return Ok(exit::USAGE);
    };
    let config = Config {
        listen: a.listen,
        db: db.clone(),
        tls: a.tls_cert.zip(a.tls_key),
        allow_plain_http: a.allow_plain_http,
        trusted_proxies: a.trusted_proxies,
        uploads: Uploads {
            scratch: a
                .scratch
                .unwrap_or_else(|| std::env::temp_dir().join("kizuna-uploads")),
            max_bytes: a.max_upload_mib.saturating_mul(1 << 20),
            threads: a.threads.max(1),
            limits: kizuna_evidence::Limits {
                max_unpacked: a.max_unpacked_gib.saturating_mul(1 << 30),
                ..Default::default()
            },
            pace: Default::default(),
            per_token: a.max_uploads_per_token.max(1),
        },
        knowledge: crate::settings::knowledge(&a.knowledge)?,
        admin_token: std::env::var("KIZUNA_ADMIN_TOKEN")
            .ok()
            .filter(|s| !s.trim().is_empty()),
        fixed_now: std::env::var_os("KIZUNA_NOW").map(|_| kizuna_core::time::now()),
    };
    kizuna_server::serve(config, |addr, scheme| {
        console.error(
            "serve-listening",
            &[
                ("url", text(format!("{scheme}://{addr}"))),
                ("db", text(db.to_string())),
            ],
        )
    })
    .map_err(with_flags)?;
    Ok(exit::OK)
}

/// A start-up error with the flags that fix it.
fn with_flags(e: ServeError) -> anyhow::Error {
    let flags = match &e {
        ServeError::PlainHttp(_) => "--tls-cert and --tls-key, or --allow-plain-http",
        ServeError::Tls(TlsError::Cert { .. }) => "--tls-cert",
        ServeError::Tls(TlsError::Key { .. }) => "--tls-key",
        _ => return e.into(),
    };
    anyhow::anyhow!("{e} ({flags})")
}

fn token(c: TokenCommand, console: &Console) -> anyhow::Result<i32> {
    let now = kizuna_core::time::now();
    match c {
        TokenCommand::Create { db, name, scope } => {
            let mut store = Store::connect(&db)?;
            let (row, secret) =
                kizuna_server::auth::create_token(&mut store, &name, scope, "cli", None, now)?;
            println!("{}", secret.expose());
            console.note(
                "serve-token-made",
                &[
                    ("id", num(row.id)),
                    ("name", text(row.name)),
                    ("scope", text(row.scope)),
                ],
            );
        }
        TokenCommand::List { db } => {
            let tokens = Store::connect(&db)?.tokens()?;
            if tokens.is_empty() {
                console.note("serve-tokens-none", &[]);
            }
            let time = |t: &Option<kizuna_core::Timestamp>| {
                t.as_ref().map_or("-".to_string(), kizuna_report::rfc3339)
            };
            println!("id\tscope\tname\tcreated\tcreated_by\tlast_used\trevoked");
            for t in tokens {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.scope,
                    t.name,
                    kizuna_report::rfc3339(&t.created),
                    t.created_by,
                    time(&t.last_used),
                    time(&t.revoked)
                );
            }
        }
        TokenCommand::Revoke { db, id } => {
            let mut store = Store::connect(&db)?;
            if kizuna_server::auth::revoke_token(&mut store, id, "cli", None, now)? {
                console.note("serve-token-revoked", &[("id", num(id))]);
            } else {
                console.error("serve-token-not-found", &[("id", num(id))]);
                return Ok(exit::USAGE);
            }
        }
    }
    Ok(exit::OK)
}

fn account(c: AccountCommand, console: &Console) -> anyhow::Result<i32> {
    let now = kizuna_core::time::now();
    match c {
        AccountCommand::Create {
            db,
            name,
            role,
            password_env,
            password_file,
        } => {
            let password = crate::password::read(
                password_env.as_deref(),
                password_file.as_deref(),
                &format!("Password for {name}: "),
            )?;
            let mut store = Store::connect(&db)?;
            let row = kizuna_server::accounts::create_account(
                &mut store, &name, role, &password, "cli", now,
            )?;
            console.note(
                "serve-account-made",
                &[("name", text(row.name)), ("role", text(row.role))],
            );
        }
        AccountCommand::List { db } => {
            println!("name\trole\tcreated\tdisabled");
            for a in Store::connect(&db)?.accounts()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.name,
                    a.role,
                    kizuna_report::rfc3339(&a.created),
                    a.disabled
                        .as_ref()
                        .map_or("-".to_string(), kizuna_report::rfc3339)
                );
            }
        }
    }
    Ok(exit::OK)
}
