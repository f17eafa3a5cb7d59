//! The command line: every command, its arguments and its help (the contract in
//! DESIGN.md), and the dispatch to `commands/`. Nothing here decides anything.

use clap::{Parser, Subcommand};
use kizuna_i18n::Lang;

use crate::commands;
use crate::commands::sid::SidCommand;
use crate::console::Console;

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
    Scan(commands::scan::ScanArgs),
    /// List the watched events found in the evidence.
    Events(commands::events::EventsArgs),
    /// List the devices named in the evidence.
    Devices(commands::devices::DevicesArgs),
    /// Generate a small lab domain with known problems and scan it.
    Demo(commands::demo::DemoArgs),
    /// Lab domains with known ground truth (for tests, demos and benchmarks).
    Lab(commands::lab::LabArgs),
    /// Machine SIDs asked over the network (PsGetSid for many hosts), judged for duplicates.
    Sid(commands::sid::SidArgs),
    /// Active Directory: audit computers, DC passwords and the workaround GPOs over LDAP.
    Ad(commands::ad::AdArgs),
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

/// Runs a parsed command; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Scan(a) => commands::scan::run(
            &a.read,
            &a.directory,
            commands::scan::ScanRun {
                db: a.keep.store(),
                out: a.keep.out.clone(),
                expires: a.expires,
                now: kizuna_core::time::now(),
                format: a.report.format,
                fail_on: a.report.fail_on,
            },
            &Console::new(a.report.lang(), quiet),
        ),
        Command::Events(a) => commands::events::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Devices(a) => commands::devices::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Demo(a) => {
            let console = Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet);
            commands::demo::run(a, &console)
        }
        Command::Lab(a) => commands::lab::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Ad(commands::ad::AdArgs {
            command: commands::ad::AdCommand::Audit(a),
        }) => commands::ad::audit(a),
        Command::Sid(a) => {
            let SidCommand::Scan(s) = &a.command;
            let console = Console::new(s.report.lang(), quiet);
            commands::sid::run(a, &console)
        }
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
