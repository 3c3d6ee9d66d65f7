//! HTTP: the website, the JSON API and operations endpoints, over the
//! engine. Handlers only extract, call the engine and map the result.

mod about;
mod admin;
pub mod api;
mod charts;
mod compare;
pub mod config;
mod error;
mod events;
mod hashing;
mod insights;
mod kiosk;
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
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
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
use crate::search::{CitationTarget, DocumentPage, Engine, SearchHit, SearchRequest, SearchResults};

/// Searches running at once; more wait for a permit.
const SEARCH_PERMITS: usize = 16;
/// How long a request waits for a search permit before it gets 503.
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
    /// Searches, opened results and feedback for staff; `None`: not recorded.
    recording: Option<Arc<insights::Recording>>,
}

impl AppState {
    /// State for an engine, serving static files from `static_dir`.
    pub fn new(engine: Engine, static_dir: &Path) -> AppState {
        AppState {
            engine: Arc::new(engine),
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
            recording: None,
        }
    }

    /// State for an engine shared with a publisher, which writes to it.
    pub fn with_publisher(
        engine: Arc<Engine>,
        static_dir: &Path,
        publisher: Publisher,
        secure_cookies: bool,
    ) -> AppState {
        AppState {
            engine,
            permits: Arc::new(Semaphore::new(SEARCH_PERMITS)),
            metrics: Arc::new(Metrics::default()),
            assets: Arc::new(Assets::fingerprint(static_dir)),
            publisher: Some(Arc::new(publisher)),
            secure_cookies,
            hashing: hashing::Hashing::default(),
            events: events::channel(),
            kiosks: Arc::default(),
            heartbeats: Arc::default(),
            search_limit: limit::RateLimit::new(limit::DEFAULT_SEARCHES_PER_SECOND).map(Arc::new),
            recording: None,
        }
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
        let started = Instant::now();
        let results = self.blocking(move |engine| engine.search(&request)).await;
        self.metrics.record_search(started.elapsed());
        results
    }

    async fn document(&self, id: String) -> Result<Option<DocumentPage>, WebError> {
        self.blocking(move |engine| engine.document(&id, &citation_url)).await
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
    let mut router = pages::routes()
        .merge(admin::routes())
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

/// Answers 429 to a client address that searches faster than the limit.
/// Requests without a client address (tests driving the router) pass.
async fn limit_searches(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let searching = matches!(path, "/search" | "/api/search" | "/api/suggest");
    let address = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    if let (true, Some(limit), Some(address)) = (searching, &state.search_limit, address)
        && !limit.allow(address, Instant::now())
    {
        if path.starts_with("/api/") {
            return error::ApiError(WebError::rate_limited()).into_response();
        }
        let (mut parts, _) = request.into_parts();
        let Ok(visitor) = pages::Visitor::from_request_parts(&mut parts, &state).await;
        return state.error_page(&visitor, WebError::rate_limited());
    }
    next.run(request).await
}
