//! Rendered event messages (`data/messages.toml`): for exports that keep only the text
//! Windows rendered (Event Viewer "Save As… CSV", `Get-WinEvent | Export-Csv`), the
//! templates that give the insertion strings back, and the Win32 error texts that stand
//! for `%%N` inserts. Each entry names its source; a message no template matches is never
//! guessed at.

use serde::Deserialize;

/// One event's message in one language, with `%1`…`%n` where Windows inserts values.
/// A template may stop after the last value kizuna needs; it ends in fixed text, so every
/// value is delimited.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageTemplate {
    pub provider: String,
    pub id: u32,
    pub lang: String,
    pub template: String,
    pub source: String,
    /// `primary` (Microsoft, the DLL's message table) or `secondary` (a pasted event).
    pub verified: String,
}

/// A Win32 error's text as it appears inside a rendered message.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorText {
    pub code: u32,
    pub lang: String,
    pub text: String,
    pub source: String,
    pub verified: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Messages {
    #[serde(default, rename = "message")]
    templates: Vec<MessageTemplate>,
    #[serde(default, rename = "error_text")]
    errors: Vec<ErrorText>,
}

/// Runs of whitespace as one space, ends trimmed: soft line breaks, `%n` and the CR LF of
/// an export all render as whitespace. A space beside a non-ASCII character is dropped:
/// Japanese text wraps inside words (`このコン ピューター`) wherever its lines broke.
pub fn squash(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut out = String::with_capacity(s.len());
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            let before = out.chars().next_back().is_some_and(|c| !c.is_ascii());
            let after = w.chars().next().is_some_and(|c| !c.is_ascii());
            if !before && !after {
                out.push(' ');
            }
        }
        out.push_str(w);
    }
    out
}

/// A template as fixed text and value slots.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(usize),
}

fn pieces(template: &str) -> Vec<Piece> {
    let t = squash(template);
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            push_text(&mut out, &mut text);
            out.push(Piece::Slot(n));
        } else {
            text.push(c);
        }
    }
    push_text(&mut out, &mut text);
    out
}

/// Fixed text without the spaces at its ends: around a value, whether a space is written
/// depends on the value (none beside Japanese text), and values are trimmed anyway.
fn push_text(out: &mut Vec<Piece>, text: &mut String) {
    let t = text.trim();
    if !t.is_empty() {
        out.push(Piece::Text(t.to_string()));
    }
    text.clear();
}

/// The values of `message` under `template`: `Some(values by slot, %1 first)` when the
/// message holds the template's text in order (from its opening text on).
fn fill(template: &str, message: &str) -> Option<Vec<String>> {
    let msg = squash(message);
    let pieces = pieces(template);
    let mut values: Vec<String> = Vec::new();
    let mut at = 0usize;
    let mut open: Option<usize> = None;
    for p in &pieces {
        match p {
            Piece::Slot(n) => open = Some(*n),
            Piece::Text(t) => {
                let found = match open {
                    // The first occurrence of the text after a value ends the value.
                    Some(_) => msg[at..].find(t.as_str())? + at,
                    // A template's opening text starts the message, or (for the fields
                    // after a warning paragraph, 5829–5831) is found in it.
                    None if at == 0 => msg.find(t.as_str())?,
                    None if msg[at..].starts_with(t.as_str()) => at,
                    None => return None,
                };
                if let Some(n) = open.take() {
                    if n == 0 {
                        return None;
                    }
                    if values.len() < n {
                        values.resize(n, String::new());
                    }
                    let v = msg[at..found].trim();
                    // A value named twice (5723) keeps its first reading.
                    if values[n - 1].is_empty() {
                        values[n - 1] = v.to_string();
                    }
                }
                at = found + t.len();
            }
        }
    }
    // A template ending in a value: the rest of the message is that value.
    if let Some(n) = open {
        if n == 0 {
            return None;
        }
        if values.len() < n {
            values.resize(n, String::new());
        }
        if values[n - 1].is_empty() {
            values[n - 1] = msg[at..].trim().to_string();
        }
    }
    Some(values)
}

impl Messages {
    pub(crate) fn from_toml(text: &str) -> Result<Messages, toml::de::Error> {
        toml::from_str(text)
    }

    /// Whether any template of this event is known.
    pub fn knows(&self, provider: &str, id: u32) -> bool {
        self.templates
            .iter()
            .any(|t| t.id == id && t.provider.eq_ignore_ascii_case(provider))
    }

    /// The insertion strings of a rendered message and the template's language, from the
    /// first template of this event it matches.
    pub fn insertions(
        &self,
        provider: &str,
        id: u32,
        message: &str,
    ) -> Option<(Vec<String>, &str)> {
        self.templates
            .iter()
            .filter(|t| t.id == id && t.provider.eq_ignore_ascii_case(provider))
            .find_map(|t| fill(&t.template, message).map(|v| (v, t.lang.as_str())))
    }

    /// The Win32 error a rendered error text stands for (`Access is denied.` → 5).
    pub fn win32_code(&self, text: &str) -> Option<u32> {
        let t = squash(text);
        self.errors
            .iter()
            .find(|e| squash(&e.text) == t)
            .map(|e| e.code)
    }

    pub fn templates(&self) -> &[MessageTemplate] {
        &self.templates
    }

    pub fn error_texts(&self) -> &[ErrorText] {
        &self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_give_their_values_back() {
        let t = "This computer could not authenticate with %2, a Windows domain controller\r\nfor domain %1, and therefore this computer might deny logon requests.";
        let m = "This computer could not authenticate with \\\\DC1.corp.example, a Windows domain controller for domain CORP, and therefore this computer might deny logon requests.  This inability …";
        assert_eq!(
            fill(t, m).unwrap(),
            ["CORP", "\\\\DC1.corp.example"],
            "slots in any order"
        );
        assert_eq!(fill(t, "Something else entirely."), None);
        assert_eq!(
            fill("Error: %1", "Error: Access is denied.").unwrap(),
            ["Access is denied."],
            "a last value takes the rest"
        );
        let twice =
            "from computer '%1' failed because the database does not contain '%2' for '%1'.";
        assert_eq!(
            fill(
                twice,
                "from computer 'PC1' failed because the database does not contain 'PC1$' for 'PC1'."
            )
            .unwrap(),
            ["PC1", "PC1$"]
        );
        assert_eq!(squash(" a \r\n\t b  "), "a b");
        assert_eq!(
            squash("このコン ピューター は AD の"),
            "このコンピューターはADの"
        );
    }

    #[test]
    fn every_shipped_template_and_error_text_is_usable_and_sourced() {
        let k = crate::Knowledge::builtin();
        let m = &k.messages;
        assert!(m.templates().len() >= 15);
        for t in m.templates() {
            assert!(
                k.watched.lookup(&t.provider, t.id).is_some(),
                "{} {} is watched",
                t.provider,
                t.id
            );
            assert!(
                !t.source.trim().is_empty(),
                "{} {}: a source",
                t.provider,
                t.id
            );
            assert!(
                ["primary", "secondary"].contains(&t.verified.as_str()),
                "{} {}: {}",
                t.provider,
                t.id,
                t.verified
            );
            assert!(["en", "ja"].contains(&t.lang.as_str()));
            // The template read as a message gives its own slot names back.
            let slots: Vec<usize> = pieces(&t.template)
                .iter()
                .filter_map(|p| match p {
                    Piece::Slot(n) => Some(*n),
                    Piece::Text(_) => None,
                })
                .collect();
            let values = fill(&t.template, &t.template)
                .unwrap_or_else(|| panic!("{} {} matches itself", t.provider, t.id));
            for n in slots {
                assert_eq!(values[n - 1], format!("%{n}"), "{} {}", t.provider, t.id);
            }
        }
        for e in m.error_texts() {
            assert!(!e.source.trim().is_empty() && !e.text.trim().is_empty());
            assert!(["primary", "secondary"].contains(&e.verified.as_str()));
            assert_eq!(m.win32_code(&e.text), Some(e.code));
        }
        // The Win32 codes whose NTSTATUS the rules need are in ntstatus.toml.
        for code in [5, 1311, 1326, 86, 1787] {
            assert!(
                k.status_for_win32_ref(&format!("%%{code}")).is_some(),
                "{code}"
            );
        }
    }
}
