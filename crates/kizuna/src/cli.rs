//! The command line: every command, its arguments and its help (the contract in
//! DESIGN.md), and the dispatch to `commands/`. Nothing here decides anything.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kizuna_core::Severity;
use kizuna_i18n::Lang;
use kizuna_store::Location;

use crate::commands;
use crate::console::Console;
use crate::settings::{ReadArgs, parse_lang, parse_severity};

#[derive(Parser, Debug)]
#[command(
    name = "kizuna",
    version,
    about = "Find, explain and fix broken domain secure channels and duplicate machine SIDs.",
    long_about = "kizuna reads Windows event logs (EVTX, event XML/JSON) and netlogon.log files, \
finds devices whose secure channel to the domain breaks, explains why, and says what to do.\n\n\
Exit codes: 0 = ran, nothing at or above --fail-on; 1 = findings at or above it; \
2 = usage error or nothing readable."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress line and no notes on stderr (errors are still reported).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan evidence: which devices are broken or about to break, why, and what to do.
    Scan(ScanArgs),
    /// List the watched events found in the evidence.
    Events(EventsArgs),
    /// List the devices named in the evidence.
    Devices(DevicesArgs),
    /// Generate a small lab domain with known problems and scan it.
    Demo(DemoArgs),
    /// Lab domains with known ground truth (for tests, demos and benchmarks).
    Lab(commands::lab::LabArgs),
    /// Active Directory: audit computers, DC passwords and the workaround GPOs over LDAP.
    Ad(AdArgs),
    /// The workaround and rollback GPOs as importable GPMC backups with scripts.
    Gpo(commands::gpo::GpoArgs),
    /// The staged workaround / rollback plan: phases, gates from evidence, expiry, log.
    Plan(commands::plan::PlanArgs),
    /// The weekly review from a store: new, persisting and resolved findings, trends, devices.
    Report(commands::review::ReportArgs),
    /// Self-repair scripts for the computers: an Intune remediation pair or a scheduled task.
    Scripts(commands::scripts::ScriptsArgs),
    /// The team server: evidence ingest API and findings over one store; API tokens.
    Serve(commands::serve::ServeArgs),
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// The store: an SQLite file (or sqlite://FILE) or postgres://USER@HOST/DB (password
    /// from PGPASSWORD); default: kizuna.db in --out, else a temporary one.
    #[arg(long)]
    pub db: Option<Location>,
    /// Output folder (holds kizuna.db unless --db is given).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Language of the output: ja or en (default: from the locale).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    #[command(flatten)]
    pub directory: commands::ad::DirectoryArgs,
    /// The date the workaround must be gone by (YYYY-MM-DD): devices whose SYSTEM hive
    /// still holds it afterwards are KZ-POL-004. Default: the expiry of the plan in --db
    /// (`kizuna plan`), else the "(expires …)" in a workaround GPO's name (--server).
    #[arg(long, value_parser = kizuna_core::time::parse_date)]
    pub expires: Option<chrono::NaiveDate>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsFormat {
    Table,
    Jsonl,
    Csv,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Only these event ids (comma-separated), e.g. --id 5722,5805.
    #[arg(long, value_delimiter = ',')]
    pub id: Vec<u32>,
    #[arg(long, value_enum, default_value_t = EventsFormat::Table)]
    pub format: EventsFormat,
    /// Keep the facts in this store (an SQLite file or postgres://…) instead of a
    /// temporary one.
    #[arg(long)]
    pub db: Option<Location>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicesFormat {
    Table,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(long, value_enum, default_value_t = DevicesFormat::Table)]
    pub format: DevicesFormat,
}

#[derive(Args, Debug)]
pub struct AdArgs {
    #[command(subcommand)]
    pub command: AdCommand,
}

#[derive(Subcommand, Debug)]
pub enum AdCommand {
    /// Read the directory (and SYSVOL) and report KZ-AD-001..006 and KZ-DC-001.
    Audit(AdAuditArgs),
}

#[derive(Args, Debug)]
pub struct AdAuditArgs {
    #[command(flatten)]
    pub directory: commands::ad::DirectoryArgs,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the lab evidence and the store (default: a temporary folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Seed of the generated lab domain.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs a parsed command; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Scan(a) => {
            let db = a.db.clone().or_else(|| {
                a.out
                    .as_ref()
                    .map(|o| Location::Sqlite(o.join("kizuna.db")))
            });
            commands::scan::run(
                &a.read,
                &a.directory,
                commands::scan::ScanRun {
                    db,
                    out: a.out.clone(),
                    expires: a.expires,
                    now: kizuna_core::time::now(),
                    format: a.format,
                    fail_on: a.fail_on,
                },
                &Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet),
            )
        }
        Command::Events(a) => commands::events::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Devices(a) => commands::devices::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Demo(a) => {
            let console = Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet);
            commands::demo::run(a, &console)
        }
        Command::Lab(a) => commands::lab::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Ad(AdArgs {
            command: AdCommand::Audit(a),
        }) => commands::ad::audit(a),
        Command::Gpo(a) => commands::gpo::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Plan(a) => commands::plan::run(a),
        Command::Report(a) => {
            let console = Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet);
            commands::review::run(a, &console)
        }
        Command::Scripts(a) => commands::scripts::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Serve(a) => {
            let lang = a.run.lang.unwrap_or_else(Lang::from_env);
            commands::serve::run(a, &Console::new(lang, quiet))
        }
    }
}
