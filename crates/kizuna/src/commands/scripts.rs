//! `kizuna scripts intune|task`: writes the self-repair scripts (kizuna-scripts) into a folder.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use kizuna_scripts::{Kit, Options};

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
    let (kit, args) = match a.command {
        ScriptsCommand::Intune(o) => (Kit::Intune, o),
        ScriptsCommand::Task(o) => (Kit::Task, o),
    };
    let files = kizuna_scripts::generate(
        kit,
        &Options {
            domain: args.domain,
        },
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for f in &files {
        let path = args.out.join(f.name);
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    console.note(
        "cli-scripts-written",
        &[
            ("kit", text(kit.name())),
            ("count", num(files.len())),
            ("path", text(args.out.display().to_string())),
        ],
    );
    Ok(exit::OK)
}
