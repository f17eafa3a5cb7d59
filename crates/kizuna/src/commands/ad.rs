//! `kizuna ad audit`: the directory alone, judged now (the options are `directory.rs`).

use std::path::PathBuf;

use clap::Args;
use clap::Subcommand;
use kizuna_core::Severity;
use kizuna_i18n::{Lang, Messages};
use kizuna_report::ScanReport;

use crate::console::Console;
use crate::exit;
use crate::settings::{Format, parse_lang, parse_severity};

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
    pub directory: crate::directory::DirectoryArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

/// `kizuna ad audit`: the directory alone, judged now.
pub fn audit(a: AdAuditArgs) -> anyhow::Result<i32> {
    if a.directory.ldap.server.is_none() {
        Console::new(a.lang.unwrap_or_else(Lang::from_env), false)
            .error("cli-ad-needs-server", &[]);
        return Ok(exit::USAGE);
    }
    let knowledge = crate::settings::knowledge(&a.knowledge)?;
    let Some((snap, report)) = crate::directory::read(&a.directory)? else {
        return Ok(exit::USAGE);
    };
    let mut analyzer = kizuna_rules::Analyzer::new(&knowledge);
    analyzer.add_directory(snap, kizuna_core::time::now());
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
    crate::commands::scan::render(
        &report,
        a.format,
        a.fail_on,
        &Messages::new(a.lang.unwrap_or_else(Lang::from_env)),
    )
}
