//! A GPMC backup's XML: `bkupInfo.xml` (which GPO, from which domain, when) and
//! `Backup.xml` (the GPO's core settings and the files each extension saved).
//!
//! Read with a streaming XML reader: no DTD or entity is ever expanded (an unknown
//! `&name;` stays as written), elements nest at most [`MAX_DEPTH`] deep and one element's
//! text is kept up to [`MAX_TEXT`] bytes, so a hostile file cannot take time or memory
//! beyond its size.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::ReadError;
use crate::text::decode;

/// Deepest element nesting read.
pub const MAX_DEPTH: usize = 64;
/// Longest element text kept.
pub const MAX_TEXT: usize = 64 * 1024;

/// `bkupInfo.xml`: one `<BackupInst>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupInfo {
    /// The backed-up GPO (`{356FB116-…}`), upper-case.
    pub gpo_guid: Option<String>,
    pub gpo_domain: Option<String>,
    pub gpo_display_name: Option<String>,
    /// `2016-12-09T15:16:54`, as written.
    pub backup_time: Option<String>,
    /// The backup's own id: the name of its folder.
    pub backup_id: Option<String>,
}

/// `Backup.xml`: what kizuna needs of the GPO in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupXml {
    pub gpo_guid: Option<String>,
    pub domain: Option<String>,
    pub display_name: Option<String>,
    /// GPO flags (`Options`): 1 = user settings off, 2 = computer settings off.
    pub options: Option<u32>,
    /// As stored: each side is `version << 16 | version` in backups seen.
    pub machine_version: Option<u32>,
    pub user_version: Option<u32>,
    pub machine_extension_guids: Option<String>,
    pub user_extension_guids: Option<String>,
    /// Client-side extensions saved: (`{CSE GUID}`, description).
    pub extensions: Vec<(String, String)>,
    /// Files saved, relative to the backup folder (`DomainSysvol\GPO\Machine\registry.pol`).
    pub files: Vec<String>,
}

/// Reads a `bkupInfo.xml`.
pub fn read_backup_info(bytes: &[u8]) -> Result<BackupInfo, ReadError> {
    let mut info = BackupInfo::default();
    walk(bytes, |path, item| {
        let Item::Text(t) = item else { return };
        let slot = match path {
            [.., "BackupInst", "GPOGuid"] => &mut info.gpo_guid,
            [.., "BackupInst", "GPODomain"] => &mut info.gpo_domain,
            [.., "BackupInst", "GPODisplayName"] => &mut info.gpo_display_name,
            [.., "BackupInst", "BackupTime"] => &mut info.backup_time,
            [.., "BackupInst", "ID"] => &mut info.backup_id,
            _ => return,
        };
        *slot = Some(t.trim().to_string()).filter(|t| !t.is_empty());
    })?;
    info.gpo_guid = info.gpo_guid.and_then(|g| guid(&g));
    Ok(info)
}

/// Reads a `Backup.xml`.
pub fn read_backup_xml(bytes: &[u8]) -> Result<BackupXml, ReadError> {
    let mut b = BackupXml::default();
    walk(bytes, |path, item| match item {
        Item::Text(t) => {
            let t = t.trim();
            let number = || t.parse::<u32>().ok();
            if let [.., "GroupPolicyCoreSettings", field] = path {
                match *field {
                    "ID" => b.gpo_guid = guid(t),
                    "Domain" => b.domain = Some(t.to_string()),
                    "DisplayName" => b.display_name = Some(t.to_string()),
                    "Options" => b.options = number(),
                    "MachineVersionNumber" => b.machine_version = number(),
                    "UserVersionNumber" => b.user_version = number(),
                    "MachineExtensionGuids" => b.machine_extension_guids = Some(t.to_string()),
                    "UserExtensionGuids" => b.user_extension_guids = Some(t.to_string()),
                    _ => {}
                }
            }
        }
        Item::Start(e) => match path {
            [.., "GroupPolicyExtension"] => {
                if let Some(id) = attr(e, "ID") {
                    b.extensions
                        .push((id, attr(e, "DescName").unwrap_or_default()));
                }
            }
            [.., "FSObjectFile"] => {
                if let Some(loc) = attr(e, "Location") {
                    b.files.push(loc);
                }
            }
            _ => {}
        },
    })?;
    Ok(b)
}

/// `{…}` of 38 characters, upper-cased.
fn guid(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() == 38 && s.starts_with('{') && s.ends_with('}')).then(|| s.to_ascii_uppercase())
}

enum Item<'a, 'b> {
    Start(&'a BytesStart<'b>),
    /// An element's whole text (CDATA included), at its end.
    Text(&'a str),
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
    })
}

/// Walks the elements of an XML document, calling `f` with the path of local names at each
/// start tag and with each element's text at its end.
fn walk(bytes: &[u8], mut f: impl FnMut(&[&str], Item<'_, '_>)) -> Result<(), ReadError> {
    let text = decode(bytes);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut names: Vec<String> = Vec::new();
    let mut content = String::new();
    let error = |pos: u64, what: String| ReadError { offset: pos, what };
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| error(pos, format!("XML error: {e}")))?;
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                if names.len() >= MAX_DEPTH {
                    return Err(error(
                        pos,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                names.push(e.local_name().as_ref().to_string());
                content.clear();
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                f(&path, Item::Start(e));
                if matches!(ev, Event::Empty(_)) {
                    names.pop();
                }
            }
            Event::Text(t) => push(&mut content, &t.xml10_content()),
            Event::CData(t) => push(&mut content, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                let resolved = match name.as_str() {
                    "lt" => "<".to_string(),
                    "gt" => ">".into(),
                    "amp" => "&".into(),
                    "apos" => "'".into(),
                    "quot" => "\"".into(),
                    _ => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        // Never expanded: no DTD is read.
                        _ => format!("&{name};"),
                    },
                };
                push(&mut content, &resolved);
            }
            Event::End(_) => {
                let path: Vec<&str> = names.iter().map(String::as_str).collect();
                f(&path, Item::Text(&content));
                content.clear();
                names.pop();
            }
            _ => {}
        }
    }
    if !names.is_empty() {
        return Err(error(
            reader.buffer_position(),
            format!("document ends inside <{}>", names.join("><")),
        ));
    }
    Ok(())
}

fn push(content: &mut String, t: &str) {
    if content.len() < MAX_TEXT {
        let room = MAX_TEXT - content.len();
        let mut end = t.len().min(room);
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        content.push_str(&t[..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_info_fields_and_guid_case() {
        let x = br#"<BackupInst xmlns="http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest"><GPOGuid><![CDATA[{356fb116-26CD-4FBF-830B-6D736B802FD7}]]></GPOGuid><GPODomain><![CDATA[idl.local]]></GPODomain><BackupTime><![CDATA[2016-12-09T15:16:54]]></BackupTime><ID><![CDATA[{A2A38432-E322-437F-9975-B7CC7F16F4AA}]]></ID><GPODisplayName>A &amp; B &lol;</GPODisplayName></BackupInst>"#;
        let i = read_backup_info(x).unwrap();
        assert_eq!(
            i.gpo_guid.as_deref(),
            Some("{356FB116-26CD-4FBF-830B-6D736B802FD7}")
        );
        assert_eq!(i.gpo_domain.as_deref(), Some("idl.local"));
        assert_eq!(i.gpo_display_name.as_deref(), Some("A & B &lol;"));
        assert_eq!(i.backup_time.as_deref(), Some("2016-12-09T15:16:54"));
    }

    #[test]
    fn hostile_documents_are_bounded_errors() {
        let deep = "<a>".repeat(10_000);
        let e = read_backup_xml(deep.as_bytes()).unwrap_err();
        assert!(e.what.contains("deeper than 64"), "{e}");
        let unclosed = read_backup_info(b"<BackupInst><GPOGuid>x").unwrap_err();
        assert!(unclosed.what.contains("ends inside"), "{unclosed}");
        let laughs = format!(
            "<!DOCTYPE l [<!ENTITY a \"{}\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><BackupInst><GPODisplayName>{}</GPODisplayName></BackupInst>",
            "x".repeat(100),
            "&b;".repeat(1000)
        );
        let i = read_backup_info(laughs.as_bytes()).unwrap();
        assert_eq!(
            i.gpo_display_name.unwrap().len(),
            3000,
            "entities are not expanded"
        );
        let big = format!(
            "<BackupInst><GPODisplayName>{}</GPODisplayName></BackupInst>",
            "y".repeat(1 << 20)
        );
        let i = read_backup_info(big.as_bytes()).unwrap();
        assert_eq!(i.gpo_display_name.unwrap().len(), MAX_TEXT);
    }
}
