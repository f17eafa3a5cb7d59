//! Outputs: what a scan found, for people (terminal text) and for programs (the JSON
//! contract of `scan --format json`, and `events` as a table, JSON lines or CSV).
//! Outputs know findings, not how they were found; all sentences come from the
//! message catalogs. Every output is sorted so the same input gives the same bytes.

mod devices;
mod events;
mod scan_json;
mod text;

pub use devices::{device_json, devices_csv, devices_json, devices_table};
pub use events::{EventFormat, EventWriter};
pub use scan_json::{scan_json, write_scan_json};
pub use text::scan_text;

use kizuna_analysis::Analysis;
use kizuna_core::Timestamp;
use kizuna_evidence::InputReport;

/// Everything an output needs to show about one scan.
pub struct ScanReport<'a> {
    pub tool_version: &'a str,
    pub inputs: &'a [InputReport],
    pub analysis: &'a Analysis,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Where the facts were stored, if anywhere kept.
    pub db: Option<String>,
}

pub(crate) fn rfc3339(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
