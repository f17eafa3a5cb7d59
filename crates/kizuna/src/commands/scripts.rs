//! `kizuna scripts intune|task|collect`: writes the self-repair scripts and the evidence
//! collector (kizuna-scripts) into a folder.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use kizuna_scripts::{CollectOptions, Kit, Options};

use crate::console::{Console, num, text};
use crate::exit;

#[derive(Args, Debug)]
pub struct ScriptsArgs {
    #[command(subcommand)]
    pub command: ScriptsCommand,
}

#[derive(Subcommand, Debug)]
pub enum ScriptsCommand {
    /// Intune remediation pair: Detect-/Remediate-KizunaSecureChannel.ps1 (detection exit 1 =
    /// needs remediation), credential-free repairs, NEEDS-CREDENTIAL when a person must act.
    Intune(ScriptsOut),
    /// Scheduled-task variant: Invoke-KizunaSecureChannelRepair.ps1 and
    /// Register-KizunaRepairTask.ps1 (daily, as SYSTEM, results in the Application log).
    Task(ScriptsOut),
    /// The evidence collector: Collect-KizunaEvidence.ps1 bundles the watched events,
    /// netlogon.log and the identity of the machine it runs on (optionally its hives) and
    /// sends the bundle to `kizuna serve` or leaves it in a folder.
    Collect(CollectArgs),
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    /// Output folder (created; files in it with the same names are overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The kizuna server the bundles are sent to (https://HOST[:PORT]); without it they
    /// stay in the collector's -OutDir folder (local or a share).
    #[arg(long, value_name = "URL", value_parser = kizuna_scripts::parse_server)]
    pub server: Option<String>,
    /// Days of events exported (the script's -Days default).
    #[arg(long, value_name = "N", default_value_t = kizuna_scripts::DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub days: u32,
    /// Folder with a watched.toml overriding the built-in one (the queries follow it).
    #[arg(long, env = "KIZUNA_KNOWLEDGE_DIR")]
    pub knowledge: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScriptsOut {
    /// Output folder (created; files in it with the same names are overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only act on computers joined to this DNS domain (default: each computer's own
    /// domain, read when the script runs).
    #[arg(long, value_name = "FQDN", value_parser = kizuna_scripts::parse_domain)]
    pub domain: Option<String>,
}

pub fn run(a: ScriptsArgs, console: &Console) -> anyhow::Result<i32> {
    let (kit, out, files) = match a.command {
        ScriptsCommand::Intune(o) => repair_kit(Kit::Intune, o),
        ScriptsCommand::Task(o) => repair_kit(Kit::Task, o),
        ScriptsCommand::Collect(c) => {
            let knowledge = crate::settings::knowledge(&c.knowledge)?;
            let options = CollectOptions {
                server: c.server,
                days: c.days,
            };
            let files = kizuna_scripts::generate_collector(&knowledge.watched, &options);
            ("collect", c.out, files)
        }
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for f in &files {
        let path = out.join(f.name);
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    console.note(
        "cli-scripts-written",
        &[
            ("kit", text(kit)),
            ("count", num(files.len())),
            ("path", text(out.display().to_string())),
        ],
    );
    Ok(exit::OK)
}

fn repair_kit(kit: Kit, o: ScriptsOut) -> (&'static str, PathBuf, Vec<kizuna_scripts::File>) {
    let files = kizuna_scripts::generate(kit, &Options { domain: o.domain });
    (kit.name(), o.out, files)
}
