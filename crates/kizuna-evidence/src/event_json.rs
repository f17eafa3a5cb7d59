//! Event JSON, in the shapes administrators and SIEMs export:
//! - `Get-WinEvent | ConvertTo-Json` (Windows PowerShell 5.1 and PowerShell 7): `Id`,
//!   `ProviderName`, `Properties[].Value`, `TimeCreated` as `/Date(ms)/` or ISO text;
//! - the `evtx` crate / evtx_dump JSON (`Event.System…`, `#attributes`);
//! - Winlogbeat / Elastic (`winlog.event_id`, `winlog.event_data.param1…`).
//!
//! A top-level array, concatenated objects and JSON lines are all accepted.

use std::io::BufRead;

use chrono::TimeZone;
use kizuna_core::{SourceRef, Timestamp};
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::event_xml::{RawEvent, parse_time};
use crate::input::{Admit, count_event};
use crate::text::{Budgeted, for_each_line};

/// Largest JSON document or top-level array element read.
const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;
use kizuna_core::{Fact, InputReport};

/// Reads every event object from a JSON stream (array, concatenated objects or lines).
pub fn read_event_json(
    input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
    admit: Admit<'_>,
) {
    for_each_json_value(
        input,
        report,
        &mut |v: Value, at: String, report: &mut InputReport| {
            let source = SourceRef {
                path: path.to_string(),
                offset: None,
                line: at.strip_prefix("line ").and_then(|l| l.parse().ok()),
            };
            let parsed = raw_from_json(&v).and_then(|raw| raw.into_record(source));
            count_event(report, parsed, &at, admit, out);
        },
    );
}

/// Calls `f(value, where, report)` for each JSON object of a stream: the elements of a
/// top-level array (streamed, never loaded whole), JSON lines, or concatenated documents.
/// `where` is `line N`, `array element N` or `document N`.
pub(crate) fn for_each_json_value(
    mut input: Box<dyn BufRead>,
    report: &mut InputReport,
    f: &mut dyn FnMut(Value, String, &mut InputReport),
) {
    let first = match skip_ws_peek(&mut *input) {
        Ok(b) => b,
        Err(e) => {
            report.error(format!("read error: {e}"));
            return;
        }
    };
    match first {
        None => {}
        Some(b'[') => {
            let (input, budget) = Budgeted::new(input, MAX_DOCUMENT, "a JSON array element");
            let mut de = serde_json::Deserializer::from_reader(input);
            let mut count = 0usize;
            let result = {
                let visitor = ArrayVisitor {
                    f: &mut |v: Value| {
                        count += 1;
                        budget.reset();
                        f(v, format!("array element {count}"), report);
                    },
                };
                (&mut de).deserialize_seq(visitor)
            };
            if let Err(e) = result {
                report.error(format!(
                    "JSON error at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ));
            }
        }
        Some(_) => {
            // JSON lines when the first line is a whole object, else concatenated documents.
            let mut pending: Vec<u8> = Vec::new();
            let mut lines_mode = None;
            for_each_line(&mut *input, report, |line_no, text, report| {
                if lines_mode.is_none() {
                    if text.trim().is_empty() {
                        return true;
                    }
                    lines_mode = Some(serde_json::from_str::<Value>(&text).is_ok());
                }
                if lines_mode == Some(true) {
                    if !text.trim().is_empty() {
                        match serde_json::from_str::<Value>(&text) {
                            Ok(v) => f(v, format!("line {line_no}"), report),
                            Err(e) => report.error(format!("line {line_no}: not JSON: {e}")),
                        }
                    }
                    return true;
                }
                pending.extend_from_slice(text.as_bytes());
                pending.push(b'\n');
                if pending.len() as u64 > MAX_DOCUMENT {
                    report.error("a JSON document is larger than 64 MiB; rest skipped".to_string());
                    pending.clear();
                    return false;
                }
                true
            });
            if !pending.is_empty() {
                let stream = serde_json::Deserializer::from_slice(&pending).into_iter::<Value>();
                for (k, v) in stream.enumerate() {
                    let k = k + 1;
                    match v {
                        Ok(Value::Array(items)) => {
                            for item in items {
                                f(item, format!("document {k}"), report);
                            }
                        }
                        Ok(v) => f(v, format!("document {k}"), report),
                        Err(e) => {
                            report.error(format!(
                                "JSON error at line {} column {}: {e}",
                                e.line(),
                                e.column()
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
}

fn skip_ws_peek(r: &mut dyn BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

struct ArrayVisitor<'a> {
    f: &'a mut dyn FnMut(Value),
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.f)(v);
        }
        Ok(())
    }
}

/// A JSON scalar as text (numbers and booleans as written).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o
            .get("#text")
            .and_then(text)
            .or_else(|| o.get("value").and_then(text)),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o
            .get("#text")
            .and_then(number)
            .or_else(|| o.get("value").and_then(number)),
        _ => None,
    }
}

/// `/Date(1597000000000)/` (ConvertTo-Json in Windows PowerShell 5.1), ISO text, or
/// PowerShell's `{ "value": "/Date(…)/", "DateTime": "…" }` wrapper.
fn json_time(v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
                let digits: String = inner
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect();
                let ms: i64 = digits.parse().ok()?;
                return chrono::Utc.timestamp_millis_opt(ms).single();
            }
            parse_time(s)
        }
        Value::Object(o) => o.get("value").and_then(json_time),
        _ => None,
    }
}

/// Bytes written as a JSON array of numbers (a .NET `byte[]`) → upper-case hex.
fn byte_array_hex(v: &Value) -> Option<String> {
    let items = v.as_array()?;
    if items.is_empty() {
        return None;
    }
    let mut hex = String::with_capacity(items.len() * 2);
    for i in items {
        let b = u8::try_from(i.as_u64()?).ok()?;
        hex.push_str(&format!("{b:02X}"));
    }
    Some(hex)
}

fn raw_from_json(v: &Value) -> Result<RawEvent, String> {
    let obj = v.as_object().ok_or("not a JSON object")?;
    if let Some(ev) = obj.get("Event").and_then(Value::as_object) {
        return Ok(from_evtx_json(ev));
    }
    if let Some(w) = obj.get("winlog").and_then(Value::as_object) {
        return Ok(from_winlogbeat(obj, w));
    }
    if obj.contains_key("ProviderName") || obj.contains_key("Id") {
        return Ok(from_get_winevent(obj));
    }
    Err("not an event object (no Event, winlog or ProviderName/Id)".to_string())
}

fn from_get_winevent(o: &Map<String, Value>) -> RawEvent {
    let mut raw = RawEvent {
        provider: o.get("ProviderName").and_then(text),
        event_id: o
            .get("Id")
            .and_then(number)
            .and_then(|n| u32::try_from(n).ok()),
        qualifiers: o
            .get("Qualifiers")
            .and_then(number)
            .and_then(|n| u16::try_from(n).ok()),
        time: o.get("TimeCreated").and_then(json_time),
        record_id: o.get("RecordId").and_then(number),
        channel: o.get("LogName").and_then(text),
        computer: o.get("MachineName").and_then(text),
        ..RawEvent::default()
    };
    if let Some(props) = o.get("Properties").and_then(Value::as_array) {
        for p in props {
            let value = p.get("Value").unwrap_or(p);
            if let Some(hex) = byte_array_hex(value) {
                raw.binary = Some(hex);
            } else {
                raw.data.push(text(value).unwrap_or_default());
            }
        }
    }
    raw
}

fn from_evtx_json(ev: &Map<String, Value>) -> RawEvent {
    let empty = Map::new();
    let sys = ev
        .get("System")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let attrs = |key: &str| -> Option<&Map<String, Value>> {
        sys.get(key)
            .and_then(|v| v.get("#attributes"))
            .or_else(|| sys.get(&format!("{key}_attributes")))
            .and_then(Value::as_object)
    };
    let mut raw = RawEvent {
        provider: attrs("Provider")
            .and_then(|a| a.get("Name").or_else(|| a.get("EventSourceName")))
            .and_then(text),
        event_id: sys
            .get("EventID")
            .and_then(number)
            .and_then(|n| u32::try_from(n).ok()),
        qualifiers: attrs("EventID")
            .and_then(|a| a.get("Qualifiers"))
            .and_then(number)
            .and_then(|n| u16::try_from(n).ok()),
        time: attrs("TimeCreated")
            .and_then(|a| a.get("SystemTime"))
            .and_then(json_time),
        record_id: sys.get("EventRecordID").and_then(number),
        channel: sys.get("Channel").and_then(text),
        computer: sys.get("Computer").and_then(text),
        ..RawEvent::default()
    };
    if let Some(data) = ev.get("EventData").and_then(Value::as_object) {
        for (k, v) in data {
            match k.as_str() {
                "#attributes" => {}
                "Binary" => raw.binary = text(v),
                "Data" => {
                    let v = v.get("#text").unwrap_or(v);
                    match v {
                        Value::Array(items) => raw
                            .data
                            .extend(items.iter().map(|i| text(i).unwrap_or_default())),
                        Value::Null => {}
                        other => raw.data.push(text(other).unwrap_or_default()),
                    }
                }
                _ => {
                    raw.named.insert(k.clone(), text(v).unwrap_or_default());
                }
            }
        }
    }
    if let Some(user) = ev.get("UserData").and_then(Value::as_object) {
        for inner in user.values().filter_map(Value::as_object) {
            for (k, v) in inner.iter().filter(|(k, _)| *k != "#attributes") {
                raw.named.insert(k.clone(), text(v).unwrap_or_default());
            }
        }
    }
    raw
}

fn from_winlogbeat(top: &Map<String, Value>, w: &Map<String, Value>) -> RawEvent {
    let mut raw = RawEvent {
        provider: w.get("provider_name").and_then(text),
        event_id: w
            .get("event_id")
            .and_then(number)
            .or_else(|| {
                top.get("event")
                    .and_then(|e| e.get("code"))
                    .and_then(number)
            })
            .and_then(|n| u32::try_from(n).ok()),
        time: top.get("@timestamp").and_then(json_time),
        record_id: w.get("record_id").and_then(number),
        channel: w.get("channel").and_then(text),
        computer: w.get("computer_name").and_then(text),
        ..RawEvent::default()
    };
    if let Some(data) = w.get("event_data").and_then(Value::as_object) {
        let mut params: Vec<(usize, String)> = Vec::new();
        for (k, v) in data {
            if k == "Binary" {
                raw.binary = text(v);
            } else if let Some(n) = k
                .strip_prefix("param")
                .and_then(|n| n.parse::<usize>().ok())
            {
                params.push((n, text(v).unwrap_or_default()));
            } else {
                raw.named.insert(k.clone(), text(v).unwrap_or_default());
            }
        }
        params.sort();
        raw.data = params.into_iter().map(|(_, v)| v).collect();
    }
    raw
}
