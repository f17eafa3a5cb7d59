//! Splunk's classic `WinEventLog` form: one block of `key=value` lines per event, opened by
//! the forwarder's local time (`12/04/2020 10:06:18 AM`, no zone: read as UTC, and said so)
//! and closed by `Message=` and the rendered text, which runs to the next block.
//!
//! The block has no event-data names. `SourceName` is the legacy event source, so the
//! Security log's "Microsoft Windows security auditing." is its provider's name again;
//! the account a Security logon or Kerberos event is about comes from the English message
//! (`New Logon:` → `Account Name:`, `Account Information:` → `Account Name:`). A message
//! in another language names no account: such events are counted in a note, never guessed.

use std::io::BufRead;

use kizuna_core::{Fact, InputReport, SourceRef};

use crate::event_xml::RawEvent;
use crate::input::{Admit, count_event};
use crate::text::for_each_line;

/// The most lines one block may hold: a longer one is cut (its message is what grows).
const MAX_BLOCK_LINES: usize = 4096;

/// Whether `t` (the start of a text file) is in this form: a time line, then `LogName=`
/// and `EventCode=` lines.
pub(crate) fn looks_like_wineventlog(t: &str) -> bool {
    let mut lines = t.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    if header_time(first).is_none() {
        return false;
    }
    let block: Vec<&str> = lines.take(12).collect();
    block.iter().any(|l| l.starts_with("LogName="))
        && block.iter().any(|l| l.starts_with("EventCode="))
}

/// `MM/DD/YYYY hh:mm:ss AM|PM`.
fn header_time(line: &str) -> Option<kizuna_core::Timestamp> {
    chrono::NaiveDateTime::parse_from_str(line.trim(), "%m/%d/%Y %I:%M:%S %p")
        .ok()
        .map(|t| t.and_utc())
}

/// The provider a legacy source name stands for.
fn provider(source: &str) -> String {
    match source.trim() {
        "Microsoft Windows security auditing." => "Microsoft-Windows-Security-Auditing".into(),
        other => other.to_string(),
    }
}

/// One block as it was read.
#[derive(Default)]
struct Block {
    line: u64,
    time: Option<kizuna_core::Timestamp>,
    fields: Vec<(String, String)>,
    message: Vec<String>,
    in_message: bool,
    lines: usize,
}

impl Block {
    fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn push(&mut self, line: &str) {
        self.lines += 1;
        if self.in_message {
            self.message.push(line.to_string());
        } else if let Some(rest) = line.strip_prefix("Message=") {
            self.in_message = true;
            self.message.push(rest.to_string());
        } else if let Some((k, v)) = line.split_once('=') {
            self.fields
                .push((k.trim().to_string(), v.trim().to_string()));
        }
    }

    /// The value of `Account Name:` in the message's section `section` (English).
    fn account_in(&self, section: &str) -> Option<String> {
        let start = self.message.iter().position(|l| l.trim() == section)?;
        self.message[start + 1..]
            .iter()
            .take_while(|l| !l.trim().is_empty() && !l.trim_end().ends_with(':'))
            .find_map(|l| l.trim().strip_prefix("Account Name:"))
            .map(|v| v.trim().to_string())
    }

    fn raw(&self) -> RawEvent {
        let event_id: Option<u32> = self.field("EventCode").and_then(|v| v.parse().ok());
        let mut raw = RawEvent {
            provider: self.field("SourceName").map(provider),
            event_id,
            time: self.time,
            record_id: self.field("RecordNumber").and_then(|v| v.parse().ok()),
            channel: self.field("LogName").map(str::to_string),
            computer: self.field("ComputerName").map(str::to_string),
            ..RawEvent::default()
        };
        let section = match event_id {
            Some(4624 | 4625) => Some("New Logon:"),
            Some(4768 | 4769 | 4771) => Some("Account Information:"),
            _ => None,
        };
        if let Some(account) = section.and_then(|s| self.account_in(s)) {
            raw.named.insert("TargetUserName".into(), account);
        }
        raw
    }

    /// Whether the block is a Security event whose account the message should name.
    fn wants_account(&self) -> bool {
        let raw_id = self.field("EventCode").and_then(|v| v.parse::<u32>().ok());
        matches!(raw_id, Some(4624 | 4625 | 4768 | 4769 | 4771))
    }
}

/// Reads every block; each is one event.
pub fn read_wineventlog(
    mut input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
    admit: Admit<'_>,
) {
    let mut block: Option<Block> = None;
    let mut unnamed = 0u64;
    let mut finish = |b: Block, report: &mut InputReport| {
        let raw = b.raw();
        if b.wants_account() && !raw.named.contains_key("TargetUserName") {
            unnamed += 1;
        }
        let source = SourceRef {
            path: path.to_string(),
            offset: None,
            line: Some(b.line),
        };
        count_event(
            report,
            raw.into_record(source),
            &format!("line {}", b.line),
            admit,
            out,
        );
    };
    for_each_line(&mut *input, report, |line_no, text, report| {
        let text = text.trim_end_matches('\r');
        if let Some(time) = header_time(text) {
            if let Some(b) = block.take() {
                finish(b, report);
            }
            block = Some(Block {
                line: line_no,
                time: Some(time),
                ..Block::default()
            });
            return true;
        }
        match block.as_mut() {
            Some(b) if b.lines < MAX_BLOCK_LINES => b.push(text),
            Some(b) if b.lines == MAX_BLOCK_LINES => {
                b.lines += 1;
                report.error(format!(
                    "line {line_no}: the event of line {} is longer than {MAX_BLOCK_LINES} lines; the rest of it is not read",
                    b.line
                ));
            }
            Some(_) => {}
            None if text.trim().is_empty() => {}
            None => report.error(format!(
                "line {line_no}: text before the first event; skipped"
            )),
        }
        true
    });
    if let Some(b) = block.take() {
        finish(b, report);
    }
    report
        .notes
        .push("times are the forwarder's local time without a zone: read as UTC".to_string());
    if unnamed > 0 {
        report.notes.push(format!(
            "{unnamed} Security events whose message names no account in English: their account is not known"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::{EventRecord, InputKind};

    const SAMPLE: &str = "12/04/2020 10:06:18 AM\r\nLogName=System\r\nSourceName=NETLOGON\r\nEventCode=5719\r\nEventType=2\r\nType=Error\r\nComputerName=win-dc-236.attackrange.local\r\nTaskCategory=None\r\nRecordNumber=1201\r\nMessage=This computer was not able to set up a secure session with a domain controller in domain ATTACKRANGE due to the following: \r\nThere are currently no logon servers available to service the logon request.\r\n\r\n12/04/2020 10:07:00 AM\nLogName=Security\nSourceName=Microsoft Windows security auditing.\nEventCode=4624\nComputerName=win-dc-236.attackrange.local\nRecordNumber=77\nKeywords=Audit Success\nMessage=An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tNULL SID\n\tAccount Name:\t\t-\n\nNew Logon:\n\tSecurity ID:\t\tATTACKRANGE\\PC7$\n\tAccount Name:\t\tPC7$\n\tAccount Domain:\t\tATTACKRANGE\n";

    fn read(text: &str) -> (InputReport, Vec<EventRecord>) {
        crate::input::events_of(InputKind::WinEventLog, text, |input, report, out, admit| {
            read_wineventlog(input, "x", report, out, admit)
        })
    }

    #[test]
    fn blocks_become_events_with_the_account_from_the_message() {
        assert!(looks_like_wineventlog(SAMPLE));
        assert!(!looks_like_wineventlog("12/04/2020 10:06:18 AM\nhello\n"));
        let (report, events) = read(SAMPLE);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.records, 2);
        let netlogon = &events[0];
        assert_eq!(
            (netlogon.provider.as_str(), netlogon.event_id),
            ("NETLOGON", 5719)
        );
        assert_eq!(netlogon.time.to_rfc3339(), "2020-12-04T10:06:18+00:00");
        assert_eq!(netlogon.record_id, Some(1201));
        assert_eq!(
            netlogon.computer.as_deref(),
            Some("win-dc-236.attackrange.local")
        );
        let logon = &events[1];
        assert_eq!(logon.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(
            logon.named.get("TargetUserName").map(String::as_str),
            Some("PC7$")
        );
        assert_eq!(logon.source.line, Some(13));
    }

    #[test]
    fn a_message_in_another_language_names_no_account_and_says_so() {
        let ja = SAMPLE.replace("New Logon:", "新しいログオン:");
        let (report, events) = read(&ja);
        assert_eq!(events[1].named.get("TargetUserName"), None);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("1 Security events")),
            "{:?}",
            report.notes
        );
    }
}
