//! `kizuna ad audit`: the directory alone, judged now (the options are `directory.rs`).

use std::path::PathBuf;

use clap::Args;
use clap::Subcommand;
use kizuna_i18n::Messages;
use kizuna_report::ScanReport;

use crate::console::Console;
use crate::exit;

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
    #[command(flatten)]
    pub report: crate::settings::ReportArgs,
    /// Folder with thresholds.toml etc. overriding the built-in ones.
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

/// `kizuna ad audit`: the directory alone, judged now.
pub fn audit(a: AdAuditArgs) -> anyhow::Result<i32> {
    if a.directory.ldap.server.is_none() {
        Console::new(a.report.lang(), false).error("cli-ad-needs-server", &[]);
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
        a.report.format,
        a.report.fail_on,
        &Messages::new(a.report.lang()),
    )
}
