//! What every handler shares ([`AppState`]: the engine, the publisher, the
//! caches, the search permits and the metrics) and the static files with
//! their content hash ([`Assets`]). The router that hands it to the
//! handlers is [`super::app`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::error::WebError;
use super::metrics::Metrics;
use super::{ConnectionLimits, cache, citation_url, client, config, events, hashing, insights, kiosk, limit, server};
use weiquan_core::search::answer::Answer;
use weiquan_core::search::{DocumentPage, Engine, SearchHit, SearchRequest, SearchResults};
use weiquan_publish::publish::Publisher;

/// Searches running at once; more wait for a permit. Eight keep two cores
/// busy (four left a few per cent idle under distinct questions), and each
/// running search holds its scorers and slots: with 16, `scripts/load.py`
/// ended at 252–254 MB of RSS against its 250 MB target, with 8 at 244 MB
/// (docs/PERFORMANCE.md, "Session 46").
const SEARCH_PERMITS: usize = 8;

/// How long a document page made before a reindex that left it unchanged
/// is served: what it cannot know is a new document that belongs in its
/// related list (see [`cache`]).
const PAGE_KEPT: std::time::Duration = std::time::Duration::from_secs(10);
/// Megabytes of answered searches, and of document pages, kept by default
/// (`result_cache_mb`).
pub const DEFAULT_RESULT_CACHE_MB: usize = 32;
/// Searches one client address may run at once; more wait for one of them
/// to finish, so one client cannot take all the permits.
const SEARCHES_PER_ADDRESS: usize = 2;
/// How long a request waits for a search permit before it gets 503 (or
/// 429 while its own address's searches hold theirs).
pub(super) const PERMIT_WAIT: Duration = Duration::from_secs(2);
/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(super) engine: Arc<Engine>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) assets: Arc<Assets>,
    /// The staff workflow; the admin answers 404 without it.
    pub(super) publisher: Option<Arc<Publisher>>,
    /// Session cookies only over HTTPS.
    pub(super) secure_cookies: bool,
    /// Password checking and hashing, off the async workers.
    pub(super) hashing: hashing::Hashing,
    /// Changes in the warnings in force, for `/api/events`.
    pub(super) events: tokio::sync::broadcast::Sender<events::Change>,
    /// Kiosk settings by id.
    pub(super) kiosks: Arc<std::collections::BTreeMap<String, config::KioskConfig>>,
    /// What each kiosk last reported.
    pub(super) heartbeats: Arc<std::sync::Mutex<std::collections::BTreeMap<String, kiosk::Heartbeat>>>,
    /// Searches per second and at once per client address; `None`: no limit.
    pub(super) search_limits: Option<Arc<limit::SearchLimits>>,
    /// The limits of `/api/events` streams (set from the connection limits
    /// by [`serve_until`]).
    pub(super) streams: Arc<events::Streams>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub(super) trusted_proxies: Arc<Vec<client::Network>>,
    /// Searches, opened results and feedback for staff; `None`: not recorded.
    pub(super) recording: Option<Arc<insights::Recording>>,
    /// Answered searches by request and index generation.
    pub(super) results: Arc<cache::ResultCache>,
    /// Document pages by id and index generation.
    pub(super) pages: Arc<cache::PageCache>,
}

impl AppState {
    /// State for an engine, serving static files from `static_dir`.
    pub fn new(engine: Engine, static_dir: &Path) -> AppState {
        AppState::shared(Arc::new(engine), static_dir)
    }

    /// State for a shared engine without the staff workflow.
    pub(super) fn shared(engine: Arc<Engine>, static_dir: &Path) -> AppState {
        let limits = ConnectionLimits::default();
        AppState {
            engine,
            permits: Arc::new(Semaphore::new(SEARCH_PERMITS)),
            metrics: Arc::new(Metrics::default()),
            assets: Arc::new(Assets::fingerprint(static_dir)),
            publisher: None,
            secure_cookies: false,
            hashing: hashing::Hashing::default(),
            events: events::channel(),
            kiosks: Arc::default(),
            heartbeats: Arc::default(),
            search_limits: limit::SearchLimits::new(limit::DEFAULT_SEARCHES_PER_SECOND, SEARCHES_PER_ADDRESS)
                .map(Arc::new),
            streams: Arc::new(server::event_streams(&limits)),
            trusted_proxies: Arc::default(),
            recording: None,
            results: Arc::new(cache::ResultCache::new(DEFAULT_RESULT_CACHE_MB << 20)),
            pages: Arc::new(cache::PageCache::new(DEFAULT_RESULT_CACHE_MB << 20)),
        }
    }

    /// State for an engine shared with a publisher, which writes to it.
    pub fn with_publisher(
        engine: Arc<Engine>,
        static_dir: &Path,
        publisher: Publisher,
        secure_cookies: bool,
    ) -> AppState {
        AppState { publisher: Some(Arc::new(publisher)), secure_cookies, ..AppState::shared(engine, static_dir) }
    }

    /// The same state with these kiosk settings.
    pub fn with_kiosks(self, kiosks: std::collections::BTreeMap<String, config::KioskConfig>) -> AppState {
        AppState { kiosks: Arc::new(kiosks), ..self }
    }

    /// The same state with this many searches per second per client address;
    /// 0 turns off the per-address search limits ([`limit::SearchLimits`]).
    pub fn with_search_rate(self, per_second: u32) -> AppState {
        AppState { search_limits: limit::SearchLimits::new(per_second, SEARCHES_PER_ADDRESS).map(Arc::new), ..self }
    }

    /// The same state with caches of `megabytes` each for answered
    /// searches and for document pages (0: none).
    pub fn with_result_cache(self, megabytes: usize) -> AppState {
        AppState {
            results: Arc::new(cache::ResultCache::new(megabytes << 20)),
            pages: Arc::new(cache::PageCache::new(megabytes << 20)),
            ..self
        }
    }

    /// The caches of answered searches and of document pages, for their counts.
    pub fn caches(&self) -> (&cache::ResultCache, &cache::PageCache) {
        (&self.results, &self.pages)
    }

    /// The same state believing `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(self, proxies: Vec<client::Network>) -> AppState {
        AppState { trusted_proxies: Arc::new(proxies), ..self }
    }

    /// The same state recording searches, opened results and feedback.
    pub fn with_insights(self, insights: Arc<weiquan_publish::insights::Insights>) -> AppState {
        AppState { recording: Some(Arc::new(insights::Recording::new(insights))), ..self }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The program's one clock (the engine's): every date a page, the API,
    /// the feed or a kiosk shows is read from it.
    pub fn clock(&self) -> &weiquan_core::clock::Clock {
        self.engine.clock()
    }

    /// Runs blocking engine work on the blocking pool, behind a permit.
    pub(super) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, weiquan_core::search::Error> + Send + 'static,
    ) -> Result<T, WebError> {
        let permit = tokio::time::timeout(PERMIT_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| WebError::busy())?
            .map_err(|_| WebError::internal())?;
        let engine = self.engine.clone();
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&engine)
        })
        .await
        .map_err(|_| WebError::internal())?;
        Ok(result?)
    }

    pub(super) async fn search(&self, request: SearchRequest) -> Result<SearchResults, WebError> {
        Ok(self.cached_search(request, false).await?.0)
    }

    /// A search and the answer its results open with, in one blocking call:
    /// the answer reads a few stored documents off the results.
    pub(super) async fn answered_search(
        &self,
        request: SearchRequest,
    ) -> Result<(SearchResults, Option<Answer>), WebError> {
        self.cached_search(request, true).await
    }

    /// A search (with its answer when `with_answer`) from the result cache,
    /// or run on the blocking pool and kept there. A cached one says how
    /// long the lookup took.
    pub(super) async fn cached_search(
        &self,
        request: SearchRequest,
        with_answer: bool,
    ) -> Result<cache::Answered, WebError> {
        let started = Instant::now();
        let generation = self.engine.generation()?;
        let key = cache::ResultCache::key(&request, with_answer);
        let query = request.query.clone();
        let answered: Result<_, WebError> = self
            .results
            .get_or_make(
                key,
                generation,
                |_, _| false,
                || async {
                    let answered = self
                        .blocking(move |engine| {
                            if with_answer {
                                engine.search_answered(&request)
                            } else {
                                Ok((engine.search(&request)?, None))
                            }
                        })
                        .await?;
                    Ok(Some(Arc::new(answered)))
                },
            )
            .await;
        self.metrics.record_search(started.elapsed());
        let (answered, cached) = answered?;
        let (mut results, answer) = answered.map(|a| (*a).clone()).ok_or_else(WebError::internal)?;
        if cached {
            results.took_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        }
        results.query = query;
        Ok((results, answer))
    }

    /// For a search that found nothing (on its first page), the closest
    /// guides and warnings ([`Engine::nearby`]); nothing otherwise.
    pub(super) async fn nearby(&self, results: &SearchResults) -> Result<Vec<SearchHit>, WebError> {
        if results.total > 0 || results.page > 1 {
            return Ok(Vec::new());
        }
        let query = results.query.clone();
        self.blocking(move |engine| engine.nearby(&query)).await
    }

    /// A document's page, from the page cache or worked out and kept there
    /// (once for all who ask for it at the same time). A page from before
    /// the last reindex is served for [`PAGE_KEPT`] if nothing on it changed.
    pub(super) async fn document(&self, id: String) -> Result<Option<Arc<DocumentPage>>, WebError> {
        let generation = self.engine.generation()?;
        let still_good = |page: &DocumentPage, made: cache::Made| {
            made.at.elapsed() < PAGE_KEPT && self.engine.page_unchanged(page, made.generation)
        };
        let key = id.clone();
        let make = || async {
            let page = self.blocking(move |engine| engine.document(&id, &citation_url)).await?;
            Ok::<_, WebError>(page.map(Arc::new))
        };
        Ok(self.pages.get_or_make(key, generation, still_good, make).await?.0)
    }
}

/// Static files with a content hash for cache-busting URLs.
pub struct Assets {
    pub(super) dir: PathBuf,
    pub(super) version: String,
}

impl Assets {
    pub(super) fn fingerprint(dir: &Path) -> Assets {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                entry.path().hash(&mut hasher);
                bytes.hash(&mut hasher);
            }
        }
        Assets { dir: dir.to_path_buf(), version: format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff) }
    }

    /// `/static/{name}?v={hash}`: cached for a year, changed when the files change.
    pub fn url(&self, name: &str) -> String {
        format!("/static/{name}?v={}", self.version)
    }
}
