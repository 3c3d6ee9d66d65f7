//! A daily cap on the searches recorded per client address, so that one
//! address cannot fill the disk or drown the staff reports in junk.
//!
//! The counter lives in memory only and never holds an address: each is
//! hashed with a key drawn at random every day, and the counts are dropped
//! when the day changes (midnight UTC), so yesterday's keys cannot be
//! matched to today's or to anything stored.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Addresses counted in one day at most (about 40 bytes each). When this
/// many have searched, searches from further addresses are not recorded
/// that day: a client with a whole IPv6 network cannot grow the map.
const MAX_ADDRESSES: usize = 100_000;

/// How many searches each address may still have recorded today.
pub(super) struct DailyQuota {
    /// Searches recorded per address per day; 0: no cap.
    per_address: u32,
    today: Mutex<Day>,
}

struct Day {
    date: NaiveDate,
    key: [u8; 32],
    counts: HashMap<[u8; 16], u32>,
}

impl Day {
    fn new(date: NaiveDate) -> Day {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the system's random source works");
        Day { date, key, counts: HashMap::new() }
    }

    /// The keyed hash an address is counted under. IPv6 clients are counted
    /// by their /64 network, which one household or host usually has whole.
    fn slot(&self, client: IpAddr) -> [u8; 16] {
        let mut hash = Sha256::new();
        hash.update(self.key);
        match client.to_canonical() {
            IpAddr::V4(v4) => hash.update(v4.octets()),
            IpAddr::V6(v6) => hash.update(&v6.octets()[..8]),
        }
        let digest = hash.finalize();
        let mut slot = [0u8; 16];
        slot.copy_from_slice(&digest[..16]);
        slot
    }
}

impl DailyQuota {
    /// A cap of `per_address` searches a day (0: no cap).
    pub(super) fn new(per_address: u32) -> DailyQuota {
        DailyQuota { per_address, today: Mutex::new(Day::new(NaiveDate::MIN)) }
    }

    /// Whether one more search from `client` may be recorded on `date`
    /// (UTC); counts it when it may.
    pub(super) fn take(&self, client: IpAddr, date: NaiveDate) -> bool {
        if self.per_address == 0 {
            return true;
        }
        let mut day = self.today.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if day.date != date {
            *day = Day::new(date);
        }
        let slot = day.slot(client);
        if !day.counts.contains_key(&slot) && day.counts.len() >= MAX_ADDRESSES {
            return false;
        }
        let count = day.counts.entry(slot).or_insert(0);
        if *count >= self.per_address {
            return false;
        }
        *count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn each_address_gets_its_cap_a_day() {
        let quota = DailyQuota::new(3);
        let (a, b): (IpAddr, IpAddr) = ("203.0.113.7".parse().unwrap(), "198.51.100.1".parse().unwrap());
        assert_eq!((0..5).map(|_| quota.take(a, day(1))).collect::<Vec<_>>(), [true, true, true, false, false]);
        assert!(quota.take(b, day(1)), "another address has its own count");
        assert!(quota.take(a, day(2)), "a new day starts afresh");
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let quota = DailyQuota::new(2);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_network: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_network: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(quota.take(first, day(1)) && quota.take(same_network, day(1)));
        assert!(!quota.take(first, day(1)));
        assert!(quota.take(other_network, day(1)));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(quota.take(v4, day(1)) && quota.take(mapped, day(1)) && !quota.take(v4, day(1)));
    }

    #[test]
    fn the_map_is_bounded() {
        let quota = DailyQuota::new(1);
        for n in 0..MAX_ADDRESSES as u32 {
            assert!(quota.take(IpAddr::from(n.to_be_bytes()), day(1)));
        }
        assert!(!quota.take("203.0.113.7".parse().unwrap(), day(1)), "a full map records no new address");
        assert_eq!(quota.today.lock().unwrap().counts.len(), MAX_ADDRESSES);
    }

    #[test]
    fn zero_means_no_cap() {
        let quota = DailyQuota::new(0);
        assert!((0..1000).all(|_| quota.take("203.0.113.7".parse().unwrap(), day(1))));
    }
}
