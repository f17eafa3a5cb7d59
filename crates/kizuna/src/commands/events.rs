//! `kizuna events`: the watched events found in the evidence, as a table, JSON lines or CSV.

use kizuna_report::{EventFormat, EventWriter};

use crate::cli::{EventsArgs, EventsFormat};
use crate::console::Console;
use crate::exit;
use crate::settings::{open_store, print_input_errors, reading};

pub fn run(a: EventsArgs, console: &Console) -> anyhow::Result<i32> {
    let reading = reading(&a.read, console)?;
    let mut store = open_store(a.db.as_ref())?;
    let read = kizuna_pipeline::read(&mut store, &reading.evidence())?;
    print_input_errors(&read.inputs);
    if !read.anything_readable() {
        console.error("cli-nothing-readable", &[]);
        return Ok(exit::USAGE);
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
