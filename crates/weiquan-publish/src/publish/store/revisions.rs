//! Texts kept beside the content files: every saved version of a document,
//! the text a save is about to replace (so history can always bring it
//! back), and the revision of a public document that waits for a
//! publisher's approval.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{AuditAction, Store, StoreError, Tx};
use crate::db::stamp;

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

/// The version action of a text kept as it was found on disk.
pub(super) const DISK_ACTION: &str = "disk";
/// The author recorded for it: nobody signed in wrote it through the admin.
const DISK_AUTHOR: &str = "（原文件）";

/// A revision of a public document waiting for a publisher. At most one per
/// document: a later proposal replaces it (the editor saw it, since saves
/// are checked against the text they started from).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    pub doc_id: String,
    /// The whole proposed file text.
    pub content: String,
    /// The fingerprint of the file it was written against: approving it is
    /// refused once the file has changed since.
    pub base: String,
    pub author: String,
    /// UTC, RFC 3339.
    pub saved_at: String,
}

impl Store {
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

    /// The revision of `doc_id` waiting for a publisher, if any.
    pub fn pending(&self, doc_id: &str) -> Result<Option<Pending>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT doc_id, content, base, author, saved_at FROM pending WHERE doc_id = ?1",
                [doc_id],
                |row| {
                    Ok(Pending {
                        doc_id: row.get(0)?,
                        content: row.get(1)?,
                        base: row.get(2)?,
                        author: row.get(3)?,
                        saved_at: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// The ids of the documents with a revision waiting, by id.
    pub fn pending_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare("SELECT doc_id FROM pending ORDER BY doc_id")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    /// Saves a document's content as its next version (1, 2, 3 … per
    /// document) and returns the version number.
    pub fn save_version(
        &self,
        doc_id: &str,
        content: &str,
        author: &str,
        action: AuditAction,
    ) -> Result<i64, StoreError> {
        let number = self.conn.query_row(
            "INSERT INTO versions (doc_id, number, content, author, action, saved_at)
             SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5 FROM versions WHERE doc_id = ?1
             RETURNING number",
            params![doc_id, content, author, action.as_str(), stamp(self.clock.utc())],
            |row| row.get(0),
        )?;
        Ok(number)
    }

    /// Keeps `content`, the file of `doc_id` as found on disk before a save,
    /// as a version unless it already is the newest one: number 0 for a
    /// document with no versions yet (a shipped file, or one written by
    /// hand), the next number after a change made outside the admin.
    /// Returns the number when it was kept.
    pub fn keep_disk_version(&self, doc_id: &str, content: &str) -> Result<Option<i64>, StoreError> {
        let newest: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT number, content FROM versions WHERE doc_id = ?1 ORDER BY number DESC LIMIT 1",
                [doc_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let number = match newest {
            Some((_, newest)) if newest == content => return Ok(None),
            Some((number, _)) => number + 1,
            None => 0,
        };
        self.conn.execute(
            "INSERT INTO versions (doc_id, number, content, author, action, saved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![doc_id, number, content, DISK_AUTHOR, DISK_ACTION, stamp(self.clock.utc())],
        )?;
        Ok(Some(number))
    }

    /// Stores `content` as the revision of `doc_id` waiting for a publisher,
    /// written by `author` against the file with fingerprint `base`; it
    /// replaces any earlier one.
    pub fn propose(&self, doc_id: &str, content: &str, base: &str, author: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO pending (doc_id, content, base, author, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (doc_id) DO UPDATE SET
                 content = excluded.content, base = excluded.base,
                 author = excluded.author, saved_at = excluded.saved_at",
            params![doc_id, content, base, author, stamp(self.clock.utc())],
        )?;
        Ok(())
    }

    /// Removes the revision waiting for `doc_id`; true when there was one.
    pub fn drop_pending(&self, doc_id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM pending WHERE doc_id = ?1", [doc_id])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::testing::store;

    fn save(store: &Store, doc_id: &str, content: &str, author: &str, action: &str) -> i64 {
        let action = AuditAction::parse(action).unwrap();
        store.transaction(|tx| tx.save_version(doc_id, content, author, action)).unwrap()
    }

    fn keep(store: &Store, doc_id: &str, content: &str) -> Option<i64> {
        store.transaction(|tx| tx.keep_disk_version(doc_id, content)).unwrap()
    }

    fn propose(store: &Store, doc_id: &str, content: &str, base: &str, author: &str) {
        store.transaction(|tx| tx.propose(doc_id, content, base, author)).unwrap()
    }

    fn drop_pending(store: &Store, doc_id: &str) -> bool {
        store.transaction(|tx| tx.drop_pending(doc_id)).unwrap()
    }

    #[test]
    fn versions_are_numbered_per_document() {
        let (_dir, store) = store();
        assert_eq!(save(&store, "warnings/a", "v1", "alice", "create"), 1);
        assert_eq!(save(&store, "warnings/a", "v2", "bob", "edit"), 2);
        assert_eq!(save(&store, "warnings/b", "other", "alice", "create"), 1);
        assert_eq!(save(&store, "warnings/a", "v3", "alice", "publish"), 3);

        let versions = store.versions("warnings/a").unwrap();
        let summary: Vec<_> = versions.iter().map(|v| (v.number, v.author.as_str(), v.action.as_str())).collect();
        assert_eq!(summary, [(3, "alice", "publish"), (2, "bob", "edit"), (1, "alice", "create")]);
        assert_eq!(store.version("warnings/a", 2).unwrap().as_deref(), Some("v2"));
        assert_eq!(store.version("warnings/a", 4).unwrap(), None);
        assert_eq!(store.version("warnings/c", 1).unwrap(), None);
        assert!(store.versions("warnings/c").unwrap().is_empty());
    }

    #[test]
    fn the_text_on_disk_is_kept_once_as_version_zero_then_after_outside_changes() {
        let (_dir, store) = store();
        assert_eq!(keep(&store, "warnings/a", "shipped"), Some(0));
        assert_eq!(keep(&store, "warnings/a", "shipped"), None, "already the newest");
        assert_eq!(save(&store, "warnings/a", "saved", "alice", "edit"), 1);
        assert_eq!(keep(&store, "warnings/a", "saved"), None);
        // Changed by `git pull` after the last save: kept before the next save replaces it.
        assert_eq!(keep(&store, "warnings/a", "pulled"), Some(2));
        assert_eq!(save(&store, "warnings/a", "saved again", "alice", "edit"), 3);

        let versions = store.versions("warnings/a").unwrap();
        let summary: Vec<_> = versions.iter().map(|v| (v.number, v.action.as_str())).collect();
        assert_eq!(summary, [(3, "edit"), (2, DISK_ACTION), (1, "edit"), (0, DISK_ACTION)]);
        assert_eq!(store.version("warnings/a", 0).unwrap().as_deref(), Some("shipped"));
        assert_eq!(store.version("warnings/a", 2).unwrap().as_deref(), Some("pulled"));
    }

    #[test]
    fn a_database_from_before_pending_revisions_keeps_its_versions() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = rusqlite::Connection::open(dir.path().join(Store::FILE)).unwrap();
            conn.execute_batch(crate::db::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO versions (doc_id, number, content, author, action, saved_at)
                 VALUES ('warnings/a', 1, 'old', 'alice', 'create', '2026-05-01T08:00:00Z')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.version("warnings/a", 1).unwrap().as_deref(), Some("old"));
        propose(&store, "warnings/a", "new", "base", "ed");
        assert_eq!(store.pending_ids().unwrap(), ["warnings/a"]);
    }

    #[test]
    fn one_pending_revision_per_document_replaced_and_dropped() {
        let (_dir, store) = store();
        assert_eq!(store.pending("warnings/a").unwrap(), None);
        propose(&store, "warnings/a", "first", "base1", "ed");
        propose(&store, "warnings/b", "other", "base2", "ed");
        propose(&store, "warnings/a", "second", "base1", "eve");
        let pending = store.pending("warnings/a").unwrap().unwrap();
        assert_eq!(
            (pending.content.as_str(), pending.base.as_str(), pending.author.as_str()),
            ("second", "base1", "eve")
        );
        assert!(pending.saved_at.ends_with('Z'));
        assert_eq!(store.pending_ids().unwrap(), ["warnings/a", "warnings/b"]);
        assert!(drop_pending(&store, "warnings/a"));
        assert!(!drop_pending(&store, "warnings/a"));
        assert_eq!(store.pending_ids().unwrap(), ["warnings/b"]);
    }
}
