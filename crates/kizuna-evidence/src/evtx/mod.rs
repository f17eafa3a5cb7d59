//! EVTX through the `evtx` crate, rendering only what can matter: per chunk, the
//! pre-filter ([`prefilter`]) reads each record's template and substitution values and
//! rules out records that are not watched events; the rest are rendered to XML and read by
//! the same code as exported event XML. Chunks run in parallel, in a bounded pipeline that
//! keeps memory independent of the file's size (docs/evtx-fast-path.md).

mod binxml;
mod chunks;
mod decode;
mod prefilter;
mod shapes;

use std::fs::File;
use std::sync::Arc;

use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings};
use kizuna_core::{EventRecord, Knowledge, SourceRef};

use crate::Progress;
use crate::event_xml::parse_event_xml;
use chunks::ChunkJob;
use kizuna_core::{Fact, InputReport};
use prefilter::Planned;
use shapes::ShapeCache;

/// Which EVTX records are rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EvtxPath {
    /// Only those the pre-filter cannot rule out.
    #[default]
    Prefiltered,
    /// Every record: the reference the pre-filter is tested against, and an escape hatch.
    Full,
}

/// How an EVTX file is read.
#[derive(Debug, Clone, Copy)]
pub struct EvtxOptions {
    /// Chunks processed at once.
    pub threads: usize,
    pub path: EvtxPath,
}

/// What the pre-filter did with a file's chunks and records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvtxStats {
    pub chunks: u64,
    /// Chunks read the full way: damaged, unchecked, or `EvtxPath::Full`.
    pub chunks_full: u64,
    /// Chunks with no record to render: never parsed by evtx.
    pub chunks_skipped: u64,
    /// Watched records read from their values, without rendering.
    pub records_decoded: u64,
    /// Records rendered by evtx because the pre-filter could not rule them out or read them.
    pub records_rendered: u64,
    /// Of those, records of templates the pre-filter does not read.
    pub records_unknown: u64,
}

impl EvtxStats {
    /// Adds another file's counts.
    pub fn add(&mut self, o: &EvtxStats) {
        self.chunks += o.chunks;
        self.chunks_full += o.chunks_full;
        self.chunks_skipped += o.chunks_skipped;
        self.records_decoded += o.records_decoded;
        self.records_rendered += o.records_rendered;
        self.records_unknown += o.records_unknown;
    }
}

/// The number in `<EventID …>NNNN</EventID>`, found without parsing the XML.
fn quick_event_id(xml: &str) -> Option<u32> {
    let at = xml.find("<EventID")?;
    let rest = &xml[at..];
    let gt = rest.find('>')?;
    let digits: &str = rest[gt + 1..].split('<').next()?;
    digits.trim().parse().ok()
}

/// What one chunk (or a run of chunks) yielded, in record order.
#[derive(Default)]
struct ChunkOutcome {
    records: u64,
    items: Vec<Result<EventRecord, String>>,
    stats: EvtxStats,
}

impl ChunkOutcome {
    /// Appends what the next chunk yielded.
    fn append(&mut self, next: ChunkOutcome) {
        self.records += next.records;
        self.items.extend(next.items);
        self.stats.add(&next.stats);
    }
}

/// Chunks a worker takes at once: a chunk takes tens of microseconds, and handing each one
/// over between threads on its own cost nearly as much again in wake-ups.
const CHUNKS_PER_TASK: usize = 8;

/// What a worker keeps from chunk to chunk.
struct Worker {
    /// The chunk being read.
    buf: Vec<u8>,
    shapes: ShapeCache,
}

/// What every chunk's work shares.
struct Context<'f> {
    file: &'f File,
    path: Arc<str>,
    knowledge: Arc<Knowledge>,
    settings: Arc<ParserSettings>,
}

impl Context<'_> {
    /// Renders a record and keeps it if it is a watched event.
    fn render(&self, record: EvtxRecord<'_>, out: &mut ChunkOutcome) {
        match render_watched(record, &self.knowledge, &self.path) {
            Err(e) => out.items.push(Err(describe(&e))),
            Ok(None) => out.records += 1,
            Ok(Some(read)) => Self::decoded(read.map(|ev| ev.map(Box::new)), out),
        }
    }

    /// A record the pre-filter decoded.
    fn decoded(result: Result<Option<Box<EventRecord>>, String>, out: &mut ChunkOutcome) {
        match result {
            Ok(ev) => {
                out.records += 1;
                out.items.extend(ev.map(|ev| Ok(*ev)));
            }
            Err(msg) => out.items.push(Err(msg)),
        }
    }

    /// Reads one chunk into `buf`, plans it with the pre-filter, and has evtx parse it only
    /// if some record needs rendering.
    fn chunk(&self, worker: &mut Worker, job: ChunkJob) -> ChunkOutcome {
        let mut out = ChunkOutcome::default();
        let buf = worker.buf.as_mut_slice();
        let header = match chunks::read_chunk(self.file, job, buf) {
            Ok(Some(header)) => header,
            Ok(None) => return out,
            Err(e) => {
                out.items.push(Err(describe(&e)));
                return out;
            }
        };
        out.stats.chunks = 1;
        let reading = prefilter::Reading {
            knowledge: &self.knowledge,
            path: &self.path,
        };
        let mut plan = prefilter::plan_chunk(&header, buf, &reading, &mut worker.shapes);
        match &plan {
            None => out.stats.chunks_full = 1,
            Some(p) => {
                for (_, planned) in &p.records_planned {
                    match planned {
                        Planned::Render => out.stats.records_rendered += 1,
                        Planned::Decoded(_) => out.stats.records_decoded += 1,
                    }
                }
                out.stats.records_unknown = p.unknown;
            }
        }
        if let Some(p) = plan.as_mut().filter(|p| !p.needs_evtx()) {
            out.stats.chunks_skipped = 1;
            let planned = std::mem::take(&mut p.records_planned);
            out.records = p.records - planned.len() as u64;
            for (_, planned) in planned {
                if let Planned::Decoded(result) = planned {
                    Self::decoded(result, &mut out);
                }
            }
            return out;
        }
        // Only here does the chunk get a copy of its own, for evtx to own.
        let number = job.number;
        let mut chunk = EvtxChunkData {
            header,
            data: buf.to_vec(),
            number: Some(number),
        };
        let mut parsed = match chunk.parse(self.settings.clone()) {
            Ok(p) => p,
            Err(e) => {
                let e = EvtxError::FailedToParseChunk {
                    chunk_id: number,
                    source: Box::new(e),
                };
                out.items.push(Err(describe(&e)));
                return out;
            }
        };
        let mut planned = plan.map(|p| p.records_planned.into_iter().peekable());
        for record in parsed.iter() {
            let r = match record {
                Err(e) => {
                    out.items.push(Err(describe(&e)));
                    continue;
                }
                Ok(r) => r,
            };
            let Some(planned) = planned.as_mut() else {
                self.render(r, &mut out);
                continue;
            };
            // The plan lists records in the order evtx walks them.
            while planned.next_if(|(at, _)| *at < r.binxml_offset).is_some() {}
            match planned.next_if(|(at, _)| *at == r.binxml_offset) {
                None => out.records += 1,
                Some((_, Planned::Render)) => self.render(r, &mut out),
                Some((_, Planned::Decoded(result))) => Self::decoded(result, &mut out),
            }
        }
        out
    }
}

/// Reads an EVTX file. Damaged chunks and records become errors (with chunk numbers and
/// file offsets as the `evtx` crate reports them); everything readable is kept.
pub fn read_evtx(
    file: File,
    path: &str,
    options: EvtxOptions,
    knowledge: Arc<Knowledge>,
    report: &mut InputReport,
    progress: &Progress,
    out: &mut dyn FnMut(Fact),
) -> EvtxStats {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let parser = match EvtxParser::from_read_seek(&file) {
        Ok(p) => p,
        Err(e) => {
            report.error(format!("offset 0: not a readable EVTX file: {e}"));
            return EvtxStats::default();
        }
    };
    if size > HEADER && !(size - HEADER).is_multiple_of(CHUNK) {
        let chunk = (size - HEADER) / CHUNK;
        report.error(format!(
            "offset {:#x}: file ends {} bytes into chunk {chunk} (truncated); the records of that chunk are lost",
            HEADER + chunk * CHUNK,
            (size - HEADER) % CHUNK
        ));
    }
    let counted_before = report.records;
    if options.path == EvtxPath::Full {
        read_full(
            parser,
            path,
            options.threads,
            knowledge,
            report,
            progress,
            out,
        );
        progress.reading_finished(report.records - counted_before);
        return EvtxStats::default();
    }
    let jobs = chunks::walk(&file, size, parser.header());
    let context = Context {
        file: &file,
        path: Arc::from(path),
        knowledge,
        settings: Arc::new(ParserSettings::new()),
    };
    let mut stats = EvtxStats::default();
    let mut emit = |o: ChunkOutcome| {
        stats.add(&o.stats);
        report.records += o.records;
        progress.records(o.records);
        for item in o.items {
            match item {
                Ok(ev) => {
                    report.kept += 1;
                    out(Fact::Event(ev));
                }
                Err(msg) => report.error(msg),
            }
        }
    };
    ordered::map(
        jobs.chunks(CHUNKS_PER_TASK),
        // A small file is not worth starting threads for.
        options.threads.min(jobs.len().div_ceil(CHUNKS_PER_TASK)),
        || Worker {
            buf: vec![0u8; CHUNK as usize],
            shapes: ShapeCache::default(),
        },
        |worker, run| {
            let mut out = ChunkOutcome::default();
            for &job in run {
                out.append(context.chunk(worker, job));
            }
            out
        },
        &mut emit,
    );
    progress.reading_finished(report.records - counted_before);
    stats
}

/// Renders a record to XML and, if its id is watched, reads it: `None` for an unwatched
/// record, else the event kizuna keeps (if any) or why the XML is no event.
#[allow(clippy::type_complexity)]
fn render_watched(
    record: EvtxRecord<'_>,
    knowledge: &Knowledge,
    path: &str,
) -> Result<Option<Result<Option<EventRecord>, String>>, EvtxError> {
    let rendered = record.into_xml()?;
    if !quick_event_id(&rendered.data).is_some_and(|id| knowledge.watched.has_id(id)) {
        return Ok(None);
    }
    let source = SourceRef {
        path: path.to_string(),
        offset: None,
        line: None,
    };
    Ok(Some(
        parse_event_xml(&rendered.data, source)
            .map(|ev| knowledge.admit(ev))
            .map_err(|msg| format!("record {}: {msg}", rendered.event_record_id)),
    ))
}

/// The reference path: every record rendered by evtx's own pipeline, then tested.
fn read_full(
    parser: EvtxParser<&File>,
    path: &str,
    threads: usize,
    knowledge: Arc<Knowledge>,
    report: &mut InputReport,
    progress: &Progress,
    out: &mut dyn FnMut(Fact),
) {
    let settings = ParserSettings::new().num_threads(threads.max(1));
    let mut parser = parser.with_configuration(settings);
    let path_owned: Arc<str> = Arc::from(path);
    let records =
        parser.serialized_records(move |record| render_watched(record?, &knowledge, &path_owned));
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
        progress.records(1);
    }
}

mod ordered;

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
