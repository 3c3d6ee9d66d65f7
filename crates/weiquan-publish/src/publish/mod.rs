//! Staff workflow: warnings and guides written in the admin or through the
//! token API are saved as Markdown files under the content folder (the
//! source of truth), versioned and audited in SQLite, and put in the index at
//! once. Knows nothing about HTTP.
//!
//! This file holds the [`Publisher`] and what all its parts use; the save
//! path is in `save`, restores and revisions waiting for a publisher in
//! `revisions`, the admin list and opening a document in `listing`, and the
//! errors in `error`.

mod actor;
pub mod cli;
pub mod credentials;
mod error;
pub mod fields;
pub mod files;
mod listing;
mod revisions;
mod save;
pub mod shared;
mod stale;
pub mod store;
pub mod throttle;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use actor::{Actor, Refusal};
pub use error::PublishError;
pub use fields::{Fields, Vocabulary};
pub use listing::{Entry, Opened, Review, Stage};
pub use save::{Action, Edit, Saved};
pub use store::{
    AuditAction, AuditEntry, LoginOutcome, Pending, Role, Scope, Session, Store, StoreError, TokenInfo, User,
    VersionInfo, action_label,
};

use weiquan_core::clock::Clock;
use weiquan_core::content::{self, Document, Kind};
use weiquan_core::search::Engine;

/// The staff workflow over one content folder, its store and the engine.
pub struct Publisher {
    root: PathBuf,
    store: Store,
    engine: Arc<Engine>,
    /// Files under the folder that are broken now, as the watcher found them.
    problems: std::sync::Mutex<Vec<content::Problem>>,
    /// Held from reading a file to writing it, so that two saves of the
    /// same text cannot both pass the check against it.
    writing: std::sync::Mutex<()>,
    /// The official texts, reduced, to mark documents 需复核.
    official: stale::OfficialLaws,
    /// The text the index holds for each document file, for the watcher.
    indexed: watch::Indexed,
}

impl Publisher {
    /// `root` is the content folder staff documents are written to.
    /// The store and the publisher read the time from the engine's clock.
    pub fn new(root: &Path, store: Store, engine: Arc<Engine>) -> Publisher {
        let store = store.with_clock(engine.clock().clone());
        Publisher {
            root: root.to_path_buf(),
            store,
            engine,
            problems: std::sync::Mutex::new(Vec::new()),
            writing: std::sync::Mutex::new(()),
            official: stale::OfficialLaws::default(),
            indexed: watch::Indexed::default(),
        }
    }

    /// The program's clock (the engine's).
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Broken files found since they last changed, with paths relative to
    /// the folder ([`Publisher::shown`]).
    pub fn problems(&self) -> Vec<content::Problem> {
        let problems = self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        problems.into_iter().map(|problem| self.shown(problem)).collect()
    }

    /// A problem as staff see it: its path relative to the content folder
    /// (`warnings/a.md`), which is all they need; the server's own folders
    /// stay private.
    fn shown(&self, problem: content::Problem) -> content::Problem {
        content::Problem { path: self.relative(&problem.path), ..problem }
    }

    /// `path` relative to the content folder (`.` for the folder itself).
    fn relative(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.root) {
            Ok(relative) if relative.as_os_str().is_empty() => PathBuf::from("."),
            Ok(relative) => relative.to_path_buf(),
            Err(_) => path.to_path_buf(),
        }
    }

    fn report(&self, problem: content::Problem) {
        let mut problems = self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        problems.retain(|p| p.path != problem.path);
        problems.push(problem);
    }

    fn clear(&self, path: &Path) {
        self.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|p| p.path != path);
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The shared tag vocabulary of the folder (`tags.txt`), read afresh:
    /// staff may change it while the server runs.
    pub fn vocabulary(&self) -> Vocabulary {
        Vocabulary::parse(&std::fs::read_to_string(self.root.join(content::TAGS_FILE)).unwrap_or_default())
    }

    /// `text` read as the document at `path`.
    fn parse(&self, path: &Path, text: &str) -> Result<Document, PublishError> {
        content::parse_document(&self.root, path, text)
            .map_err(|problem| PublishError::Invalid(self.shown(problem).to_string()))
    }

    /// The id of the document an edit saves to.
    fn id_for(&self, edit: &Edit) -> Result<String, PublishError> {
        if let Some(id) = &edit.id {
            return Ok(id.clone());
        }
        let folder = match edit.kind {
            Kind::Warning => "warnings",
            Kind::Guide => "guides",
            _ => return Err(PublishError::Invalid("只能新建消费警示或维权指南".into())),
        };
        let slug = edit.slug.trim().to_ascii_lowercase();
        let slug = if slug.is_empty() {
            format!("{}-{}", self.clock().now().format("%Y%m%d-%H%M%S"), edit.kind.as_str())
        } else {
            slug
        };
        if !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || slug.len() > 80 {
            return Err(PublishError::Invalid("文件名只能用英文字母、数字和连字符（-），不超过 80 个字符".into()));
        }
        Ok(format!("{folder}/{slug}"))
    }

    /// The file of document `id`, which must be a warning or guide under the folder.
    fn path_of(&self, id: &str) -> Result<PathBuf, PublishError> {
        let valid = id.split_once('/').is_some_and(|(folder, name)| {
            matches!(folder, "warnings" | "guides")
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if !valid {
            return Err(PublishError::NotFound(id.to_string()));
        }
        Ok(self.root.join(format!("{id}.md")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_messages_name_no_server_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("content");
        std::fs::create_dir_all(root.join("warnings")).unwrap();
        std::fs::write(root.join("warnings/broken.md"), "+++\ntitle = \n+++\n坏文件\n").unwrap();
        let index = tempfile::tempdir().unwrap();
        let clock = weiquan_core::clock::Clock::default();
        weiquan_core::search::build(index.path(), std::slice::from_ref(&root), &clock, &|_, _, _| {}).unwrap();
        let engine = Arc::new(Engine::open(index.path(), clock).unwrap());
        let publisher = Publisher::new(&root, Store::open(&dir.path().join("data")).unwrap(), engine);
        let server_folder = dir.path().to_string_lossy().into_owned();

        let opened = publisher.open("warnings/broken").unwrap_err().to_string();
        assert!(opened.contains("warnings/broken.md:2") && !opened.contains(&server_folder), "{opened}");
        publisher.report(content::read_document(&root, &root.join("warnings/broken.md")).unwrap_err());
        let listed = publisher.problems()[0].to_string();
        assert!(listed.starts_with("warnings/broken.md:2: "), "{listed}");

        // Errors whose own text carries a path (as tempfile's do) are told by their kind.
        let error = std::io::Error::other(format!("no room at path {server_folder}/content/warnings/.saving-1"));
        let told = PublishError::Io(error).to_string();
        assert!(told.starts_with("保存失败，原文件未改动") && !told.contains(&server_folder), "{told}");
    }
}
