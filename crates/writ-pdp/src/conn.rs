//! The accept loop: at most `max_connections` open at once (more are
//! closed at once and counted), a deadline for the TLS handshake and for
//! each request's headers, an idle timeout for connections without
//! traffic, HTTP/1.1 through hyper, and graceful shutdown (requests in
//! flight finish).

use crate::state::AppState;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::time::{Instant, Sleep};

/// What the connection proved: the SPIFFE ID of its verified client
/// certificate, if any (set by the accept loop on every request).
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// The client certificate's SPIFFE ID (URI SAN).
    pub spiffe_id: Option<String>,
}

/// The limits of the accept loop.
#[derive(Clone)]
pub struct Limits {
    /// The most connections open at once.
    pub max_connections: usize,
    /// The longest a TLS handshake, or one request's headers, may take.
    pub header_timeout: Duration,
    /// How long a connection may go without any bytes read or written.
    pub idle_timeout: Duration,
    /// TLS, when configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("max_connections", &self.max_connections)
            .field("header_timeout", &self.header_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// Accepts connections until `stop` turns true, then stops accepting and
/// waits for the open connections to finish their requests.
pub async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    state: Arc<AppState>,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        // Reap finished connection tasks.
        while tasks.try_join_next().is_some() {}
        let (stream, _) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors or a transient error: back off a little.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            state.metrics().connections_refused.inc();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let limits = limits.clone();
        let state = state.clone();
        let stop = stop.clone();
        tasks.spawn(async move {
            state.metrics().open_connections.inc();
            serve_connection(stream, app, &limits, &state, stop).await;
            state.metrics().open_connections.dec();
            drop(permit);
        });
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: &Limits,
    state: &AppState,
    stop: watch::Receiver<bool>,
) {
    match &limits.tls {
        None => {
            let io = IdleIo::new(stream, limits.idle_timeout);
            http(io, app, Peer::default(), limits, state, stop).await;
        }
        Some(acceptor) => {
            let hs = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
            let tls = match hs {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    state.metrics().connections_timed_out.inc();
                    return;
                }
                Err(_) => {
                    state.metrics().connections_timed_out.inc();
                    return;
                }
            };
            let spiffe_id = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| crate::tls::spiffe_id(c.as_ref()));
            let io = IdleIo::new(tls, limits.idle_timeout);
            http(io, app, Peer { spiffe_id }, limits, state, stop).await;
        }
    }
}

async fn http<T: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    io: IdleIo<T>,
    app: Router,
    peer: Peer,
    limits: &Limits,
    state: &AppState,
    mut stop: watch::Receiver<bool>,
) {
    let peer = Arc::new(peer);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(peer.clone());
        let mut app = app.clone();
        async move { tower_service::Service::call(&mut app, req).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    if e.is_timeout() || is_idle(&e) {
                        state.metrics().connections_timed_out.inc();
                    }
                    tracing::debug!(error = %e, "connection closed");
                }
                break;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

fn is_idle(e: &hyper::Error) -> bool {
    use std::error::Error as _;
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return io.kind() == io::ErrorKind::TimedOut;
        }
        source = s.source();
    }
    false
}

/// A stream that fails with `TimedOut` when it has neither read nor
/// written anything for `idle` while being polled.
struct IdleIo<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    fn new(inner: T, idle: Duration) -> IdleIo<T> {
        IdleIo {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn touch(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle for too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if self.expired(cx) {
                    Poll::Ready(Err(idle_error()))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if self.expired(cx) {
                    Poll::Ready(Err(idle_error()))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
