//! The schema of the database, as the steps that build it.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::Error;

/// The schema, one step per entry. Entry `i` takes the file from
/// `PRAGMA user_version` `i` to `i + 1`; never edit a step once shipped, add one.
/// 1: accounts, sessions, sign-in locks, audit, versions, API tokens.
/// 2: revisions of public documents waiting for a publisher (`publish::store::revisions`).
/// 3: a count on audit entries (sign-ins refused while locked) and an index on their time.
/// 4: sign-in throttling per account and address and per address
///    (`publish::throttle`) in place of the failure log and the locks.
/// 5: the search insights ([`crate::insights`]): searches, topics, opened
///    results and feedback. Before this step `Insights::open` created them
///    itself with `CREATE TABLE IF NOT EXISTS`, so a file may have them at
///    any version: the step keeps `IF NOT EXISTS` and leaves them as found.
pub const MIGRATIONS: &[&str] = &[
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
    r#"
CREATE TABLE IF NOT EXISTS searches (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    query      TEXT NOT NULL,
    results    INTEGER NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('web', 'api', 'kiosk')),
    kiosk      TEXT,
    region     TEXT,
    search_ref TEXT NOT NULL
);
-- Reports scan a time range: this index covers the columns they read.
CREATE INDEX IF NOT EXISTS searches_by_time ON searches (at, region, query, results, search_ref, channel, kiosk);
CREATE INDEX IF NOT EXISTS searches_ref ON searches (search_ref);
CREATE TABLE IF NOT EXISTS opens (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    search_ref TEXT NOT NULL,
    position   INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    search_ref TEXT NOT NULL,
    topic      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS topics_ref ON topics (search_ref, topic);
CREATE INDEX IF NOT EXISTS topics_at ON topics (at);
CREATE INDEX IF NOT EXISTS opens_ref ON opens (search_ref, doc, position);
CREATE INDEX IF NOT EXISTS opens_at ON opens (at);
CREATE TABLE IF NOT EXISTS feedback (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    doc     TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
"#,
];

/// Runs the steps the file has not had yet, one transaction each.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let known = MIGRATIONS.len() as i64;
    loop {
        // IMMEDIATE takes the write lock first, so two processes opening a
        // fresh file cannot both run the same step.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > known {
            return Err(Error::TooNew { path: path.to_owned(), found: version, known });
        }
        let Some(step) = MIGRATIONS.get(version as usize) else { return Ok(()) };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{FILE, open, strings};

    /// The old `Insights::open` ran exactly the statements of step 5, with
    /// `IF NOT EXISTS`, whenever it opened the file: after the staff store
    /// had migrated it (version 4), or first, on a fresh file (version 0).
    #[test]
    fn a_file_whose_insights_tables_were_made_the_old_way_migrates_with_them_intact() {
        for version in [0, 4] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(FILE);
            {
                let conn = Connection::open(&path).unwrap();
                for step in &MIGRATIONS[..version] {
                    conn.execute_batch(step).unwrap();
                }
                conn.pragma_update(None, "user_version", version as i64).unwrap();
                conn.execute_batch(MIGRATIONS[4]).unwrap();
                conn.execute_batch(
                    "INSERT INTO searches (at, query, results, channel, kiosk, region, search_ref)
                         VALUES ('2026-05-01T08:00:00Z', '预付卡', 3, 'kiosk', 'mall-1', '上海', '00112233aabbccdd');
                     INSERT INTO topics (at, search_ref, topic) VALUES ('2026-05-01T08:00:00Z', '00112233aabbccdd', '预付卡');
                     INSERT INTO opens (at, search_ref, position, doc)
                         VALUES ('2026-05-01T08:01:00Z', '00112233aabbccdd', 2, 'warnings/prepaid-card');
                     INSERT INTO feedback (at, doc, helpful, comment)
                         VALUES ('2026-05-01T08:02:00Z', 'warnings/prepaid-card', 1, '很清楚');",
                )
                .unwrap();
                if version == 4 {
                    conn.execute(
                        "INSERT INTO users (name, role, password_hash, created_at)
                         VALUES ('alice', 'admin', 'x', '2026-05-01T08:00:00Z')",
                        [],
                    )
                    .unwrap();
                }
            }

            let conn = open(&path).unwrap();
            let schema: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
            assert_eq!(schema, MIGRATIONS.len() as i64, "from version {version}");
            let row: (String, i64, String, Option<String>, Option<String>) = conn
                .query_row("SELECT query, results, channel, kiosk, region FROM searches", [], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
                })
                .unwrap();
            assert_eq!(row, ("预付卡".into(), 3, "kiosk".into(), Some("mall-1".into()), Some("上海".into())));
            for table in ["searches", "topics", "opens", "feedback"] {
                let rows: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0)).unwrap();
                assert_eq!(rows, 1, "{table} from version {version}");
            }
            let comment: String = conn.query_row("SELECT comment FROM feedback", [], |row| row.get(0)).unwrap();
            assert_eq!(comment, "很清楚");
            // The staff tables are there, at their newest shape, with their rows.
            let users: i64 = conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0)).unwrap();
            assert_eq!(users, if version == 4 { 1 } else { 0 });
            conn.execute("INSERT INTO login_throttle (name, address, failures, last_ms) VALUES ('a', 'b', 1, 0)", [])
                .unwrap();
            drop(conn);

            // Opening again changes nothing.
            let conn = open(&path).unwrap();
            let schema: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
            assert_eq!(schema, MIGRATIONS.len() as i64);
            let searches: i64 = conn.query_row("SELECT COUNT(*) FROM searches", [], |row| row.get(0)).unwrap();
            assert_eq!(searches, 1);
        }
    }

    #[test]
    fn a_fresh_file_gets_every_step_once_and_refuses_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let conn = open(&path).unwrap();
        let tables = strings(&conn, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
        assert_eq!(
            tables,
            [
                "api_tokens",
                "audit",
                "feedback",
                "login_throttle",
                "opens",
                "pending",
                "searches",
                "sessions",
                "topics",
                "users",
                "versions"
            ]
        );
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let error = open(&path).unwrap_err();
        assert!(matches!(error, Error::TooNew { found: 99, known, .. } if known == MIGRATIONS.len() as i64), "{error}");
    }
}
