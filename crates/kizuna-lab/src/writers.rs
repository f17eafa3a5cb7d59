//! Writers for event XML (wevtutil and Event Viewer shapes), event JSON
//! (`Get-WinEvent | ConvertTo-Json` and Winlogbeat lines) and netlogon.log.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde_json::json;

/// One event to write, in the terms Windows logs it.
#[derive(Debug, Clone)]
pub struct LabEvent {
    pub provider: &'static str,
    pub event_id: u32,
    /// `Some` for classic providers (NETLOGON, LsaSrv), which carry `Qualifiers`.
    pub qualifiers: Option<u16>,
    pub level: u8,
    pub time: DateTime<Utc>,
    pub record_id: u64,
    pub channel: &'static str,
    pub computer: String,
    /// Unnamed `<Data>` values (classic providers).
    pub data: Vec<String>,
    /// Named `<Data Name=…>` values (manifest providers), in template order.
    pub named: Vec<(String, String)>,
    /// NTSTATUS for `<Binary>` (written little-endian).
    pub status: Option<u32>,
}

impl LabEvent {
    fn binary_hex(&self) -> Option<String> {
        self.status
            .map(|s| s.to_le_bytes().iter().map(|b| format!("{b:02X}")).collect())
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

fn system_time(t: &DateTime<Utc>) -> String {
    // Windows writes 7 fraction digits (100 ns ticks).
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

/// One `<Event>` as `wevtutil qe /f:xml` prints it (single line).
pub fn event_xml(e: &LabEvent) -> String {
    let provider = if e.provider == "Microsoft-Windows-Security-Auditing" {
        format!(
            "<Provider Name='{}' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/>",
            e.provider
        )
    } else {
        format!("<Provider Name='{}'/>", e.provider)
    };
    let event_id = match e.qualifiers {
        Some(q) => format!("<EventID Qualifiers='{q}'>{}</EventID>", e.event_id),
        None => format!("<EventID>{}</EventID>", e.event_id),
    };
    let mut data = String::new();
    for d in &e.data {
        data.push_str(&format!("<Data>{}</Data>", esc(d)));
    }
    for (k, v) in &e.named {
        data.push_str(&format!("<Data Name='{}'>{}</Data>", esc(k), esc(v)));
    }
    if let Some(b) = e.binary_hex() {
        data.push_str(&format!("<Binary>{b}</Binary>"));
    }
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>{provider}{event_id}\
<Version>0</Version><Level>{}</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>\
<TimeCreated SystemTime='{}'/><EventRecordID>{}</EventRecordID><Correlation/>\
<Execution ProcessID='0' ThreadID='0'/><Channel>{}</Channel><Computer>{}</Computer><Security/></System>\
<EventData>{data}</EventData></Event>",
        e.level,
        system_time(&e.time),
        e.record_id,
        e.channel,
        esc(&e.computer),
    )
}

/// `wevtutil qe System /f:xml > file`: bare events, one per line, UTF-8.
pub fn write_wevtutil_xml(out: &mut dyn Write, events: &[LabEvent]) -> io::Result<()> {
    for e in events {
        writeln!(out, "{}", event_xml(e))?;
    }
    Ok(())
}

/// Event Viewer "Save as XML": an `<Events>` root, UTF-16LE with BOM, CRLF.
pub fn write_event_viewer_xml(out: &mut dyn Write, events: &[LabEvent]) -> io::Result<()> {
    let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>\r\n");
    for e in events {
        text.push_str(&event_xml(e));
        text.push_str("\r\n");
    }
    text.push_str("</Events>\r\n");
    out.write_all(&[0xFF, 0xFE])?;
    for u in text.encode_utf16() {
        out.write_all(&u.to_le_bytes())?;
    }
    Ok(())
}

/// `Get-WinEvent … | ConvertTo-Json` from Windows PowerShell 5.1 (`/Date(ms)/` times,
/// `Properties[].Value`, binary data as a byte array).
pub fn write_get_winevent_json(out: &mut dyn Write, events: &[LabEvent]) -> io::Result<()> {
    let items: Vec<_> = events
        .iter()
        .map(|e| {
            let mut props: Vec<serde_json::Value> = e
                .data
                .iter()
                .map(|d| json!({"Value": d}))
                .chain(e.named.iter().map(|(_, v)| json!({"Value": v})))
                .collect();
            if let Some(s) = e.status {
                props.push(json!({"Value": s.to_le_bytes().to_vec()}));
            }
            json!({
                "Id": e.event_id,
                "Version": 0,
                "Qualifiers": e.qualifiers,
                "Level": e.level,
                "RecordId": e.record_id,
                "ProviderName": e.provider,
                "LogName": e.channel,
                "MachineName": e.computer,
                "TimeCreated": format!("/Date({})/", e.time.timestamp_millis()),
                "Properties": props,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&items).map_err(io::Error::other)?;
    out.write_all(text.replace('\n', "\r\n").as_bytes())
}

/// Winlogbeat / Elastic documents, one JSON object per line.
pub fn write_winlogbeat_jsonl(out: &mut dyn Write, events: &[LabEvent]) -> io::Result<()> {
    for e in events {
        let mut data = serde_json::Map::new();
        for (i, d) in e.data.iter().enumerate() {
            data.insert(format!("param{}", i + 1), json!(d));
        }
        for (k, v) in &e.named {
            data.insert(k.clone(), json!(v));
        }
        if let Some(b) = e.binary_hex() {
            data.insert("Binary".into(), json!(b));
        }
        let doc = json!({
            "@timestamp": e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "event": {"code": e.event_id.to_string()},
            "winlog": {
                "provider_name": e.provider,
                "event_id": e.event_id,
                "record_id": e.record_id,
                "channel": e.channel,
                "computer_name": e.computer,
                "event_data": data,
            }
        });
        writeln!(out, "{doc}")?;
    }
    Ok(())
}

/// One netlogon.log line: `MM/DD HH:MM:SS [CATEGORY] [TID] message`.
pub fn netlogon_line(t: &DateTime<Utc>, category: &str, tid: u32, message: &str) -> String {
    format!(
        "{} [{category}] [{tid}] {message}",
        t.format("%m/%d %H:%M:%S")
    )
}
