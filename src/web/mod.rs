//! HTTP: the website, the JSON API and operations endpoints, over the
//! engine. Handlers only extract, call the engine and map the result.

mod about;
mod admin;
mod answer;
pub mod api;
pub mod cache;
mod charts;
pub mod client;
mod compare;
pub mod config;
mod document;
mod error;
mod events;
mod hashing;
mod insights;
mod kiosk;
mod kiosk_loop;
pub mod limit;
mod metrics;
mod pages;
pub mod params;
mod server;
mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::WebError;
use metrics::Metrics;
pub use server::{ConnectionLimits, serve, serve_until};

use crate::publish::Publisher;
use crate::search::answer::Answer;
use crate::search::{CitationTarget, DocumentPage, Engine, SearchHit, SearchRequest, SearchResults};

/// Searches running at once; more wait for a permit.
const SEARCH_PERMITS: usize = 16;
/// Megabytes of answered searches, and of document pages, kept by default
/// (`result_cache_mb`).
pub const DEFAULT_RESULT_CACHE_MB: usize = 32;
/// Searches one client address may run at once; more wait for one of them
/// to finish, so one client cannot take all the permits.
const SEARCHES_PER_ADDRESS: usize = 2;
/// How long a request waits for a search permit before it gets 503 (or
/// 429 while its own address's searches hold theirs).
const PERMIT_WAIT: Duration = Duration::from_secs(2);
/// Requests taking longer are cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body accepted.
const BODY_LIMIT: usize = 64 * 1024;

/// Where pages may load from: scripts only from this site's files (no
/// inline scripts, no `javascript:` links), nothing framed, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    engine: Arc<Engine>,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    assets: Arc<Assets>,
    /// The staff workflow; the admin answers 404 without it.
    publisher: Option<Arc<Publisher>>,
    /// Session cookies only over HTTPS.
    secure_cookies: bool,
    /// Password checking and hashing, off the async workers.
    hashing: hashing::Hashing,
    /// Changes in the warnings in force, for `/api/events`.
    events: tokio::sync::broadcast::Sender<events::Change>,
    /// Kiosk settings by id.
    kiosks: Arc<std::collections::BTreeMap<String, config::KioskConfig>>,
    /// What each kiosk last reported.
    heartbeats: Arc<std::sync::Mutex<std::collections::BTreeMap<String, kiosk::Heartbeat>>>,
    /// Searches per client address; `None`: no limit.
    search_limit: Option<Arc<limit::RateLimit>>,
    /// Searches running per client address.
    searching: Arc<limit::PerAddress>,
    /// The limits of `/api/events` streams (set from the connection limits
    /// by [`serve_until`]).
    streams: Arc<events::Streams>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Arc<Vec<client::Network>>,
    /// Searches, opened results and feedback for staff; `None`: not recorded.
    recording: Option<Arc<insights::Recording>>,
    /// Answered searches by request and index generation.
    results: Arc<cache::ResultCache>,
    /// Document pages by id and index generation.
    pages: Arc<cache::PageCache>,
}

impl AppState {
    /// State for an engine, serving static files from `static_dir`.
    pub fn new(engine: Engine, static_dir: &Path) -> AppState {
        AppState::shared(Arc::new(engine), static_dir)
    }

    /// State for a shared engine without the staff workflow.
    fn shared(engine: Arc<Engine>, static_dir: &Path) -> AppState {
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
            search_limit: limit::RateLimit::new(limit::DEFAULT_SEARCHES_PER_SECOND).map(Arc::new),
            searching: Arc::new(limit::PerAddress::new(SEARCHES_PER_ADDRESS)),
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

    /// The same state with this many searches per second per client address
    /// (0: no limit).
    pub fn with_search_rate(self, per_second: u32) -> AppState {
        AppState { search_limit: limit::RateLimit::new(per_second).map(Arc::new), ..self }
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
    pub fn with_insights(self, insights: Arc<crate::insights::Insights>) -> AppState {
        AppState { recording: Some(Arc::new(insights::Recording::new(insights))), ..self }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The program's one clock (the engine's): every date a page, the API,
    /// the feed or a kiosk shows is read from it.
    pub fn clock(&self) -> &crate::clock::Clock {
        self.engine.clock()
    }

    /// Runs blocking engine work on the blocking pool, behind a permit.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, crate::search::Error> + Send + 'static,
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

    async fn search(&self, request: SearchRequest) -> Result<SearchResults, WebError> {
        Ok(self.cached_search(request, false).await?.0)
    }

    /// A search and the answer its results open with, in one blocking call:
    /// the answer reads a few stored documents off the results.
    async fn answered_search(&self, request: SearchRequest) -> Result<(SearchResults, Option<Answer>), WebError> {
        self.cached_search(request, true).await
    }

    /// A search (with its answer when `with_answer`) from the result cache,
    /// or run on the blocking pool and kept there. A cached one says how
    /// long the lookup took.
    async fn cached_search(&self, request: SearchRequest, with_answer: bool) -> Result<cache::Answered, WebError> {
        let started = Instant::now();
        let generation = self.engine.generation()?;
        let key = cache::ResultCache::key(generation, &request, with_answer);
        if let Some(cached) = self.results.get(&key) {
            let (mut results, answer) = (*cached).clone();
            results.query = request.query;
            results.took_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
            self.metrics.record_search(started.elapsed());
            return Ok((results, answer));
        }
        let answered =
            self.blocking(move |engine| {
                if with_answer { engine.search_answered(&request) } else { Ok((engine.search(&request)?, None)) }
            })
            .await;
        self.metrics.record_search(started.elapsed());
        let answered = answered?;
        self.results.keep(key, Arc::new(answered.clone()));
        Ok(answered)
    }

    /// For a search that found nothing (on its first page), the closest
    /// guides and warnings ([`Engine::nearby`]); nothing otherwise.
    async fn nearby(&self, results: &SearchResults) -> Result<Vec<SearchHit>, WebError> {
        if results.total > 0 || results.page > 1 {
            return Ok(Vec::new());
        }
        let query = results.query.clone();
        self.blocking(move |engine| engine.nearby(&query)).await
    }

    /// A document's page, from the page cache or worked out and kept there.
    async fn document(&self, id: String) -> Result<Option<Arc<DocumentPage>>, WebError> {
        let key = (self.engine.generation()?, id.clone());
        if let Some(page) = self.pages.get(&key) {
            return Ok(Some(page));
        }
        let page = self.blocking(move |engine| engine.document(&id, &citation_url)).await?.map(Arc::new);
        if let Some(page) = &page {
            self.pages.keep(key, page.clone());
        }
        Ok(page)
    }
}

/// Static files with a content hash for cache-busting URLs.
pub struct Assets {
    dir: PathBuf,
    version: String,
}

impl Assets {
    fn fingerprint(dir: &Path) -> Assets {
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

/// The address of a document page, at the hit's article.
pub fn hit_url(hit: &SearchHit) -> String {
    doc_url(&hit.id, hit.anchor.as_deref())
}

/// Where a citation links: the cited article, or a search for it.
pub fn citation_url(target: CitationTarget) -> String {
    match target {
        CitationTarget::Article { id, anchor } => doc_url(&id, Some(&anchor)),
        CitationTarget::Search { query } => format!("/search?q={}", views::encode(&query)),
    }
}

/// `/docs/{id}` with an optional `#anchor`.
pub fn doc_url(id: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(anchor) => format!("/docs/{id}#{anchor}"),
        None => format!("/docs/{id}"),
    }
}

/// The whole application. Tests drive this same router.
pub fn app(state: AppState) -> Router {
    let static_files = Router::new().nest_service("/static", ServeDir::new(&state.assets.dir)).layer(
        SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
    );
    let staff = admin::routes().merge(insights::admin_routes()).merge(metrics::admin_routes());
    let mut router = pages::routes()
        .merge(admin::layered(&state, staff))
        .merge(kiosk::routes())
        .merge(insights::routes())
        .route("/api/events", axum::routing::get(events::events));
    for (path, route) in api::routes() {
        router = router.route(path, route);
    }
    router
        .merge(static_files)
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), limit_searches))
        .layer(middleware::from_fn_with_state(state.clone(), client::resolve))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(request).await;
    state.metrics.record_request(&route, response.status().as_u16());
    response
}

/// Per client address: answers 429 to one that searches faster than the
/// limit, and lets it run only a few searches at once (the others wait, then
/// get 429). Requests without a client address (tests driving the router)
/// pass.
async fn limit_searches(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let searching = matches!(path, "/search" | "/api/search" | "/api/suggest") || path.starts_with("/tags/");
    let client::ClientIp(address) = request.extensions().get().copied().unwrap_or(client::ClientIp(None));
    let (true, Some(address)) = (searching, address) else { return next.run(request).await };
    if let Some(limit) = &state.search_limit
        && !limit.allow(address, Instant::now())
    {
        return refuse_search(&state, request, WebError::rate_limited()).await;
    }
    let Some(_running) = state.searching.hold(address, PERMIT_WAIT).await else {
        return refuse_search(&state, request, WebError::too_many_at_once()).await;
    };
    next.run(request).await
}

/// A refused search: JSON for the API, a page for the website.
async fn refuse_search(state: &AppState, request: Request, error: WebError) -> Response {
    if request.uri().path().starts_with("/api/") {
        return error::ApiError(error).into_response();
    }
    let (mut parts, _) = request.into_parts();
    let Ok(visitor) = pages::Visitor::from_request_parts(&mut parts, state).await;
    state.error_page(&visitor, error)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;

    use super::*;

    /// The website's state over a real index of the test fixtures in `dir`.
    fn fixture_state(dir: &Path) -> AppState {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let clock = crate::clock::Clock::system(crate::clock::DEFAULT_ZONE);
        crate::search::build(dir, &[root.join("tests/fixtures/content")], &clock, &|_, _, _| {}).unwrap();
        AppState::new(Engine::open(dir, clock).unwrap(), &root.join("static"))
    }

    /// A search for 预付卡 that came over a connection from `address`.
    fn search_from(address: &str) -> Request {
        let mut request = Request::get("/api/search?q=%E9%A2%84%E4%BB%98%E5%8D%A1").body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(address.parse().unwrap(), 40_000)));
        request
    }

    #[tokio::test]
    async fn one_address_runs_two_searches_at_once_and_others_are_still_served() {
        let dir = tempfile::tempdir().unwrap();
        let state = fixture_state(dir.path());
        // Two searches of one address are running (as slow ones would be).
        let busy = "198.51.100.1".parse().unwrap();
        let running = (state.searching.try_hold(busy).unwrap(), state.searching.try_hold(busy).unwrap());
        let asked = Instant::now();
        let third = app(state.clone()).oneshot(search_from("198.51.100.1")).await.unwrap();
        assert_eq!(third.status(), 429, "a third search of that address");
        assert!(asked.elapsed() >= PERMIT_WAIT, "waited for one of its searches first");
        assert_eq!(third.headers()["retry-after"], "1");
        let other = app(state.clone()).oneshot(search_from("198.51.100.2")).await.unwrap();
        assert_eq!(other.status(), 200, "another address is served meanwhile");
        drop(running);
        assert_eq!(app(state).oneshot(search_from("198.51.100.1")).await.unwrap().status(), 200);
    }
}
