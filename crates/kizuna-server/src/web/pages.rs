//! The pages that show what the store holds: overview, devices, one device, the
//! duplicate-SID groups, the plan and the scan reports.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kizuna_core::{MessageArg, Severity};
use kizuna_i18n::Messages;
use kizuna_report::{NamedFile, esc};
use kizuna_rules::Analysis;
use kizuna_store::{AuditRow, FactFilter};

use super::{
    PAGE, encode, frame, judged_page, num, page, severity_label, signed_in, t, ta, table_open,
    text, titled_page,
};
use crate::accounts::Role;
use crate::error::ApiError;
use crate::reports::{self as scan_reports, Which};
use crate::state::AppState;
use crate::views::{DeviceQuery, named_device, newest_events, number};

/// Days the overview's trend chart covers: the article's weekly watch, four weeks back.
const TREND_DAYS: usize = 28;

pub(super) async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = match signed_in(&state, &headers, &q, "/").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let st = state.clone();
    let knowledge = state.knowledge().clone();
    let now = state.now();
    let loaded = state
        .with_reader(move |store| {
            let analysis = st.judged(store)?;
            let inputs = store.counts()?.0;
            let uploads: Vec<AuditRow> = store.audit_log_of("upload", 10)?;
            let plan = kizuna_pipeline::plan_status(store, &knowledge, now)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Ok((analysis, inputs, uploads, plan))
        })
        .await;
    let (analysis, inputs, uploads, plan) = match loaded {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let msg = &Messages::new(v.lang);
    let mut main = String::new();
    let _ = write!(
        main,
        "<p id=\"counts\">{}</p>",
        ta(
            msg,
            "web-counts",
            &[
                ("devices", num(analysis.devices.len())),
                ("findings", num(analysis.findings.len())),
                ("inputs", MessageArg::Number(inputs)),
            ]
        )
    );
    let bars: Vec<(String, u64, &str, String)> = Severity::ALL
        .iter()
        .map(|s| {
            let n = analysis
                .findings
                .iter()
                .filter(|f| f.severity == *s)
                .count();
            (
                msg.get(&format!("severity-{}", s.as_str()), &[]),
                n as u64,
                s.as_str(),
                String::new(),
            )
        })
        .collect();
    let _ = write!(
        main,
        "<section><h2>{}</h2>{}</section>",
        t(msg, "web-by-severity"),
        kizuna_report::svg_bars(&msg.get("web-by-severity", &[]), &bars)
    );
    let _ = write!(
        main,
        "<section id=\"trend\"><h2>{}</h2>{}</section>",
        ta(
            msg,
            "web-trend",
            &[
                ("days", num(TREND_DAYS)),
                ("until", text(&trend_end(&analysis, now).to_string()))
            ]
        ),
        trend_chart(&analysis, trend_end(&analysis, now), msg)
    );
    let rule_subjects = |prefix: &str| {
        let mut s: Vec<&str> = analysis
            .findings
            .iter()
            .filter(|f| f.rule.0.starts_with(prefix))
            .flat_map(|f| f.subjects.iter().map(String::as_str))
            .collect();
        s.sort();
        s.dedup();
        s
    };
    let links = |names: &[&str]| {
        if names.is_empty() {
            return t(msg, "report-none");
        }
        names
            .iter()
            .map(|n| format!("<a href=\"/devices/{}\">{}</a>", encode(n), esc(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        main,
        "<section><h2>{}</h2><p id=\"failing\">{}</p><h2>{}</h2><p id=\"sid-groups\">{}</p></section>",
        t(msg, "web-failing"),
        links(&rule_subjects("KZ-SC-001")),
        t(msg, "web-sid-groups"),
        links(&rule_subjects("KZ-SID-")),
    );
    let _ = write!(main, "<section><h2>{}</h2>", t(msg, "web-plan"));
    match &plan {
        Some(p) => {
            let _ = write!(
                main,
                "<p id=\"plan\">{}</p>",
                ta(
                    msg,
                    "web-plan-phase",
                    &[
                        ("id", MessageArg::Number(p.plan.id)),
                        ("track", text(p.plan.track.as_str())),
                        ("phase", text(p.current.as_deref().unwrap_or("–"))),
                        ("days", MessageArg::Number(p.plan.days_left.unwrap_or(0))),
                    ]
                )
            );
        }
        None => {
            let _ = write!(main, "<p id=\"plan\">{}</p>", t(msg, "web-plan-none"));
        }
    }
    let _ = write!(
        main,
        "</section><section><h2>{}</h2>",
        t(msg, "web-uploads")
    );
    if uploads.is_empty() {
        let _ = write!(main, "<p>{}</p>", t(msg, "web-no-uploads"));
    } else {
        main.push_str("<ul id=\"uploads\">");
        for u in &uploads {
            let _ = write!(
                main,
                "<li>{} — {} — {}</li>",
                esc(&kizuna_report::rfc3339(&u.time)),
                esc(&u.actor),
                esc(&u.detail)
            );
        }
        main.push_str("</ul>");
    }
    main.push_str("</section>");
    titled_page(v, msg, "web-overview", "/", &main)
}

pub(super) async fn devices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let query = match DeviceQuery::parse(&q, PAGE) {
        Ok(query) => DeviceQuery {
            limit: PAGE as usize,
            ..query
        },
        Err(e) => return e.into_response(),
    };
    let (v, analysis) = match judged_page(&state, &headers, &q, "/devices").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let msg = &Messages::new(v.lang);
    let (total, rows) = query.select(&analysis);
    let given = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let option = |value: &str, label: String, current: &str| {
        let sel = if value == current { " selected" } else { "" };
        format!("<option value=\"{value}\"{sel}>{}</option>", esc(&label))
    };
    let mut main = String::new();
    let _ = write!(
        main,
        "<form class=\"filter\" method=\"get\" action=\"/devices\">\
         <input id=\"q\" name=\"q\" value=\"{q}\" placeholder=\"{search}\" aria-label=\"{search}\">\
         <select id=\"role\" name=\"role\">{any_role}{roles}</select>\
         <select id=\"severity\" name=\"severity\">{any_sev}{sevs}</select>\
         <input type=\"hidden\" name=\"sort\" value=\"{sort}\"><input type=\"hidden\" name=\"order\" value=\"{order}\">\
         <button id=\"apply\" type=\"submit\">{filter}</button></form>",
        q = esc(given("q")),
        search = t(msg, "web-search"),
        any_role = option("", msg.get("web-any-role", &[]), given("role")),
        roles = ["workstation", "server", "dc", "unknown"]
            .iter()
            .map(|r| option(r, r.to_string(), given("role")))
            .collect::<String>(),
        any_sev = option("", msg.get("web-any-severity", &[]), given("severity")),
        sevs = Severity::ALL
            .iter()
            .map(|s| option(
                s.as_str(),
                msg.get(&format!("severity-{}", s.as_str()), &[]),
                given("severity")
            ))
            .collect::<String>(),
        sort = esc(given("sort")),
        order = esc(given("order")),
        filter = t(msg, "web-filter"),
    );
    // Sorting links keep the filter; the current column flips its order.
    let link = |over: &[(&str, String)]| {
        let mut params: Vec<(String, String)> = ["q", "role", "severity", "sort", "order"]
            .iter()
            .filter(|k| !given(k).is_empty())
            .map(|k| (k.to_string(), given(k).to_string()))
            .collect();
        for (k, val) in over {
            params.retain(|(pk, _)| pk != k);
            params.push((k.to_string(), val.clone()));
        }
        let qs: Vec<String> = params
            .iter()
            .map(|(k, val)| format!("{k}={}", encode(val)))
            .collect();
        format!("/devices?{}", esc(&qs.join("&")))
    };
    let sort_link = |key: &str, label: &str| {
        let flip = if given("sort") == key && given("order") != "desc" {
            "desc"
        } else {
            "asc"
        };
        format!(
            "<a id=\"sort-{key}\" href=\"{}\">{}</a>",
            link(&[("sort", key.into()), ("order", flip.into())]),
            t(msg, label)
        )
    };
    if rows.is_empty() {
        let _ = write!(main, "<p id=\"empty\">{}</p>", t(msg, "web-no-devices"));
    } else {
        let _ = write!(
            main,
            "<p id=\"shown\">{}</p><table id=\"devices\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            ta(
                msg,
                "web-shown",
                &[
                    ("from", num(query.offset + 1)),
                    ("to", num(query.offset + rows.len())),
                    ("total", num(total)),
                ]
            ),
            sort_link("name", "report-col-device"),
            t(msg, "report-col-role"),
            t(msg, "report-col-domain"),
            t(msg, "report-col-sid"),
            sort_link("severity", "report-col-worst"),
            sort_link("findings", "report-col-count"),
        );
        for l in &rows {
            let d = l.device;
            let _ = write!(
                main,
                "<tr><td><a href=\"/devices/{href}\">{name}</a></td><td>{role}</td><td>{domain}</td><td>{sid}</td><td>{worst}</td><td>{n}</td></tr>",
                href = encode(&d.name),
                name = esc(&d.name),
                role = esc(d.role.as_str()),
                domain = esc(d.domain.as_deref().unwrap_or("")),
                sid = esc(&d.machine_sid.map(|s| s.to_string()).unwrap_or_default()),
                worst = severity_label(msg, l.worst),
                n = l.findings,
            );
        }
        main.push_str("</tbody></table>");
        main.push_str("<nav class=\"pages\">");
        if query.offset > 0 {
            let prev = query.offset.saturating_sub(PAGE as usize);
            let _ = write!(
                main,
                "<a id=\"prev\" href=\"{}\">{}</a> ",
                link(&[("offset", prev.to_string())]),
                t(msg, "web-prev")
            );
        }
        if query.offset + rows.len() < total {
            let _ = write!(
                main,
                "<a id=\"next\" href=\"{}\">{}</a>",
                link(&[("offset", (query.offset + rows.len()).to_string())]),
                t(msg, "web-next")
            );
        }
        main.push_str("</nav>");
    }
    titled_page(v, msg, "web-devices", "/devices", &main)
}

pub(super) async fn device(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/devices/{}", encode(&name));
    let v = match signed_in(&state, &headers, &q, &path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let key = match named_device(&name) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let st = state.clone();
    let k = key.clone();
    let loaded = state
        .with_reader(move |store| {
            let analysis = st.judged(store)?;
            let events = newest_events(store, &FactFilter::default(), &k, 100)?;
            Ok((analysis, events))
        })
        .await;
    let (analysis, events) = match loaded {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let msg = &Messages::new(v.lang);
    let Some(d) = analysis.devices.iter().find(|d| d.name == key) else {
        let main = format!(
            "<p id=\"missing\">{}</p>",
            ta(msg, "web-not-found", &[("name", text(&key))])
        );
        let body = frame(&v, msg, &esc(&key), "/devices", &main);
        return page(StatusCode::NOT_FOUND, body, v.set);
    };
    let mut main = String::new();
    let _ = write!(
        main,
        "<dl id=\"device\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        t(msg, "report-col-role"),
        esc(d.role.as_str()),
        t(msg, "report-col-domain"),
        esc(d.domain.as_deref().unwrap_or("–")),
        t(msg, "report-col-sid"),
        esc(&d
            .machine_sid
            .map(|s| s.to_string())
            .unwrap_or_else(|| "–".into())),
        t(msg, "report-col-build"),
        esc(&d
            .os_build
            .map(|b| b.to_string())
            .unwrap_or_else(|| "–".into())),
        t(msg, "report-col-sidcheck"),
        esc(d.affected.as_str()),
    );
    main.push_str(&device_timeline(&analysis, &key, msg));
    let findings: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.subjects.contains(&key))
        .collect();
    let _ = write!(
        main,
        "<section><h2>{}</h2>",
        ta(msg, "web-findings", &[("count", num(findings.len()))])
    );
    if findings.is_empty() {
        let _ = write!(main, "<p>{}</p>", t(msg, "web-no-findings"));
    } else {
        main.push_str("<ul id=\"findings\">");
        for f in findings {
            let others: Vec<String> = f
                .subjects
                .iter()
                .filter(|s| **s != key)
                .map(|s| format!("<a href=\"/devices/{}\">{}</a>", encode(s), esc(s)))
                .collect();
            let _ = write!(
                main,
                "<li>{} <code>{}</code> <strong>{}</strong><p>{}</p><p class=\"remedy\">{}</p>{}</li>",
                severity_label(msg, Some(f.severity)),
                esc(f.rule.0),
                esc(&msg.title(f)),
                esc(&msg.detail(f)),
                esc(&msg.remedy(f)),
                if others.is_empty() {
                    String::new()
                } else {
                    format!(
                        "<p>{} {}</p>",
                        t(msg, "report-col-subjects"),
                        others.join(", ")
                    )
                }
            );
        }
        main.push_str("</ul>");
    }
    main.push_str("</section>");
    let _ = write!(
        main,
        "<section><h2>{}</h2>",
        ta(msg, "web-events", &[("count", num(events.len()))])
    );
    if events.is_empty() {
        let _ = write!(main, "<p>{}</p>", t(msg, "web-no-events"));
    } else {
        let _ = write!(
            main,
            "<table id=\"events\"><thead><tr><th>{}</th><th>Event</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t(msg, "report-col-time"),
            t(msg, "report-col-status"),
            t(msg, "report-col-source"),
        );
        for e in &events {
            let status = e
                .status
                .map(|s| {
                    let name = state.knowledge().status_name(s).unwrap_or("");
                    format!("0x{:08X} {name}", s.0)
                })
                .unwrap_or_default();
            let _ = write!(
                main,
                "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                esc(&kizuna_report::rfc3339(&e.time)),
                esc(&e.provider),
                e.event_id,
                esc(&status),
                esc(&e.source.path),
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("</section>");
    let _ = write!(main, "<section><h2>{}</h2><ul>", t(msg, "web-sources"));
    for s in &d.sources {
        let _ = write!(main, "<li>{}</li>", esc(s));
    }
    main.push_str("</ul></section>");
    let body = frame(&v, msg, &esc(&d.name), "/devices", &main);
    page(StatusCode::OK, body, v.set)
}

/// Every duplicate-SID finding (KZ-SID-001..004) with the devices it names and the SID
/// they share: the source article's "which PCs were cloned without Sysprep".
pub(super) async fn sid_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (v, analysis) = match judged_page(&state, &headers, &q, "/sid-groups").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let msg = &Messages::new(v.lang);
    let sid_of = |name: &str| {
        analysis
            .devices
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.machine_sid)
            .map(|s| s.to_string())
    };
    let groups: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.rule.0.starts_with("KZ-SID-"))
        .collect();
    let mut main = String::new();
    if groups.is_empty() {
        let _ = write!(main, "<p id=\"none\">{}</p>", t(msg, "web-sid-none"));
    } else {
        main.push_str("<ul id=\"groups\">");
        for f in groups {
            let sid = f.subjects.iter().find_map(|s| sid_of(s));
            let devices: Vec<String> = f
                .subjects
                .iter()
                .map(|s| format!("<a href=\"/devices/{}\">{}</a>", encode(s), esc(s)))
                .collect();
            let _ = write!(
                main,
                "<li>{} <code>{}</code> <strong>{}</strong><p>{}</p><p>{}</p><p class=\"remedy\">{}</p></li>",
                severity_label(msg, Some(f.severity)),
                esc(f.rule.0),
                esc(&msg.title(f)),
                devices.join(", "),
                sid.map(|s| ta(msg, "web-sid-shared", &[("sid", text(&s))]))
                    .unwrap_or_default(),
                esc(&msg.remedy(f)),
            );
        }
        main.push_str("</ul>");
    }
    titled_page(v, msg, "web-sid-title", "/sid-groups", &main)
}

/// The newest plan as `kizuna plan status` shows it: phases, the active gate judged now
/// with its measured numbers, days before the expiry, the log.
pub(super) async fn plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = match signed_in(&state, &headers, &q, "/plan").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let knowledge = state.knowledge().clone();
    let now = state.now();
    let status = match state
        .with_reader(move |store| {
            kizuna_pipeline::plan_status(store, &knowledge, now)
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let msg = &Messages::new(v.lang);
    let mut main = match &status {
        Some(r) => format!(
            "<pre id=\"status\">{}</pre>",
            esc(&kizuna_report::plan::text_report(r, msg))
        ),
        None => format!("<p id=\"status\">{}</p>", t(msg, "web-plan-none")),
    };
    // The article's KPI: an operator notes the helpdesk tickets of each stage.
    if status.is_some() && v.role >= Role::Operator {
        let _ = write!(
            main,
            "<section><h2>{title}</h2><form method=\"post\" action=\"/plan/note\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label>{note} <input id=\"note\" name=\"note\" required maxlength=\"2000\"></label>\
             <label>{tickets} <input id=\"tickets\" name=\"tickets\" type=\"number\" min=\"0\"></label>\
             <button id=\"record\" type=\"submit\">{send}</button></form></section>",
            title = t(msg, "web-plan-note-title"),
            csrf = esc(&v.csrf),
            note = t(msg, "web-plan-note"),
            tickets = t(msg, "web-plan-tickets"),
            send = t(msg, "web-plan-note-send"),
        );
    }
    titled_page(v, msg, "web-plan", "/plan", &main)
}

/// The recorded scans, newest first, each with its report files; and all the evidence
/// judged now. A viewer may download any of them.
pub(super) async fn reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = match signed_in(&state, &headers, &q, "/reports").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let offset = match number(&q, "offset", 0, u64::MAX) {
        Ok(n) => n as usize,
        Err(e) => return e.into_response(),
    };
    let listed = state
        .with_reader(move |store| scan_reports::list(store, offset, PAGE as usize))
        .await;
    let (total, scans) = match listed {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let msg = &Messages::new(v.lang);
    let links = |which: &str, files: &[kizuna_report::ScanFile]| -> String {
        files
            .iter()
            .map(|f| {
                format!(
                    "<a href=\"/reports/{which}/{name}\" download>{name}</a>",
                    name = f.name()
                )
            })
            .collect()
    };
    let mut main = format!(
        "<p>{}</p><section><h2>{}</h2><p class=\"files\" id=\"current\">{}</p></section>",
        t(msg, "web-reports-about"),
        t(msg, "web-reports-current"),
        links("current", kizuna_report::ScanFile::ALL),
    );
    // The weekly watch of the source article: this week against the week before.
    let _ = write!(
        main,
        "<section><h2>{}</h2><p>{}</p>",
        t(msg, "web-review"),
        t(msg, "web-review-about")
    );
    for days in [7, 28] {
        let links: String = kizuna_report::ReviewFile::ALL
            .iter()
            .map(|f| {
                format!(
                    "<a href=\"/reports/review/{name}?days={days}\" download>{name}</a>",
                    name = f.name()
                )
            })
            .collect();
        let _ = write!(
            main,
            "<p class=\"files\" id=\"review-{days}\">{} {links}</p>",
            ta(msg, "web-review-days", &[("days", num(days))])
        );
    }
    main.push_str("</section>");
    let _ = write!(main, "<section><h2>{}</h2>", t(msg, "web-reports-scans"));
    if scans.is_empty() {
        let _ = write!(main, "<p id=\"none\">{}</p>", t(msg, "web-reports-none"));
    } else {
        let _ = write!(
            main,
            "<p>{}</p>{}",
            ta(
                msg,
                "web-reports-shown",
                &[
                    ("from", num(offset + 1)),
                    ("to", num(offset + scans.len())),
                    ("total", num(total)),
                ]
            ),
            table_open(
                "scans",
                &[
                    t(msg, "web-col-scan"),
                    t(msg, "report-col-time"),
                    t(msg, "web-col-by"),
                    t(msg, "web-inputs-col"),
                    t(msg, "web-devices"),
                    t(msg, "web-findings-col"),
                    t(msg, "web-col-files"),
                ]
            )
        );
        for l in &scans {
            let s = &l.scan;
            let by = match &s.actor {
                Some(a) => esc(a),
                None => t(msg, "web-by-cli"),
            };
            let found: Vec<String> = l
                .tally
                .findings
                .iter()
                .map(|(sev, n)| format!("{} {n}", severity_label(msg, Some(*sev))))
                .collect();
            let files = if l.files().is_empty() {
                format!(
                    "<span class=\"muted\">{}</span>",
                    t(msg, "web-files-not-kept")
                )
            } else {
                links(&s.id.to_string(), l.files())
            };
            let _ = write!(
                main,
                "<tr id=\"scan-{id}\"><td>#{id}</td><td>{time}</td><td>{by}</td><td>{inputs}</td><td>{devices}</td><td>{found}</td><td class=\"files\">{files}</td></tr>",
                id = s.id,
                time = esc(&kizuna_report::rfc3339(&s.time)),
                devices = s.devices,
                found = if found.is_empty() {
                    "0".to_string()
                } else {
                    found.join(" ")
                },
                inputs = s.inputs,
            );
        }
        main.push_str("</tbody></table><nav class=\"pages\">");
        if offset > 0 {
            let _ = write!(
                main,
                "<a id=\"prev\" href=\"/reports?offset={}\">{}</a> ",
                offset.saturating_sub(PAGE as usize),
                t(msg, "web-prev")
            );
        }
        if offset + scans.len() < total {
            let _ = write!(
                main,
                "<a id=\"next\" href=\"/reports?offset={}\">{}</a>",
                offset + scans.len(),
                t(msg, "web-next")
            );
        }
        main.push_str("</nav>");
    }
    main.push_str("</section>");
    titled_page(v, msg, "web-reports", "/reports", &main)
}

/// A report file of a scan (or of all evidence now), in the page's language.
pub(super) async fn report_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/reports/{}/{}", encode(&id), encode(&file));
    let v = match signed_in(&state, &headers, &q, &path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (which, file) = match (Which::parse(&id), scan_reports::named(&file)) {
        (Ok(w), Ok(f)) => (w, f),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let st = state.clone();
    let lang = v.lang;
    match state
        .with_reader(move |store| scan_reports::scan_file(&st, store, which, file, lang))
        .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Days a device's timeline shows at most (up to its last active day).
const TIMELINE_DAYS: i64 = 90;

/// One device's days: its secure-channel failures and the watched events it logged, per
/// day over its active span (at most [`TIMELINE_DAYS`]); nothing when it has none.
fn device_timeline(analysis: &Analysis, key: &str, msg: &Messages) -> String {
    let a = &analysis.activity;
    let failures: Vec<(chrono::NaiveDate, u64)> = a
        .failures_per_day
        .iter()
        .filter(|((d, _), _)| d == key)
        .map(|((_, day), n)| (*day, *n))
        .collect();
    let events: Vec<(chrono::NaiveDate, u64)> = a
        .events_per_day
        .iter()
        .filter(|((_, d), _)| d == key)
        .map(|((day, _), n)| (*day, *n))
        .collect();
    let days = failures.iter().chain(&events).map(|(d, _)| *d);
    let (Some(first), Some(last)) = (days.clone().min(), days.max()) else {
        return String::new();
    };
    let first = first.max(last - chrono::Duration::days(TIMELINE_DAYS - 1));
    let shown = |v: Vec<(chrono::NaiveDate, u64)>| -> Vec<_> {
        v.into_iter().filter(|(d, _)| *d >= first).collect()
    };
    let series = [
        (msg.get("web-trend-failures", &[]), shown(failures)),
        (msg.get("web-trend-events", &[]), shown(events)),
    ];
    let title = msg.get("web-timeline", &[]);
    format!(
        "<section id=\"timeline\"><h2>{}</h2>{}</section>",
        esc(&title),
        kizuna_report::svg_lines(&title, &series, first, last)
    )
}

/// The last day of the trend: today, or the last day with watched events when the
/// evidence stops earlier (a one-off collection is still shown, with its dates).
fn trend_end(analysis: &Analysis, now: kizuna_core::Timestamp) -> chrono::NaiveDate {
    let today = now.date_naive();
    let a = &analysis.activity;
    let latest = a
        .events_per_day
        .keys()
        .map(|(d, _)| *d)
        .chain(a.failures_per_day.keys().map(|(_, d)| *d))
        .filter(|d| *d <= today)
        .max();
    latest.unwrap_or(today)
}

/// Secure-channel failures and watched events per day over the [`TREND_DAYS`] days up to
/// [`trend_end`], summed over all devices, as lines.
fn trend_chart(analysis: &Analysis, last: chrono::NaiveDate, msg: &Messages) -> String {
    let first = last - chrono::Duration::days(TREND_DAYS as i64 - 1);
    let in_window = |d: &chrono::NaiveDate| (first..=last).contains(d);
    let mut failures: std::collections::BTreeMap<chrono::NaiveDate, u64> = Default::default();
    for ((_, day), n) in &analysis.activity.failures_per_day {
        if in_window(day) {
            *failures.entry(*day).or_default() += n;
        }
    }
    let mut events: std::collections::BTreeMap<chrono::NaiveDate, u64> = Default::default();
    for ((day, _), n) in &analysis.activity.events_per_day {
        if in_window(day) {
            *events.entry(*day).or_default() += n;
        }
    }
    let series = [
        (
            msg.get("web-trend-failures", &[]),
            failures.into_iter().collect(),
        ),
        (
            msg.get("web-trend-events", &[]),
            events.into_iter().collect(),
        ),
    ];
    kizuna_report::svg_lines(
        &msg.get(
            "web-trend",
            &[
                ("days", num(TREND_DAYS)),
                ("until", text(&last.to_string())),
            ],
        ),
        &series,
        first,
        last,
    )
}

/// The weekly review (`kizuna report`) of `?days=` days up to now, as a download.
pub(super) async fn review_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/reports/review/{}", encode(&file));
    let v = match signed_in(&state, &headers, &q, &path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (file, query) = match (
        scan_reports::named(&file),
        scan_reports::ReviewQuery::parse(&q),
    ) {
        (Ok(f), Ok(q)) => (f, q),
        (Err(e), _) | (_, Err(e)) => return e.into_response(),
    };
    let st = state.clone();
    let lang = v.lang;
    match state
        .with_reader(move |store| scan_reports::review(&st, store, query, file, lang))
        .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
