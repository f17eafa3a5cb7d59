//! Just enough BinXML to see where a template puts the event's provider, id and named
//! data: template definitions become [`Shape`]s, substitution values are located by their
//! descriptors. Anything outside the common shapes is `None` — the caller then renders the
//! record the full way, so this module never has to be complete, only right when it answers.
//!
//! Token layout: docs/evtx-fast-path.md §2 (checked against evtx 0.15.1 and libyal).

/// Reads little-endian integers at chunk offsets (positions are chunk offsets, as the
/// offsets BinXML stores are).
pub(super) struct Cursor<'a> {
    data: &'a [u8],
    pub pos: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data[pos..end]`; `None` when that range is not in `data`.
    pub fn new(data: &'a [u8], pos: usize, end: usize) -> Option<Self> {
        (pos <= end && end <= data.len()).then_some(Cursor { data, pos, end })
    }

    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos).filter(|_| self.pos < self.end)?;
        self.pos += 1;
        Some(b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.end)?;
        let b = &self.data[self.pos..end];
        self.pos = end;
        Some(b)
    }

    /// Moves to `pos`, which must be within the cursor's range.
    pub fn seek(&mut self, pos: usize) -> Option<()> {
        (pos <= self.end).then(|| self.pos = pos)
    }
}

/// UTF-16LE to a string, strictly (a lone surrogate is `None`).
pub(super) fn utf16(bytes: &[u8]) -> Option<String> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// A string substitution value as evtx renders it: up to the first NUL.
pub(super) fn string_value(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let end = bytes
        .chunks_exact(2)
        .position(|c| c == [0, 0])
        .map_or(bytes.len(), |i| i * 2);
    utf16(&bytes[..end])
}

/// A string value as `string_value` reads it, when it is at most 256 printable ASCII
/// characters and `plain`: the common case, copied into `buf` instead of a new string
/// (providers and account names of nearly every record with a watched id are read only to
/// be compared). `None` leaves the value to `string_value`.
pub(super) fn plain_ascii_value<'b>(bytes: &[u8], buf: &'b mut [u8; 256]) -> Option<&'b str> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let mut len = 0;
    for unit in bytes.chunks_exact(2) {
        match u16::from_le_bytes([unit[0], unit[1]]) {
            0 => break,
            u @ 0x20..0x7F if !matches!(u as u8, b'<' | b'>' | b'&' | b'"' | b'\'') => {
                *buf.get_mut(len)? = u as u8;
                len += 1;
            }
            _ => return None,
        }
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// Whether the text reaches kizuna's XML reader unchanged: no markup characters to escape
/// and no control characters for the XML layer to normalize.
pub(super) fn plain(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>' | '&' | '"' | '\''))
}

/// The text of an element or attribute in a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Text {
    #[default]
    Empty,
    Literal(String),
    /// Exactly one substitution and nothing else.
    Slot(u16),
    /// Several substitutions, references or CDATA: not read by the pre-filter.
    Other,
}

impl Text {
    fn push(&mut self, piece: Text) {
        *self = match (std::mem::replace(self, Text::Other), piece) {
            (Text::Empty, p) => p,
            (Text::Literal(mut a), Text::Literal(b)) => {
                a.push_str(&b);
                Text::Literal(a)
            }
            _ => Text::Other,
        };
    }
}

/// One element of a template definition.
#[derive(Debug)]
struct Element {
    /// Local name (after any `prefix:`), as kizuna's XML reader compares names.
    name: String,
    parent: Option<usize>,
    dependency: Option<u16>,
    attributes: Vec<(String, Text)>,
    content: Text,
    /// Every substitution in the content, also when `content` is `Other`.
    content_slots: Vec<u16>,
    /// Every substitution in the attributes.
    attribute_slots: Vec<u16>,
    has_children: bool,
}

/// The deepest template the pre-filter reads; kizuna's XML reader refuses 32 levels.
const MAX_DEPTH: usize = 24;
/// More elements than any real event template has.
const MAX_ELEMENTS: usize = 1024;

/// Longer than any element or attribute name of an event template.
const MAX_NAME: usize = 128;

fn local(name: String) -> String {
    match name.rfind(':') {
        Some(i) => name[i + 1..].to_string(),
        None => name,
    }
}

/// Resolves the name reference at the cursor into `out` (its length in UTF-16 units, then
/// the units); moves past a name stored inline.
fn resolve_name(c: &mut Cursor<'_>, chunk: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let offset = c.u32()? as usize;
    let mut at = Cursor::new(chunk, offset, chunk.len())?;
    at.bytes(6)?; // next-name link, hash
    let chars = at.u16()?;
    if chars as usize > MAX_NAME {
        return None;
    }
    let units = at.bytes(chars as usize * 2)?;
    if offset == c.pos {
        c.seek(offset + 6 + 2 + units.len() + 2)?;
    }
    out.extend_from_slice(&chars.to_le_bytes());
    out.extend_from_slice(units);
    Some(())
}

/// Writes the template definition at chunk offset `def` (its 24-byte header, then the body)
/// into `out` with its names resolved: every token the shape is built from, and nothing
/// that depends on where the definition sits in which chunk. Windows writes the same
/// templates into every chunk; shapes are keyed by this form, so each is built once per
/// file (`ShapeCache`), and since a shape is made from this form alone, a cached shape is
/// the shape a fresh parse would give. `None` for a definition that cannot be read.
pub(super) fn resolve_definition(chunk: &[u8], def: usize, out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    let mut h = Cursor::new(chunk, def, chunk.len())?;
    h.bytes(20)?; // next definition, GUID
    let size = h.u32()? as usize;
    let mut c = Cursor::new(chunk, h.pos, h.pos.checked_add(size)?)?;
    if c.bytes(4)? != [0x0F, 0x01, 0x01, 0x00] {
        return None;
    }
    loop {
        let token = c.u8()?;
        out.push(token);
        match token {
            0x00 => return Some(()),
            0x01 | 0x41 => {
                out.extend_from_slice(c.bytes(2)?); // dependency
                c.u32()?; // data size
                resolve_name(&mut c, chunk, out)?;
                if token == 0x41 {
                    c.u32()?; // attribute list size
                }
            }
            0x02..=0x04 => {}
            0x06 | 0x46 | 0x09 | 0x49 => resolve_name(&mut c, chunk, out)?,
            0x05 | 0x45 => {
                // Only strings are expected as literal values in templates.
                if c.u8()? != 0x01 {
                    return None;
                }
                let chars = c.u16()?;
                out.extend_from_slice(&chars.to_le_bytes());
                out.extend_from_slice(c.bytes(chars as usize * 2)?);
            }
            0x0D | 0x0E => {
                out.extend_from_slice(c.bytes(2)?); // slot
                c.u8()?; // value type
            }
            0x07 | 0x47 => {
                let chars = c.u16()? as usize;
                c.bytes(chars * 2)?; // CDATA: its text is not read
            }
            0x08 | 0x48 => {
                c.u16()?; // character reference: not read
            }
            // Processing instructions, nested instances, fragment headers: not in event templates.
            _ => return None,
        }
    }
}

/// Reads a resolved definition (`resolve_definition`).
struct Resolved<'a>(Cursor<'a>);

impl Resolved<'_> {
    /// A resolved name, checked: damage shows as names no template has, and such templates
    /// are left to evtx.
    fn name(&mut self) -> Option<String> {
        let chars = self.0.u16()? as usize;
        let name = utf16(self.0.bytes(chars * 2)?)?;
        if name.is_empty() || name.chars().any(|ch| ch.is_control() || ch.is_whitespace()) {
            return None;
        }
        Some(local(name))
    }

    fn text(&mut self) -> Option<Text> {
        let chars = self.0.u16()? as usize;
        Some(Text::Literal(utf16(self.0.bytes(chars * 2)?)?))
    }
}

/// The elements of a resolved definition, or `None` when they do not form one element tree.
fn parse_definition(resolved: &[u8]) -> Option<Vec<Element>> {
    let mut r = Resolved(Cursor::new(resolved, 0, resolved.len())?);
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    // The element whose start tag is being read, and its attribute being read.
    let mut start_tag: Option<usize> = None;
    let mut attribute: Option<(String, Text)> = None;
    let finish_attribute = |elements: &mut Vec<Element>,
                            start_tag: Option<usize>,
                            attr: &mut Option<(String, Text)>| {
        if let (Some(e), Some(a)) = (start_tag, attr.take()) {
            elements[e].attributes.push(a);
        }
    };
    loop {
        let token = r.0.u8()?;
        match token {
            0x00 => {
                return (open.is_empty() && !elements.is_empty() && start_tag.is_none())
                    .then_some(elements);
            }
            0x01 | 0x41 => {
                if start_tag.is_some() || open.len() >= MAX_DEPTH || elements.len() >= MAX_ELEMENTS
                {
                    return None;
                }
                if open.is_empty() && !elements.is_empty() {
                    return None; // a second root
                }
                let dependency = r.0.u16()?;
                let name = r.name()?;
                let parent = open.last().copied();
                if let Some(p) = parent {
                    elements[p].has_children = true;
                }
                elements.push(Element {
                    name,
                    parent,
                    dependency: (dependency != 0xFFFF).then_some(dependency),
                    attributes: Vec::new(),
                    content: Text::Empty,
                    content_slots: Vec::new(),
                    attribute_slots: Vec::new(),
                    has_children: false,
                });
                open.push(elements.len() - 1);
                start_tag = Some(elements.len() - 1);
            }
            0x02 | 0x03 => {
                start_tag?;
                finish_attribute(&mut elements, start_tag, &mut attribute);
                start_tag = None;
                if token == 0x03 {
                    open.pop();
                }
            }
            0x04 => {
                if start_tag.is_some() {
                    return None;
                }
                open.pop()?;
            }
            0x06 | 0x46 => {
                start_tag?;
                finish_attribute(&mut elements, start_tag, &mut attribute);
                attribute = Some((r.name()?, Text::Empty));
            }
            0x05 | 0x45 | 0x0D | 0x0E | 0x07 | 0x47 | 0x08 | 0x48 | 0x09 | 0x49 => {
                let piece = match token {
                    0x05 | 0x45 => r.text()?,
                    0x0D | 0x0E => Text::Slot(r.0.u16()?),
                    0x09 | 0x49 => {
                        r.name()?;
                        Text::Other
                    }
                    _ => Text::Other,
                };
                match (&mut attribute, start_tag) {
                    (Some((_, text)), Some(e)) => {
                        if let Text::Slot(i) = piece {
                            elements[e].attribute_slots.push(i);
                        }
                        text.push(piece);
                    }
                    (None, Some(_)) => return None, // a value in a start tag, outside an attribute
                    (_, None) => {
                        let e = &mut elements[*open.last()?];
                        if let Text::Slot(i) = piece {
                            e.content_slots.push(i);
                        }
                        e.content.push(piece);
                    }
                }
            }
            _ => return None,
        }
    }
}

/// Where a template puts the `System` values kizuna reads (each the last such element,
/// as kizuna's XML reader keeps the last one).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct SystemShape {
    /// `Provider@Name`; `None` without the attribute (kizuna then reads `EventSourceName`).
    pub provider: Option<Text>,
    pub event_id: Text,
    pub qualifiers: Option<Text>,
    pub time: Option<Text>,
    pub record_id: Option<Text>,
    pub channel: Option<Text>,
    pub computer: Option<Text>,
}

/// Where a template puts what the pre-filter and the decoder read. Built only for templates
/// whose root is `Event` with exactly one `System`, one `System/Provider` and one
/// `System/EventID` (else the template is unknown and every record of it is rendered).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct EventShape {
    pub system: SystemShape,
    /// Of `data.dependencies` (MS-EVEN6 DependencyId), those that can leave out the event id
    /// or the provider (of `Event`, `System`, `Provider`, `EventID`). A Null value elsewhere,
    /// as the `Binary` of most classic events without data, changes neither, so the record
    /// can still be ruled out.
    pub id_dependencies: Vec<u16>,
    pub data: DataShape,
    /// Substitutions in the root's content: where a nested EventData fragment goes.
    pub root_slots: Vec<u16>,
    /// Substitutions anywhere else (an embedded fragment there is not decoded).
    pub other_slots: Vec<u16>,
}

/// One `EventData/Data` element.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct DataItem {
    /// Its literal `Name`, or `None` for a positional value.
    pub name: Option<String>,
    pub text: Text,
}

/// The `EventData` a template (or a nested fragment) holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct DataShape {
    /// `EventData/Data` elements in document order.
    pub items: Vec<DataItem>,
    /// `EventData/Binary` (the last one).
    pub binary: Option<Text>,
    /// The substitution whose Null value leaves the `Binary` out, when there is one
    /// `Binary`: classic events without data leave it out, and the decoder reads that as no
    /// binary, as kizuna's XML reader does. Not in `dependencies`.
    pub binary_dependency: Option<u16>,
    /// The template may yield values the pre-filter cannot see: `UserData`, a `Data` whose
    /// name is computed or that has child elements.
    pub opaque: bool,
    /// It names an element kizuna reads from `System`: a nested fragment must not.
    pub has_system: bool,
    /// Substitutions that can leave an element of this template out (but the lone
    /// `Binary`'s: `binary_dependency`).
    pub dependencies: Vec<u16>,
}

impl DataShape {
    fn of(elements: &[Element]) -> DataShape {
        let in_event_data = |e: &Element| e.parent.is_some_and(|p| elements[p].name == "EventData");
        let binaries: Vec<usize> = (0..elements.len())
            .filter(|&i| elements[i].name == "Binary" && in_event_data(&elements[i]))
            .collect();
        let lone_binary = match binaries.as_slice() {
            [i] if !elements[*i].has_children => Some(*i),
            _ => None,
        };
        let mut shape = DataShape {
            dependencies: (0..elements.len())
                .filter(|&i| Some(i) != lone_binary)
                .filter_map(|i| elements[i].dependency)
                .collect(),
            binary_dependency: lone_binary.and_then(|i| elements[i].dependency),
            ..DataShape::default()
        };
        for e in elements {
            let parent = e.parent.map(|p| elements[p].name.as_str());
            if e.name == "UserData" {
                shape.opaque = true;
            }
            if e.name == "System" || parent == Some("System") {
                shape.has_system = true;
            }
            if parent != Some("EventData") {
                continue;
            }
            match e.name.as_str() {
                "Data" if e.has_children => shape.opaque = true,
                "Data" => match e.attributes.iter().find(|(n, _)| n == "Name") {
                    None => shape.items.push(DataItem {
                        name: None,
                        text: e.content.clone(),
                    }),
                    Some((_, Text::Literal(name))) if plain(name) => shape.items.push(DataItem {
                        name: Some(name.clone()),
                        text: e.content.clone(),
                    }),
                    Some(_) => shape.opaque = true,
                },
                "Binary" if e.has_children => shape.opaque = true,
                "Binary" => shape.binary = Some(e.content.clone()),
                _ => {}
            }
        }
        shape
    }

    /// The texts of the `Data` elements named `field`.
    pub fn named<'s>(&'s self, field: &'s str) -> impl Iterator<Item = &'s Text> + 's {
        self.items
            .iter()
            .filter(move |i| i.name.as_deref() == Some(field))
            .map(|i| &i.text)
    }
}

/// A parsed template definition, as the pre-filter needs it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// An outer record template.
    Event(Box<EventShape>),
    /// A fragment without `System` (the EventData of a record, as a nested instance).
    Data(DataShape),
    Unknown,
}

impl Shape {
    /// The shape of the definition at chunk offset `def`.
    #[cfg(test)]
    pub fn parse(chunk: &[u8], def: usize) -> Shape {
        let mut resolved = Vec::new();
        match resolve_definition(chunk, def, &mut resolved) {
            Some(()) => Shape::of_resolved(&resolved),
            None => Shape::Unknown,
        }
    }

    /// The shape of a resolved definition (`resolve_definition`).
    pub fn of_resolved(resolved: &[u8]) -> Shape {
        let Some(elements) = parse_definition(resolved) else {
            return Shape::Unknown;
        };
        let data = DataShape::of(&elements);

        if elements[0].name != "Event" {
            return if data.has_system {
                Shape::Unknown
            } else {
                Shape::Data(data)
            };
        }
        let systems: Vec<usize> = (0..elements.len())
            .filter(|&i| elements[i].name == "System")
            .collect();
        let [system] = systems.as_slice() else {
            return Shape::Unknown;
        };
        if elements[*system].parent != Some(0) {
            return Shape::Unknown;
        }
        let mut shape = SystemShape::default();
        let (mut providers, mut ids) = (0, 0);
        let mut id_dependencies: Vec<u16> = [&elements[0], &elements[*system]]
            .iter()
            .filter_map(|e| e.dependency)
            .collect();
        let attribute = |e: &Element, name: &str| {
            e.attributes
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone())
        };
        for e in elements.iter().filter(|e| e.parent == Some(*system)) {
            let text = (!e.has_children).then(|| e.content.clone());
            if matches!(e.name.as_str(), "Provider" | "EventID") {
                id_dependencies.extend(e.dependency);
            }
            match e.name.as_str() {
                "Provider" => {
                    providers += 1;
                    shape.provider = attribute(e, "Name");
                }
                "EventID" => {
                    ids += 1;
                    shape.event_id = text.unwrap_or(Text::Other);
                    shape.qualifiers = attribute(e, "Qualifiers");
                }
                "TimeCreated" => {
                    shape.time = Some(attribute(e, "SystemTime").unwrap_or(Text::Empty))
                }
                "EventRecordID" => shape.record_id = Some(text.unwrap_or(Text::Other)),
                "Channel" => shape.channel = Some(text.unwrap_or(Text::Other)),
                "Computer" => shape.computer = Some(text.unwrap_or(Text::Other)),
                _ => {}
            }
        }
        if providers != 1 || ids != 1 {
            return Shape::Unknown;
        }
        let mut other_slots: Vec<u16> = elements[1..]
            .iter()
            .flat_map(|e| e.content_slots.iter().copied())
            .collect();
        other_slots.extend(
            elements
                .iter()
                .flat_map(|e| e.attribute_slots.iter().copied()),
        );
        Shape::Event(Box::new(EventShape {
            system: shape,
            id_dependencies,
            data,
            root_slots: elements[0].content_slots.clone(),
            other_slots,
        }))
    }
}

/// Value types whose size the descriptor must match, or `None` for a type the pre-filter
/// does not accept (arrays, ANSI strings, handles, XML): records with them are rendered.
fn size_ok(ty: u8, size: usize, value: &[u8]) -> Option<bool> {
    Some(match ty {
        0x00 | 0x0E | 0x21 => true,
        0x01 => size.is_multiple_of(2),
        0x03 | 0x04 => size == 1,
        0x05 | 0x06 => size == 2,
        0x07 | 0x08 | 0x0B | 0x0D | 0x14 => size == 4,
        0x09 | 0x0A | 0x0C | 0x11 | 0x15 => size == 8,
        0x0F | 0x12 => size == 16,
        0x10 => size == 4 || size == 8,
        0x13 => value.len() >= 2 && size == 8 + 4 * value[1] as usize,
        _ => return None,
    })
}

/// Values whose offsets an instance keeps; records have a few dozen. `Values` is copied
/// around per record, so it stays small.
const KEPT_OFFSETS: usize = 48;

/// The substitution values of a template instance, read in place.
#[derive(Clone, Copy)]
pub(super) struct Values<'a> {
    chunk: &'a [u8],
    /// 4 bytes per value: size u16, type u8, padding.
    descriptors: &'a [u8],
    /// Chunk offset of the first value.
    start: usize,
    /// Offsets of the first values from `start`, found once with the descriptors (values
    /// lie within a 64 KiB chunk).
    offsets: [u16; KEPT_OFFSETS],
}

/// One substitution value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Value<'a> {
    pub ty: u8,
    pub bytes: &'a [u8],
    /// Chunk offset of the bytes.
    pub at: usize,
}

impl<'a> Values<'a> {
    /// The value in slot `i`.
    pub fn get(&self, i: u16) -> Option<Value<'a>> {
        let i = i as usize;
        let d = self.descriptors.get(i * 4..i * 4 + 4)?;
        let at = match self.offsets.get(i) {
            Some(&at) => self.start + at as usize,
            None => {
                self.start
                    + self.descriptors[..i * 4]
                        .chunks_exact(4)
                        .map(|d| u16::from_le_bytes([d[0], d[1]]) as usize)
                        .sum::<usize>()
            }
        };
        let size = u16::from_le_bytes([d[0], d[1]]) as usize;
        Some(Value {
            ty: d[2],
            bytes: &self.chunk[at..at + size],
            at,
        })
    }

    /// Whether a Null value (or none at all) in one of these slots leaves an element out
    /// (MS-EVEN6 DependencyId): then the rendering is evtx's to make. A slot past the
    /// values counts as leaving out, to be safe.
    pub fn leave_out_any(&self, dependencies: &[u16]) -> bool {
        dependencies
            .iter()
            .any(|&d| self.get(d).is_none_or(|v| v.ty == 0x00))
    }

    /// Whether every value has a type the pre-filter reads and the size that type has.
    pub fn all_sized(&self) -> bool {
        self.iter()
            .all(|v| size_ok(v.ty, v.bytes.len(), v.bytes) == Some(true))
    }

    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + '_ {
        let mut at = self.start;
        self.descriptors.chunks_exact(4).map(move |d| {
            let size = u16::from_le_bytes([d[0], d[1]]) as usize;
            let v = Value {
                ty: d[2],
                bytes: &self.chunk[at..at + size],
                at,
            };
            at += size;
            v
        })
    }
}

/// A template instance at the cursor (just past its `0x0C` token): the definition's offset
/// and the values, every descriptor checked. `None` for anything unusual.
pub(super) fn template_instance<'a>(c: &mut Cursor<'a>) -> Option<(usize, Values<'a>)> {
    let (def, values) = template_instance_unchecked(c)?;
    values.all_sized().then_some((def, values))
}

/// A template instance whose values are located but not checked against their types:
/// enough to read one value whose type the caller checks (the event id). Most records
/// are ruled out from that value alone; checking every value of every record cost the
/// pre-filter a seventh of its time. Call [`Values::all_sized`] before reading more.
pub(super) fn template_instance_unchecked<'a>(c: &mut Cursor<'a>) -> Option<(usize, Values<'a>)> {
    c.u8()?;
    c.u32()?; // template id
    let def = c.u32()? as usize;
    if def == c.pos {
        c.bytes(20)?;
        let size = c.u32()? as usize;
        c.bytes(size)?;
    }
    let count = c.u32()? as usize;
    let descriptors = c.bytes(count.checked_mul(4)?)?;
    let start = c.pos;
    let mut offsets = [0u16; KEPT_OFFSETS];
    let mut len = 0usize;
    for (i, d) in descriptors.chunks_exact(4).enumerate() {
        if let Some(kept) = offsets.get_mut(i) {
            *kept = u16::try_from(len).ok()?;
        }
        len += u16::from_le_bytes([d[0], d[1]]) as usize;
    }
    c.seek(start.checked_add(len)?)?;
    // The stream must end here (evtx goes on reading tokens after the values; anything
    // but the end or an EOF token is more XML, or damage).
    if c.pos != c.end && c.u8()? != 0x00 {
        return None;
    }
    Some((
        def,
        Values {
            chunk: c.data,
            descriptors,
            start,
            offsets,
        },
    ))
}

/// The start of a BinXML stream that is one template instance: an optional fragment header,
/// then `0x0C`. Moves the cursor past them.
pub(super) fn instance_start(c: &mut Cursor<'_>) -> Option<()> {
    let mut token = c.u8()?;
    if token == 0x0F {
        if c.bytes(3)? != [0x01, 0x01, 0x00] {
            return None;
        }
        token = c.u8()?;
    }
    (token == 0x0C).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// The allocation-free reading agrees with `string_value` and `plain` wherever it
    /// answers, and leaves the rest to them.
    #[test]
    fn ascii_provider_values_read_as_string_value_reads_them() {
        let mut buf = [0u8; 256];
        for text in [
            "NETLOGON",
            "Microsoft-Windows-Security-Auditing",
            "",
            "a\0junk",
        ] {
            let bytes = utf16le(text);
            let fast = plain_ascii_value(&bytes, &mut buf).map(str::to_string);
            assert_eq!(fast, string_value(&bytes), "{text:?}");
            assert!(plain(fast.as_deref().unwrap_or_default()));
            assert!(fast.is_some(), "{text:?}");
        }
        assert_eq!(plain_ascii_value(&utf16le("a\0junk"), &mut buf), Some("a"));
        // Not ASCII, not plain, odd length, too long: `None`; the caller reads the full way.
        for text in ["Netlogön", "a<b", "a&amp;", "tab\there", "q\"", "del\u{7f}"] {
            assert_eq!(
                plain_ascii_value(&utf16le(text), &mut buf),
                None,
                "{text:?}"
            );
            assert!(string_value(&utf16le(text)).is_some_and(|s| !s.is_ascii() || !plain(&s)));
        }
        assert_eq!(plain_ascii_value(&[0x41, 0, 0x42], &mut buf), None);
        assert_eq!(
            plain_ascii_value(&utf16le(&"x".repeat(300)), &mut buf),
            None
        );
        assert_eq!(
            plain_ascii_value(&utf16le(&"x".repeat(256)), &mut buf).map(str::len),
            Some(256)
        );
    }

    /// Past the offsets an instance keeps, values are still found, from the descriptors.
    #[test]
    fn every_value_is_found_by_its_slot() {
        let count = KEPT_OFFSETS as u32 + 6;
        let mut data = vec![0x01];
        data.extend_from_slice(&7u32.to_le_bytes()); // template id
        data.extend_from_slice(&0u32.to_le_bytes()); // definition elsewhere
        data.extend_from_slice(&count.to_le_bytes());
        for i in 0..count {
            // Sizes vary: a u8 or a u16 value.
            let (size, ty) = if i % 3 == 0 { (2u16, 0x06) } else { (1, 0x04) };
            data.extend_from_slice(&size.to_le_bytes());
            data.extend_from_slice(&[ty, 0]);
        }
        for i in 0..count {
            if i % 3 == 0 {
                data.extend_from_slice(&(i as u16 * 100).to_le_bytes());
            } else {
                data.push(i as u8);
            }
        }
        let mut c = Cursor::new(&data, 0, data.len()).unwrap();
        let (_, values) = template_instance(&mut c).unwrap();
        let all: Vec<Value<'_>> = values.iter().collect();
        assert_eq!(all.len(), count as usize);
        for (i, v) in all.iter().enumerate() {
            let got = values.get(i as u16).unwrap();
            assert_eq!(
                (got.ty, got.bytes, got.at),
                (v.ty, v.bytes, v.at),
                "slot {i}"
            );
        }
        // The last u16 value, past the kept offsets.
        let last = (count - 1) / 3 * 3;
        assert!(last as usize > KEPT_OFFSETS);
        let expected = (last as u16 * 100).to_le_bytes();
        assert_eq!(values.get(last as u16).unwrap().bytes, expected);
        assert!(values.get(count as u16).is_none());
    }
}
