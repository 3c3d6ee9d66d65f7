//! The website's router called directly (`app(state).oneshot(request)`),
//! with no socket: for tests of what it answers, not of connections,
//! limits, streams or timeouts.

use std::fmt::Write;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use tower::ServiceExt;

/// The router over an index: the shared one, or one of the test's own.
pub(crate) struct App {
    router: axum::Router,
    _index: Option<tempfile::TempDir>,
}

/// A response, its body read whole.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as text (lossy: a compressed body is not text).
    pub text: String,
}

impl Answer {
    /// The body as JSON, or as a JSON string when it is not JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| serde_json::Value::String(self.text.clone()))
    }
}

impl App {
    /// The router over the shared index of `tests/fixtures/content`.
    pub(crate) async fn fixture() -> App {
        let (state, index) = super::fixture_state().await;
        App { router: weiquan::web::app(state), _index: index }
    }

    /// The router over an index of its own built from the content folder
    /// `root` (project or LawRefBook layout).
    pub(crate) async fn over(root: PathBuf) -> App {
        let (state, index) = super::state_over(root).await;
        App { router: weiquan::web::app(state), _index: index }
    }

    /// `GET uri` (a path and query, written as in a browser's address bar).
    pub(crate) async fn get(&self, uri: &str) -> Answer {
        self.get_with(uri, &[]).await
    }

    /// `GET uri` with these request headers.
    pub(crate) async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(encode(uri)).header(header::HOST, "localhost");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, text: String::from_utf8_lossy(&body).into_owned() }
    }
}

/// `uri` percent-encoded where an HTTP client would encode it (spaces,
/// quotes, brackets, anything not ASCII); `..` and `%xx` stay as written.
fn encode(uri: &str) -> String {
    let mut encoded = String::new();
    for byte in uri.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/?&=%:@!$'()*+,;".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            write!(encoded, "%{byte:02X}").unwrap();
        }
    }
    encoded
}
