//! The accept loop: HTTP/1 over TCP with a cap on open connections and a
//! deadline for each request head, so slow, idle or oversized clients
//! cannot hold the server. (`axum::serve` sets no timer, so hyper's header
//! timeout would be off, and it accepts without limit.) Event streams, the
//! only responses that stay open, get a smaller cap of their own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::{AppState, app, events};

/// Largest request head (request line and headers); a larger one gets 431.
const HEAD_LIMIT: usize = 16 * 1024;
/// After shutdown starts, how long open responses (event streams, which end
/// only after their lifetime) may run before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed accept (out of file descriptors) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What clients may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; further clients wait in the listen backlog
    /// until one closes. Default 1,024.
    pub max_connections: usize,
    /// Time a client has to send a whole request head, on a new connection
    /// and between requests on a kept-alive one; then it is closed. Default 10 s.
    pub header_timeout: Duration,
    /// Event streams (`/api/events`, one per open kiosk, home or warnings
    /// page) open at once; more get 503. At most half the connections, so
    /// the other half always serves ordinary requests. Default 256.
    pub max_event_streams: usize,
    /// Event streams one client address may hold; more get 429. Default 16
    /// (a mall's visitors may share one address).
    pub event_streams_per_address: usize,
    /// How long an event stream lasts before it ends and the browser
    /// reconnects, giving its place back meanwhile. Default 5 minutes.
    pub event_stream_lifetime: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            max_event_streams: 256,
            event_streams_per_address: 16,
            event_stream_lifetime: Duration::from_secs(5 * 60),
        }
    }
}

/// The event stream limits within `limits`: never more streams than half
/// the connections.
pub(super) fn event_streams(limits: &ConnectionLimits) -> events::Streams {
    let max = limits.max_event_streams.min(limits.max_connections / 2);
    if max < limits.max_event_streams {
        tracing::warn!(max, "event streams are capped at half the connections");
    }
    events::Streams::new(max, limits.event_streams_per_address, limits.event_stream_lifetime)
}

/// Serves on `listener` within `limits` until `shutdown` (for `serve`,
/// [`stop_signal`]) completes, then finishes the requests in flight.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "serving");
    let state = AppState { streams: Arc::new(event_streams(&limits)), ..state };
    tokio::spawn(events::announce(state.clone()));
    // Files edited by other means are reindexed while the server runs.
    let _watcher = match &state.publisher {
        Some(publisher) => match weiquan_publish::publish::watch::watch(publisher.clone()) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "cannot watch the content folder: changed files need a restart");
                None
            }
        },
        None => None,
    };
    // On a shared database, documents saved on other machines are taken
    // as they are announced (the thread lives as long as the process).
    if let Some(Err(error)) = state.publisher.clone().and_then(weiquan_publish::publish::shared::follow_others) {
        tracing::error!(%error, "cannot listen for documents saved on other machines: they need a restart");
    }
    let router = app(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(HEAD_LIMIT);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let connections = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else { continue };
        // Handlers see the client's address (the search rate limit needs it).
        let service = router.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.shutdown()).await.is_err() {
        tracing::info!("stopping with responses still open");
    }
    Ok(())
}

/// The next connection once a slot is free; `None` when accepting failed.
async fn accept(
    listener: &tokio::net::TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(tokio::net::TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit)> {
    let slot = slots.clone().acquire_owned().await.expect("the connection slots are never closed");
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(error) => {
            tracing::warn!(%error, "cannot accept a connection");
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            None
        }
    }
}

/// Ctrl-C or SIGTERM, listened for from the moment this is called, not
/// from the moment the future is first polled: call it before telling
/// anyone the server has started. Registered on the accept loop's first
/// turn instead, a SIGTERM sent as soon as the start line was out could
/// come before the listener and be lost: the server ran on (seen once in
/// `cli::serve_answers_and_stops_cleanly_on_sigterm` on a busy machine).
pub fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?)
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
