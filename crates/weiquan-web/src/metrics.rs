//! Prometheus text metrics: requests by route and status, search latency,
//! documents in the index. Kept by hand: a few counters need no framework.
//!
//! Public `/metrics` leaves out the staff routes (`/admin…`, `/api/admin…`):
//! their counts tell outsiders when staff sign in, fail to, and use tokens.
//! Admins read those at `/admin/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::admin::Admin;

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Upper bounds of the search latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    search_buckets: [AtomicU64; BUCKETS.len()],
    search_count: AtomicU64,
    search_micros: AtomicU64,
}

impl Metrics {
    pub(crate) fn record_request(&self, route: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((route.to_string(), status)).or_default() += 1;
    }

    pub(crate) fn record_search(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.search_buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.search_count.fetch_add(1, Ordering::Relaxed);
        self.search_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// The public Prometheus text exposition: everything but the staff routes.
    pub(crate) fn render(&self, documents: usize, units: u64) -> String {
        let mut out = self.requests(false);
        out.push_str("# HELP weiquan_search_duration_seconds Time the engine took per search.\n");
        out.push_str("# TYPE weiquan_search_duration_seconds histogram\n");
        for (bucket, bound) in self.search_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "weiquan_search_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.search_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "weiquan_search_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.search_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "weiquan_search_duration_seconds_sum {sum}");
        let _ = writeln!(out, "weiquan_search_duration_seconds_count {count}");
        out.push_str("# HELP weiquan_documents Documents in the index.\n# TYPE weiquan_documents gauge\n");
        let _ = writeln!(out, "weiquan_documents {documents}");
        out.push_str("# HELP weiquan_units Search units (articles and whole documents) in the index.\n");
        out.push_str("# TYPE weiquan_units gauge\n");
        let _ = writeln!(out, "weiquan_units {units}");
        out
    }

    /// The caches' lookups and sizes: answered searches and document pages.
    pub(crate) fn caches(results: &super::cache::ResultCache, pages: &super::cache::PageCache) -> String {
        let mut out = String::new();
        out.push_str("# HELP weiquan_cache_lookups_total Lookups in the caches of answered searches and document pages, by outcome.\n");
        out.push_str("# TYPE weiquan_cache_lookups_total counter\n");
        let rows = [("results", results.counts(), results.bytes()), ("pages", pages.counts(), pages.bytes())];
        for (cache, (hits, misses), _) in rows {
            let _ = writeln!(out, "weiquan_cache_lookups_total{{cache=\"{cache}\",outcome=\"hit\"}} {hits}");
            let _ = writeln!(out, "weiquan_cache_lookups_total{{cache=\"{cache}\",outcome=\"miss\"}} {misses}");
        }
        out.push_str("# HELP weiquan_cache_bytes Bytes held by each cache.\n# TYPE weiquan_cache_bytes gauge\n");
        for (cache, _, bytes) in rows {
            let _ = writeln!(out, "weiquan_cache_bytes{{cache=\"{cache}\"}} {bytes}");
        }
        out
    }

    /// Requests by route and status, of the staff routes or of the others.
    fn requests(&self, staff: bool) -> String {
        let mut out = String::new();
        out.push_str("# HELP weiquan_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE weiquan_http_requests_total counter\n");
        for ((route, status), count) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if staff_route(route) != staff {
                continue;
            }
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "weiquan_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
        }
        out
    }
}

/// Whether `route` is one of the staff's: sign-in, the admin, the token API.
fn staff_route(route: &str) -> bool {
    route.starts_with("/admin") || route.starts_with("/api/admin")
}

/// `/admin/metrics`; `app` puts it behind the staff layers (`admin::layered`).
pub(super) fn admin_routes() -> Router<AppState> {
    Router::new().route("/admin/metrics", get(staff))
}

/// Requests to the staff routes, for admins.
async fn staff(State(state): State<AppState>, Admin(_): Admin) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics.requests(true)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let metrics = Metrics::default();
        metrics.record_request("/api/search", 200);
        metrics.record_request("/api/search", 200);
        metrics.record_request("/api/search", 400);
        metrics.record_search(Duration::from_micros(1500));
        metrics.record_request("/admin/login", 401);
        metrics.record_request("/api/admin/warnings", 200);
        let text = metrics.render(9, 22);
        assert!(text.contains("weiquan_http_requests_total{route=\"/api/search\",status=\"200\"} 2"), "{text}");
        assert!(!text.contains("admin"), "staff routes are not public: {text}");
        let staff = metrics.requests(true);
        assert!(staff.contains("weiquan_http_requests_total{route=\"/admin/login\",status=\"401\"} 1"), "{staff}");
        assert!(staff.contains("{route=\"/api/admin/warnings\",status=\"200\"} 1") && !staff.contains("/api/search"));
        assert!(text.contains("weiquan_http_requests_total{route=\"/api/search\",status=\"400\"} 1"));
        assert!(text.contains("weiquan_search_duration_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("weiquan_search_duration_seconds_bucket{le=\"0.002\"} 1"));
        assert!(text.contains("weiquan_search_duration_seconds_count 1"));
        assert!(text.contains("weiquan_documents 9"));
    }
}
