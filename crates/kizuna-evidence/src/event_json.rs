//! Event JSON, in the shapes administrators and SIEMs export:
//! - `Get-WinEvent | ConvertTo-Json` (Windows PowerShell 5.1 and PowerShell 7): `Id`,
//!   `ProviderName`, `Properties[].Value`, `TimeCreated` as `/Date(ms)/` or ISO text;
//! - the `evtx` crate / evtx_dump JSON (`Event.System…`, `#attributes`);
//! - Winlogbeat / Elastic (`winlog.event_id`, `winlog.event_data.param1…`);
//! - NXLog `im_msvistalog` JSON, also through Logstash (the OTRF "Mordor" datasets):
//!   `SourceName`, `EventID`, `Hostname`, `Channel`, event data at the top level;
//! - Microsoft Sentinel / Log Analytics `SecurityEvent` rows (`EventSourceName`,
//!   `EventID`, `Computer`, `TimeGenerated`, event data at the top level) and `Event` rows
//!   (`Source`, `EventLog`, the event data as XML in `EventData` or `ParameterXml`).
//!
//! A top-level array, concatenated objects and JSON lines are all accepted.

use std::io::BufRead;

use chrono::TimeZone;
use kizuna_core::{SourceRef, Timestamp};
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::event_xml::{RawEvent, parse_time, read_event_data};
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
    let mut no_provider = 0u64;
    for_each_json_value(
        input,
        report,
        &mut |v: Value, at: String, report: &mut InputReport| {
            let source = SourceRef {
                path: path.to_string(),
                offset: None,
                line: at.strip_prefix("line ").and_then(|l| l.parse().ok()),
            };
            let raw = raw_from_json(&v);
            // A collector that dropped the provider: an event, but nobody's.
            if let Ok(r) = &raw
                && r.provider.is_none()
                && is_flat(&v)
            {
                report.records += 1;
                no_provider += 1;
                return;
            }
            let parsed = raw.and_then(|raw| raw.into_record(source));
            count_event(report, parsed, &at, admit, out);
        },
    );
    if no_provider > 0 {
        report.notes.push(format!(
            "{no_provider} events name no provider (collector JSON without SourceName): read, \
             not judged; kizuna does not guess a provider from the channel"
        ));
    }
}

/// NXLog's flat shape: `EventID` beside `SourceName` or `Hostname` at the top level.
fn is_flat(v: &Value) -> bool {
    v.get("EventID").is_some() && (v.get("SourceName").is_some() || v.get("Hostname").is_some())
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
    if let Some(raw) = from_log_analytics(obj) {
        return Ok(raw);
    }
    // Before Get-WinEvent's shape: NXLog's flat events may carry an event-data field
    // named ProviderName.
    if is_flat(v) {
        return Ok(from_flat(obj));
    }
    if obj.contains_key("ProviderName") || obj.contains_key("Id") {
        return Ok(from_get_winevent(obj));
    }
    Err("not an event object (no Event, winlog or ProviderName/Id)".to_string())
}

/// Fields of NXLog's and Logstash's own, around the event's data at the top level of a
/// flat event (NXLog `im_msvistalog` + `xm_json`, Logstash's `@…`, `host`, `port`, `tags`).
const FLAT_METADATA: &[&str] = &[
    "SourceName",
    "EventID",
    "Hostname",
    "Channel",
    "EventTime",
    "EventReceivedTime",
    "SourceModuleName",
    "SourceModuleType",
    "Keywords",
    "EventType",
    "SeverityValue",
    "Severity",
    "ProviderGuid",
    "Version",
    "Task",
    "OpcodeValue",
    "RecordNumber",
    "ExecutionProcessID",
    "ThreadID",
    "Category",
    "Opcode",
    "Message",
    "@timestamp",
    "@version",
    "host",
    "port",
    "tags",
    "TimeCreated",
    "Level",
    "UserID",
    "AccountName",
    "AccountType",
    "Domain",
    "ActivityID",
];

/// A flat NXLog / Logstash event. The time is Logstash's `@timestamp` (UTC) or
/// `TimeCreated`, else NXLog's `EventTime` (the host's local time, no zone: read as UTC).
/// Without `SourceName` the provider stays unknown: it is never guessed from the channel.
fn from_flat(o: &Map<String, Value>) -> RawEvent {
    let time = ["@timestamp", "TimeCreated", "EventTime"]
        .iter()
        .find_map(|k| o.get(*k).and_then(json_time));
    let mut raw = RawEvent {
        provider: o.get("SourceName").and_then(text),
        event_id: o
            .get("EventID")
            .and_then(number)
            .and_then(|n| u32::try_from(n).ok()),
        time,
        record_id: o.get("RecordNumber").and_then(number),
        channel: o.get("Channel").and_then(text),
        computer: o.get("Hostname").and_then(text),
        ..RawEvent::default()
    };
    for (k, v) in o {
        if !FLAT_METADATA.contains(&k.as_str()) && !v.is_object() && !v.is_array() {
            raw.named.insert(k.clone(), text(v).unwrap_or_default());
        }
    }
    raw
}

/// Columns of Log Analytics' own in a `SecurityEvent` row, around the event's data.
const SECURITY_EVENT_COLUMNS: &[&str] = &[
    "TimeGenerated",
    "Account",
    "AccountType",
    "Computer",
    "EventSourceName",
    "Channel",
    "Task",
    "Level",
    "EventData",
    "EventID",
    "Activity",
    "SourceComputerId",
    "EventOriginId",
    "ManagementGroupName",
    "Type",
    "TenantId",
    "SourceSystem",
    "MG",
    "_ResourceId",
    "_SubscriptionId",
    "TimeCollected",
];

/// A Log Analytics row of the `Event` table (`Source` and `EventLog` columns) or of the
/// `SecurityEvent` table (`EventSourceName`); `None` for other objects.
pub(crate) fn from_log_analytics(o: &Map<String, Value>) -> Option<RawEvent> {
    if !o.contains_key("EventID") {
        return None;
    }
    if o.contains_key("EventLog") && o.contains_key("Source") {
        return Some(from_event_table(o));
    }
    o.contains_key("EventSourceName")
        .then(|| from_security_event(o))
}

/// The columns every Log Analytics event table has (`EventID`, `TimeGenerated`,
/// `Computer`), with the table's own names for the provider and the channel.
fn log_analytics_event(o: &Map<String, Value>, provider: &str, channel: &str) -> RawEvent {
    RawEvent {
        provider: o.get(provider).and_then(text),
        event_id: o
            .get("EventID")
            .and_then(number)
            .and_then(|n| u32::try_from(n).ok()),
        time: o
            .get("TimeGenerated")
            .and_then(|t| json_time(t).or_else(|| portal_time(t.as_str()?))),
        channel: o.get(channel).and_then(text),
        computer: o.get("Computer").and_then(text),
        ..RawEvent::default()
    }
}

/// A Log Analytics `Event` row: the classic logs an agent collects (System, Application),
/// one event a row. The provider is `Source`, the channel `EventLog`; the event's data is
/// the XML of `EventData` (`<DataItem …><EventData …><Data>…`), else `ParameterXml`'s
/// `<Param>` values in order. `RenderedDescription` is localized text: never keyed on.
fn from_event_table(o: &Map<String, Value>) -> RawEvent {
    let mut raw = log_analytics_event(o, "Source", "EventLog");
    let xml = |k: &str| o.get(k).and_then(text).filter(|x| !x.trim().is_empty());
    let from_event_data = xml("EventData").is_some_and(|x| read_event_data(&x, &mut raw).is_ok());
    if !from_event_data && let Some(params) = xml("ParameterXml") {
        let as_data = format!(
            "<EventData>{}</EventData>",
            params
                .replace("<Param>", "<Data>")
                .replace("</Param>", "</Data>")
        );
        let _ = read_event_data(&as_data, &mut raw);
    }
    raw
}

/// A Sentinel / Log Analytics `SecurityEvent` row as the portal or `az monitor
/// log-analytics query` exports it. The portal writes `TimeGenerated` as it displays it
/// (`3/31/2022, 10:51:35.857 AM`, UTC unless the viewer chose otherwise); empty columns
/// are columns the event does not have.
pub(crate) fn from_security_event(o: &Map<String, Value>) -> RawEvent {
    let mut raw = log_analytics_event(o, "EventSourceName", "Channel");
    for (k, v) in o {
        if SECURITY_EVENT_COLUMNS.contains(&k.as_str()) || v.is_object() || v.is_array() {
            continue;
        }
        if let Some(t) = text(v).filter(|t| !t.is_empty()) {
            raw.named.insert(k.clone(), t);
        }
    }
    raw
}

/// The Azure portal's `M/D/YYYY, h:mm:ss.fff AM` time, read as UTC. A 24-hour hour with
/// a redundant `PM` (`14:51:35.857 PM`, seen in Microsoft's own sample data) is that hour.
fn portal_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%m/%d/%Y, %I:%M:%S%.f %p") {
        return Some(t.and_utc());
    }
    let t = chrono::NaiveDateTime::parse_from_str(s.strip_suffix(" PM")?, "%m/%d/%Y, %H:%M:%S%.f")
        .ok()?;
    (chrono::Timelike::hour(&t) >= 13).then(|| t.and_utc())
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

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::{EventRecord, InputKind};

    /// The events of `text` as event JSON (or event XML), their sources left out so the
    /// shapes compare.
    fn read(text: &str, json: bool) -> (InputReport, Vec<EventRecord>) {
        let (report, mut events) =
            crate::input::events_of(InputKind::EventJson, text, |input, report, out, admit| {
                if json {
                    read_event_json(input, "x", report, out, admit)
                } else {
                    crate::event_xml::read_event_xml(input, "x", report, out, admit)
                }
            });
        for e in &mut events {
            e.source = SourceRef {
                path: String::new(),
                offset: None,
                line: None,
            };
        }
        (report, events)
    }

    /// One 4769 as NXLog → Logstash wrote it (OTRF variant (a): local `EventTime`, UTC
    /// `@timestamp`, a `ProviderName` event-data field) and as Windows' event XML.
    #[test]
    fn a_flat_collector_event_is_the_same_event_as_its_xml() {
        let flat = r#"{"SourceName":"Microsoft-Windows-Security-Auditing","EventID":4769,"Hostname":"MORDORDC.theshire.local","Channel":"security","EventTime":"2020-09-21 13:09:50","@timestamp":"2020-09-21T17:09:50.752Z","RecordNumber":1803550,"Keywords":-9214364837600034816,"Message":"A Kerberos service ticket was requested. Failure Code: 0x0","TargetUserName":"WORKSTATION5$@THESHIRE.LOCAL","ServiceName":"MORDORDC$","Status":"0x0","ProviderName":"Microsoft Software Key Storage Provider","host":"wec.internal.cloudapp.net","port":60340,"tags":["mordorDataset"]}"#;
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4769</EventID><TimeCreated SystemTime='2020-09-21T17:09:50.7520000Z'/><EventRecordID>1803550</EventRecordID><Channel>security</Channel><Computer>MORDORDC.theshire.local</Computer></System><EventData><Data Name='TargetUserName'>WORKSTATION5$@THESHIRE.LOCAL</Data><Data Name='ServiceName'>MORDORDC$</Data><Data Name='Status'>0x0</Data><Data Name='ProviderName'>Microsoft Software Key Storage Provider</Data></EventData></Event>";
        let (report, from_flat) = read(flat, true);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let (_, from_xml) = read(xml, false);
        assert_eq!(from_flat.len(), 1);
        assert_eq!(from_flat, from_xml);
        assert_eq!(
            from_flat[0].time.to_rfc3339(),
            "2020-09-21T17:09:50.752+00:00"
        );
    }

    /// The same event as a Sentinel `SecurityEvent` row from the portal.
    #[test]
    fn a_security_event_row_is_the_same_event_as_its_xml() {
        let row = r#"[{"TimeGenerated":"9/21/2020, 5:09:50.752 PM","Account":"","AccountType":"Machine","Computer":"MORDORDC.theshire.local","EventSourceName":"Microsoft-Windows-Security-Auditing","Channel":"security","Task":14337,"Level":0,"EventData":"","EventID":4769,"Activity":"4769 - A Kerberos service ticket was requested.","TargetUserName":"WORKSTATION5$@THESHIRE.LOCAL","ServiceName":"MORDORDC$","Status":"0x0","ProviderName":"Microsoft Software Key Storage Provider","SubjectUserName":"","Type":"SecurityEvent"}]"#;
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4769</EventID><TimeCreated SystemTime='2020-09-21T17:09:50.7520000Z'/><Channel>security</Channel><Computer>MORDORDC.theshire.local</Computer></System><EventData><Data Name='TargetUserName'>WORKSTATION5$@THESHIRE.LOCAL</Data><Data Name='ServiceName'>MORDORDC$</Data><Data Name='Status'>0x0</Data><Data Name='ProviderName'>Microsoft Software Key Storage Provider</Data></EventData></Event>";
        let (report, from_row) = read(row, true);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(from_row, read(xml, false).1);
    }

    /// One NETLOGON 3210 (a classic provider: positional data and a binary NTSTATUS) in
    /// every shape that carries a System-log event, the Log Analytics `Event` table among
    /// them (JSON and the portal's CSV): the same event each time.
    #[test]
    fn a_classic_event_is_the_same_event_in_every_shape() {
        let xml = r"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='NETLOGON'/><EventID>3210</EventID><TimeCreated SystemTime='2026-11-02T03:04:05.0000000Z'/><Channel>System</Channel><Computer>PC7.corp.example</Computer></System><EventData><Data>CORP</Data><Data>\\DC1.corp.example</Data><Binary>220000C0</Binary></EventData></Event>";
        let splunk = format!("#Splunk XmlWinEventLog export\r\n{xml}\r\n");
        let evtx_dump = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"NETLOGON"}},"EventID":3210,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-02T03:04:05.000000Z"}},"Channel":"System","Computer":"PC7.corp.example"},"EventData":{"Data":{"#text":["CORP","\\\\DC1.corp.example"]},"Binary":"220000C0"}}}"##;
        let get_winevent = r#"{"Id":3210,"ProviderName":"NETLOGON","LogName":"System","MachineName":"PC7.corp.example","TimeCreated":"2026-11-02T03:04:05Z","Properties":[{"Value":"CORP"},{"Value":"\\\\DC1.corp.example"},{"Value":[34,0,0,192]}]}"#;
        let event_data = r#"<DataItem type=\"System.XmlData\" time=\"2026-11-02T03:04:05.0000000Z\" sourceHealthServiceId=\"00000000-0000-0000-0000-000000000000\"><EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><Data>CORP</Data><Data>\\\\DC1.corp.example</Data><Binary>220000C0</Binary></EventData></DataItem>"#;
        let table = format!(
            r#"[{{"TenantId":"t","SourceSystem":"OpsManager","TimeGenerated":"2026-11-02T03:04:05Z","Source":"NETLOGON","EventLog":"System","Computer":"PC7.corp.example","EventLevel":2,"EventLevelName":"Error","ParameterXml":"<Param>CORP</Param><Param>\\\\DC1.corp.example</Param>","EventData":"{event_data}","EventID":3210,"RenderedDescription":"This computer could not authenticate with \\\\DC1.corp.example","Type":"Event"}}]"#
        );
        let csv_data = event_data.replace("\\\"", "\"\"").replace("\\\\", "\\");
        let table_csv = format!(
            "TenantId,SourceSystem,\"TimeGenerated [UTC]\",Source,EventLog,Computer,EventLevel,EventID,ParameterXml,EventData\r\n\
t,OpsManager,\"11/2/2026, 3:04:05.000 AM\",NETLOGON,System,PC7.corp.example,2,3210,<Param>CORP</Param>,\"{csv_data}\"\r\n"
        );
        let key = |e: &EventRecord| {
            (
                e.provider.clone(),
                e.event_id,
                e.time,
                e.channel.clone(),
                e.computer.clone(),
                e.data.clone(),
                e.status,
                e.subject.clone(),
            )
        };
        let (_, want) = read(xml, false);
        assert_eq!(want.len(), 1);
        assert_eq!(want[0].data, ["CORP", r"\\DC1.corp.example"]);
        assert_eq!(want[0].status.map(|s| s.0), Some(0xC000_0022));
        let mut shapes: Vec<(&str, Vec<EventRecord>)> = vec![
            ("splunk xml", read(&splunk, false).1),
            ("evtx_dump", read(evtx_dump, true).1),
            ("Get-WinEvent", read(get_winevent, true).1),
            ("Event table JSON", read(&table, true).1),
        ];
        let (report, from_csv) = crate::input::events_of(
            kizuna_core::InputKind::EventCsv,
            &table_csv,
            |input, report, out, admit| {
                crate::event_csv::read_event_csv(input, "x", report, out, admit)
            },
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.notes.is_empty(), "{:?}", report.notes);
        shapes.push(("Event table CSV", from_csv));
        for (shape, got) in shapes {
            assert_eq!(got.len(), 1, "{shape}");
            assert_eq!(key(&got[0]), key(&want[0]), "{shape}");
        }
        // Without EventData, ParameterXml still gives the data (not the binary).
        let params_only = table.replace(&format!(r#""EventData":"{event_data}","#), "");
        let (_, got) = read(&params_only, true);
        assert_eq!(got[0].data, want[0].data);
        assert_eq!(got[0].status, None);
    }

    #[test]
    fn portal_times() {
        let t = |s: &str| portal_time(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("3/31/2022, 10:51:35.857 AM").unwrap(),
            "2022-03-31T10:51:35.857+00:00"
        );
        assert_eq!(
            t("3/31/2022, 2:51:35.857 PM").unwrap(),
            "2022-03-31T14:51:35.857+00:00"
        );
        assert_eq!(
            t("3/31/2022, 14:51:35.857 PM").unwrap(),
            "2022-03-31T14:51:35.857+00:00"
        );
        assert_eq!(
            t("3/31/2022, 09:51:35.857 PM").unwrap(),
            "2022-03-31T21:51:35.857+00:00"
        );
        assert_eq!(t("3/31/2022, 04:51:35.857"), None);
    }

    #[test]
    fn a_flat_event_without_a_provider_is_read_and_never_judged() {
        let line = r#"{"EventID":4624,"Hostname":"WORKSTATION5","Channel":"Security","TimeCreated":"2020-10-18 02:17:06.119","TargetUserName":"WORKSTATION5$"}"#;
        let (report, events) = read(&format!("{line}\n{line}\n"), true);
        assert!(events.is_empty());
        assert_eq!((report.records, report.error_count), (2, 0));
        assert!(
            report.notes[0].starts_with("2 events name no provider"),
            "{:?}",
            report.notes
        );
    }
}
