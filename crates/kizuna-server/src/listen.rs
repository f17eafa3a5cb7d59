//! The accept loop: plain HTTP or HTTPS over one listener, HTTP/1.1, with time limits on
//! handshakes and request headers (a slow client cannot hold a connection open for
//! free), and a graceful stop that lets requests in flight finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::api::Remote;

/// How long a TLS handshake and a request's headers may take.
const HANDSHAKE: Duration = Duration::from_secs(10);
const HEADERS: Duration = Duration::from_secs(30);
/// How long requests in flight get once a stop was asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    stop: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(stop);
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("kizuna serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let app = app.clone().layer(axum::Extension(Remote(addr)));
        let watcher = graceful.watcher();
        match acceptor.clone() {
            None => {
                tokio::spawn(connection(tcp, app, watcher));
            }
            Some(acceptor) => {
                tokio::spawn(async move {
                    // A client that does not speak TLS, or too slowly, is dropped.
                    if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await
                    {
                        connection(tls, app, watcher).await;
                    }
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("kizuna serve: requests still running after {DRAIN:?}; stopping anyway");
    }
}

async fn connection<S>(io: S, app: Router, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADERS)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    // Errors here are the client's (a reset, a malformed request): nothing to report.
    let _ = watcher.watch(conn).await;
}
