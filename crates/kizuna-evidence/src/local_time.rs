//! Times as Windows writes them for people: in the exporting machine's culture, local, with
//! no zone (PowerShell's `DateTime` display, Event Viewer's "Date and Time"). Read as UTC;
//! each reader's notes say so.

use chrono::{DateTime, NaiveDateTime, Utc};
use kizuna_core::Timestamp;

/// A time as PowerShell renders a `DateTime` in common cultures: `2026/12/07 17:28:37`
/// (ja-JP), `2026-12-07 17:28:37`, `12/7/2026 5:28:37 PM` (en-US), `07.12.2026 17:28:37`
/// (de-DE), `07/12/2026 17:28:37` (en-GB, fr-FR: day first when there is no AM/PM).
/// The zone is not written: read as UTC.
pub(crate) fn culture_time(v: &str) -> Option<Timestamp> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    let formats = [
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
        "%d.%m.%Y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
    ];
    formats.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(v, f)
            .ok()
            .map(|n| DateTime::from_naive_utc_and_offset(n, Utc))
    })
}
