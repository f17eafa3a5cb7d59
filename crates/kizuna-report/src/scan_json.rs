//! `scan --format json`: the stable contract (`schema_version` 1) from DESIGN.md, extended
//! with fields that never change the meaning of existing ones.
//!
//! Written as a stream: one array element per line, so a scan of a million devices never
//! holds the whole document in memory, and two scans diff line by line.

use std::io::{self, Write};

use kizuna_core::Finding;
use kizuna_core::InputReport;
use kizuna_i18n::Messages;
use serde_json::{Value, json};

use crate::{ScanReport, rfc3339};

/// Writes `"name": [` and one element per line, each written by `write`.
fn array<T>(
    out: &mut dyn Write,
    name: &str,
    items: impl Iterator<Item = T>,
    write: impl Fn(&mut dyn Write, T) -> io::Result<()>,
    last: bool,
) -> io::Result<()> {
    write!(out, "  \"{name}\": [")?;
    let mut first = true;
    for v in items {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        write(&mut *out, v)?;
        first = false;
    }
    if !first {
        out.write_all(b"\n  ")?;
    }
    out.write_all(if last { b"]\n" } else { b"],\n" })
}

/// Writes the scan as one JSON document (keys of each object sorted, newline-terminated).
pub fn write_scan_json(r: &ScanReport<'_>, msg: &Messages, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"schema_version\": 1,")?;
    writeln!(
        out,
        "  \"tool\": {},",
        json!({"name": "kizuna", "version": r.tool_version})
    )?;
    writeln!(out, "  \"lang\": {},", json!(msg.lang().code()))?;
    writeln!(
        out,
        "  \"window\": {},",
        json!({"since": r.since.as_ref().map(rfc3339), "until": r.until.as_ref().map(rfc3339)})
    )?;
    let value = |o: &mut dyn Write, v: Value| Ok(serde_json::to_writer(o, &v)?);
    array(out, "inputs", r.inputs.iter().map(input_json), value, false)?;
    array(
        out,
        "events",
        r.analysis
            .event_counts
            .iter()
            .map(|(p, id, n)| json!({"provider": p, "event_id": id, "count": n})),
        value,
        false,
    )?;
    array(
        out,
        "devices",
        r.analysis.devices.iter(),
        crate::devices::write_device_json,
        false,
    )?;
    array(
        out,
        "findings",
        r.analysis.findings.iter().map(|f| finding_json(f, msg)),
        value,
        true,
    )?;
    writeln!(out, "}}")
}

/// One input of the scan JSON's `inputs`.
pub fn input_json(i: &InputReport) -> Value {
    json!({
        "path": i.path,
        "kind": i.kind.as_str(),
        "status": i.status.as_str(),
        "records": i.records,
        "kept": i.kept,
        "errors": i.errors,
        "error_count": i.error_count,
        "notes": i.notes,
        "sha256": if i.fingerprint.is_empty() { Value::Null } else { Value::from(i.fingerprint.clone()) },
    })
}

/// One finding of the scan JSON's `findings`, in `msg`'s language.
pub fn finding_json(f: &Finding, msg: &Messages) -> Value {
    let evidence: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| {
            json!({
                "path": e.path,
                "record_id": e.record_id,
                "line": e.line,
                "time": e.time.as_ref().map(rfc3339),
                "label": e.label,
            })
        })
        .collect();
    json!({
        "rule": f.rule.0,
        "severity": f.severity.as_str(),
        "subjects": f.subjects,
        "title": msg.title(f),
        "detail": msg.detail(f),
        "remedy": msg.remedy(f),
        "evidence": evidence,
        "evidence_total": f.evidence_total,
    })
}

/// The scan JSON as a string (for tests and small scans).
pub fn scan_json(r: &ScanReport<'_>, msg: &Messages) -> String {
    let mut v = Vec::new();
    write_scan_json(r, msg, &mut v).expect("writing to memory");
    String::from_utf8(v).expect("JSON is UTF-8")
}
