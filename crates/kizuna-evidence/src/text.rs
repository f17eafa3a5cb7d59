//! Text inputs: decoding (UTF-8, UTF-16 with or without BOM) and bounded line reading.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kizuna_core::InputReport;

/// How many leading bytes are enough to recognize an input (`sniff`) or its encoding.
pub const SNIFF_LEN: usize = 8192;

/// Decodes the head of a text file: UTF-8 (with or without BOM) or UTF-16LE/BE (BOM, or
/// the zero-byte pattern PowerShell's redirection leaves without one).
pub(crate) fn decode_head(head: &[u8]) -> String {
    let (enc, body) = text_encoding(head);
    let (text, _) = enc.decode_without_bom_handling(body);
    text.into_owned()
}

/// The encoding of a text input, and its bytes after any BOM.
pub(crate) fn text_encoding(head: &[u8]) -> (&'static encoding_rs::Encoding, &[u8]) {
    if let Some(rest) = head.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (encoding_rs::UTF_8, rest);
    }
    if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        return (encoding_rs::UTF_16LE, rest);
    }
    if let Some(rest) = head.strip_prefix(&[0xFE, 0xFF]) {
        return (encoding_rs::UTF_16BE, rest);
    }
    // No BOM: ASCII text in UTF-16 has a zero in every other byte.
    let sample = &head[..head.len().min(512) & !1];
    if sample.len() >= 8 {
        let odd_zero = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let even_zero = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        let half = sample.len() / 2;
        if odd_zero * 10 >= half * 9 && even_zero * 10 < half {
            return (encoding_rs::UTF_16LE, head);
        }
        if even_zero * 10 >= half * 9 && odd_zero * 10 < half {
            return (encoding_rs::UTF_16BE, head);
        }
    }
    // Not UTF-8 (an invalid sequence, not just one cut at the end of the sample) but
    // clean Shift_JIS: a Japanese Excel / Windows (CP932) file.
    if let Err(e) = std::str::from_utf8(head)
        && e.error_len().is_some()
    {
        let (_, _, had_errors) = encoding_rs::SHIFT_JIS.decode(head);
        if !had_errors || sjis_clean_but_last(head) {
            return (encoding_rs::SHIFT_JIS, head);
        }
    }
    (encoding_rs::UTF_8, head)
}

/// Shift_JIS that is clean except for a double-byte character cut at the end of the sample.
fn sjis_clean_but_last(head: &[u8]) -> bool {
    head.len() > 1 && !encoding_rs::SHIFT_JIS.decode(&head[..head.len() - 1]).2
}

/// Lines longer than this are skipped (and reported), so one hostile line cannot take
/// the memory of the run.
pub const MAX_LINE: usize = 64 * 1024;

/// How many undecodable byte sequences a [`text_reader`] replaced with U+FFFD so far.
#[derive(Debug, Clone, Default)]
pub struct Replaced(Arc<AtomicU64>);

impl Replaced {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Wraps a byte stream so it reads as UTF-8, whatever the text's encoding (UTF-8, UTF-16
/// with or without BOM, Shift_JIS). A BOM is dropped. Invalid sequences never fail the
/// read: each becomes U+FFFD and is counted in the returned [`Replaced`].
pub fn text_reader<R: Read + 'static>(mut inner: R) -> io::Result<(Box<dyn BufRead>, Replaced)> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut inner).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let (enc, body) = text_encoding(&head);
    let bom = head.len() - body.len();
    let replaced = Replaced::default();
    let decoding = Decoding {
        inner: io::Cursor::new(head).chain(inner),
        skip: bom,
        decoder: enc.new_decoder_without_bom_handling(),
        input: vec![0; 64 * 1024],
        start: 0,
        end: 0,
        eof: false,
        done: false,
        output: Vec::new(),
        delivered: 0,
        replaced: replaced.clone(),
    };
    Ok((
        Box::new(BufReader::with_capacity(64 * 1024, decoding)),
        replaced,
    ))
}

/// The decoding half of [`text_reader`].
struct Decoding<R> {
    inner: R,
    /// BOM bytes still to drop.
    skip: usize,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    output: Vec<u8>,
    delivered: usize,
    replaced: Replaced,
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.delivered < self.output.len() {
                let n = out.len().min(self.output.len() - self.delivered);
                out[..n].copy_from_slice(&self.output[self.delivered..self.delivered + n]);
                self.delivered += n;
                return Ok(n);
            }
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                let skip = self.skip.min(n);
                self.skip -= skip;
                (self.start, self.end, self.eof) = (skip, n, n == 0);
            }
            let src = &self.input[self.start..self.end];
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            self.output.clear();
            self.output.resize(room, 0);
            self.delivered = 0;
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
            self.start += read;
            self.output.truncate(written);
            match result {
                encoding_rs::DecoderResult::InputEmpty => self.done = self.eof,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    self.output.extend_from_slice("\u{FFFD}".as_bytes());
                    self.replaced.0.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// A reader that fails once more than `limit` bytes are read without a
/// [`BudgetReset::reset`]: it bounds what a parser buffers for one token or document
/// (an XML text node, a JSON array element) on hostile input.
pub(crate) struct Budgeted<R> {
    inner: R,
    used: Rc<Cell<u64>>,
    limit: u64,
    what: &'static str,
}

/// Starts a [`Budgeted`] reader's count again (at each token or element boundary).
#[derive(Clone)]
pub(crate) struct BudgetReset(Rc<Cell<u64>>);

impl BudgetReset {
    pub(crate) fn reset(&self) {
        self.0.set(0);
    }
}

impl<R: BufRead> Budgeted<R> {
    /// `what` names the unit in the error (`an XML token`).
    pub(crate) fn new(inner: R, limit: u64, what: &'static str) -> (Self, BudgetReset) {
        let used = Rc::new(Cell::new(0));
        let reset = BudgetReset(used.clone());
        (
            Budgeted {
                inner,
                used,
                limit,
                what,
            },
            reset,
        )
    }
}

impl<R: BufRead> BufRead for Budgeted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let left = self.limit.saturating_sub(self.used.get());
        let (limit, what) = (self.limit, self.what);
        let buf = self.inner.fill_buf()?;
        if left == 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{what} is larger than {limit} bytes; not read"),
            ));
        }
        Ok(&buf[..buf.len().min(left as usize)])
    }

    fn consume(&mut self, n: usize) {
        self.used.set(self.used.get() + n as u64);
        self.inner.consume(n);
    }
}

impl<R: BufRead> Read for Budgeted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The text buffered at the start of an input, not consumed: what a CSV reader looks at
/// for its header (delimiter, leading comments) before the CSV parser reads it all.
/// `None` after a read error, which goes into `report`.
pub(crate) fn peek_head(input: &mut dyn BufRead, report: &mut InputReport) -> Option<String> {
    match input.fill_buf() {
        Ok(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Err(e) => {
            report.error(format!("read error: {e}"));
            None
        }
    }
}

/// One line, or why it was skipped.
pub(crate) enum Line {
    Text(String),
    TooLong(usize),
}

/// Reads lines of at most [`MAX_LINE`] bytes; `None` at end of input. Line ends (`\n`,
/// `\r\n`) are removed. (Input comes from a [`text_reader`]: it is valid UTF-8.)
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
        let (mut r, _) = text_reader(io::Cursor::new(bytes)).unwrap();
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

    fn decoded(bytes: &[u8]) -> (String, u64) {
        let (mut r, replaced) = text_reader(io::Cursor::new(bytes.to_vec())).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, replaced.count())
    }

    #[test]
    fn invalid_sequences_are_replaced_and_counted() {
        assert_eq!(
            decoded(b"ok \xFF\xFE\xFD end"),
            ("ok \u{FFFD}\u{FFFD}\u{FFFD} end".into(), 3)
        );
        assert_eq!(decoded("日本".as_bytes()), ("日本".into(), 0));
        // A lone surrogate in UTF-16LE (with BOM), and a cut last unit.
        let mut v = vec![0xFF, 0xFE];
        v.extend("a".encode_utf16().flat_map(u16::to_le_bytes));
        v.extend([0x00, 0xD8, b'b', 0x00, b'c']);
        assert_eq!(decoded(&v), ("a\u{FFFD}b\u{FFFD}".into(), 2));
        // A sequence split across the 64 KiB read boundary is decoded whole.
        let mut big = vec![b'x'; 64 * 1024 - 1];
        big.extend("日".as_bytes());
        let (s, n) = decoded(&big);
        assert!(s.ends_with('日') && n == 0);
        // Shift_JIS (Japanese Excel) decodes cleanly.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("名前,コンピューター\r\n");
        assert_eq!(decoded(&sjis), ("名前,コンピューター\r\n".into(), 0));
        assert_eq!(decoded(b""), (String::new(), 0));
    }

    #[test]
    fn a_budget_bounds_one_unit_and_resets() {
        let (mut r, reset) = Budgeted::new(io::Cursor::new(vec![b'a'; 100]), 40, "a unit");
        let mut buf = [0u8; 30];
        assert_eq!(r.read(&mut buf).unwrap(), 30);
        assert_eq!(r.read(&mut buf).unwrap(), 10, "only up to the budget");
        let e = r.read(&mut buf).unwrap_err();
        assert!(
            e.to_string().contains("a unit is larger than 40 bytes"),
            "{e}"
        );
        reset.reset();
        assert_eq!(r.read(&mut buf).unwrap(), 30);
        let mut rest = Vec::new();
        reset.reset();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), 30, "the end of input is not an error");
    }
}
