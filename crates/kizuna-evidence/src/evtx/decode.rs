//! Builds a watched record's event straight from its template and values, as kizuna's XML
//! reader would read evtx's rendering of it: the same text for every value type
//! (evtx 0.15.1 `value_render.rs`), the same last-one-wins rules. Anything it cannot
//! reproduce exactly is `None`, and the record is rendered by evtx instead.

use chrono::Datelike;
use kizuna_core::{DeviceName, Timestamp};

use std::rc::Rc;

use super::binxml::{Cursor, DataShape, EventShape, Shape, Text, Value, Values};
use super::binxml::{instance_start, plain, plain_ascii_value, string_value, template_instance};
use super::shapes::Templates;
use crate::event_xml::{RawEvent, cut, parse_time};

/// FILETIME to the instant kizuna reads from evtx's `YYYY-MM-DDThh:mm:ss.fffffffZ`;
/// `None` where evtx's text would not be that instant (past year 9999 or `i64::MAX`).
fn filetime(ft: u64) -> Option<Timestamp> {
    if ft > i64::MAX as u64 {
        return None;
    }
    let secs = (ft / 10_000_000) as i64 - 11_644_473_600;
    let nanos = ((ft % 10_000_000) * 100) as u32;
    chrono::DateTime::from_timestamp(secs, nanos).filter(|t| t.year() <= 9999)
}

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().expect("descriptor sizes are checked")
}

/// A substitution value as text, as evtx renders it into XML and kizuna reads it back.
pub(super) fn value_text(ty: u8, b: &[u8]) -> Option<String> {
    Some(match ty {
        0x00 => String::new(),
        0x01 => string_value(b).filter(|s| plain(s))?,
        0x03 => (b[0] as i8).to_string(),
        0x04 => b[0].to_string(),
        0x05 => i16::from_le_bytes(le(b)).to_string(),
        0x06 => u16::from_le_bytes(le(b)).to_string(),
        0x07 => i32::from_le_bytes(le(b)).to_string(),
        0x08 => u32::from_le_bytes(le(b)).to_string(),
        0x09 => i64::from_le_bytes(le(b)).to_string(),
        0x0A => u64::from_le_bytes(le(b)).to_string(),
        0x0D => match i32::from_le_bytes(le(b)) {
            0 => "false".into(),
            1 => "true".into(),
            raw => raw.to_string(),
        },
        0x0E => b.iter().map(|x| format!("{x:02X}")).collect(),
        0x0F => {
            let g: [u8; 16] = le(b);
            format!(
                "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
                u32::from_le_bytes(le(&g[0..4])),
                u16::from_le_bytes(le(&g[4..6])),
                u16::from_le_bytes(le(&g[6..8])),
                g[8],
                g[9],
                g[10],
                g[11],
                g[12],
                g[13],
                g[14],
                g[15]
            )
        }
        0x10 if b.len() == 4 => format!("{:#x}", u32::from_le_bytes(le(b))),
        0x10 | 0x15 => format!("{:#x}", u64::from_le_bytes(le(b))),
        0x14 => format!("{:#x}", u32::from_le_bytes(le(b))),
        0x11 => {
            let ft = u64::from_le_bytes(le(b));
            let t = filetime(ft)?.format("%Y-%m-%dT%H:%M:%S");
            format!("{t}.{:07}Z", ft % 10_000_000)
        }
        0x13 => {
            let authority = u64::from_be_bytes([0, 0, b[2], b[3], b[4], b[5], b[6], b[7]]);
            let mut s = format!("S-{}-{authority}", b[0]);
            for sub in b[8..].chunks_exact(4).take(b[1] as usize) {
                s.push('-');
                s.push_str(&u32::from_le_bytes(le(sub)).to_string());
            }
            s
        }
        0x21 if b.is_empty() => String::new(),
        _ => return None,
    })
}

/// The text of an element: `Null` renders as nothing. A string substitution reads as
/// kizuna's XML reader reads evtx's rendering of it (`element_content`).
fn element_text(t: &Text, v: &Values<'_>) -> Option<String> {
    match t {
        Text::Slot(i) => {
            let v = v.get(*i)?;
            match v.ty {
                0x01 => string_value(v.bytes).map(|s| element_content(&s)),
                ty => value_text(ty, v.bytes),
            }
        }
        t => plain_text(t, v),
    }
}

/// Text that reaches kizuna's XML reader unchanged whether in an element or an attribute:
/// no markup and no control characters (`plain`).
fn plain_text(t: &Text, v: &Values<'_>) -> Option<String> {
    match t {
        Text::Empty => Some(String::new()),
        Text::Literal(s) => plain(s).then(|| s.clone()),
        Text::Slot(i) => {
            let v = v.get(*i)?;
            value_text(v.ty, v.bytes)
        }
        Text::Other => None,
    }
}

/// A string as kizuna's XML reader reads it from evtx's rendering in element content. evtx
/// (`write_xml_escaped_str`) escapes `& < >`, writes tab, LF and CR as they are and every
/// other C0 control, U+FFFE and U+FFFF as `_`; the reader resolves the escapes and
/// normalizes line ends as XML 1.0 says (CR LF and a lone CR become LF). Messages such as
/// a 4742's `UserAccountControl` or LsaSrv 40960's status text hold line breaks and tabs.
fn element_content(s: &str) -> String {
    if !s
        .chars()
        .any(|c| c.is_ascii_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                out.push('\n');
                chars.next_if_eq(&'\n');
            }
            '\t' | '\n' | '\u{7F}' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

/// The value of an attribute, `None` when it cannot be known. A `Null` substitution may
/// leave the attribute out rather than empty: its caller says which it can accept. The
/// reader normalizes whitespace in attributes: only plain text is read.
fn attribute_text(t: &Text, v: &Values<'_>) -> Option<String> {
    if let Text::Slot(i) = t
        && v.get(*i)?.ty == 0x00
    {
        return None;
    }
    plain_text(t, v)
}

/// Adds a shape's `EventData` values to the event.
fn add_data(raw: &mut RawEvent, shape: &DataShape, v: &Values<'_>) -> Option<()> {
    if shape.opaque {
        return None;
    }
    for item in &shape.items {
        let text = cut(element_text(&item.text, v)?);
        match &item.name {
            Some(n) => {
                raw.named.insert(n.clone(), text);
            }
            None => raw.data.push(text),
        }
    }
    let left_out = shape
        .binary_dependency
        .is_some_and(|d| v.get(d).is_some_and(|value| value.ty == 0x00));
    if let Some(b) = shape.binary.as_ref().filter(|_| !left_out) {
        raw.binary = Some(element_text(b, v)?);
    }
    Some(())
}

/// The EventData fragment embedded in a record: a non-empty BinXML value in the root's
/// content, read as a template instance. `Some(None)` when there is none, `None` when
/// there is one the decoder cannot read.
pub(super) fn embedded<'a>(
    data: &'a [u8],
    shape: &EventShape,
    values: &Values<'a>,
    templates: &mut Templates,
) -> Option<Option<(Rc<Shape>, Values<'a>)>> {
    let mut found = None;
    for (i, v) in values.iter().enumerate() {
        if v.ty != 0x21 || v.bytes.is_empty() {
            continue;
        }
        let slot = i as u16;
        if shape.other_slots.contains(&slot) {
            return None;
        }
        match shape.root_slots.iter().filter(|&&s| s == slot).count() {
            0 => {}
            1 if found.is_none() => found = Some(v),
            _ => return None,
        }
    }
    let Some(value) = found else {
        return Some(None);
    };
    if !shape.data.items.is_empty() || shape.data.binary.is_some() {
        return None; // values from two places: their order is the template's
    }
    let mut c = Cursor::new(data, value.at, value.at + value.bytes.len())?;
    instance_start(&mut c)?;
    let (def, inner) = template_instance(&mut c)?;
    if inner.iter().any(|v| v.ty == 0x21 && !v.bytes.is_empty()) {
        return None;
    }
    let nested = templates.shape(data, def);
    let Shape::Data(d) = nested.as_ref() else {
        return None;
    };
    if d.opaque || inner.leave_out_any(&d.dependencies) {
        return None;
    }
    Some(Some((nested, inner)))
}

/// The event kizuna's XML reader would read from this record, before it is checked
/// (`RawEvent::into_record`); `None` when only evtx's rendering can tell.
pub(super) fn decode(
    shape: &EventShape,
    values: &Values<'_>,
    nested: Option<(&DataShape, &Values<'_>)>,
    event_id: u32,
) -> Option<RawEvent> {
    let s = &shape.system;
    let mut raw = RawEvent {
        provider: Some(attribute_text(s.provider.as_ref()?, values)?),
        event_id: Some(event_id),
        ..RawEvent::default()
    };
    if let Some(q) = &s.qualifiers {
        raw.qualifiers = match q {
            Text::Slot(i) if values.get(*i)?.ty == 0x00 => None,
            q => element_text(q, values)?.trim().parse().ok(),
        };
    }
    if let Some(t) = &s.time {
        raw.time = match t {
            Text::Slot(i) => match values.get(*i)? {
                Value {
                    ty: 0x11, bytes, ..
                } => Some(filetime(u64::from_le_bytes(le(bytes)))?),
                Value { ty: 0x00, .. } => None,
                v => parse_time(&value_text(v.ty, v.bytes)?),
            },
            t => parse_time(&element_text(t, values)?),
        };
    }
    if let Some(r) = &s.record_id {
        raw.record_id = match r {
            Text::Slot(i) => match values.get(*i)? {
                Value {
                    ty: 0x0A, bytes, ..
                } => Some(u64::from_le_bytes(le(bytes))),
                v => value_text(v.ty, v.bytes)?.trim().parse().ok(),
            },
            r => element_text(r, values)?.trim().parse().ok(),
        };
    }
    if let Some(c) = &s.channel {
        raw.channel = Some(element_text(c, values)?.trim().to_string());
    }
    if let Some(c) = &s.computer {
        raw.computer = Some(element_text(c, values)?.trim().to_string());
    }
    add_data(&mut raw, &shape.data, values)?;
    if let Some((d, inner)) = nested {
        add_data(&mut raw, d, inner)?;
    }
    Some(raw)
}

/// Where a record gives `<Data Name="field">` its text: `Some(None)` when it has no such
/// value, `None` when it has several.
pub(super) fn named<'s, 'v>(
    shape: &'s DataShape,
    values: &'v Values<'v>,
    nested: Option<(&'s DataShape, &'v Values<'v>)>,
    field: &'s str,
) -> Option<Option<(&'s Text, &'v Values<'v>)>> {
    let mut texts = shape.named(field).map(|t| (t, values)).chain(
        nested
            .into_iter()
            .flat_map(|(d, v)| d.named(field).map(move |t| (t, v))),
    );
    let first = texts.next();
    if texts.next().is_some() {
        return None;
    }
    Some(first)
}

/// Whether an element's text names a computer account (`DeviceName::is_computer_account`),
/// `None` when the decoder cannot read it. A short plain ASCII string, the usual account
/// name, is tested where it lies, in `buf`.
pub(super) fn is_computer_account(t: &Text, v: &Values<'_>, buf: &mut [u8; 256]) -> Option<bool> {
    if let Text::Slot(i) = t
        && let Some(value) = v.get(*i).filter(|value| value.ty == 0x01)
        && let Some(s) = plain_ascii_value(value.bytes, buf)
    {
        return Some(DeviceName::is_computer_account(s));
    }
    element_text(t, v).map(|s| DeviceName::is_computer_account(&cut(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Element content as the XML reader reads evtx's rendering (line ends normalized,
    /// C0 controls other than tab and line ends as `_`, markup as it was).
    #[test]
    fn element_content_reads_as_the_xml_reader_reads_it() {
        let cases = [
            ("plain", "plain"),
            ("a\r\n\t\t%%2087", "a\n\t\t%%2087"),
            ("lone\rcr\r", "lone\ncr\n"),
            ("cr\r\r\nlf", "cr\n\nlf"),
            ("bell\u{7}x\u{1F}", "bell_x_"),
            ("<a & 'b' \"c\">", "<a & 'b' \"c\">"),
            ("del\u{7F} nel\u{85}", "del\u{7F} nel\u{85}"),
            ("\u{FFFE}\u{FFFF}\u{FFFD}", "__\u{FFFD}"),
        ];
        for (raw, read) in cases {
            assert_eq!(element_content(raw), read, "{raw:?}");
        }
    }

    #[test]
    fn values_read_as_evtx_renders_them() {
        assert_eq!(value_text(0x06, &5719u16.to_le_bytes()).unwrap(), "5719");
        assert_eq!(value_text(0x15, &0x3e7u64.to_le_bytes()).unwrap(), "0x3e7");
        assert_eq!(value_text(0x14, &0u32.to_le_bytes()).unwrap(), "0x0");
        assert_eq!(
            value_text(0x0E, &[0x22, 0x00, 0x00, 0xC0]).unwrap(),
            "220000C0"
        );
        assert_eq!(value_text(0x0D, &2i32.to_le_bytes()).unwrap(), "2");
        let sid = [1u8, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0];
        assert_eq!(value_text(0x13, &sid).unwrap(), "S-1-5-32-544");
        let guid = [
            0x78, 0x56, 0x34, 0x12, 0xBC, 0x9A, 0xF0, 0xDE, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        assert_eq!(
            value_text(0x0F, &guid).unwrap(),
            "{12345678-9abc-def0-0102-030405060708}"
        );
        // 2024-01-02T03:04:05.1234567Z
        let ft = 133_486_382_451_234_567u64;
        assert_eq!(
            value_text(0x11, &ft.to_le_bytes()).unwrap(),
            "2024-01-02T03:04:05.1234567Z"
        );
        let s: Vec<u8> = "PC-A$\0junk"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(value_text(0x01, &s).unwrap(), "PC-A$");
        // Text the XML layer would change is left to evtx.
        let s: Vec<u8> = "a\tb".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(value_text(0x01, &s), None);
        assert_eq!(value_text(0x0B, &[0; 4]), None, "floats are left to evtx");
        assert_eq!(value_text(0x11, &u64::MAX.to_le_bytes()), None);
    }
}
