//! Self-repair scripts for problem A (secure channels that keep breaking), step 3 of the
//! source article's playbook: a check-and-repair distributed to the computers.
//!
//! Two kits, each a folder of files:
//! - [`Kit::Intune`]: `Detect-KizunaSecureChannel.ps1` and
//!   `Remediate-KizunaSecureChannel.ps1`, an Intune remediation pair (detection exit 1 =
//!   run the remediation), with `README.md` and `README.ja.md`.
//! - [`Kit::Task`]: `Invoke-KizunaSecureChannelRepair.ps1` (check, repair, Application
//!   event log) and `Register-KizunaRepairTask.ps1` (a daily task as SYSTEM), with READMEs.
//!
//! The repairs need no credential: `nltest /sc_reset` (the domain, then its PDC emulator)
//! and `Test-ComputerSecureChannel -Repair` without `-Credential`. When only a repair with
//! a credential would help, the scripts stop with a `NEEDS-CREDENTIAL` status line for the
//! help desk; they never prompt and never contain or handle a password.
//!
//! A third kit, the evidence collector (`Collect-KizunaEvidence.ps1`, [`generate_collector`]),
//! bundles what kizuna reads on a Windows machine and sends it to `kizuna serve`.
//!
//! Output is deterministic: the same options give the same bytes (no timestamp). Scripts
//! are Windows PowerShell 5.1, CRLF, ASCII (UTF-8 with a BOM if anything non-ASCII ever
//! gets in, since 5.1 reads BOM-less files as ANSI). The status table [`STATUSES`] is the
//! single source of the exit codes, event ids and the READMEs' tables.

use std::fmt::Write as _;

mod collect;

pub use collect::{
    COLLECT_SCRIPT, COLLECT_STATUSES, ChannelQuery, CollectOptions, CollectStatus, DEFAULT_DAYS,
    MAX_EXPRESSIONS, WINDOW_PLACEHOLDER, channel_queries, generate_collector, parse_server,
};

/// The kizuna version written into every header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Application event log source of the scheduled-task variant.
pub const EVENT_SOURCE: &str = "kizuna";
/// The scheduled task's folder and name.
pub const TASK_PATH: &str = "\\kizuna\\";
pub const TASK_NAME: &str = "Secure Channel Check and Repair";

/// The log file the remediation and the task write (under `%ProgramData%`).
pub const LOG_FILE: &str = "%ProgramData%\\kizuna\\SecureChannel.log";

/// Which folder of scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kit {
    /// Intune remediation pair.
    Intune,
    /// Scheduled task (sites without Intune).
    Task,
}

impl Kit {
    pub fn name(self) -> &'static str {
        match self {
            Kit::Intune => "intune",
            Kit::Task => "task",
        }
    }
}

/// Generation parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Only act on computers joined to this DNS domain (validated by [`parse_domain`]);
    /// `None`: the domain each computer is joined to, read at run time.
    pub domain: Option<String>,
}

/// Event log entry type of a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Information,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Information => "Information",
            Level::Warning => "Warning",
            Level::Error => "Error",
        }
    }
}

/// A status line's first word, what it means, and what each script does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub name: &'static str,
    /// Event id written by the scheduled-task variant (Application log, [`EVENT_SOURCE`]).
    pub event_id: u16,
    pub level: Level,
    /// Exit code of the Intune detection script; `None`: it never reports this status.
    pub detect_exit: Option<u8>,
    /// Exit code of the Intune remediation script.
    pub remediate_exit: Option<u8>,
    /// Exit code of the scheduled-task script.
    pub task_exit: Option<u8>,
    pub en: &'static str,
    pub ja: &'static str,
}

/// Every status the scripts write, in event-id order.
pub const STATUSES: &[Status] = &[
    Status {
        name: "OK",
        event_id: 1000,
        level: Level::Information,
        detect_exit: Some(0),
        remediate_exit: Some(0),
        task_exit: Some(0),
        en: "the secure channel works (Test-ComputerSecureChannel and nltest /sc_query agree)",
        ja: "セキュア チャネルは正常(Test-ComputerSecureChannel と nltest /sc_query の両方が成功)",
    },
    Status {
        name: "SKIP",
        event_id: 1001,
        level: Level::Information,
        detect_exit: Some(0),
        remediate_exit: Some(0),
        task_exit: Some(0),
        en: "nothing to check: a workgroup computer, a domain controller, or joined to another domain than the one the scripts were generated for",
        ja: "対象外: ワークグループのコンピューター、ドメイン コントローラー、または生成時に指定したのとは別のドメインに参加しているコンピューター",
    },
    Status {
        name: "BROKEN",
        event_id: 1002,
        level: Level::Warning,
        detect_exit: Some(1),
        remediate_exit: None,
        task_exit: Some(1),
        en: "the secure channel is broken while a DC answers: remediation needed (the task reports it only with -CheckOnly)",
        ja: "DC は応答するがセキュア チャネルが壊れている: 修復が必要(タスクでは -CheckOnly のときのみ)",
    },
    Status {
        name: "NO-DC",
        event_id: 1003,
        level: Level::Warning,
        detect_exit: Some(0),
        remediate_exit: Some(1),
        task_exit: Some(0),
        en: "the channel is down and no DC of the domain answers (off the corporate network?): nothing can be repaired now; checked again at the next run",
        ja: "チャネルが確立できず、ドメインの DC がどれも応答しない(社外ネットワーク?): 今は修復できないため、次回の実行で再確認",
    },
    Status {
        name: "REPAIRED",
        event_id: 1004,
        level: Level::Warning,
        detect_exit: None,
        remediate_exit: Some(0),
        task_exit: Some(0),
        en: "the channel was broken and a credential-free repair restored it (the line names the method and the DC)",
        ja: "壊れていたチャネルを資格情報なしの修復で復旧した(方法と DC を表示)",
    },
    Status {
        name: "NEEDS-CREDENTIAL",
        event_id: 1005,
        level: Level::Error,
        detect_exit: None,
        remediate_exit: Some(1),
        task_exit: Some(1),
        en: "the domain rejects this computer's password (or has no account for it) and every credential-free repair failed: a person with a join account must act (see below)",
        ja: "ドメインがこのコンピューターのパスワードを拒否している(またはアカウントがない)ため、資格情報なしの修復はすべて失敗: ドメイン参加用アカウントを持つ担当者の対応が必要(後述)",
    },
    Status {
        name: "FAILED",
        event_id: 1006,
        level: Level::Error,
        detect_exit: None,
        remediate_exit: Some(1),
        task_exit: Some(1),
        en: "the credential-free repairs did not restore the channel and nothing says a credential would help (network, firewall, time?): read the log",
        ja: "資格情報なしの修復で復旧せず、資格情報で直るとも判断できない(ネットワーク、ファイアウォール、時刻?): ログを確認",
    },
    Status {
        name: "ERROR",
        event_id: 1007,
        level: Level::Error,
        detect_exit: Some(1),
        remediate_exit: Some(1),
        task_exit: Some(1),
        en: "the script itself could not run (not elevated, WMI broken, ...): the line says why",
        ja: "スクリプト自体が実行できなかった(管理者権限でない、WMI の障害など): 理由を表示",
    },
];

/// A generated file: its name in the output folder and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

impl File {
    /// The text without a BOM, with LF line ends (for snapshots and assertions).
    pub fn text(&self) -> String {
        let s = String::from_utf8_lossy(&self.bytes);
        s.strip_prefix('\u{feff}')
            .unwrap_or(&s)
            .replace("\r\n", "\n")
    }

    pub fn is_script(&self) -> bool {
        self.name.ends_with(".ps1")
    }
}

/// The file names of a kit, in the order [`generate`] returns them.
pub fn file_names(kit: Kit) -> [&'static str; 4] {
    match kit {
        Kit::Intune => [
            "Detect-KizunaSecureChannel.ps1",
            "Remediate-KizunaSecureChannel.ps1",
            "README.md",
            "README.ja.md",
        ],
        Kit::Task => [
            "Invoke-KizunaSecureChannelRepair.ps1",
            "Register-KizunaRepairTask.ps1",
            "README.md",
            "README.ja.md",
        ],
    }
}

/// Checks a `--domain` value: a DNS name of two labels or more (letters, digits,
/// hyphens). Returns it lower-cased without a trailing dot.
pub fn parse_domain(s: &str) -> Result<String, String> {
    kizuna_core::DomainName::parse(s).map(|d| d.as_str().to_string())
}

const COMMON: &str = include_str!("ps/common.ps1");
const LOG: &str = include_str!("ps/log.ps1");
const REPAIR: &str = include_str!("ps/repair.ps1");
const DETECT: &str = include_str!("ps/detect.ps1");
const REMEDIATE: &str = include_str!("ps/remediate.ps1");
const TASK: &str = include_str!("ps/task.ps1");
const REGISTER: &str = include_str!("ps/register.ps1");

const README_INTUNE_EN: &str = include_str!("readme/intune.md");
const README_INTUNE_JA: &str = include_str!("readme/intune.ja.md");
const README_TASK_EN: &str = include_str!("readme/task.md");
const README_TASK_JA: &str = include_str!("readme/task.ja.md");
const HELP_DESK_EN: &str = include_str!("readme/help-desk.md");
const HELP_DESK_JA: &str = include_str!("readme/help-desk.ja.md");

/// Generates a kit's files.
pub fn generate(kit: Kit, options: &Options) -> Vec<File> {
    let g = Generator::new(kit, options);
    let names = file_names(kit);
    match kit {
        Kit::Intune => vec![
            g.script(names[0], DETECT, &[COMMON], Column::Detect),
            g.script(
                names[1],
                REMEDIATE,
                &[COMMON, LOG, REPAIR],
                Column::Remediate,
            ),
            g.readme(names[2], README_INTUNE_EN, HELP_DESK_EN, Lang::En),
            g.readme(names[3], README_INTUNE_JA, HELP_DESK_JA, Lang::Ja),
        ],
        Kit::Task => vec![
            g.script(names[0], TASK, &[COMMON, LOG, REPAIR], Column::Task),
            g.script(names[1], REGISTER, &[], Column::Task),
            g.readme(names[2], README_TASK_EN, HELP_DESK_EN, Lang::En),
            g.readme(names[3], README_TASK_JA, HELP_DESK_JA, Lang::Ja),
        ],
    }
}

#[derive(Clone, Copy)]
enum Column {
    Detect,
    Remediate,
    Task,
}

impl Column {
    fn exit(self, s: &Status) -> Option<u8> {
        match self {
            Column::Detect => s.detect_exit,
            Column::Remediate => s.remediate_exit,
            Column::Task => s.task_exit,
        }
    }
}

use kizuna_core::Lang;

struct Generator<'a> {
    kit: Kit,
    options: &'a Options,
}

impl<'a> Generator<'a> {
    fn new(kit: Kit, options: &'a Options) -> Self {
        Generator { kit, options }
    }

    /// The command line that generates these bytes (without --out, which does not change them).
    fn command(&self) -> String {
        let mut c = format!("kizuna scripts {}", self.kit.name());
        if let Some(d) = &self.options.domain {
            let _ = write!(c, " --domain {d}");
        }
        c
    }

    fn common_values(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VERSION", VERSION.to_string()),
            ("COMMAND", self.command()),
            ("EVENT_SOURCE", EVENT_SOURCE.to_string()),
            ("TASK_PATH", TASK_PATH.to_string()),
            ("TASK_NAME", TASK_NAME.to_string()),
        ]
    }

    fn script(&self, name: &'static str, main: &str, parts: &[&str], column: Column) -> File {
        let mut body = String::new();
        for p in parts {
            body.push_str(p.trim_end());
            body.push('\n');
        }
        let mut values = self.common_values();
        values.extend([
            (
                "DOMAIN",
                ps_string(self.options.domain.as_deref().unwrap_or("")),
            ),
            ("EXIT_ZERO", exit_zero(column)),
            ("STATUS_HELP", status_help(column)),
            ("EVENT_HELP", event_help()),
            ("EVENT_TABLE", event_table()),
        ]);
        let body = fill(body.trim_end(), &values);
        values.push(("BODY", body));
        let text = fill(main, &values);
        File {
            name,
            bytes: encode_ps1(&text),
        }
    }

    fn readme(&self, name: &'static str, template: &str, help_desk: &str, lang: Lang) -> File {
        let mut values = self.common_values();
        let domain = match (&self.options.domain, lang) {
            (Some(d), Lang::En) => format!("computers joined to `{d}` only (others report SKIP)"),
            (Some(d), Lang::Ja) => {
                format!("`{d}` に参加しているコンピューターのみ(それ以外は SKIP)")
            }
            (None, Lang::En) => "the domain each computer is joined to".to_string(),
            (None, Lang::Ja) => "各コンピューターが参加しているドメイン".to_string(),
        };
        let column = match self.kit {
            Kit::Intune => None,
            Kit::Task => Some(Column::Task),
        };
        values.extend([
            ("DOMAIN_TEXT", domain),
            ("STATUS_TABLE", status_table(column, lang)),
            ("LOG_FILE", LOG_FILE.to_string()),
        ]);
        let help = fill(help_desk, &values);
        values.push(("HELP_DESK", help.trim_end().to_string()));
        let text = fill(template, &values);
        File {
            name,
            bytes: encode_text(&text),
        }
    }
}

/// Replaces every `@@KEY@@`; panics on an unknown or unreplaced key (a template bug,
/// caught by the tests).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("@@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("@@").unwrap_or_else(|| {
            panic!(
                "unclosed @@ in a template near {:?}",
                &after[..after.len().min(40)]
            )
        });
        let key = &after[..end];
        let value = values
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("no value for @@{key}@@"));
        out.push_str(&value.1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A PowerShell single-quoted string literal.
fn ps_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn exit_zero(column: Column) -> String {
    let names: Vec<String> = STATUSES
        .iter()
        .filter(|s| column.exit(s) == Some(0))
        .map(|s| ps_string(s.name))
        .collect();
    format!("@({})", names.join(", "))
}

fn status_help(column: Column) -> String {
    let mut out = String::new();
    for s in STATUSES {
        if let Some(code) = column.exit(s) {
            let _ = writeln!(out, "      exit {code}  {:<17} {}", s.name, s.en);
        }
    }
    out.trim_end().to_string()
}

fn event_help() -> String {
    let mut out = String::new();
    for s in STATUSES {
        if let Some(code) = s.task_exit {
            let _ = writeln!(
                out,
                "      event {} ({:<11}) exit {code}  {:<17} {}",
                s.event_id,
                s.level.as_str(),
                s.name,
                s.en
            );
        }
    }
    out.trim_end().to_string()
}

fn event_table() -> String {
    let mut out = String::from("@{\n");
    for s in STATUSES {
        let _ = writeln!(
            out,
            "    {} = @({}, {})",
            ps_string(s.name),
            s.event_id,
            ps_string(s.level.as_str())
        );
    }
    out.push('}');
    out
}

/// The README's status table: the Intune pair's exit codes, or the task's event ids.
fn status_table(task: Option<Column>, lang: Lang) -> String {
    let mut out = String::new();
    let dash = "–";
    let code = |c: Option<u8>| c.map_or(dash.to_string(), |c| c.to_string());
    match (task, lang) {
        (None, Lang::En) => {
            out.push_str("| status | detection exit | remediation exit | meaning |\n|---|---|---|---|\n")
        }
        (None, Lang::Ja) => {
            out.push_str("| 状態 | 検出スクリプトの終了コード | 修復スクリプトの終了コード | 意味 |\n|---|---|---|---|\n")
        }
        (Some(_), Lang::En) => out.push_str(
            "| status | event id | level | exit | meaning |\n|---|---|---|---|---|\n",
        ),
        (Some(_), Lang::Ja) => out.push_str(
            "| 状態 | イベント ID | レベル | 終了コード | 意味 |\n|---|---|---|---|---|\n",
        ),
    }
    for s in STATUSES {
        let meaning = if lang == Lang::En { s.en } else { s.ja };
        match task {
            None => {
                if s.detect_exit.is_none() && s.remediate_exit.is_none() {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    s.name,
                    code(s.detect_exit),
                    code(s.remediate_exit),
                    meaning
                );
            }
            Some(c) => {
                let Some(exit) = c.exit(s) else { continue };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    s.name,
                    s.event_id,
                    s.level.as_str(),
                    exit,
                    meaning
                );
            }
        }
    }
    out.trim_end().to_string()
}

/// CRLF line ends, one final line end.
fn crlf(text: &str) -> String {
    let lf = text.replace("\r\n", "\n");
    let mut out = lf.trim_end().replace('\n', "\r\n");
    out.push_str("\r\n");
    out
}

/// A PowerShell script's bytes: CRLF; UTF-8 with a BOM when anything is non-ASCII
/// (Windows PowerShell 5.1 reads a BOM-less file as the ANSI code page), else plain ASCII.
pub fn encode_ps1(text: &str) -> Vec<u8> {
    let text = crlf(text);
    let mut out = Vec::with_capacity(text.len() + 3);
    if !text.is_ascii() {
        out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    }
    out.extend_from_slice(text.as_bytes());
    out
}

/// A README's bytes: UTF-8 without a BOM, CRLF.
fn encode_text(text: &str) -> Vec<u8> {
    crlf(text).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_every_key() {
        let v = vec![("A", "1".to_string()), ("B", "two".to_string())];
        assert_eq!(fill("x@@A@@y@@B@@z", &v), "x1ytwoz");
        assert_eq!(fill("no keys", &v), "no keys");
    }

    #[test]
    #[should_panic(expected = "no value for @@C@@")]
    fn fill_refuses_unknown_keys() {
        fill("@@C@@", &[]);
    }

    #[test]
    fn ps_strings_escape_quotes() {
        assert_eq!(ps_string(""), "''");
        assert_eq!(ps_string("it's"), "'it''s'");
    }

    #[test]
    fn status_names_and_event_ids_are_unique() {
        let mut names: Vec<_> = STATUSES.iter().map(|s| s.name).collect();
        let mut ids: Vec<_> = STATUSES.iter().map(|s| s.event_id).collect();
        names.sort_unstable();
        names.dedup();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(names.len(), STATUSES.len());
        assert_eq!(ids.len(), STATUSES.len());
    }
}
