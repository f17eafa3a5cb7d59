//! Exports that keep only the message Windows rendered: Event Viewer "Save All Events
//! As… CSV" (English and Japanese UI; the message is a sixth column without a header
//! name; tab-separated text alike) and `Get-WinEvent | Export-Csv` (`Message`; its
//! `Properties` column holds a type name, not the values).
//!
//! The insertion strings come back from the message through the templates of
//! `data/messages.toml`, and an error text (`Access is denied.`) through its Win32 code,
//! written as the `%%5` the event's data holds, so the status is decoded as from EVTX.
//! A watched event whose message no template matches (another language, another wording)
//! is counted and named in the notes, never guessed. Times are local, without a zone:
//! read as UTC, and the notes say so.

use std::collections::BTreeMap;
use std::io::BufRead;

use kizuna_core::{DeviceName, Fact, InputReport, Knowledge};

use crate::csv_rows::{CsvRows, header_names};
use crate::event_xml::RawEvent;
use crate::input::{Admit, count_row_event};
use crate::local_time::culture_time;

/// Event Viewer's column names, English and Japanese UI; the first is Level, or Keywords
/// for the Security log.
const EVENT_VIEWER: [[&[&str]; 5]; 2] = [
    [
        &["Level", "Keywords"],
        &["Date and Time"],
        &["Source"],
        &["Event ID"],
        &["Task Category"],
    ],
    [
        &["レベル", "キーワード"],
        &["日付と時刻"],
        &["ソース"],
        &["イベント ID"],
        &["タスクのカテゴリ"],
    ],
];

fn is_event_viewer(cols: &[String]) -> bool {
    EVENT_VIEWER.iter().any(|ui| {
        cols.len() >= 5
            && ui
                .iter()
                .zip(cols)
                .all(|(want, c)| want.iter().any(|w| w == c))
    })
}

fn is_get_winevent(cols: &[String]) -> bool {
    ["Message", "Id", "ProviderName", "TimeCreated"]
        .iter()
        .all(|n| cols.iter().any(|c| c == n))
}

/// Event Viewer's CSV/TXT header, or `Get-WinEvent | Export-Csv`'s.
pub(crate) fn looks_like_message_export(t: &str) -> bool {
    header_names(t).is_some_and(|cols| is_event_viewer(&cols) || is_get_winevent(&cols))
}

/// Where each field is in a row.
struct Layout {
    provider: usize,
    id: usize,
    time: usize,
    message: usize,
    computer: Option<usize>,
    record: Option<usize>,
    channel: Option<usize>,
}

impl Layout {
    fn of(cols: &[String]) -> Option<Layout> {
        if is_event_viewer(cols) {
            // The message is the sixth field, under no name.
            return Some(Layout {
                provider: 2,
                id: 3,
                time: 1,
                message: 5,
                computer: None,
                record: None,
                channel: None,
            });
        }
        let at = |n: &str| cols.iter().position(|c| c == n);
        Some(Layout {
            provider: at("ProviderName")?,
            id: at("Id")?,
            time: at("TimeCreated")?,
            message: at("Message")?,
            computer: at("MachineName"),
            record: at("RecordId"),
            channel: at("LogName"),
        })
    }
}

/// Reads every row; `device` names the computer when the export has no column for it
/// (Event Viewer's), from the folder it was found in.
pub fn read_message_export(
    input: Box<dyn BufRead>,
    path: &str,
    device: Option<&DeviceName>,
    knowledge: &Knowledge,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
    admit: Admit<'_>,
) {
    let Some(rows) = CsvRows::open(input, report) else {
        return;
    };
    let cols: Vec<String> = rows.headers.iter().map(|c| c.trim().to_string()).collect();
    let Some(layout) = Layout::of(&cols) else {
        report.error("header: not Event Viewer's nor Get-WinEvent's columns");
        return;
    };
    let messages = &knowledge.messages;
    let mut unmatched: BTreeMap<(String, u32), u64> = BTreeMap::new();
    let mut languages: BTreeMap<String, u64> = BTreeMap::new();
    let mut nobody = 0u64;
    rows.for_each(report, |line, row, report| {
        let field = |i: usize| row.get(i).map(str::trim).filter(|v| !v.is_empty());
        let mut raw = RawEvent {
            provider: field(layout.provider).map(str::to_string),
            event_id: field(layout.id).and_then(|v| v.parse().ok()),
            time: field(layout.time).and_then(culture_time),
            record_id: layout.record.and_then(field).and_then(|v| v.parse().ok()),
            channel: layout.channel.and_then(field).map(str::to_string),
            computer: layout
                .computer
                .and_then(field)
                .map(str::to_string)
                .or_else(|| device.map(|d| d.to_string())),
            ..RawEvent::default()
        };
        if let (Some(p), Some(id)) = (raw.provider.clone(), raw.event_id)
            && knowledge.watched.lookup(&p, id).is_some()
        {
            let message = field(layout.message).unwrap_or("");
            match messages.insertions(&p, id, message) {
                Some((values, lang)) => {
                    *languages.entry(lang.to_string()).or_default() += 1;
                    raw.data = values
                        .into_iter()
                        .map(|v| match messages.win32_code(&v) {
                            Some(code) => format!("%%{code}"),
                            None => v,
                        })
                        .collect();
                }
                None => {
                    // Read, not judged: without its values the event could be
                    // pinned on the wrong device.
                    report.records += 1;
                    *unmatched.entry((p, id)).or_default() += 1;
                    return;
                }
            }
            if raw.computer.is_none() {
                nobody += 1;
            }
        }
        count_row_event(report, raw, path, line, admit, out);
    });
    if report.records > 0 {
        report.notes.push(
            "times are the exporting computer's local time, written without a zone: read as UTC"
                .into(),
        );
    }
    if !languages.is_empty() {
        let list: Vec<String> = languages.iter().map(|(l, n)| format!("{l} {n}")).collect();
        report.notes.push(format!(
            "values read from the rendered messages (templates: {})",
            list.join(", ")
        ));
    }
    for ((p, id), n) in &unmatched {
        report.notes.push(format!(
            "{n} {p} {id} messages match no template kizuna has (another language or \
             wording): read, not judged"
        ));
    }
    if nobody > 0 {
        report.notes.push(format!(
            "{nobody} events name no computer (Event Viewer's CSV has no Computer column): \
             put each export in a folder named after its computer"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::EventRecord;

    fn read(text: &str, device: Option<&str>) -> (InputReport, Vec<EventRecord>) {
        let k = Knowledge::builtin();
        let device = device.and_then(DeviceName::parse);
        let mut report = InputReport::new(
            "x".into(),
            kizuna_core::InputKind::MessageCsv,
            String::new(),
            0,
        );
        let mut events = Vec::new();
        let (input, _) =
            crate::text::text_reader(std::io::Cursor::new(text.as_bytes().to_vec())).unwrap();
        read_message_export(
            input,
            "x",
            device.as_ref(),
            &k,
            &mut report,
            &mut |f| {
                if let Fact::Event(e) = f {
                    events.push(e);
                }
            },
            &|e| k.admit(e),
        );
        (report, events)
    }

    #[test]
    fn event_viewer_csv_in_english_gives_values_and_statuses() {
        let csv = "Level,Date and Time,Source,Event ID,Task Category\r\n\
Error,11/2/2026 3:04:05 AM,NETLOGON,5722,None,\"The session setup from the computer PC7 failed to authenticate. The name(s) of the account(s) referenced in the security database is PC7$.  The following error occurred: \r\nAccess is denied.\r\n\"\r\n\
Error,11/2/2026 3:05:05 AM,NETLOGON,5719,None,\"This computer was not able to set up a secure session with a domain controller in domain CORP due to the following: \r\nThere are currently no logon servers available to service the logon request. \r\nThis may lead to authentication problems.\"\r\n\
Information,11/2/2026 3:06:05 AM,Service Control Manager,7036,None,\"The Windows Update service entered the running state.\"\r\n";
        assert!(looks_like_message_export(csv));
        let (report, events) = read(csv, Some("DC1.corp.example"));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.records, 3);
        assert_eq!(events.len(), 2, "the unwatched 7036 is read, not kept");
        let dc = &events[0];
        assert_eq!(dc.event_id, 5722);
        assert_eq!(dc.data, ["PC7", "PC7$", "%%5"]);
        assert_eq!(dc.status.map(|s| s.0), Some(0xC000_0022));
        assert_eq!(dc.subject.as_ref().map(|s| s.key()), Some("PC7"));
        assert_eq!(dc.time.to_rfc3339(), "2026-11-02T03:04:05+00:00");
        assert_eq!(events[1].status.map(|s| s.0), Some(0xC000_005E));
        assert_eq!(events[1].data[0], "CORP");
        assert!(report.notes.iter().any(|n| n.contains("read as UTC")));
    }

    #[test]
    fn japanese_messages_match_their_templates_and_unknown_ones_are_named() {
        let csv = "\u{feff}レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n\
エラー,2026/11/02 3:04:05,NETLOGON,5719,なし,\"次の理由のため、このコンピューターはドメイン AD のドメイン コントローラーの セキュリティで保護されたセッションをセットアップできませんでした:\r\n\r\n現在、ログオン要求を処理できるログオン サーバーはありません。\r\n\r\nこれにより、認証の問題が発生する可能性があります。このコン ピューターがネットワークに接続されていることを確認してください。\"\r\n\
エラー,2026/11/02 3:05:05,NETLOGON,5722,なし,\"コンピューター PC7 からのセッションのセットアップは認証に失敗しました。\"\r\n";
        assert!(looks_like_message_export(csv));
        let (report, events) = read(csv, Some("PC9.corp.example"));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, ["AD", "%%1311"]);
        assert_eq!(events[0].status.map(|s| s.0), Some(0xC000_005E));
        assert_eq!(report.records, 2);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("1 NETLOGON 5722 messages match no template")),
            "{:?}",
            report.notes
        );
        assert!(
            report.notes.iter().any(|n| n.contains("ja 1")),
            "{:?}",
            report.notes
        );
    }

    /// Every shipped template, rendered with known values (an error text where the message
    /// ends in one) and written as Event Viewer would, reads back to those values.
    #[test]
    fn every_template_reads_back_what_it_rendered() {
        let k = Knowledge::builtin();
        let mut csv = String::from("Level,Date and Time,Source,Event ID,Task Category\r\n");
        let mut want: Vec<(u32, Vec<String>)> = Vec::new();
        for t in k.messages.templates() {
            let slots: Vec<usize> = (1..=9)
                .filter(|n| t.template.contains(&format!("%{n}")))
                .collect();
            let last_is_slot = t
                .template
                .trim_end()
                .ends_with(&format!("%{}", slots.last().copied().unwrap_or(0)));
            let error = if t.lang == "ja" {
                "アクセスが拒否されました。"
            } else {
                "Access is denied."
            };
            let mut message = t.template.replace("%n", "\r\n");
            let mut values = Vec::new();
            for n in &slots {
                let v = if last_is_slot && Some(n) == slots.last() {
                    error.to_string()
                } else {
                    format!("V{n}-{}", t.id)
                };
                message = message.replace(&format!("%{n}"), &v);
                values.push(if v == error { "%%5".to_string() } else { v });
            }
            // Text after the template, as the full message has it (a message that ends in
            // an error text ends there).
            let message = if last_is_slot {
                format!("{message}\r\n")
            } else {
                format!("{message}\r\n\r\nMore text.")
            };
            let message = if t.template.starts_with("Machine") || t.template.starts_with("Account")
            {
                format!("The Netlogon service allowed a connection.\r\n\r\n {message}")
            } else {
                message
            };
            csv.push_str(&format!(
                "Error,11/2/2026 3:04:05 AM,{},{},None,\"{}\"\r\n",
                t.provider,
                t.id,
                message.replace('"', "\"\"")
            ));
            want.push((t.id, values));
        }
        let (report, events) = read(&csv, Some("PC9.corp.example"));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(
            !report.notes.iter().any(|n| n.contains("match no template")),
            "{:?}",
            report.notes
        );
        assert_eq!(events.len(), want.len());
        for (e, (id, values)) in events.iter().zip(&want) {
            assert_eq!(e.event_id, *id);
            assert_eq!(&e.data, values, "{} {}", e.provider, e.event_id);
            assert_eq!(e.time.to_rfc3339(), "2026-11-02T03:04:05+00:00");
        }
    }

    #[test]
    fn get_winevent_export_csv_has_its_computer() {
        let csv = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\
\"Message\",\"Id\",\"Version\",\"Qualifiers\",\"Level\",\"RecordId\",\"ProviderName\",\"LogName\",\"MachineName\",\"TimeCreated\",\"Properties\"\r\n\
\"This computer could not authenticate with \\\\DC1.corp.example, a Windows domain controller for domain CORP, and therefore this computer might deny logon requests. This inability to authenticate might be caused by another computer on the same network using the same name or the password for this computer account is not recognized.\",\"3210\",\"0\",\"0\",\"2\",\"812\",\"NETLOGON\",\"System\",\"PC7.corp.example\",\"11/2/2026 3:04:05 AM\",\"System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]\"\r\n";
        assert!(looks_like_message_export(csv));
        let (report, events) = read(csv, None);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let e = &events[0];
        assert_eq!(e.data, ["CORP", "\\\\DC1.corp.example"]);
        assert_eq!(e.record_id, Some(812));
        assert_eq!(e.channel.as_deref(), Some("System"));
        assert_eq!(e.subject.as_ref().map(|s| s.key()), Some("PC7"));
    }
}
