//! `kizuna plan init|status|advance|record`: the staged workaround / rollback plan kept
//! in the kizuna store (`docs/plan.md`). The phases, gates and measurements are
//! `kizuna-plan`'s; this module wires the store, the clock (`KIZUNA_NOW`), the rules of
//! `kizuna scan` (`pipeline::analyze_stored`) and the output.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use kizuna_core::{Knowledge, MessageArg, Timestamp};
use kizuna_i18n::{Lang, Messages};
use kizuna_pipeline::PlanStart;
use kizuna_plan::{PlanError, Track};
use kizuna_report::plan as report;
use kizuna_store::{Location, Store};

use crate::exit;
use crate::settings::Format;

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Start a plan: its first phase (pilot or lab) begins now.
    Init(InitArgs),
    /// Where the plan is, what is next, whether its gate passes, days left before expiry.
    Status(StatusArgs),
    /// End the active phase and begin the next, only when its gate passes (or --force).
    Advance(AdvanceArgs),
    /// Add an operator's measurement or note to the plan's log.
    Record(RecordArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The kizuna store holding the evidence and the plan: an SQLite file or postgres://….
    #[arg(long)]
    pub db: Location,
    /// Language of the output: ja or en (default: from the locale).
    #[arg(long, value_parser = crate::settings::parse_lang)]
    pub lang: Option<Lang>,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum)]
    pub track: Track,
    /// The workaround's expiry date (YYYY-MM-DD): the date it must be gone by.
    #[arg(long)]
    pub expires: String,
    /// A phase's devices, in order: NAME=PATTERNS (comma-separated, * and ?). The first
    /// phase's scope is required: --stage pilot=… (workaround) or --stage lab=… (rollback).
    #[arg(long, value_name = "NAME=PATTERNS")]
    pub stage: Vec<String>,
    /// Days without a new failure a gate needs (default: thresholds.toml, 7).
    #[arg(long)]
    pub quiet_days: Option<i64>,
    /// Failure events per day allowed, averaged over the gate's window (default 1.0).
    #[arg(long)]
    pub max_failures_per_day: Option<f64>,
    /// Who starts the plan (default: the user name of the session).
    #[arg(long)]
    pub by: Option<String>,
    /// Why (a change number, a decision).
    #[arg(long)]
    pub why: Option<String>,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct AdvanceArgs {
    #[command(flatten)]
    pub common: Common,
    /// Who advances the plan.
    #[arg(long)]
    pub by: String,
    /// Why (kept in the log with the gate's numbers).
    #[arg(long)]
    pub why: String,
    /// Advance although the gate does not pass; logged as forced.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    #[command(flatten)]
    pub common: Common,
    /// Who records it.
    #[arg(long)]
    pub by: String,
    /// Helpdesk tickets about broken trust relationships since the last record.
    #[arg(long)]
    pub helpdesk_tickets: Option<u32>,
    /// The note.
    #[arg(long)]
    pub note: String,
}

fn messages(c: &Common) -> Messages {
    Messages::new(c.lang.unwrap_or_else(Lang::from_env))
}

/// Prints a plan error from the catalogs, an empty field named by its flag; usage
/// errors exit 2.
fn fail(msg: &Messages, e: &PlanError) -> i32 {
    let e = match e {
        PlanError::Empty(field) => &PlanError::Empty(match *field {
            "who" => "--by",
            "why" => "--why",
            "note" => "--note",
            other => other,
        }),
        e => e,
    };
    let (id, args) = e.message();
    eprintln!("kizuna: {}", msg.get(id, &args));
    exit::USAGE
}

fn text(s: &str) -> MessageArg {
    crate::console::text(s)
}

/// Runs a plan command; returns the exit code.
pub fn run(a: PlanArgs) -> anyhow::Result<i32> {
    let common = match &a.command {
        PlanCommand::Init(x) => &x.common,
        PlanCommand::Status(x) => &x.common,
        PlanCommand::Advance(x) => &x.common,
        PlanCommand::Record(x) => &x.common,
    };
    let msg = messages(common);
    let k = crate::settings::knowledge(&common.knowledge)?;
    let now = kizuna_core::time::now();
    let result = match &a.command {
        PlanCommand::Init(x) => init(x, &msg, &k, now),
        cmd => {
            if let Location::Sqlite(file) = &common.db
                && !file.is_file()
            {
                eprintln!(
                    "kizuna: {}",
                    msg.get(
                        "plan-error-db",
                        &[("path", text(&file.display().to_string()))]
                    )
                );
                return Ok(exit::USAGE);
            }
            match cmd {
                PlanCommand::Status(x) => status(x, &msg, &k, now),
                PlanCommand::Advance(x) => advance(x, &msg, &k, now),
                PlanCommand::Record(x) => record(x, &msg, now),
                PlanCommand::Init(_) => unreachable!("handled above"),
            }
        }
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) => Ok(fail(&msg, &e)),
    }
}

fn open(db: &Location) -> Result<Store, PlanError> {
    Ok(Store::connect(db)?)
}

fn session_user() -> String {
    ["USER", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn init(a: &InitArgs, msg: &Messages, k: &Knowledge, now: Timestamp) -> Result<i32, PlanError> {
    let Ok(expires) = NaiveDate::parse_from_str(a.expires.trim(), "%Y-%m-%d") else {
        eprintln!(
            "kizuna: {}",
            msg.get("plan-error-date", &[("date", text(&a.expires))])
        );
        return Ok(exit::USAGE);
    };
    let track = a.track;
    let mut store = open(&a.common.db)?;
    let plan = kizuna_pipeline::start_plan(
        &mut store,
        k,
        PlanStart {
            track,
            stages: a.stage.clone(),
            expires,
            quiet_days: a.quiet_days,
            max_failures_per_day: a.max_failures_per_day,
            who: a.by.clone().unwrap_or_else(session_user),
            why: a.why.clone(),
            now,
        },
    )?;
    println!("{}", report::created_line(msg, &plan, now));
    Ok(exit::OK)
}

fn status(a: &StatusArgs, msg: &Messages, k: &Knowledge, now: Timestamp) -> Result<i32, PlanError> {
    let store = open(&a.common.db)?;
    let r = kizuna_pipeline::plan_status(&store, k, now)?.ok_or(PlanError::NoPlan)?;
    let out = match a.format {
        Format::Text => report::text_report(&r, msg),
        Format::Json => report::json(&r),
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    // A closed pipe (`| head`) is not an error.
    let _ = w.write_all(out.as_bytes()).and_then(|_| w.flush());
    Ok(exit::OK)
}

fn advance(
    a: &AdvanceArgs,
    msg: &Messages,
    k: &Knowledge,
    now: Timestamp,
) -> Result<i32, PlanError> {
    let mut store = open(&a.common.db)?;
    let advanced = kizuna_pipeline::advance_plan(&mut store, k, (&a.by, &a.why), a.force, now)?;
    let (lines, refused) = report::advance_lines(msg, &advanced);
    if refused {
        // The refusal goes to stderr, as a usage note would; the exit code says it.
        let mut err = std::io::stderr().lock();
        let mut lines = lines.iter();
        if let Some(first) = lines.next() {
            let _ = writeln!(err, "kizuna: {first}");
        }
        for line in lines {
            let _ = writeln!(err, "{line}");
        }
        return Ok(exit::FINDINGS);
    }
    for line in lines {
        println!("{line}");
    }
    Ok(exit::OK)
}

fn record(a: &RecordArgs, msg: &Messages, now: Timestamp) -> Result<i32, PlanError> {
    let mut store = open(&a.common.db)?;
    let (plan, _log, phase) = kizuna_plan::store::record_note(
        &mut store,
        &a.by,
        &a.note,
        a.helpdesk_tickets.map(i64::from),
        now,
    )?;
    println!(
        "{}",
        report::recorded_line(msg, &plan, phase.as_deref(), now)
    );
    Ok(exit::OK)
}
