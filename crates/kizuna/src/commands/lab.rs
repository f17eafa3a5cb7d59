//! `kizuna lab generate`: writes a lab domain's evidence and its ground truth.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use kizuna_lab::sim::{self, Scenario};

use crate::console::{Console, num, text};
use crate::exit;

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Generate a lab domain: evidence folders, inventory, PsGetSid output, LDIF and
    /// truth.json (every finding a correct scan reports). Same seed, same bytes.
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// small (~30 devices, 60 days, every rule: the demo), contoso (~500 devices, 120
    /// days) or scale (10,000 devices, 90 days by default; multi-GB).
    #[arg(long, value_parser = parse_scenario, default_value = "small")]
    pub scenario: Scenario,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (created; files in it are overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of devices (DCs included).
    #[arg(long)]
    pub devices: Option<u32>,
    /// Number of days simulated.
    #[arg(long)]
    pub days: Option<u32>,
    /// DNS name of the lab domain instead of the scenario's (e.g. your test DC's domain,
    /// so directory/<domain>.ldif loads into it).
    #[arg(long, value_name = "FQDN", value_parser = parse_domain)]
    pub domain: Option<String>,
}

fn parse_domain(s: &str) -> Result<String, String> {
    kizuna_core::DomainName::parse(s).map(|d| d.as_str().to_string())
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    Scenario::parse(s).ok_or_else(|| format!("unknown scenario {s:?}: use small, contoso or scale"))
}

pub fn run(a: LabArgs, console: &Console) -> anyhow::Result<i32> {
    match a.command {
        LabCommand::Generate(g) => {
            let started = Instant::now();
            let spec = sim::Spec {
                scenario: g.scenario,
                seed: g.seed,
                devices: g.devices,
                days: g.days,
                domain: g.domain.clone(),
            };
            let got = spec
                .generate(&g.out)
                .with_context(|| format!("writing the lab into {}", g.out.display()))?;
            let d = &got.domain;
            let w = &got.written;
            console.note(
                "cli-lab-generated",
                &[
                    ("scenario", text(d.scenario.to_string())),
                    ("seed", num(d.seed)),
                    ("domain", text(d.dns_name.to_string())),
                    ("devices", num(d.device_count())),
                    ("days", num(d.days)),
                    ("start", text(d.start.format("%Y-%m-%d").to_string())),
                    ("files", num(w.files)),
                    ("mb", text(format!("{:.1}", w.bytes as f64 / 1e6))),
                    ("events", num(w.events)),
                    ("findings", num(got.expected.len())),
                    ("directory", num(got.directory.len())),
                    ("expiry", num(kizuna_lab::sim::truth::past_expiry(d).len())),
                    (
                        "expires",
                        text(
                            d.workaround_expires()
                                .map_or_else(|| "-".to_string(), |e| e.to_string()),
                        ),
                    ),
                    (
                        "seconds",
                        text(format!("{:.1}", started.elapsed().as_secs_f64())),
                    ),
                ],
            );
            console.note(
                "cli-lab-paths",
                &[
                    (
                        "evidence",
                        text(g.out.join("evidence").display().to_string()),
                    ),
                    (
                        "directory",
                        text(
                            g.out
                                .join("directory")
                                .join(format!("{}.ldif", d.dns_name))
                                .display()
                                .to_string(),
                        ),
                    ),
                    (
                        "truth",
                        text(g.out.join("truth.json").display().to_string()),
                    ),
                ],
            );
            Ok(exit::OK)
        }
    }
}
