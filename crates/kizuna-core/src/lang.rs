//! The languages kizuna speaks: its messages, reports, GPO kits and scripts.

use std::fmt;

/// A language kizuna speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// From `ja`, `en`, `ja_JP.UTF-8`, `en-US`… Unknown languages are `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("ja") {
            Some(Lang::Ja)
        } else if s.starts_with("en") || s == "c" || s == "posix" || s.starts_with("c.") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The user's language: the locale environment (`LC_ALL`, `LC_MESSAGES`, `LANG`) when
    /// it is set; else, on Windows, which sets none of these, the user's display language
    /// (so a Japanese Windows gets Japanese); English by default.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .or_else(system_ui_language)
            .and_then(|v| Lang::parse(&v))
            .unwrap_or(Lang::En)
    }

    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

/// The first of the user's preferred display languages (`ja-JP`, `en-US`…).
#[cfg(windows)]
fn system_ui_language() -> Option<String> {
    sys_locale::get_locale()
}

#[cfg(not(windows))]
fn system_ui_language() -> Option<String> {
    None
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
