//! `kizuna demo`: the `small` lab domain generated and scanned, with its ground truth.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kizuna_core::Severity;
use kizuna_i18n::Lang;
use kizuna_store::Location;

use crate::commands::scan::ScanRun;
use crate::console::{Console, num, text};
use crate::exit;
use crate::settings::Format;
use crate::settings::parse_lang;
use crate::settings::{ReadArgs, default_threads};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the lab evidence and the store (default: a temporary folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Seed of the generated lab domain.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(a: DemoArgs, console: &Console) -> anyhow::Result<i32> {
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
    if a.format == Format::Text {
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
    let code = crate::commands::scan::run(
        &read,
        &crate::directory::DirectoryArgs::default(),
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
    Ok(if code == exit::FINDINGS {
        exit::OK
    } else {
        code
    })
}
