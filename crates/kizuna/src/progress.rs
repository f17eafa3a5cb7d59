//! The progress line on stderr while evidence is read (files, megabytes and records per
//! second) or hosts are asked (`sid scan`), redrawn in place a few times a second. Only on a terminal and without
//! `--quiet`: piped or redirected stderr (CI logs, scripts) stays free of it.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kizuna_core::MessageArg;
use kizuna_evidence::ProgressSnapshot;
use kizuna_i18n::{Lang, Messages};

const REDRAW: Duration = Duration::from_millis(250);

/// Whether a progress line belongs on this stderr.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// One line of progress in the catalog's words.
pub fn line(msg: &Messages, s: &ProgressSnapshot, elapsed: Duration) -> String {
    let mb = |b: u64| MessageArg::Text(format!("{:.1}", b as f64 / 1_048_576.0));
    let secs = elapsed.as_secs_f64().max(0.001);
    msg.get(
        "progress-reading",
        &[
            ("done", MessageArg::Number(s.files_done as i64)),
            ("total", MessageArg::Number(s.files_total as i64)),
            ("mb_done", mb(s.bytes_done)),
            ("mb_total", mb(s.bytes_total)),
            ("records", MessageArg::Number(s.records as i64)),
            (
                "rate",
                MessageArg::Number((s.records as f64 / secs).round() as i64),
            ),
        ],
    )
}

/// One line of a SID scan's progress.
pub fn sid_line(msg: &Messages, s: &kizuna_sidscan::SweepSnapshot, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let done = s.answered + s.failed;
    msg.get(
        "progress-sid",
        &[
            ("done", MessageArg::Number(done as i64)),
            ("total", MessageArg::Number(s.total as i64)),
            ("answered", MessageArg::Number(s.answered as i64)),
            ("failed", MessageArg::Number(s.failed as i64)),
            (
                "rate",
                MessageArg::Text(format!("{:.1}", done as f64 / secs)),
            ),
        ],
    )
}

/// What turns a line `drawn` columns wide into `text`: back to the start, the text, and
/// spaces over what is left of the old line. Carriage return and spaces only, no escape
/// sequence, so a classic Windows console (no virtual-terminal processing) draws it too.
fn redraw(text: &str, drawn: usize) -> String {
    let rest = drawn.saturating_sub(kizuna_i18n::columns(text));
    if rest == 0 {
        format!("\r{text}")
    } else {
        format!("\r{text}{}\r{text}", " ".repeat(rest))
    }
}

/// Draws the line until dropped; the drop erases it so the report starts clean.
pub struct ProgressLine {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressLine {
    /// Starts drawing the line `text` gives (in the catalog of `lang`, after the time
    /// elapsed); with `None`, does nothing.
    pub fn start(
        lang: Option<Lang>,
        text: impl Fn(&Messages, Duration) -> String + Send + 'static,
    ) -> ProgressLine {
        let Some(lang) = lang else {
            return ProgressLine {
                stop: None,
                thread: None,
            };
        };
        let (tx, rx) = channel::<()>();
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            // Catalogs are not shared across threads: this one loads its own.
            let msg = Messages::new(lang);
            let mut err = std::io::stderr();
            let mut drawn = 0;
            // Drawn at once, then every REDRAW until stopped.
            loop {
                let text = text(&msg, started.elapsed());
                let _ = write!(err, "{}", redraw(&text, drawn));
                let _ = err.flush();
                drawn = kizuna_i18n::columns(&text);
                if !matches!(rx.recv_timeout(REDRAW), Err(RecvTimeoutError::Timeout)) {
                    break;
                }
            }
            let _ = write!(err, "{}", redraw("", drawn));
            let _ = err.flush();
        });
        ProgressLine {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Evidence read with a progress line on stderr while it is read, when one is wanted.
pub struct Shown<'a> {
    files: &'a kizuna_evidence::Files,
    line: Option<Lang>,
}

impl<'a> Shown<'a> {
    /// `files`, with a progress line in `line`'s language (none for `None`).
    pub fn new(files: &'a kizuna_evidence::Files, line: Option<Lang>) -> Shown<'a> {
        Shown { files, line }
    }
}

impl kizuna_core::FactSource for Shown<'_> {
    fn read_into<S: kizuna_core::Ingest>(&self, sink: &mut S) -> Result<(), S::Error> {
        let progress = self.files.options().progress.clone();
        let line = ProgressLine::start(self.line, move |msg, elapsed| {
            line(msg, &progress.snapshot(), elapsed)
        });
        let done = self.files.read_into(sink);
        drop(line);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_reports_files_megabytes_and_rate() {
        let s = ProgressSnapshot {
            files_total: 127,
            files_done: 12,
            bytes_total: 230 * 1_048_576,
            bytes_done: 45 * 1_048_576 + 209_715,
            records: 500_000,
        };
        let en = line(
            &Messages::new(kizuna_i18n::Lang::En),
            &s,
            Duration::from_secs(2),
        );
        assert_eq!(
            en,
            "kizuna: reading 12/127 files, 45.2/230.0 MB, 500000 records (250000 records/s)"
        );
        let ja = line(
            &Messages::new(kizuna_i18n::Lang::Ja),
            &s,
            Duration::from_secs(2),
        );
        assert!(ja.contains("12/127") && ja.contains("250000"), "{ja}");
    }

    #[test]
    fn the_sid_line_reports_hosts_and_rate() {
        let s = kizuna_sidscan::SweepSnapshot {
            total: 2000,
            answered: 480,
            failed: 20,
        };
        let en = sid_line(&Messages::new(Lang::En), &s, Duration::from_secs(4));
        assert_eq!(
            en,
            "kizuna: asked 500/2000 hosts: 480 answered, 20 gave no answer (125.0 hosts/s)"
        );
        let ja = sid_line(&Messages::new(Lang::Ja), &s, Duration::from_secs(4));
        assert!(ja.contains("500/2000") && ja.contains("125.0"), "{ja}");
    }

    #[test]
    fn a_shorter_line_blanks_what_is_left_of_the_longer_one() {
        assert_eq!(redraw("abc", 0), "\rabc");
        assert_eq!(redraw("abc", 3), "\rabc");
        assert_eq!(redraw("ab", 5), "\rab   \rab");
        // erasing at the end: spaces over the whole line, the cursor back at its start
        assert_eq!(redraw("", 4), "\r    \r");
        // Japanese takes two columns a character
        assert_eq!(redraw("読む", 6), "\r読む  \r読む");
    }
}
