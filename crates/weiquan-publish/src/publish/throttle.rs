//! Failed sign-ins slow down later attempts from the same address: for each
//! account and address pair, and for the address as a whole.
//!
//! Nothing is locked outright and nothing is counted per account alone, so
//! guessing from one address never keeps the account's owner out at
//! another. After [`PAIR_FREE`] failures on one account from one address,
//! that pair waits 2 s, then 4 s, 8 s … up to [`MAX_WAIT`] after each further
//! failure; [`ADDRESS_FREE`] failures from one address on any names (trying
//! many accounts) slow every attempt from it the same way. Attempts made
//! while waiting are refused before any password is checked and are not
//! counted, so they cost nothing and extend nothing. Failures are forgotten
//! [`FORGET_AFTER`] after the last one; a successful sign-in forgets its
//! pair's.
//!
//! The rows live in the staff database's `login_throttle` table, one per
//! pair and one per address (with the name `''`, which no account has).
//! Names are stored cut to [`MAX_NAME_CHARS`] characters, so junk names
//! cannot grow the table beyond one short row per attempt that was allowed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::credentials::MAX_NAME_CHARS;

/// Failures of one account from one address before its attempts wait.
pub const PAIR_FREE: u32 = 5;
/// Failures from one address, on any names, before all its attempts wait.
pub const ADDRESS_FREE: u32 = 20;
/// The longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures are forgotten when the last one is this old. Longer than
/// [`MAX_WAIT`], so a guesser at the slowest pace stays at it.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The name of the row that counts a whole address.
const WHOLE_ADDRESS: &str = "";

/// The wait after `failures` failures when `free` are let through: none
/// below `free`, then 2, 4, 8 … seconds, at most [`MAX_WAIT`].
pub fn wait_after(failures: u32, free: u32) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let doublings = (failures - free + 1).min(20);
    Duration::from_secs(1 << doublings).min(MAX_WAIT)
}

/// How long an attempt on `name` from `address` must still wait at `now`
/// (zero: it may go ahead).
pub fn wait(conn: &Connection, name: &str, address: &str, now: DateTime<Utc>) -> rusqlite::Result<Duration> {
    let now_ms = now.timestamp_millis();
    let mut statement = conn.prepare_cached(
        "SELECT name = ?3, failures, last_ms FROM login_throttle
         WHERE address = ?1 AND (name = ?2 OR name = ?3) AND last_ms > ?4",
    )?;
    let rows = statement.query_map(params![address, key(name), WHOLE_ADDRESS, forgotten_before(now)], |row| {
        Ok((row.get::<_, bool>(0)?, row.get::<_, u32>(1)?, row.get::<_, i64>(2)?))
    })?;
    let mut longest = Duration::ZERO;
    for row in rows {
        let (whole, failures, last_ms) = row?;
        let free = if whole { ADDRESS_FREE } else { PAIR_FREE };
        let until = last_ms.saturating_add(i64::try_from(wait_after(failures, free).as_millis()).unwrap_or(i64::MAX));
        let left = Duration::from_millis(u64::try_from(until - now_ms).unwrap_or(0));
        longest = longest.max(left);
    }
    Ok(longest)
}

/// Counts a failed attempt on `name` from `address`, for the pair (unless
/// no name was given) and for the address. Forgotten rows are swept out.
pub fn record_failure(conn: &Connection, name: &str, address: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM login_throttle WHERE last_ms <= ?1", [forgotten_before(now)])?;
    let mut count = conn.prepare_cached(
        "INSERT INTO login_throttle (name, address, failures, last_ms) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (name, address) DO UPDATE SET failures = failures + 1, last_ms = excluded.last_ms",
    )?;
    let name = key(name);
    if !name.is_empty() {
        count.execute(params![name, address, now.timestamp_millis()])?;
    }
    count.execute(params![WHOLE_ADDRESS, address, now.timestamp_millis()])?;
    Ok(())
}

/// Forgets the failures of `name` from `address` after a successful sign-in.
/// The address's own count stays: signing in to one's own account must not
/// reset a count of guesses at others.
pub fn clear(conn: &Connection, name: &str, address: &str) -> rusqlite::Result<()> {
    let name = key(name);
    if !name.is_empty() {
        conn.execute("DELETE FROM login_throttle WHERE name = ?1 AND address = ?2", params![name, address])?;
    }
    Ok(())
}

/// Rows whose last failure is at or before this (in milliseconds) are forgotten.
fn forgotten_before(now: DateTime<Utc>) -> i64 {
    now.timestamp_millis() - i64::try_from(FORGET_AFTER.as_millis()).unwrap_or(i64::MAX)
}

/// The name as stored: at most [`MAX_NAME_CHARS`] characters (longer names
/// belong to no account).
fn key(name: &str) -> &str {
    name.char_indices().nth(MAX_NAME_CHARS).map_or(name, |(end, _)| &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_cap() {
        let waits: Vec<u64> = (0..12).map(|n| wait_after(n, PAIR_FREE).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(wait_after(14, PAIR_FREE), MAX_WAIT);
        assert_eq!(wait_after(u32::MAX, PAIR_FREE), MAX_WAIT);
        assert_eq!(wait_after(19, ADDRESS_FREE), Duration::ZERO);
        assert_eq!(wait_after(20, ADDRESS_FREE), Duration::from_secs(2));
        assert!(FORGET_AFTER > MAX_WAIT);
    }

    #[test]
    fn names_are_kept_short() {
        assert_eq!(key("alice"), "alice");
        assert_eq!(key(&"张".repeat(64)), "张".repeat(64));
        assert_eq!(key(&"张".repeat(10_000)), "张".repeat(64));
    }
}
