//! The event stream (`/api/events`): a client hears of a published warning.

use crate::common;

use std::time::Duration;

use common::{Staff, signed_in, spawn_staff_server};

use super::{WARNING, editor_page, save};

#[tokio::test]
async fn an_event_stream_client_hears_of_a_published_warning() {
    let staff = spawn_staff_server().await;
    let mut stream = reqwest::get(format!("{}/api/events", staff.base)).await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    announcer_watching(&staff, &mut stream).await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    save(&staff, &browser, &page, &fields).await;
    let received = hear(&mut stream, "warnings/test-oven", Duration::from_secs(5)).await.expect("an event within 5 s");
    assert!(received.contains("event: warning") && received.contains("\"type\":\"published\""), "{received}");
}

/// What `stream` sends until it has sent `text` (`None` when it has not
/// within `within`).
async fn hear(stream: &mut reqwest::Response, text: &str, within: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    let mut received = String::new();
    while !received.contains(text) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.ok()?.unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
    Some(received)
}

/// Waits until the announcer has taken its first look at the warnings in
/// force: it tells of changes from then on. The look cannot be seen, so a
/// change is made until it is told of: the clock moves past the expiry of
/// `warnings/prepaid-card` and back, and the stream says it was published
/// again. Each announcement comes within a tick (a second).
async fn announcer_watching(staff: &Staff, stream: &mut reqwest::Response) {
    const TICK_AND_MARGIN: Duration = Duration::from_millis(1500);
    let now = staff.clock.utc();
    let expired = chrono::DateTime::parse_from_rfc3339("2031-01-01T00:00:00Z").unwrap().to_utc();
    let gone = "\"type\":\"expired\",\"id\":\"warnings/prepaid-card\"";
    let back = "\"type\":\"published\",\"id\":\"warnings/prepaid-card\"";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        staff.clock.set(expired);
        hear(stream, gone, TICK_AND_MARGIN).await;
        staff.clock.set(now);
        if hear(stream, back, TICK_AND_MARGIN).await.is_some() {
            return;
        }
    }
    panic!("the announcer told of no change within 15 s");
}
