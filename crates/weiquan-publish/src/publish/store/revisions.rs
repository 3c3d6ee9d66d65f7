//! Texts kept beside the content files: every saved version of a document,
//! the text a save is about to replace (so history can always bring it
//! back), and the revision of a public document that waits for a
//! publisher's approval.

use serde::Serialize;

use super::{AuditAction, Store, StoreError, Tx};
use crate::db::sql::Executor;
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
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT number, author, action, saved_at FROM versions WHERE doc_id = ?1 ORDER BY number DESC",
                &[doc_id.into()],
            )?)
        })?;
        rows.iter()
            .map(|row| {
                Ok(VersionInfo {
                    number: row.int(0)?,
                    author: row.text(1)?.to_owned(),
                    action: row.text(2)?.to_owned(),
                    saved_at: row.text(3)?.to_owned(),
                })
            })
            .collect()
    }

    /// The content of one version, if it exists.
    pub fn version(&self, doc_id: &str, number: i64) -> Result<Option<String>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT content FROM versions WHERE doc_id = ?1 AND number = ?2",
                &[doc_id.into(), number.into()],
            )?)
        })?;
        Ok(rows.first().map(|row| row.text(0).map(str::to_owned)).transpose()?)
    }

    /// The revision of `doc_id` waiting for a publisher, if any.
    pub fn pending(&self, doc_id: &str) -> Result<Option<Pending>, StoreError> {
        let rows = self.read(|db| {
            Ok(db.query(
                "SELECT doc_id, content, base, author, saved_at FROM pending WHERE doc_id = ?1",
                &[doc_id.into()],
            )?)
        })?;
        let Some(row) = rows.first() else { return Ok(None) };
        let text = |i| row.text(i).map(str::to_owned);
        Ok(Some(Pending { doc_id: text(0)?, content: text(1)?, base: text(2)?, author: text(3)?, saved_at: text(4)? }))
    }

    /// The newest version of a document, if it has any: on a shared
    /// database ([`Store::is_shared`]), the document itself.
    pub fn newest_version(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        self.read(|db| newest(db, doc_id))
    }

    /// The ids of the documents with versions, by id.
    pub fn versioned_ids(&self) -> Result<Vec<String>, StoreError> {
        let rows = self.read(|db| Ok(db.query("SELECT DISTINCT doc_id FROM versions ORDER BY doc_id", &[])?))?;
        Ok(rows.iter().map(|row| row.text(0).map(str::to_owned)).collect::<Result<_, _>>()?)
    }

    /// The ids of the documents with a revision waiting, by id.
    pub fn pending_ids(&self) -> Result<Vec<String>, StoreError> {
        let rows = self.read(|db| Ok(db.query("SELECT doc_id FROM pending ORDER BY doc_id", &[])?))?;
        Ok(rows.iter().map(|row| row.text(0).map(str::to_owned)).collect::<Result<_, _>>()?)
    }
}

/// The newest version of `doc_id`'s text.
fn newest(db: &dyn Executor, doc_id: &str) -> Result<Option<String>, StoreError> {
    let rows =
        db.query("SELECT content FROM versions WHERE doc_id = ?1 ORDER BY number DESC LIMIT 1", &[doc_id.into()])?;
    Ok(rows.first().map(|row| row.text(0).map(str::to_owned)).transpose()?)
}

impl Tx<'_> {
    /// [`Store::newest_version`], inside the transaction.
    pub fn newest_version(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        newest(self.db, doc_id)
    }

    /// Tells the machines sharing the database that `doc_id` was saved,
    /// when the transaction commits ([`Store::listen`]).
    pub fn notify_saved(&self, doc_id: &str) -> Result<(), StoreError> {
        Ok(self.db.notify(super::SAVED_CHANNEL, doc_id)?)
    }

    /// Saves a document's content as its next version (1, 2, 3 … per
    /// document) and returns the version number.
    pub fn save_version(
        &self,
        doc_id: &str,
        content: &str,
        author: &str,
        action: AuditAction,
    ) -> Result<i64, StoreError> {
        let rows = self.query(
            "INSERT INTO versions (doc_id, number, content, author, action, saved_at)
             SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5 FROM versions WHERE doc_id = ?1
             RETURNING number",
            &[doc_id.into(), content.into(), author.into(), action.as_str().into(), stamp(self.clock.utc()).into()],
        )?;
        Ok(rows[0].int(0)?)
    }

    /// Keeps `content`, the file of `doc_id` as found on disk before a save,
    /// as a version unless it already is the newest one: number 0 for a
    /// document with no versions yet (a shipped file, or one written by
    /// hand), the next number after a change made outside the admin.
    /// Returns the number when it was kept.
    pub fn keep_disk_version(&self, doc_id: &str, content: &str) -> Result<Option<i64>, StoreError> {
        let rows = self.query(
            "SELECT number, content FROM versions WHERE doc_id = ?1 ORDER BY number DESC LIMIT 1",
            &[doc_id.into()],
        )?;
        let number = match rows.first() {
            Some(newest) if newest.text(1)? == content => return Ok(None),
            Some(newest) => newest.int(0)? + 1,
            None => 0,
        };
        self.execute(
            "INSERT INTO versions (doc_id, number, content, author, action, saved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                doc_id.into(),
                number.into(),
                content.into(),
                DISK_AUTHOR.into(),
                DISK_ACTION.into(),
                stamp(self.clock.utc()).into(),
            ],
        )?;
        Ok(Some(number))
    }

    /// Stores `content` as the revision of `doc_id` waiting for a publisher,
    /// written by `author` against the file with fingerprint `base`; it
    /// replaces any earlier one.
    pub fn propose(&self, doc_id: &str, content: &str, base: &str, author: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO pending (doc_id, content, base, author, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (doc_id) DO UPDATE SET
                 content = excluded.content, base = excluded.base,
                 author = excluded.author, saved_at = excluded.saved_at",
            &[doc_id.into(), content.into(), base.into(), author.into(), stamp(self.clock.utc()).into()],
        )?;
        Ok(())
    }

    /// Removes the revision waiting for `doc_id`; true when there was one.
    pub fn drop_pending(&self, doc_id: &str) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM pending WHERE doc_id = ?1", &[doc_id.into()])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::store::testing::on_both;

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
        on_both("versions_are_numbered_per_document", |store| {
            assert_eq!(save(store, "warnings/a", "v1", "alice", "create"), 1);
            assert_eq!(save(store, "warnings/a", "v2", "bob", "edit"), 2);
            assert_eq!(save(store, "warnings/b", "other", "alice", "create"), 1);
            assert_eq!(save(store, "warnings/a", "v3", "alice", "publish"), 3);

            let versions = store.versions("warnings/a").unwrap();
            let summary: Vec<_> = versions.iter().map(|v| (v.number, v.author.as_str(), v.action.as_str())).collect();
            assert_eq!(summary, [(3, "alice", "publish"), (2, "bob", "edit"), (1, "alice", "create")]);
            assert_eq!(store.version("warnings/a", 2).unwrap().as_deref(), Some("v2"));
            assert_eq!(store.version("warnings/a", 4).unwrap(), None);
            assert_eq!(store.version("warnings/c", 1).unwrap(), None);
            assert!(store.versions("warnings/c").unwrap().is_empty());
        });
    }

    #[test]
    fn the_text_on_disk_is_kept_once_as_version_zero_then_after_outside_changes() {
        on_both("the_text_on_disk_is_kept_once_as_version_zero_then_after_outside_changes", |store| {
            assert_eq!(keep(store, "warnings/a", "shipped"), Some(0));
            assert_eq!(keep(store, "warnings/a", "shipped"), None, "already the newest");
            assert_eq!(save(store, "warnings/a", "saved", "alice", "edit"), 1);
            assert_eq!(keep(store, "warnings/a", "saved"), None);
            // Changed by `git pull` after the last save: kept before the next save replaces it.
            assert_eq!(keep(store, "warnings/a", "pulled"), Some(2));
            assert_eq!(save(store, "warnings/a", "saved again", "alice", "edit"), 3);

            let versions = store.versions("warnings/a").unwrap();
            let summary: Vec<_> = versions.iter().map(|v| (v.number, v.action.as_str())).collect();
            assert_eq!(summary, [(3, "edit"), (2, DISK_ACTION), (1, "edit"), (0, DISK_ACTION)]);
            assert_eq!(store.version("warnings/a", 0).unwrap().as_deref(), Some("shipped"));
            assert_eq!(store.version("warnings/a", 2).unwrap().as_deref(), Some("pulled"));
        });
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
        on_both("one_pending_revision_per_document_replaced_and_dropped", |store| {
            assert_eq!(store.pending("warnings/a").unwrap(), None);
            propose(store, "warnings/a", "first", "base1", "ed");
            propose(store, "warnings/b", "other", "base2", "ed");
            propose(store, "warnings/a", "second", "base1", "eve");
            let pending = store.pending("warnings/a").unwrap().unwrap();
            assert_eq!(
                (pending.content.as_str(), pending.base.as_str(), pending.author.as_str()),
                ("second", "base1", "eve")
            );
            assert!(pending.saved_at.ends_with('Z'));
            assert_eq!(store.pending_ids().unwrap(), ["warnings/a", "warnings/b"]);
            assert!(drop_pending(store, "warnings/a"));
            assert!(!drop_pending(store, "warnings/a"));
            assert_eq!(store.pending_ids().unwrap(), ["warnings/b"]);
        });
    }
}
