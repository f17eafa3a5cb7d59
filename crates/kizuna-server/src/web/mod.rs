//! The web interface: server-rendered pages in Japanese or English, no script at all.
//!
//! Sign-in is with a local account; the session lives in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` behind HTTPS) whose hash the store keeps. Every form carries a CSRF
//! token (the session's, or on the sign-in form one bound to a short-lived cookie). A page
//! asked for without a session redirects to the sign-in form and back after it. Pages read
//! the same judgement of the store as the API (`AppState::judged`, `views`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

mod admin;
mod forms;
mod pages;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kizuna_core::{MessageArg, Severity};
use kizuna_i18n::{Lang, Messages};
use kizuna_report::esc;
use kizuna_rules::Analysis;
use kizuna_store::AuditRow;

use crate::accounts::{self, Role};
use crate::api::{Remote, remote};
use crate::error::ApiError;
use crate::state::AppState;

const SESSION_COOKIE: &str = "kz_session";
const LOGIN_COOKIE: &str = "kz_login";
const LANG_COOKIE: &str = "kz_lang";
const CSS: &str = include_str!("web.css");
/// Devices per page.
const PAGE: u64 = 50;

pub fn routes(state: AppState) -> Router {
    let max_upload = crate::api::multipart_limit(&state);
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/devices", get(pages::devices))
        .route("/devices/{name}", get(pages::device))
        .route("/sid-groups", get(pages::sid_groups))
        .route("/plan", get(pages::plan))
        .route("/reports", get(pages::reports))
        .route("/reports/review/{file}", get(pages::review_file))
        .route("/reports/{id}/{file}", get(pages::report_file))
        .route(
            "/upload",
            get(forms::upload_form)
                .post(forms::upload)
                .layer(DefaultBodyLimit::max(max_upload)),
        )
        .route("/plan/note", post(forms::plan_note))
        .route("/admin", get(admin::admin))
        .route("/admin/tokens", post(admin::make_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/admin/accounts", post(admin::make_account))
        .route("/static/kizuna.css", get(css))
        .layer(axum::middleware::from_fn(same_origin))
        .with_state(state)
}

/// A form sent from another site is refused before anything else (a second guard beside
/// `SameSite=Strict` and the form tokens): the browser says where a request comes from in
/// `Sec-Fetch-Site`, and only `same-origin` (or `none`, a request the user made) may change
/// anything. `Origin` is not compared with `Host`: a TLS proxy in front may rewrite `Host`.
async fn same_origin(req: Request, next: axum::middleware::Next) -> Response {
    if req.method() == axum::http::Method::POST
        && req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| {
                s.eq_ignore_ascii_case("cross-site") || s.eq_ignore_ascii_case("same-site")
            })
    {
        return ApiError::form_expired().into_response();
    }
    next.run(req).await
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are hex or a language code")
}

/// The page's language: `?lang=` (remembered in a cookie), the cookie, else the
/// browser's first choice.
/// `secure`: browsers reach the server over HTTPS, so the cookie is `Secure`.
fn lang(
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    secure: bool,
) -> (Lang, Option<HeaderValue>) {
    if let Some(l) = q.get("lang").and_then(|l| Lang::parse(l)) {
        return (l, Some(cookie(LANG_COOKIE, l.code(), 365 * 86_400, secure)));
    }
    if let Some(l) = cookies(headers)
        .get(LANG_COOKIE)
        .and_then(|l| Lang::parse(l))
    {
        return (l, None);
    }
    (crate::api::browser_lang(headers), None)
}

/// A page: the HTML, with the headers every page gets.
fn page(status: StatusCode, body: String, set: Vec<HeaderValue>) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    for c in set {
        h.append(header::SET_COOKIE, c);
    }
    r
}

/// Who is signed in, for a page.
struct Viewer {
    name: String,
    role: Role,
    csrf: String,
    /// Messages are made from it after the last `.await` (they are not `Send`).
    lang: Lang,
    set: Vec<HeaderValue>,
}

/// The signed-in viewer, or the redirect to the sign-in form (back to `path` after).
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
) -> Result<Viewer, Response> {
    let (lang, set) = lang(q, headers, state.secure_cookies());
    let cookie = cookies(headers).get(SESSION_COOKIE).cloned();
    let now = state.now();
    let found = match cookie {
        None => None,
        Some(c) => state
            .with_reader(move |store| {
                accounts::session(store, &c, now).map_err(|e| ApiError::internal(e.to_string()))
            })
            .await
            .map_err(IntoResponse::into_response)?,
    };
    match found {
        Some((s, a, role)) => Ok(Viewer {
            name: a.name,
            role,
            csrf: s.csrf,
            lang,
            set: set.into_iter().collect(),
        }),
        None => Err(Redirect::to(&format!("/login?next={}", encode(path))).into_response()),
    }
}

/// The signed-in viewer if their role is at least `least`; else the sign-in redirect, or
/// a 403 page naming the role.
async fn signed_in_as(
    state: &AppState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
    least: Role,
) -> Result<Viewer, Response> {
    let v = signed_in(state, headers, q, path).await?;
    if v.role >= least {
        return Ok(v);
    }
    let msg = &Messages::new(v.lang);
    let main = format!(
        "<p class=\"error\" id=\"forbidden\">{}</p>",
        ta(msg, "web-forbidden", &[("role", text(v.role.as_str()))])
    );
    let title = msg.get("web-forbidden-title", &[]);
    let body = frame(&v, msg, &esc(&title), path, &main);
    Err(page(StatusCode::FORBIDDEN, body, v.set))
}

/// A posted form's refusal when it lacks the session's CSRF token (403).
fn form_refused(v: &Viewer, given: &str) -> Option<Response> {
    (!accounts::same_secret(&v.csrf, given)).then(|| ApiError::form_expired().into_response())
}

/// The signed-in viewer and the judgement of the whole store: how most pages begin.
async fn judged_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
) -> Result<(Viewer, Arc<Analysis>), Response> {
    let v = signed_in(state, headers, q, path).await?;
    let st = state.clone();
    match state.with_reader(move |store| st.judged(store)).await {
        Ok(a) => Ok((v, a)),
        Err(e) => Err(e.into_response()),
    }
}

/// Percent-encodes a path for a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to go back to after signing in; anything else goes to the overview.
fn local_path(next: Option<&str>) -> String {
    // Browsers drop tabs and newlines from URLs, so `/\t/evil.example` would become
    // `//evil.example`: no control character or white space at all.
    match next {
        Some(p)
            if p.starts_with('/')
                && !p[1..].starts_with(['/', '\\'])
                && !p.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            p.to_string()
        }
        _ => "/".into(),
    }
}

fn t(msg: &Messages, id: &str) -> String {
    esc(&msg.get(id, &[]))
}

fn ta(msg: &Messages, id: &str, args: &[(&str, MessageArg)]) -> String {
    esc(&msg.get(id, args))
}

fn num(n: usize) -> MessageArg {
    MessageArg::Number(i64::try_from(n).unwrap_or(i64::MAX))
}

fn text(s: &str) -> MessageArg {
    MessageArg::Text(s.to_string())
}

/// The page frame: head, the navigation with the account and sign-out form, `main`.
fn frame(v: &Viewer, msg: &Messages, title: &str, here: &str, main: &str) -> String {
    let nav = |href: &str, id: &str| {
        let current = if href == here {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{}</a>", t(msg, id))
    };
    // Links to what the role may use only.
    let upload = if v.role >= Role::Operator {
        nav("/upload", "web-upload")
    } else {
        String::new()
    };
    let admin = if v.role >= Role::Admin {
        nav("/admin", "web-admin")
    } else {
        String::new()
    };
    let other = match msg.lang() {
        Lang::Ja => ("en", "English"),
        Lang::En => ("ja", "日本語"),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — kizuna</title><link rel=\"stylesheet\" href=\"/static/kizuna.css\"></head>\
         <body><header><strong>kizuna</strong><nav>{overview}{devices}{sid}{plan}{reports}{upload}{admin}</nav>\
         <span class=\"who\" id=\"who\">{who}</span>\
         <a class=\"lang\" href=\"?lang={code}\">{label}</a>\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button id=\"logout\" type=\"submit\">{signout}</button></form></header>\
         <main><h1>{title}</h1>{main}</main></body></html>\n",
        lang = msg.lang().code(),
        overview = nav("/", "web-overview"),
        devices = nav("/devices", "web-devices"),
        sid = nav("/sid-groups", "web-sid"),
        plan = nav("/plan", "web-plan"),
        reports = nav("/reports", "web-reports"),
        who = ta(
            msg,
            "web-signed-in-as",
            &[("name", text(&v.name)), ("role", text(v.role.as_str()))]
        ),
        code = other.0,
        label = other.1,
        csrf = esc(&v.csrf),
        signout = t(msg, "web-sign-out"),
    )
}

/// A table up to its body: `<table id=…>` with one header row. Headers and cells are
/// HTML, escaped by the caller.
fn table_open(id: &str, headers: &[String]) -> String {
    let th: String = headers.iter().map(|h| format!("<th>{h}</th>")).collect();
    format!("<table id=\"{id}\"><thead><tr>{th}</tr></thead><tbody>")
}

/// A table row of cells (HTML, escaped by the caller).
fn table_row(cells: &[String]) -> String {
    let td: String = cells.iter().map(|c| format!("<td>{c}</td>")).collect();
    format!("<tr>{td}</tr>")
}

/// A page titled by the message `title_id`, its navigation at `here`: 200, in the frame.
fn titled_page(v: Viewer, msg: &Messages, title_id: &str, here: &str, main: &str) -> Response {
    let body = frame(&v, msg, &t(msg, title_id), here, main);
    page(StatusCode::OK, body, v.set)
}

fn severity_label(msg: &Messages, s: Option<Severity>) -> String {
    match s {
        Some(s) => format!(
            "<span class=\"sev {}\">{}</span>",
            s.as_str(),
            t(msg, &format!("severity-{}", s.as_str()))
        ),
        None => "–".into(),
    }
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (lang, set) = lang(&q, &headers, state.secure_cookies());
    login_page(&state, lang, q.get("next").map(String::as_str), None, set)
}

/// The sign-in form with a fresh token the server issued and signed, bound to a cookie
/// that lasts as long as the token ([`crate::login_token`]).
fn login_page(
    state: &AppState,
    lang: Lang,
    next: Option<&str>,
    error: Option<&str>,
    set: Option<HeaderValue>,
) -> Response {
    let msg = Messages::new(lang);
    let token = match state.login_key().issue(state.now().timestamp()) {
        Ok(t) => t,
        Err(e) => return ApiError::internal(e.to_string()).into_response(),
    };
    let mut cookies: Vec<HeaderValue> = set.into_iter().collect();
    cookies.push(cookie(
        LOGIN_COOKIE,
        &token,
        crate::login_token::LIFETIME_SECS,
        state.secure_cookies(),
    ));
    let error = error
        .map(|id| format!("<p class=\"error\" id=\"error\">{}</p>", t(&msg, id)))
        .unwrap_or_default();
    let other = match msg.lang() {
        Lang::Ja => ("en", "English"),
        Lang::En => ("ja", "日本語"),
    };
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — kizuna</title><link rel=\"stylesheet\" href=\"/static/kizuna.css\"></head>\
         <body class=\"login\"><main><h1>kizuna</h1><p>{about}</p>{error}\
         <form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>{name} <input id=\"name\" name=\"name\" autocomplete=\"username\" required></label>\
         <label>{password} <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <button id=\"sign-in\" type=\"submit\">{signin}</button></form>\
         <p><a href=\"/login?lang={code}\">{label}</a></p></main></body></html>\n",
        lang = msg.lang().code(),
        title = t(&msg, "web-login"),
        about = t(&msg, "web-title"),
        next = esc(&local_path(next)),
        name = t(&msg, "web-name"),
        password = t(&msg, "web-password"),
        signin = t(&msg, "web-sign-in"),
        code = other.0,
        label = other.1,
    );
    page(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        },
        body,
        cookies,
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let address = Remote::of(&req);
    let from = address.map(|ip| ip.to_string());
    let (lang, set) = lang(&HashMap::new(), &headers, state.secure_cookies());
    let Ok(Form(f)) = Form::<LoginForm>::from_request(req, &()).await else {
        return login_page(&state, lang, None, Some("web-login-expired"), set);
    };
    let bound = cookies(&headers)
        .get(LOGIN_COOKIE)
        .cloned()
        .unwrap_or_default();
    // The form and the cookie carry the same token, and this server issued it lately: a
    // value the client picked fails the second test.
    if !accounts::same_secret(&bound, &f.csrf)
        || !state.login_key().verify(&bound, state.now().timestamp())
    {
        return login_page(
            &state,
            lang,
            f.next.as_deref(),
            Some("web-login-expired"),
            set,
        );
    }
    let now = state.now();
    // Account names are at most 64 characters; longer input is cut, so neither the audit
    // log nor the throttle keeps large strings from strangers.
    let name: String = f.name.trim().chars().take(64).collect();
    let attempt = match state.throttle().attempt(address, &name, Instant::now()) {
        Ok(a) => a,
        Err(_) => {
            // Refused before the password is looked at; the refusal is audited.
            let who = name.clone();
            let audited = state
                .with_store(move |store| {
                    Ok(store.audit(&AuditRow {
                        id: 0,
                        time: now,
                        actor: "anonymous".into(),
                        action: "login-throttled".into(),
                        detail: serde_json::json!({ "name": who }).to_string(),
                        remote: from,
                    })?)
                })
                .await;
            if let Err(e) = audited {
                return e.into_response();
            }
            let mut r = login_page(
                &state,
                lang,
                f.next.as_deref(),
                Some("web-login-throttled"),
                set,
            );
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return r;
        }
    };
    // The account is read under the store's lock; argon2 runs outside it, a few at a
    // time, so sign-ins never hold up the pages.
    let who = name.clone();
    let account = match state
        .with_reader(move |store| Ok(store.account(&who)?))
        .await
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let found = {
        let _permit = state.password_checks().acquire().await;
        let password = f.password;
        tokio::task::spawn_blocking(move || accounts::check_password(account, &password))
            .await
            .unwrap_or(None)
    };
    if found.is_some() {
        state.throttle().succeeded(attempt);
    }
    let result = state
        .with_store(move |store| {
            let (actor, action) = match &found {
                Some(_) => (format!("account:{name}"), "login"),
                None => ("anonymous".to_string(), "login-failed"),
            };
            store.audit(&AuditRow {
                id: 0,
                time: now,
                actor,
                action: action.into(),
                detail: serde_json::json!({ "name": name }).to_string(),
                remote: from,
            })?;
            match found {
                Some((a, _)) => accounts::start_session(store, &a.name, now)
                    .map(|(cookie, _)| Some(cookie))
                    .map_err(|e| ApiError::internal(e.to_string())),
                None => Ok(None),
            }
        })
        .await;
    match result {
        Ok(Some(session)) => {
            let mut r = Redirect::to(&local_path(f.next.as_deref())).into_response();
            let secure = state.secure_cookies();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                cookie(
                    SESSION_COOKIE,
                    &session,
                    accounts::SESSION_HOURS * 3600,
                    secure,
                ),
            );
            h.append(header::SET_COOKIE, cookie(LOGIN_COOKIE, "", 0, secure));
            r
        }
        Ok(None) => login_page(
            &state,
            lang,
            f.next.as_deref(),
            Some("web-login-failed"),
            set,
        ),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let from = remote(&req);
    let Some(session) = cookies(&headers).get(SESSION_COOKIE).cloned() else {
        return Redirect::to("/login").into_response();
    };
    let Ok(Form(f)) = Form::<CsrfForm>::from_request(req, &()).await else {
        return ApiError::bad_request("the sign-out form lacks its token").into_response();
    };
    let now = state.now();
    let done = state
        .with_store(move |store| {
            let Some((s, a, _)) = accounts::session(store, &session, now)
                .map_err(|e| ApiError::internal(e.to_string()))?
            else {
                return Ok(());
            };
            if !accounts::same_secret(&s.csrf, &f.csrf) {
                return Err(ApiError::form_expired());
            }
            store.end_session(&s.hash, now)?;
            store.audit(&AuditRow {
                id: 0,
                time: now,
                actor: format!("account:{}", a.name),
                action: "logout".into(),
                detail: "{}".into(),
                remote: from,
            })?;
            Ok(())
        })
        .await;
    match done {
        Ok(()) => {
            let mut r = Redirect::to("/login").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                cookie(SESSION_COOKIE, "", 0, state.secure_cookies()),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_only_leads_within_the_site() {
        for ok in [
            "/",
            "/devices",
            "/devices/PC01?lang=ja",
            "/reports/1/report.html",
        ] {
            assert_eq!(local_path(Some(ok)), ok);
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example",
            "/\t\\evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "https://evil.example/",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
