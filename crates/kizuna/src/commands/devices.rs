//! `kizuna devices`: the devices named in the evidence.

use std::io::Write;

use clap::{Args, ValueEnum};
use kizuna_core::time::now;
use kizuna_report::{devices_csv, devices_json, devices_table};

use crate::console::Console;
use crate::exit;
use crate::settings::ReadArgs;
use crate::settings::{open_store, print_input_errors, reading};

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

pub fn run(a: DevicesArgs, console: &Console) -> anyhow::Result<i32> {
    let reading = reading(&a.read, console, None)?;
    let mut store = open_store(None)?;
    let outcome = kizuna_pipeline::scan(
        &mut store,
        &reading.evidence(),
        reading.scan_settings(now()),
    )?;
    print_input_errors(&outcome.inputs);
    let Some(analysis) = &outcome.analysis else {
        console.error("cli-nothing-readable", &[]);
        return Ok(exit::USAGE);
    };
    let out = match a.format {
        DevicesFormat::Json => devices_json(&analysis.devices),
        DevicesFormat::Csv => devices_csv(&analysis.devices),
        DevicesFormat::Table => devices_table(&analysis.devices),
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(exit::OK)
}
