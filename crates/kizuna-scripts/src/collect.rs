//! The evidence collector: `Collect-KizunaEvidence.ps1`, which any Windows machine runs (by
//! hand on a DC, as a GPO startup script, an Intune script or a scheduled task) to bundle
//! exactly what kizuna reads and send it to `kizuna serve`, with README.md / README.ja.md.
//!
//! Its event queries are generated from the watched events (`watched.toml`), so what the
//! collector exports can never drift from what kizuna keeps. Windows' event queries are an
//! XPath 1.0 subset without string functions: the computer-account filter of the logon and
//! ticket events cannot be expressed, and they are logged for every user too
//! (`high_volume`), so those events are a separate, opt-in export (`-IncludeLogonEvents`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kizuna_core::{Lang, WatchList};

use crate::{File, Level, VERSION, encode_ps1, encode_text, fill, ps_string};

/// Default days of events exported.
pub const DEFAULT_DAYS: u32 = 14;
/// Windows takes at most 20 expressions in a plain XPath query and 32 in each `Select` of
/// a structured query ("Consuming Events", "QueryType Complex Type", Microsoft Learn); a
/// select is kept at or under 20 so either form holds.
pub const MAX_EXPRESSIONS: usize = 20;
/// Stands for the window in milliseconds in the generated queries; the script replaces it
/// with `-Days` × 86,400,000 when it runs.
pub const WINDOW_PLACEHOLDER: &str = "@@DAYS_MS@@";

/// How the collector is generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectOptions {
    /// The kizuna server (`https://HOST[:PORT]`) the bundle is sent to; `None`: kept in a folder.
    pub server: Option<String>,
    /// Days of events exported unless `-Days` says otherwise.
    pub days: u32,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            server: None,
            days: DEFAULT_DAYS,
        }
    }
}

/// `https://HOST[:PORT]` (no path): where the collector sends bundles.
pub fn parse_server(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").ok_or_else(|| {
        format!("{s:?}: the server must be https://HOST[:PORT] (evidence travels over TLS only)")
    })?;
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?}: the server must be https://HOST[:PORT], with no path"
        ))
    }
}

/// One export of the collector: a channel, the file it is written to, and the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelQuery {
    pub channel: String,
    /// File name without `.evtx`.
    pub file: String,
    /// Only with `-IncludeLogonEvents`.
    pub opt_in: bool,
    /// Providers with their event ids, sorted.
    pub events: Vec<(String, Vec<u32>)>,
}

impl ChannelQuery {
    /// The XPath selects, one per provider (split when a provider has more ids than one
    /// select may hold): `*[System[Provider[@Name='P'] and (EventID=… or …) and
    /// TimeCreated[timediff(@SystemTime) <= WINDOW]]]`.
    pub fn selects(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (provider, ids) in &self.events {
            // provider + time + ids: each select stays within the limit
            for chunk in ids.chunks(MAX_EXPRESSIONS - 2) {
                let ids: Vec<String> = chunk.iter().map(|id| format!("EventID={id}")).collect();
                out.push(format!(
                    "*[System[Provider[@Name='{provider}'] and ({}) and TimeCreated[timediff(@SystemTime) <= {WINDOW_PLACEHOLDER}]]]",
                    ids.join(" or ")
                ));
            }
        }
        out
    }

    /// The structured query (`QueryList`) `wevtutil epl … /sq:true` reads.
    pub fn query_list(&self) -> String {
        let mut q = format!("<QueryList><Query Id=\"0\" Path=\"{}\">", self.channel);
        for s in self.selects() {
            let _ = write!(
                q,
                "<Select Path=\"{}\">{}</Select>",
                self.channel,
                s.replace('<', "&lt;").replace('>', "&gt;")
            );
        }
        q.push_str("</Query></QueryList>");
        q
    }

    /// `NETLOGON 3210, 5719; LsaSrv 6167` (for the help and the READMEs).
    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .events
            .iter()
            .map(|(p, ids)| {
                let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
                format!("{p} {}", ids.join(", "))
            })
            .collect();
        parts.join("; ")
    }
}

/// The collector's exports, from the watched events: per channel, the events kizuna keeps
/// without condition; the logon and ticket events that it keeps only for computer
/// accounts in an opt-in export of their own.
pub fn channel_queries(watch: &WatchList) -> Vec<ChannelQuery> {
    // (channel, opt-in) -> provider -> ids
    let mut groups: BTreeMap<(String, bool), BTreeMap<String, Vec<u32>>> = BTreeMap::new();
    for e in watch.entries() {
        groups
            .entry((e.channel.clone(), e.high_volume))
            .or_default()
            .entry(e.provider.clone())
            .or_default()
            .extend(&e.ids);
    }
    groups
        .into_iter()
        .map(|((channel, opt_in), providers)| {
            let events = providers
                .into_iter()
                .map(|(p, mut ids)| {
                    ids.sort_unstable();
                    ids.dedup();
                    (p, ids)
                })
                .collect();
            // As Windows names its own log files: `/` is `%4`
            // (`Microsoft-Windows-NTLM%4Operational.evtx`).
            let base = channel.replace('/', "%4");
            let file = if opt_in {
                format!("{base}-logons")
            } else {
                base
            };
            ChannelQuery {
                channel,
                file,
                opt_in,
                events,
            }
        })
        .collect()
}

/// A status of the collector: the first word of its line, what it means, its exit code and
/// its Application-log event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectStatus {
    pub name: &'static str,
    pub event_id: u16,
    pub level: Level,
    pub exit: u8,
    pub en: &'static str,
    pub ja: &'static str,
}

/// Every status the collector writes, in event-id order.
pub const COLLECT_STATUSES: &[CollectStatus] = &[
    CollectStatus {
        name: "SENT",
        event_id: 2000,
        level: Level::Information,
        exit: 0,
        en: "the bundle was collected whole and the server took it",
        ja: "証跡を漏れなく集め、サーバーが受け取った",
    },
    CollectStatus {
        name: "SAVED",
        event_id: 2001,
        level: Level::Information,
        exit: 0,
        en: "no server given: the bundle was collected whole and is in -OutDir",
        ja: "サーバー指定なし: 証跡を漏れなく集め、-OutDir に保存した",
    },
    CollectStatus {
        name: "PARTIAL",
        event_id: 2002,
        level: Level::Warning,
        exit: 3,
        en: "the bundle was sent (or saved) but some evidence could not be read: the line names it",
        ja: "送信(または保存)したが、一部の証跡を読めなかった: 行に内容を表示",
    },
    CollectStatus {
        name: "NOT-SENT",
        event_id: 2003,
        level: Level::Error,
        exit: 2,
        en: "the server did not take the bundle (unreachable, certificate, token, too large): it is kept in -OutDir",
        ja: "サーバーが受け取らなかった(到達不能、証明書、トークン、サイズ超過): -OutDir に保存済み",
    },
    CollectStatus {
        name: "ERROR",
        event_id: 2004,
        level: Level::Error,
        exit: 1,
        en: "nothing was collected (not elevated, a bad -Server, an unsafe or missing token file): the line says why",
        ja: "何も収集できなかった(管理者権限でない、-Server の誤り、トークン ファイルがない・保護されていない): 理由を表示",
    },
];

const SCRIPT: &str = include_str!("ps/collect.ps1");
const README_EN: &str = include_str!("readme/collect.md");
const README_JA: &str = include_str!("readme/collect.ja.md");

/// The script file name.
pub const COLLECT_SCRIPT: &str = "Collect-KizunaEvidence.ps1";

/// The collector kit: the script and its READMEs. Same options, same bytes.
pub fn generate_collector(watch: &WatchList, options: &CollectOptions) -> Vec<File> {
    let queries = channel_queries(watch);
    let mut command = String::from("kizuna scripts collect");
    if let Some(s) = &options.server {
        let _ = write!(command, " --server {s}");
    }
    if options.days != DEFAULT_DAYS {
        let _ = write!(command, " --days {}", options.days);
    }
    let values = vec![
        ("VERSION", VERSION.to_string()),
        ("COMMAND", command),
        ("EVENT_SOURCE", crate::EVENT_SOURCE.to_string()),
        ("SERVER", ps_string(options.server.as_deref().unwrap_or(""))),
        ("DAYS", options.days.to_string()),
        ("DAYS_MS", WINDOW_PLACEHOLDER.to_string()),
        ("CHANNEL_HELP", channel_help(&queries)),
        ("STATUS_HELP", status_help()),
        ("EVENT_TABLE", event_table()),
        ("EXIT_TABLE", exit_table()),
        ("QUERIES", queries_table(&queries)),
        ("DAYS_DEFAULT", DEFAULT_DAYS.to_string()),
        ("STATUS_TABLE_EN", status_table(Lang::En)),
        ("STATUS_TABLE_JA", status_table(Lang::Ja)),
        ("EXPORTS_EN", exports_table(&queries, Lang::En)),
        ("EXPORTS_JA", exports_table(&queries, Lang::Ja)),
    ];
    vec![
        File {
            name: COLLECT_SCRIPT,
            bytes: encode_ps1(&fill(SCRIPT, &values)),
        },
        File {
            name: "README.md",
            bytes: encode_text(&fill(README_EN, &values)),
        },
        File {
            name: "README.ja.md",
            bytes: encode_text(&fill(README_JA, &values)),
        },
    ]
}

fn channel_help(queries: &[ChannelQuery]) -> String {
    let mut out = String::new();
    for q in queries {
        let _ = writeln!(
            out,
            "        {} -> {}.evtx: {}{}",
            q.channel,
            q.file,
            q.describe(),
            if q.opt_in {
                " (-IncludeLogonEvents only)"
            } else {
                ""
            }
        );
    }
    out.trim_end().to_string()
}

fn status_help() -> String {
    let mut out = String::new();
    for s in COLLECT_STATUSES {
        let _ = writeln!(
            out,
            "      exit {}  event {}  {:<9} {}",
            s.exit, s.event_id, s.name, s.en
        );
    }
    out.trim_end().to_string()
}

fn event_table() -> String {
    let rows: Vec<String> = COLLECT_STATUSES
        .iter()
        .map(|s| {
            format!(
                "    {} = @({}, '{}')",
                ps_string(s.name),
                s.event_id,
                s.level.as_str()
            )
        })
        .collect();
    format!("@{{\n{}\n}}", rows.join("\n"))
}

fn exit_table() -> String {
    let rows: Vec<String> = COLLECT_STATUSES
        .iter()
        .map(|s| format!("    {} = {}", ps_string(s.name), s.exit))
        .collect();
    format!("@{{\n{}\n}}", rows.join("\n"))
}

fn queries_table(queries: &[ChannelQuery]) -> String {
    let rows: Vec<String> = queries
        .iter()
        .map(|q| {
            format!(
                "    [PSCustomObject]@{{ Channel = {}; File = {}; OptIn = ${}; Query = {} }}",
                ps_string(&q.channel),
                ps_string(&q.file),
                if q.opt_in { "true" } else { "false" },
                ps_string(&q.query_list())
            )
        })
        .collect();
    rows.join("\n")
}

fn status_table(lang: Lang) -> String {
    let mut out = String::from(match lang {
        Lang::En => "| exit | event | status | meaning |\n|---|---|---|---|\n",
        Lang::Ja => "| 終了コード | イベント | 状態 | 意味 |\n|---|---|---|---|\n",
    });
    for s in COLLECT_STATUSES {
        let text = match lang {
            Lang::En => s.en,
            Lang::Ja => s.ja,
        };
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} |",
            s.exit, s.event_id, s.name, text
        );
    }
    out.trim_end().to_string()
}

fn exports_table(queries: &[ChannelQuery], lang: Lang) -> String {
    let mut out = String::from(match lang {
        Lang::En => "| channel | file | events | when |\n|---|---|---|---|\n",
        Lang::Ja => "| チャネル | ファイル | イベント | 収集 |\n|---|---|---|---|\n",
    });
    for q in queries {
        let when = match (q.opt_in, lang) {
            (false, Lang::En) => "always",
            (false, Lang::Ja) => "常に",
            (true, Lang::En) => "with `-IncludeLogonEvents`",
            (true, Lang::Ja) => "`-IncludeLogonEvents` 指定時",
        };
        let _ = writeln!(
            out,
            "| {} | `{}.evtx` | {} | {} |",
            q.channel,
            q.file,
            q.describe(),
            when
        );
    }
    out.trim_end().to_string()
}
