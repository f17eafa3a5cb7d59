//! `kizuna events`: the watched events found in the evidence, as a table, JSON lines or CSV.

use clap::Args;
use kizuna_report::EventFormat;
use kizuna_report::EventWriter;
use kizuna_store::Location;

use crate::console::Console;
use crate::exit;
use crate::settings::ReadArgs;
use crate::settings::{open_store, print_input_errors, reading};

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Only these event ids (comma-separated), e.g. --id 5722,5805.
    #[arg(long, value_delimiter = ',')]
    pub id: Vec<u32>,
    #[arg(long, value_enum, default_value_t = EventFormat::Table)]
    pub format: EventFormat,
    /// Keep the facts in this store (an SQLite file or postgres://…) instead of a
    /// temporary one.
    #[arg(long)]
    pub db: Option<Location>,
}

pub fn run(a: EventsArgs, console: &Console) -> anyhow::Result<i32> {
    let reading = reading(&a.read, console, a.db.as_ref())?;
    let mut store = open_store(a.db.as_ref())?;
    let read = kizuna_pipeline::read(&mut store, &reading.evidence())?;
    print_input_errors(&read.inputs);
    if !read.anything_readable() {
        console.error("cli-nothing-readable", &[]);
        return Ok(exit::USAGE);
    }
    let format = a.format;
    let stdout = std::io::stdout();
    let mut w = EventWriter::new(
        std::io::BufWriter::new(stdout.lock()),
        format,
        &reading.knowledge,
    );
    let mut err = None;
    if let Some(filter) = read.facts(reading.window, a.id.clone()) {
        store.for_each_event(&filter, |e| {
            if err.is_none()
                && let Err(e) = w.write(&e)
            {
                err = Some(e);
            }
        })?;
    }
    match err {
        // A closed pipe (`| head`) is not an error.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(exit::OK),
        Some(e) => return Err(e.into()),
        None => {}
    }
    w.finish()?;
    Ok(exit::OK)
}
