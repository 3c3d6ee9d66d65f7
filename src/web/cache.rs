//! The result cache: answered searches by request and index generation.
//!
//! A public site is asked the same head questions all day (健身房跑路,
//! 七天无理由退货); each is searched once per index generation and then
//! served from memory. The key holds [`Engine::generation`], which changes
//! on every reindex and when a scheduled document becomes public, so a
//! result from before a change is never served after it; old entries age
//! out. Bounded in bytes (the answers' JSON size), least recently used
//! first out. `lru` is already built for tantivy, and is a small, well-kept
//! LRU map.
//!
//! [`Engine::generation`]: crate::search::Engine::generation

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::search::answer::Answer;
use crate::search::{SearchRequest, SearchResults};

/// A search's results and the answer they open with.
pub type Answered = (SearchResults, Option<Answer>);

/// Answered searches, at most `capacity` bytes of them.
pub struct ResultCache {
    entries: Mutex<Entries>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Entries {
    map: LruCache<Key, (Arc<Answered>, usize)>,
    bytes: usize,
}

/// The generation and the request (its query trimmed, and whether the
/// answer was asked for).
type Key = (u64, String);

impl ResultCache {
    /// A cache holding up to `capacity` bytes; 0 turns it off.
    pub fn new(capacity: usize) -> ResultCache {
        ResultCache {
            entries: Mutex::new(Entries { map: LruCache::unbounded(), bytes: 0 }),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The key of `request` in `generation`, with the answer or without.
    pub fn key(generation: u64, request: &SearchRequest, with_answer: bool) -> Key {
        let request = SearchRequest { query: request.query.trim().to_string(), ..request.clone() };
        (generation, format!("{with_answer} {request:?}"))
    }

    /// The cached answer for `key`, counted as a hit or a miss.
    pub fn get(&self, key: &Key) -> Option<Arc<Answered>> {
        if self.capacity == 0 {
            return None;
        }
        let found = self.lock().map.get(key).map(|(answered, _)| answered.clone());
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `answered` under `key`, evicting the least recently used
    /// entries beyond the capacity. An entry larger than a tenth of the
    /// capacity is not kept.
    pub fn put(&self, key: Key, answered: Arc<Answered>) {
        let size = key.1.len() + serde_json::to_vec(&answered.0).map_or(usize::MAX, |json| json.len());
        let size = size.saturating_add(answered.1.as_ref().map_or(0, |a| serde_json::to_vec(a).map_or(0, |j| j.len())));
        if self.capacity == 0 || size > self.capacity / 10 {
            return;
        }
        let mut entries = self.lock();
        if let Some((_, old)) = entries.map.put(key, (answered, size)) {
            entries.bytes -= old;
        }
        entries.bytes += size;
        while entries.bytes > self.capacity {
            let Some((_, (_, evicted))) = entries.map.pop_lru() else { break };
            entries.bytes -= evicted;
        }
    }

    /// Lookups answered from the cache, and those that were not.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(query: &str) -> Arc<Answered> {
        let results = SearchResults {
            query: query.into(),
            total: 1,
            page: 1,
            per_page: 10,
            took_ms: 1.0,
            hits: Vec::new(),
            facets: Default::default(),
            expansions: Vec::new(),
        };
        Arc::new((results, None))
    }

    #[test]
    fn a_hit_needs_the_same_request_and_generation() {
        let cache = ResultCache::new(1 << 20);
        let request = SearchRequest::new("七天无理由退货");
        cache.put(ResultCache::key(1, &request, true), answered("七天无理由退货"));
        assert!(cache.get(&ResultCache::key(1, &SearchRequest::new("  七天无理由退货 "), true)).is_some(), "trimmed");
        assert!(cache.get(&ResultCache::key(2, &request, true)).is_none(), "another generation");
        let page_two = SearchRequest { page: 2, ..request.clone() };
        assert!(cache.get(&ResultCache::key(1, &page_two, true)).is_none(), "another page");
        assert!(cache.get(&ResultCache::key(1, &request, false)).is_none(), "without the answer");
        assert_eq!(cache.counts(), (1, 3));
    }

    #[test]
    fn the_least_recently_used_go_first_past_the_capacity() {
        let one = serde_json::to_vec(&answered("问题00").0).unwrap().len();
        let key_bytes = ResultCache::key(1, &SearchRequest::new("问题00"), true).1.len();
        let cache = ResultCache::new(10 * (one + key_bytes) + 1);
        for i in 0..10 {
            let query = format!("问题{i:02}");
            cache.put(ResultCache::key(1, &SearchRequest::new(&query), true), answered(&query));
        }
        assert!(cache.get(&ResultCache::key(1, &SearchRequest::new("问题00"), true)).is_some());
        cache.put(ResultCache::key(1, &SearchRequest::new("问题10"), true), answered("问题10"));
        assert!(cache.bytes() <= 10 * (one + key_bytes) + 1);
        assert!(cache.get(&ResultCache::key(1, &SearchRequest::new("问题00"), true)).is_some(), "used last, kept");
        assert!(cache.get(&ResultCache::key(1, &SearchRequest::new("问题01"), true)).is_none(), "least recently used");
        let off = ResultCache::new(0);
        off.put(ResultCache::key(1, &SearchRequest::new("问题"), true), answered("问题"));
        assert!(off.get(&ResultCache::key(1, &SearchRequest::new("问题"), true)).is_none());
    }
}
