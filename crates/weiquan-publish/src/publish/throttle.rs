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
//! Names are stored in lower case (names ignore ASCII case) and cut to
//! [`MAX_NAME_CHARS`] characters, so junk names cannot grow the table
//! beyond one short row per attempt that was allowed. The statements are
//! shared ([`crate::db::sql`]): on a PostgreSQL server, every machine
//! counts the same failures.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::credentials::MAX_NAME_CHARS;
use crate::db::sql::{Executor, SqlError};

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
pub fn wait(db: &dyn Executor, name: &str, address: &str, now: DateTime<Utc>) -> Result<Duration, SqlError> {
    let now_ms = now.timestamp_millis();
    let rows = db.query(
        "SELECT name, failures, last_ms FROM login_throttle
         WHERE address = ?1 AND (name = ?2 OR name = ?3) AND last_ms > ?4",
        &[address.into(), key(name).into(), WHOLE_ADDRESS.into(), forgotten_before(now).into()],
    )?;
    let mut longest = Duration::ZERO;
    for row in rows {
        let (whole, last_ms) = (row.text(0)? == WHOLE_ADDRESS, row.int(2)?);
        let failures = u32::try_from(row.int(1)?).unwrap_or(u32::MAX);
        let free = if whole { ADDRESS_FREE } else { PAIR_FREE };
        let until = last_ms.saturating_add(i64::try_from(wait_after(failures, free).as_millis()).unwrap_or(i64::MAX));
        let left = Duration::from_millis(u64::try_from(until - now_ms).unwrap_or(0));
        longest = longest.max(left);
    }
    Ok(longest)
}

/// Counts a failed attempt on `name` from `address`, for the pair (unless
/// no name was given) and for the address. Forgotten rows are swept out.
pub fn record_failure(db: &dyn Executor, name: &str, address: &str, now: DateTime<Utc>) -> Result<(), SqlError> {
    db.execute("DELETE FROM login_throttle WHERE last_ms <= ?1", &[forgotten_before(now).into()])?;
    let count = |name: &str| {
        db.execute(
            "INSERT INTO login_throttle (name, address, failures, last_ms) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (name, address) DO UPDATE
             SET failures = login_throttle.failures + 1, last_ms = excluded.last_ms",
            &[name.into(), address.into(), now.timestamp_millis().into()],
        )
    };
    let name = key(name);
    if !name.is_empty() {
        count(&name)?;
    }
    count(WHOLE_ADDRESS)?;
    Ok(())
}

/// Forgets the failures of `name` from `address` after a successful sign-in.
/// The address's own count stays: signing in to one's own account must not
/// reset a count of guesses at others.
pub fn clear(db: &dyn Executor, name: &str, address: &str) -> Result<(), SqlError> {
    let name = key(name);
    if !name.is_empty() {
        db.execute("DELETE FROM login_throttle WHERE name = ?1 AND address = ?2", &[name.into(), address.into()])?;
    }
    Ok(())
}

/// Rows whose last failure is at or before this (in milliseconds) are forgotten.
fn forgotten_before(now: DateTime<Utc>) -> i64 {
    now.timestamp_millis() - i64::try_from(FORGET_AFTER.as_millis()).unwrap_or(i64::MAX)
}

/// The name as stored: in lower case, at most [`MAX_NAME_CHARS`]
/// characters (longer names belong to no account).
fn key(name: &str) -> String {
    name.char_indices().nth(MAX_NAME_CHARS).map_or(name, |(end, _)| &name[..end]).to_ascii_lowercase()
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

    /// The same failures, counted on SQLite and on PostgreSQL (where every
    /// machine of a cluster counts them together).
    fn counts_failures_per_pair_and_address(db: &dyn Executor) {
        let t0: DateTime<Utc> = "2026-05-01T08:00:00Z".parse().unwrap();
        let at = |seconds: i64| t0 + chrono::Duration::seconds(seconds);
        for i in 0..PAIR_FREE {
            assert_eq!(wait(db, "alice", "10.0.0.1", at(i.into())).unwrap(), Duration::ZERO);
            // Names ignore ASCII case: ALICE and alice are one account.
            record_failure(db, if i % 2 == 0 { "alice" } else { "ALICE" }, "10.0.0.1", at(i.into())).unwrap();
        }
        let last = at(i64::from(PAIR_FREE) - 1);
        assert_eq!(wait(db, "Alice", "10.0.0.1", last).unwrap(), Duration::from_secs(2));
        assert_eq!(wait(db, "alice", "10.0.0.2", last).unwrap(), Duration::ZERO, "another address is not slowed");
        assert_eq!(wait(db, "bob", "10.0.0.1", last).unwrap(), Duration::ZERO, "the address is under its limit");
        clear(db, "alice", "10.0.0.1").unwrap();
        assert_eq!(wait(db, "alice", "10.0.0.1", last).unwrap(), Duration::ZERO);
        // The address's own count stays, and reaches its limit over many names.
        for i in 0..ADDRESS_FREE - PAIR_FREE {
            record_failure(db, &format!("user{i}"), "10.0.0.1", last).unwrap();
        }
        assert_eq!(wait(db, "carol", "10.0.0.1", last).unwrap(), Duration::from_secs(2));
        // A day later everything is forgotten, and swept out at the next failure.
        let later = last + chrono::Duration::from_std(FORGET_AFTER).unwrap();
        assert_eq!(wait(db, "carol", "10.0.0.1", later).unwrap(), Duration::ZERO);
        record_failure(db, "carol", "10.0.0.9", later).unwrap();
        let rows = db.query("SELECT COUNT(*) FROM login_throttle", &[]).unwrap();
        assert_eq!(rows[0].int(0).unwrap(), 2, "only carol's pair and her address are left");
    }

    #[test]
    fn counts_failures_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join(crate::db::FILE)).unwrap();
        counts_failures_per_pair_and_address(&conn);
    }

    #[test]
    fn counts_failures_on_postgres() {
        let Some(db) = crate::db::postgres::testing::database("counts_failures_on_postgres") else { return };
        counts_failures_per_pair_and_address(&db);
    }

    #[test]
    fn names_are_kept_short() {
        assert_eq!(key("Alice"), "alice");
        assert_eq!(key(&"张".repeat(64)), "张".repeat(64));
        assert_eq!(key(&"张".repeat(10_000)), "张".repeat(64));
    }
}
