//! `scan --format json`: the stable contract (`schema_version` 1) from DESIGN.md, extended
//! with fields that never change the meaning of existing ones.

use kizuna_i18n::Messages;
use serde_json::{Value, json};

use crate::{ScanReport, rfc3339};

/// The scan as one JSON document (pretty-printed, keys sorted, newline-terminated).
pub fn scan_json(r: &ScanReport<'_>, msg: &Messages) -> String {
    let inputs: Vec<Value> = r
        .inputs
        .iter()
        .map(|i| {
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
        })
        .collect();
    let events: Vec<Value> = r
        .analysis
        .event_counts
        .iter()
        .map(|(p, id, n)| json!({"provider": p, "event_id": id, "count": n}))
        .collect();
    let devices: Vec<Value> = r
        .analysis
        .devices
        .iter()
        .map(crate::devices::device_json)
        .collect();
    let findings: Vec<Value> = r
        .analysis
        .findings
        .iter()
        .map(|f| {
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
        })
        .collect();
    let doc = json!({
        "schema_version": 1,
        "tool": {"name": "kizuna", "version": r.tool_version},
        "lang": msg.lang().code(),
        "window": {
            "since": r.since.as_ref().map(rfc3339),
            "until": r.until.as_ref().map(rfc3339),
        },
        "inputs": inputs,
        "events": events,
        "devices": devices,
        "findings": findings,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    s.push('\n');
    s
}
