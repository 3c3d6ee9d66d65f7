//! The staff database: accounts, sessions, sign-in throttling, the audit log,
//! document versions, revisions waiting for a publisher and API tokens, in the
//! SQLite file of [`crate::db`] or on a PostgreSQL server that several
//! machines share ([`crate::db::postgres`]). One type, [`Store`], with its
//! methods in one file per concern: [`users`], [`sessions`], [`audit`],
//! [`revisions`] (with the versions) and [`tokens`]. Their statements are
//! shared ([`crate::db::sql`]): written once, run on either database.
//!
//! Secrets are never stored: passwords as Argon2id hashes, session tokens and
//! API tokens as SHA-256 hashes (they are random, so a fast hash is enough),
//! looked up by that hash. Times are [`crate::db::stamp`]s.

use std::path::{Path, PathBuf};

use crate::db;
use crate::db::database::{Database, Fault, OpenError, Target};
use crate::db::postgres::Heard;
use crate::db::sql::{Executor, Row, SqlError, Value};
use sha2::{Digest, Sha256};
use weiquan_core::clock::Clock;

use super::credentials::{self, Weakness};

mod audit;
mod revisions;
mod sessions;
mod tokens;
mod users;

pub use audit::{AuditAction, AuditEntry, DEFAULT_AUDIT_RETENTION_DAYS, action_label};
pub use revisions::{Pending, VersionInfo};
pub use sessions::{LoginOutcome, Session};
pub use tokens::{Scope, TokenInfo};
pub use users::{Role, User};

/// Everything that can go wrong in the staff database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data folder or the database file cannot be created or opened.
    #[error("cannot open the staff database `{path}`: {source}. Check that the data folder exists and is writable")]
    Open { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
    /// The file was written by a newer version of this program.
    #[error(
        "the staff database `{path}` has schema version {found}, but this program knows only up to {known}: \
         run a newer weiquan, or restore the backup that matches this version"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    /// `--database` is not a PostgreSQL connection URL (the URL itself is
    /// not repeated: it may hold a password).
    #[error("the database URL cannot be read ({0}): give postgres://user@host:port/database")]
    DatabaseUrl(String),
    /// A query failed.
    #[error("staff database error: {0}. If this repeats, check the disk and restore the database from a backup")]
    Sqlite(#[from] rusqlite::Error),
    /// A shared statement ([`db::sql`]) failed.
    #[error("staff database error: {0}. If this repeats, check the database and restore it from a backup")]
    Sql(#[source] db::sql::SqlError),
    /// The database server cannot be reached: nothing was changed, and the
    /// request may be tried again shortly.
    #[error(
        "the staff database server cannot be reached ({0}): check that PostgreSQL is running and that this \
         machine reaches it at the configured address, then try again"
    )]
    Unavailable(String),
    /// A stored value cannot be read back.
    #[error("the staff database holds an unreadable value ({0}): restore the database from a backup")]
    Corrupt(String),
    /// A user or token name breaks the naming rule.
    #[error("the name {0:?} is not allowed: {rule}", rule = credentials::NAME_RULE_EN)]
    InvalidName(String),
    /// A new password is too weak.
    #[error("{0}")]
    WeakPassword(Weakness),
    /// `add_user` with a name that is taken (names ignore ASCII case).
    #[error("a user named {0:?} already exists: choose another name, or change that user's password instead")]
    DuplicateUser(String),
    /// No user by that name.
    #[error("there is no user named {0:?}: check the spelling, or list the users")]
    UnknownUser(String),
    /// An admin tried to disable their own account.
    #[error("you cannot disable your own account: ask another admin")]
    DisableSelf,
    /// Disabling this account would leave no enabled admin.
    #[error("{0:?} is the last enabled admin: add or enable another admin first")]
    LastAdmin(String),
    /// No API token with that id.
    #[error("there is no API token with id {0}: list the tokens to see their ids")]
    UnknownToken(i64),
    /// A role name that is none of the three roles.
    #[error("unknown role {0:?}: use editor, publisher or admin (编辑, 发布员, 管理员)")]
    UnknownRole(String),
    /// A scope name that is none of the known scopes.
    #[error("unknown scope {0:?}: use warnings:write or warnings:publish")]
    UnknownScope(String),
    /// `create_token` without scopes.
    #[error("an API token needs at least one scope: give warnings:write and/or warnings:publish")]
    NoScopes,
    /// Hashing a password failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// The operating system gave no random bytes.
    #[error("the operating system gave no random numbers ({0}); check that /dev/urandom is available")]
    Random(String),
}

impl Fault for StoreError {
    /// Whether the database server could not be reached: the request may
    /// be tried again shortly (503 with `Retry-After`).
    fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl StoreError {
    /// For a request refused because of what was asked (a bad name, a weak
    /// password, an unknown user …): the reason in Chinese, for staff.
    /// `None` for faults of the database or the system, which are logged
    /// rather than shown.
    pub fn refusal(&self) -> Option<String> {
        Some(match self {
            StoreError::InvalidName(_) => credentials::NAME_RULE.to_owned(),
            StoreError::WeakPassword(weakness) => weakness.message(),
            StoreError::DuplicateUser(name) => format!("用户名 {name} 已被使用（不区分英文大小写）：请换一个"),
            StoreError::UnknownUser(name) => format!("没有名为 {name} 的用户"),
            StoreError::DisableSelf => "不能停用自己的账号：请另一位管理员操作".to_owned(),
            StoreError::LastAdmin(name) => {
                format!("{name} 是最后一个启用的管理员，不能停用：请先添加或启用另一位管理员")
            }
            StoreError::UnknownToken(id) => format!("没有编号为 {id} 的接口令牌"),
            StoreError::UnknownRole(role) => format!("没有“{role}”这个角色：可选 编辑、发布员、管理员"),
            StoreError::UnknownScope(scope) => format!("没有“{scope}”这个权限：可选 warnings:write、warnings:publish"),
            StoreError::NoScopes => "接口令牌至少需要一项权限".to_owned(),
            _ => return None,
        })
    }
}

impl From<SqlError> for StoreError {
    fn from(error: SqlError) -> StoreError {
        match error {
            SqlError::Unavailable(reason) => StoreError::Unavailable(reason),
            other => StoreError::Sql(other),
        }
    }
}

impl From<OpenError> for StoreError {
    fn from(error: OpenError) -> StoreError {
        match error {
            OpenError::File(error) => error.into(),
            OpenError::Server(error) => error.into(),
        }
    }
}

impl From<db::Error> for StoreError {
    fn from(error: db::Error) -> StoreError {
        match error {
            db::Error::Open { path, source } => StoreError::Open { path, source },
            db::Error::TooNew { path, found, known } => StoreError::TooNew { path, found, known },
            db::Error::Sqlite(error) => StoreError::Sqlite(error),
        }
    }
}

/// The staff database ([`Database`]): calls block, so async code should
/// call them from `spawn_blocking`. Password hashing runs outside the
/// database's lock.
#[derive(Debug)]
pub struct Store {
    database: Database,
    /// Stamps rows with its time (the system's until [`Store::with_clock`]).
    clock: Clock,
}

impl Store {
    /// The database's file name inside the data folder.
    pub const FILE: &'static str = db::FILE;

    /// Opens the database file in `dir`, creating both, and migrates it
    /// ([`db::open`]: WAL journal, foreign keys on, busy timeout).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::at(&Target::File(dir.join(Self::FILE)))
    }

    /// Connects to a PostgreSQL server and migrates its schema. Should the
    /// connection be lost later, the next call makes a new one.
    pub fn connect(config: postgres::Config) -> Result<Store, StoreError> {
        Ok(Store { database: Database::connect(config)?, clock: Clock::default() })
    }

    /// The store the settings name: on the PostgreSQL server of
    /// `database_url` when one is given, else in the SQLite file in `data`.
    pub fn configured(database_url: Option<&str>, data: &Path) -> Result<Store, StoreError> {
        Store::at(&Target::configured(database_url, data).map_err(StoreError::DatabaseUrl)?)
    }

    /// The store in the database `target` names.
    pub fn at(target: &Target) -> Result<Store, StoreError> {
        Ok(Store { database: Database::open(target)?, clock: Clock::default() })
    }

    /// Whether other machines may share the database (a PostgreSQL server):
    /// then the newest version of a document in the store, not the file on
    /// one machine's disk, is the document.
    pub fn is_shared(&self) -> bool {
        self.database.server().is_some()
    }

    /// Hears the documents other machines save ([`Tx::notify_saved`]) on a
    /// connection of its own, in a thread that runs until the process
    /// ends. `None` for a SQLite file, which no other machine writes.
    pub fn listen(
        &self,
        heard: impl Fn(Heard) + Send + 'static,
    ) -> Option<std::io::Result<std::thread::JoinHandle<()>>> {
        let server = self.database.server()?;
        Some(db::postgres::listen(server.clone(), SAVED_CHANNEL, heard))
    }

    /// The same store, stamping rows with `clock`'s time.
    pub fn with_clock(self, clock: Clock) -> Store {
        Store { clock, ..self }
    }

    /// Runs `read` on the database, outside a transaction ([`Database::read`]).
    fn read<T>(&self, read: impl Fn(&dyn Executor) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.database.read(read)
    }

    /// Runs `change` in one serialised transaction ([`Database::transaction`]):
    /// what it writes, its audit entries included ([`Tx::audit`]), is kept
    /// together when it returns `Ok`, and none of it when it fails.
    pub fn transaction<T, E: From<StoreError>>(&self, change: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        self.database.transaction(true, |db| change(&Tx { db, clock: &self.clock })).map_err(StoreError::from)?
    }
}

/// The staff database inside one transaction ([`Store::transaction`]): the
/// writes that change documents' versions and revisions, and the audit
/// entries that record them.
pub struct Tx<'a> {
    db: &'a dyn Executor,
    clock: &'a Clock,
}

impl Tx<'_> {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        Ok(self.db.execute(sql, params)?)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        Ok(self.db.query(sql, params)?)
    }
}

/// The channel on which a saved document's id is sent to the machines
/// sharing the database.
const SAVED_CHANNEL: &str = "weiquan_saved";

/// The actor the audit log records for changes made from the command line.
pub const COMMAND_LINE: &str = "cli";

/// The audit log's actor for a change made by `by`: the user's name, or
/// [`COMMAND_LINE`].
fn by_name(by: Option<&User>) -> &str {
    by.map_or(COMMAND_LINE, |user| user.name.as_str())
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if !credentials::valid_name(name) {
        return Err(StoreError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// `bytes` random bytes from the operating system, as hex ([`db::random_hex`]).
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    db::random_hex(bytes).map_err(|e| StoreError::Random(e.to_string()))
}

fn sha256_hex(text: &str) -> String {
    db::hex(&Sha256::digest(text.as_bytes()))
}

/// What the tests of every concern start from.
#[cfg(test)]
mod testing {
    use std::path::Path;

    use chrono::{DateTime, Utc};
    use rusqlite::Connection;

    use super::{Row, Store, Value};

    pub(super) const PASSWORD: &str = "correct horse";

    pub(super) fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    pub(super) fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    pub(super) fn t0() -> DateTime<Utc> {
        at("2026-05-01T08:00:00Z")
    }

    /// A second connection to the store's file, as another process has.
    pub(super) fn raw(dir: &Path) -> Connection {
        Connection::open(dir.join(Store::FILE)).unwrap()
    }

    /// Runs `test` on a store in a fresh SQLite file, then on one in a
    /// fresh PostgreSQL schema ([`crate::db::postgres::testing`]).
    pub(super) fn on_both(name: &str, test: impl Fn(&Store)) {
        let (_dir, sqlite) = store();
        test(&sqlite);
        if let Some(server) = crate::db::postgres::testing::config(name) {
            test(&Store::connect(server).unwrap());
        }
    }

    /// What `sql` answers on the store's database, as a test reads it back.
    pub(super) fn rows(store: &Store, sql: &str, params: &[Value]) -> Vec<Row> {
        store.read(|db| Ok(db.query(sql, params)?)).unwrap()
    }

    /// The first column of every row of `sql`, as text.
    pub(super) fn texts(store: &Store, sql: &str) -> Vec<String> {
        rows(store, sql, &[]).iter().map(|row| row.text(0).unwrap().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use super::testing::{PASSWORD, raw, store};
    use super::*;

    #[test]
    fn migrates_a_fresh_file_and_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data/staff");
        let store = Store::open(&data).unwrap();
        assert!(data.join(Store::FILE).is_file());
        store.add_user(None, "alice", Role::Admin, PASSWORD).unwrap();
        drop(store);

        let conn = raw(&data);
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, db::MIGRATIONS.len() as i64);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(conn);

        let store = Store::open(&data).unwrap();
        let foreign_keys = testing::rows(&store, "PRAGMA foreign_keys", &[])[0].bool(0).unwrap();
        assert!(foreign_keys);
        assert_eq!(store.users().unwrap().iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["alice"]);
    }

    #[test]
    fn a_locked_database_is_waited_for_then_refused_with_a_clear_error() {
        let (dir, store) = store();
        let audited = |store: &Store| store.audit_log(100).unwrap().len();
        // Another process holds the write lock briefly: the write waits and lands.
        let other = raw(dir.path());
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let holder = std::thread::spawn(move || {
            std::thread::sleep(StdDuration::from_millis(300));
            other.execute_batch("COMMIT").unwrap();
            other
        });
        store.audit("alice", AuditAction::Login, "", "").unwrap();
        let other = holder.join().unwrap();
        assert_eq!(audited(&store), 1);
        // Held past the bound: a clear error after the wait, nothing written.
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let error = store.audit("alice", AuditAction::Login, "", "").unwrap_err().to_string();
        assert!(started.elapsed() >= StdDuration::from_secs(4), "retried for the bound first");
        assert!(error.contains("locked") && error.contains("staff database"), "{error}");
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(audited(&store), 1);
    }

    #[test]
    fn a_database_url_that_cannot_be_read_is_refused_without_repeating_it() {
        let dir = tempfile::tempdir().unwrap();
        let error = Store::configured(Some("postgres://alice:s3cret@host:notaport/db"), dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::DatabaseUrl(_)), "{error}");
        assert!(error.to_string().contains("postgres://user@host") && !error.to_string().contains("s3cret"), "{error}");
        assert!(!dir.path().join(Store::FILE).exists(), "no file is made in its place");
        Store::configured(None, dir.path()).unwrap();
        assert!(dir.path().join(Store::FILE).is_file());
    }

    #[test]
    fn a_server_that_cannot_be_reached_is_unavailable_not_broken() {
        let dir = tempfile::tempdir().unwrap();
        let error = Store::configured(Some("postgres://weiquan@127.0.0.1:1/weiquan"), dir.path()).unwrap_err();
        assert!(error.is_unavailable(), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("cannot be reached") && !message.contains("backup"), "{message}");
    }

    #[test]
    fn a_lost_server_connection_is_made_again() {
        let Some(config) = crate::db::postgres::testing::config("a_lost_server_connection") else { return };
        let store = Store::connect(config.clone()).unwrap();
        store.add_user(None, "alice", Role::Admin, PASSWORD).unwrap();
        let pid = testing::rows(&store, "SELECT CAST(pg_backend_pid() AS BIGINT)", &[])[0].int(0).unwrap();
        let other = Store::connect(config).unwrap();
        testing::rows(&other, "SELECT pg_terminate_backend(CAST(?1 AS INTEGER))", &[pid.into()]);
        let alive = || testing::rows(&other, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?1", &[pid.into()]);
        while alive()[0].int(0).unwrap() > 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(store.users().unwrap().len(), 1, "a read connects again and is answered");
        // A change made over the new connection is seen by the other machine.
        store.set_disabled(None, "alice", false).unwrap();
        assert_eq!(other.audit_log(10).unwrap().len(), 2);
    }

    #[test]
    fn refuses_a_file_from_a_newer_version() {
        let (dir, store) = store();
        drop(store);
        raw(dir.path()).pragma_update(None, "user_version", 99).unwrap();
        let error = Store::open(dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::TooNew { found: 99, .. }), "{error}");
        assert!(error.to_string().contains("run a newer weiquan"), "{error}");
    }
}
