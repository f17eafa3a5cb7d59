//! Settings resolved once from the command line: what to read and how, the store, the
//! knowledge, the language. Every command builds its settings here, so a flag means the
//! same thing everywhere.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use kizuna_core::time::{now, parse_bound};
use kizuna_core::{Knowledge, Severity};
use kizuna_i18n::Lang;
use kizuna_pipeline::Window;
use kizuna_store::{Location, Store};

use crate::console::Console;
use crate::progress::Shown;

/// Text for people or the JSON contract (scan, ad audit, demo, report, plan status).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// How a judging command reports: the same flags for `scan`, `sid scan` and `ad audit`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Language of the output: ja or en (default: from the locale).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

impl ReportArgs {
    /// The language asked for, else the user's.
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_env)
    }
}

/// Where a scan's results are kept (`scan`, `sid scan`).
#[derive(Args, Debug, Clone)]
pub struct KeepArgs {
    /// The store: an SQLite file (or sqlite://FILE) or postgres://USER@HOST/DB (password
    /// from PGPASSWORD); default: kizuna.db in --out, else a temporary one.
    #[arg(long)]
    pub db: Option<Location>,
    /// Output folder for report.html and the CSV / JSON-lines files (holds kizuna.db
    /// unless --db is given).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl KeepArgs {
    /// The store to keep results in: --db, else kizuna.db in --out; `None`: a temporary one.
    pub fn store(&self) -> Option<Location> {
        self.db.clone().or_else(|| {
            self.out
                .as_ref()
                .map(|o| Location::Sqlite(o.join("kizuna.db")))
        })
    }
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

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}: use ja or en"))
}

pub fn knowledge(dir: &Option<PathBuf>) -> anyhow::Result<Arc<Knowledge>> {
    Ok(Arc::new(match dir {
        Some(d) => Knowledge::with_overrides(d)?,
        None => Knowledge::builtin(),
    }))
}

/// What to read and how, resolved once from the read options.
pub struct Reading {
    pub files: kizuna_evidence::Files,
    pub window: Window,
    pub knowledge: Arc<Knowledge>,
    /// The progress line's language, when one belongs on stderr.
    pub progress_line: Option<Lang>,
}

impl Reading {
    /// Scan settings for this reading, judged at `now`: no expiry given, no directory,
    /// nothing recorded (callers change what their command asks for).
    pub fn scan_settings(&self, now: kizuna_core::Timestamp) -> kizuna_pipeline::ScanSettings {
        kizuna_pipeline::ScanSettings {
            window: self.window,
            knowledge: self.knowledge.clone(),
            expires: None,
            directory: None,
            sysvol: None,
            now,
            record: false,
            actor: None,
        }
    }

    /// The evidence, read with a progress line when one is wanted.
    pub fn evidence(&self) -> Shown<'_> {
        Shown::new(&self.files, self.progress_line)
    }
}

/// The evidence and settings a reading command resolved. `db` is the store the facts
/// go to: with none (a store thrown away at exit), files are fingerprinted while they
/// are read instead of before, since nothing is known to skip.
pub fn reading(r: &ReadArgs, console: &Console, db: Option<&Location>) -> anyhow::Result<Reading> {
    let now = now();
    let bound = |s: &Option<String>| -> anyhow::Result<_> {
        s.as_deref()
            .map(|v| parse_bound(v, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let knowledge = knowledge(&r.knowledge)?;
    let options = kizuna_evidence::ReadOptions {
        threads: r.threads.max(1),
        year: r.year,
        knowledge: knowledge.clone(),
        evtx: if r.evtx_full {
            kizuna_evidence::EvtxPath::Full
        } else {
            kizuna_evidence::EvtxPath::Prefiltered
        },
        progress: Default::default(),
        limits: kizuna_evidence::Limits {
            max_unpacked: r.max_unpacked_gib.saturating_mul(1 << 30),
            ..Default::default()
        },
        shared_unpack: None,
        fingerprint: match db {
            Some(_) => kizuna_evidence::Fingerprint::BeforeReading,
            None => kizuna_evidence::Fingerprint::WhileReading,
        },
    };
    Ok(Reading {
        files: kizuna_evidence::Files::paths(r.paths.clone(), options),
        window: Window {
            since: bound(&r.since).context("--since")?,
            until: bound(&r.until).context("--until")?,
        },
        knowledge,
        progress_line: console.progress_line(),
    })
}

/// The store at `db`, else a temporary one.
pub fn open_store(db: Option<&Location>) -> anyhow::Result<Store> {
    Ok(match db {
        Some(loc) => Store::connect(loc)?,
        None => Store::temporary()?,
    })
}

/// The first errors of each input, on stderr.
pub fn print_input_errors(inputs: &[kizuna_core::InputReport]) {
    for i in inputs.iter().filter(|i| !i.errors.is_empty()) {
        for e in i.errors.iter().take(3) {
            eprintln!("kizuna: {}: {e}", i.path);
        }
    }
}
