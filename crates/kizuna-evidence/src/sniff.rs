//! Recognizing an input from its first bytes, never from its name.

use kizuna_core::InputKind;

use crate::text::decode_head;

/// What the first bytes of an input say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Kind(InputKind),
    /// A primary registry hive; which one is known after reading it.
    Hive,
    Gzip,
    Xz,
    Zip,
}

/// Recognizes an input from (up to) its first [`SNIFF_LEN`] bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"ElfFile\0") {
        return Sniffed::Kind(InputKind::Evtx);
    }
    if head.starts_with(b"regf") {
        // File type at offset 28: 0 = primary hive, 1/2/6 = transaction log.
        return match head
            .get(28..32)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        {
            Some(0) => Sniffed::Hive,
            Some(1 | 2 | 6) => Sniffed::Kind(InputKind::HiveLog),
            _ => Sniffed::Kind(InputKind::Unknown),
        };
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        return Sniffed::Xz;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    let text = decode_head(head);
    Sniffed::Kind(classify_text(&text))
}

fn classify_text(text: &str) -> InputKind {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    // Splunk's raw XmlWinEventLog files may open with `#` comment lines.
    let xml = if t.starts_with('#') {
        let rest = t.trim_start_matches(|c: char| c != '<' && c != '{' && c != '[');
        let skipped = &t[..t.len() - rest.len()];
        if skipped
            .lines()
            .all(|l| l.trim().is_empty() || l.starts_with('#'))
        {
            rest
        } else {
            t
        }
    } else {
        t
    };
    if xml.starts_with('<') {
        let t = xml;
        // An XML declaration, comments, then <Events> or <Event xmlns=…>.
        if t.contains("<Event ") || t.contains("<Event>") || t.contains("<Events") {
            return InputKind::EventXml;
        }
        return InputKind::Unknown;
    }
    if crate::directory_export::looks_like_gpttmpl(t) {
        return InputKind::GptTmpl;
    }
    if crate::directory_export::looks_like_ldif(t) {
        return InputKind::Ldif;
    }
    // Before JSON: a netlogon.log without time stamps starts with `[CATEGORY]` too.
    if looks_like_netlogon(t) {
        return InputKind::NetlogonLog;
    }
    if crate::wineventlog::looks_like_wineventlog(t) {
        return InputKind::WinEventLog;
    }
    if crate::psgetsid::looks_like_psgetsid(t) {
        return InputKind::PsGetSid;
    }
    if t.starts_with('{') || t.starts_with('[') {
        let markers = [
            "\"ProviderName\"",
            "\"Event\"",
            "\"EventID\"",
            "\"winlog\"",
            "\"event_id\"",
            "\"EventId\"",
        ];
        if markers.iter().any(|m| t.contains(m)) {
            return InputKind::EventJson;
        }
        // After the event shapes: Get-WinEvent objects have MachineName and Version too.
        if crate::inventory::looks_like_inventory_json(t) {
            return InputKind::InventoryJson;
        }
        return InputKind::Unknown;
    }
    // Before inventories: Get-ADComputer's SID column is the account's, not the machine's.
    if crate::directory_export::looks_like_directory_csv(t) {
        return InputKind::DirectoryCsv;
    }
    if crate::event_messages::looks_like_message_export(t) {
        return InputKind::MessageCsv;
    }
    if crate::event_csv::looks_like_event_csv(t) {
        return InputKind::EventCsv;
    }
    if crate::inventory::looks_like_inventory_csv(t) {
        return InputKind::InventoryCsv;
    }
    InputKind::Unknown
}

/// A netlogon.log has `[CATEGORY]` tags on most of its first lines.
fn looks_like_netlogon(t: &str) -> bool {
    let mut lines = 0;
    let mut tagged = 0;
    for line in t.lines().take(40) {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        if crate::netlogon::category_of(line).is_some() {
            tagged += 1;
        }
    }
    lines > 0 && tagged * 2 >= lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(b"ElfFile\0rest"), Sniffed::Kind(InputKind::Evtx));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(b"\xFD7zXZ\0\0"), Sniffed::Xz);
        assert_eq!(sniff(b"PK\x03\x04...."), Sniffed::Zip);
        assert_eq!(sniff(b""), Sniffed::Kind(InputKind::Unknown));
        assert_eq!(sniff(&[0u8; 100]), Sniffed::Kind(InputKind::Unknown));
    }

    #[test]
    fn cp932_is_detected() {
        let (bytes, _, _) =
            encoding_rs::SHIFT_JIS.encode("コンピューター名,SID\r\n端末1,S-1-5-21-1-2-3\r\n");
        let (enc, _) = crate::text::text_encoding(&bytes);
        assert_eq!(enc, encoding_rs::SHIFT_JIS);
        assert_eq!(sniff(&bytes), Sniffed::Kind(InputKind::InventoryCsv));
        assert_eq!(
            crate::text::text_encoding("日本語".as_bytes()).0,
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn text_shapes_in_any_encoding() {
        let xml = "<?xml version=\"1.0\"?>\r\n<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>";
        let json = "[\r\n  {\r\n    \"Id\": 5719,\r\n    \"ProviderName\": \"NETLOGON\"";
        let log = "08/22 07:32:23 [SESSION] [4128] CONTOSO: NlChangePassword: Doing it.\r\n08/22 07:32:24 [MISC] [4128] Eventlog: 5823 (4)\r\n";
        for (text, kind) in [
            (xml, InputKind::EventXml),
            (json, InputKind::EventJson),
            (log, InputKind::NetlogonLog),
            (
                "[SESSION] [3036] CONTOSO: NlSessionSetup: Try Session setup\n[MISC] [3036] x\n",
                InputKind::NetlogonLog,
            ),
            (
                "[\n  {\"ProviderName\": \"NETLOGON\"}]",
                InputKind::EventJson,
            ),
            ("hello world\n", InputKind::Unknown),
            // Splunk XmlWinEventLog with its comment lines
            (
                "#Bulk AD CS Events\r\n<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>",
                InputKind::EventXml,
            ),
            ("# notes\nhello <Event> world\n", InputKind::Unknown),
            (
                "\r\nPsGetSid v1.46 - Translates SIDs\r\n\r\nSID for \\\\PC01:\r\nS-1-5-21-1-2-3\r\n",
                InputKind::PsGetSid,
            ),
            (
                "\"ComputerName\",\"MachineSid\",\"OSBuild\"\r\n\"PC1\",\"S-1-5-21-1-2-3\",\"26100.6584\"\r\n",
                InputKind::InventoryCsv,
            ),
            (
                "[{\"ComputerName\": \"PC1\", \"MachineSid\": \"S-1-5-21-1-2-3\"}]",
                InputKind::InventoryJson,
            ),
            ("{\"name\": 1}", InputKind::Unknown),
            // ldifde / csvde / Get-ADComputer exports, before the inventories: the
            // account's SID column is not a machine SID.
            (
                "version: 1\r\n\r\ndn: CN=PC1,OU=PCs,DC=lab,DC=test\r\nchangetype: add\r\n",
                InputKind::Ldif,
            ),
            (
                "# Exported: 2026-12-01T00:00:00Z\ndn:: Q049UEMx\n",
                InputKind::Ldif,
            ),
            (
                "DN,objectClass,cn,userAccountControl\r\n\"CN=PC1,DC=lab,DC=test\",computer,PC1,4096\r\n",
                InputKind::DirectoryCsv,
            ),
            (
                "#TYPE Microsoft.ActiveDirectory.Management.ADComputer\r\n\"DistinguishedName\",\"DNSHostName\",\"Name\",\"SID\",\"OperatingSystemVersion\"\r\n",
                InputKind::DirectoryCsv,
            ),
            // a GPO's security template, as Windows and as Samba write it
            (
                "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n",
                InputKind::GptTmpl,
            ),
            (
                "[Unicode]\nUnicode = yes\n[Version]\nsignature = \"$CHICAGO$\"\n",
                InputKind::GptTmpl,
            ),
            // Event Viewer's CSV (en, ja) and Get-WinEvent | Export-Csv
            (
                "Level,Date and Time,Source,Event ID,Task Category\r\nError,11/2/2026 3:04:05 AM,NETLOGON,5722,None,\"x\"\r\n",
                InputKind::MessageCsv,
            ),
            (
                "Keywords\tDate and Time\tSource\tEvent ID\tTask Category\r\n",
                InputKind::MessageCsv,
            ),
            (
                "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\"Message\",\"Id\",\"ProviderName\",\"TimeCreated\"\r\n",
                InputKind::MessageCsv,
            ),
            // Log Analytics `Event` rows as the portal exports them
            (
                "TenantId,\"TimeGenerated [UTC]\",Source,EventLog,Computer,EventID,EventData\r\n",
                InputKind::EventCsv,
            ),
        ] {
            assert_eq!(sniff(text.as_bytes()), Sniffed::Kind(kind), "{text}");
            assert_eq!(
                sniff(&utf16le(text, true)),
                Sniffed::Kind(kind),
                "{text} utf16 bom"
            );
            assert_eq!(
                sniff(&utf16le(text, false)),
                Sniffed::Kind(kind),
                "{text} utf16"
            );
            let mut bom8 = b"\xEF\xBB\xBF".to_vec();
            bom8.extend_from_slice(text.as_bytes());
            assert_eq!(sniff(&bom8), Sniffed::Kind(kind), "{text} utf8 bom");
        }
        // Japanese Event Viewer writes UTF-8 with a BOM; UTF-16 is told by its BOM (text
        // that is nearly all CJK has no zero bytes to tell it by).
        let ja = "レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n";
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend_from_slice(ja.as_bytes());
        assert_eq!(sniff(&bom8), Sniffed::Kind(InputKind::MessageCsv));
        assert_eq!(
            sniff(&utf16le(ja, true)),
            Sniffed::Kind(InputKind::MessageCsv)
        );
    }
}
