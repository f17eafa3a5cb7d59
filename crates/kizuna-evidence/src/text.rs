//! Text inputs: decoding (UTF-8, UTF-16 with or without BOM) and bounded line reading.

use std::io::{self, BufRead, BufReader, Read};

use crate::InputReport;
use crate::sniff::{SNIFF_LEN, text_encoding};

/// Lines longer than this are skipped (and reported), so one hostile line cannot take
/// the memory of the run.
pub const MAX_LINE: usize = 64 * 1024;

/// Wraps a byte stream so it reads as UTF-8, whatever the text's encoding.
pub(crate) fn utf8_reader<R: Read + 'static>(mut inner: R) -> io::Result<Box<dyn BufRead>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut inner).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let (enc, _) = text_encoding(&head);
    let chained = io::Cursor::new(head).chain(inner);
    if enc == encoding_rs::UTF_8 {
        let mut r = BufReader::with_capacity(64 * 1024, chained);
        // Drop a UTF-8 BOM.
        if r.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]) {
            r.consume(3);
        }
        return Ok(Box::new(r));
    }
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(enc))
        .bom_override(true)
        .strip_bom(true)
        .build(chained);
    Ok(Box::new(BufReader::with_capacity(64 * 1024, decoder)))
}

/// One line, or why it was skipped.
pub(crate) enum Line {
    Text(String),
    TooLong(usize),
}

/// Reads lines of at most [`MAX_LINE`] bytes; `None` at end of input. Invalid UTF-8 is
/// replaced, not fatal. Line ends (`\n`, `\r\n`) are removed.
pub(crate) fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if total + take <= MAX_LINE + 2 {
            buf.extend_from_slice(&chunk[..take]);
        }
        total += take;
        r.consume(take);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if total > MAX_LINE + 2 {
        return Ok(Some(Line::TooLong(total)));
    }
    while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        buf.pop();
    }
    Ok(Some(Line::Text(String::from_utf8_lossy(buf).into_owned())))
}

/// Calls `f(line_number, text, report)` for each line of at most [`MAX_LINE`] bytes;
/// over-long lines and read errors go into `report` (a read error ends the input).
/// `f` returns `false` to stop early.
pub(crate) fn for_each_line(
    input: &mut dyn BufRead,
    report: &mut InputReport,
    mut f: impl FnMut(u64, String, &mut InputReport) -> bool,
) {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        let line = match next_line(input, &mut buf) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                report.error(format!("line {}: read error: {e}", line_no + 1));
                break;
            }
        };
        line_no += 1;
        match line {
            Line::Text(t) => {
                if !f(line_no, t, report) {
                    break;
                }
            }
            Line::TooLong(n) => report.error(format!(
                "line {line_no}: {n} bytes, longer than the limit; skipped"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: Vec<u8>) -> Vec<String> {
        let mut r = utf8_reader(io::Cursor::new(bytes)).unwrap();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(l) = next_line(&mut *r, &mut buf).unwrap() {
            out.push(match l {
                Line::Text(t) => t,
                Line::TooLong(n) => format!("<too long {n}>"),
            });
        }
        out
    }

    #[test]
    fn decodes_utf16_and_caps_lines() {
        let mut v = vec![0xFF, 0xFE];
        for u in "a\r\nb日本\r\n".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(lines(v), ["a", "b日本"]);
        let mut long = b"x\n".to_vec();
        long.extend(std::iter::repeat_n(b'y', 2 * 1024 * 1024));
        long.extend_from_slice(b"\nz");
        let got = lines(long);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], "x");
        assert!(got[1].starts_with("<too long 2097153"), "{}", got[1]);
        assert_eq!(got[2], "z");
        assert_eq!(lines(b"\xEF\xBB\xBFok\n".to_vec()), ["ok"]);
    }
}
