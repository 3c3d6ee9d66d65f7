//! Caches by index generation: answered searches by request, and document
//! pages by id.
//!
//! A public site is asked the same head questions all day (健身房跑路,
//! 七天无理由退货) and opens the same laws; each is worked out once and then
//! served from memory. Every entry notes the [`Engine::generation`] it was
//! made in, which changes on every reindex and when a scheduled document
//! becomes public. An answered search is served only in its own
//! generation. A page may also be served in a later one, for a short time,
//! when the caller finds nothing on it changed since
//! ([`Engine::page_unchanged`]): staff publish all day, and a new warning
//! does not change the page of 民法典. A newer entry replaces an older one
//! under the same key. Bounded in bytes (an estimate of each entry's size),
//! least recently used first out. `lru` is already built for tantivy, and is
//! a small, well-kept LRU map.
//!
//! Right after a publish many visitors and kiosks ask the same questions
//! together: concurrent misses on one key in one generation wait for the
//! first one's work ([`Cache::get_or_make`]) instead of each repeating it.
//!
//! [`Engine::generation`]: weiquan_core::search::Engine::generation
//! [`Engine::page_unchanged`]: weiquan_core::search::Engine::page_unchanged

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use lru::LruCache;

use weiquan_core::search::answer::Answer;
use weiquan_core::search::{DocumentPage, SearchRequest, SearchResults};

/// A search's results and the answer they open with.
pub type Answered = (SearchResults, Option<Answer>);

/// Answered searches by request.
pub type ResultCache = Cache<Answered>;

/// Document pages by id.
pub type PageCache = Cache<DocumentPage>;

/// Values of type `V`, at most `capacity` bytes of them.
pub struct Cache<V> {
    entries: Mutex<Entries<V>>,
    /// The values being made, by generation and key, for the misses that
    /// wait on them.
    making: Mutex<Making<V>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The cells that values being made arrive in, by generation and key.
type Making<V> = HashMap<(u64, String), Arc<tokio::sync::OnceCell<Arc<V>>>>;

struct Entries<V> {
    map: LruCache<String, Entry<V>>,
    bytes: usize,
}

struct Entry<V> {
    value: Arc<V>,
    size: usize,
    made: Made,
}

/// When an entry was made.
#[derive(Debug, Clone, Copy)]
pub struct Made {
    /// The index generation it was made in.
    pub generation: u64,
    pub at: Instant,
}

/// How many bytes a cached value holds, about.
pub trait Weighed {
    fn weight(&self) -> usize;
}

impl Weighed for Answered {
    /// The results' JSON and the answer's.
    fn weight(&self) -> usize {
        let size = serde_json::to_vec(&self.0).map_or(usize::MAX, |json| json.len());
        size.saturating_add(self.1.as_ref().map_or(0, |a| serde_json::to_vec(a).map_or(0, |j| j.len())))
    }
}

impl Weighed for DocumentPage {
    /// Its HTML and its text (held once whole and once by unit).
    fn weight(&self) -> usize {
        self.html.len() + 2 * self.document.body.len() + 4096
    }
}

impl ResultCache {
    /// The key of `request`, with the answer or without; the query is trimmed.
    pub fn key(request: &SearchRequest, with_answer: bool) -> String {
        let request = SearchRequest { query: request.query.trim().to_string(), ..request.clone() };
        format!("{with_answer} {request:?}")
    }
}

/// Why a value being made is not there.
enum Unmade<E> {
    Failed(E),
    /// `make` found nothing; that is not kept.
    Nothing,
}

impl<V: Weighed> Cache<V> {
    /// A cache holding up to `capacity` bytes; 0 turns it off.
    pub fn new(capacity: usize) -> Cache<V> {
        Cache {
            entries: Mutex::new(Entries { map: LruCache::unbounded(), bytes: 0 }),
            making: Mutex::new(HashMap::new()),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The value under `key` for generation `generation`, counted as a hit
    /// or a miss: one made in that generation or a later one, or an older
    /// one that `still_good` accepts.
    pub fn get(&self, key: &str, generation: u64, still_good: impl Fn(&V, Made) -> bool) -> Option<Arc<V>> {
        if self.capacity == 0 {
            return None;
        }
        let found = self.lock().map.get(key).map(|entry| (entry.value.clone(), entry.made));
        let found = found.filter(|(value, made)| made.generation >= generation || still_good(value, *made));
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found.map(|(value, _)| value)
    }

    /// Keeps `value`, made in `generation`, under `key`, weighed, unless a
    /// value from a later generation is there.
    pub fn keep(&self, key: String, generation: u64, value: Arc<V>) {
        let size = value.weight().saturating_add(key.len());
        if self.capacity == 0 || size > self.capacity / 4 {
            return;
        }
        let mut entries = self.lock();
        if entries.map.peek(&key).is_some_and(|entry| entry.made.generation > generation) {
            return;
        }
        let made = Made { generation, at: Instant::now() };
        if let Some(old) = entries.map.put(key, Entry { value, size, made }) {
            entries.bytes -= old.size;
        }
        entries.bytes += size;
        while entries.bytes > self.capacity {
            let Some((_, evicted)) = entries.map.pop_lru() else { break };
            entries.bytes -= evicted.size;
        }
    }

    /// The value under `key` for `generation` ([`Cache::get`]), or the one
    /// `make` works out, kept (when it found one); and whether it came from
    /// the cache. Concurrent misses on one key in one generation wait for
    /// the first caller's `make`; if that fails, finds nothing or is
    /// dropped, the next waiting caller runs its own. With the cache off,
    /// every caller makes its own.
    pub async fn get_or_make<E, F>(
        &self,
        key: String,
        generation: u64,
        still_good: impl Fn(&V, Made) -> bool,
        make: impl FnOnce() -> F,
    ) -> Result<(Option<Arc<V>>, bool), E>
    where
        F: Future<Output = Result<Option<Arc<V>>, E>>,
    {
        if let Some(found) = self.get(&key, generation, still_good) {
            return Ok((Some(found), true));
        }
        if self.capacity == 0 {
            return Ok((make().await?, false));
        }
        let making = (generation, key);
        let waiting =
            Waiting { cache: self, cell: self.making().entry(making.clone()).or_default().clone(), key: &making };
        let made = waiting
            .cell
            .get_or_try_init(|| async {
                let value = make().await.map_err(Unmade::Failed)?.ok_or(Unmade::Nothing)?;
                self.keep(making.1.clone(), generation, value.clone());
                Ok(value)
            })
            .await
            .cloned();
        drop(waiting);
        match made {
            Ok(value) => Ok((Some(value), false)),
            Err(Unmade::Nothing) => Ok((None, false)),
            Err(Unmade::Failed(error)) => Err(error),
        }
    }
}

impl<V> Cache<V> {
    /// Lookups answered from the cache, and those that were not.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<V>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn making(&self) -> std::sync::MutexGuard<'_, Making<V>> {
        self.making.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One asker waiting on a value being made. When the last one is done,
/// or dropped (a visitor who closed the page mid-search), the key leaves
/// the values being made, so that map never holds keys nobody waits on.
struct Waiting<'a, V> {
    cache: &'a Cache<V>,
    cell: Arc<tokio::sync::OnceCell<Arc<V>>>,
    key: &'a (u64, String),
}

impl<V> Drop for Waiting<'_, V> {
    fn drop(&mut self) {
        let mut making = self.cache.making();
        // The map's reference and this one: no other asker waits.
        let last = Arc::strong_count(&self.cell) <= 2;
        if last && making.get(self.key).is_some_and(|cell| Arc::ptr_eq(cell, &self.cell)) {
            making.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(query: &str) -> Arc<Answered> {
        let results = SearchResults {
            query: query.into(),
            total: 1,
            total_exact: true,
            page: 1,
            per_page: 10,
            took_ms: 1.0,
            hits: Vec::new(),
            facets: Default::default(),
            expansions: Vec::new(),
        };
        Arc::new((results, None))
    }

    /// No entry from an earlier generation is good.
    fn only_its_own(_: &Answered, _: Made) -> bool {
        false
    }

    #[test]
    fn a_hit_needs_the_same_request_and_generation() {
        let cache = ResultCache::new(1 << 20);
        let request = SearchRequest::new("七天无理由退货");
        cache.keep(ResultCache::key(&request, true), 1, answered("七天无理由退货"));
        let trimmed = ResultCache::key(&SearchRequest::new("  七天无理由退货 "), true);
        assert!(cache.get(&trimmed, 1, only_its_own).is_some(), "trimmed");
        assert!(cache.get(&ResultCache::key(&request, true), 2, only_its_own).is_none(), "a later generation");
        let page_two = SearchRequest { page: 2, ..request.clone() };
        assert!(cache.get(&ResultCache::key(&page_two, true), 1, only_its_own).is_none(), "another page");
        assert!(cache.get(&ResultCache::key(&request, false), 1, only_its_own).is_none(), "without the answer");
        assert_eq!(cache.counts(), (1, 3));
        // What the caller accepts from an earlier generation is served.
        let older = cache.get(&ResultCache::key(&request, true), 2, |_, made| made.generation == 1);
        assert!(older.is_some(), "accepted from generation 1");
        // A later value replaces it; an earlier one does not replace a later one.
        cache.keep(ResultCache::key(&request, true), 3, answered("第三代"));
        cache.keep(ResultCache::key(&request, true), 2, answered("第二代"));
        let kept = cache.get(&ResultCache::key(&request, true), 3, only_its_own).unwrap();
        assert_eq!(kept.0.query, "第三代");
        assert!(cache.get(&ResultCache::key(&request, true), 2, only_its_own).is_some(), "newer serves older askers");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_misses_on_one_search_share_the_first_ones_work() {
        let cache = Arc::new(ResultCache::new(1 << 20));
        let made = Arc::new(AtomicU64::new(0));
        let key = ResultCache::key(&SearchRequest::new("健身房跑路"), true);
        let askers: Vec<_> = (0..16)
            .map(|_| {
                let (cache, made, key) = (cache.clone(), made.clone(), key.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_make(key, 1, only_its_own, || async {
                            made.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok::<_, ()>(Some(answered("健身房跑路")))
                        })
                        .await
                })
            })
            .collect();
        for asker in askers {
            let (answer, _) = asker.await.unwrap().unwrap();
            assert_eq!(answer.unwrap().0.query, "健身房跑路");
        }
        assert_eq!(made.load(Ordering::SeqCst), 1, "one search for sixteen askers");
        assert!(
            cache.get_or_make(key.clone(), 1, only_its_own, || async { Err("not asked") }).await.unwrap().1,
            "then a hit"
        );

        // A failed make is not kept: the next asker makes its own.
        let other = ResultCache::key(&SearchRequest::new("预付卡"), true);
        assert_eq!(
            cache
                .get_or_make(other.clone(), 1, only_its_own, || async { Err::<Option<Arc<Answered>>, _>("index gone") })
                .await
                .unwrap_err(),
            "index gone"
        );
        let (nothing, hit) =
            cache.get_or_make(other.clone(), 1, only_its_own, || async { Ok::<_, ()>(None) }).await.unwrap();
        assert!(!hit && nothing.is_none() && cache.get(&other, 1, only_its_own).is_none(), "nothing found is not kept");
        let (again, hit) = cache
            .get_or_make(other, 1, only_its_own, || async { Ok::<_, ()>(Some(answered("预付卡"))) })
            .await
            .unwrap();
        assert!(!hit && again.unwrap().0.query == "预付卡");
        assert!(cache.making().is_empty(), "nothing left waiting");

        // An asker who leaves mid-search leaves nothing behind.
        let left = ResultCache::key(&SearchRequest::new("商家跑路"), true);
        let slow = cache.get_or_make(left.clone(), 1, only_its_own, || async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Ok::<_, ()>(Some(answered("商家跑路")))
        });
        assert!(tokio::time::timeout(std::time::Duration::from_millis(20), slow).await.is_err());
        assert!(cache.making().is_empty(), "a dropped asker's key is gone");
        let (made, hit) = cache
            .get_or_make(left, 1, only_its_own, || async { Ok::<_, ()>(Some(answered("商家跑路"))) })
            .await
            .unwrap();
        assert!(!hit && made.unwrap().0.query == "商家跑路", "the next asker makes it");
    }

    #[test]
    fn the_least_recently_used_go_first_past_the_capacity() {
        let one = serde_json::to_vec(&answered("问题00").0).unwrap().len();
        let key_bytes = ResultCache::key(&SearchRequest::new("问题00"), true).len();
        let cache = ResultCache::new(10 * (one + key_bytes) + 1);
        for i in 0..10 {
            let query = format!("问题{i:02}");
            cache.keep(ResultCache::key(&SearchRequest::new(&query), true), 1, answered(&query));
        }
        assert!(cache.get(&ResultCache::key(&SearchRequest::new("问题00"), true), 1, only_its_own).is_some());
        cache.keep(ResultCache::key(&SearchRequest::new("问题10"), true), 1, answered("问题10"));
        assert!(cache.bytes() <= 10 * (one + key_bytes) + 1);
        assert!(
            cache.get(&ResultCache::key(&SearchRequest::new("问题00"), true), 1, only_its_own).is_some(),
            "used last, kept"
        );
        assert!(
            cache.get(&ResultCache::key(&SearchRequest::new("问题01"), true), 1, only_its_own).is_none(),
            "least recently used"
        );
        let off = ResultCache::new(0);
        off.keep(ResultCache::key(&SearchRequest::new("问题"), true), 1, answered("问题"));
        assert!(off.get(&ResultCache::key(&SearchRequest::new("问题"), true), 1, only_its_own).is_none());
    }
}
