//! What an operator changes from the browser: evidence uploaded through a form (read as
//! the API reads it, recorded as a scan) and notes with helpdesk ticket counts in the
//! plan's log. Each form carries the session's CSRF token; a viewer gets 403.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Form, FromRequest, Multipart, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use kizuna_i18n::Messages;
use kizuna_report::esc;

use super::{form_refused, signed_in_as, t, ta, table_open, table_row, text, titled_page};
use crate::accounts::Role;
use crate::api::remote;
use crate::error::ApiError;
use crate::state::AppState;
use crate::upload::Upload;

/// The upload form: files or zip bundles, read as `kizuna scan` reads them.
pub(super) async fn upload_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = match signed_in_as(&state, &headers, &q, "/upload", Role::Operator).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let msg = &Messages::new(v.lang);
    // The token comes first: the server checks it before it saves a byte.
    let main = format!(
        "<p>{about}</p><form method=\"post\" action=\"/upload\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{files} <input id=\"files\" name=\"files\" type=\"file\" multiple required></label>\
         <button id=\"send\" type=\"submit\">{send}</button></form>",
        about = t(msg, "web-upload-about"),
        csrf = esc(&v.csrf),
        files = t(msg, "web-upload-files"),
        send = t(msg, "web-upload-send"),
    );
    titled_page(v, msg, "web-upload", "/upload", &main)
}

/// Receives the form's files, reads them into the store and shows what each yielded.
pub(super) async fn upload(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let from = remote(&req);
    let v = match signed_in_as(&state, &headers, &q, "/upload", Role::Operator).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let done = async {
        let mut upload = Upload::begin(&state, format!("account:{}", v.name))?;
        let form = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad_request(format!("multipart body: {e}")))?;
        let files = upload.receive_multipart(form, Some(&v.csrf)).await?;
        upload.ingest(files, None, from).await
    }
    .await;
    let done = match done {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let msg = &Messages::new(v.lang);
    let mut main = String::new();
    match &done.scan {
        Some(scan) => {
            let records: u64 = done.reports.iter().map(|r| r.records).sum();
            let _ = write!(
                main,
                "<p id=\"done\">{}</p>",
                ta(
                    msg,
                    "web-upload-done",
                    &[
                        ("inputs", super::num(done.reports.len())),
                        ("records", super::num(records as usize)),
                        ("id", text(&scan["id"].to_string())),
                    ]
                )
            );
            let id = &scan["id"];
            let _ = write!(
                main,
                "<p class=\"files\"><a href=\"/reports/{id}/report.html\" download>report.html</a>\
                 <a href=\"/reports/{id}/findings.csv\" download>findings.csv</a></p>"
            );
        }
        None => {
            let _ = write!(
                main,
                "<p class=\"error\" id=\"done\">{}</p>",
                t(msg, "web-upload-nothing")
            );
        }
    }
    main.push_str(&table_open(
        "inputs",
        &[
            t(msg, "report-col-source"),
            t(msg, "web-col-kind"),
            t(msg, "report-col-status"),
            t(msg, "web-col-records"),
            t(msg, "web-col-errors"),
        ],
    ));
    for r in &done.reports {
        main.push_str(&table_row(&[
            esc(&r.path),
            esc(r.kind.as_str()),
            esc(r.status.as_str()),
            r.records.to_string(),
            esc(&r.errors.join("; ")),
        ]));
    }
    main.push_str("</tbody></table>");
    titled_page(v, msg, "web-upload", "/upload", &main)
}

#[derive(serde::Deserialize)]
pub(super) struct NoteForm {
    csrf: String,
    note: String,
    /// Empty when not counted.
    #[serde(default)]
    tickets: String,
}

/// Records a note (and helpdesk tickets) in the plan's log as the signed-in account, as
/// `kizuna plan record` does; back to the plan page.
pub(super) async fn plan_note(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    req: axum::extract::Request,
) -> Response {
    let headers = req.headers().clone();
    // Signed in first: a stranger's malformed form learns nothing but the sign-in page.
    let v = match signed_in_as(&state, &headers, &q, "/plan", Role::Operator).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(Form(f)) = Form::<NoteForm>::from_request(req, &()).await else {
        return ApiError::bad_request("the note form is incomplete").into_response();
    };
    if let Some(r) = form_refused(&v, &f.csrf) {
        return r;
    }
    let tickets = match f.tickets.trim() {
        "" => None,
        n => match n.parse::<u32>() {
            Ok(n) => Some(i64::from(n)),
            Err(_) => {
                return ApiError::bad_request(format!("helpdesk tickets: {n:?}")).into_response();
            }
        },
    };
    let now = state.now();
    let who = v.name.clone();
    let done = state
        .with_store(move |store| {
            kizuna_plan::store::record_note(store, &who, &f.note, tickets, now)
                .map(|_| ())
                .map_err(|e| match e {
                    kizuna_plan::PlanError::Store(e) => ApiError::from(e),
                    e => ApiError::bad_request(e.to_string()),
                })
        })
        .await;
    match done {
        Ok(()) => Redirect::to("/plan").into_response(),
        Err(e) => e.into_response(),
    }
}
