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

/// A server on its own thread and runtime, stopped (requests drained) when dropped: for
/// tests and `kizuna bench serve`, which drive it from ordinary threads.
pub struct Background {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds `addr` (port 0: any free port) and serves `app` with `workers` runtime threads.
    pub fn start(
        addr: std::net::SocketAddr,
        app: Router,
        tls: Option<Arc<rustls::ServerConfig>>,
        workers: usize,
    ) -> std::io::Result<Background> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(addr))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve(listener, app, tls, async {
                let _ = stopped.await;
            }));
        });
        Ok(Background {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Background {
    /// Stops the server and waits for it; `Err` with the message when its thread
    /// panicked.
    pub fn stop(mut self) -> Result<(), String> {
        self.halt()
    }

    fn halt(&mut self) -> Result<(), String> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Err(panic)) => Err(panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the server thread panicked".into())),
            _ => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Err(e) = self.halt() {
            eprintln!("kizuna serve: {e}");
        }
    }
}
