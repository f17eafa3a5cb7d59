//! Escaping text for HTML: the one function every page and chart uses.

/// Text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Bidirectional controls reorder the text after them (a device named
            // "PC\u{202E}EXE.txt" would read "PCtxt.EXE"): shown as their code point.
            '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("&lt;U+{:04X}&gt;", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn bidirectional_controls_are_shown_not_obeyed() {
        assert_eq!(esc("PC\u{202E}EXE.txt"), "PC&lt;U+202E&gt;EXE.txt");
        assert_eq!(
            esc("a\u{2066}b\u{2069}\u{200F}"),
            "a&lt;U+2066&gt;b&lt;U+2069&gt;&lt;U+200F&gt;"
        );
        // Japanese and other scripts pass as they are.
        assert_eq!(esc("端末-01 <x>"), "端末-01 &lt;x&gt;");
    }
}
