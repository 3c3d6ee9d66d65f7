//! Live updates: `/api/events` streams Server-Sent Events when a warning
//! goes live (published, or its scheduled time came) or leaves (withdrawn,
//! expired), so open pages and kiosks update without a reload. One task
//! compares the warnings in force every second, so every way a warning can
//! change (admin, API, files edited on disk, the clock) is announced.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::AppState;

/// How often the warnings in force are compared.
const TICK: Duration = Duration::from_secs(1);

/// A change in the warnings in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// published | withdrawn | expired
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

/// Announces changes until the process ends.
pub async fn announce(state: AppState) {
    let mut known: Option<BTreeMap<String, (String, Option<String>)>> = None;
    let mut ticker = tokio::time::interval(TICK);
    loop {
        ticker.tick().await;
        let engine = state.engine.clone();
        let today = state.clock().today();
        let Ok(Ok(warnings)) = tokio::task::spawn_blocking(move || engine.warnings(Some(today), None)).await else {
            continue;
        };
        let now: BTreeMap<String, (String, Option<String>)> =
            warnings.into_iter().map(|w| (w.id, (w.title, w.expires))).collect();
        if let Some(before) = &known {
            for (id, (title, _)) in now.iter().filter(|(id, _)| !before.contains_key(*id)) {
                let _ = state.events.send(Change { kind: "published", id: id.clone(), title: title.clone() });
            }
            for (id, (title, expires)) in before.iter().filter(|(id, _)| !now.contains_key(*id)) {
                let expired = expires.as_deref().is_some_and(|e| e < today.format("%Y-%m-%d").to_string().as_str());
                let kind = if expired { "expired" } else { "withdrawn" };
                let _ = state.events.send(Change { kind, id: id.clone(), title: title.clone() });
            }
        }
        known = Some(now);
    }
}

/// The event stream. Browsers' EventSource reconnects by itself.
pub async fn events(State(state): State<AppState>) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.events.subscribe()).filter_map(|change| {
        let change = change.ok()?;
        Some(Ok(Event::default().event("warning").json_data(&change).unwrap_or_default().retry(Duration::from_secs(3))))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// A channel for changes; receivers that fall behind skip ahead.
pub fn channel() -> broadcast::Sender<Change> {
    broadcast::channel(64).0
}
