//! `/api/v1`: evidence in, findings, devices, events and the plan out, tokens for admins.
//! Documented in `openapi.json` (served at `/api/v1/openapi.json`); a test keeps the two
//! in step.
//!
//! Every handler checks the bearer token first, before a byte of an upload is read.
//! Findings and devices come from [`AppState::judged`]: the rules of `kizuna scan` over
//! every stored fact, so an upload yields what a scan of the same files yields.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use kizuna_i18n::{Lang, Messages};
use kizuna_report::NamedFile;
use kizuna_store::Store;
use serde_json::{Value, json};

use crate::auth::{self, Caller, Need, Refusal, Scope};
use crate::error::ApiError;
use crate::reports;
use crate::state::AppState;
use crate::upload::Upload;
use crate::views::{self, DeviceQuery, device_filter, named_device, number, severity};

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The client's address, set per connection by the listener (and replaced by the
/// forwarded client behind a trusted proxy).
#[derive(Debug, Clone, Copy)]
pub struct Remote(pub SocketAddr);

impl Remote {
    /// The client's IP address of a request, as the audit log and the throttle know it.
    pub fn of(req: &Request) -> Option<std::net::IpAddr> {
        req.extensions().get::<Remote>().map(|r| r.0.ip())
    }
}

/// The multipart parser's own limit, with room for part headers: the byte budget of
/// `upload` counts the files themselves.
pub fn multipart_limit(state: &AppState) -> usize {
    usize::try_from(state.uploads().max_bytes.saturating_add(1 << 20)).unwrap_or(usize::MAX)
}

/// The `/api/v1` routes.
pub fn routes(state: AppState) -> Router {
    let max_upload = multipart_limit(&state);
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/evidence",
            post(upload).layer(DefaultBodyLimit::max(max_upload)),
        )
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{name}", get(device))
        .route("/api/v1/events", get(events))
        .route("/api/v1/plan", get(plan))
        .route("/api/v1/scans", get(scans))
        .route("/api/v1/scans/{id}/{file}", get(scan_file))
        .route("/api/v1/review/{file}", get(review_file))
        .route("/api/v1/tokens", get(tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(audit))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticated_first,
        ))
        .with_state(state)
}

/// A caller without a valid token is answered 401 before anything else of the request
/// is looked at: a path, parameter or body error (400, 404, 422) would tell a stranger
/// which routes and ids exist. The handlers then check the token's scope.
async fn authenticated_first(
    State(state): State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if req.uri().path() == "/api/v1/openapi.json" {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let known = state
        .with_reader(move |store| {
            Ok(!matches!(
                auth::authenticate(store, header.as_deref(), Need::Ingest)?,
                Err(Refusal::Unauthenticated)
            ))
        })
        .await;
    match known {
        Ok(true) => next.run(req).await,
        Ok(false) => ApiError::unauthenticated().into_response(),
        Err(e) => e.into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such API path (see /api/v1/openapi.json)")
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The client's address as the audit log writes it.
pub(crate) fn remote(req: &Request) -> Option<String> {
    Remote::of(req).map(|ip| ip.to_string())
}

/// Checks the token and runs `work` with the store and the caller, in one turn of the
/// store: the reading connection for reads and uploads (an upload only learns its caller
/// here), the writing one for administration. A token's use is recorded at most once a
/// minute, and skipped while the writer is busy (an upload committing): bookkeeping never
/// makes a read wait.
async fn authorized<T: Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    need: Need,
    work: impl FnOnce(&mut Store, &Caller) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let now = state.now();
    let st = state.clone();
    let checked = move |store: &mut Store| {
        let caller = match auth::authenticate(store, header.as_deref(), need)? {
            Ok(c) => c,
            Err(Refusal::Unauthenticated) => return Err(ApiError::unauthenticated()),
            Err(Refusal::Forbidden) => return Err(ApiError::forbidden()),
        };
        if caller
            .last_used
            .is_none_or(|t| now - t > chrono::Duration::minutes(1))
        {
            st.try_with_store(|w| {
                let _ = w.token_used(caller.token_id, now);
            });
        }
        work(store, &caller)
    };
    match need {
        Need::Admin => state.with_store(checked).await,
        Need::Read | Need::Ingest => state.with_reader(checked).await,
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    let mut body = serde_json::to_string_pretty(v).expect("JSON values serialize");
    body.push('\n');
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn lang(q: &HashMap<String, String>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if q.get("lang").is_some_and(String::is_empty) {
        return Err(ApiError::bad_request("lang: \"\" (ja, en)"));
    }
    Ok(match views::one_of(q, "lang", &["ja", "en"])? {
        Some("ja") => Lang::Ja,
        Some(_) => Lang::En,
        None => browser_lang(headers),
    })
}

/// The client's first choice of language (`Accept-Language`): Japanese when it starts
/// with `ja`, else English. The API and the pages both fall back to it.
pub(crate) fn browser_lang(headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("ja") {
        Lang::Ja
    } else {
        Lang::En
    }
}

/// A window bound from the query, in the forms the command line takes (`7d`, `12h`,
/// `2w`, a date or an RFC 3339 time); a span counts back from `now`.
fn time(
    q: &HashMap<String, String>,
    key: &str,
    now: kizuna_core::Timestamp,
) -> Result<Option<kizuna_core::Timestamp>, ApiError> {
    q.get(key)
        .map(|s| {
            kizuna_core::time::parse_bound(s, now)
                .map_err(|e| ApiError::bad_request(format!("{key}: {e}")))
        })
        .transpose()
}

/// POST /api/v1/evidence: a file as the body (`?name=`), or `multipart/form-data`.
async fn upload(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let from = remote(&req);
    let caller = authorized(&state, &headers, Need::Ingest, |_, c| Ok(c.clone())).await?;
    let year = match q.get("year") {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (1990..=9999).contains(y))
                .ok_or_else(|| ApiError::bad_request(format!("year: {y:?}")))?,
        ),
    };

    let mut upload = Upload::begin(&state, caller.actor())?;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    let files = if multipart {
        let form = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad_request(format!("multipart body: {e}")))?;
        upload.receive_multipart(form, None).await?
    } else {
        let body: Body = req.into_body();
        upload
            .receive_body(q.get("name").map(String::as_str), body)
            .await?
    };
    let done = upload.ingest(files, year, from).await?;
    let inputs: Vec<Value> = done.reports.iter().map(kizuna_report::input_json).collect();
    // Nothing readable (a truncated or encrypted archive, a file that is not evidence):
    // 422, so a collector that checks only the status keeps its bundle instead of
    // counting a broken transfer as delivered. Each input's error is in the body.
    if done.scan.is_none() {
        return Ok(json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({
                "inputs": inputs,
                "scan": null,
                "error": {
                    "code": "nothing-readable",
                    "message": "no input of the upload could be read as evidence",
                },
            }),
        ));
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "inputs": inputs, "scan": done.scan }),
    ))
}

/// GET /api/v1/findings: every finding over all stored evidence, as `scan --format json`
/// writes them; `?severity=` (at least), `?rule=`, `?device=`, `?lang=`.
async fn findings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers)?;
    let min = severity(&q)?;
    let rule = q.get("rule").cloned();
    let device = device_filter(q.get("device"));
    let st = state.clone();
    let analysis = authorized(&state, &headers, Need::Read, move |store, _| {
        st.judged(store)
    })
    .await?;
    let msg = Messages::new(lang);
    let list: Vec<Value> = analysis
        .findings
        .iter()
        .filter(|f| min.is_none_or(|m| f.severity >= m))
        .filter(|f| {
            rule.as_deref()
                .is_none_or(|r| f.rule.0.eq_ignore_ascii_case(r))
        })
        .filter(|f| {
            device
                .as_deref()
                .is_none_or(|d| f.subjects.iter().any(|s| s == d))
        })
        .map(|f| kizuna_report::finding_json(f, &msg))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"schema_version": 1, "lang": msg.lang().code(), "total": list.len(), "findings": list}),
    ))
}

/// GET /api/v1/scans: the recorded scans (uploads, and `kizuna scan --db` runs into this
/// store), newest first, with their findings by severity and the report files each has;
/// `limit`, `offset`.
async fn scans(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = number(&q, "limit", 100, 1000)? as usize;
    let offset = number(&q, "offset", 0, u64::MAX)? as usize;
    let (total, page) = authorized(&state, &headers, Need::Read, move |store, _| {
        reports::list(store, offset, limit)
    })
    .await?;
    let page: Vec<Value> = page
        .iter()
        .map(|l| {
            let s = &l.scan;
            json!({
                "id": s.id,
                "time": kizuna_report::rfc3339(&s.time),
                "actor": s.actor,
                "since": s.since.as_ref().map(kizuna_report::rfc3339),
                "until": s.until.as_ref().map(kizuna_report::rfc3339),
                "tool_version": s.tool_version,
                "inputs": s.inputs,
                "devices": s.devices,
                "expires": s.expires,
                "findings": l.findings(),
                "by_severity": l.tally.findings.iter()
                    .map(|(sev, n)| (sev.as_str().to_string(), json!(n)))
                    .collect::<serde_json::Map<String, Value>>(),
                "files": l.files().iter().map(|f| f.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": total, "offset": offset, "limit": limit, "scans": page}),
    ))
}

/// GET /api/v1/scans/{id}/{file}: a scan's report file (`report.html`, `findings.csv`,
/// `devices.csv`, `findings.jsonl`, `scan.json`), as `kizuna scan --out` writes it;
/// `id` is a scan id or `current` (all evidence, judged now); `?lang=`.
async fn scan_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers)?;
    let which = reports::Which::parse(&id)?;
    let file = reports::named(&file)?;
    let st = state.clone();
    authorized(&state, &headers, Need::Read, move |store, _| {
        reports::scan_file(&st, store, which, file, lang)
    })
    .await
}

/// GET /api/v1/review/{file}: the weekly review (`kizuna report`) of the `?days=` (7)
/// days up to now, against the previous window or `?compare_to=` a scan; `?lang=`.
async fn review_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers)?;
    let file = reports::named(&file)?;
    let query = reports::ReviewQuery::parse(&q)?;
    let st = state.clone();
    authorized(&state, &headers, Need::Read, move |store, _| {
        reports::review(&st, store, query, file, lang)
    })
    .await
}

/// GET /api/v1/devices: filter (`q`, `role`, `severity`), sort (`sort=name|severity|findings`,
/// `order=asc|desc`) and page (`limit`, `offset`).
async fn devices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let query = DeviceQuery::parse(&q, 100)?;
    let st = state.clone();
    let analysis = authorized(&state, &headers, Need::Read, move |store, _| {
        st.judged(store)
    })
    .await?;
    let (total, page) = query.select(&analysis);
    let page: Vec<Value> = page
        .into_iter()
        .map(|l| {
            let mut v = kizuna_report::device_json(l.device);
            v["worst"] = json!(l.worst.map(|s| s.as_str()));
            v["findings"] = json!(l.findings);
            v
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": total, "offset": query.offset, "limit": query.limit, "devices": page}),
    ))
}

/// GET /api/v1/devices/{name}: the device, its findings and the inputs that mention it.
async fn device(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let lang = lang(&q, &headers)?;
    let key = named_device(&name)?;
    let st = state.clone();
    let analysis = authorized(&state, &headers, Need::Read, move |store, _| {
        st.judged(store)
    })
    .await?;
    let msg = Messages::new(lang);
    let Some(d) = analysis.devices.iter().find(|d| d.name == key) else {
        return Err(ApiError::not_found(format!("no device {key}")));
    };
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .filter(|f| f.subjects.contains(&key))
        .map(|f| kizuna_report::finding_json(f, &msg))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"device": kizuna_report::device_json(d), "findings": findings}),
    ))
}

/// GET /api/v1/events: stored events as JSON lines (`kizuna events --format jsonl`),
/// oldest first; `?device=`, `?id=5805,5722`, `?since=`, `?until=`, `?limit=`.
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = number(&q, "limit", 1000, 100_000)? as usize;
    let device = device_filter(q.get("device"));
    let mut ids = Vec::new();
    for part in q
        .get("id")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
    {
        ids.push(
            part.trim()
                .parse::<u32>()
                .map_err(|_| ApiError::bad_request(format!("id: {part:?}")))?,
        );
    }
    let filter = kizuna_store::FactFilter {
        inputs: kizuna_store::Inputs::All,
        since: time(&q, "since", state.now())?,
        until: time(&q, "until", state.now())?,
        event_ids: ids,
        identity_before: None,
    };
    let knowledge = state.knowledge().clone();
    let body = authorized(&state, &headers, Need::Read, move |store, _| {
        let mut out = Vec::new();
        let mut writer = kizuna_report::EventWriter::new(
            &mut out,
            kizuna_report::EventFormat::Jsonl,
            &knowledge,
        );
        let mut written = 0usize;
        let mut failed = None;
        store.for_each_event(&filter, |e| {
            let wanted = device.as_deref().is_none_or(|key| views::about(&e, key));
            if written < limit && failed.is_none() && wanted {
                match writer.write(&e) {
                    Ok(()) => written += 1,
                    Err(err) => failed = Some(err),
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(ApiError::internal(format!("writing events: {e}")));
        }
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// GET /api/v1/plan: the newest plan with its gate judged now (`kizuna plan status`).
async fn plan(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let knowledge = state.knowledge().clone();
    let now = state.now();
    let status = authorized(&state, &headers, Need::Read, move |store, _| {
        kizuna_pipeline::plan_status(store, &knowledge, now)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?;
    match status {
        Some(r) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            kizuna_report::plan::json(&r),
        )
            .into_response()),
        None => Err(ApiError::not_found("no plan yet: `kizuna plan init`")),
    }
}

fn token_json(t: &kizuna_store::TokenRow) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "scope": t.scope,
        "created": kizuna_report::rfc3339(&t.created),
        "created_by": t.created_by,
        "last_used": t.last_used.as_ref().map(kizuna_report::rfc3339),
        "revoked": t.revoked.as_ref().map(kizuna_report::rfc3339),
    })
}

/// GET /api/v1/tokens (admin): every token, never a secret or hash.
async fn tokens(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let list = authorized(
        &state,
        &headers,
        Need::Admin,
        |store, _| Ok(store.tokens()?),
    )
    .await?;
    let v: Vec<Value> = list.iter().map(token_json).collect();
    Ok(json_response(StatusCode::OK, &json!({ "tokens": v })))
}

#[derive(serde::Deserialize)]
struct NewToken {
    name: String,
    scope: String,
}

/// POST /api/v1/tokens (admin): `{"name", "scope"}`; the answer holds the secret, once.
async fn create_token(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let from = remote(&req);
    // Read now, judged after the token: an anonymous caller learns nothing from a 400.
    let body = axum::Json::<NewToken>::from_request(req, &()).await;
    let now = state.now();
    let (row, secret) = authorized(&state, &headers, Need::Admin, move |store, caller| {
        let axum::Json(new) = body.map_err(|e| {
            ApiError::bad_request(format!(
                "{{\"name\", \"scope\"}} expected: {}",
                e.body_text()
            ))
        })?;
        let scope = Scope::parse(&new.scope).ok_or_else(|| {
            ApiError::bad_request(format!("scope: {:?} (ingest, read or admin)", new.scope))
        })?;
        auth::create_token(store, &new.name, scope, &caller.actor(), from, now).map_err(|e| match e
        {
            auth::TokenError::NameTaken(_) | auth::TokenError::NameReserved(_) => {
                ApiError::new(StatusCode::CONFLICT, "name-taken", e.to_string())
            }
            auth::TokenError::NoName | auth::TokenError::NameTooLong(_) => {
                ApiError::bad_request(e.to_string())
            }
            e => ApiError::internal(e.to_string()),
        })
    })
    .await?;
    let mut v = token_json(&row);
    v["token"] = json!(secret.expose());
    Ok(json_response(StatusCode::CREATED, &v))
}

/// DELETE /api/v1/tokens/{id} (admin).
async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let from = remote(&req);
    let now = state.now();
    let done = authorized(&state, &headers, Need::Admin, move |store, caller| {
        auth::revoke_token(store, id, &caller.actor(), from, now)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?;
    if done {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("no live token {id}")))
    }
}

/// GET /api/v1/audit (admin): the newest entries first, `?limit=` (100).
async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = number(&q, "limit", 100, 10_000)? as i64;
    let rows = authorized(&state, &headers, Need::Admin, move |store, _| {
        Ok(store.audit_log(limit)?)
    })
    .await?;
    let v: Vec<Value> = rows
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "time": kizuna_report::rfc3339(&e.time),
                "actor": e.actor,
                "action": e.action,
                "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::String(e.detail.clone())),
                "remote": e.remote,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "entries": v })))
}
