//! Signing in (throttled per account and address, [`throttle`]) and the
//! browser sessions that follow.

use std::fmt;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::users::read_user;
use super::{AuditAction, Store, StoreError, User, credentials, random_hex, sha256_hex};
use crate::db::stamp;
use crate::publish::throttle;

/// A logged-in browser session.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The secret cookie value; only its SHA-256 is stored.
    pub token: String,
    /// The anti-forgery token that forms must echo.
    pub csrf: String,
    pub user: User,
    /// UTC, RFC 3339.
    pub expires_at: String,
}

impl fmt::Debug for Session {
    /// Hides the secrets, so sessions can be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"…")
            .field("csrf", &"…")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The result of [`Store::login`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Right name and password of an enabled account.
    Ok(User),
    /// Unknown name, wrong password, or a disabled account (deliberately not
    /// told apart: a disabled account's answer does not say whether its
    /// password was right).
    Wrong,
    /// Too many recent failures for this account from this address, or from
    /// this address on any names: try again after `wait`. The password was
    /// not checked.
    Throttled { wait: StdDuration },
}

impl Store {
    /// Checks a password given for `name` from `address` at `now` (passed in
    /// for tests).
    ///
    /// Attempts are throttled for the account and address pair and for the
    /// address ([`throttle`]): a throttled attempt is refused before the
    /// password is checked. A failure (unknown name, wrong password,
    /// disabled account) is counted; success forgets the pair's failures.
    /// An unknown name costs as much time as a known one, and a disabled
    /// account answers [`LoginOutcome::Wrong`] whether or not the password
    /// is right.
    ///
    /// Runs argon2: call it on the blocking pool.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome, StoreError> {
        let (wait, stored) = self.read(|db| {
            let wait = throttle::wait(db, name, address, now)?;
            if !wait.is_zero() {
                return Ok((wait, None));
            }
            let rows = db.query(
                "SELECT id, name, role, disabled, created_at, password_hash FROM users WHERE lower(name) = lower(?1)",
                &[name.into()],
            )?;
            let stored = rows.first().map(|row| Ok::<_, StoreError>((read_user(row)?, row.text(5)?.to_owned())));
            Ok((wait, stored.transpose()?))
        })?;
        if !wait.is_zero() {
            return Ok(LoginOutcome::Throttled { wait });
        }
        // Argon2 runs without the lock, so one slow login does not stall the rest.
        let hash = stored.as_ref().map_or(credentials::dummy_hash(), |(_, hash)| hash.as_str());
        let right =
            credentials::verify(password, hash).map_err(|e| StoreError::Corrupt(format!("password hash: {e}")))?;
        let user = stored.map(|(user, _)| user).filter(|user| right && !user.disabled);
        self.transaction(|tx| {
            // Failures running at the same time may have crossed the limit meanwhile.
            let wait = throttle::wait(tx.db, name, address, now)?;
            if !wait.is_zero() {
                return Ok(LoginOutcome::Throttled { wait });
            }
            Ok(match user {
                Some(user) => {
                    throttle::clear(tx.db, name, address)?;
                    LoginOutcome::Ok(user)
                }
                None => {
                    throttle::record_failure(tx.db, name, address, now)?;
                    tx.audit(name, AuditAction::FailedLogin, "", address)?;
                    LoginOutcome::Wrong
                }
            })
        })
    }

    /// How long an attempt on `name` from `address` must still wait at
    /// `now` (zero: it may go ahead), by the rule [`Store::login`] applies:
    /// lets callers refuse early, without queueing for password hashing.
    pub fn login_wait(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<StdDuration, StoreError> {
        self.read(|db| Ok(throttle::wait(db, name, address, now)?))
    }

    /// Starts a session for `user` lasting `lifetime` from `now`, and
    /// records the sign-in from `address` in the audit log in the same
    /// transaction. The token and the CSRF token are 32 random bytes in
    /// hex; only the SHA-256 of the token is stored. Expired sessions are
    /// swept out here.
    pub fn create_session(
        &self,
        user: &User,
        lifetime: Duration,
        now: DateTime<Utc>,
        address: &str,
    ) -> Result<Session, StoreError> {
        let token = random_hex(32)?;
        let csrf = random_hex(32)?;
        let expires_at = stamp(now + lifetime);
        let now = stamp(now);
        self.transaction(|tx| {
            tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", &[now.as_str().into()])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, csrf, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    sha256_hex(&token).into(),
                    csrf.as_str().into(),
                    user.id.into(),
                    now.as_str().into(),
                    expires_at.as_str().into(),
                ],
            )?;
            tx.audit(&user.name, AuditAction::Login, "", address)
        })?;
        Ok(Session { token, csrf, user: user.clone(), expires_at })
    }

    /// The live session for a token: `None` if unknown, expired, or the user
    /// is disabled. The returned `Session.token` is the given token, and the
    /// user is read afresh (so a changed role applies at once).
    pub fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT u.id, u.name, u.role, u.disabled, u.created_at, s.csrf, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
                &[sha256_hex(token).into(), stamp(now).into()],
            )?)
        })?;
        let Some(row) = rows.first() else { return Ok(None) };
        let (csrf, expires_at) = (row.text(5)?.to_owned(), row.text(6)?.to_owned());
        Ok(Some(Session { token: token.to_owned(), csrf, user: read_user(row)?, expires_at }))
    }

    /// Ends a session (sign-out) and records it in the audit log in the
    /// same transaction. A session already gone is still recorded.
    pub fn end_session(&self, session: &Session) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", &[sha256_hex(&session.token).into()])?;
            tx.audit(&session.user.name, AuditAction::Logout, "", "")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::Role;
    use crate::publish::store::testing::{PASSWORD, on_both, rows, t0, texts};

    #[test]
    fn login_accepts_the_right_password_only() {
        on_both("login_accepts_the_right_password_only", |store| {
            let alice = store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(alice.clone()));
            assert_eq!(store.login("Alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(alice));
            assert_eq!(store.login("alice", "wrong password", "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
            assert_eq!(store.login("nobody", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
            assert_eq!(store.login(&"x".repeat(100_000), PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
            let longest = rows(store, "SELECT MAX(LENGTH(name)) FROM login_throttle", &[])[0].int(0).unwrap();
            assert!(longest <= 64, "junk names are stored cut short ({longest})");
        });
    }

    fn throttled(seconds: u64) -> LoginOutcome {
        LoginOutcome::Throttled { wait: StdDuration::from_secs(seconds) }
    }

    #[test]
    fn failures_slow_down_their_own_address_only_and_ever_longer() {
        on_both("failures_slow_down_their_own_address_only_and_ever_longer", |store| {
            let alice = store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            let attacker = "203.0.113.7";
            for i in 0..5 {
                assert_eq!(
                    store.login("alice", "guess", attacker, t0() + Duration::seconds(i)).unwrap(),
                    LoginOutcome::Wrong
                );
            }
            // The fifth failure (at +4 s) makes the attacker's address wait 2 s,
            // even with the right password, and the wait is not extended by trying.
            let fifth = t0() + Duration::seconds(4);
            assert_eq!(store.login("alice", PASSWORD, attacker, fifth).unwrap(), throttled(2));
            assert_eq!(store.login("alice", "guess", attacker, fifth + Duration::seconds(1)).unwrap(), throttled(1));
            assert_eq!(store.login_wait("ALICE", attacker, fifth).unwrap(), StdDuration::from_secs(2));
            // The owner at another address is not held up at all.
            assert_eq!(store.login_wait("alice", "198.51.100.1", fifth).unwrap(), StdDuration::ZERO);
            assert_eq!(store.login("alice", PASSWORD, "198.51.100.1", fifth).unwrap(), LoginOutcome::Ok(alice.clone()));
            // Each further failure doubles the wait, up to the cap.
            let (mut now, mut waited) = (fifth, 2);
            for expected in [4, 8, 16, 32, 64, 128, 256, 512, 900, 900] {
                now += Duration::seconds(waited);
                assert_eq!(store.login("alice", "guess", attacker, now).unwrap(), LoginOutcome::Wrong);
                assert_eq!(store.login("alice", PASSWORD, attacker, now).unwrap(), throttled(expected));
                waited = expected as i64;
            }
            // A day after the last failure, it is forgotten.
            let later = now + Duration::hours(24);
            assert_eq!(store.login("alice", PASSWORD, attacker, later).unwrap(), LoginOutcome::Ok(alice));
        });
    }

    #[test]
    fn many_names_from_one_address_slow_down_that_address() {
        on_both("many_names_from_one_address_slow_down_that_address", |store| {
            store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            // Twenty names, four tries each: no pair reaches its limit, the address does.
            for i in 0..20 {
                let outcome = store.login(&format!("user{}", i % 5), "guess", "203.0.113.7", t0()).unwrap();
                assert_eq!(outcome, LoginOutcome::Wrong);
            }
            assert_eq!(store.login("alice", PASSWORD, "203.0.113.7", t0()).unwrap(), throttled(2));
            let outcome = store.login("alice", PASSWORD, "198.51.100.1", t0()).unwrap();
            assert!(matches!(outcome, LoginOutcome::Ok(_)), "{outcome:?}");
            let outcome = store.login("alice", PASSWORD, "203.0.113.7", t0() + Duration::seconds(2)).unwrap();
            assert!(matches!(outcome, LoginOutcome::Ok(_)), "{outcome:?}");
        });
    }

    #[test]
    fn success_forgets_the_pair_failures_but_not_the_address_count() {
        on_both("success_forgets_the_pair_failures_but_not_the_address_count", |store| {
            store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            for _ in 0..4 {
                store.login("alice", "guess", "10.0.0.1", t0()).unwrap();
            }
            assert!(matches!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));
            for _ in 0..4 {
                store.login("alice", "guess", "10.0.0.1", t0()).unwrap();
            }
            assert!(matches!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));
            // Eight failures from the address so far; twelve more on other names reach its limit.
            for i in 0..12 {
                store.login(&format!("other{}", i % 3), "guess", "10.0.0.1", t0()).unwrap();
            }
            assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), throttled(2));
        });
    }

    #[test]
    fn sessions_expire_and_end() {
        on_both("sessions_expire_and_end", |store| {
            let alice = store.add_user(None, "alice", Role::Editor, PASSWORD).unwrap();
            let session = store.create_session(&alice, Duration::hours(1), t0(), "10.0.0.1").unwrap();
            assert_eq!(session.token.len(), 64);
            assert_eq!(session.csrf.len(), 64);
            assert!(session.token.chars().all(|c| c.is_ascii_hexdigit()));
            assert_ne!(session.token, session.csrf);
            assert_eq!(session.expires_at, "2026-05-01T09:00:00Z");

            let found = store.session(&session.token, t0() + Duration::minutes(59)).unwrap().unwrap();
            assert_eq!(found, session);
            assert_eq!(store.session(&session.token, t0() + Duration::hours(1)).unwrap(), None);
            assert_eq!(store.session("not a token", t0()).unwrap(), None);

            // Only the hash of the token is stored.
            let stored = texts(store, "SELECT token_hash FROM sessions").remove(0);
            assert_ne!(stored, session.token);
            assert_eq!(stored, sha256_hex(&session.token));
            assert!(!format!("{session:?}").contains(&session.token));

            let other = store.create_session(&alice, Duration::hours(1), t0(), "10.0.0.1").unwrap();
            store.end_session(&other).unwrap();
            assert_eq!(store.session(&other.token, t0()).unwrap(), None);
            store.end_session(&other).unwrap();
            let log: Vec<String> = store.audit_log(10).unwrap().into_iter().rev().map(|e| e.action).collect();
            assert_eq!(
                log,
                ["user.add", "login", "login", "logout", "logout"],
                "a session already gone is still recorded"
            );
        });
    }
}
