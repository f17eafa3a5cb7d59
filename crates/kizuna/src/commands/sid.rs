//! `kizuna sid scan`: PsGetSid for a whole network. The targets (arguments, a hosts file,
//! the directory's computers) are asked for their machine SIDs over SMB/LSARPC, and the
//! answers are judged and reported like `kizuna scan`'s evidence.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use kizuna_core::Secret;
use kizuna_sidscan::{Credentials, Sweep, Targets};

use crate::commands::scan::{Presentation, present};
use crate::console::{Console, num, text};
use crate::directory::{DirectoryArgs, LdapArgs};
use crate::exit;
use crate::progress::{ProgressLine, sid_line};
use crate::settings::{knowledge, open_store};

#[derive(Args, Debug)]
pub struct SidArgs {
    #[command(subcommand)]
    pub command: SidCommand,
}

#[derive(Subcommand, Debug)]
pub enum SidCommand {
    /// Ask hosts for their machine SIDs over SMB (LSARPC, as PsGetSid does) and report
    /// duplicates (KZ-SID-001..003).
    Scan(SidScanArgs),
}

#[derive(Args, Debug)]
pub struct SidScanArgs {
    /// Hosts to ask: names, addresses, or IPv4 ranges (10.1.2.0/24).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// A file of targets, one per line (# starts a comment).
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// Ask more than 65,536 addresses (a /16).
    #[arg(long)]
    pub yes_large: bool,
    /// Sign in to the hosts as this account (DOMAIN\user, user@domain, or a local user);
    /// without it, a null session (which Windows refuses). With --server it also binds to
    /// the directory unless --bind is given.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Read the password of --user (and --bind) from this environment variable.
    #[arg(long, value_name = "NAME", conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// Read the password of --user (and --bind) from this file (first line).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Hosts asked at once.
    #[arg(long, default_value_t = kizuna_sidscan::DEFAULT_CONCURRENCY, value_name = "N")]
    pub concurrency: usize,
    /// Seconds to wait for each step of a host's query (and for the directory): a host
    /// that does not answer costs at most this.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub timeout: u64,
    /// Ask every enabled computer of the directory at --server (bound as --bind, else
    /// as --user, with the same password).
    #[command(flatten)]
    pub ldap: LdapArgs,
    #[command(flatten)]
    pub keep: crate::settings::KeepArgs,
    #[command(flatten)]
    pub report: crate::settings::ReportArgs,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

pub fn run(args: SidArgs, console: &Console) -> anyhow::Result<i32> {
    let SidCommand::Scan(a) = args.command;
    let mut given = Targets::default();
    for t in &a.targets {
        given.add(t)?;
    }
    if let Some(file) = &a.hosts_file {
        let content =
            std::fs::read(file).with_context(|| format!("--hosts-file {}", file.display()))?;
        let content = String::from_utf8_lossy(&content);
        for (n, line) in content.lines().enumerate() {
            given
                .add(line.trim_start_matches('\u{feff}'))
                .with_context(|| format!("{} line {}", file.display(), n + 1))?;
        }
    }
    let ldap = LdapArgs {
        bind: a.ldap.bind.clone().or_else(|| a.user.clone()),
        ..a.ldap.clone()
    };
    let password = match a.user.as_ref().or(ldap.bind.as_ref()) {
        Some(account) => Some(Secret::new(crate::password::read(
            a.password_env.as_deref(),
            a.password_file.as_deref(),
            &format!("Password for {account}: "),
        )?)),
        None => None,
    };
    let directory_args = DirectoryArgs {
        ldap,
        no_smb: true,
        timeout: a.timeout,
        ..Default::default()
    };
    let directory = crate::directory::read_signed_in(&directory_args, password.clone())?;
    let chosen =
        kizuna_pipeline::sid_targets(given, directory.as_ref().map(|d| &d.0), a.yes_large)?;
    if let Some((snap, _)) = &directory {
        console.note(
            "cli-sid-directory",
            &[
                ("server", text(snap.source.clone())),
                ("computers", num(chosen.from_directory)),
                ("disabled", num(chosen.disabled)),
            ],
        );
    }
    if chosen.targets.is_empty() {
        console.error("cli-sid-no-targets", &[]);
        return Ok(exit::USAGE);
    }
    let credentials = match (&a.user, password) {
        (Some(name), Some(password)) => Credentials::User {
            name: name.clone(),
            password,
        },
        _ => Credentials::Anonymous,
    };
    let mut sweep = Sweep::new(
        chosen.targets,
        credentials,
        Duration::from_secs(a.timeout.max(1)),
    );
    sweep.concurrency = a.concurrency.max(1);
    let knowledge = knowledge(&a.knowledge)?;
    let db = a.keep.store();
    let mut store = open_store(db.as_ref())?;
    let now = kizuna_core::time::now();
    let progress = sweep.progress.clone();
    let line = ProgressLine::start(console.progress_line(), move |msg, elapsed| {
        sid_line(msg, &progress.snapshot(), elapsed)
    });
    let outcome = kizuna_pipeline::sid_scan(
        &mut store,
        &sweep,
        directory.map(|d| d.1),
        kizuna_pipeline::ScanSettings {
            window: Default::default(),
            knowledge: knowledge.clone(),
            expires: None,
            directory: None,
            sysvol: None,
            now,
            record: db.is_some(),
            actor: None,
        },
    )?;
    drop(line);
    if outcome.analysis.is_none() {
        crate::settings::print_input_errors(&outcome.inputs);
        let asked = outcome
            .inputs
            .iter()
            .filter(|i| i.kind == kizuna_core::InputKind::Lsarpc)
            .count();
        console.error("cli-sid-no-answer", &[("total", num(asked))]);
        return crate::commands::scan::unreadable(
            &outcome.inputs,
            Default::default(),
            a.report.format,
            &console.msg,
        );
    }
    present(
        &outcome,
        &store,
        Presentation {
            db,
            out: a.keep.out,
            format: a.report.format,
            fail_on: a.report.fail_on,
            window: Default::default(),
            knowledge: &knowledge,
        },
        console,
    )
}
