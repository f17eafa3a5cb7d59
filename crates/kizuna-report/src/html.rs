//! `report.html`: the scan for people who were not at the keyboard — managers, change
//! boards, auditors.
//!
//! One self-contained file: styles, charts (inline SVG) and the small sorting / filtering
//! script are inside it; it loads nothing, so it opens from a file share or an e-mail
//! attachment in a closed network. Everything is readable without script and prints
//! cleanly (the script only sorts and filters tables). Every sentence comes from the
//! message catalogs in the report's language. The same scan gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use chrono::NaiveDate;
use kizuna_core::{Finding, MessageArg, Severity};
use kizuna_core::{InputKind, InputStatus};
use kizuna_i18n::Messages;

use crate::escape::esc;
use crate::{ScanReport, svg};

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Devices named in the heat map of failures, at most.
const HEATMAP_ROWS: usize = 20;
/// DCs drawn as their own line in the events chart; the rest are summed as one.
const CHART_DCS: usize = 7;
/// Evidence rows shown per finding (as in the terminal); all of it is in findings.jsonl
/// and `kizuna events`. Keeps a 500-device report near 500 KB.
const EVIDENCE_SHOWN: usize = 5;

fn has<'a>(r: &ScanReport<'a>, rules: &[&str]) -> Vec<&'a Finding> {
    r.analysis
        .findings
        .iter()
        .filter(|f| rules.contains(&f.rule.0))
        .collect()
}

fn subjects_of(findings: &[&Finding], min: Severity) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|f| f.severity >= min)
        .flat_map(|f| f.subjects.iter().cloned())
        .collect()
}

/// What kinds of evidence were read: decides "not checked" in the checklist.
struct Read {
    events: bool,
    hives: bool,
    identity: bool,
    directory: bool,
}

impl Read {
    fn of(r: &ScanReport<'_>) -> Read {
        let ok = |kinds: &[InputKind]| {
            r.inputs
                .iter()
                .any(|i| i.status != InputStatus::Error && kinds.contains(&i.kind))
        };
        Read {
            events: ok(&[
                InputKind::Evtx,
                InputKind::EventXml,
                InputKind::EventJson,
                InputKind::NetlogonLog,
            ]),
            hives: ok(&[InputKind::HiveSystem]),
            identity: ok(&[
                InputKind::HiveSam,
                InputKind::HiveSecurity,
                InputKind::PsGetSid,
                InputKind::InventoryCsv,
                InputKind::InventoryJson,
            ]),
            directory: ok(&[InputKind::Directory]) || r.directory.is_some(),
        }
    }
}

/// The whole report.
pub fn scan_html(r: &ScanReport<'_>, msg: &Messages) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let mut meta = String::new();
    header_lines(r, msg, &mut meta);
    page_open(
        &mut s,
        msg,
        &msg.text("report-title"),
        &meta,
        &[
            ("summary", "report-summary"),
            ("checklist", "report-checklist"),
            ("charts", "report-charts"),
            ("findings", "report-findings"),
            ("devices", "report-devices"),
            ("inputs", "report-inputs"),
        ],
    );
    summary(r, msg, &mut s);
    checklist(r, msg, &mut s);
    baseline(r, msg, &mut s);
    charts(r, msg, &mut s);
    findings(r, msg, &mut s);
    devices(r, msg, &mut s);
    inputs(r, msg, &mut s);
    page_close(&mut s, msg, r.tool_version);
    s
}

/// The head of a self-contained page (`report.html`, `review.html`): a CSP that allows
/// nothing from outside, the styles, the title, `meta_html` (already escaped) under it
/// and a navigation bar of (section id, message id).
pub(crate) fn page_open(
    s: &mut String,
    msg: &Messages,
    title: &str,
    meta_html: &str,
    nav: &[(&str, &str)],
) {
    let lang = msg.lang().code();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <title>{t}</title><style>{STYLE}</style></head><body>\n<header><h1>{t}</h1><p class=\"meta\">{meta_html}</p>",
        t = esc(title)
    );
    let _ = write!(
        s,
        "<nav>{}</nav></header>\n<main>\n",
        nav.iter()
            .map(|(id, m)| format!("<a href=\"#{id}\">{}</a>", esc(&msg.text(m))))
            .collect::<Vec<_>>()
            .join(" · ")
    );
}

/// The footer and the sorting / filtering script that close a page.
pub(crate) fn page_close(s: &mut String, msg: &Messages, tool_version: &str) {
    let _ = writeln!(
        s,
        "</main><footer>{}</footer><script>{SCRIPT}</script></body></html>",
        esc(&msg.get(
            "report-footer",
            &[("version", MessageArg::Text(tool_version.into()))]
        ))
    );
}

fn header_lines(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    s.push_str(&esc(&crate::inputs_line(r, msg)));
    if let Some(hosts) = crate::hosts_line(r, msg) {
        let _ = write!(s, "<br>{}", esc(&hosts));
    }
    if let Some(skipped) = crate::skipped_line(r, msg) {
        let _ = write!(s, "<br>{}", esc(&skipped));
    }
    if let Some(w) = crate::window_line(r, msg) {
        let _ = write!(s, "<br>{}", esc(&w));
    }
    if let Some((first, last)) = span(r) {
        let _ = write!(
            s,
            "<br>{}",
            esc(&msg.get(
                "report-span",
                &[
                    ("first", MessageArg::Text(first.to_string())),
                    ("last", MessageArg::Text(last.to_string())),
                ]
            ))
        );
    }
}

/// The first and last day with watched events.
fn span(r: &ScanReport<'_>) -> Option<(NaiveDate, NaiveDate)> {
    let a = &r.analysis.activity;
    let days = a
        .events_per_day
        .keys()
        .map(|(d, _)| *d)
        .chain(a.failures_per_day.keys().map(|(_, d)| *d));
    let (mut lo, mut hi) = (None::<NaiveDate>, None::<NaiveDate>);
    for d in days {
        lo = Some(lo.map_or(d, |l| l.min(d)));
        hi = Some(hi.map_or(d, |h| h.max(d)));
    }
    Some((lo?, hi?))
}

fn names(set: &BTreeSet<String>, msg: &Messages) -> String {
    if set.is_empty() {
        return esc(&msg.text("report-none"));
    }
    let shown: Vec<String> = set.iter().take(12).map(|n| esc(n)).collect();
    let more = set.len().saturating_sub(12);
    let mut out = shown.join(", ");
    if more > 0 {
        out.push_str(&esc(
            &msg.get("report-more", &[("count", MessageArg::Number(more as i64))])
        ));
    }
    out
}

/// Devices at risk now and later, by problem.
fn summary(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let known: BTreeSet<&str> = r.analysis.devices.iter().map(|d| d.name.as_str()).collect();
    let only_devices = |set: BTreeSet<String>| -> BTreeSet<String> {
        set.into_iter()
            .filter(|n| known.contains(n.as_str()))
            .collect()
    };
    // Problem A: failing now (a medium or worse secure-channel finding); later: accounts
    // that stopped rotating, and the expected low-severity failures of a mixed domain.
    let a_now = only_devices(subjects_of(
        &has(r, &["KZ-SC-001", "KZ-SC-002", "KZ-SC-003", "KZ-SC-004"]),
        Severity::Medium,
    ));
    let a_later: BTreeSet<String> = only_devices(subjects_of(
        &has(r, &["KZ-SC-001", "KZ-AD-001"]),
        Severity::Low,
    ))
    .difference(&a_now)
    .cloned()
    .collect();
    // Problem B: refused now (both ends enforce, a DC's SID, 6167 logged); later: pairs
    // that break once both ends are updated.
    let b_now = only_devices(subjects_of(
        &has(r, &["KZ-SID-001", "KZ-SID-003", "KZ-SID-004"]),
        Severity::Info,
    ));
    let b_later: BTreeSet<String> =
        only_devices(subjects_of(&has(r, &["KZ-SID-002"]), Severity::Info))
            .difference(&b_now)
            .cloned()
            .collect();
    // The workaround: where it is written (hives) or which GPOs carry it (directory).
    let w_devices = only_devices(subjects_of(
        &has(r, &["KZ-POL-001", "KZ-POL-003", "KZ-POL-004"]),
        Severity::Info,
    ));
    let w_gpos = subjects_of(&has(r, &["KZ-AD-004", "KZ-AD-005"]), Severity::Info);
    // Look-alikes: failing now for another reason (Machine Identity Isolation, refused
    // etypes, blocked NTLMv1, a restored DC and the members it rejects); later: only audit
    // warnings so far.
    let l_now = only_devices(subjects_of(
        &has(r, &kizuna_rules::LOOKALIKE_RULES),
        Severity::High,
    ));
    let l_later: BTreeSet<String> = only_devices(subjects_of(
        &has(r, &["KZ-KRB-001", "KZ-NTLM-001"]),
        Severity::Info,
    ))
    .difference(&l_now)
    .cloned()
    .collect();
    let _ = write!(
        s,
        "<section id=\"summary\"><h2>{}</h2><div class=\"cards\">",
        esc(&msg.text("report-summary"))
    );
    for (title, now, later, now_id, later_id) in [
        (
            "report-problem-a",
            &a_now,
            &a_later,
            "report-a-now",
            "report-a-later",
        ),
        (
            "report-problem-b",
            &b_now,
            &b_later,
            "report-b-now",
            "report-b-later",
        ),
        (
            "report-problem-l",
            &l_now,
            &l_later,
            "report-l-now",
            "report-l-later",
        ),
        (
            "report-problem-w",
            &w_devices,
            &w_gpos,
            "report-w-devices",
            "report-w-gpos",
        ),
    ] {
        let state = if !now.is_empty() {
            "bad"
        } else if !later.is_empty() {
            "warn"
        } else {
            "good"
        };
        let _ = write!(
            s,
            "<div class=\"card {state}\"><h3>{}</h3>\
             <p><span class=\"big\">{}</span> {}</p><p class=\"names\">{}</p>\
             <p><span class=\"big\">{}</span> {}</p><p class=\"names\">{}</p></div>",
            esc(&msg.text(title)),
            now.len(),
            esc(&msg.text(now_id)),
            names(now, msg),
            later.len(),
            esc(&msg.text(later_id)),
            names(later, msg),
        );
    }
    let by_sev = |sv: Severity| {
        r.analysis
            .findings
            .iter()
            .filter(|f| f.severity == sv)
            .count()
    };
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .iter()
    .map(|sv| {
        format!(
            "<span class=\"sev sev-{}\">{} {}</span>",
            sv.as_str(),
            esc(&crate::severity_label(msg, *sv)),
            by_sev(*sv)
        )
    })
    .collect();
    let _ = writeln!(
        s,
        "</div><p>{} {}</p></section>",
        esc(&msg.get(
            "summary-findings",
            &[("count", r.analysis.findings.len().into())]
        )),
        counts.join(" ")
    );
}

/// The article's checklist: each item is done, needs action, or could not be checked
/// with the evidence read.
fn checklist(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let read = Read::of(r);
    let overdue_gpo = has(r, &["KZ-AD-005"]).iter().any(|f| {
        matches!(f.args.get("expiry"), Some(MessageArg::Text(e)) if e == "overdue" || e == "none")
    });
    let items: [(&str, bool, bool); 9] = [
        (
            "report-check-sc",
            read.events,
            has(r, &["KZ-SC-001", "KZ-SC-002", "KZ-SC-003", "KZ-SC-004"])
                .iter()
                .any(|f| f.severity >= Severity::Medium),
        ),
        (
            "report-check-lookalikes",
            read.events,
            !has(r, &kizuna_rules::LOOKALIKE_RULES).is_empty(),
        ),
        (
            "report-check-scope",
            read.hives || read.directory,
            !has(r, &["KZ-POL-001", "KZ-AD-004"]).is_empty(),
        ),
        (
            "report-check-disable",
            read.hives,
            !has(r, &["KZ-POL-002"]).is_empty(),
        ),
        ("report-check-expiry", read.directory, overdue_gpo),
        (
            "report-check-rollback",
            read.hives && r.analysis.expiry.is_some(),
            !has(r, &["KZ-POL-004"]).is_empty(),
        ),
        (
            "report-check-sid-now",
            read.identity || read.events,
            !has(r, &["KZ-SID-001", "KZ-SID-003", "KZ-SID-004"]).is_empty(),
        ),
        (
            "report-check-sid-later",
            read.identity,
            !has(r, &["KZ-SID-002"]).is_empty(),
        ),
        (
            "report-check-accounts",
            read.directory,
            !has(r, &["KZ-AD-001", "KZ-AD-002", "KZ-AD-006"]).is_empty(),
        ),
    ];
    let _ = write!(
        s,
        "<section id=\"checklist\"><h2>{}</h2><ul class=\"checklist\">",
        esc(&msg.text("report-checklist"))
    );
    for (id, checked, action) in items {
        let state = match (checked, action) {
            (_, true) => "action",
            (true, false) => "ok",
            (false, false) => "unknown",
        };
        let _ = write!(
            s,
            "<li class=\"{state}\"><span class=\"mark\">{}</span> {}</li>",
            esc(&msg.text(&format!("report-state-{state}"))),
            esc(&msg.text(id))
        );
    }
    s.push_str("</ul></section>\n");
}

/// The baseline findings (PingCastle, CIS, STIG) the workaround in place brings.
fn baseline(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let flag = |f: &Finding, name: &str| matches!(f.args.get(name), Some(MessageArg::Text(v)) if v == "yes");
    let gpos = has(r, &["KZ-AD-005"]);
    let refuse = gpos.iter().any(|f| flag(f, "refuse"))
        || !has(r, &["KZ-POL-001"]).is_empty()
        || r.analysis.devices.iter().any(|d| {
            d.role == kizuna_core::DeviceRole::Dc
                && d.netlogon.get("RefusePasswordChange") == Some(&1)
        });
    let age = gpos.iter().any(|f| flag(f, "age")) || !has(r, &["KZ-POL-003"]).is_empty();
    let disable = gpos.iter().any(|f| flag(f, "disable")) || !has(r, &["KZ-POL-002"]).is_empty();
    let _ = write!(
        s,
        "<section id=\"baseline\"><h2>{}</h2>",
        esc(&msg.text("report-baseline"))
    );
    let lines: Vec<&str> = [
        (refuse, "report-baseline-refuse"),
        (age, "report-baseline-age"),
        (disable, "report-baseline-disable"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, id)| *id)
    .collect();
    if lines.is_empty() {
        let _ = write!(s, "<p>{}</p>", esc(&msg.text("report-baseline-none")));
    } else {
        s.push_str("<ul>");
        for id in lines {
            let _ = write!(s, "<li>{}</li>", esc(&msg.text(id)));
        }
        s.push_str("</ul>");
    }
    s.push_str("</section>\n");
}

fn charts(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let _ = write!(
        s,
        "<section id=\"charts\"><h2>{}</h2>",
        esc(&msg.text("report-charts"))
    );
    let empty = || {
        format!(
            "<p class=\"empty\">{}</p>",
            esc(&msg.text("report-chart-empty"))
        )
    };
    let figure = |s: &mut String, title: &str, body: String| {
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption>{body}</figure>",
            esc(title)
        );
    };
    let a = &r.analysis.activity;
    let span = span(r);

    // Watched events per day by DC: the DCs with most events each get a line.
    let dcs: BTreeSet<&str> = r
        .analysis
        .devices
        .iter()
        .filter(|d| d.role == kizuna_core::DeviceRole::Dc)
        .map(|d| d.name.as_str())
        .collect();
    let mut per_dc: BTreeMap<&str, Vec<(NaiveDate, u64)>> = BTreeMap::new();
    for ((day, logger), n) in &a.events_per_day {
        if dcs.contains(logger.as_str()) {
            per_dc.entry(logger).or_default().push((*day, *n));
        }
    }
    let title = msg.text("report-chart-events");
    match span.filter(|_| !per_dc.is_empty()) {
        Some((first, last)) => {
            let ranked = busiest_first(per_dc);
            let mut series: Vec<(String, Vec<(NaiveDate, u64)>)> = ranked
                .iter()
                .take(CHART_DCS)
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            if ranked.len() > CHART_DCS {
                let mut rest: BTreeMap<NaiveDate, u64> = BTreeMap::new();
                for (_, v) in &ranked[CHART_DCS..] {
                    for (d, n) in v {
                        *rest.entry(*d).or_default() += n;
                    }
                }
                series.push((
                    msg.get(
                        "report-other-dcs",
                        &[("count", (ranked.len() - CHART_DCS).into())],
                    ),
                    rest.into_iter().collect(),
                ));
            }
            figure(s, &title, svg::lines(&title, &series, first, last));
        }
        None => figure(s, &title, empty()),
    }

    // Failure events per device and day: the devices with most.
    let mut per_device: BTreeMap<&str, Vec<(NaiveDate, u64)>> = BTreeMap::new();
    for ((device, day), n) in &a.failures_per_day {
        per_device.entry(device).or_default().push((*day, *n));
    }
    let ranked = busiest_first(per_device);
    let title = msg.get(
        "report-chart-failures",
        &[
            ("count", ranked.len().min(HEATMAP_ROWS).into()),
            ("total", ranked.len().into()),
        ],
    );
    match span.filter(|_| !ranked.is_empty()) {
        Some((first, last)) => {
            let rows: Vec<(String, Vec<(NaiveDate, u64)>)> = ranked
                .into_iter()
                .take(HEATMAP_ROWS)
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            figure(s, &title, svg::heatmap(&title, &rows, first, last));
        }
        None => figure(s, &title, empty()),
    }

    // Duplicate-SID groups: devices per group, coloured by the group's severity.
    let title = msg.text("report-chart-sid");
    let groups: Vec<(String, u64, &str, String)> =
        has(r, &["KZ-SID-001", "KZ-SID-002", "KZ-SID-003"])
            .iter()
            .map(|f| {
                let sid = match f.args.get("sid") {
                    Some(MessageArg::Text(t)) => t.clone(),
                    _ => f.subjects.first().cloned().unwrap_or_default(),
                };
                (
                    short_sid(&sid),
                    f.subjects.len() as u64,
                    match f.severity {
                        Severity::Critical => "sev-critical",
                        Severity::High => "sev-high",
                        _ => "sev-medium",
                    },
                    f.rule.to_string(),
                )
            })
            .collect();
    if groups.is_empty() {
        figure(s, &title, empty());
    } else {
        figure(s, &title, svg::bars(&title, &groups));
    }

    // Machine password age of enabled computer accounts (directory).
    let title = msg.text("report-chart-rotation");
    match r.directory {
        Some((snap, now)) => {
            let mut buckets = [0u64; 6];
            for c in snap.computers.iter().filter(|c| c.enabled()) {
                let i = match c.pwd_last_set {
                    None => 5,
                    Some(t) => match (now - t).num_days() {
                        ..=30 => 0,
                        31..=45 => 1,
                        46..=60 => 2,
                        61..=90 => 3,
                        _ => 4,
                    },
                };
                buckets[i] += 1;
            }
            let classes = [
                "sev-ok",
                "sev-low",
                "sev-medium",
                "sev-high",
                "sev-critical",
                "sev-info",
            ];
            let bars: Vec<(String, u64, &str, String)> = [
                "report-age-30",
                "report-age-45",
                "report-age-60",
                "report-age-90",
                "report-age-older",
                "report-age-never",
            ]
            .iter()
            .zip(buckets)
            .zip(classes)
            .map(|((id, n), class)| (msg.text(id), n, class, String::new()))
            .collect();
            figure(s, &title, svg::bars(&title, &bars));
        }
        None => figure(s, &title, empty()),
    }
    s.push_str("</section>\n");
}

/// Day series, the largest total first (ties by name).
type Series<'a> = Vec<(&'a str, Vec<(NaiveDate, u64)>)>;

fn busiest_first(by_name: BTreeMap<&str, Vec<(NaiveDate, u64)>>) -> Series<'_> {
    let mut ranked: Series<'_> = by_name.into_iter().collect();
    ranked.sort_by_key(|(name, v)| {
        (
            std::cmp::Reverse(v.iter().map(|x| x.1).sum::<u64>()),
            name.to_string(),
        )
    });
    ranked
}

/// `S-1-5-21-…-3812009611`: the tail that tells groups apart.
fn short_sid(sid: &str) -> String {
    match sid.rsplit_once('-') {
        Some((_, tail)) if sid.len() > 24 => format!("…-{tail}"),
        _ => sid.to_string(),
    }
}

pub(crate) fn filter_box(msg: &Messages, table: &str) -> String {
    format!(
        "<p class=\"noprint\"><label>{} <input type=\"search\" data-filter=\"{table}\"></label></p>",
        esc(&msg.text("report-filter"))
    )
}

pub(crate) fn th(msg: &Messages, ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("<th>{}</th>", esc(&msg.text(id))))
        .collect()
}

/// A filter box and the head of the sortable table `id`, columns named from the catalog;
/// the rows and `</tbody></table>` follow.
pub(crate) fn sortable_table(msg: &Messages, id: &str, columns: &[&str]) -> String {
    format!(
        "{}<table id=\"{id}\" class=\"sortable\"><thead><tr>{}</tr></thead><tbody>",
        filter_box(msg, id),
        th(msg, columns)
    )
}

/// A cell with a severity badge, sorting most severe first; "-" (last) without one.
pub(crate) fn severity_cell(msg: &Messages, severity: Option<Severity>) -> String {
    match severity {
        Some(sv) => format!(
            "<td data-sort=\"{}\"><span class=\"sev sev-{}\">{}</span></td>",
            4 - sv as u8,
            sv.as_str(),
            esc(&crate::severity_label(msg, sv))
        ),
        None => "<td data-sort=\"9\">-</td>".to_string(),
    }
}

fn findings(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let _ = write!(
        s,
        "<section id=\"findings\"><h2>{}</h2>",
        esc(&msg.text("report-findings"))
    );
    if r.analysis.findings.is_empty() {
        let _ = writeln!(
            s,
            "<p>{}</p></section>",
            esc(&msg.text("summary-no-findings"))
        );
        return;
    }
    s.push_str(&sortable_table(
        msg,
        "findings-table",
        &[
            "report-col-severity",
            "report-col-rule",
            "report-col-title",
            "report-col-count",
        ],
    ));
    for (i, f) in r.analysis.findings.iter().enumerate() {
        let _ = write!(
            s,
            "<tr>{sev}<td>{rule}</td><td><a href=\"#f{i}\">{title}</a></td><td>{n}</td></tr>",
            sev = severity_cell(msg, Some(f.severity)),
            rule = f.rule,
            title = esc(&msg.title(f)),
            n = f.subjects.len(),
        );
    }
    s.push_str("</tbody></table>");
    for (i, f) in r.analysis.findings.iter().enumerate() {
        let about = format!("{}-about", f.rule);
        let _ = write!(
            s,
            "<article id=\"f{i}\" class=\"finding\"><h3><span class=\"sev sev-{sv}\">{label}</span> {rule} {title}</h3>\
             <p>{detail}</p><p class=\"subjects\"><b>{subjects_label}</b> {subjects}</p>",
            sv = f.severity.as_str(),
            label = esc(&crate::severity_label(msg, f.severity)),
            rule = f.rule,
            title = esc(&msg.title(f)),
            detail = esc(&msg.detail(f)),
            subjects_label = esc(&msg.text("report-col-subjects")),
            subjects = esc(&f.subjects.join(", ")),
        );
        if msg.has(&about) {
            let _ = write!(
                s,
                "<p class=\"about\"><b>{}</b> {}</p>",
                esc(&msg.text("report-about")),
                esc(&msg.text(&about))
            );
        }
        let _ = write!(
            s,
            "<div class=\"remedy\"><b>{}</b> {}</div>",
            esc(&msg.text("summary-remedy")),
            esc(&msg.remedy(f))
        );
        if !f.evidence.is_empty() {
            let _ = write!(
                s,
                "<details><summary>{}</summary><table class=\"evidence\"><thead><tr>{}</tr></thead><tbody>",
                esc(&msg.get(
                    "summary-evidence",
                    &[
                        ("shown", f.evidence.len().min(EVIDENCE_SHOWN).into()),
                        ("total", f.evidence_total.into())
                    ]
                )),
                th(
                    msg,
                    &[
                        "report-col-time",
                        "report-col-evidence",
                        "report-col-source"
                    ]
                )
            );
            for e in f.evidence.iter().take(EVIDENCE_SHOWN) {
                let at = crate::evidence_location(e);
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td class=\"path\">{}</td></tr>",
                    e.time
                        .map_or("?".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
                    esc(&e.label),
                    esc(&at)
                );
            }
            s.push_str("</tbody></table></details>");
        }
        s.push_str("</article>\n");
    }
    s.push_str("</section>\n");
}

fn devices(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let _ = write!(
        s,
        "<section id=\"devices\"><h2>{}</h2>",
        esc(&msg.get(
            "report-devices-count",
            &[("count", r.analysis.devices.len().into())]
        ))
    );
    s.push_str(&sortable_table(
        msg,
        "devices-table",
        &[
            "report-col-device",
            "report-col-role",
            "report-col-domain",
            "report-col-build",
            "report-col-sidcheck",
            "report-col-sid",
            "report-col-worst",
            "report-col-count",
        ],
    ));
    let per_device = crate::findings_by_device(r.analysis);
    for d in &r.analysis.devices {
        let found = per_device.get(d.name.as_str());
        let worst = severity_cell(msg, found.map(|(sv, _)| *sv));
        let n = found.map_or(0, |(_, n)| *n);
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"sid\">{}</td>{worst}<td>{n}</td></tr>",
            esc(&d.name),
            d.role.as_str(),
            esc(d.domain.as_deref().unwrap_or("-")),
            d.os_build.map_or("-".into(), |b| b.to_string()),
            d.affected.as_str(),
            d.machine_sid.map_or("-".into(), |m| m.to_string()),
        );
    }
    s.push_str("</tbody></table></section>\n");
}

/// Inputs by kind (files, records, kept), then each input that was not read cleanly with
/// its first errors: a scan of 30,000 files stays a short table.
fn inputs(r: &ScanReport<'_>, msg: &Messages, s: &mut String) {
    let _ = write!(
        s,
        "<section id=\"inputs\"><h2>{}</h2><table class=\"sortable\"><thead><tr>{}</tr></thead><tbody>",
        esc(&msg.text("report-inputs")),
        th(
            msg,
            &[
                "report-col-kind",
                "report-col-files",
                "report-col-records",
                "report-col-kept"
            ]
        )
    );
    let mut by_kind: BTreeMap<&str, (usize, u64, u64)> = BTreeMap::new();
    for i in r.inputs {
        let e = by_kind.entry(i.kind.as_str()).or_default();
        e.0 += 1;
        e.1 += i.records;
        e.2 += i.kept;
    }
    for (kind, (files, records, kept)) in by_kind {
        let _ = write!(
            s,
            "<tr><td>{kind}</td><td>{files}</td><td>{records}</td><td>{kept}</td></tr>"
        );
    }
    s.push_str("</tbody></table>");
    let problems: Vec<_> = r
        .inputs
        .iter()
        .filter(|i| !matches!(i.status, InputStatus::Ok | InputStatus::Skipped))
        .collect();
    if !problems.is_empty() {
        let _ = write!(
            s,
            "<table class=\"sortable\"><thead><tr>{}</tr></thead><tbody>",
            th(
                msg,
                &[
                    "report-col-status",
                    "report-col-kind",
                    "report-col-path",
                    "report-col-records",
                    "report-col-kept"
                ]
            )
        );
        for i in problems {
            let _ = write!(
                s,
                "<tr class=\"{st}\"><td>{st}</td><td>{}</td><td class=\"path\">{}</td><td>{}</td><td>{}</td></tr>",
                i.kind.as_str(),
                esc(&i.path),
                i.records,
                i.kept,
                st = i.status.as_str(),
            );
            for e in i.errors.iter().take(3) {
                let _ = write!(
                    s,
                    "<tr class=\"error-line\"><td></td><td colspan=\"4\">{}</td></tr>",
                    esc(e)
                );
            }
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn long_sids_are_shortened_to_their_tail() {
        assert_eq!(
            short_sid("S-1-5-21-2915613264-1180441290-3812009611"),
            "…-3812009611"
        );
        assert_eq!(short_sid("PC1"), "PC1");
    }
}
