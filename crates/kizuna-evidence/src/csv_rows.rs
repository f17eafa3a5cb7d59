//! CSV exports opened the way every CSV reader here opens them (inventories, directory
//! exports, Log Analytics rows, rendered-message exports): the delimiter from the header
//! line (comma, tab or semicolon), `#` lines skipped (PowerShell's `#TYPE`, a stated export
//! time), rows of any width, each record bounded.

use std::io::BufRead;

use kizuna_core::InputReport;

use crate::inventory::{delimiter, header_line};
use crate::text::{BudgetReset, Budgeted, peek_head};

/// The names in the header line of a CSV export's text (after `#` lines and a BOM),
/// unquoted and trimmed: what the sniffers look at.
pub(crate) fn header_names(text: &str) -> Option<Vec<String>> {
    let header = header_line(text)?.trim_start_matches('\u{feff}');
    Some(
        header
            .split(delimiter(header) as char)
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect(),
    )
}

/// The largest CSV record read: a row is at most a few kilobytes (an event and its
/// message), so a bigger one is damage or hostile (an unclosed quote, say).
const MAX_RECORD: u64 = 1024 * 1024;

pub(crate) struct CsvRows {
    rdr: csv::Reader<Budgeted<Box<dyn BufRead>>>,
    budget: BudgetReset,
    /// The text buffered before parsing (for what leading comments say).
    pub head: String,
    /// The header's names as written.
    pub headers: Vec<String>,
}

impl CsvRows {
    /// Opens `input` at its header; `None` when it cannot be read (the error is in
    /// `report`).
    pub(crate) fn open(mut input: Box<dyn BufRead>, report: &mut InputReport) -> Option<CsvRows> {
        let head = peek_head(&mut *input, report)?;
        let sep = header_line(&head).map_or(b',', delimiter);
        let (input, budget) = Budgeted::new(input, MAX_RECORD, "a CSV record");
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(sep)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(input);
        let headers = match rdr.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                report.error(format!("header: {e}"));
                return None;
            }
        };
        Some(CsvRows {
            rdr,
            budget,
            head,
            headers,
        })
    }

    /// Calls `f(line, row, report)` for each row. A row that is not valid text is an
    /// error and the next row is read; any other error (a record over the limit) ends the
    /// read, the rows before it kept.
    pub(crate) fn for_each(
        mut self,
        report: &mut InputReport,
        mut f: impl FnMut(u64, &csv::StringRecord, &mut InputReport),
    ) {
        let mut row = csv::StringRecord::new();
        loop {
            self.budget.reset();
            match self.rdr.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) => f(row.position().map_or(0, |p| p.line()), &row, report),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    report.error(format!("line {line}: {e}"));
                    if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        break;
                    }
                }
            }
        }
    }
}
