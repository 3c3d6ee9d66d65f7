//! Password hashing and checking off the async workers.
//!
//! Argon2id costs tens of milliseconds of CPU and about 20 MB per password,
//! on purpose. Run on the async workers, a crowd of sign-ins (200 from 200
//! addresses stalled `/healthz` for 4.5 s) holds every worker, and nothing
//! else is answered meanwhile. So sign-ins and new passwords run on the
//! blocking pool, at most [`PERMITS`] at once; a caller that finds no free
//! permit within [`WAIT`] gets 503 with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::WebError;

/// Passwords hashed at once: enough for a staff that signs in a few times a
/// day, few enough to leave the other cores to pages and searches.
const PERMITS: usize = 2;
/// How long a caller waits for a permit before it is told to come back.
const WAIT: Duration = Duration::from_secs(3);

/// The permits for password work; clones share them.
#[derive(Clone)]
pub(crate) struct Hashing {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Default for Hashing {
    /// [`PERMITS`] at once, callers waiting up to [`WAIT`].
    fn default() -> Hashing {
        Hashing::new(PERMITS, WAIT)
    }
}

impl Hashing {
    /// `permits` at once; callers wait up to `wait` for one.
    fn new(permits: usize, wait: Duration) -> Hashing {
        Hashing { permits: Arc::new(Semaphore::new(permits)), wait }
    }

    /// One of the permits, once free; [`WebError::busy`] when none is free
    /// in time. The admin holds it while its blocking helper runs the
    /// password work.
    pub(crate) async fn permit(&self) -> Result<OwnedSemaphorePermit, WebError> {
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| WebError::busy())?
            .map_err(|_| WebError::internal())
    }

    /// Runs `work`, which hashes or checks a password, on the blocking pool
    /// once a permit is free; [`WebError::busy`] when none is free in time.
    #[cfg(test)]
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, WebError> {
        let permit = self.permit().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| WebError::internal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn callers_beyond_the_permits_wait_then_hear_busy() {
        let hashing = Hashing::new(2, Duration::from_millis(200));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        // Both permits held by work that waits for a signal.
        let holders: Vec<_> = (0..2)
            .map(|_| {
                let (hashing, released) = (hashing.clone(), released.clone());
                tokio::spawn(async move { hashing.run(move || released.lock().unwrap().recv().unwrap()).await })
            })
            .collect();
        while hashing.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = hashing.run(|| ()).await.unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        for _ in 0..2 {
            release.send(()).unwrap();
        }
        for holder in holders {
            holder.await.unwrap().unwrap();
        }
        assert_eq!(hashing.run(|| 7).await.unwrap(), 7, "permits come back");
    }
}
