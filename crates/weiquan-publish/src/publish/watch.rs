//! Files changed under the content folder by other means (an editor, `git
//! pull`) are picked up and reindexed one by one. A broken file is reported
//! and its last good version stays searchable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use super::Publisher;
use weiquan_core::content;

/// Changes closer together than this are handled once.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watches the publisher's folder until the returned handle is dropped.
pub fn watch(publisher: Arc<Publisher>) -> notify_debouncer_mini::notify::Result<Debouncer<RecommendedWatcher>> {
    let root = publisher.root().to_path_buf();
    // The text last handled per file: reading a file can itself raise an
    // event, which must not reindex it again.
    let mut handled: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
        Ok(events) => {
            for event in events {
                let text = std::fs::read_to_string(&event.path).ok();
                if handled.get(&event.path) != Some(&text) {
                    changed(&publisher, &event.path);
                    handled.insert(event.path, text);
                }
            }
        }
        Err(error) => tracing::warn!(%error, "watching the content folder failed"),
    })?;
    debouncer.watcher().watch(&root, RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// Reindexes one changed path.
fn changed(publisher: &Publisher, path: &Path) {
    let root = publisher.root();
    let is_document = path.extension().is_some_and(|e| e == "md")
        && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        && path.strip_prefix(root).is_ok_and(|p| p.components().count() == 2);
    if !is_document {
        return;
    }
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
