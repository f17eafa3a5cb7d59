//! Administration in the browser (role admin): API tokens (made, shown once, revoked),
//! accounts (made with a role), and the audit log. The same functions as the API and the
//! console do the work, so each change is audited the same way.

use std::collections::HashMap;
use std::fmt::Write;

use axum::extract::{Form, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kizuna_i18n::Messages;
use kizuna_report::{esc, rfc3339};
use kizuna_store::{AccountRow, AuditRow, TokenRow};

use super::{Viewer, form_refused, frame, page, signed_in_as, t, ta, table_open, table_row, text};
use crate::accounts::{self, Role};
use crate::api::remote;
use crate::auth::{self, Scope};
use crate::error::ApiError;
use crate::state::AppState;

/// Audit entries shown.
const AUDIT_SHOWN: i64 = 50;

/// The administration page: tokens, accounts, the newest audit entries.
pub(super) async fn admin(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = match signed_in_as(&state, &headers, &q, "/admin", Role::Admin).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match listing(&state).await {
        Ok(l) => admin_page(v, &l, None),
        Err(e) => e.into_response(),
    }
}

struct Listing {
    tokens: Vec<TokenRow>,
    accounts: Vec<AccountRow>,
    audit: Vec<AuditRow>,
}

async fn listing(state: &AppState) -> Result<Listing, ApiError> {
    state
        .with_reader(|store| {
            Ok(Listing {
                tokens: store.tokens()?,
                accounts: store.accounts()?,
                audit: store.audit_log(AUDIT_SHOWN)?,
            })
        })
        .await
}

fn time(t: &Option<kizuna_core::Timestamp>) -> String {
    t.as_ref().map(rfc3339).unwrap_or_else(|| "–".into())
}

/// The page; `made` is a token just made, whose secret is shown this once.
fn admin_page(v: Viewer, l: &Listing, made: Option<(&TokenRow, &str)>) -> Response {
    let msg = &Messages::new(v.lang);
    let csrf = esc(&v.csrf);
    let mut main = String::new();
    if let Some((row, secret)) = made {
        let _ = write!(
            main,
            "<p class=\"notice\" id=\"made\">{}</p><p><code id=\"secret\">{}</code></p>",
            ta(
                msg,
                "web-token-made",
                &[
                    ("id", text(&row.id.to_string())),
                    ("name", text(&row.name)),
                    ("scope", text(&row.scope)),
                ]
            ),
            esc(secret)
        );
    }

    let _ = write!(
        main,
        "<section><h2>{}</h2>{}",
        t(msg, "web-tokens"),
        table_open(
            "tokens",
            &[
                "#".into(),
                t(msg, "web-token-name"),
                t(msg, "web-token-scope"),
                t(msg, "web-col-created"),
                t(msg, "web-col-by"),
                t(msg, "web-col-last-used"),
                t(msg, "web-col-revoked"),
                String::new(),
            ]
        )
    );
    for tk in &l.tokens {
        let revoke = if tk.revoked.is_none() {
            format!(
                "<form method=\"post\" action=\"/admin/tokens/{id}/revoke\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button id=\"revoke-{id}\" type=\"submit\">{label}</button></form>",
                id = tk.id,
                label = t(msg, "web-token-revoke"),
            )
        } else {
            String::new()
        };
        main.push_str(&table_row(&[
            tk.id.to_string(),
            esc(&tk.name),
            esc(&tk.scope),
            esc(&rfc3339(&tk.created)),
            esc(&tk.created_by),
            time(&tk.last_used),
            time(&tk.revoked),
            revoke,
        ]));
    }
    let scopes: String = [Scope::Ingest, Scope::Read, Scope::Admin]
        .iter()
        .map(|s| format!("<option value=\"{0}\">{0}</option>", s.as_str()))
        .collect();
    let _ = write!(
        main,
        "</tbody></table><form method=\"post\" action=\"/admin/tokens\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{name} <input id=\"token-name\" name=\"name\" required maxlength=\"100\"></label>\
         <label>{scope} <select id=\"token-scope\" name=\"scope\">{scopes}</select></label>\
         <button id=\"make-token\" type=\"submit\">{make}</button></form></section>",
        name = t(msg, "web-token-name"),
        scope = t(msg, "web-token-scope"),
        make = t(msg, "web-token-create"),
    );

    let _ = write!(
        main,
        "<section><h2>{}</h2>{}",
        t(msg, "web-accounts"),
        table_open(
            "accounts",
            &[
                t(msg, "web-name"),
                t(msg, "web-role"),
                t(msg, "web-col-created"),
                t(msg, "web-col-disabled"),
            ]
        )
    );
    for a in &l.accounts {
        main.push_str(&table_row(&[
            esc(&a.name),
            esc(&a.role),
            esc(&rfc3339(&a.created)),
            time(&a.disabled),
        ]));
    }
    let roles: String = [Role::Viewer, Role::Operator, Role::Admin]
        .iter()
        .map(|r| format!("<option value=\"{0}\">{0}</option>", r.as_str()))
        .collect();
    let _ = write!(
        main,
        "</tbody></table><form method=\"post\" action=\"/admin/accounts\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{name} <input id=\"account-name\" name=\"name\" required maxlength=\"64\" autocomplete=\"off\"></label>\
         <label>{role} <select id=\"account-role\" name=\"role\">{roles}</select></label>\
         <label>{password} <input id=\"account-password\" name=\"password\" type=\"password\" required minlength=\"{min}\" autocomplete=\"new-password\"></label>\
         <button id=\"make-account\" type=\"submit\">{make}</button></form></section>",
        name = t(msg, "web-name"),
        role = t(msg, "web-role"),
        password = t(msg, "web-password"),
        min = accounts::MIN_PASSWORD,
        make = t(msg, "web-account-create"),
    );

    let _ = write!(
        main,
        "<section><h2>{}</h2>{}",
        ta(msg, "web-audit", &[("count", super::num(l.audit.len()))]),
        table_open(
            "audit",
            &[
                t(msg, "report-col-time"),
                t(msg, "web-col-by"),
                t(msg, "web-col-action"),
                t(msg, "web-col-detail"),
                t(msg, "web-col-remote"),
            ]
        )
    );
    for e in &l.audit {
        main.push_str(&table_row(&[
            esc(&rfc3339(&e.time)),
            esc(&e.actor),
            esc(&e.action),
            format!("<code>{}</code>", esc(&e.detail)),
            esc(e.remote.as_deref().unwrap_or("")),
        ]));
    }
    main.push_str("</tbody></table></section>");
    let title = msg.get("web-admin", &[]);
    let body = frame(&v, msg, &esc(&title), "/admin", &main);
    let mut r = page(StatusCode::OK, body, v.set);
    // A page with a secret on it is kept nowhere.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(serde::Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
    name: String,
    scope: String,
}

/// Makes a token and shows its secret once, on the administration page.
pub(super) async fn make_token(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let from = remote(&req);
    let v = match signed_in_as(&state, &headers, &HashMap::new(), "/admin", Role::Admin).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(Form(f)) = Form::<TokenForm>::from_request(req, &()).await else {
        return ApiError::bad_request("the token form is incomplete").into_response();
    };
    if let Some(r) = form_refused(&v, &f.csrf) {
        return r;
    }
    let Some(scope) = Scope::parse(&f.scope) else {
        return ApiError::bad_request(format!("scope: {:?}", f.scope)).into_response();
    };
    let now = state.now();
    let actor = format!("account:{}", v.name);
    let made = state
        .with_store(move |store| {
            auth::create_token(store, &f.name, scope, &actor, from, now).map_err(|e| match e {
                auth::TokenError::NoName
                | auth::TokenError::NameTooLong(_)
                | auth::TokenError::NameTaken(_)
                | auth::TokenError::NameReserved(_) => ApiError::bad_request(e.to_string()),
                e => ApiError::internal(e.to_string()),
            })
        })
        .await;
    let (row, secret) = match made {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    match listing(&state).await {
        Ok(l) => admin_page(v, &l, Some((&row, secret.expose()))),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CsrfOnly {
    csrf: String,
}

/// Revokes a token; back to the administration page.
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let from = remote(&req);
    let v = match signed_in_as(&state, &headers, &HashMap::new(), "/admin", Role::Admin).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // The id is judged after the sign-in, like everything else of the request.
    let Ok(id) = id.parse::<i64>() else {
        return ApiError::bad_request(format!("token id: {id:?}")).into_response();
    };
    let Ok(Form(f)) = Form::<CsrfOnly>::from_request(req, &()).await else {
        return ApiError::bad_request("the form lacks its token").into_response();
    };
    if let Some(r) = form_refused(&v, &f.csrf) {
        return r;
    }
    let now = state.now();
    let actor = format!("account:{}", v.name);
    let done = state
        .with_store(move |store| {
            auth::revoke_token(store, id, &actor, from, now)
                .map_err(|e| ApiError::internal(e.to_string()))
        })
        .await;
    match done {
        Ok(true) => Redirect::to("/admin").into_response(),
        Ok(false) => ApiError::not_found(format!("no live token {id}")).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct AccountForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
}

/// Makes an account; back to the administration page.
pub(super) async fn make_account(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let v = match signed_in_as(&state, &headers, &HashMap::new(), "/admin", Role::Admin).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(Form(f)) = Form::<AccountForm>::from_request(req, &()).await else {
        return ApiError::bad_request("the account form is incomplete").into_response();
    };
    if let Some(r) = form_refused(&v, &f.csrf) {
        return r;
    }
    let Some(role) = Role::parse(&f.role) else {
        return ApiError::bad_request(format!("role: {:?}", f.role)).into_response();
    };
    let now = state.now();
    let by = format!("account:{}", v.name);
    let made = state
        .with_store(move |store| {
            accounts::create_account(store, f.name.trim(), role, &f.password, &by, now).map_err(
                |e| match e {
                    accounts::AccountError::Store(e) => ApiError::from(e),
                    e => ApiError::bad_request(e.to_string()),
                },
            )
        })
        .await;
    match made {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(e) => e.into_response(),
    }
}
