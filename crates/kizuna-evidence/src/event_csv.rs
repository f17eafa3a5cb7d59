//! Log Analytics / Microsoft Sentinel query results saved as CSV (the portal's export,
//! `az monitor log-analytics query -o tsv`, a pandas `to_csv`): the `SecurityEvent` table,
//! one event a row, event data in its own columns, and the `Event` table, event data as
//! XML in its `EventData` column. Without an `EventSourceName` column the
//! table itself says the Security log: its provider is taken from the table, and the
//! input's notes say so.

use std::io::BufRead;

use kizuna_core::{Fact, InputReport};
use serde_json::{Map, Value};

use crate::csv_rows::{CsvRows, header_names};
use crate::event_json::{from_log_analytics, from_security_event};
use crate::input::{Admit, count_row_event};

const SECURITY: &str = "Microsoft-Windows-Security-Auditing";

/// Columns every Log Analytics event export has.
const REQUIRED: [&str; 3] = ["EventID", "TimeGenerated", "Computer"];

/// A column's name without the time zone the portal's export adds to time columns
/// (`TimeGenerated [UTC]`).
fn column_name(h: &str) -> String {
    let h = h.trim();
    match h.strip_suffix(']').and_then(|r| r.rsplit_once(" [")) {
        Some((name, _)) => name.to_string(),
        None => h.to_string(),
    }
}

/// Whether a CSV header line is a Log Analytics event table's.
pub(crate) fn looks_like_event_csv(text: &str) -> bool {
    let Some(cols) = header_names(text) else {
        return false;
    };
    let cols: Vec<String> = cols.iter().map(|c| column_name(c)).collect();
    REQUIRED.iter().all(|r| cols.iter().any(|c| c == r))
}

/// Reads every row as an event.
pub fn read_event_csv(
    input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
    admit: Admit<'_>,
) {
    let Some(rows) = CsvRows::open(input, report) else {
        return;
    };
    let headers: Vec<String> = rows.headers.iter().map(|h| column_name(h)).collect();
    let has = |name: &str| headers.iter().any(|h| h == name);
    let event_table = has("EventLog") && has("Source");
    let implied = !event_table && !has("EventSourceName");
    rows.for_each(report, |line, row, report| {
        let mut object = Map::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            // pandas writes its row index under an empty name
            if !h.is_empty() {
                object.insert(h.clone(), Value::String(v.trim_end().to_string()));
            }
        }
        let mut raw = from_log_analytics(&object).unwrap_or_else(|| from_security_event(&object));
        if implied && raw.provider.is_none() {
            raw.provider = Some(SECURITY.to_string());
            raw.channel.get_or_insert_with(|| "Security".to_string());
        }
        count_row_event(report, raw, path, line, admit, out);
    });
    if implied && report.records > 0 {
        report.notes.push(
            "no EventSourceName column: the rows are taken as the SecurityEvent table's (the Security log)"
                .to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::InputKind;

    #[test]
    fn rows_of_the_security_event_table_are_events() {
        let csv = ",TenantId,Account,EventID,TimeGenerated,Computer,SubjectUserName,TargetUserName,LogonProcessName,Status\n\
0,t,CORP\\PC7$,4624,2019-01-15 05:15:02.980,DC1.corp.example,-,PC7$,Kerberos  ,\n\
1,t,CORP\\bob,4624,2019-01-15 05:16:02.000,DC1.corp.example,-,bob,Advapi  ,\n";
        assert!(looks_like_event_csv(csv));
        assert!(!looks_like_event_csv(
            "Name,MachineSid\nPC1,S-1-5-21-1-2-3\n"
        ));
        let (report, events) =
            crate::input::events_of(InputKind::EventCsv, csv, |input, report, out, admit| {
                read_event_csv(input, "x", report, out, admit)
            });
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.records, 2);
        assert_eq!(events[0].provider, SECURITY);
        assert_eq!(events[0].channel.as_deref(), Some("Security"));
        assert_eq!(events[0].time.to_rfc3339(), "2019-01-15T05:15:02.980+00:00");
        assert_eq!(
            events[0].named.get("TargetUserName").map(String::as_str),
            Some("PC7$")
        );
        assert_eq!(
            events[0].named.get("LogonProcessName").map(String::as_str),
            Some("Kerberos")
        );
        assert_eq!(events[0].source.line, Some(2));
        assert!(
            report.notes[0].contains("SecurityEvent"),
            "{:?}",
            report.notes
        );
    }
}
