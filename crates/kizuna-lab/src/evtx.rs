//! An EVTX writer: lab events as Windows stores them in `.evtx` files, so that tests can feed
//! kizuna (and independent parsers) binary logs holding events no public sample has.
//!
//! Layout as Windows writes it (MS-EVEN6 BinXml; file and chunk headers as described by
//! libevtx): a 4 KiB file header, then 64 KiB chunks. Each record is a fragment header and a
//! template instance. A template is the XML shape of an event with numbered substitutions; its
//! definition is written inline by the first record of a chunk that uses it and referenced by
//! offset afterwards, and element and attribute names likewise (inline on first use in the
//! chunk, then by offset), each indexed in the chunk header's hash tables. Only the chunk being
//! filled is held in memory, so sets of any size stream through.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::writers::LabEvent;

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
/// The file header counts chunks in 16 bits.
const MAX_CHUNKS: u64 = u16::MAX as u64;

/// Windows writes this GUID for the Security auditing provider (see `writers::event_xml`).
const SECURITY_AUDITING: &str = "Microsoft-Windows-Security-Auditing";
const SECURITY_AUDITING_GUID: &str = "{54849625-5478-4994-a5ba-3e3b0328c30d}";
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
/// Keywords of classic (`win:EventlogClassic`) events, as `event_xml` writes for all.
const KEYWORDS: u64 = 0x0080_0000_0000_0000;

/// BinXml tokens (MS-EVEN6 2.2.12).
mod token {
    pub const EOF: u8 = 0x00;
    pub const OPEN_START: u8 = 0x01;
    pub const OPEN_START_ATTRS: u8 = 0x41;
    pub const CLOSE_START: u8 = 0x02;
    pub const CLOSE_EMPTY: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE: u8 = 0x05;
    pub const ATTRIBUTE_LAST: u8 = 0x06;
    pub const ATTRIBUTE_MORE: u8 = 0x46;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const SUBSTITUTION: u8 = 0x0d;
    pub const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
}

/// BinXml value types.
mod ty {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const UINT8: u8 = 0x04;
    pub const UINT16: u8 = 0x06;
    pub const UINT32: u8 = 0x08;
    pub const UINT64: u8 = 0x0a;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEXINT64: u8 = 0x15;
}

/// Substitution indices of the System part, numbered as in Windows' own event template.
mod sub {
    pub const LEVEL: u16 = 0;
    pub const OPCODE: u16 = 1;
    pub const TASK: u16 = 2;
    pub const EVENT_ID: u16 = 3;
    pub const QUALIFIERS: u16 = 4;
    pub const KEYWORDS: u16 = 5;
    pub const TIME_CREATED: u16 = 6;
    pub const ACTIVITY_ID: u16 = 7;
    pub const PROCESS_ID: u16 = 8;
    pub const THREAD_ID: u16 = 9;
    pub const RECORD_ID: u16 = 10;
    pub const VERSION: u16 = 11;
    pub const USER_ID: u16 = 12;
    pub const RELATED_ACTIVITY_ID: u16 = 13;
    pub const CHANNEL: u16 = 14;
    pub const COMPUTER: u16 = 15;
    /// EventData values follow, then the optional binary.
    pub const FIRST_DATA: u16 = 16;
}

/// What an attribute or element holds: literal text or a substitution.
enum Content {
    Text(String),
    Sub { index: u16, ty: u8, optional: bool },
}

/// An element of a template definition.
struct Elem {
    name: String,
    /// MS-EVEN6 DependencyId: the element is left out when this value is NULL.
    dependency: Option<u16>,
    attrs: Vec<(String, Content)>,
    children: Vec<Child>,
}

enum Child {
    Elem(Elem),
    Content(Content),
}

impl Elem {
    fn new(name: &str) -> Elem {
        Elem {
            name: name.to_string(),
            dependency: None,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    fn attr(mut self, name: &str, content: Content) -> Elem {
        self.attrs.push((name.to_string(), content));
        self
    }

    fn child(mut self, child: Elem) -> Elem {
        self.children.push(Child::Elem(child));
        self
    }

    fn content(mut self, content: Content) -> Elem {
        self.children.push(Child::Content(content));
        self
    }
}

fn text(s: &str) -> Content {
    Content::Text(s.to_string())
}

fn normal(index: u16, ty: u8) -> Content {
    Content::Sub {
        index,
        ty,
        optional: false,
    }
}

fn optional(index: u16, ty: u8) -> Content {
    Content::Sub {
        index,
        ty,
        optional: true,
    }
}

/// Everything that decides an event's template: events that agree on it share one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShapeKey {
    provider: &'static str,
    data: usize,
    named: Vec<String>,
    binary: bool,
}

impl ShapeKey {
    fn of(e: &LabEvent) -> ShapeKey {
        ShapeKey {
            provider: e.provider,
            data: e.data.len(),
            named: e.named.iter().map(|(k, _)| k.clone()).collect(),
            binary: has_binary_slot(e),
        }
    }

    /// Whether `e` has this shape, without building its key.
    fn fits(&self, e: &LabEvent) -> bool {
        self.provider == e.provider
            && self.data == e.data.len()
            && self.binary == has_binary_slot(e)
            && self.named.len() == e.named.len()
            && self.named.iter().zip(&e.named).all(|(a, (b, _))| a == b)
    }
}

/// Classic providers always have a Binary slot, NULL when there is no status.
fn has_binary_slot(e: &LabEvent) -> bool {
    e.qualifiers.is_some() || e.status.is_some()
}

/// A hash of an event's shape, to find its template without allocating.
fn shape_hash(e: &LabEvent) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    e.provider.hash(&mut h);
    e.data.len().hash(&mut h);
    has_binary_slot(e).hash(&mut h);
    for (k, _) in &e.named {
        k.hash(&mut h);
    }
    h.finish()
}

/// A template: its GUID (stable across chunks and runs) and its element tree.
struct Shape {
    /// The number the chunk knows it by.
    id: usize,
    key: ShapeKey,
    guid: [u8; 16],
    root: Elem,
}

impl Shape {
    fn new(id: usize, key: ShapeKey) -> Shape {
        // Provider name and GUID are literal text, as in Windows' templates; everything
        // that varies from one event to the next is a substitution.
        let mut provider = Elem::new("Provider").attr("Name", text(key.provider));
        if key.provider == SECURITY_AUDITING {
            provider = provider.attr("Guid", text(SECURITY_AUDITING_GUID));
        }
        let system = Elem::new("System")
            .child(provider)
            .child(
                Elem::new("EventID")
                    .attr("Qualifiers", optional(sub::QUALIFIERS, ty::UINT16))
                    .content(normal(sub::EVENT_ID, ty::UINT16)),
            )
            .child(Elem::new("Version").content(normal(sub::VERSION, ty::UINT8)))
            .child(Elem::new("Level").content(normal(sub::LEVEL, ty::UINT8)))
            .child(Elem::new("Task").content(normal(sub::TASK, ty::UINT16)))
            .child(Elem::new("Opcode").content(normal(sub::OPCODE, ty::UINT8)))
            .child(Elem::new("Keywords").content(normal(sub::KEYWORDS, ty::HEXINT64)))
            .child(
                Elem::new("TimeCreated")
                    .attr("SystemTime", normal(sub::TIME_CREATED, ty::FILETIME)),
            )
            .child(Elem::new("EventRecordID").content(normal(sub::RECORD_ID, ty::UINT64)))
            .child(
                Elem::new("Correlation")
                    .attr("ActivityID", optional(sub::ACTIVITY_ID, ty::GUID))
                    .attr(
                        "RelatedActivityID",
                        optional(sub::RELATED_ACTIVITY_ID, ty::GUID),
                    ),
            )
            .child(
                Elem::new("Execution")
                    .attr("ProcessID", normal(sub::PROCESS_ID, ty::UINT32))
                    .attr("ThreadID", normal(sub::THREAD_ID, ty::UINT32)),
            )
            .child(Elem::new("Channel").content(normal(sub::CHANNEL, ty::STRING)))
            .child(Elem::new("Computer").content(normal(sub::COMPUTER, ty::STRING)))
            .child(Elem::new("Security").attr("UserID", optional(sub::USER_ID, ty::SID)));
        let mut event_data = Elem::new("EventData");
        let mut index = sub::FIRST_DATA;
        for _ in 0..key.data {
            event_data = event_data.child(Elem::new("Data").content(normal(index, ty::STRING)));
            index += 1;
        }
        for name in &key.named {
            event_data = event_data.child(
                Elem::new("Data")
                    .attr("Name", text(name))
                    .content(normal(index, ty::STRING)),
            );
            index += 1;
        }
        if key.binary {
            let mut binary = Elem::new("Binary").content(optional(index, ty::BINARY));
            binary.dependency = Some(index);
            event_data = event_data.child(binary);
        }
        let root = Elem::new("Event")
            .attr("xmlns", text(EVENT_NS))
            .child(system)
            .child(event_data);
        Shape {
            id,
            guid: shape_guid(&key),
            key,
            root,
        }
    }
}

/// A GUID derived from the shape, so the same events give the same bytes in every run.
fn shape_guid(key: &ShapeKey) -> [u8; 16] {
    let mut desc = format!("{}\0{}\0{}\0", key.provider, key.data, key.binary);
    for n in &key.named {
        desc.push_str(n);
        desc.push('\0');
    }
    let mut guid = [0u8; 16];
    for (i, part) in guid.chunks_exact_mut(4).enumerate() {
        let mut h = crc32fast::Hasher::new_with_initial(0x9e37_79b9_u32.wrapping_mul(i as u32 + 1));
        h.update(desc.as_bytes());
        part.copy_from_slice(&h.finalize().to_le_bytes());
    }
    guid
}

/// MS-EVEN6 NameHash: h = h * 65599 + c over the UTF-16 units; the low 16 bits are stored.
fn name_hash(name: &str) -> u32 {
    name.encode_utf16().fold(0u32, |h, c| {
        h.wrapping_mul(65599).wrapping_add(u32::from(c))
    })
}

/// The chunk being filled: its bytes and the names and templates it already holds.
struct Chunk {
    buf: Vec<u8>,
    /// Where the next record goes (the free space offset).
    free: usize,
    records: u64,
    first_id: u64,
    last_id: u64,
    last_record_offset: usize,
    names: HashMap<String, u32>,
    string_buckets: [u32; 64],
    templates: HashMap<usize, u32>,
    template_buckets: [u32; 32],
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            buf: vec![0; CHUNK_SIZE],
            free: CHUNK_HEADER_SIZE,
            records: 0,
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
            names: HashMap::new(),
            string_buckets: [0; 64],
            templates: HashMap::new(),
            template_buckets: [0; 32],
        }
    }

    fn reset(&mut self) {
        self.buf.fill(0);
        self.free = CHUNK_HEADER_SIZE;
        self.records = 0;
        self.names.clear();
        self.string_buckets = [0; 64];
        self.templates.clear();
        self.template_buckets = [0; 32];
    }

    /// Fills in the chunk header and its CRC32s.
    fn seal(&mut self) {
        let b = &mut self.buf;
        b[0..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers and record ids are the same in a log that was never cleared.
        put_u64(b, 8, self.first_id);
        put_u64(b, 16, self.last_id);
        put_u64(b, 24, self.first_id);
        put_u64(b, 32, self.last_id);
        put_u32(b, 40, 128);
        put_u32(b, 44, self.last_record_offset as u32);
        put_u32(b, 48, self.free as u32);
        let data_crc = crc32fast::hash(&b[CHUNK_HEADER_SIZE..self.free]);
        put_u32(b, 52, data_crc);
        put_u32(b, 120, 0);
        for (i, off) in self.string_buckets.iter().enumerate() {
            put_u32(b, 128 + 4 * i, *off);
        }
        for (i, off) in self.template_buckets.iter().enumerate() {
            put_u32(b, 384 + 4 * i, *off);
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&b[..120]);
        h.update(&b[128..CHUNK_HEADER_SIZE]);
        put_u32(b, 124, h.finalize());
    }
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// One record under construction, against a tentative copy of the chunk's tables: it is
/// committed only if it fits, else the chunk is sealed and the record built again in a new one.
struct RecordBuilder<'a> {
    chunk: &'a Chunk,
    out: &'a mut Vec<u8>,
    /// Chunk offset of `out[0]`.
    base: usize,
    new_names: Vec<(String, u32)>,
    string_buckets: [u32; 64],
}

impl RecordBuilder<'_> {
    fn pos(&self) -> u32 {
        (self.base + self.out.len()) as u32
    }

    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// Reserves a u32 to be filled with the number of bytes written after it.
    fn size_slot(&mut self) -> usize {
        self.u32(0);
        self.out.len()
    }

    fn fill_size(&mut self, slot: usize) {
        let size = (self.out.len() - slot) as u32;
        put_u32(self.out, slot - 4, size);
    }

    /// A name reference: the offset of the name in the chunk, and the name itself right
    /// after it when this is its first use in the chunk.
    fn name(&mut self, name: &str) {
        let known = self.chunk.names.get(name).copied().or_else(|| {
            self.new_names
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, off)| *off)
        });
        if let Some(off) = known {
            self.u32(off);
            return;
        }
        let off = self.pos() + 4;
        self.u32(off);
        let hash = name_hash(name);
        let bucket = (hash % 64) as usize;
        // Newest first: the bucket points at this name, which links to the previous head.
        self.u32(self.string_buckets[bucket]);
        self.string_buckets[bucket] = off;
        self.u16((hash & 0xffff) as u16);
        let units: Vec<u16> = name.encode_utf16().collect();
        self.u16(units.len() as u16);
        for u in units {
            self.u16(u);
        }
        self.u16(0);
        self.new_names.push((name.to_string(), off));
    }

    fn content(&mut self, c: &Content) {
        match c {
            Content::Text(s) => {
                self.u8(token::VALUE);
                self.u8(ty::STRING);
                let units: Vec<u16> = s.encode_utf16().collect();
                self.u16(units.len() as u16);
                for u in units {
                    self.u16(u);
                }
            }
            Content::Sub {
                index,
                ty,
                optional,
            } => {
                self.u8(if *optional {
                    token::OPTIONAL_SUBSTITUTION
                } else {
                    token::SUBSTITUTION
                });
                self.u16(*index);
                self.u8(*ty);
            }
        }
    }

    fn element(&mut self, e: &Elem) {
        let has_attrs = !e.attrs.is_empty();
        self.u8(if has_attrs {
            token::OPEN_START_ATTRS
        } else {
            token::OPEN_START
        });
        self.u16(e.dependency.unwrap_or(0xffff));
        let element_size = self.size_slot();
        self.name(&e.name);
        if has_attrs {
            let attrs_size = self.size_slot();
            for (i, (name, value)) in e.attrs.iter().enumerate() {
                let more = i + 1 < e.attrs.len();
                self.u8(if more {
                    token::ATTRIBUTE_MORE
                } else {
                    token::ATTRIBUTE_LAST
                });
                self.name(name);
                self.content(value);
            }
            self.fill_size(attrs_size);
        }
        if e.children.is_empty() {
            self.u8(token::CLOSE_EMPTY);
        } else {
            self.u8(token::CLOSE_START);
            for child in &e.children {
                match child {
                    Child::Elem(c) => self.element(c),
                    Child::Content(c) => self.content(c),
                }
            }
            self.u8(token::END_ELEMENT);
        }
        self.fill_size(element_size);
    }

    fn fragment_header(&mut self) {
        self.out
            .extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
    }
}

/// A substitution value, written straight from the event.
enum Value<'a> {
    Null,
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Hex64(u64),
    FileTime(u64),
    Str(&'a str),
    Status(u32),
}

impl Value<'_> {
    fn ty(&self) -> u8 {
        match self {
            Value::Null => ty::NULL,
            Value::U8(_) => ty::UINT8,
            Value::U16(_) => ty::UINT16,
            Value::U32(_) => ty::UINT32,
            Value::U64(_) => ty::UINT64,
            Value::Hex64(_) => ty::HEXINT64,
            Value::FileTime(_) => ty::FILETIME,
            Value::Str(_) => ty::STRING,
            Value::Status(_) => ty::BINARY,
        }
    }

    /// Bytes in the record: strings are UTF-16LE without a terminator.
    fn size(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::U8(_) => 1,
            Value::U16(_) => 2,
            Value::U32(_) | Value::Status(_) => 4,
            Value::U64(_) | Value::Hex64(_) | Value::FileTime(_) => 8,
            Value::Str(s) => 2 * s.encode_utf16().count(),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => {}
            Value::U8(v) => out.push(*v),
            Value::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::U32(v) | Value::Status(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::U64(v) | Value::Hex64(v) | Value::FileTime(v) => {
                out.extend_from_slice(&v.to_le_bytes())
            }
            Value::Str(s) => {
                for u in s.encode_utf16() {
                    out.extend_from_slice(&u.to_le_bytes());
                }
            }
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// 100 ns ticks since 1601-01-01 UTC.
fn filetime(t: &DateTime<Utc>) -> io::Result<u64> {
    const EPOCH_1601: i64 = 11_644_473_600;
    let secs = t
        .timestamp()
        .checked_add(EPOCH_1601)
        .filter(|s| *s >= 0)
        .ok_or_else(|| invalid(format!("time {t} is before 1601")))?;
    (secs as u64)
        .checked_mul(10_000_000)
        .and_then(|v| v.checked_add(u64::from(t.timestamp_subsec_nanos() / 100)))
        .ok_or_else(|| invalid(format!("time {t} does not fit a FILETIME")))
}

/// The substitution values of an event, in template order, into `v`.
fn values<'a>(e: &'a LabEvent, time: u64, v: &mut Vec<Value<'a>>) -> io::Result<()> {
    let event_id = u16::try_from(e.event_id)
        .map_err(|_| invalid(format!("event id {} does not fit 16 bits", e.event_id)))?;
    v.clear();
    v.extend([
        Value::U8(e.level),
        Value::U8(0),
        Value::U16(0),
        Value::U16(event_id),
        e.qualifiers.map_or(Value::Null, Value::U16),
        Value::Hex64(KEYWORDS),
        Value::FileTime(time),
        Value::Null,
        Value::U32(0),
        Value::U32(0),
        Value::U64(e.record_id),
        Value::U8(0),
        Value::Null,
        Value::Null,
        Value::Str(e.channel),
        Value::Str(&e.computer),
    ]);
    debug_assert_eq!(v.len(), usize::from(sub::FIRST_DATA));
    v.extend(e.data.iter().map(|d| Value::Str(d)));
    v.extend(e.named.iter().map(|(_, d)| Value::Str(d)));
    if has_binary_slot(e) {
        v.push(e.status.map_or(Value::Null, Value::Status));
    }
    if let Some(big) = v.iter().find(|v| v.size() > usize::from(u16::MAX)) {
        return Err(invalid(format!(
            "record {}: a value of {} bytes does not fit a substitution",
            e.record_id,
            big.size()
        )));
    }
    Ok(())
}

/// Writes events to an EVTX file, one chunk at a time.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    /// Where the file starts in `out`.
    start: u64,
    chunk: Chunk,
    chunks_written: u64,
    last_id: Option<u64>,
    /// Templates by shape hash (collisions share a bucket); at most one per distinct shape.
    shapes: HashMap<u64, Vec<Arc<Shape>>>,
    shape_count: usize,
    scratch: Vec<u8>,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Starts a file at the current position of `out`. The header written now says "dirty"
    /// (as Windows leaves a log it has open), so an unfinished file reads as such.
    pub fn new(mut out: W) -> io::Result<Self> {
        let start = out.stream_position()?;
        out.write_all(&file_header(0, 1, true))?;
        Ok(EvtxWriter {
            out,
            start,
            chunk: Chunk::new(),
            chunks_written: 0,
            last_id: None,
            shapes: HashMap::new(),
            shape_count: 0,
            scratch: Vec::with_capacity(CHUNK_SIZE),
        })
    }

    /// Appends one event as record `e.record_id`; ids must increase from one push to the next.
    /// After an error the file is unusable.
    pub fn push(&mut self, e: &LabEvent) -> io::Result<()> {
        if let Some(last) = self.last_id
            && e.record_id <= last
        {
            return Err(invalid(format!(
                "record id {} after {last}: ids must increase",
                e.record_id
            )));
        }
        let shape = self.shape(e);
        let time = filetime(&e.time)?;
        let mut values = Vec::with_capacity(usize::from(sub::FIRST_DATA) + 32);
        self::values(e, time, &mut values)?;

        let mut scratch = std::mem::take(&mut self.scratch);
        let mut committed = self.try_record(e, time, &shape, &values, &mut scratch);
        if !committed && self.chunk.records > 0 {
            self.flush_chunk()?;
            committed = self.try_record(e, time, &shape, &values, &mut scratch);
        }
        self.scratch = scratch;
        if !committed {
            return Err(invalid(format!(
                "record {} does not fit in an empty chunk",
                e.record_id
            )));
        }
        self.last_id = Some(e.record_id);
        Ok(())
    }

    /// The template for `e`'s shape, made on first use.
    fn shape(&mut self, e: &LabEvent) -> Arc<Shape> {
        let bucket = self.shapes.entry(shape_hash(e)).or_default();
        if let Some(s) = bucket.iter().find(|s| s.key.fits(e)) {
            return s.clone();
        }
        let shape = Arc::new(Shape::new(self.shape_count, ShapeKey::of(e)));
        self.shape_count += 1;
        bucket.push(shape.clone());
        shape
    }

    /// Builds the record into `scratch` and adds it to the chunk if it fits.
    fn try_record(
        &mut self,
        e: &LabEvent,
        time: u64,
        shape: &Shape,
        values: &[Value<'_>],
        scratch: &mut Vec<u8>,
    ) -> bool {
        scratch.clear();
        let chunk = &self.chunk;
        let base = chunk.free;
        let known_template = chunk.templates.get(&shape.id).copied();
        let mut template_buckets = chunk.template_buckets;
        let mut b = RecordBuilder {
            chunk,
            out: scratch,
            base,
            new_names: Vec::new(),
            string_buckets: chunk.string_buckets,
        };
        b.out.extend_from_slice(&[0x2a, 0x2a, 0, 0]);
        let record_size = b.size_slot();
        b.out.extend_from_slice(&e.record_id.to_le_bytes());
        b.out.extend_from_slice(&time.to_le_bytes());
        b.fragment_header();
        b.u8(token::TEMPLATE_INSTANCE);
        b.u8(1);
        let template_id = u32::from_le_bytes(shape.guid[..4].try_into().expect("4 bytes"));
        b.u32(template_id);
        let new_template = match known_template {
            Some(off) => {
                b.u32(off);
                None
            }
            None => {
                let off = b.pos() + 4;
                b.u32(off);
                let bucket = (template_id % 32) as usize;
                b.u32(template_buckets[bucket]);
                template_buckets[bucket] = off;
                b.out.extend_from_slice(&shape.guid);
                let body = b.size_slot();
                b.fragment_header();
                b.element(&shape.root);
                b.u8(token::EOF);
                b.fill_size(body);
                Some(off)
            }
        };
        b.u32(values.len() as u32);
        for v in values {
            b.u16(v.size() as u16);
            b.u8(v.ty());
            b.u8(0);
        }
        for v in values {
            v.write(b.out);
        }
        // The size counts the record from its signature to the copy of the size.
        let size = (b.out.len() + 4) as u32;
        put_u32(b.out, record_size - 4, size);
        b.u32(size);
        if base + b.out.len() > CHUNK_SIZE {
            return false;
        }
        let RecordBuilder {
            new_names,
            string_buckets,
            ..
        } = b;

        let chunk = &mut self.chunk;
        chunk.buf[base..base + scratch.len()].copy_from_slice(scratch);
        chunk.names.extend(new_names);
        chunk.string_buckets = string_buckets;
        if let Some(off) = new_template {
            chunk.templates.insert(shape.id, off);
            chunk.template_buckets = template_buckets;
        }
        if chunk.records == 0 {
            chunk.first_id = e.record_id;
        }
        chunk.records += 1;
        chunk.last_id = e.record_id;
        chunk.last_record_offset = base;
        chunk.free = base + scratch.len();
        true
    }

    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.chunks_written == MAX_CHUNKS {
            return Err(invalid(format!(
                "an EVTX file holds at most {MAX_CHUNKS} chunks"
            )));
        }
        self.chunk.seal();
        self.out.write_all(&self.chunk.buf)?;
        self.chunks_written += 1;
        self.chunk.reset();
        Ok(())
    }

    /// Writes the last chunk and the final (clean) file header; returns `out`, positioned at
    /// the end of the file.
    pub fn finish(mut self) -> io::Result<W> {
        if self.chunk.records > 0 {
            self.flush_chunk()?;
        }
        let next_id = self.last_id.map_or(1, |id| id + 1);
        let end = self.out.stream_position()?;
        self.out.seek(SeekFrom::Start(self.start))?;
        self.out
            .write_all(&file_header(self.chunks_written, next_id, false))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The 4 KiB file header for `chunks` chunks.
fn file_header(chunks: u64, next_record_id: u64, dirty: bool) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_SIZE];
    h[0..8].copy_from_slice(b"ElfFile\0");
    put_u64(&mut h, 8, 0);
    put_u64(&mut h, 16, chunks.saturating_sub(1));
    put_u64(&mut h, 24, next_record_id);
    put_u32(&mut h, 32, 128);
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    h[42..44].copy_from_slice(&(chunks as u16).to_le_bytes());
    put_u32(&mut h, 120, u32::from(dirty));
    let crc = crc32fast::hash(&h[..120]);
    put_u32(&mut h, 124, crc);
    h
}

/// Writes `events` (in increasing record id order) to a new EVTX file at `path`.
pub fn write_evtx(path: &Path, events: &[LabEvent]) -> io::Result<()> {
    let mut w = EvtxWriter::new(File::create(path)?)?;
    for e in events {
        w.push(e)?;
    }
    w.finish()?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hash_matches_ms_even6() {
        // h = h * 65599 + c, by hand for "Ab": 65 * 65599 + 98.
        assert_eq!(name_hash("Ab"), 65 * 65599 + 98);
        assert_eq!(name_hash(""), 0);
    }

    #[test]
    fn filetime_counts_100ns_since_1601() {
        let t = DateTime::from_timestamp(0, 1_234_500).unwrap();
        assert_eq!(filetime(&t).unwrap(), 116_444_736_000_000_000 + 12_345);
        let early = DateTime::from_timestamp(-11_644_473_601, 0).unwrap();
        assert!(filetime(&early).is_err());
    }
}
