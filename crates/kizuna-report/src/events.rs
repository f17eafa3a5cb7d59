//! `kizuna events`: watched events one per line, as a table, JSON lines or CSV.

use std::io::{self, Write};

use crate::csv_field;
use kizuna_core::{EventRecord, Knowledge};
use serde_json::json;

use crate::rfc3339;

/// Output shapes of `kizuna events`.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    Table,
    Jsonl,
    Csv,
}

/// Writes events as they stream by.
pub struct EventWriter<'a, W: Write> {
    out: W,
    format: EventFormat,
    knowledge: &'a Knowledge,
    started: bool,
}

const CSV_HEADER: &str =
    "time,provider,event_id,record_id,computer,subject,status,status_name,channel,path";

impl<'a, W: Write> EventWriter<'a, W> {
    pub fn new(out: W, format: EventFormat, knowledge: &'a Knowledge) -> Self {
        EventWriter {
            out,
            format,
            knowledge,
            started: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        match self.format {
            EventFormat::Csv => writeln!(self.out, "{CSV_HEADER}"),
            EventFormat::Table => writeln!(
                self.out,
                "{:<24} {:<10} {:>6} {:<24} {:<16} {:<10} PATH",
                "TIME", "PROVIDER", "ID", "COMPUTER", "SUBJECT", "STATUS"
            ),
            EventFormat::Jsonl => Ok(()),
        }
    }

    pub fn write(&mut self, e: &EventRecord) -> io::Result<()> {
        self.header()?;
        let status = e.status.map(|s| s.hex());
        let status_name = e.status.and_then(|s| self.knowledge.status_name(s));
        let subject = e.subject.as_ref().map(|s| s.key().to_string());
        match self.format {
            EventFormat::Jsonl => {
                let v = json!({
                    "provider": e.provider,
                    "event_id": e.event_id,
                    "qualifiers": e.qualifiers,
                    "time": rfc3339(&e.time),
                    "record_id": e.record_id,
                    "channel": e.channel,
                    "computer": e.computer,
                    "subject": subject,
                    "status": status,
                    "status_name": status_name,
                    "data": e.data,
                    "named": e.named,
                    "path": e.source.path,
                    "line": e.source.line,
                });
                writeln!(self.out, "{v}")
            }
            EventFormat::Csv => {
                let fields = [
                    rfc3339(&e.time),
                    e.provider.clone(),
                    e.event_id.to_string(),
                    e.record_id.map(|r| r.to_string()).unwrap_or_default(),
                    e.computer.clone().unwrap_or_default(),
                    subject.unwrap_or_default(),
                    status.unwrap_or_default(),
                    status_name.unwrap_or_default().to_string(),
                    e.channel.clone().unwrap_or_default(),
                    e.source.path.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(self.out, "{}", line.join(","))
            }
            EventFormat::Table => writeln!(
                self.out,
                "{:<24} {:<10} {:>6} {:<24} {:<16} {:<10} {}",
                e.time.format("%Y-%m-%d %H:%M:%S UTC"),
                e.provider,
                e.event_id,
                e.computer.as_deref().unwrap_or("-"),
                subject.as_deref().unwrap_or("-"),
                status.as_deref().unwrap_or("-"),
                e.source.path
            ),
        }
    }

    /// Ends the output (a CSV or table with no rows still gets its header).
    pub fn finish(mut self) -> io::Result<W> {
        if self.format != EventFormat::Jsonl {
            self.header()?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quoting() {
        assert_eq!(crate::csv_field("a,b"), "\"a,b\"");
        assert_eq!(crate::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(crate::csv_field("plain"), "plain");
        assert_eq!(
            crate::csv_field("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(crate::csv_field("+1"), "'+1");
        assert_eq!(crate::csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(crate::csv_field("-"), "-");
    }
}
