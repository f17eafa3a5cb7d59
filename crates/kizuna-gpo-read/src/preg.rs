//! `Registry.pol` (PReg, MS-GPREG 2.2.1): the Registry extension's records.
//!
//! After the 8-byte header (`PReg`, version 1) each record is
//! `[key\0;value\0;type;size;data]`, where the brackets, semicolons and strings are
//! UTF-16LE and `type`/`size` are little-endian DWORDs. The key has no hive: the file's
//! folder (`Machine` or `User`) says which. Value names starting `**` are instructions
//! (`**del.Name`, `**delvals.`, …), not values.
//!
//! A damaged record is reported with its offset and skipped: reading resumes at the next
//! `][` boundary, so records after the damage are still read.

use crate::ReadError;
use crate::text::utf16le;

/// The header every Registry.pol starts with.
pub const MAGIC: &[u8; 4] = b"PReg";
/// Longest key or value name read (the registry's own limit is 16,383 characters).
const MAX_NAME_BYTES: usize = 2 * 16_384;

/// The records of a Registry.pol and what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFile {
    pub records: Vec<Record>,
    pub errors: Vec<ReadError>,
}

/// One record, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Offset of the record's `[`.
    pub offset: u64,
    /// `Software\Policies\…` (no hive).
    pub key: String,
    pub value: String,
    /// REG_SZ = 1, EXPAND_SZ = 2, BINARY = 3, DWORD = 4, MULTI_SZ = 7, QWORD = 11.
    pub kind: u32,
    pub data: Vec<u8>,
}

/// What a record does to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Sets `value` to the data.
    Set,
    /// `**del.Name`: deletes one value.
    DeleteValue(String),
    /// `**delvals.` / `**DeleteValues` / `**DeleteKeys` / `**SecureKey` and other
    /// instructions: change the key, set nothing.
    Instruction,
}

impl Record {
    pub fn action(&self) -> Action {
        let lower = self.value.to_ascii_lowercase();
        if let Some(name) = lower.strip_prefix("**del.") {
            Action::DeleteValue(self.value[self.value.len() - name.len()..].to_string())
        } else if lower.starts_with("**") {
            Action::Instruction
        } else {
            Action::Set
        }
    }

    /// The value as GptTmpl.inf writes one (`4,1`, `1,text`, `7,a,b`), so settings from
    /// both files compare alike; `None` for data its type cannot hold (a DWORD of 3 bytes).
    pub fn setting(&self) -> Option<String> {
        let d = &self.data;
        let text = |d: &[u8]| utf16le(d).trim_end_matches('\0').to_string();
        Some(match self.kind {
            4 => format!("4,{}", u32::from_le_bytes(d.as_slice().try_into().ok()?)),
            5 => format!("4,{}", u32::from_be_bytes(d.as_slice().try_into().ok()?)),
            11 => format!("11,{}", u64::from_le_bytes(d.as_slice().try_into().ok()?)),
            1 | 2 => format!("{},{}", self.kind, text(d)),
            7 => {
                let all = text(d);
                let items: Vec<&str> = all.split('\0').filter(|s| !s.is_empty()).collect();
                format!("7,{}", items.join(","))
            }
            k => {
                let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
                format!("{k},{hex}")
            }
        })
    }
}

/// Reads a Registry.pol. Never fails: damage is in [`PolicyFile::errors`].
pub fn read(bytes: &[u8]) -> PolicyFile {
    let mut out = PolicyFile::default();
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        out.errors.push(ReadError {
            offset: 0,
            what: "not a Registry.pol (no PReg header)".into(),
        });
        return out;
    }
    let version = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
    if version != 1 {
        out.errors.push(ReadError {
            offset: 4,
            what: format!("version {version}, only 1 is known; records read anyway"),
        });
    }
    let mut at = 8;
    while at < bytes.len() {
        match record(bytes, at) {
            Ok((r, next)) => {
                out.records.push(r);
                at = next;
            }
            Err(e) => {
                out.errors.push(e);
                // Resume at the next record boundary, if any.
                match find(bytes, at + 2, b"]\0[\0") {
                    Some(i) => at = i + 2,
                    None => break,
                }
            }
        }
    }
    out
}

fn err(offset: usize, what: impl Into<String>) -> ReadError {
    ReadError {
        offset: offset as u64,
        what: what.into(),
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let start = from.min(hay.len());
    hay[start..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| start + i)
}

/// One record starting at `at`, and where the next one starts.
fn record(b: &[u8], at: usize) -> Result<(Record, usize), ReadError> {
    let mut p = at;
    expect(b, &mut p, '[')?;
    let key = string(b, &mut p, "key")?;
    expect(b, &mut p, ';')?;
    let value = string(b, &mut p, "value name")?;
    expect(b, &mut p, ';')?;
    let kind = dword(b, &mut p, "type")?;
    expect(b, &mut p, ';')?;
    let size = dword(b, &mut p, "size")? as usize;
    expect(b, &mut p, ';')?;
    if size > b.len() - p {
        return Err(err(
            p,
            format!(
                "record at {at}: data of {size} bytes, but only {} remain",
                b.len() - p
            ),
        ));
    }
    let data = b[p..p + size].to_vec();
    p += size;
    expect(b, &mut p, ']')?;
    Ok((
        Record {
            offset: at as u64,
            key,
            value,
            kind,
            data,
        },
        p,
    ))
}

fn expect(b: &[u8], p: &mut usize, c: char) -> Result<(), ReadError> {
    match b.get(*p..*p + 2) {
        Some([x, 0]) if *x as char == c => {
            *p += 2;
            Ok(())
        }
        Some(_) => Err(err(*p, format!("expected '{c}'"))),
        None => Err(err(*p, format!("file ends where '{c}' was expected"))),
    }
}

/// A NUL-terminated UTF-16LE string.
fn string(b: &[u8], p: &mut usize, what: &str) -> Result<String, ReadError> {
    let start = *p;
    let mut i = start;
    loop {
        match b.get(i..i + 2) {
            None => return Err(err(start, format!("file ends inside the {what}"))),
            Some([0, 0]) => break,
            Some(_) => i += 2,
        }
        if i - start > MAX_NAME_BYTES {
            return Err(err(
                start,
                format!("{what} longer than {} characters", MAX_NAME_BYTES / 2),
            ));
        }
    }
    *p = i + 2;
    Ok(utf16le(&b[start..i]))
}

fn dword(b: &[u8], p: &mut usize, what: &str) -> Result<u32, ReadError> {
    let v = b
        .get(*p..*p + 4)
        .ok_or_else(|| err(*p, format!("file ends inside the {what}")))?;
    *p += 4;
    Ok(u32::from_le_bytes(v.try_into().expect("4 bytes")))
}

/// Writes records as Registry.pol bytes: the inverse of [`read`], for tests and fixtures.
pub fn write(records: &[(&str, &str, u32, &[u8])]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(1u32.to_le_bytes());
    let s = |out: &mut Vec<u8>, t: &str| out.extend(t.encode_utf16().flat_map(u16::to_le_bytes));
    for (key, value, kind, data) in records {
        s(&mut out, "[");
        s(&mut out, key);
        out.extend([0, 0]);
        s(&mut out, ";");
        s(&mut out, value);
        out.extend([0, 0]);
        s(&mut out, ";");
        out.extend(kind.to_le_bytes());
        s(&mut out, ";");
        out.extend((data.len() as u32).to_le_bytes());
        s(&mut out, ";");
        out.extend_from_slice(data);
        s(&mut out, "]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sz(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    #[test]
    fn records_round_trip_and_render_as_gpttmpl_values() {
        let name = sz("no");
        let multi: Vec<u8> = "a\0b\0\0"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let bytes = write(&[
            (
                "System\\CurrentControlSet\\Services\\Netlogon\\Parameters",
                "RefusePasswordChange",
                4,
                &1u32.to_le_bytes(),
            ),
            ("Software\\Policies\\X", "Name", 1, &name),
            ("Software\\Policies\\X", "List", 7, &multi),
            ("Software\\Policies\\X", "**del.Gone", 1, &sz(" ")),
            ("Software\\Policies\\X", "**delvals.", 1, &sz(" ")),
            ("Software\\Policies\\X", "Blob", 3, &[0xAB, 0x01]),
        ]);
        let f = read(&bytes);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let got: Vec<(String, Option<String>, Action)> = f
            .records
            .iter()
            .map(|r| (r.value.clone(), r.setting(), r.action()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "RefusePasswordChange".into(),
                    Some("4,1".into()),
                    Action::Set
                ),
                ("Name".into(), Some("1,no".into()), Action::Set),
                ("List".into(), Some("7,a,b".into()), Action::Set),
                (
                    "**del.Gone".into(),
                    Some("1, ".into()),
                    Action::DeleteValue("Gone".into())
                ),
                ("**delvals.".into(), Some("1, ".into()), Action::Instruction),
                ("Blob".into(), Some("3,ab01".into()), Action::Set),
            ]
        );
        assert_eq!(f.records[0].offset, 8);
    }

    #[test]
    fn damage_is_reported_with_offsets_and_later_records_kept() {
        let good = write(&[("K", "A", 4, &7u32.to_le_bytes())]);
        let first_len = good.len() - 8;
        let mut bytes = write(&[
            ("K", "A", 4, &7u32.to_le_bytes()),
            ("K", "B", 4, &8u32.to_le_bytes()),
            ("K", "C", 4, &9u32.to_le_bytes()),
        ]);
        // Break the second record's ';' after its key (`[`, `K`, NUL, then `;`).
        let second = 8 + first_len;
        bytes[second + 6] = b'!';
        let f = read(&bytes);
        let values: Vec<&str> = f.records.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, ["A", "C"]);
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].offset as usize, second + 6);

        // A size larger than the file: reported, nothing allocated for it.
        let mut huge = write(&[("K", "A", 3, &[1, 2])]);
        let size_at = huge.len() - 2 - 2 - 2 - 4;
        huge[size_at..size_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let f = read(&huge);
        assert!(f.records.is_empty());
        assert!(
            f.errors[0].what.contains("4294967295 bytes"),
            "{:?}",
            f.errors
        );

        assert_eq!(read(b"PReg\x01\0\0\0"), PolicyFile::default());
        assert_eq!(read(b"PK\x03\x04").errors[0].offset, 0);
        assert!(
            read(b"PReg\x01\0\0\0[\0K").errors[0]
                .what
                .contains("ends inside the key")
        );
        assert_eq!(
            Record {
                offset: 0,
                key: "K".into(),
                value: "V".into(),
                kind: 4,
                data: vec![1, 2, 3],
            }
            .setting(),
            None,
            "a DWORD of three bytes"
        );
    }
}
