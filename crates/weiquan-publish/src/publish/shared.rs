//! Documents shared by the machines of one PostgreSQL server. There the
//! store, not a machine's disk, holds the documents staff write: the newest
//! version of each is the document. A save tells the other machines when
//! it commits ([`Tx::notify_saved`](super::store::Tx::notify_saved)); each
//! machine writes the text to its own content folder and reindexes it
//! ([`Publisher::follow`]), and looks at every document again whenever its
//! listening connection was lost, since what was sent meanwhile is missed.
//! A new machine with an empty index does the same at start, from the
//! database alone.

use std::sync::Arc;

use super::{PublishError, Publisher, files};
use crate::db::postgres::Heard;

impl Publisher {
    /// Brings document `id`'s file to its newest version in the store, and
    /// the index with it; true when the file changed. Documents without
    /// versions (shipped files nobody has saved) are left as they are.
    pub fn follow(&self, id: &str) -> Result<bool, PublishError> {
        let Some(text) = self.store.newest_version(id)? else { return Ok(false) };
        let path = self.path_of(id)?;
        let _writing = self.writing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        let document = self.parse(&path, &text)?;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        files::write_atomically(&path, &text)?;
        // Noted first, so that the watcher, told of the write, leaves it be.
        self.indexed.note(&path, Some(&text));
        if let Err(error) = self.engine.reindex(id, Some(&document)) {
            self.indexed.forget(&path);
            return Err(error.into());
        }
        Ok(true)
    }

    /// [`Publisher::follow`] for every document with versions; answers how
    /// many changed. A broken one is logged and the rest go on.
    pub fn follow_all(&self) -> Result<usize, PublishError> {
        let mut changed = 0;
        for id in self.store.versioned_ids()? {
            match self.follow(&id) {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(id, %error, "cannot bring a shared document up to date"),
            }
        }
        Ok(changed)
    }
}

/// Follows the documents the other machines save, for as long as the
/// process runs: `None` when the store is a SQLite file of this machine's.
pub fn follow_others(publisher: Arc<Publisher>) -> Option<std::io::Result<std::thread::JoinHandle<()>>> {
    let listener = publisher.clone();
    publisher.store.listen(move |heard| {
        let followed = match &heard {
            Heard::Listening => listener.follow_all().map(|changed| changed > 0),
            Heard::Payload(id) => listener.follow(id),
        };
        match followed {
            Ok(true) => tracing::info!(?heard, "took a document saved on another machine"),
            Ok(false) => {}
            Err(error) => tracing::error!(?heard, %error, "cannot take a document saved on another machine"),
        }
    })
}
