//! Command-line arguments (the contract in DESIGN.md) and what each command does.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kizuna_core::{Knowledge, Severity};
use kizuna_i18n::{Lang, Messages};
use kizuna_report::{
    EventFormat, EventWriter, ScanReport, devices_csv, devices_json, devices_table, scan_text,
    write_scan_json,
};
use kizuna_store::Location;

use crate::console::{Console, num, text};
use crate::pipeline::{ScanInput, analyze, ingest};
use crate::window::{now, parse_bound};

/// Exit codes: 0 ran with nothing at/above --fail-on; 1 findings at/above it; 2 usage
/// error or nothing readable.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

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
    Lab(crate::lab::LabArgs),
    /// Active Directory: audit computers, DC passwords and the workaround GPOs over LDAP.
    Ad(AdArgs),
    /// The workaround and rollback GPOs as importable GPMC backups with scripts.
    Gpo(crate::gpo::GpoArgs),
    /// The staged workaround / rollback plan: phases, gates from evidence, expiry, log.
    Plan(crate::plan::PlanArgs),
    /// The weekly review from a store: new, persisting and resolved findings, trends, devices.
    Report(crate::report::ReportArgs),
    /// Measure kizuna against a baseline in the same run (see docs/performance.md).
    Bench(crate::bench::BenchArgs),
    /// Self-repair scripts for the computers: an Intune remediation pair or a scheduled task.
    Scripts(crate::scripts::ScriptsArgs),
    /// The team server: evidence ingest API and findings over one store; API tokens.
    Serve(crate::serve::ServeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ReadArgs {
    /// Files or folders (walked recursively; .gz, .xz and .zip are opened).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only facts at or after this time: 7d, 12h, 2w, 2025-10-01 or an RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Only facts before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Files read in parallel (and EVTX chunk threads for a single file).
    #[arg(long, default_value_t = default_threads())]
    pub threads: usize,
    /// Render every EVTX record instead of only those the pre-filter cannot rule out
    /// (slower; the same events — for checking the pre-filter).
    #[arg(long)]
    pub evtx_full: bool,
    /// Year of netlogon.log lines (they carry none); default: each file's modification time.
    #[arg(long)]
    pub year: Option<i32>,
    /// GiB that archives (.zip, .gz, .xz, nested ones included) within one input given
    /// may unpack to; more is refused as a likely compression bomb.
    #[arg(long, value_name = "GIB", default_value_t = kizuna_evidence::Limits::default().max_unpacked >> 30)]
    pub max_unpacked_gib: u64,
    /// Folder with watched.toml / ntstatus.toml / thresholds.toml overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
    pub directory: crate::ad::DirectoryArgs,
    /// The date the workaround must be gone by (YYYY-MM-DD): devices whose SYSTEM hive
    /// still holds it afterwards are KZ-POL-004. Default: the expiry of the plan in --db
    /// (`kizuna plan`), else the "(expires …)" in a workaround GPO's name (--server).
    #[arg(long, value_parser = crate::window::parse_date)]
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
    pub directory: crate::ad::DirectoryArgs,
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

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub(crate) fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}: use ja or en"))
}

pub(crate) fn knowledge(dir: &Option<PathBuf>) -> anyhow::Result<Arc<Knowledge>> {
    Ok(Arc::new(match dir {
        Some(d) => Knowledge::with_overrides(d)?,
        None => Knowledge::builtin(),
    }))
}

/// What to read, with a progress line unless `--quiet` (or stderr is no terminal).
fn scan_input(r: &ReadArgs, console: &Console) -> anyhow::Result<ScanInput> {
    let now = now();
    let bound = |s: &Option<String>| -> anyhow::Result<_> {
        s.as_deref()
            .map(|v| parse_bound(v, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    Ok(ScanInput {
        paths: r.paths.clone(),
        threads: r.threads,
        evtx: if r.evtx_full {
            kizuna_evidence::EvtxPath::Full
        } else {
            kizuna_evidence::EvtxPath::Prefiltered
        },
        year: r.year,
        since: bound(&r.since).context("--since")?,
        until: bound(&r.until).context("--until")?,
        knowledge: knowledge(&r.knowledge)?,
        directory: None,
        expiry: None,
        progress: Default::default(),
        progress_line: console.progress_line(),
        limits: kizuna_evidence::Limits {
            max_unpacked: r.max_unpacked_gib.saturating_mul(1 << 30),
            ..Default::default()
        },
    })
}

fn print_input_errors(inputs: &[kizuna_evidence::InputReport]) {
    for i in inputs.iter().filter(|i| !i.errors.is_empty()) {
        for e in i.errors.iter().take(3) {
            eprintln!("kizuna: {}: {e}", i.path);
        }
    }
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
            scan(
                &a.read,
                &a.directory,
                ScanRun {
                    db,
                    out: a.out.clone(),
                    expires: a.expires,
                    now: now(),
                    format: a.format,
                    fail_on: a.fail_on,
                },
                &Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet),
            )
        }
        Command::Events(a) => events(a, &Console::new(Lang::from_env(), quiet)),
        Command::Devices(a) => devices(a, &Console::new(Lang::from_env(), quiet)),
        Command::Demo(a) => {
            let console = Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet);
            demo(a, &console)
        }
        Command::Lab(a) => crate::lab::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Ad(AdArgs {
            command: AdCommand::Audit(a),
        }) => ad_audit(a),
        Command::Gpo(a) => crate::gpo::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Plan(a) => crate::plan::run(a),
        Command::Report(a) => {
            let console = Console::new(a.lang.unwrap_or_else(Lang::from_env), quiet);
            crate::report::run(a, &console)
        }
        Command::Bench(a) => crate::bench::run(a),
        Command::Scripts(a) => crate::scripts::run(a, &Console::new(Lang::from_env(), quiet)),
        Command::Serve(a) => {
            let lang = a.run.lang.unwrap_or_else(Lang::from_env);
            crate::serve::run(a, &Console::new(lang, quiet))
        }
    }
}

/// How a scan stores, judges and reports.
struct ScanRun {
    db: Option<Location>,
    /// Where report.html and the CSV / JSON-lines exports go.
    out: Option<PathBuf>,
    /// `--expires`.
    expires: Option<chrono::NaiveDate>,
    /// The time the rules judge the evidence at (the clock, or the demo lab's end).
    now: kizuna_core::Timestamp,
    format: ScanFormat,
    fail_on: Severity,
}

fn scan(
    r: &ReadArgs,
    dir: &crate::ad::DirectoryArgs,
    run: ScanRun,
    console: &Console,
) -> anyhow::Result<i32> {
    let ScanRun {
        db,
        out,
        expires,
        now,
        format,
        fail_on,
    } = run;
    let mut input = scan_input(r, console)?;
    let directory = crate::ad::read(dir)?;
    let mut ing = ingest(&input, db.as_ref())?;
    input.expiry =
        crate::pipeline::workaround_expiry(expires, &ing.store, console).map(|e| (e, now));
    print_input_errors(&ing.inputs);
    if !ing.anything_readable() && directory.is_none() {
        console.error("cli-nothing-readable", &[]);
        return Ok(EXIT_USAGE);
    }
    let mut inputs = ing.inputs.clone();
    if let Some((snap, report)) = directory {
        inputs.push(report);
        input.directory = Some((snap, now));
    }
    let analysis = analyze(&ing, &input)?;
    let msg = &console.msg;
    if let Some(db) = &ing.db {
        // The history `kizuna report --compare-to` reads back. Failing to record it
        // costs the review a baseline, not this scan its report.
        let recorded = ing.store.record_scan(&kizuna_store::ScanRow {
            id: 0,
            time: now,
            since: input.since,
            until: input.until,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: inputs.len(),
            devices: analysis.devices.len(),
            expires: input.expiry.as_ref().map(|(e, _)| e.date.to_string()),
            findings: analysis.findings.iter().map(Into::into).collect(),
            actor: None,
            // A directory read is not stored, so a scan with one cannot be rendered
            // again from the store: its inputs are not recorded.
            sources: if input.directory.is_none() {
                kizuna_pipeline::scan_sources(&ing.inputs)
            } else {
                Vec::new()
            },
        });
        let db = text(db.to_string());
        match recorded {
            Ok(id) if format == ScanFormat::Text => {
                console.note("cli-scan-recorded", &[("id", num(id)), ("db", db)])
            }
            Ok(_) => {}
            Err(e) => console.error(
                "cli-scan-not-recorded",
                &[("db", db), ("error", text(e.to_string()))],
            ),
        }
    }
    let report = ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &inputs,
        analysis: &analysis,
        since: input.since,
        until: input.until,
        db: ing.db.as_ref().map(ToString::to_string),
        directory: input.directory.as_ref().map(|(snap, at)| (snap, *at)),
    };
    if let Some(dir) = &out {
        let written = crate::exports::write(dir, &report, msg, &ing, &input)
            .with_context(|| format!("writing the report into {}", dir.display()))?;
        console.note(
            "cli-report-written",
            &[
                ("path", text(dir.join("report.html").display().to_string())),
                ("files", text(written.join(", "))),
            ],
        );
    }
    render(&report, format, fail_on, msg)
}

fn ad_audit(a: AdAuditArgs) -> anyhow::Result<i32> {
    if a.directory.server.is_none() {
        Console::new(a.lang.unwrap_or_else(Lang::from_env), false)
            .error("cli-ad-needs-server", &[]);
        return Ok(EXIT_USAGE);
    }
    let knowledge = knowledge(&a.knowledge)?;
    let Some((snap, report)) = crate::ad::read(&a.directory)? else {
        return Ok(EXIT_USAGE);
    };
    let mut analyzer = kizuna_analysis::Analyzer::new(&knowledge);
    analyzer.add_directory(snap, now());
    let analysis = analyzer.finish();
    let inputs = [report];
    let report = ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &inputs,
        analysis: &analysis,
        since: None,
        until: None,
        db: None,
        directory: None,
    };
    render(
        &report,
        a.format,
        a.fail_on,
        &Messages::new(a.lang.unwrap_or_else(Lang::from_env)),
    )
}

/// Writes the scan report (text or JSON) and returns the exit code for `fail_on`.
fn render(
    report: &ScanReport<'_>,
    format: ScanFormat,
    fail_on: Severity,
    msg: &Messages,
) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match format {
        ScanFormat::Text => w.write_all(scan_text(report, msg).as_bytes())?,
        ScanFormat::Json => write_scan_json(report, msg, &mut w)?,
    }
    w.flush()?;
    let worst = report.analysis.findings.iter().map(|f| f.severity).max();
    Ok(if worst.is_some_and(|w| w >= fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn events(a: EventsArgs, console: &Console) -> anyhow::Result<i32> {
    let input = scan_input(&a.read, console)?;
    let ing = ingest(&input, a.db.as_ref())?;
    print_input_errors(&ing.inputs);
    if !ing.anything_readable() {
        console.error("cli-nothing-readable", &[]);
        return Ok(EXIT_USAGE);
    }
    let format = match a.format {
        EventsFormat::Table => EventFormat::Table,
        EventsFormat::Jsonl => EventFormat::Jsonl,
        EventsFormat::Csv => EventFormat::Csv,
    };
    let stdout = std::io::stdout();
    let mut w = EventWriter::new(
        std::io::BufWriter::new(stdout.lock()),
        format,
        &input.knowledge,
    );
    let mut err = None;
    ing.store
        .for_each_event(&ing.filter(&input, a.id.clone()), |e| {
            if err.is_none()
                && let Err(e) = w.write(&e)
            {
                err = Some(e);
            }
        })?;
    match err {
        // A closed pipe (`| head`) is not an error.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(EXIT_OK),
        Some(e) => return Err(e.into()),
        None => {}
    }
    w.finish()?;
    Ok(EXIT_OK)
}

fn devices(a: DevicesArgs, console: &Console) -> anyhow::Result<i32> {
    let input = scan_input(&a.read, console)?;
    let ing = ingest(&input, None)?;
    print_input_errors(&ing.inputs);
    if !ing.anything_readable() {
        console.error("cli-nothing-readable", &[]);
        return Ok(EXIT_USAGE);
    }
    let analysis = analyze(&ing, &input)?;
    let out = match a.format {
        DevicesFormat::Json => devices_json(&analysis.devices),
        DevicesFormat::Csv => devices_csv(&analysis.devices),
        DevicesFormat::Table => devices_table(&analysis.devices),
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(EXIT_OK)
}

fn demo(a: DemoArgs, console: &Console) -> anyhow::Result<i32> {
    let temp;
    let out = match &a.out {
        Some(o) => o.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let lab = kizuna_lab::sim::generate(kizuna_lab::sim::Scenario::Small, a.seed, None, None, &out)
        .context("writing the lab evidence")?;
    let evidence = out.join("evidence");
    if a.format == ScanFormat::Text {
        let d = &lab.domain;
        console.note(
            "cli-demo-lab",
            &[
                ("domain", text(d.dns_name.to_string())),
                ("devices", num(d.device_count())),
                ("days", num(d.days)),
                ("files", num(lab.written.files)),
                ("evidence", text(evidence.display().to_string())),
                ("truth", text(out.join("truth.json").display().to_string())),
                (
                    "expires",
                    text(
                        d.workaround_expires()
                            .map_or_else(|| "-".to_string(), |e| e.to_string()),
                    ),
                ),
            ],
        );
    }
    let read = ReadArgs {
        paths: vec![evidence],
        since: None,
        until: None,
        threads: default_threads(),
        evtx_full: false,
        year: None,
        knowledge: None,
        max_unpacked_gib: kizuna_evidence::Limits::default().max_unpacked >> 30,
    };
    let db = a
        .out
        .as_ref()
        .map(|o| Location::Sqlite(o.join("kizuna.db")));
    // A demonstration succeeds when it shows its findings: exit 0 unless it failed.
    let code = scan(
        &read,
        &crate::ad::DirectoryArgs::default(),
        ScanRun {
            db,
            out: a.out.clone(),
            // As an administrator who recorded the workaround's expiry would (`--expires`),
            // judged on the lab's last day rather than today.
            expires: lab.domain.workaround_expires(),
            now: lab.domain.end(),
            format: a.format,
            fail_on: Severity::Critical,
        },
        console,
    )?;
    Ok(if code == EXIT_FINDINGS { EXIT_OK } else { code })
}
