//! EVTX through the `evtx` crate: every record is rendered to XML and read by the same
//! code as exported event XML, after a cheap EventID test skips unwatched records.

use std::fs::File;
use std::sync::Arc;

use evtx::{EvtxParser, ParserSettings};
use kizuna_core::{EventRecord, Knowledge, SourceRef};

use crate::event_xml::parse_event_xml;
use crate::{Fact, InputReport, Progress};

/// The number in `<EventID …>NNNN</EventID>`, found without parsing the XML.
fn quick_event_id(xml: &str) -> Option<u32> {
    let at = xml.find("<EventID")?;
    let rest = &xml[at..];
    let gt = rest.find('>')?;
    let digits: &str = rest[gt + 1..].split('<').next()?;
    digits.trim().parse().ok()
}

/// Reads an EVTX file. Damaged chunks and records become errors (with chunk numbers and
/// file offsets as the `evtx` crate reports them); everything readable is kept.
pub fn read_evtx(
    file: File,
    path: &str,
    threads: usize,
    knowledge: Arc<Knowledge>,
    report: &mut InputReport,
    progress: &Progress,
    out: &mut dyn FnMut(Fact),
) {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let settings = ParserSettings::new().num_threads(threads.max(1));
    let mut parser = match EvtxParser::from_read_seek(file) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            report.error(format!("offset 0: not a readable EVTX file: {e}"));
            return;
        }
    };
    let path_owned: Arc<str> = Arc::from(path);
    let k = knowledge.clone();
    let records = parser.serialized_records(move |record| {
        let record = record?;
        let rendered = record.into_xml()?;
        if !quick_event_id(&rendered.data).is_some_and(|id| k.watched.has_id(id)) {
            return Ok(None);
        }
        let source = SourceRef {
            path: path_owned.to_string(),
            offset: None,
            line: None,
        };
        let parsed: Result<EventRecord, String> = parse_event_xml(&rendered.data, source);
        Ok(Some(parsed.map(|ev| k.admit(ev)).map_err(|msg| {
            format!("record {}: {msg}", rendered.event_record_id)
        })))
    });
    if size > HEADER && !(size - HEADER).is_multiple_of(CHUNK) {
        let chunk = (size - HEADER) / CHUNK;
        report.error(format!(
            "offset {:#x}: file ends {} bytes into chunk {chunk} (truncated); the records of that chunk are lost",
            HEADER + chunk * CHUNK,
            (size - HEADER) % CHUNK
        ));
    }
    let counted_before = report.records;
    for item in records {
        match item {
            Ok(None) | Ok(Some(Ok(None))) => report.records += 1,
            Ok(Some(Ok(Some(ev)))) => {
                report.records += 1;
                report.kept += 1;
                out(Fact::Event(ev));
            }
            Ok(Some(Err(msg))) => {
                report.error(msg);
                continue;
            }
            Err(e) => {
                report.error(describe(&e));
                continue;
            }
        }
        progress.record();
    }
    progress.reading_finished(report.records - counted_before);
}

/// EVTX layout: a 4 KiB file header, then 64 KiB chunks.
const HEADER: u64 = 4096;
const CHUNK: u64 = 65536;

/// The error with its causes, one line, starting with the file offset when known.
fn describe(e: &evtx::err::EvtxError) -> String {
    let mut msg = match e {
        evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => {
            format!("offset {:#x}: ", HEADER + chunk_id * CHUNK)
        }
        _ => String::new(),
    };
    msg.push_str(&e.to_string());
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_without_parsing() {
        assert_eq!(
            quick_event_id("<System><EventID Qualifiers=\"0\">5719</EventID>"),
            Some(5719)
        );
        assert_eq!(quick_event_id("<EventID>4624</EventID>"), Some(4624));
        assert_eq!(quick_event_id("<EventID></EventID>"), None);
        assert_eq!(quick_event_id("<Event/>"), None);
    }
}
