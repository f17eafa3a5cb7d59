//! The command line's voice on stderr: notes (what was written where, hints) that
//! `--quiet` silences, and errors that nothing silences. Every sentence comes from the
//! message catalogs in the chosen language.

use kizuna_core::MessageArg;
use kizuna_i18n::{Lang, Messages};

pub struct Console {
    pub msg: Messages,
    quiet: bool,
}

impl Console {
    pub fn new(lang: Lang, quiet: bool) -> Console {
        Console {
            msg: Messages::new(lang),
            quiet,
        }
    }

    /// The catalog message `id` with `args`.
    pub fn text(&self, id: &str, args: &[(&str, MessageArg)]) -> String {
        self.msg.get(id, args)
    }

    /// A note for the person at the keyboard; nothing under `--quiet`.
    pub fn note(&self, id: &str, args: &[(&str, MessageArg)]) {
        if !self.quiet {
            eprintln!("kizuna: {}", self.msg.get(id, args));
        }
    }

    /// An error or a warning about the input: always shown.
    pub fn error(&self, id: &str, args: &[(&str, MessageArg)]) {
        eprintln!("kizuna: {}", self.msg.get(id, args));
    }

    /// The progress line's language, when one belongs on stderr.
    pub fn progress_line(&self) -> Option<Lang> {
        crate::progress::wanted(self.quiet).then_some(self.msg.lang())
    }
}

/// A text argument.
pub fn text(s: impl Into<String>) -> MessageArg {
    MessageArg::Text(s.into())
}

/// A number argument.
pub fn num(n: impl TryInto<i64>) -> MessageArg {
    MessageArg::Number(n.try_into().unwrap_or(i64::MAX))
}
