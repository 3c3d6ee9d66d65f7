//! Per-address limits, so one busy client cannot crowd out everyone else:
//! a token bucket for each client address (searches, feedback), and a cap
//! on what one address may hold at once (searches running, event streams
//! open). Kiosks and people behind one NAT share an address, so the search
//! default is generous.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Searches per second per address when nothing is configured.
pub const DEFAULT_SEARCHES_PER_SECOND: u32 = 20;

/// A burst may use this many seconds' worth of searches at once.
const BURST_SECONDS: f64 = 3.0;

/// Addresses remembered before idle ones are forgotten.
const MAX_ADDRESSES: usize = 10_000;

/// A token bucket per client address.
pub struct RateLimit {
    per_second: f64,
    burst: f64,
    /// Tokens left and when they were last counted, per address.
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimit {
    /// `per_second` with bursts of three seconds' worth; `None` for 0: no limit.
    pub fn new(per_second: u32) -> Option<RateLimit> {
        (per_second > 0).then(|| RateLimit::with_burst(f64::from(per_second), f64::from(per_second) * BURST_SECONDS))
    }

    /// `per_second` on average, up to `burst` at once.
    pub fn with_burst(per_second: f64, burst: f64) -> RateLimit {
        RateLimit { per_second, burst, buckets: Mutex::default() }
    }

    /// Takes one token for `address` at `now`; false when none is left.
    pub fn allow(&self, address: IpAddr, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&address) {
            // Buckets that have refilled are the same as no bucket.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + rate * now.duration_since(*at).as_secs_f64() < burst);
        }
        let (tokens, at) = buckets.entry(address).or_insert((self.burst, now));
        *tokens = (*tokens + self.per_second * now.duration_since(*at).as_secs_f64()).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The per-address limits of searches: how many a second, and how many
/// may run at once.
pub struct SearchLimits {
    pub rate: RateLimit,
    pub at_once: PerAddress,
}

impl SearchLimits {
    /// `per_second` (see [`RateLimit::new`]) and `at_once`; `None` for a rate
    /// of 0, which turns both off: for load tests from one address, and for
    /// a proxy or load balancer that limits clients itself.
    pub fn new(per_second: u32, at_once: usize) -> Option<SearchLimits> {
        Some(SearchLimits { rate: RateLimit::new(per_second)?, at_once: PerAddress::new(at_once) })
    }
}

/// At most `max` at once per client address: a semaphore for each address
/// that holds or waits for one.
pub struct PerAddress {
    max: usize,
    semaphores: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

impl PerAddress {
    pub fn new(max: usize) -> PerAddress {
        PerAddress { max, semaphores: Mutex::default() }
    }

    /// `address`'s semaphore. Addresses nobody holds or waits for (only the
    /// map refers to their semaphore) are forgotten when the map is full.
    fn semaphore(&self, address: IpAddr) -> Arc<Semaphore> {
        let mut semaphores = self.semaphores.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if semaphores.len() >= MAX_ADDRESSES && !semaphores.contains_key(&address) {
            semaphores.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
        }
        semaphores.entry(address).or_insert_with(|| Arc::new(Semaphore::new(self.max))).clone()
    }

    /// One of `address`'s places, at once or `None`. It is given back when dropped.
    pub fn try_hold(&self, address: IpAddr) -> Option<OwnedSemaphorePermit> {
        self.semaphore(address).try_acquire_owned().ok()
    }

    /// One of `address`'s places, waiting up to `wait` for one to come free.
    pub async fn hold(&self, address: IpAddr, wait: Duration) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(address);
        tokio::time::timeout(wait, semaphore.acquire_owned()).await.ok()?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate_per_address() {
        let limit = RateLimit::new(2).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert_eq!((0..8).filter(|_| limit.allow(a, start)).count(), 6, "a burst of three seconds' worth");
        assert!(limit.allow(b, start), "other addresses are not affected");
        assert!(!limit.allow(a, start + Duration::from_millis(100)));
        assert!(limit.allow(a, start + Duration::from_millis(600)), "tokens come back at the rate");
        assert!(RateLimit::new(0).is_none());
    }

    #[tokio::test]
    async fn one_address_holds_at_most_its_share_and_others_are_not_affected() {
        let places = PerAddress::new(2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = places.try_hold(a).unwrap();
        let _second = places.try_hold(a).unwrap();
        assert!(places.try_hold(a).is_none(), "a third at once is refused");
        assert!(places.hold(a, Duration::from_millis(50)).await.is_none(), "and waiting does not help");
        assert!(places.try_hold(b).is_some(), "another address is served");
        drop(first);
        assert!(places.hold(a, Duration::from_millis(50)).await.is_some(), "a place given back is free again");
    }
}
