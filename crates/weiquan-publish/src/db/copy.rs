//! Moving an installation from one machine to several: every row of the
//! SQLite file copied to a PostgreSQL server (`weiquan db migrate`).

use std::path::Path;

use super::postgres::Postgres;
use super::sql::{Executor, SqlError, Value, insert_rows};

/// Rows read from the file at a time (two in the tests, so that their few
/// rows span several pages).
const PAGE: usize = if cfg!(test) { 2 } else { 10_000 };

/// The tables copied, parents before children, with their columns. The
/// sign-in throttle is left behind: it forgets within a day anyway.
const TABLES: &[(&str, &str)] = &[
    ("users", "id, name, role, password_hash, disabled, created_at"),
    ("sessions", "token_hash, csrf, user_id, created_at, expires_at"),
    ("api_tokens", "id, name, token_hash, scopes, created_by, created_at, revoked_at"),
    ("audit", "id, at, actor, action, target, detail, repeats"),
    ("versions", "doc_id, number, content, author, action, saved_at"),
    ("pending", "doc_id, content, base, author, saved_at"),
    ("searches", "id, at, query, results, channel, kiosk, region, search_ref"),
    ("opens", "id, at, search_ref, position, doc"),
    ("topics", "id, at, search_ref, topic"),
    ("feedback", "id, at, doc, helpful, comment"),
];

/// What can stop a copy.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("找不到 SQLite 文件 {0}（there is no SQLite file there: give the weiquan.sqlite3 of the data folder）")]
    Missing(std::path::PathBuf),
    #[error("cannot open the SQLite file: {0}")]
    Source(#[from] super::Error),
    #[error("{0}")]
    Sql(#[from] SqlError),
    /// The server's database has staff accounts already: copying would mix
    /// two installations.
    #[error(
        "PostgreSQL 数据库中已有 {0} 个员工账号，只能复制到空数据库（the PostgreSQL database already has \
         staff accounts: copy into an empty database, or drop its tables first）"
    )]
    NotEmpty(i64),
}

/// Copies every row of the SQLite file `from` into the database of `to`
/// (migrated first), in one transaction: all of it or nothing. Answers
/// each table with its number of rows.
pub fn copy(from: &Path, to: &postgres::Config) -> Result<Vec<(&'static str, usize)>, CopyError> {
    if !from.is_file() {
        return Err(CopyError::Missing(from.to_owned()));
    }
    let source = super::open(from)?;
    let target = Postgres::connect(to)?;
    let users = target.query("SELECT COUNT(*) FROM users", &[])?[0].int(0)?;
    if users > 0 {
        return Err(CopyError::NotEmpty(users));
    }
    target
        .transaction(true, |db| {
            let mut counts = Vec::new();
            for (table, columns) in TABLES {
                // A page at a time, in the file's row order, so that a year
                // of insights never sits in memory whole.
                let page = format!("SELECT rowid, {columns} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE}");
                let (mut after, mut copied) = (0, 0);
                loop {
                    let rows = source.query(&page, &[after.into()])?;
                    let Some(last) = rows.last() else { break };
                    after = last.int(0)?;
                    let values: Vec<Vec<Value>> = rows.into_iter().map(|row| row.0[1..].to_vec()).collect();
                    insert_rows(db, table, columns, &values)?;
                    copied += values.len();
                }
                if columns.starts_with("id,") {
                    // Rows added later number on from the copied ones.
                    db.query(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) \
                         FROM {table}"
                        ),
                        &[],
                    )?;
                }
                counts.push((*table, copied));
            }
            Ok::<_, SqlError>(counts)
        })?
        .map_err(CopyError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::postgres::testing;
    use crate::publish::{AuditAction, Role, Scope, Store};

    #[test]
    fn a_single_machines_file_moves_to_the_server_whole_and_only_once() {
        let Some(config) = testing::config("a_single_machines_file_moves") else { return };
        // A data folder as one machine leaves it after some use.
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let boss = store.add_user(None, "boss", Role::Admin, "correct horse").unwrap();
        store.add_user(None, "ed", Role::Editor, "correct horse").unwrap();
        store.set_disabled(Some(&boss), "ed", true).unwrap();
        let now = chrono::Utc::now();
        let session = store.create_session(&boss, chrono::Duration::hours(8), now, "10.0.0.1").unwrap();
        let (token, secret) = store.create_token("sync", &[Scope::WarningsWrite], "boss").unwrap();
        store.revoke_token(&boss, token.id).unwrap();
        store
            .transaction(|tx| {
                tx.save_version("warnings/a", "v1", "boss", AuditAction::Create)?;
                tx.save_version("warnings/a", "v2 写的", "boss", AuditAction::Edit)?;
                tx.propose("guides/b", "提议", "base", "ed")
            })
            .unwrap();
        let file = data.path().join(Store::FILE);
        let insights = crate::db::open(&file).unwrap();
        insights
            .execute_batch(
                "INSERT INTO searches (at, query, results, channel, kiosk, region, search_ref)
                     VALUES ('2026-05-01T08:00:00Z', '预付卡', 3, 'kiosk', 'mall-1', NULL, 'r1');
                 INSERT INTO feedback (at, doc, helpful, comment) VALUES ('2026-05-01T08:02:00Z', 'warnings/a', 1, '好');",
            )
            .unwrap();

        let counts = copy(&file, &config).unwrap();
        let count = |table| counts.iter().find(|(t, _)| *t == table).unwrap().1;
        assert_eq!((count("users"), count("sessions"), count("api_tokens"), count("versions")), (2, 1, 1, 2));
        assert_eq!((count("pending"), count("searches"), count("feedback")), (1, 1, 1));
        assert_eq!(count("audit"), store.audit_log(100).unwrap().len());

        let moved = Store::connect(config.clone()).unwrap();
        assert_eq!(moved.users().unwrap(), store.users().unwrap());
        assert_eq!(moved.tokens().unwrap(), store.tokens().unwrap());
        assert_eq!(moved.check_token(&secret).unwrap(), None, "still revoked");
        assert_eq!(moved.session(&session.token, now).unwrap().map(|s| s.user), Some(boss.clone()));
        assert_eq!(moved.versions("warnings/a").unwrap(), store.versions("warnings/a").unwrap());
        assert_eq!(moved.newest_version("warnings/a").unwrap().as_deref(), Some("v2 写的"));
        assert_eq!(moved.pending("guides/b").unwrap(), store.pending("guides/b").unwrap());
        assert_eq!(moved.audit_log(100).unwrap(), store.audit_log(100).unwrap());
        // New rows number on from the copied ones.
        let carol = moved.add_user(Some(&boss), "carol", Role::Editor, "correct horse").unwrap();
        assert!(carol.id > boss.id);

        // A second copy would mix two installations: refused, nothing changed.
        let error = copy(&file, &config).unwrap_err();
        assert!(matches!(error, CopyError::NotEmpty(3)), "{error}");
        assert_eq!(moved.users().unwrap().len(), 3);
        let missing = copy(&data.path().join("nothing.sqlite3"), &config).unwrap_err();
        assert!(matches!(missing, CopyError::Missing(_)), "{missing}");
    }
}
