//! Helpers shared by the integration tests.

mod app;
mod postgres;
mod process;
mod wait;

pub(crate) use app::App;
pub(crate) use postgres::postgres_url;
pub(crate) use process::{save_warning, serve as serve_process};
pub(crate) use wait::eventually;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use weiquan::clock::{Clock, DEFAULT_ZONE};
use weiquan::db::database::Target;
use weiquan::search::{Engine, SearchHit, SearchRequest, SearchResults, build};
use weiquan::web::AppState;

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A real index on disk with an engine open on it.
pub(crate) struct Fixture {
    pub engine: Engine,
    /// The index's folder.
    pub path: PathBuf,
    /// Removes the folder of an index of the test's own when dropped.
    _dir: Option<tempfile::TempDir>,
}

/// The id of the fixture's sample consumer law, whose articles most search
/// tests expect.
pub(crate) const LAW: &str = "laws/sample-consumer-law";

/// The index of `tests/fixtures/content`, built once per test process and
/// shared by every test that only reads it (searches, servers, the router).
/// Tests that change an index build their own with [`index_of`].
pub(crate) fn shared_index() -> &'static Fixture {
    static SHARED: LazyLock<Fixture> = LazyLock::new(|| {
        let path = shared_index_dir();
        build_index(&path, fixture("content"));
        Fixture { engine: Engine::open(&path, Clock::default()).unwrap(), path, _dir: None }
    });
    &SHARED
}

/// A fresh engine over [`shared_index`], for a server or router of its own.
pub(crate) fn shared_engine() -> Engine {
    Engine::open(&shared_index().path, Clock::default()).unwrap()
}

/// `target/tmp/shared-index/{process id}`: statics are never dropped, so
/// the folder outlives the process; those of ended processes are removed
/// here (where `/proc` tells which have ended).
fn shared_index_dir() -> PathBuf {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-index");
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ended = Path::new("/proc/self").exists() && !Path::new("/proc").join(&name).exists();
        if name == me || ended {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let path = parent.join(me);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// A real index on disk of the test's own, built from the content folder
/// `root` (project or LawRefBook layout) without problems.
pub(crate) fn index_of(root: PathBuf) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    build_index(dir.path(), root);
    let path = dir.path().to_path_buf();
    Fixture { engine: Engine::open(&path, Clock::default()).unwrap(), path, _dir: Some(dir) }
}

fn build_index(path: &Path, root: PathBuf) {
    let report = build(path, &[root], &Clock::default(), &|_, _, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

impl Fixture {
    pub(crate) fn search(&self, request: &SearchRequest) -> SearchResults {
        self.engine.search(request).unwrap()
    }

    pub(crate) fn query(&self, query: &str) -> SearchResults {
        self.search(&SearchRequest::new(query))
    }

    /// `id#anchor` of each hit, in order.
    pub(crate) fn ids(&self, query: &str) -> Vec<String> {
        self.query(query).hits.iter().map(unit_id).collect()
    }
}

pub(crate) fn unit_id(hit: &SearchHit) -> String {
    match &hit.anchor {
        Some(anchor) => format!("{}#{anchor}", hit.id),
        None => hit.id.clone(),
    }
}

/// The corpus folder: `WEIQUAN_CORPUS`, or `../shared/corpus/lawrefbook`
/// beside the repository. `None` (with a printed notice) when it is missing
/// outside CI; in CI (`CI=true`) a missing corpus fails the test.
pub(crate) fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("WEIQUAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/lawrefbook"));
    if path.is_dir() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the LawRefBook corpus is missing at {}: CI needs it (set WEIQUAN_CORPUS)", path.display());
    }
    eprintln!("NOTICE: corpus test not run: no corpus at {} (set WEIQUAN_CORPUS)", path.display());
    None
}

/// A real server on loopback over the shared index of `tests/fixtures/content`.
pub(crate) struct Server {
    pub base: String,
    pub addr: std::net::SocketAddr,
    _index: Option<tempfile::TempDir>,
}

pub(crate) async fn spawn_server() -> Server {
    serve(fixture_state().await).await
}

/// A real server on loopback over a real index built from the content
/// folder `root` (project or LawRefBook layout).
pub(crate) async fn spawn_server_on(root: PathBuf) -> Server {
    serve(state_over(root).await).await
}

async fn serve((state, index): (AppState, Option<tempfile::TempDir>)) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, weiquan::web::app(state)).await.unwrap() });
    Server { base: format!("http://{addr}"), addr, _index: index }
}

/// A real server like [`spawn_server`], but served by the project's own
/// accept loop within `limits`, so the per-address limits see each
/// client's address; `configure` sets up its state.
pub(crate) async fn spawn_served(
    configure: impl FnOnce(AppState) -> AppState,
    limits: weiquan::web::ConnectionLimits,
) -> Server {
    let (state, index) = fixture_state().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(weiquan::web::serve_until(configure(state), listener, limits, std::future::pending()));
    Server { base: format!("http://{addr}"), addr, _index: index }
}

/// The website's state over the shared index of the fixture content.
async fn fixture_state() -> (AppState, Option<tempfile::TempDir>) {
    let engine = tokio::task::spawn_blocking(shared_engine).await.unwrap();
    (AppState::new(engine, &static_dir()), None)
}

/// The website's state over an index of its own built from `root`, and
/// that index's folder.
async fn state_over(root: PathBuf) -> (AppState, Option<tempfile::TempDir>) {
    let fixture = tokio::task::spawn_blocking(move || index_of(root)).await.unwrap();
    (AppState::new(fixture.engine, &static_dir()), fixture._dir)
}

fn static_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
}

/// A real server with the staff workflow over a temporary copy of the
/// fixture content, its own index and SQLite file. Users: `pub`
/// (publisher, `publisher-pass`), `ed` (editor, `editor-pass1`), `boss`
/// (admin, `admin-pass12`).
pub(crate) struct Staff {
    pub base: String,
    /// The server's clock, pinned (in Beijing time) at the moment the server
    /// started: tests move it with `set` and `advance` instead of sleeping.
    pub clock: Clock,
    pub content: PathBuf,
    pub data: PathBuf,
    /// The server's insights store (tests flush it before reading its tables).
    pub insights: std::sync::Arc<weiquan::insights::Insights>,
    /// Stops the server (it finishes the requests in flight).
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub _dirs: Vec<tempfile::TempDir>,
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub(crate) async fn spawn_staff_server() -> Staff {
    spawn_staff_server_with(std::collections::BTreeMap::new()).await
}

/// [`spawn_staff_server`] with kiosk settings.
pub(crate) async fn spawn_staff_server_with(
    kiosks: std::collections::BTreeMap<String, weiquan::web::config::KioskConfig>,
) -> Staff {
    spawn_staff_server_limited(kiosks, weiquan::insights::Limits::default()).await
}

/// [`spawn_staff_server_with`] recording insights within `limits`.
pub(crate) async fn spawn_staff_server_limited(
    kiosks: std::collections::BTreeMap<String, weiquan::web::config::KioskConfig>,
    limits: weiquan::insights::Limits,
) -> Staff {
    spawn_staff(&fixture("content"), Vec::new(), kiosks, limits).await
}

/// A staff server over a temporary copy of the content folder `content`
/// and, read in place, the official texts in `official` (LawRefBook folders).
pub(crate) async fn spawn_staff_server_over(content: &Path, official: Vec<PathBuf>) -> Staff {
    spawn_staff(content, official, std::collections::BTreeMap::new(), weiquan::insights::Limits::default()).await
}

/// [`spawn_staff_server_over`] with kiosk settings and no official texts.
pub(crate) async fn spawn_staff_server_over_with(
    content: &Path,
    kiosks: std::collections::BTreeMap<String, weiquan::web::config::KioskConfig>,
) -> Staff {
    spawn_staff(content, Vec::new(), kiosks, weiquan::insights::Limits::default()).await
}

async fn spawn_staff(
    fixture_content: &Path,
    official: Vec<PathBuf>,
    kiosks: std::collections::BTreeMap<String, weiquan::web::config::KioskConfig>,
    limits: weiquan::insights::Limits,
) -> Staff {
    let content_dir = tempfile::tempdir().unwrap();
    let index_dir = tempfile::tempdir().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    copy_tree(fixture_content, content_dir.path());
    let content = content_dir.path().to_path_buf();
    let clock = Clock::pinned(DEFAULT_ZONE, chrono::Utc::now());
    let (engine, store) = {
        let (content, index, data) = (content.clone(), index_dir.path().to_path_buf(), data_dir.path().to_path_buf());
        let clock = clock.clone();
        tokio::task::spawn_blocking(move || {
            let roots: Vec<PathBuf> = std::iter::once(content).chain(official).collect();
            build(&index, &roots, &clock, &|_, _, _| {}).unwrap();
            let store = weiquan::publish::Store::open(&data).unwrap();
            store.add_user(None, "pub", weiquan::publish::Role::Publisher, "publisher-pass").unwrap();
            store.add_user(None, "ed", weiquan::publish::Role::Editor, "editor-pass1").unwrap();
            store.add_user(None, "boss", weiquan::publish::Role::Admin, "admin-pass12").unwrap();
            (Engine::open(&index, clock).unwrap(), store)
        })
        .await
        .unwrap()
    };
    let engine = std::sync::Arc::new(engine);
    let publisher = weiquan::publish::Publisher::new(&content, store, engine.clone());
    let insights = std::sync::Arc::new(
        weiquan::insights::Insights::open(&Target::File(data_dir.path().join(weiquan::publish::Store::FILE)), 180)
            .unwrap()
            .with_limits(limits),
    );
    let state = weiquan::web::AppState::with_publisher(engine, &static_dir(), publisher, false)
        .with_kiosks(kiosks)
        .with_insights(insights.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        weiquan::web::serve_until(state, listener, weiquan::web::ConnectionLimits::default(), async move {
            let _ = stopped.await;
        })
        .await
        .unwrap()
    });
    // The server answers once it watches the folder and announces changes.
    assert_eq!(reqwest::get(format!("http://{addr}/healthz")).await.unwrap().status(), 200);
    let data = data_dir.path().to_path_buf();
    Staff {
        base: format!("http://{addr}"),
        clock,
        content,
        data,
        insights,
        stop: Some(stop),
        _dirs: vec![content_dir, index_dir, data_dir],
    }
}

impl Staff {
    /// Writes the document `id` (`{id}.md` in the content folder), as an
    /// editor or git would, and waits until the watcher has indexed it.
    pub(crate) async fn write_document(&self, id: &str, text: &str) {
        std::fs::write(self.content.join(format!("{id}.md")), text).unwrap();
        let url = format!("{}/api/docs/{id}", self.base);
        let indexed = eventually(Duration::from_secs(5), || async {
            (reqwest::get(&url).await.unwrap().status() == 200).then_some(())
        });
        assert!(indexed.await.is_some(), "{id} was not indexed");
    }
}

/// The page at `url` once it contains `text` (looked for during 5 s), or
/// the page as it is after that, for the caller's assertions to show.
pub(crate) async fn page_containing(client: &reqwest::Client, url: &str, text: &str) -> String {
    let get = || async { client.get(url).send().await.unwrap().text().await.unwrap() };
    let found = eventually(Duration::from_secs(5), || async { Some(get().await).filter(|page| page.contains(text)) });
    match found.await {
        Some(page) => page,
        None => get().await,
    }
}

/// The value of the form field `name` of a page (hidden CSRF tokens, ids).
pub(crate) fn form_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Sends a request line exactly as written (clients would normalise `..`).
pub(crate) async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// A client that keeps cookies, as a browser does.
pub(crate) fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

/// The CSRF token in a staff page's form.
pub(crate) fn csrf(html: &str) -> String {
    form_value(html, "csrf")
}

/// Fetches the sign-in form with `client` (which keeps the form's cookie)
/// and returns the form's token.
pub(crate) async fn sign_in_form(client: &reqwest::Client, base: &str) -> String {
    csrf(&client.get(format!("{base}/admin/login")).send().await.unwrap().text().await.unwrap())
}

/// Fetches the sign-in form and posts `name` and `password` with it.
pub(crate) async fn sign_in(client: &reqwest::Client, base: &str, name: &str, password: &str) -> reqwest::Response {
    let csrf = sign_in_form(client, base).await;
    let form = [("name", name), ("password", password), ("csrf", &csrf)];
    client.post(format!("{base}/admin/login")).form(&form).send().await.unwrap()
}

/// A client signed in to the admin as `name`.
pub(crate) async fn signed_in(base: &str, name: &str, password: &str) -> reqwest::Client {
    let client = cookie_client();
    assert_eq!(sign_in(&client, base, name, password).await.status(), 200, "{name} signs in");
    client
}

/// Creates an API token `name` with `scopes` (`write`, `publish`) on the
/// tokens page as the signed-in admin `admin`: the page showing it, and
/// its secret.
pub(crate) async fn create_token(admin: &reqwest::Client, base: &str, name: &str, scopes: &[&str]) -> (String, String) {
    let page = admin.get(format!("{base}/admin/tokens")).send().await.unwrap().text().await.unwrap();
    let token = csrf(&page);
    let form = [("csrf", token.as_str()), ("action", "create"), ("name", name)];
    let form = [&form[..], &scopes.iter().map(|&scope| (scope, "1")).collect::<Vec<_>>()].concat();
    let created = admin.post(format!("{base}/admin/tokens")).form(&form).send().await.unwrap();
    let created = created.text().await.unwrap();
    let start = created.find("id=\"new-token\">").expect("the new token is shown") + "id=\"new-token\">".len();
    let secret = created[start..].split('<').next().unwrap().to_string();
    (created, secret)
}
