//! Outputs: what a scan found, for people (terminal text) and for programs (the JSON
//! contract of `scan --format json`, and `events` as a table, JSON lines or CSV).
//! Outputs know findings, not how they were found; all sentences come from the
//! message catalogs. Every output is sorted so the same input gives the same bytes.

mod devices;
mod escape;
mod events;
mod exports;
mod html;
pub mod plan;
mod review;
mod scan_json;
mod svg;
mod text;

pub use devices::{device_json, devices_csv, devices_json, devices_table};
pub use escape::esc;
pub use events::{EventFormat, EventWriter};
pub use exports::{BOM, ScanFile, findings_csv, inventory_csv, write_findings_jsonl};
pub use html::scan_html;
pub use review::{
    Baseline, ReviewFile, ReviewReport, review_devices_csv, review_html, review_json, review_text,
};
pub use scan_json::{finding_json, input_json, scan_json, write_scan_json};
pub use svg::bars as svg_bars;
pub use svg::lines as svg_lines;
pub use text::scan_text;

use kizuna_core::InputReport;
use kizuna_core::Timestamp;
use kizuna_rules::Analysis;

/// A file an output is written as, under a fixed name: what `--out` writes and the
/// server serves (a scan's `report.html`, a review's `review.json`, …).
pub trait NamedFile: Copy + Sized + 'static {
    /// Every file, in the order they are written and listed.
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    /// The media type to serve it as.
    fn content_type(self) -> &'static str;
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// Everything an output needs to show about one scan.
pub struct ScanReport<'a> {
    pub tool_version: &'a str,
    pub inputs: &'a [InputReport],
    pub analysis: &'a Analysis,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Where the facts were stored, if anywhere kept.
    pub db: Option<String>,
    /// The directory read with the scan and when (the report's rotation chart).
    pub directory: Option<(&'a kizuna_core::directory::DirectorySnapshot, Timestamp)>,
}

/// Each device's worst finding and number of findings. Subjects that are not devices
/// (a GPO's name) are left out.
pub fn findings_by_device(
    a: &Analysis,
) -> std::collections::BTreeMap<&str, (kizuna_core::Severity, usize)> {
    let known: std::collections::BTreeSet<&str> =
        a.devices.iter().map(|d| d.name.as_str()).collect();
    let mut by_device = std::collections::BTreeMap::new();
    for f in &a.findings {
        for d in f.subjects.iter().filter(|d| known.contains(d.as_str())) {
            let e = by_device
                .entry(d.as_str())
                .or_insert((kizuna_core::Severity::Info, 0));
            e.0 = e.0.max(f.severity);
            e.1 += 1;
        }
    }
    by_device
}

/// "CRITICAL" / "重大": a severity in the catalog's words.
pub(crate) fn severity_label(msg: &kizuna_i18n::Messages, s: kizuna_core::Severity) -> String {
    msg.text(&format!("severity-{}", s.as_str()))
}

/// "Inputs: N (ok, partial, unreadable)".
pub(crate) fn inputs_line(r: &ScanReport<'_>, msg: &kizuna_i18n::Messages) -> String {
    use kizuna_core::InputStatus;
    let count = |st: InputStatus| r.inputs.iter().filter(|i| i.status == st).count();
    msg.get(
        "summary-inputs",
        &[
            ("count", r.inputs.len().into()),
            ("ok", count(InputStatus::Ok).into()),
            ("partial", count(InputStatus::Partial).into()),
            ("error", count(InputStatus::Error).into()),
        ],
    )
}

/// The inputs that are not evidence, in one line (the first few named), when there are
/// any: a share full of other files does not drown the real errors.
pub(crate) fn skipped_line(r: &ScanReport<'_>, msg: &kizuna_i18n::Messages) -> Option<String> {
    use kizuna_core::InputStatus;
    let skipped: Vec<&str> = r
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Skipped)
        .map(|i| i.path.as_str())
        .collect();
    if skipped.is_empty() {
        return None;
    }
    const SHOWN: usize = 5;
    let mut names = skipped[..skipped.len().min(SHOWN)].join(", ");
    if skipped.len() > SHOWN {
        names.push_str(", …");
    }
    Some(msg.get(
        "summary-skipped",
        &[("count", skipped.len().into()), ("names", names.into())],
    ))
}

/// The hosts a SID scan asked, when it asked any: how many answered, and why the others
/// did not, by reason (the word before the first `:` of their error).
pub(crate) fn hosts_line(r: &ScanReport<'_>, msg: &kizuna_i18n::Messages) -> Option<String> {
    use kizuna_core::{InputKind, InputStatus};
    let asked: Vec<_> = r
        .inputs
        .iter()
        .filter(|i| i.kind == InputKind::Lsarpc)
        .collect();
    if asked.is_empty() {
        return None;
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in asked.iter().filter(|i| i.status == InputStatus::Error) {
        let reason = i.errors.first().and_then(|e| e.split(':').next());
        *reasons.entry(reason.unwrap_or("?")).or_default() += 1;
    }
    let failed: usize = reasons.values().sum();
    let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
    Some(msg.get(
        "summary-hosts",
        &[
            ("asked", asked.len().into()),
            ("answered", (asked.len() - failed).into()),
            ("failed", failed.into()),
            ("reasons", reasons.join(", ").into()),
        ],
    ))
}

/// The `--since` / `--until` window, when one was given.
pub(crate) fn window_line(r: &ScanReport<'_>, msg: &kizuna_i18n::Messages) -> Option<String> {
    if r.since.is_none() && r.until.is_none() {
        return None;
    }
    let f = |t: &Option<Timestamp>| {
        t.map_or("…".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    Some(msg.get(
        "summary-window",
        &[("since", f(&r.since).into()), ("until", f(&r.until).into())],
    ))
}

/// Where an evidence item is: `path#record`, `path:line` or the path.
pub(crate) fn evidence_location(e: &kizuna_core::Evidence) -> String {
    match (e.record_id, e.line) {
        (Some(r), _) => format!("{}#{r}", e.path),
        (None, Some(l)) => format!("{}:{l}", e.path),
        _ => e.path.clone(),
    }
}

/// A time as every kizuna output writes it (RFC 3339, UTC, `Z`).
pub fn rfc3339(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A CSV field, quoted when it holds a separator, a quote or a line break. Text from
/// evidence that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or CR
/// first) gets a leading `'`; a lone `-` (Windows' "empty") stays as it is.
pub(crate) fn csv_field(s: &str) -> String {
    let formula = s.len() > 1 && s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let owned;
    let s = if formula {
        owned = format!("'{s}");
        owned.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod catalog_tests {
    use kizuna_i18n::{Lang, Messages};

    /// Every rule is explained everywhere a user meets it: its finding texts and its
    /// "what this checks" line in both languages, and its entry in docs/rules.md.
    #[test]
    fn every_rule_has_texts_in_both_languages_and_a_docs_entry() {
        let docs = include_str!("../../../docs/rules.md");
        for lang in [Lang::En, Lang::Ja] {
            let m = Messages::new(lang);
            for rule in kizuna_rules::ALL_RULES {
                for part in ["title", "detail", "remedy", "about"] {
                    let id = format!("{}-{part}", rule.0);
                    assert!(m.has(&id), "{lang:?} catalog lacks {id}");
                }
            }
        }
        for rule in kizuna_rules::ALL_RULES {
            assert!(
                docs.contains(rule.0),
                "docs/rules.md does not explain {}",
                rule.0
            );
        }
    }
}
