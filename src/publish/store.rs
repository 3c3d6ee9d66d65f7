//! The staff database: accounts, sessions, sign-in throttling, the audit log,
//! document versions, revisions waiting for a publisher and API tokens, in one
//! SQLite file.
//!
//! Secrets are never stored: passwords as Argon2id hashes, session tokens and
//! API tokens as SHA-256 hashes (they are random, so a fast hash is enough),
//! looked up by that hash. Times are UTC RFC 3339 strings with whole seconds
//! (`2026-05-01T08:00:00Z`), which sort as text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use crate::clock::Clock;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, Type, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::credentials::{self, MAX_NAME_CHARS, Weakness};
use super::throttle;
use crate::text::spreadsheet::Sheet;

mod revisions;
pub use revisions::Pending;

/// Days audit entries are kept when nothing is configured.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;
/// Longest target or detail kept in an audit entry, in characters (document
/// ids are at most 512 bytes); the actor is cut to [`MAX_NAME_CHARS`].
const MAX_AUDIT_TEXT_CHARS: usize = 512;
/// Sign-ins refused while throttled, from one address within this time,
/// share one audit entry that counts them.
const REFUSED_LOGIN_WINDOW: Duration = Duration::hours(1);

/// The schema, one step per entry. Entry `i` takes the file from
/// `PRAGMA user_version` `i` to `i + 1`; never edit a step once shipped, add one.
/// 1: accounts, sessions, sign-in locks, audit, versions, API tokens.
/// 2: revisions of public documents waiting for a publisher ([`revisions`]).
/// 3: a count on audit entries (sign-ins refused while locked) and an index on their time.
/// 4: sign-in throttling per account and address and per address
///    ([`throttle`]) in place of the failure log and the locks.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('editor', 'publisher', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    csrf       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_failures_name ON login_failures (name, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE TABLE login_locks (
    kind  TEXT NOT NULL CHECK (kind IN ('account', 'address')),
    key   TEXT NOT NULL COLLATE NOCASE,
    until TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE versions (
    doc_id   TEXT NOT NULL,
    number   INTEGER NOT NULL,
    content  TEXT NOT NULL,
    author   TEXT NOT NULL,
    action   TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, number)
);
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"#,
    r#"
CREATE TABLE pending (
    doc_id   TEXT PRIMARY KEY,
    content  TEXT NOT NULL,
    base     TEXT NOT NULL,
    author   TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"#,
    r#"
-- Repeated events (sign-ins refused while locked) share one entry and count here.
ALTER TABLE audit ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
-- The retention purge and the refused sign-ins' lookup scan recent times.
CREATE INDEX audit_at ON audit (at);
"#,
    r#"
DROP TABLE login_failures;
DROP TABLE login_locks;
CREATE TABLE login_throttle (
    name     TEXT NOT NULL COLLATE NOCASE,
    address  TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_ms  INTEGER NOT NULL,
    PRIMARY KEY (name, address)
);
CREATE INDEX login_throttle_last ON login_throttle (last_ms);
"#,
];

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
    /// A query failed.
    #[error("staff database error: {0}. If this repeats, check the disk and restore the database from a backup")]
    Sqlite(#[from] rusqlite::Error),
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

/// What a staff member may do. Each role can do everything the one before can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Writes and edits drafts.
    Editor,
    /// Also publishes and withdraws warnings.
    Publisher,
    /// Also manages accounts and API tokens.
    Admin,
}

impl Role {
    /// All roles, least powerful first.
    pub const ALL: [Role; 3] = [Role::Editor, Role::Publisher, Role::Admin];

    /// The stored and command-line name: `editor`, `publisher`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }

    /// The Chinese name shown to staff: 编辑, 发布员, 管理员.
    pub fn label(self) -> &'static str {
        match self {
            Role::Editor => "编辑",
            Role::Publisher => "发布员",
            Role::Admin => "管理员",
        }
    }

    /// Publishers and admins may publish and withdraw.
    pub fn can_publish(self) -> bool {
        matches!(self, Role::Publisher | Role::Admin)
    }

    /// Only admins manage accounts and tokens.
    pub fn can_admin(self) -> bool {
        self == Role::Admin
    }
}

impl ToSql for Role {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for Role {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Role> {
        value.as_str()?.parse().map_err(|e: StoreError| FromSqlError::Other(e.into()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = StoreError;

    /// Accepts the English names (any ASCII case) and the Chinese labels.
    fn from_str(text: &str) -> Result<Role, StoreError> {
        let text = text.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text) || role.label() == text)
            .ok_or_else(|| StoreError::UnknownRole(text.to_owned()))
    }
}

/// A staff account (never carries the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// UTC, RFC 3339.
    pub created_at: String,
}

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

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// UTC, RFC 3339.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// How many times it happened (more than 1 only for sign-ins refused
    /// while throttled, counted in one entry).
    pub repeats: u32,
}

/// One saved version of a document (without its content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// 1, 2, 3 … per document.
    pub number: i64,
    pub author: String,
    pub action: String,
    /// UTC, RFC 3339.
    pub saved_at: String,
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Create and edit warning drafts.
    WarningsWrite,
    /// Publish and withdraw warnings.
    WarningsPublish,
}

impl Scope {
    /// All scopes.
    pub const ALL: [Scope; 2] = [Scope::WarningsWrite, Scope::WarningsPublish];

    /// `warnings:write` or `warnings:publish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WarningsWrite => "warnings:write",
            Scope::WarningsPublish => "warnings:publish",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Scope, StoreError> {
        let text = text.trim();
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| StoreError::UnknownScope(text.to_owned()))
    }
}

/// An API token as listed (never carries the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub revoked: bool,
    /// Whether the creator's account exists and is enabled: a token stops
    /// working while its creator is disabled.
    pub creator_active: bool,
}

/// The staff database. One connection behind a mutex: every call is short,
/// and password hashing runs outside the lock. Calls block, so async code
/// should call them from `spawn_blocking`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    /// Stamps rows with its time (the system's until [`Store::with_clock`]).
    clock: Clock,
}

impl Store {
    /// The database's file name inside the data folder.
    pub const FILE: &'static str = "weiquan.sqlite3";

    /// Opens (creating the folder and file) and migrates: schema versions via
    /// `PRAGMA user_version`, each migration in a transaction; WAL journal;
    /// foreign keys on; busy_timeout.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(Self::FILE);
        let open_error =
            |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open { path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(|e| open_error(e.into()))?;
        let mut conn = Connection::open(&path).map_err(|e| open_error(e.into()))?;
        conn.busy_timeout(StdDuration::from_secs(5))?;
        // `journal_mode` answers with the mode in force; WAL needs a file
        // system with shared memory, so report it rather than run without.
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(format!("the file system does not support WAL journals (got {mode})").into()));
        }
        conn.pragma_update(None, "synchronous", "normal")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn, &path)?;
        Ok(Store { conn: Mutex::new(conn), clock: Clock::default() })
    }

    /// The same store, stamping rows with `clock`'s time.
    pub fn with_clock(self, clock: Clock) -> Store {
        Store { clock, ..self }
    }

    /// Adds an account. The name follows the naming rule
    /// ([`credentials::valid_name`]) and is unique ignoring ASCII case; the
    /// password passes [`credentials::check_password`]. Runs argon2: call it
    /// on the blocking pool.
    pub fn add_user(&self, name: &str, role: Role, password: &str) -> Result<User, StoreError> {
        check_name(name)?;
        if self.user(name)?.is_some() {
            return Err(StoreError::DuplicateUser(name.to_owned()));
        }
        let hash = hash_password(password)?;
        let created_at = stamp(self.clock.utc());
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, role, hash, created_at],
        );
        match inserted {
            Ok(_) => {}
            // Added by another process between the check and the insert.
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                return Err(StoreError::DuplicateUser(name.to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(User { id: conn.last_insert_rowid(), name: name.to_owned(), role, disabled: false, created_at })
    }

    /// All accounts, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT id, name, role, disabled, created_at FROM users ORDER BY name COLLATE NOCASE")?;
        let rows = statement.query_map([], read_user)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The account with this name (ignoring ASCII case), if any.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT id, name, role, disabled, created_at FROM users WHERE name = ?1", [name], read_user)
            .optional()?)
    }

    /// Sets a new password (as strong as [`credentials::check_password`]
    /// asks) and ends the user's sessions. Runs argon2: call it on the
    /// blocking pool.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = user_id(&tx, name)?;
        tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![hash, id])?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Disables or re-enables an account. Disabling ends its sessions, and
    /// its API tokens stop working while it stays disabled; re-enabling
    /// revives neither sessions nor anything else.
    ///
    /// `actor` is the admin doing it (`None` from the command line). An
    /// admin cannot disable their own account, and nobody can disable the
    /// last enabled admin, so there is always someone who can open the
    /// admin pages.
    pub fn set_disabled(&self, name: &str, disabled: bool, actor: Option<&User>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        // IMMEDIATE: two admins disabled at once cannot both pass the last-admin check.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let user = tx
            .query_row("SELECT id, name, role, disabled, created_at FROM users WHERE name = ?1", [name], read_user)
            .optional()?
            .ok_or_else(|| StoreError::UnknownUser(name.to_owned()))?;
        if disabled {
            if actor.is_some_and(|actor| actor.id == user.id) {
                return Err(StoreError::DisableSelf);
            }
            let other_admins: i64 = tx.query_row(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?1",
                [user.id],
                |row| row.get(0),
            )?;
            if user.role == Role::Admin && !user.disabled && other_admins == 0 {
                return Err(StoreError::LastAdmin(user.name));
            }
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user.id])?;
        }
        tx.execute("UPDATE users SET disabled = ?1 WHERE id = ?2", params![disabled, user.id])?;
        tx.commit()?;
        Ok(())
    }

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
        let stored = {
            let conn = self.conn();
            let wait = throttle::wait(&conn, name, address, now)?;
            if !wait.is_zero() {
                return Ok(LoginOutcome::Throttled { wait });
            }
            conn.query_row(
                "SELECT id, name, role, disabled, created_at, password_hash FROM users WHERE name = ?1",
                [name],
                |row| Ok((read_user(row)?, row.get::<_, String>(5)?)),
            )
            .optional()?
        };
        // Argon2 runs without the lock, so one slow login does not stall the rest.
        let hash = stored.as_ref().map_or(credentials::dummy_hash(), |(_, hash)| hash.as_str());
        let right =
            credentials::verify(password, hash).map_err(|e| StoreError::Corrupt(format!("password hash: {e}")))?;
        let user = stored.map(|(user, _)| user).filter(|user| right && !user.disabled);
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Failures running at the same time may have crossed the limit meanwhile.
        let wait = throttle::wait(&tx, name, address, now)?;
        if !wait.is_zero() {
            return Ok(LoginOutcome::Throttled { wait });
        }
        let outcome = match user {
            Some(user) => {
                throttle::clear(&tx, name, address)?;
                LoginOutcome::Ok(user)
            }
            None => {
                throttle::record_failure(&tx, name, address, now)?;
                LoginOutcome::Wrong
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// How long an attempt on `name` from `address` must still wait at
    /// `now` (zero: it may go ahead), by the rule [`Store::login`] applies:
    /// lets callers refuse early, without queueing for password hashing.
    pub fn login_wait(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<StdDuration, StoreError> {
        Ok(throttle::wait(&self.conn(), name, address, now)?)
    }

    /// Starts a session for `user` lasting `lifetime` from `now`. The token
    /// and the CSRF token are 32 random bytes in hex; only the SHA-256 of
    /// the token is stored. Expired sessions are swept out here.
    pub fn create_session(&self, user: &User, lifetime: Duration, now: DateTime<Utc>) -> Result<Session, StoreError> {
        let token = random_hex(32)?;
        let csrf = random_hex(32)?;
        let expires_at = stamp(now + lifetime);
        let now = stamp(now);
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [&now])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, csrf, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sha256_hex(&token), csrf, user.id, now, expires_at],
        )?;
        Ok(Session { token, csrf, user: user.clone(), expires_at })
    }

    /// The live session for a token: `None` if unknown, expired, or the user
    /// is disabled. The returned `Session.token` is the given token, and the
    /// user is read afresh (so a changed role applies at once).
    pub fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT u.id, u.name, u.role, u.disabled, u.created_at, s.csrf, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
                params![sha256_hex(token), stamp(now)],
                |row| Ok((read_user(row)?, row.get::<_, String>(5)?, row.get::<_, String>(6)?)),
            )
            .optional()?;
        let Some((user, csrf, expires_at)) = row else { return Ok(None) };
        Ok(Some(Session { token: token.to_owned(), csrf, user, expires_at }))
    }

    /// Ends a session (logout). Unknown tokens are ignored.
    pub fn end_session(&self, token: &str) -> Result<(), StoreError> {
        self.conn().execute("DELETE FROM sessions WHERE token_hash = ?1", [sha256_hex(token)])?;
        Ok(())
    }

    /// Appends to the audit log, stamped with the current UTC time. The
    /// actor is cut to 64 characters and the target and detail to 512 (a cut
    /// text ends with `…`): a sign-in name is whatever was typed.
    pub fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                stamp(self.clock.utc()),
                cut(actor, MAX_NAME_CHARS),
                action,
                cut(target, MAX_AUDIT_TEXT_CHARS),
                cut(detail, MAX_AUDIT_TEXT_CHARS)
            ],
        )?;
        Ok(())
    }

    /// Records a sign-in refused while its address was throttled
    /// ([`LoginOutcome::Throttled`]). The first from `address` within an hour
    /// is an entry (`login_locked`, the action's name since it meant a lock,
    /// with the name tried then); the rest only count in it,
    /// so an attacker who keeps trying adds one row an hour, not one a try.
    pub fn audit_refused_login(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let conn = self.conn();
        let counted = conn.execute(
            "UPDATE audit SET repeats = repeats + 1 WHERE id = (SELECT id FROM audit \
             WHERE at > ?1 AND action = 'login_locked' AND detail = ?2 ORDER BY id DESC LIMIT 1)",
            params![stamp(now - REFUSED_LOGIN_WINDOW), cut(address, MAX_AUDIT_TEXT_CHARS)],
        )?;
        if counted == 0 {
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, 'login_locked', '', ?3)",
                params![stamp(now), cut(name, MAX_NAME_CHARS), cut(address, MAX_AUDIT_TEXT_CHARS)],
            )?;
        }
        Ok(())
    }

    /// Deletes the audit entries older than `retention_days` before `now`;
    /// returns how many were deleted.
    pub fn purge_audit(&self, now: DateTime<Utc>, retention_days: u32) -> Result<usize, StoreError> {
        let cutoff = stamp(now - Duration::days(i64::from(retention_days)));
        Ok(self.conn().execute("DELETE FROM audit WHERE at < ?1", [cutoff])?)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], read_audit)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The whole audit log as CSV, oldest first, with the header
    /// `at,actor,action,target,detail,repeats`; cells a spreadsheet would run
    /// as formulas are defused ([`crate::text::spreadsheet`]).
    pub fn audit_csv(&self) -> Result<String, StoreError> {
        let mut sheet = Sheet::new();
        sheet.row(["at", "actor", "action", "target", "detail", "repeats"]);
        let conn = self.conn();
        let mut statement = conn.prepare("SELECT at, actor, action, target, detail, repeats FROM audit ORDER BY id")?;
        for entry in statement.query_map([], read_audit)? {
            let e = entry?;
            sheet.row([e.at, e.actor, e.action, e.target, e.detail, e.repeats.to_string()]);
        }
        Ok(sheet.finish())
    }

    /// Saves a document's content as its next version (1, 2, 3 … per
    /// document) and returns the version number.
    pub fn save_version(&self, doc_id: &str, content: &str, author: &str, action: &str) -> Result<i64, StoreError> {
        // One statement, so two writers cannot pick the same number.
        let number = self.conn().query_row(
            "INSERT INTO versions (doc_id, number, content, author, action, saved_at)
             SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5 FROM versions WHERE doc_id = ?1
             RETURNING number",
            params![doc_id, content, author, action, stamp(self.clock.utc())],
            |row| row.get(0),
        )?;
        Ok(number)
    }

    /// A document's versions, newest first.
    pub fn versions(&self, doc_id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT number, author, action, saved_at FROM versions WHERE doc_id = ?1 ORDER BY number DESC")?;
        let rows = statement.query_map([doc_id], |row| {
            Ok(VersionInfo { number: row.get(0)?, author: row.get(1)?, action: row.get(2)?, saved_at: row.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The content of one version, if it exists.
    pub fn version(&self, doc_id: &str, number: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT content FROM versions WHERE doc_id = ?1 AND number = ?2",
                params![doc_id, number],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Creates an API token acting for the account `created_by`. Returns its
    /// listing and the secret (`wq_` and 40 hex characters), which is shown
    /// once: only its SHA-256 is stored.
    pub fn create_token(
        &self,
        name: &str,
        scopes: &[Scope],
        created_by: &str,
    ) -> Result<(TokenInfo, String), StoreError> {
        check_name(name)?;
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(StoreError::NoScopes);
        }
        // A token acts for its creator, so it needs one.
        let creator = self.user(created_by)?.ok_or_else(|| StoreError::UnknownUser(created_by.to_owned()))?;
        let secret = format!("wq_{}", random_hex(20)?);
        let created_at = stamp(self.clock.utc());
        let conn = self.conn();
        conn.execute(
            "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, sha256_hex(&secret), join_scopes(&scopes), creator.name, created_at],
        )?;
        let info = TokenInfo {
            id: conn.last_insert_rowid(),
            name: name.to_owned(),
            scopes,
            created_by: creator.name,
            created_at,
            revoked: false,
            creator_active: !creator.disabled,
        };
        Ok((info, secret))
    }

    /// All API tokens, revoked ones included, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT t.id, t.name, t.scopes, t.created_by, t.created_at, t.revoked_at IS NOT NULL,
                    COALESCE(u.disabled = 0, 0)
             FROM api_tokens t LEFT JOIN users u ON u.name = t.created_by ORDER BY t.id",
        )?;
        let rows = statement.query_map([], read_token)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a token for good. Revoking twice is not an error.
    pub fn revoke_token(&self, id: i64) -> Result<(), StoreError> {
        let conn = self.conn();
        let found = conn.execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2",
            params![stamp(self.clock.utc()), id],
        )?;
        if found == 0 {
            return Err(StoreError::UnknownToken(id));
        }
        Ok(())
    }

    /// The token a secret belongs to: `None` if unknown, revoked, or its
    /// creator is no longer an enabled account (a token acts for the person
    /// who made it). Looked up by the secret's hash, so timing says nothing
    /// about the secret.
    pub fn check_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT t.id, t.name, t.scopes, t.created_by, t.created_at, 0, 1
                 FROM api_tokens t JOIN users u ON u.name = t.created_by
                 WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0",
                [sha256_hex(secret)],
                read_token,
            )
            .optional()?)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic cannot leave a half-done write behind: an open transaction
        // rolls back when dropped. So a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    loop {
        // IMMEDIATE takes the write lock first, so two processes opening a
        // fresh file cannot both run the same step.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > known {
            return Err(StoreError::TooNew { path: path.to_owned(), found: version, known });
        }
        let Some(step) = MIGRATIONS.get(version as usize) else { return Ok(()) };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// `text` cut to `max` characters, ending with `…` when it was longer.
fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let kept = crate::text::truncate_chars(text, max);
    if kept.len() == text.len() { kept.into() } else { format!("{kept}…").into() }
}

/// UTC, RFC 3339, whole seconds, `Z`: one fixed shape, so text order is time order.
fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if !credentials::valid_name(name) {
        return Err(StoreError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// The hash of a new password, refused when it is weak.
fn hash_password(password: &str) -> Result<String, StoreError> {
    credentials::check_password(password).map_err(StoreError::WeakPassword)?;
    credentials::hash(password).map_err(|e| StoreError::Hash(e.to_string()))
}

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(hex(&buffer))
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn user_id(conn: &Connection, name: &str) -> Result<i64, StoreError> {
    conn.query_row("SELECT id FROM users WHERE name = ?1", [name], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::UnknownUser(name.to_owned()))
}

/// Reads `id, name, role, disabled, created_at` from the first five columns.
fn read_user(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User { id: row.get(0)?, name: row.get(1)?, role: row.get(2)?, disabled: row.get(3)?, created_at: row.get(4)? })
}

/// Reads `at, actor, action, target, detail, repeats`.
fn read_audit(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        at: row.get(0)?,
        actor: row.get(1)?,
        action: row.get(2)?,
        target: row.get(3)?,
        detail: row.get(4)?,
        repeats: row.get(5)?,
    })
}

/// Reads `id, name, scopes, created_by, created_at, revoked, creator_active`.
fn read_token(row: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scopes: String = row.get(2)?;
    let scopes = scopes
        .split_whitespace()
        .map(|s| s.parse().map_err(|e: StoreError| rusqlite::Error::FromSqlConversionFailure(2, Type::Text, e.into())))
        .collect::<rusqlite::Result<_>>()?;
    Ok(TokenInfo {
        id: row.get(0)?,
        name: row.get(1)?,
        scopes,
        created_by: row.get(3)?,
        created_at: row.get(4)?,
        revoked: row.get(5)?,
        creator_active: row.get(6)?,
    })
}

fn join_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "correct horse";

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn t0() -> DateTime<Utc> {
        at("2026-05-01T08:00:00Z")
    }

    fn raw(dir: &Path) -> Connection {
        Connection::open(dir.join(Store::FILE)).unwrap()
    }

    #[test]
    fn migrates_a_fresh_file_and_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data/staff");
        let store = Store::open(&data).unwrap();
        assert!(data.join(Store::FILE).is_file());
        store.add_user("alice", Role::Admin, PASSWORD).unwrap();
        drop(store);

        let conn = raw(&data);
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(conn);

        let store = Store::open(&data).unwrap();
        let foreign_keys: bool = store.conn().pragma_query_value(None, "foreign_keys", |row| row.get(0)).unwrap();
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
        store.audit("alice", "login", "", "").unwrap();
        let other = holder.join().unwrap();
        assert_eq!(audited(&store), 1);
        // Held past the bound: a clear error after the wait, nothing written.
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let error = store.audit("alice", "login", "", "").unwrap_err().to_string();
        assert!(started.elapsed() >= StdDuration::from_secs(4), "retried for the bound first");
        assert!(error.contains("locked") && error.contains("staff database"), "{error}");
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(audited(&store), 1);
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

    #[test]
    fn add_user_checks_names_duplicates_and_passwords() {
        let (_dir, store) = store();
        let alice = store.add_user("alice", Role::Publisher, PASSWORD).unwrap();
        assert_eq!((alice.name.as_str(), alice.role, alice.disabled), ("alice", Role::Publisher, false));
        assert_eq!(store.user("alice").unwrap(), Some(alice.clone()));
        assert_eq!(store.user("ALICE").unwrap(), Some(alice));
        assert_eq!(store.user("bob").unwrap(), None);

        let error = store.add_user("Alice", Role::Editor, PASSWORD).unwrap_err();
        assert!(matches!(error, StoreError::DuplicateUser(_)), "{error}");
        assert!(error.to_string().contains("already exists"), "{error}");

        // Look-alikes of `alice`: a zero-width space, a Cyrillic а.
        for name in ["", "a b", "tab\tname", &"x".repeat(65), "ali\u{200B}ce", "\u{0430}lice"] {
            let error = store.add_user(name, Role::Editor, PASSWORD).unwrap_err();
            assert!(matches!(error, StoreError::InvalidName(_)), "{name:?}: {error}");
            assert!(error.refusal().unwrap().contains("只能用英文字母、数字"), "{error}");
        }
        store.add_user(&"张".repeat(64), Role::Editor, PASSWORD).unwrap();

        for (password, weakness) in
            [("12345678", Weakness::Short), ("1234567890", Weakness::OneKind), ("Password123", Weakness::Common)]
        {
            let error = store.add_user("bob", Role::Editor, password).unwrap_err();
            assert!(matches!(error, StoreError::WeakPassword(w) if w == weakness), "{password}: {error}");
            assert_eq!(error.refusal(), Some(weakness.message()));
        }
        assert!(store.user("bob").unwrap().is_none(), "nothing is added with a weak password");
        store.add_user("bob", Role::Editor, "十个汉字的密码再加2026").unwrap();
        assert_eq!(store.users().unwrap().len(), 3);
    }

    #[test]
    fn passwords_are_not_stored_in_clear() {
        let (dir, store) = store();
        store.add_user("alice", Role::Editor, PASSWORD).unwrap();
        store.add_user("bob", Role::Editor, PASSWORD).unwrap();
        let hashes: Vec<String> = raw(dir.path())
            .prepare("SELECT password_hash FROM users")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(hashes.len(), 2);
        for hash in &hashes {
            assert!(hash.starts_with("$argon2id$"), "{hash}");
            assert!(!hash.contains(PASSWORD), "{hash}");
        }
        assert_ne!(hashes[0], hashes[1], "each password has its own salt");
    }

    #[test]
    fn login_accepts_the_right_password_only() {
        let (dir, store) = store();
        let alice = store.add_user("alice", Role::Editor, PASSWORD).unwrap();
        assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(alice.clone()));
        assert_eq!(store.login("Alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(alice));
        assert_eq!(store.login("alice", "wrong password", "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
        assert_eq!(store.login("nobody", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
        assert_eq!(store.login(&"x".repeat(100_000), PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
        let longest: i64 =
            raw(dir.path()).query_row("SELECT MAX(LENGTH(name)) FROM login_throttle", [], |row| row.get(0)).unwrap();
        assert!(longest <= 64, "junk names are stored cut short ({longest})");
    }

    fn throttled(seconds: u64) -> LoginOutcome {
        LoginOutcome::Throttled { wait: StdDuration::from_secs(seconds) }
    }

    #[test]
    fn failures_slow_down_their_own_address_only_and_ever_longer() {
        let (_dir, store) = store();
        let alice = store.add_user("alice", Role::Editor, PASSWORD).unwrap();
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
    }

    #[test]
    fn many_names_from_one_address_slow_down_that_address() {
        let (_dir, store) = store();
        store.add_user("alice", Role::Editor, PASSWORD).unwrap();
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
    }

    #[test]
    fn success_forgets_the_pair_failures_but_not_the_address_count() {
        let (_dir, store) = store();
        store.add_user("alice", Role::Editor, PASSWORD).unwrap();
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
    }

    #[test]
    fn disabled_users_cannot_log_in_and_lose_their_sessions() {
        let (_dir, store) = store();
        let alice = store.add_user("alice", Role::Publisher, PASSWORD).unwrap();
        let session = store.create_session(&alice, Duration::hours(8), t0()).unwrap();
        assert!(store.session(&session.token, t0()).unwrap().is_some());

        store.set_disabled("alice", true, None).unwrap();
        assert!(store.user("alice").unwrap().unwrap().disabled);
        assert_eq!(store.session(&session.token, t0()).unwrap(), None);
        // The right password answers as a wrong one does.
        assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
        assert_eq!(store.login("alice", "guess", "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);

        store.set_disabled("alice", false, None).unwrap();
        assert_eq!(store.session(&session.token, t0()).unwrap(), None, "re-enabling does not revive sessions");
        assert!(matches!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));

        let error = store.set_disabled("nobody", true, None).unwrap_err();
        assert!(matches!(error, StoreError::UnknownUser(_)), "{error}");
    }

    #[test]
    fn admins_cannot_disable_themselves_or_the_last_admin() {
        let (_dir, store) = store();
        let boss = store.add_user("boss", Role::Admin, PASSWORD).unwrap();
        store.add_user("ed", Role::Editor, PASSWORD).unwrap();
        let error = store.set_disabled("boss", true, Some(&boss)).unwrap_err();
        assert!(matches!(error, StoreError::DisableSelf), "{error}");
        let error = store.set_disabled("BOSS", true, None).unwrap_err();
        assert!(matches!(error, StoreError::LastAdmin(ref name) if name == "boss"), "{error}");
        assert!(error.refusal().unwrap().contains("最后一个启用的管理员"), "{error}");
        assert!(!store.user("boss").unwrap().unwrap().disabled);

        let chief = store.add_user("chief", Role::Admin, PASSWORD).unwrap();
        store.set_disabled("ed", true, Some(&boss)).unwrap();
        store.set_disabled("chief", true, Some(&boss)).unwrap();
        // With chief disabled, boss is the last one again.
        assert!(matches!(store.set_disabled("boss", true, Some(&chief)), Err(StoreError::LastAdmin(_))));
        store.set_disabled("chief", false, Some(&boss)).unwrap();
        store.set_disabled("boss", true, Some(&chief)).unwrap();
        assert!(store.user("boss").unwrap().unwrap().disabled);
    }

    #[test]
    fn a_new_password_replaces_the_old_and_ends_sessions() {
        let (_dir, store) = store();
        let alice = store.add_user("alice", Role::Editor, PASSWORD).unwrap();
        let session = store.create_session(&alice, Duration::hours(8), t0()).unwrap();
        assert!(matches!(store.set_password("alice", "short"), Err(StoreError::WeakPassword(Weakness::Short))));
        store.set_password("alice", "a new password").unwrap();
        assert_eq!(store.session(&session.token, t0()).unwrap(), None);
        assert_eq!(store.login("alice", PASSWORD, "10.0.0.1", t0()).unwrap(), LoginOutcome::Wrong);
        assert!(matches!(store.login("alice", "a new password", "10.0.0.1", t0()).unwrap(), LoginOutcome::Ok(_)));
        assert!(matches!(store.set_password("nobody", "a new password"), Err(StoreError::UnknownUser(_))));
    }

    #[test]
    fn sessions_expire_and_end() {
        let (dir, store) = store();
        let alice = store.add_user("alice", Role::Editor, PASSWORD).unwrap();
        let session = store.create_session(&alice, Duration::hours(1), t0()).unwrap();
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
        let stored: String =
            raw(dir.path()).query_row("SELECT token_hash FROM sessions", [], |row| row.get(0)).unwrap();
        assert_ne!(stored, session.token);
        assert_eq!(stored, sha256_hex(&session.token));
        assert!(!format!("{session:?}").contains(&session.token));

        let other = store.create_session(&alice, Duration::hours(1), t0()).unwrap();
        store.end_session(&other.token).unwrap();
        assert_eq!(store.session(&other.token, t0()).unwrap(), None);
        store.end_session("not a token").unwrap();
    }

    #[test]
    fn audit_csv_round_trips_awkward_fields() {
        let (_dir, store) = store();
        let awkward = "标题含逗号, \"引号\"\n和换行";
        store.audit("alice", "warning.publish", "warnings/2026-001", awkward).unwrap();
        store.audit("cli", "user.add", "bob", "role=editor").unwrap();

        let log = store.audit_log(10).unwrap();
        assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["user.add", "warning.publish"]);
        assert_eq!(store.audit_log(1).unwrap().len(), 1);
        assert!(log[0].at.ends_with('Z'));

        let text = store.audit_csv().unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["at", "actor", "action", "target", "detail", "repeats"]);
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0], vec![log[1].at.as_str(), "alice", "warning.publish", "warnings/2026-001", awkward, "1"]);
        assert_eq!(rows[1].iter().skip(1).collect::<Vec<_>>(), ["cli", "user.add", "bob", "role=editor", "1"]);
    }

    #[test]
    fn audit_texts_are_cut() {
        let (_dir, store) = store();
        store.audit(&"长".repeat(65_000), "failed_login", &"t".repeat(600), &"d".repeat(600)).unwrap();
        let entry = &store.audit_log(1).unwrap()[0];
        assert_eq!(entry.actor, format!("{}…", "长".repeat(MAX_NAME_CHARS)));
        assert_eq!((entry.target.chars().count(), entry.detail.chars().count()), (513, 513));
        store.audit("alice", "login", "", "127.0.0.1").unwrap();
        assert_eq!(store.audit_log(1).unwrap()[0].actor, "alice", "short texts are kept whole");
    }

    #[test]
    fn sign_ins_refused_while_locked_count_in_one_entry_an_hour_per_address() {
        let (_dir, store) = store();
        for (minutes, name, address) in [
            (0, "x", "10.0.0.1"),
            (1, "y", "10.0.0.1"),
            (2, "z", "10.0.0.2"),
            (59, "w", "10.0.0.1"),
            (61, "v", "10.0.0.1"),
        ] {
            store.audit_refused_login(name, address, t0() + Duration::minutes(minutes)).unwrap();
        }
        let log: Vec<(String, String, String, u32)> =
            store.audit_log(10).unwrap().into_iter().rev().map(|e| (e.actor, e.action, e.detail, e.repeats)).collect();
        let entry = |name: &str, address: &str, repeats| {
            (name.to_string(), "login_locked".to_string(), address.to_string(), repeats)
        };
        assert_eq!(log, [entry("x", "10.0.0.1", 3), entry("z", "10.0.0.2", 1), entry("v", "10.0.0.1", 1)]);
    }

    #[test]
    fn the_audit_purge_deletes_exactly_the_entries_past_the_retention() {
        let (dir, store) = store();
        let now = at("2026-11-28T12:00:00Z");
        let conn = raw(dir.path());
        for at in ["2025-11-28T11:59:59Z", "2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"] {
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, 'alice', 'login', '', '')",
                [at],
            )
            .unwrap();
        }
        assert_eq!(store.purge_audit(now, 365).unwrap(), 1, "only the entry older than 365 days");
        let kept: Vec<String> = store.audit_log(10).unwrap().into_iter().rev().map(|e| e.at).collect();
        assert_eq!(kept, ["2025-11-28T12:00:00Z", "2025-11-28T12:00:01Z", "2026-11-28T11:00:00Z"]);
        assert_eq!(store.purge_audit(now, 0).unwrap(), 3);
    }

    #[test]
    fn versions_are_numbered_per_document() {
        let (_dir, store) = store();
        assert_eq!(store.save_version("warnings/a", "v1", "alice", "create").unwrap(), 1);
        assert_eq!(store.save_version("warnings/a", "v2", "bob", "edit").unwrap(), 2);
        assert_eq!(store.save_version("warnings/b", "other", "alice", "create").unwrap(), 1);
        assert_eq!(store.save_version("warnings/a", "v3", "alice", "publish").unwrap(), 3);

        let versions = store.versions("warnings/a").unwrap();
        let summary: Vec<_> = versions.iter().map(|v| (v.number, v.author.as_str(), v.action.as_str())).collect();
        assert_eq!(summary, [(3, "alice", "publish"), (2, "bob", "edit"), (1, "alice", "create")]);
        assert_eq!(store.version("warnings/a", 2).unwrap().as_deref(), Some("v2"));
        assert_eq!(store.version("warnings/a", 4).unwrap(), None);
        assert_eq!(store.version("warnings/c", 1).unwrap(), None);
        assert!(store.versions("warnings/c").unwrap().is_empty());
    }

    #[test]
    fn api_tokens_carry_scopes_and_can_be_revoked() {
        let (dir, store) = store();
        store.add_user("alice", Role::Admin, PASSWORD).unwrap();
        let scopes = [Scope::WarningsPublish, Scope::WarningsWrite, Scope::WarningsPublish];
        let (info, secret) = store.create_token("kiosk-sync", &scopes, "ALICE").unwrap();
        assert_eq!(info.scopes, [Scope::WarningsWrite, Scope::WarningsPublish]);
        assert_eq!((info.name.as_str(), info.created_by.as_str(), info.revoked), ("kiosk-sync", "alice", false));
        assert!(info.creator_active);
        assert!(secret.starts_with("wq_") && secret.len() == 43, "{secret}");
        assert!(secret[3..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

        let (writer, writer_secret) = store.create_token("importer", &[Scope::WarningsWrite], "alice").unwrap();
        assert_eq!(store.check_token(&secret).unwrap(), Some(info.clone()));
        assert_eq!(store.check_token(&writer_secret).unwrap().unwrap().scopes, [Scope::WarningsWrite]);
        assert_eq!(store.check_token("wq_0000000000000000000000000000000000000000").unwrap(), None);
        assert_eq!(store.tokens().unwrap(), [info.clone(), writer.clone()]);

        let stored: Vec<String> = raw(dir.path())
            .prepare("SELECT token_hash FROM api_tokens")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!stored.contains(&secret) && stored.contains(&sha256_hex(&secret)));

        store.revoke_token(info.id).unwrap();
        store.revoke_token(info.id).unwrap();
        assert_eq!(store.check_token(&secret).unwrap(), None);
        assert!(store.check_token(&writer_secret).unwrap().is_some());
        assert_eq!(store.tokens().unwrap()[0], TokenInfo { revoked: true, ..info });
        assert!(matches!(store.revoke_token(999), Err(StoreError::UnknownToken(999))));
        assert!(matches!(store.create_token("empty", &[], "alice"), Err(StoreError::NoScopes)));
        assert!(matches!(store.create_token("two words", &scopes, "alice"), Err(StoreError::InvalidName(_))));
        assert!(matches!(store.create_token("orphan", &scopes, "nobody"), Err(StoreError::UnknownUser(_))));
    }

    #[test]
    fn tokens_stop_working_while_their_creator_is_disabled() {
        let (_dir, store) = store();
        store.add_user("boss", Role::Admin, PASSWORD).unwrap();
        store.add_user("alice", Role::Admin, PASSWORD).unwrap();
        let (info, secret) = store.create_token("importer", &[Scope::WarningsWrite], "alice").unwrap();
        assert!(store.check_token(&secret).unwrap().is_some());
        store.set_disabled("alice", true, None).unwrap();
        assert_eq!(store.check_token(&secret).unwrap(), None);
        assert_eq!(store.tokens().unwrap(), [TokenInfo { creator_active: false, ..info.clone() }]);
        store.set_disabled("alice", false, None).unwrap();
        assert_eq!(store.check_token(&secret).unwrap(), Some(info), "it works again once re-enabled");
    }

    #[test]
    fn roles_and_scopes_parse_and_name_themselves() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.label().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Publisher".parse::<Role>().unwrap(), Role::Publisher);
        assert_eq!("管理员".parse::<Role>().unwrap().label(), "管理员");
        assert!(matches!("root".parse::<Role>(), Err(StoreError::UnknownRole(_))));
        assert_eq!(Role::ALL.map(Role::can_publish), [false, true, true]);
        assert_eq!(Role::ALL.map(Role::can_admin), [false, false, true]);

        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        assert_eq!(Scope::WarningsWrite.as_str(), "warnings:write");
        assert_eq!(Scope::WarningsPublish.as_str(), "warnings:publish");
        assert!(matches!("warnings:delete".parse::<Scope>(), Err(StoreError::UnknownScope(_))));
    }
}
