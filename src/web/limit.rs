//! Per-address rate limits (searches, feedback): a token bucket for each
//! client address, so one busy client cannot crowd out everyone else.
//! Kiosks and people behind one NAT share an address, so the search default
//! is generous.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Searches per second per address when nothing is configured.
pub const DEFAULT_SEARCHES_PER_SECOND: u32 = 20;

/// A burst may use this many seconds' worth of searches at once.
const BURST_SECONDS: f64 = 3.0;

/// Addresses remembered before idle ones are forgotten.
const MAX_ADDRESSES: usize = 10_000;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
