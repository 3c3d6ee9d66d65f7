//! What each reindex changed, so that a cache of document pages keeps the
//! pages it did not change.
//!
//! Every reindex starts a new [`Engine::generation`], and a cache keyed on
//! the generation alone would work out every page again after each publish:
//! with staff publishing through the day, a whole code of law (民法典,
//! 400 KB of HTML) again and again for nothing. A page shows its own
//! document and lists others (related documents, the laws it follows,
//! versions, the documents citing each article); it changes when one of
//! those is reindexed, or when a reindexed document cites or stops citing
//! the law it shows. Those are noted here per generation. What no note
//! covers is a document entering a page's related list anew; callers bound
//! that by the age of the page.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{DocumentPage, Engine};
use crate::content::Kind;
use crate::content::citations::law_key;

/// The generation each document and each cited law last changed in.
#[derive(Default)]
pub(super) struct Changes {
    /// By `doc:{id}` and `law:{title key}`; `u64::MAX` while a reindex of
    /// it is under way.
    last: Mutex<HashMap<String, u64>>,
    /// Pages made before this generation are all out of date (a scheduled
    /// document became public: no reindex says what it touched).
    floor: AtomicU64,
}

/// The key of a document.
pub(super) fn document_key(id: &str) -> String {
    format!("doc:{id}")
}

/// The key of a law, by its title key, for the pages listing what cites it.
pub(super) fn law_key_of(title_key: &str) -> String {
    format!("law:{title_key}")
}

impl Changes {
    /// Notes that `keys` are changing, until [`Changes::changed`] says in
    /// which generation.
    pub(super) fn changing(&self, keys: &[String]) {
        self.set(keys, u64::MAX);
    }

    /// Notes that `keys` changed in `generation`.
    pub(super) fn changed(&self, keys: &[String], generation: u64) {
        self.set(keys, generation);
    }

    /// Every page made before `generation` is out of date.
    pub(super) fn everything(&self, generation: u64) {
        self.floor.fetch_max(generation, Ordering::Relaxed);
    }

    fn set(&self, keys: &[String], generation: u64) {
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            last.insert(key.clone(), generation);
        }
    }

    /// Whether none of `keys` changed after `generation`.
    fn unchanged_since<'a>(&self, generation: u64, mut keys: impl Iterator<Item = &'a str>) -> bool {
        if generation < self.floor.load(Ordering::Relaxed) {
            return false;
        }
        let last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.all(|key| last.get(key).is_none_or(|&changed| changed <= generation))
    }
}

impl Engine {
    /// Whether `page`, worked out in generation `made`, still shows what it
    /// would now: its document, the documents it lists and, for a law, what
    /// cites it are as they were. A document that would newly enter its
    /// related list is not seen here; keep pages for a short time only.
    pub fn page_unchanged(&self, page: &DocumentPage, made: u64) -> bool {
        if made == self.generation.load(Ordering::Relaxed) {
            return true;
        }
        let listed = page.related.iter().map(|r| &r.id);
        let listed = listed.chain(page.followed.iter().map(|f| &f.id));
        let listed = listed.chain(page.versions.iter().map(|v| &v.id));
        let listed = listed.chain(page.cited_by.iter().flat_map(|c| c.documents.iter().map(|d| &d.id)));
        let mut keys: Vec<String> =
            std::iter::once(&page.document.id).chain(listed).map(|id| document_key(id)).collect();
        if page.document.kind == Kind::Law {
            keys.push(law_key_of(&law_key(&page.document.meta.title)));
        }
        self.changes.unchanged_since(made, keys.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_changed_after_a_generation_makes_pages_of_it_out_of_date() {
        let changes = Changes::default();
        let keys = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(changes.unchanged_since(3, ["doc:a"].into_iter()), "nothing noted");
        changes.changing(&keys(&["doc:a", "law:x"]));
        assert!(!changes.unchanged_since(3, ["doc:a"].into_iter()), "being reindexed");
        changes.changed(&keys(&["doc:a", "law:x"]), 4);
        assert!(!changes.unchanged_since(3, ["doc:b", "law:x"].into_iter()));
        assert!(changes.unchanged_since(4, ["doc:a", "law:x"].into_iter()), "made after the change");
        assert!(changes.unchanged_since(3, ["doc:b"].into_iter()), "another document");
        changes.everything(5);
        assert!(!changes.unchanged_since(4, ["doc:b"].into_iter()), "made before a change of everything");
        assert!(changes.unchanged_since(5, ["doc:b"].into_iter()));
    }
}
