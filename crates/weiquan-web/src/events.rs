//! Live updates: `/api/events` streams Server-Sent Events when a warning
//! goes live (published, or its scheduled time came) or leaves (withdrawn,
//! expired), so open pages and kiosks update without a reload. One task
//! compares the warnings in force every second, so every way a warning can
//! change (admin, API, files edited on disk, the clock) is announced.
//!
//! Every open page holds a connection for its stream, so streams have their
//! own limits ([`Streams`]): fewer than the server's connections, a share
//! per client address, and a lifetime after which the stream ends and the
//! browser's EventSource reconnects by itself.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use super::client::ClientIp;
use super::error::ApiError;
use super::limit::PerAddress;
use super::{AppState, WebError};
use weiquan_core::search::WarningOrder;

/// How often the warnings in force are compared.
const TICK: Duration = Duration::from_secs(1);
/// How long a browser waits before it reconnects a stream that ended.
const RECONNECT: Duration = Duration::from_secs(3);

/// The limits of event streams.
pub(crate) struct Streams {
    /// Streams open at once.
    open: Arc<Semaphore>,
    per_address: PerAddress,
    /// How long one stream lasts.
    lifetime: Duration,
}

impl Streams {
    /// At most `max` streams, `per_address` of them for one client address,
    /// each ending after `lifetime`.
    pub(crate) fn new(max: usize, per_address: usize, lifetime: Duration) -> Streams {
        Streams { open: Arc::new(Semaphore::new(max)), per_address: PerAddress::new(per_address), lifetime }
    }

    /// The places a new stream of `client` holds while it is open: 429 when
    /// the address has its share, 503 when all streams are taken.
    fn admit(&self, client: Option<IpAddr>) -> Result<Places, WebError> {
        let address = match client {
            Some(ip) => Some(self.per_address.try_hold(ip).ok_or_else(WebError::too_many_at_once)?),
            None => None,
        };
        let open = self.open.clone().try_acquire_owned().map_err(|_| WebError::busy())?;
        Ok(Places { _open: open, _address: address })
    }
}

/// A stream's place among all streams and among its address's; given back
/// when the stream is dropped (ended, or the client went away).
struct Places {
    _open: OwnedSemaphorePermit,
    _address: Option<OwnedSemaphorePermit>,
}

/// A change in the warnings in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    /// published | withdrawn | expired
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

/// Announces changes until the process ends.
pub(crate) async fn announce(state: AppState) {
    let mut known: Option<BTreeMap<String, (String, Option<NaiveDate>)>> = None;
    let mut ticker = tokio::time::interval(TICK);
    loop {
        ticker.tick().await;
        let engine = state.engine.clone();
        let today = state.clock().today();
        let Ok(Ok(warnings)) =
            tokio::task::spawn_blocking(move || engine.warnings(Some(today), None, &WarningOrder::Newest)).await
        else {
            continue;
        };
        let now: BTreeMap<String, (String, Option<NaiveDate>)> =
            warnings.into_iter().map(|w| (w.id, (w.title, w.expires))).collect();
        if let Some(before) = &known {
            for (id, (title, _)) in now.iter().filter(|(id, _)| !before.contains_key(*id)) {
                let _ = state.events.send(Change { kind: "published", id: id.clone(), title: title.clone() });
            }
            for (id, (title, expires)) in before.iter().filter(|(id, _)| !now.contains_key(*id)) {
                let expired = expires.is_some_and(|expires| expires < today);
                let kind = if expired { "expired" } else { "withdrawn" };
                let _ = state.events.send(Change { kind, id: id.clone(), title: title.clone() });
            }
        }
        known = Some(now);
    }
}

/// The event stream, within the stream limits. It starts with the
/// reconnection delay and ends after its lifetime; browsers' EventSource
/// then reconnects by itself. A refused stream's connection is closed, so
/// it holds no slot either.
#[utoipa::path(get, path = "/api/events", responses(
    (status = 200, description = "Server-Sent Events: `warnings` when the warnings in force change", content_type = "text/event-stream"),
    (status = 429, description = "Too many streams from this address", body = super::error::ErrorBody),
    (status = 503, description = "Every stream slot is taken", body = super::error::ErrorBody),
))]
pub(crate) async fn events(State(state): State<AppState>, ClientIp(client): ClientIp) -> Response {
    let places = match state.streams.admit(client) {
        Ok(places) => places,
        Err(error) => {
            let mut response = ApiError(error).into_response();
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let changes = BroadcastStream::new(state.events.subscribe()).filter_map(|change| {
        let change = change.ok()?;
        Some(Ok(Event::default().event("warning").json_data(&change).unwrap_or_default()))
    });
    let hello = tokio_stream::once(Ok(Event::default().retry(RECONNECT)));
    let stream = Lifetime {
        events: Box::pin(hello.chain(changes)),
        ends: Box::pin(tokio::time::sleep(state.streams.lifetime)),
        _places: places,
    };
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// Events until the stream's lifetime is over, holding its places meanwhile.
struct Lifetime {
    events: Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>>,
    ends: Pin<Box<tokio::time::Sleep>>,
    _places: Places,
}

impl Stream for Lifetime {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ends.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        self.events.as_mut().poll_next(cx)
    }
}

/// A channel for changes; receivers that fall behind skip ahead.
pub(crate) fn channel() -> broadcast::Sender<Change> {
    broadcast::channel(64).0
}
