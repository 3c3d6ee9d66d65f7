//! Files changed under the content folder by other means (an editor, `git
//! pull`) are picked up and reindexed one by one. A broken file is reported
//! and its last good version stays searchable.
//!
//! The watcher is told of every file opened, not only of files changed, and
//! of the publisher's own saves, which are indexed already. So it keeps the
//! text the index holds for each document ([`Indexed`]) and reindexes only a
//! file whose text differs: each reindex starts a new index generation and
//! empties the caches of answered searches and pages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use super::{Publisher, files};
use weiquan_core::content;

/// Changes closer together than this are handled once.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// The fingerprint of each document file's text as the index holds it, as
/// far as this process knows (`None`: no file).
#[derive(Default)]
pub(super) struct Indexed(Mutex<HashMap<PathBuf, Option<String>>>);

impl Indexed {
    /// Notes that the index holds `text` for `path`.
    pub(super) fn note(&self, path: &Path, text: Option<&str>) {
        self.set(path, text.map(files::fingerprint));
    }

    fn set(&self, path: &Path, fingerprint: Option<String>) {
        self.lock().insert(path.to_path_buf(), fingerprint);
    }

    /// Forgets `path`: its next event reindexes it.
    pub(super) fn forget(&self, path: &Path) {
        self.lock().remove(path);
    }

    /// Whether the text of `fingerprint` differs from what the index holds
    /// for `path`.
    fn differs(&self, path: &Path, fingerprint: &Option<String>) -> bool {
        self.lock().get(path) != Some(fingerprint)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<String>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Watches the publisher's folder until the returned handle is dropped.
/// The documents there now are taken as indexed: the server builds its
/// index from them before it starts watching.
pub fn watch(publisher: Arc<Publisher>) -> notify_debouncer_mini::notify::Result<Debouncer<RecommendedWatcher>> {
    let root = publisher.root().to_path_buf();
    for path in documents(&root) {
        publisher.indexed.note(&path, std::fs::read_to_string(&path).ok().as_deref());
    }
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
        Ok(events) => {
            for event in events.into_iter().filter(|e| is_document(publisher.root(), &e.path)) {
                let fingerprint = std::fs::read_to_string(&event.path).ok().as_deref().map(files::fingerprint);
                if publisher.indexed.differs(&event.path, &fingerprint) {
                    changed(&publisher, &event.path);
                    publisher.indexed.set(&event.path, fingerprint);
                }
            }
        }
        Err(error) => tracing::warn!(%error, "watching the content folder failed"),
    })?;
    debouncer.watcher().watch(&root, RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// A document's file: `{kind folder}/{slug}.md`, not hidden (the publisher's
/// temporary files are).
fn is_document(root: &Path, path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        && path.strip_prefix(root).is_ok_and(|p| p.components().count() == 2)
}

/// The document files under `root`.
fn documents(root: &Path) -> Vec<PathBuf> {
    let folders = std::fs::read_dir(root).into_iter().flatten().flatten().map(|entry| entry.path());
    folders
        .filter(|folder| folder.is_dir())
        .flat_map(|folder| std::fs::read_dir(folder).into_iter().flatten().flatten().map(|entry| entry.path()))
        .filter(|path| is_document(root, path))
        .collect()
}

/// Reindexes one changed document file.
fn changed(publisher: &Publisher, path: &Path) {
    let root = publisher.root();
    let id = content::document_id(root, path);
    let result = if path.exists() {
        match content::read_document(root, path) {
            Ok(document) => publisher.engine().reindex(&id, document.as_ref()),
            Err(problem) => {
                tracing::warn!(%problem, "a changed file is broken: its last good version stays searchable");
                publisher.report(problem);
                return;
            }
        }
    } else {
        publisher.engine().reindex(&id, None)
    };
    publisher.clear(&PathBuf::from(path));
    match result {
        Ok(()) => tracing::info!(id, "reindexed a changed file"),
        Err(error) => tracing::error!(id, %error, "reindexing a changed file failed"),
    }
}
