//! Files for other tools, written next to the report: CSV for spreadsheets and JSON lines
//! for SIEMs.
//!
//! CSV is UTF-8 with a byte-order mark and CRLF line ends: without the BOM, Excel in
//! Japanese reads UTF-8 as Shift_JIS and shows mojibake. Column names are fixed English
//! identifiers (scripts key on them); the text in the cells is in the report's language.
//! JSON lines carry one object per line with fixed field names and a `schema` tag, so a
//! SIEM pipeline can map them once.

use std::io::{self, Write};

use kizuna_core::{Finding, Timestamp};
use kizuna_i18n::Messages;
use serde::Serialize;

use crate::{ScanReport, csv_field, rfc3339};

/// The UTF-8 byte-order mark that tells Excel the encoding.
pub const BOM: &str = "\u{feff}";

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// When a finding's evidence begins and ends (of the evidence kept).
fn seen(f: &Finding) -> (Option<Timestamp>, Option<Timestamp>) {
    let times = f.evidence.iter().filter_map(|e| e.time);
    (times.clone().min(), times.max())
}

/// `findings.csv`: one row per finding, most severe first.
pub fn findings_csv(r: &ScanReport<'_>, msg: &Messages) -> String {
    let mut out = String::from(BOM);
    out.push_str(&csv_line(
        &[
            "severity",
            "rule",
            "subject_count",
            "subjects",
            "title",
            "detail",
            "remedy",
            "evidence_total",
            "first_seen",
            "last_seen",
        ]
        .map(String::from),
    ));
    for f in &r.analysis.findings {
        let (first, last) = seen(f);
        out.push_str(&csv_line(&[
            f.severity.as_str().to_string(),
            f.rule.to_string(),
            f.subjects.len().to_string(),
            f.subjects.join(";"),
            msg.title(f),
            msg.detail(f),
            msg.remedy(f),
            f.evidence_total.to_string(),
            first.as_ref().map(rfc3339).unwrap_or_default(),
            last.as_ref().map(rfc3339).unwrap_or_default(),
        ]));
    }
    out
}

/// `devices.csv`: the inventory with each device's worst finding.
pub fn inventory_csv(r: &ScanReport<'_>) -> String {
    let mut out = String::from(BOM);
    out.push_str(&csv_line(
        &[
            "name",
            "domain",
            "role",
            "machine_sid",
            "os_build",
            "affected_by_sid_check",
            "refuse_password_change",
            "maximum_password_age",
            "disable_password_change",
            "findings",
            "worst_severity",
            "sources",
        ]
        .map(String::from),
    ));
    let per_device = crate::findings_by_device(r.analysis);
    for d in &r.analysis.devices {
        let value = |name: &str| d.netlogon.get(name).map(u32::to_string).unwrap_or_default();
        let (worst, count) = per_device
            .get(d.name.as_str())
            .map_or((String::new(), 0), |(s, n)| (s.as_str().to_string(), *n));
        out.push_str(&csv_line(&[
            d.name.clone(),
            d.domain.clone().unwrap_or_default(),
            d.role.as_str().to_string(),
            d.machine_sid.map(|s| s.to_string()).unwrap_or_default(),
            d.os_build.map(|b| b.to_string()).unwrap_or_default(),
            d.affected.as_str().to_string(),
            value("RefusePasswordChange"),
            value("MaximumPasswordAge"),
            value("DisablePasswordChange"),
            count.to_string(),
            worst,
            d.sources.iter().map(|s| &**s).collect::<Vec<_>>().join(";"),
        ]));
    }
    out
}

#[derive(Serialize)]
struct EvidenceLine<'a> {
    time: Option<String>,
    path: &'a str,
    record_id: Option<u64>,
    line: Option<u64>,
    label: &'a str,
}

/// One line of `findings.jsonl`. Field names are a contract: add, never rename.
#[derive(Serialize)]
struct FindingLine<'a> {
    schema: &'static str,
    tool_version: &'a str,
    lang: &'a str,
    rule: &'a str,
    severity: &'a str,
    subjects: &'a [String],
    title: String,
    detail: String,
    remedy: String,
    first_seen: Option<String>,
    last_seen: Option<String>,
    evidence: Vec<EvidenceLine<'a>>,
    evidence_total: usize,
}

/// `findings.jsonl`: one finding per line (schema `kizuna.finding/1`).
pub fn write_findings_jsonl(
    r: &ScanReport<'_>,
    msg: &Messages,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &r.analysis.findings {
        let (first, last) = seen(f);
        let line = FindingLine {
            schema: "kizuna.finding/1",
            tool_version: r.tool_version,
            lang: msg.lang().code(),
            rule: f.rule.0,
            severity: f.severity.as_str(),
            subjects: &f.subjects,
            title: msg.title(f),
            detail: msg.detail(f),
            remedy: msg.remedy(f),
            first_seen: first.as_ref().map(rfc3339),
            last_seen: last.as_ref().map(rfc3339),
            evidence: f
                .evidence
                .iter()
                .map(|e| EvidenceLine {
                    time: e.time.as_ref().map(rfc3339),
                    path: &e.path,
                    record_id: e.record_id,
                    line: e.line,
                    label: &e.label,
                })
                .collect(),
            evidence_total: f.evidence_total,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A file of a scan's report: what `scan --out` writes and the server offers for
/// download, by one name everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFile {
    /// `report.html`, self-contained.
    Html,
    /// `findings.csv`.
    FindingsCsv,
    /// `devices.csv`: the inventory with each device's worst finding.
    DevicesCsv,
    /// `findings.jsonl` (schema `kizuna.finding/1`).
    FindingsJsonl,
    /// `scan.json`: what `scan --format json` prints.
    Json,
}

impl crate::NamedFile for ScanFile {
    const ALL: &'static [ScanFile] = &[
        ScanFile::Html,
        ScanFile::FindingsCsv,
        ScanFile::DevicesCsv,
        ScanFile::FindingsJsonl,
        ScanFile::Json,
    ];

    fn name(self) -> &'static str {
        match self {
            ScanFile::Html => "report.html",
            ScanFile::FindingsCsv => "findings.csv",
            ScanFile::DevicesCsv => "devices.csv",
            ScanFile::FindingsJsonl => "findings.jsonl",
            ScanFile::Json => "scan.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ScanFile::Html => "text/html; charset=utf-8",
            ScanFile::FindingsCsv | ScanFile::DevicesCsv => "text/csv; charset=utf-8",
            ScanFile::FindingsJsonl => "application/x-ndjson",
            ScanFile::Json => "application/json",
        }
    }
}

impl ScanFile {
    /// The file's bytes for this report, in `msg`'s language.
    pub fn render(self, r: &ScanReport<'_>, msg: &Messages) -> Vec<u8> {
        match self {
            ScanFile::Html => crate::scan_html(r, msg).into_bytes(),
            ScanFile::FindingsCsv => findings_csv(r, msg).into_bytes(),
            ScanFile::DevicesCsv => inventory_csv(r).into_bytes(),
            ScanFile::FindingsJsonl => {
                let mut v = Vec::new();
                write_findings_jsonl(r, msg, &mut v).expect("writing to memory");
                v
            }
            ScanFile::Json => crate::scan_json(r, msg).into_bytes(),
        }
    }
}
