//! The SQLite file in the data folder (or the PostgreSQL server of
//! [`database`]), shared by the staff tables
//! ([`crate::publish::Store`]) and the search insights ([`crate::insights`]):
//! how it is opened, its schema ([`migrations`]), how times are written in it
//! and where its random tokens come from. It knows nothing of either user, so
//! both build on it.
//!
//! Times are UTC RFC 3339 strings with whole seconds (`2026-05-01T08:00:00Z`),
//! which sort as text.

pub mod copy;
pub mod database;
mod migrations;
pub mod postgres;
pub mod sql;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub use migrations::MIGRATIONS;

/// The database's file name inside the data folder.
pub const FILE: &str = "weiquan.sqlite3";
/// How long a statement waits for another connection's write lock before it
/// fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What can go wrong opening the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data folder or the database file cannot be created or opened.
    #[error("cannot open the database `{path}`: {source}. Check that the data folder exists and is writable")]
    Open { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
    /// The file was written by a newer version of this program.
    #[error(
        "the database `{path}` has schema version {found}, but this program knows only up to {known}: \
         run a newer weiquan, or restore the backup that matches this version"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    /// Setting a pragma or a migration step failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Opens the database file `path` (creating its folder and the file) and
/// migrates it to the newest schema: schema versions via `PRAGMA
/// user_version`, each migration in a transaction ([`MIGRATIONS`]); WAL
/// journal, `synchronous = normal`, foreign keys on, and a busy timeout.
/// Every connection to the file is opened here, so all of them run with the
/// same settings.
pub fn open(path: &Path) -> Result<Connection, Error> {
    let open_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::Open { path: path.to_owned(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| open_error(e.into()))?;
    }
    let mut conn = Connection::open(path).map_err(|e| open_error(e.into()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // `journal_mode` answers with the mode in force; WAL needs a file
    // system with shared memory, so report it rather than run without.
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_error(format!("the file system does not support WAL journals (got {mode})").into()));
    }
    conn.pragma_update(None, "synchronous", "normal")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    migrations::migrate(&mut conn, path)?;
    Ok(conn)
}

/// UTC, RFC 3339, whole seconds, `Z`: one fixed shape, so text order is time order.
pub fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `bytes` random bytes from the operating system, as lower-case hex.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)?;
    Ok(hex(&buffer))
}

/// `bytes` as lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The first column of every row `sql` answers, as text: what tests read
/// back from the file.
#[cfg(test)]
pub(crate) fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn.prepare(sql).unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_its_pragmas_and_creates_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/staff").join(FILE);
        let conn = open(&path).unwrap();
        assert!(path.is_file());
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
        let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |row| row.get(0)).unwrap();
        let timeout: i64 = conn.pragma_query_value(None, "busy_timeout", |row| row.get(0)).unwrap();
        assert_eq!((mode.as_str(), synchronous, foreign_keys, timeout), ("wal", 1, true, 5000));
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = open(&blocker.join(FILE)).unwrap_err();
        assert!(matches!(error, Error::Open { .. }), "{error}");
        assert!(error.to_string().contains("Check that the data folder exists"), "{error}");
    }

    #[test]
    fn stamps_sort_as_text_and_random_hex_is_hex() {
        let time: DateTime<Utc> = "2026-05-01T08:00:00.75Z".parse().unwrap();
        assert_eq!(stamp(time), "2026-05-01T08:00:00Z");
        let token = random_hex(32).unwrap();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{token}");
        assert_ne!(token, random_hex(32).unwrap());
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
