//! Event XML: `wevtutil qe … /f:xml` (bare `<Event>` elements one after another), Event
//! Viewer "Save as XML" (`<Events>` root), and the XML the `evtx` crate renders from EVTX.
//! All of them are read by [`parse_event_xml`] / [`read_event_xml`], so an event read from
//! EVTX and the same event exported as XML normalize identically.

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::Timelike;
use kizuna_core::{EventRecord, NtStatus, SourceRef, Timestamp};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::input::{Admit, count_event};
use crate::text::Budgeted;
use kizuna_core::{Fact, InputReport};

/// Longest value kept for one `<Data>` element; longer values are cut.
const MAX_VALUE: usize = 16 * 1024;
/// Deepest element nesting accepted inside one event.
const MAX_DEPTH: usize = 32;
/// Deepest element nesting accepted around events (`<Events>` and wrappers).
const MAX_OUTER_DEPTH: usize = 256;
/// Largest single XML token (a tag, a text node) read: real ones are kilobytes.
pub(crate) const MAX_TOKEN: u64 = 16 * 1024 * 1024;

/// The fields of an event before validation, shared by the XML and JSON readers.
#[derive(Debug, Default)]
pub(crate) struct RawEvent {
    pub provider: Option<String>,
    pub event_id: Option<u32>,
    pub qualifiers: Option<u16>,
    pub time: Option<Timestamp>,
    pub record_id: Option<u64>,
    pub channel: Option<String>,
    pub computer: Option<String>,
    pub data: Vec<String>,
    pub named: BTreeMap<String, String>,
    pub binary: Option<String>,
}

impl RawEvent {
    /// Validates and normalizes; the error says which required field is missing.
    pub(crate) fn into_record(self, source: SourceRef) -> Result<EventRecord, String> {
        let provider = self
            .provider
            .filter(|p| !p.is_empty())
            .ok_or("no provider name")?;
        let event_id = self.event_id.ok_or("no event id")?;
        // Milliseconds: the finest unit every export keeps (Get-WinEvent JSON and SIEM
        // documents drop the rest), so the same event compares equal from any format.
        let time = self.time.ok_or("no valid time")?;
        let time = time
            .with_nanosecond(time.timestamp_subsec_millis() * 1_000_000)
            .unwrap_or(time);
        let binary = self
            .binary
            .map(|b| b.trim().to_ascii_uppercase())
            .filter(|b| !b.is_empty());
        let status = binary
            .as_deref()
            .and_then(NtStatus::from_binary_hex)
            .or_else(|| {
                self.data
                    .iter()
                    .chain(self.named.values())
                    .find_map(|v| NtStatus::find_in_text(v))
            });
        Ok(EventRecord {
            provider,
            event_id,
            qualifiers: self.qualifiers,
            time,
            record_id: self.record_id,
            channel: self.channel.filter(|c| !c.is_empty()),
            computer: self.computer.filter(|c| !c.is_empty()),
            data: self.data,
            named: self.named,
            binary,
            status,
            subject: None,
            source,
        })
    }
}

/// Parses a time as Windows tools write it: RFC 3339 with up to 9 fraction digits
/// (`2020-09-15T09:42:13.1234567Z`), or `2020-09-15 09:42:13.123 UTC`.
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    let s2 = s.trim_end_matches(" UTC").replace(' ', "T");
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s2, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    None
}

pub(crate) fn cut(mut s: String) -> String {
    if s.len() > MAX_VALUE {
        let mut end = MAX_VALUE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
    })
}

/// An entity reference's text: the five XML entities and character references. Unknown
/// entities are kept literally: no DTD is ever expanded.
fn entity_text(r: &quick_xml::events::BytesRef<'_>) -> String {
    let name = r.xml10_content().into_owned();
    let resolved = match name.as_str() {
        "lt" => Some("<".to_string()),
        "gt" => Some(">".into()),
        "amp" => Some("&".into()),
        "apos" => Some("'".into()),
        "quot" => Some("\"".into()),
        _ => r.resolve_char_ref().ok().flatten().map(|c| c.to_string()),
    };
    resolved.unwrap_or_else(|| format!("&{name};"))
}

/// The `<EventData>` of an XML fragment that is not a whole `<Event>` (Log Analytics'
/// `Event.EventData` column: `<DataItem …><EventData xmlns=…><Data>…</Data><Binary>…`),
/// into `raw`'s data, named data and binary.
pub(crate) fn read_event_data(xml: &str, raw: &mut RawEvent) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut b = EventBuilder::default();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("EventData: XML error: {e}"))?;
        match ev {
            Event::Eof => break,
            Event::Start(ref e) => b.start(e)?,
            Event::Empty(ref e) => {
                b.start(e)?;
                b.end();
            }
            Event::Text(t) => b.text(&t.xml10_content()),
            Event::CData(t) => b.text(&t.xml10_content()),
            Event::GeneralRef(r) => b.text(&entity_text(&r)),
            Event::End(_) => b.end(),
            _ => {}
        }
    }
    raw.data.extend(b.raw.data);
    raw.named.extend(b.raw.named);
    if b.raw.binary.is_some() {
        raw.binary = b.raw.binary;
    }
    Ok(())
}

/// Collects one event while the XML reader walks its elements.
#[derive(Default)]
struct EventBuilder {
    raw: RawEvent,
    /// Element names from `<Event>` down to the current element.
    path: Vec<String>,
    /// The Name attribute of the `<Data>` element being read.
    data_name: Option<Option<String>>,
    text: String,
}

impl EventBuilder {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), String> {
        let name = e.local_name().as_ref().to_string();
        if self.path.len() >= MAX_DEPTH {
            return Err(format!("elements nested deeper than {MAX_DEPTH}"));
        }
        let parent = self.path.last().map(String::as_str);
        match (parent, name.as_str()) {
            (Some("System"), "Provider") => {
                self.raw.provider = attr(e, "Name").or_else(|| attr(e, "EventSourceName"));
            }
            (Some("System"), "EventID") => {
                self.raw.qualifiers = attr(e, "Qualifiers").and_then(|q| q.trim().parse().ok());
            }
            (Some("System"), "TimeCreated") => {
                self.raw.time = attr(e, "SystemTime").as_deref().and_then(parse_time);
            }
            (Some("EventData"), "Data") => self.data_name = Some(attr(e, "Name")),
            _ => {}
        }
        self.text.clear();
        self.path.push(name);
        Ok(())
    }

    fn text(&mut self, t: &str) {
        if self.text.len() < MAX_VALUE {
            self.text.push_str(t);
        }
    }

    fn end(&mut self) {
        let Some(name) = self.path.pop() else { return };
        let parent = self.path.last().map(String::as_str);
        let text = std::mem::take(&mut self.text);
        match (parent, name.as_str()) {
            (Some("System"), "EventID") => self.raw.event_id = text.trim().parse().ok(),
            (Some("System"), "EventRecordID") => self.raw.record_id = text.trim().parse().ok(),
            (Some("System"), "Channel") => self.raw.channel = Some(text.trim().to_string()),
            (Some("System"), "Computer") => self.raw.computer = Some(text.trim().to_string()),
            (Some("EventData"), "Data") => match self.data_name.take().flatten() {
                Some(n) => {
                    self.raw.named.insert(n, cut(text));
                }
                None => self.raw.data.push(cut(text)),
            },
            (Some("EventData"), "Binary") => self.raw.binary = Some(text),
            // UserData: <UserData><Something xmlns=…><Field>value</Field></Something></UserData>
            (Some(_), field) if self.path.len() == 3 && self.path[1] == "UserData" => {
                self.raw.named.insert(field.to_string(), cut(text));
            }
            _ => {}
        }
    }
}

/// Reads every `<Event>` from an XML stream. Each event is passed to `out` normalized;
/// an event that lacks required fields becomes an error and the next event is read.
/// XML syntax errors end the read (the events before them are kept), and so do a token
/// larger than [`MAX_TOKEN`] and elements nested deeper than [`MAX_OUTER_DEPTH`] around
/// events. No DTD is read and no entity expanded.
pub fn read_event_xml<R: BufRead>(
    input: R,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
    admit: Admit<'_>,
) {
    let (input, budget) = Budgeted::new(input, MAX_TOKEN, "an XML token");
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    let mut buf = Vec::new();
    let mut current: Option<(EventBuilder, u64)> = None;
    let mut skip_depth = 0usize;
    let mut outer_depth = 0usize;
    loop {
        let pos = reader.buffer_position();
        budget.reset();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                report.error(format!("offset {pos}: XML error: {e}"));
                break;
            }
        };
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                if let Some((b, _)) = current.as_mut() {
                    if skip_depth > 0 {
                        if !empty {
                            skip_depth += 1;
                        }
                    } else if let Err(msg) = b.start(e) {
                        report.error(format!("offset {pos}: {msg}; event skipped"));
                        current = None;
                        skip_depth = 0;
                    } else if b.path.get(1).is_some_and(|p| p == "RenderingInfo") {
                        // The rendered message is localized text: never keyed on.
                        b.path.pop();
                        if !empty {
                            skip_depth = 1;
                        }
                    } else if empty {
                        b.end();
                    }
                } else if e.local_name().as_ref() == "Event" && !empty {
                    let mut b = EventBuilder::default();
                    b.path.push("Event".into());
                    current = Some((b, pos));
                } else if !empty {
                    outer_depth += 1;
                    if outer_depth > MAX_OUTER_DEPTH {
                        report.error(format!(
                            "offset {pos}: elements nested deeper than {MAX_OUTER_DEPTH}; rest not read"
                        ));
                        break;
                    }
                }
            }
            Event::Text(t) => {
                if let Some((b, _)) = current.as_mut().filter(|_| skip_depth == 0) {
                    b.text(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((b, _)) = current.as_mut().filter(|_| skip_depth == 0) {
                    b.text(&entity_text(&r));
                }
            }
            Event::CData(t) => {
                if let Some((b, _)) = current.as_mut().filter(|_| skip_depth == 0) {
                    b.text(&t.xml10_content());
                }
            }
            Event::End(_) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                } else if current.is_none() {
                    outer_depth = outer_depth.saturating_sub(1);
                } else if let Some((b, start)) = current.as_mut() {
                    if b.path.len() == 1 {
                        let start = *start;
                        let (b, _) = current.take().expect("current event");
                        let source = SourceRef {
                            path: path.to_string(),
                            offset: Some(start),
                            line: None,
                        };
                        count_event(
                            report,
                            b.raw.into_record(source),
                            &format!("offset {start}"),
                            admit,
                            out,
                        );
                    } else {
                        b.end();
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    if current.is_some() {
        report.error(format!(
            "offset {}: input ends inside an <Event>",
            reader.buffer_position()
        ));
    }
}

/// Parses a single event's XML (as the `evtx` crate renders one record).
pub fn parse_event_xml(xml: &str, source: SourceRef) -> Result<EventRecord, String> {
    let mut report = InputReport::new(
        source.path.clone(),
        kizuna_core::InputKind::EventXml,
        String::new(),
        0,
    );
    let mut got = None;
    read_event_xml(
        xml.as_bytes(),
        &source.path,
        &mut report,
        &mut |f| {
            if let Fact::Event(e) = f {
                got.get_or_insert(e);
            }
        },
        &Some,
    );
    match got {
        Some(mut e) => {
            e.source = source;
            Ok(e)
        }
        None => Err(report
            .errors
            .first()
            .cloned()
            .unwrap_or_else(|| "no <Event> element".to_string())),
    }
}
