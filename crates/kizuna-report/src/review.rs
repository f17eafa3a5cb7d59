//! The weekly review (`kizuna report`): what changed since the baseline, for the terminal,
//! as JSON (`kizuna.review/1`), as a self-contained `review.html` and as a devices CSV.

use std::fmt::Write;

use chrono::NaiveDate;
use kizuna_core::{MessageArg, Timestamp};
use kizuna_i18n::Messages;
use kizuna_rules::review::{Change, Review, ReviewedFinding};
use serde::Serialize;

use crate::escape::esc;
use crate::html::{page_close, page_open, severity_cell, sortable_table};
use crate::{csv_field, rfc3339, svg};

/// What the review compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// The previous window of the same length, from the same store.
    PreviousWindow,
    /// A scan recorded in a store: its id, when it ran, and the store when it is not the
    /// reviewed one.
    Scan {
        id: i64,
        time: Timestamp,
        db: Option<String>,
    },
}

/// Everything an output needs to show about one review.
pub struct ReviewReport<'a> {
    pub tool_version: &'a str,
    pub db: String,
    pub since: Timestamp,
    pub until: Timestamp,
    /// Start of the previous window (it ends at `since`).
    pub previous_since: Timestamp,
    pub baseline: Baseline,
    pub review: &'a Review,
}

fn minute(t: &Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl ReviewReport<'_> {
    fn count(&self, c: Change) -> usize {
        self.review
            .findings
            .iter()
            .filter(|f| f.change == c)
            .count()
    }

    fn title(&self, msg: &Messages) -> String {
        msg.get(
            "review-title",
            &[
                ("since", minute(&self.since).into()),
                ("until", minute(&self.until).into()),
            ],
        )
    }

    fn baseline_line(&self, msg: &Messages) -> String {
        match &self.baseline {
            Baseline::PreviousWindow => msg.get(
                "review-baseline-window",
                &[
                    ("since", minute(&self.previous_since).into()),
                    ("until", minute(&self.since).into()),
                ],
            ),
            Baseline::Scan { id, time, db } => {
                let mut args = vec![
                    ("id", MessageArg::Number(*id)),
                    ("time", minute(time).into()),
                ];
                match db {
                    Some(db) => {
                        args.push(("db", db.clone().into()));
                        msg.get("review-baseline-scan-other", &args)
                    }
                    None => msg.get("review-baseline-scan", &args),
                }
            }
        }
    }

    fn counts_line(&self, msg: &Messages) -> String {
        msg.get(
            "review-counts",
            &[
                ("new", self.count(Change::New).into()),
                ("persisting", self.count(Change::Persisting).into()),
                ("resolved", self.count(Change::Resolved).into()),
            ],
        )
    }
}

fn change_label(msg: &Messages, c: Change) -> String {
    msg.text(&format!("review-change-{}", c.as_str()))
}

/// "joined: PC12 · left: PC03 · was HIGH": what moved in a persisting finding.
fn moved_line(f: &ReviewedFinding, msg: &Messages) -> Option<String> {
    let (joined, left) = f.subjects_moved();
    let mut parts = Vec::new();
    if !joined.is_empty() {
        parts.push(msg.get("review-joined", &[("names", joined.join(", ").into())]));
    }
    if !left.is_empty() {
        parts.push(msg.get("review-left", &[("names", left.join(", ").into())]));
    }
    if let (Some(now), Some(before)) = (&f.now, &f.before)
        && now.severity != before.severity
    {
        parts.push(msg.get(
            "review-severity-was",
            &[(
                "severity",
                crate::severity_label(msg, before.severity).into(),
            )],
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Per-day counts as a row of block characters, one per day.
fn sparkline(days: &[(NaiveDate, u64)]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    days.iter()
        .map(|(_, n)| match (*n, max) {
            (0, _) => '·',
            (n, max) => BARS[((n * 7) / max) as usize],
        })
        .collect()
}

/// Per-day counts split at the start of this window: (previous, this).
fn split_days(r: &ReviewReport<'_>, days: &[(NaiveDate, u64)]) -> (String, String) {
    let cut = r.since.date_naive();
    let at = days.partition_point(|(d, _)| *d < cut);
    let whole = sparkline(days);
    let chars: Vec<char> = whole.chars().collect();
    (chars[..at].iter().collect(), chars[at..].iter().collect())
}

/// The terminal review.
pub fn review_text(r: &ReviewReport<'_>, msg: &Messages) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.title(msg));
    let _ = writeln!(s, "{}", r.baseline_line(msg));
    let _ = writeln!(
        s,
        "{}",
        msg.get("summary-db", &[("path", r.db.clone().into())])
    );
    let _ = writeln!(s, "{}\n", r.counts_line(msg));

    for change in [Change::New, Change::Persisting, Change::Resolved] {
        let _ = writeln!(
            s,
            "{}",
            msg.text(&format!("review-heading-{}", change.as_str()))
        );
        let mut any = false;
        for f in r.review.findings.iter().filter(|f| f.change == change) {
            any = true;
            let cur = f.current();
            let _ = writeln!(
                s,
                "  [{}] {} {}",
                crate::severity_label(msg, cur.severity),
                cur.rule,
                msg.record_title(cur)
            );
            if let Some(m) = moved_line(f, msg) {
                let _ = writeln!(s, "      {m}");
            }
        }
        if !any {
            let _ = writeln!(s, "  {}", msg.text("review-none"));
        }
        if change == Change::Resolved && any {
            let _ = writeln!(s, "  {}", msg.text("review-resolved-note"));
        }
        s.push('\n');
    }

    let _ = writeln!(s, "{}", msg.text("review-events"));
    if r.review.events.is_empty() {
        let _ = writeln!(s, "  {}", msg.text("summary-no-events"));
    }
    let events: Vec<Vec<String>> = r
        .review
        .events
        .iter()
        .map(|e| {
            vec![
                e.provider.clone(),
                e.event_id.to_string(),
                format!("{} → {}", e.before, e.now),
            ]
        })
        .collect();
    for line in kizuna_i18n::aligned(&events, "  ") {
        let _ = writeln!(s, "{line}");
    }
    s.push('\n');
    let _ = writeln!(s, "{}", msg.text("review-per-day"));
    let cut = r.since.date_naive();
    let days: Vec<Vec<String>> = [
        ("review-per-day-failures", &r.review.failures_per_day),
        ("review-per-day-events", &r.review.events_per_day),
    ]
    .into_iter()
    .map(|(id, days)| {
        let (before, now) = split_days(r, days);
        let total = |this: bool| -> u64 {
            days.iter()
                .filter(|(day, _)| (*day >= cut) == this)
                .map(|(_, n)| n)
                .sum()
        };
        vec![
            msg.text(id),
            format!("{before} | {now}"),
            format!("({} → {})", total(false), total(true)),
        ]
    })
    .collect();
    for line in kizuna_i18n::aligned(&days, "  ") {
        let _ = writeln!(s, "{line}");
    }
    s.push('\n');

    let _ = writeln!(s, "{}", msg.text("review-devices"));
    if r.review.devices.is_empty() {
        let _ = writeln!(s, "  {}", msg.text("review-none"));
        return s;
    }
    let mut rows = vec![
        [
            "review-col-change",
            "report-col-device",
            "report-col-role",
            "report-col-worst",
            "review-col-before",
            "review-col-now",
            "review-col-last-failure",
            "report-col-rule",
        ]
        .map(|id| msg.text(id))
        .to_vec(),
    ];
    rows.extend(r.review.devices.iter().map(|d| {
        vec![
            change_label(msg, d.change),
            d.name.clone(),
            d.role.as_str().to_string(),
            d.worst
                .map_or("-".to_string(), |w| crate::severity_label(msg, w)),
            d.failures_before.to_string(),
            d.failures_now.to_string(),
            d.last_failure.map_or("-".to_string(), |d| d.to_string()),
            d.rules.join(" "),
        ]
    }));
    for line in kizuna_i18n::aligned(&rows, "  ") {
        let _ = writeln!(s, "{line}");
    }
    s
}

#[derive(Serialize)]
struct Window {
    since: String,
    until: String,
}

#[derive(Serialize)]
struct BaselineJson {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db: Option<String>,
}

#[derive(Serialize)]
struct Counts {
    new: usize,
    persisting: usize,
    resolved: usize,
}

#[derive(Serialize)]
struct FindingJson {
    change: &'static str,
    rule: String,
    severity: &'static str,
    severity_before: Option<&'static str>,
    subjects: Vec<String>,
    subjects_joined: Vec<String>,
    subjects_left: Vec<String>,
    title: String,
}

#[derive(Serialize)]
struct EventJson<'a> {
    provider: &'a str,
    event_id: u32,
    before: u64,
    now: u64,
}

#[derive(Serialize)]
struct DayJson {
    date: String,
    window: &'static str,
    events: u64,
    failures: u64,
}

#[derive(Serialize)]
struct DeviceJson<'a> {
    name: &'a str,
    role: &'static str,
    os_build: Option<&'a str>,
    change: &'static str,
    worst: Option<&'static str>,
    rules: &'a [String],
    failures_before: u64,
    failures_now: u64,
    last_failure: Option<String>,
}

#[derive(Serialize)]
struct ReviewJson<'a> {
    schema: &'static str,
    tool: serde_json::Value,
    lang: &'static str,
    db: &'a str,
    window: Window,
    previous_window: Window,
    baseline: BaselineJson,
    counts: Counts,
    findings: Vec<FindingJson>,
    events: Vec<EventJson<'a>>,
    days: Vec<DayJson>,
    devices: Vec<DeviceJson<'a>>,
}

/// The review as one JSON document (`schema`: `kizuna.review/1`), fields in a fixed order.
pub fn review_json(r: &ReviewReport<'_>, msg: &Messages) -> String {
    let cut = r.since.date_naive();
    let doc = ReviewJson {
        schema: "kizuna.review/1",
        tool: serde_json::json!({"name": "kizuna", "version": r.tool_version}),
        lang: msg.lang().code(),
        db: &r.db,
        window: Window {
            since: rfc3339(&r.since),
            until: rfc3339(&r.until),
        },
        previous_window: Window {
            since: rfc3339(&r.previous_since),
            until: rfc3339(&r.since),
        },
        baseline: match &r.baseline {
            Baseline::PreviousWindow => BaselineJson {
                kind: "previous-window",
                scan_id: None,
                time: None,
                db: None,
            },
            Baseline::Scan { id, time, db } => BaselineJson {
                kind: "scan",
                scan_id: Some(*id),
                time: Some(rfc3339(time)),
                db: db.clone(),
            },
        },
        counts: Counts {
            new: r.count(Change::New),
            persisting: r.count(Change::Persisting),
            resolved: r.count(Change::Resolved),
        },
        findings: r
            .review
            .findings
            .iter()
            .map(|f| {
                let cur = f.current();
                let (joined, left) = f.subjects_moved();
                FindingJson {
                    change: f.change.as_str(),
                    rule: cur.rule.clone(),
                    severity: cur.severity.as_str(),
                    severity_before: match (&f.now, &f.before) {
                        (Some(_), Some(b)) => Some(b.severity.as_str()),
                        _ => None,
                    },
                    subjects: cur.subjects.clone(),
                    subjects_joined: joined.into_iter().map(String::from).collect(),
                    subjects_left: left.into_iter().map(String::from).collect(),
                    title: msg.record_title(cur),
                }
            })
            .collect(),
        events: r
            .review
            .events
            .iter()
            .map(|e| EventJson {
                provider: &e.provider,
                event_id: e.event_id,
                before: e.before,
                now: e.now,
            })
            .collect(),
        days: r
            .review
            .events_per_day
            .iter()
            .zip(&r.review.failures_per_day)
            .map(|((d, events), (_, failures))| DayJson {
                date: d.to_string(),
                window: if *d < cut { "previous" } else { "this" },
                events: *events,
                failures: *failures,
            })
            .collect(),
        devices: r
            .review
            .devices
            .iter()
            .map(|d| DeviceJson {
                name: &d.name,
                role: d.role.as_str(),
                os_build: d.os_build.as_deref(),
                change: d.change.as_str(),
                worst: d.worst.map(|w| w.as_str()),
                rules: &d.rules,
                failures_before: d.failures_before,
                failures_now: d.failures_now,
                last_failure: d.last_failure.map(|d| d.to_string()),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("the review serializes");
    s.push('\n');
    s
}

/// The devices of the review as CSV (UTF-8 with BOM, CRLF; English column names).
pub fn review_devices_csv(r: &ReviewReport<'_>) -> String {
    let mut s = String::from(crate::BOM);
    s.push_str(
        "change,device,role,os_build,worst,rules,failures_before,failures_now,last_failure\r\n",
    );
    for d in &r.review.devices {
        let fields = [
            d.change.as_str().to_string(),
            d.name.clone(),
            d.role.as_str().to_string(),
            d.os_build.clone().unwrap_or_default(),
            d.worst.map(|w| w.as_str().to_string()).unwrap_or_default(),
            d.rules.join(" "),
            d.failures_before.to_string(),
            d.failures_now.to_string(),
            d.last_failure.map(|d| d.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        s.push_str(&line.join(","));
        s.push_str("\r\n");
    }
    s
}

/// `review.html`: the same review for people who read it later; self-contained like
/// `report.html`, with its styles and sorting script.
pub fn review_html(r: &ReviewReport<'_>, msg: &Messages) -> String {
    let mut s = String::with_capacity(32 * 1024);
    let title = r.title(msg);
    let meta = format!(
        "{}<br>{}",
        esc(&r.baseline_line(msg)),
        esc(&msg.get("summary-db", &[("path", r.db.clone().into())]))
    );
    page_open(
        &mut s,
        msg,
        &title,
        &meta,
        &[
            ("changes", "review-changes"),
            ("trend", "review-per-day"),
            ("events", "review-events"),
            ("devices", "review-devices"),
        ],
    );

    let _ = write!(
        s,
        "<section id=\"changes\"><h2>{}</h2><div class=\"cards\">",
        esc(&msg.text("review-changes"))
    );
    for (c, class) in [
        (Change::New, "bad"),
        (Change::Persisting, "warn"),
        (Change::Resolved, ""),
    ] {
        let _ = write!(
            s,
            "<div class=\"card {class}\"><h3>{}</h3><p class=\"big\">{}</p></div>",
            esc(&msg.text(&format!("review-heading-{}", c.as_str()))),
            r.count(c)
        );
    }
    s.push_str("</div>");
    if r.review.findings.is_empty() {
        let _ = write!(s, "<p>{}</p>", esc(&msg.text("review-none")));
    } else {
        s.push_str(&sortable_table(
            msg,
            "changes-table",
            &[
                "review-col-change",
                "report-col-severity",
                "report-col-rule",
                "report-col-title",
                "review-col-moved",
            ],
        ));
        for f in &r.review.findings {
            let cur = f.current();
            let _ = write!(
                s,
                "<tr class=\"{}\"><td data-sort=\"{}\">{}</td>{}<td>{}</td><td>{}</td><td>{}</td></tr>",
                f.change.as_str(),
                f.change as u8,
                esc(&change_label(msg, f.change)),
                severity_cell(msg, Some(cur.severity)),
                esc(&cur.rule),
                esc(&msg.record_title(cur)),
                esc(&moved_line(f, msg).unwrap_or_default()),
            );
        }
        s.push_str("</tbody></table>");
        if r.count(Change::Resolved) > 0 {
            let _ = write!(
                s,
                "<p class=\"about\">{}</p>",
                esc(&msg.text("review-resolved-note"))
            );
        }
    }
    s.push_str("</section>\n");

    let _ = write!(
        s,
        "<section id=\"trend\"><h2>{}</h2>",
        esc(&msg.text("review-per-day"))
    );
    if let (Some((first, _)), Some((last, _))) = (
        r.review.failures_per_day.first(),
        r.review.failures_per_day.last(),
    ) {
        let series = [
            (
                msg.text("review-per-day-failures"),
                r.review.failures_per_day.clone(),
            ),
            (
                msg.text("review-per-day-events"),
                r.review.events_per_day.clone(),
            ),
        ];
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(&r.baseline_line(msg)),
            svg::lines(&msg.text("review-per-day"), &series, *first, *last)
        );
    }
    s.push_str("</section>\n");

    let _ = write!(
        s,
        "<section id=\"events\"><h2>{}</h2>",
        esc(&msg.text("review-events"))
    );
    if r.review.events.is_empty() {
        let _ = write!(s, "<p>{}</p>", esc(&msg.text("summary-no-events")));
    } else {
        let _ = write!(
            s,
            "<table class=\"sortable\"><thead><tr><th>{}</th><th>ID</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            esc(&msg.text("review-col-provider")),
            esc(&msg.text("review-col-before")),
            esc(&msg.text("review-col-now")),
        );
        for e in &r.review.events {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.provider),
                e.event_id,
                e.before,
                e.now
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");

    let _ = write!(
        s,
        "<section id=\"devices\"><h2>{}</h2>",
        esc(&msg.text("review-devices"))
    );
    if r.review.devices.is_empty() {
        let _ = write!(s, "<p>{}</p>", esc(&msg.text("review-none")));
    } else {
        s.push_str(&sortable_table(
            msg,
            "review-devices-table",
            &[
                "review-col-change",
                "report-col-device",
                "report-col-role",
                "report-col-build",
                "report-col-worst",
                "review-col-before",
                "review-col-now",
                "review-col-last-failure",
                "report-col-rule",
            ],
        ));
        for d in &r.review.devices {
            let worst = severity_cell(msg, d.worst);
            let _ = write!(
                s,
                "<tr><td data-sort=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td>{worst}<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.change as u8,
                esc(&change_label(msg, d.change)),
                esc(&d.name),
                d.role.as_str(),
                esc(d.os_build.as_deref().unwrap_or("-")),
                d.failures_before,
                d.failures_now,
                d.last_failure.map_or("-".to_string(), |d| d.to_string()),
                esc(&d.rules.join(" ")),
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");
    page_close(&mut s, msg, r.tool_version);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_busiest_day_and_marks_empty_days() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        assert_eq!(sparkline(&[(d(1), 0), (d(2), 1), (d(3), 7)]), "·▂█");
        assert_eq!(sparkline(&[]), "");
    }
}

/// A file of a weekly review: what `kizuna report --out` writes and the server offers
/// for download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFile {
    Html,
    Json,
    DevicesCsv,
}

impl crate::NamedFile for ReviewFile {
    const ALL: &'static [ReviewFile] =
        &[ReviewFile::Html, ReviewFile::Json, ReviewFile::DevicesCsv];

    fn name(self) -> &'static str {
        match self {
            ReviewFile::Html => "review.html",
            ReviewFile::Json => "review.json",
            ReviewFile::DevicesCsv => "review-devices.csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ReviewFile::Html => "text/html; charset=utf-8",
            ReviewFile::Json => "application/json",
            ReviewFile::DevicesCsv => "text/csv; charset=utf-8",
        }
    }
}

impl ReviewFile {
    /// The file's bytes for this review, in `msg`'s language.
    pub fn render(self, r: &ReviewReport<'_>, msg: &Messages) -> Vec<u8> {
        match self {
            ReviewFile::Html => review_html(r, msg),
            ReviewFile::Json => review_json(r, msg),
            ReviewFile::DevicesCsv => review_devices_csv(r),
        }
        .into_bytes()
    }
}
