//! Waiting for something to happen, instead of sleeping for a fixed time.

use std::future::Future;
use std::time::Duration;

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(50);

/// Waits until `check` returns `Some`, looking every 50 ms, and returns
/// what it found; `None` once `deadline` has passed without it.
pub(crate) async fn eventually<T, F: Future<Output = Option<T>>>(
    deadline: Duration,
    mut check: impl FnMut() -> F,
) -> Option<T> {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}
