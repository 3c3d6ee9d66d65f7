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
mod state;
mod views;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::WebError;
pub use server::{ConnectionLimits, serve_until, stop_signal};
use state::PERMIT_WAIT;
pub use state::{AppState, Assets, DEFAULT_RESULT_CACHE_MB};

use weiquan_core::search::{CitationTarget, SearchHit};

/// Requests taking longer are cut off.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body accepted.
const BODY_LIMIT: usize = 64 * 1024;

/// Where pages may load from: scripts only from this site's files (no
/// inline scripts, no `javascript:` links), nothing framed, no plugins.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

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
/// pass, and all do when the limits are off (`--search-rate 0`).
async fn limit_searches(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let searching = matches!(path, "/search" | "/api/search" | "/api/suggest") || path.starts_with("/tags/");
    let client::ClientIp(address) = request.extensions().get().copied().unwrap_or(client::ClientIp(None));
    let (true, Some(address), Some(limits)) = (searching, address, &state.search_limits) else {
        return next.run(request).await;
    };
    if !limits.rate.allow(address, Instant::now()) {
        return refuse_search(&state, request, WebError::rate_limited()).await;
    }
    let Some(_running) = limits.at_once.hold(address, PERMIT_WAIT).await else {
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
    use std::path::Path;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;

    use super::*;
    use weiquan_core::search::Engine;

    /// The website's state over a real index of the test fixtures in `dir`.
    fn fixture_state(dir: &Path) -> AppState {
        // The repository's root, two folders above this crate.
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let clock = weiquan_core::clock::Clock::system(weiquan_core::clock::DEFAULT_ZONE);
        weiquan_core::search::build(dir, &[root.join("tests/fixtures/content")], &clock, &|_, _, _| {}).unwrap();
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
        let limits = state.search_limits.clone().unwrap();
        let running = (limits.at_once.try_hold(busy).unwrap(), limits.at_once.try_hold(busy).unwrap());
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

    #[tokio::test]
    async fn a_search_rate_of_zero_turns_off_both_per_address_limits() {
        let dir = tempfile::tempdir().unwrap();
        let unlimited = fixture_state(dir.path()).with_search_rate(0);
        assert!(unlimited.search_limits.is_none());
        // Far more than the rate's burst and the cap at once, from one address.
        let mut searches = tokio::task::JoinSet::new();
        for _ in 0..80 {
            searches.spawn(app(unlimited.clone()).oneshot(search_from("198.51.100.1")));
        }
        while let Some(answer) = searches.join_next().await {
            assert_eq!(answer.unwrap().unwrap().status(), 200);
        }
        let limited = unlimited.with_search_rate(5);
        assert!(limited.search_limits.is_some(), "a rate keeps the cap at once");
    }
}
