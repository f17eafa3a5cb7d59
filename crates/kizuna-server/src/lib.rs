//! `kizuna serve`: one place for a team. Collectors post evidence; administrators and
//! scripts read the findings, devices, events and the plan; nobody without a token (or,
//! in the web interface, an account) sees anything.
//!
//! The server adds no rules and no readers of its own: uploads go through the readers of
//! `kizuna scan` into the same store (SQLite or PostgreSQL), and findings come from the
//! same `kizuna-pipeline` call, so a file gives the same findings whether it was scanned
//! or uploaded.
//!
//! Safe by default: HTTPS when given a certificate, and plain HTTP only on a loopback
//! address unless asked for explicitly (behind a TLS-terminating proxy).

pub mod accounts;
pub mod api;
pub mod auth;
pub mod error;
pub mod forwarded;
pub mod listen;
pub mod login_token;
pub mod reports;
pub mod state;
pub mod throttle;
pub mod tls;
pub mod upload;
pub mod views;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use kizuna_core::Knowledge;
use kizuna_store::Location;

pub use auth::{Bootstrap, Scope};
pub use state::{AppState, BodyPace, Uploads};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub db: Location,
    /// PEM certificate chain and key: HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Serve plain HTTP on a non-loopback address (a TLS proxy in front).
    pub allow_plain_http: bool,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub uploads: Uploads,
    pub knowledge: Arc<Knowledge>,
    /// `KIZUNA_ADMIN_TOKEN`: made an admin token on start, once.
    pub admin_token: Option<String>,
    /// Judge and log as of this time instead of the clock (`KIZUNA_NOW`, for reproducible
    /// runs and tests).
    pub fixed_now: Option<kizuna_core::Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing plain HTTP on {0}: give a TLS certificate and key, listen on a loopback \
         address, or allow plain HTTP where a TLS proxy stands in front"
    )]
    PlainHttp(SocketAddr),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Store(#[from] kizuna_store::StoreError),
    #[error(transparent)]
    Token(#[from] auth::TokenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

/// The whole application: the API and the web interface.
pub fn app(state: AppState) -> Router {
    // Browsers reach the server over HTTPS (its own or a proxy's): they are told to keep
    // doing so, so a later plain-HTTP link cannot strip the session's protection.
    let hsts = state.secure_cookies();
    web::routes(state.clone())
        .merge(api::routes(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state,
            forwarded::layer,
        ))
        .layer(axum::middleware::map_response(
            move |mut r: axum::response::Response| async move {
                let h = r.headers_mut();
                if hsts {
                    h.insert(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static("max-age=31536000"),
                    );
                }
                // Answers hold evidence and findings: never cached, never sniffed.
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                // A refused request's body may be left unread, which ends the connection
                // (axum's own 405 included): say so, or a client reuses it and loses its next
                // request.
                if r.status().is_client_error() || r.status().is_server_error() {
                    r.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                r
            },
        ))
}

/// Opens the store and applies `KIZUNA_ADMIN_TOKEN`.
pub fn open(config: &Config) -> Result<AppState, ServeError> {
    let mut connections = state::Connections::open(&config.db)?;
    if let Some(secret) = &config.admin_token {
        let now = config.fixed_now.unwrap_or_else(chrono::Utc::now);
        match auth::bootstrap_admin(&mut connections.writer, secret, now)? {
            // It stays revoked and grants nothing; refusing to start over it would turn
            // the revocation into an outage at the next service restart.
            Bootstrap::Revoked(id) => eprintln!(
                "kizuna serve: warning: KIZUNA_ADMIN_TOKEN was revoked (token {id}) and grants \
                 nothing; remove it from the service's environment"
            ),
            Bootstrap::Created(id) => {
                eprintln!("kizuna serve: KIZUNA_ADMIN_TOKEN stored as admin token {id}")
            }
            Bootstrap::Known(_) => {}
        }
    }
    upload::remove_leftovers(&config.uploads);
    Ok(AppState::new(
        connections,
        config.knowledge.clone(),
        config.uploads.clone(),
        config.fixed_now,
        config.tls.is_some() || config.allow_plain_http,
        config.trusted_proxies.clone(),
    ))
}

/// Runs the server until Ctrl-C or SIGTERM; `ready` gets the bound address and scheme
/// once it accepts connections.
pub fn serve(
    config: Config,
    ready: impl FnOnce(SocketAddr, &'static str),
) -> Result<(), ServeError> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::server_config(cert, key)?),
        None if !config.listen.ip().is_loopback() && !config.allow_plain_http => {
            return Err(ServeError::PlainHttp(config.listen));
        }
        None => None,
    };
    let state = open(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
        ready(addr, if tls.is_some() { "https" } else { "http" });
        listen::serve(listener, app(state), tls, stop_signal()).await;
        Ok(())
    })
}

/// Ctrl-C, or SIGTERM (a service manager stopping the server).
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
