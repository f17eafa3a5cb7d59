//! Message catalogs: every sentence kizuna shows, in Japanese and English (Fluent).
//!
//! Code never builds sentences; it picks a message id and passes arguments. Adding a
//! language is adding a `locales/<lang>.ftl` file.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
pub use kizuna_core::Lang;
use kizuna_core::{Finding, FindingRecord, MessageArg, NtStatus};

const EN: &str = include_str!("../locales/en.ftl");
const JA: &str = include_str!("../locales/ja.ftl");

/// Renders messages in one language.
pub struct Messages {
    bundle: FluentBundle<FluentResource>,
    lang: Lang,
}

impl Messages {
    pub fn new(lang: Lang) -> Messages {
        let (src, id) = match lang {
            Lang::En => (EN, "en"),
            Lang::Ja => (JA, "ja"),
        };
        let res = FluentResource::try_new(src.to_string()).expect("catalog parses");
        let mut bundle = FluentBundle::new(vec![id.parse().expect("language id")]);
        // No Unicode isolation marks: output goes to terminals, CSV and JSON.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(res)
            .expect("catalog has no duplicate ids");
        Messages { bundle, lang }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether the catalog has a message.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// The message `id` with `args`; the id itself when the catalog lacks it.
    pub fn get(&self, id: &str, args: &[(&str, MessageArg)]) -> String {
        let Some(msg) = self.bundle.get_message(id) else {
            return id.to_string();
        };
        let Some(pattern) = msg.value() else {
            return id.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            match v {
                MessageArg::Text(s) => fargs.set(*k, FluentValue::from(s.clone())),
                MessageArg::Number(n) => fargs.set(*k, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }

    /// Shorthand for a message without arguments.
    pub fn text(&self, id: &str) -> String {
        self.get(id, &[])
    }

    fn finding_part(&self, f: &Finding, part: &str) -> String {
        let args: Vec<(&str, MessageArg)> = f.args.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.get(&format!("{}-{part}", f.rule), &args)
    }

    /// The title of a finding kept from an earlier run.
    pub fn record_title(&self, f: &FindingRecord) -> String {
        let args: Vec<(&str, MessageArg)> = f
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        self.get(&format!("{}-title", f.rule), &args)
    }

    pub fn title(&self, f: &Finding) -> String {
        self.finding_part(f, "title")
    }

    pub fn detail(&self, f: &Finding) -> String {
        self.finding_part(f, "detail")
    }

    pub fn remedy(&self, f: &Finding) -> String {
        self.finding_part(f, "remedy")
    }

    /// The meaning of a status, when the catalog has one.
    pub fn status_meaning(&self, s: NtStatus) -> Option<String> {
        let id = format!("status-{:08X}", s.0);
        self.has(&id).then(|| self.text(&id))
    }
}

/// Terminal columns of a string: East Asian wide characters (kana, kanji, full-width
/// forms) take two.
pub fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(columns(s))))
}

/// Rows as aligned terminal lines: each column as wide as its widest cell (in terminal
/// columns, so Japanese lines up), two spaces between, no trailing spaces.
pub fn aligned(rows: &[Vec<String>], indent: &str) -> Vec<String> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i >= widths.len() {
                widths.push(0);
            }
            widths[i] = widths[i].max(columns(cell));
        }
    }
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| pad(c, widths[i]))
                .collect();
            format!("{indent}{}", cells.join("  "))
                .trim_end()
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligned_columns_count_wide_characters_twice() {
        let rows = vec![
            vec!["変化".to_string(), "PC01".to_string(), "x".to_string()],
            vec!["NEW".to_string(), "端末".to_string(), String::new()],
        ];
        assert_eq!(
            aligned(&rows, "  "),
            vec!["  変化  PC01  x".to_string(), "  NEW   端末".to_string()]
        );
    }

    use super::*;

    #[test]
    fn both_catalogs_have_the_same_ids() {
        let ids = |src: &str| -> Vec<String> {
            let mut v: Vec<String> = src
                .lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" = "))
                .map(|l| l.split(" = ").next().unwrap().trim().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(EN), ids(JA));
        assert!(ids(EN).len() > 30);
    }

    #[test]
    fn rule_messages_render_with_arguments() {
        let mut args = std::collections::BTreeMap::new();
        args.insert("device", MessageArg::Text("PC01".into()));
        args.insert("kind", MessageArg::Text("password".into()));
        let f = Finding {
            rule: kizuna_core::RuleId("KZ-SC-001"),
            severity: kizuna_core::Severity::High,
            subjects: vec!["PC01".into()],
            args,
            evidence: vec![],
            evidence_total: 0,
        };
        let en = Messages::new(Lang::En);
        let ja = Messages::new(Lang::Ja);
        assert_eq!(en.title(&f), "Secure channel failures: PC01");
        assert_eq!(ja.title(&f), "セキュア チャネルの失敗: PC01");
        assert!(en.remedy(&f).contains("Test-ComputerSecureChannel -Repair"));
        assert!(ja.remedy(&f).contains("マシン パスワードを拒否"));
        assert_eq!(
            en.status_meaning(NtStatus(0xC000018B)).unwrap(),
            "no trust account: the computer account is missing or was reset"
        );
        let mut args = std::collections::BTreeMap::new();
        for (k, v) in [
            ("read", "after"),
            ("expires", "2026-10-31"),
            ("source", "gpo"),
            ("source_name", "kizuna workaround - DC (expires 2026-10-31)"),
            ("settings", "DC01 RefusePasswordChange=1"),
            ("devices", "DC01"),
        ] {
            args.insert(k, MessageArg::Text(v.into()));
        }
        args.insert("days", MessageArg::Number(22));
        args.insert("count", MessageArg::Number(1));
        let mut f = Finding {
            rule: kizuna_core::RuleId("KZ-POL-004"),
            args,
            ..f
        };
        assert_eq!(
            en.title(&f),
            "Workaround still written on one device after its expiry (2026-10-31)"
        );
        assert!(
            en.detail(&f).contains(
                "the expiry in the name of GPO \"kizuna workaround - DC (expires 2026-10-31)\"); \
                 that was 22 days ago. SYSTEM hives written after that date still hold it: \
                 DC01 RefusePasswordChange=1."
            ),
            "{}",
            en.detail(&f)
        );
        assert!(
            ja.detail(&f).contains("22 日過ぎています"),
            "{}",
            ja.detail(&f)
        );
        f.args.insert("read", MessageArg::Text("before".into()));
        f.args.insert("source", MessageArg::Text("given".into()));
        assert!(en.detail(&f).contains("(the expiry given with --expires)"));
        assert!(en.remedy(&f).starts_with("Collect the SYSTEM hives"));
        assert!(
            ja.title(&f).contains("その後未確認の端末: 1 台"),
            "{}",
            ja.title(&f)
        );
        assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::parse("en_US"), Some(Lang::En));
        assert_eq!(Lang::parse("fr_FR"), None);
    }
}
