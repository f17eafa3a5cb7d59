//! Reader-side helpers around the fact vocabulary of `kizuna_core::input`.

use kizuna_core::EventRecord;
use kizuna_core::input::{Fact, InputReport};

/// Decides whether a normalized event is kept (see `Knowledge::admit`).
pub(crate) type Admit<'a> = &'a dyn Fn(EventRecord) -> Option<EventRecord>;

/// Where the year of a netlogon.log came from (its lines carry none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearSource {
    /// `--year` on the command line.
    Option(i32),
    /// The file's modification time.
    FileTime(i32),
}

impl YearSource {
    pub fn year(&self) -> i32 {
        match self {
            YearSource::Option(y) | YearSource::FileTime(y) => *y,
        }
    }
}

/// Counts one parsed event in `report` and passes it on when it is watched; a parse
/// failure becomes an error naming `at` (an offset or a line).
pub(crate) fn count_event(
    report: &mut InputReport,
    parsed: Result<EventRecord, String>,
    at: &str,
    admit: Admit<'_>,
    out: &mut dyn FnMut(Fact),
) {
    match parsed {
        Ok(rec) => {
            report.records += 1;
            if let Some(rec) = admit(rec) {
                report.kept += 1;
                out(Fact::Event(rec));
            }
        }
        Err(msg) => report.error(format!("{at}: event skipped: {msg}")),
    }
}

/// [`count_event`] for an event read from line `line` of a row-per-event export.
pub(crate) fn count_row_event(
    report: &mut InputReport,
    raw: crate::event_xml::RawEvent,
    path: &str,
    line: u64,
    admit: Admit<'_>,
    out: &mut dyn FnMut(Fact),
) {
    let source = kizuna_core::SourceRef {
        path: path.to_string(),
        offset: None,
        line: Some(line),
    };
    count_event(
        report,
        raw.into_record(source),
        &format!("line {line}"),
        admit,
        out,
    );
}

/// For reader tests: what `read` makes of `text` as an input of `kind`, every event kept.
#[cfg(test)]
pub(crate) fn events_of(
    kind: kizuna_core::InputKind,
    text: &str,
    read: impl FnOnce(Box<dyn std::io::BufRead>, &mut InputReport, &mut dyn FnMut(Fact), Admit<'_>),
) -> (InputReport, Vec<EventRecord>) {
    let mut report = InputReport::new("x".into(), kind, String::new(), 0);
    let mut events = Vec::new();
    read(
        Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        &mut report,
        &mut |f| {
            if let Fact::Event(e) = f {
                events.push(e);
            }
        },
        &|e| Some(e),
    );
    (report, events)
}
