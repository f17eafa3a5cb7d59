//! The watched-event pre-filter: walks a chunk's records as evtx does and decides, from the
//! template and its substitution values alone, which records can matter to kizuna. Only
//! those are rendered. Whenever a record or chunk is not understood, the answer is
//! "render": the pre-filter can cost speed, never an event (docs/evtx-fast-path.md §5).

use std::borrow::Cow;

use evtx::binxml::value_variant::FileTime;
use evtx::{ChunkFlags, EvtxChunkHeader};
use kizuna_core::{EventRecord, Knowledge, SourceRef, SubjectFrom, WatchList};

use super::binxml::{Cursor, Shape, Text, instance_start, plain, plain_ascii_value};
use super::binxml::{string_value, template_instance_unchecked, utf16};
use super::decode::{decode, embedded, is_computer_account, named};
use super::shapes::{ShapeCache, Templates};
use crate::event_xml::RawEvent;

/// Chunk layout (docs/evtx-fast-path.md §1).
const CHUNK_HEADER: usize = 0x200;
const RECORD_HEADER: usize = 24;
const RECORD_MAGIC: [u8; 4] = [0x2A, 0x2A, 0, 0];

/// What the pre-filter found in one chunk.
#[derive(Debug, Default)]
pub(super) struct ChunkPlan {
    /// Records in the chunk, as evtx's walk yields them.
    pub records: u64,
    /// What each record that is not skipped needs, by BinXML offset, in order.
    pub records_planned: Vec<(u64, Planned)>,
    /// Records rendered because they are of templates the pre-filter does not read.
    pub unknown: u64,
}

impl ChunkPlan {
    /// Whether evtx must parse the chunk: some record needs rendering.
    pub fn needs_evtx(&self) -> bool {
        self.records_planned
            .iter()
            .any(|(_, p)| matches!(p, Planned::Render))
    }
}

/// What becomes of a record the pre-filter did not skip.
#[derive(Debug)]
pub(super) enum Planned {
    /// Decoded: the watched event kizuna keeps, `None` when it does not admit it, or the
    /// reason it is no event (the error the XML reader would give).
    Decoded(Result<Option<Box<EventRecord>>, String>),
    /// Only evtx's rendering can tell.
    Render,
}

/// Plans one chunk (its header and its 64 KiB), or `None` when the chunk must be read the
/// full way: its checksums do not hold, or its records cannot be walked without evtx's error
/// recovery.
pub(super) fn plan_chunk(
    header: &EvtxChunkHeader,
    data: &[u8],
    ctx: &Reading<'_>,
    shapes: &mut ShapeCache,
) -> Option<ChunkPlan> {
    if !checksums_hold(header, data) || !string_table_ok(data) {
        return None;
    }
    let live_end = (header.free_space_offset as usize).min(data.len());
    let mut templates = Templates::new(shapes);
    let mut plan = ChunkPlan::default();
    let mut offset = CHUNK_HEADER;
    // evtx's walk (`IterRawRecords::next`): from the header to the free space, stopping
    // after the chunk's last record id.
    while offset < live_end {
        let head = data.get(offset..offset + RECORD_HEADER)?;
        if head[..4] != RECORD_MAGIC {
            return None;
        }
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
        let id = u64::from_le_bytes(head[8..16].try_into().ok()?);
        let filetime = u64::from_le_bytes(head[16..24].try_into().ok()?);
        FileTime(filetime).to_timestamp()?;
        if size < RECORD_HEADER + 4 {
            return None;
        }
        let start = offset + RECORD_HEADER;
        let end = start + size - RECORD_HEADER - 4;
        if end > data.len() {
            return None;
        }
        plan.records += 1;
        let planned = match verdict(data, start, end, &mut templates, &ctx.knowledge.watched) {
            Verdict::Skip => None,
            Verdict::Unknown => {
                plan.unknown += 1;
                Some(Planned::Render)
            }
            Verdict::Render => Some(Planned::Render),
            Verdict::Event(raw) => Some(Planned::Decoded(
                raw.into_record(ctx.source())
                    .map(|ev| ctx.knowledge.admit(ev).map(Box::new))
                    .map_err(|msg| format!("record {id}: {msg}")),
            )),
        };
        if let Some(p) = planned {
            plan.records_planned.push((start as u64, p));
        }
        if id == header.last_event_record_id {
            break;
        }
        offset += size;
    }
    Some(plan)
}

/// Whether the chunk carries CRC32s and both hold (evtx's `validate_header_checksum` and
/// `validate_data_checksum`). Only then are the bytes as written, and only then does the
/// pre-filter trust its own walk.
fn checksums_hold(header: &EvtxChunkHeader, data: &[u8]) -> bool {
    if header.flags.contains(ChunkFlags::NO_CRC32) {
        return false;
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&data[..120]);
    crc.update(&data[128..CHUNK_HEADER]);
    crc.finalize() == header.header_chunk_checksum
        && data
            .get(CHUNK_HEADER..header.free_space_offset as usize)
            .is_some_and(|records| crc32fast::hash(records) == header.events_checksum)
}

/// Whether evtx can build the chunk's string cache (`StringCache::populate`): every name
/// on the 64 chains of the header's table is readable. If not, evtx fails the whole chunk,
/// and so must the pre-filter.
fn string_table_ok(data: &[u8]) -> bool {
    let mut seen: Vec<usize> = Vec::new();
    for head in data[0x80..0x180].chunks_exact(4) {
        let mut at = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if at == 0 {
            continue;
        }
        loop {
            let Some(mut c) = Cursor::new(data, at, data.len()) else {
                return false;
            };
            let Some(next) = c.u32() else { return false };
            let name_ok = c.u16().is_some()
                && c.u16()
                    .and_then(|n| c.bytes(n as usize * 2))
                    .and_then(utf16)
                    .is_some()
                && c.u16().is_some();
            if !name_ok {
                return false;
            }
            seen.push(at);
            let next = next as usize;
            if next == 0 || seen.contains(&next) {
                break;
            }
            if next > data.len() {
                return false;
            }
            at = next;
        }
    }
    true
}

/// What the pre-filter needs from the reading of a file.
pub(super) struct Reading<'a> {
    pub knowledge: &'a Knowledge,
    pub path: &'a str,
}

impl Reading<'_> {
    pub fn source(&self) -> SourceRef {
        SourceRef {
            path: self.path.to_string(),
            offset: None,
            line: None,
        }
    }
}

#[derive(Debug)]
pub(super) enum Verdict {
    /// Not a watched event, for certain.
    Skip,
    /// A watched event, read from the values.
    Event(Box<RawEvent>),
    /// A watched event, or one the values cannot rule out, that only evtx can render.
    Render,
    /// A record shape the pre-filter does not read.
    Unknown,
}

/// The verdict for the record whose BinXML is `data[start..end]`.
pub(super) fn verdict(
    data: &[u8],
    start: usize,
    end: usize,
    templates: &mut Templates,
    watched: &WatchList,
) -> Verdict {
    let Some(mut c) = Cursor::new(data, start, end) else {
        return Verdict::Unknown;
    };
    let instance = instance_start(&mut c).and_then(|_| template_instance_unchecked(&mut c));
    let Some((def, values)) = instance else {
        return Verdict::Unknown;
    };
    let shape = templates.shape(data, def);
    let Shape::Event(shape) = shape.as_ref() else {
        return Verdict::Unknown;
    };
    let slot = |i: u16| values.get(i).map(|v| (v.ty, v.bytes));
    // An element left out by a Null value changes what renders: leave that to evtx, unless
    // the element is not on the way to the event id and provider and the record is ruled
    // out by them.
    if values.leave_out_any(&shape.id_dependencies) {
        return Verdict::Unknown;
    }
    let event_id = match &shape.system.event_id {
        Text::Literal(s) => s.trim().parse::<u32>().ok(),
        Text::Slot(i) => match slot(*i) {
            Some((0x06, &[lo, hi])) => Some(u16::from_le_bytes([lo, hi]) as u32),
            _ => None,
        },
        _ => None,
    };
    let Some(event_id) = event_id else {
        return Verdict::Unknown;
    };
    if !watched.has_id(event_id) {
        return Verdict::Skip;
    }
    let mut ascii = [0u8; 256];
    let provider = match &shape.system.provider {
        Some(Text::Literal(s)) => Some(Cow::Borrowed(s.as_str())).filter(|p| plain(p)),
        Some(Text::Slot(i)) => match slot(*i) {
            Some((0x01, b)) => match plain_ascii_value(b, &mut ascii) {
                Some(p) => Some(Cow::Borrowed(p)),
                None => string_value(b).filter(|p| plain(p)).map(Cow::Owned),
            },
            _ => None,
        },
        _ => None,
    };
    let Some(provider) = provider.filter(|p| !p.is_empty()) else {
        return Verdict::Render;
    };
    let Some(entry) = watched.lookup(&provider, event_id) else {
        return Verdict::Skip;
    };
    // Everything past here reads more values: each must be what its type says, and every
    // element must be there.
    if !values.all_sized() || values.leave_out_any(&shape.data.dependencies) {
        return Verdict::Unknown;
    }
    let Some(nested) = embedded(data, shape, &values, templates) else {
        return Verdict::Render;
    };
    let nested = nested.as_ref().and_then(|(s, v)| match s.as_ref() {
        Shape::Data(d) => Some((d, v)),
        _ => None,
    });
    // Most logons and tickets are users': rule them out before decoding everything.
    if let (SubjectFrom::Named(field), true) = (&entry.subject, entry.computer_account_only)
        && let Some(Some((text, values))) = named(&shape.data, &values, nested, field)
        && is_computer_account(text, values, &mut ascii) == Some(false)
    {
        return Verdict::Skip;
    }
    match decode(shape, &values, nested, event_id) {
        Some(raw) => Verdict::Event(Box::new(raw)),
        None => Verdict::Render,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtx::binxml::template_instance;
    use std::path::Path;

    /// The definition offset of each record's template, as the pre-filter finds it.
    fn record_templates(chunk: &[u8]) -> Vec<usize> {
        let free = u32::from_le_bytes(chunk[0x30..0x34].try_into().unwrap()) as usize;
        let mut defs = Vec::new();
        let mut at = CHUNK_HEADER;
        while at + RECORD_HEADER < free.min(chunk.len()) && chunk[at..at + 4] == RECORD_MAGIC {
            let size = u32::from_le_bytes(chunk[at + 4..at + 8].try_into().unwrap()) as usize;
            if size < RECORD_HEADER + 4 || at + size > chunk.len() {
                break;
            }
            let mut c = Cursor::new(chunk, at + RECORD_HEADER, at + size - 4).unwrap();
            if let Some((def, _)) = instance_start(&mut c).and_then(|_| template_instance(&mut c)) {
                defs.push(def);
            }
            at += size;
        }
        defs
    }

    /// One cache for every chunk of every real file gives each definition exactly the shape
    /// a fresh parse in its own chunk gives: what a shape depends on is all in the resolved
    /// form, though the same templates sit at other offsets, with their names stored inline
    /// or referenced, in every chunk.
    #[test]
    fn cached_shapes_are_the_shapes_a_fresh_parse_gives() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/evtx");
        if !root.is_dir() {
            eprintln!(
                "\n!!!!! SKIPPED: ../shared/corpus/evtx is absent; shape cache test did not run !!!!!\n"
            );
            return;
        }
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "evtx") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 20, "{files:?}");
        let mut cache = ShapeCache::default();
        let (mut lookups, mut events) = (0usize, 0usize);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for chunk in bytes[4096.min(bytes.len())..].chunks_exact(65536) {
                if chunk[..8] != *b"ElfChnk\0" {
                    continue;
                }
                let mut defs = record_templates(chunk);
                defs.sort_unstable();
                defs.dedup();
                for def in defs {
                    let fresh = Shape::parse(chunk, def);
                    let cached = cache.shape(chunk, def);
                    assert_eq!(*cached, fresh, "{} definition at {def:#x}", file.display());
                    lookups += 1;
                    events += usize::from(matches!(fresh, Shape::Event(_)));
                }
            }
        }
        assert!(
            lookups > 1000 && events > 1000,
            "{lookups} lookups, {events} events"
        );
        // Most definitions were met before, in another chunk.
        assert!(
            cache.len() * 5 < lookups,
            "{} shapes for {lookups}",
            cache.len()
        );
    }
}
