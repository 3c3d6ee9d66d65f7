//! The website in a real headless Chromium, driven through chromedriver.
//! In CI (`CI=true`) a missing browser fails; elsewhere the test prints a
//! notice and does nothing. Screenshots go to `target/screenshots/`.
//! The harness is here (also used by `kiosk_browser`); the tests are in the
//! parts, by who uses the site.

mod compare;
mod kiosk;
mod public;
mod staff;

use crate::common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::eventually;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless Chromium session, and the chromedriver that runs it.
pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: Driver,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// A test that fails before closing its session would leave Chromium
    /// running, orphaned once chromedriver is stopped; its processes are
    /// the ones started with this browser's own profile folder.
    fn drop(&mut self) {
        let _ = Command::new("pkill").arg("-KILL").arg("-f").arg(self.profile.path()).status();
    }
}

pub(crate) async fn browser() -> Option<Browser> {
    let chromium = std::env::var("WEIQUAN_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    let chromedriver = std::env::var("WEIQUAN_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
    if !(std::path::Path::new(&chromium).exists() && std::path::Path::new(&chromedriver).exists()) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("Chromium or chromedriver is missing ({chromium}, {chromedriver}): CI needs both");
        }
        eprintln!("NOTICE: browser test not run: install chromium and chromium-driver");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--lang=zh-CN", format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let capabilities: fantoccini::wd::Capabilities = capabilities.as_object().unwrap().clone();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{port}");
    let session = eventually(WAIT, || async {
        ClientBuilder::new(connector.clone()).capabilities(capabilities.clone()).connect(&url).await.ok()
    });
    let client = session.await.unwrap_or_else(|| panic!("chromedriver did not accept a session on port {port}"));
    Some(Browser { client, _driver: driver, profile })
}

fn screenshot_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub(crate) async fn script(client: &Client, code: &str) -> serde_json::Value {
    client.execute(code, vec![]).await.unwrap()
}

async fn search_for(client: &Client, query: &str) {
    let input = client.wait().at_most(WAIT).for_element(Locator::Css("#q")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(query).await.unwrap();
    client.find(Locator::Css("form.search button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#results-summary, .no-results")).await.unwrap();
}

/// Whether `code` returns `expected` within 5 seconds.
pub(crate) async fn within_5s(client: &Client, code: &str, expected: serde_json::Value) -> bool {
    let found = eventually(Duration::from_secs(5), || async { (script(client, code).await == expected).then_some(()) });
    found.await.is_some()
}

/// The text of the element `css`. Found again when the page replaced it
/// between finding and reading (a kiosk slide turning over).
pub(crate) async fn text_of(client: &Client, css: &str) -> String {
    for _ in 0..5 {
        let element = client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap();
        match element.text().await {
            Ok(text) => return text,
            Err(fantoccini::error::CmdError::Standard(error))
                if error.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
            Err(error) => panic!("the text of {css}: {error}"),
        }
    }
    panic!("{css} was replaced five times while being read");
}
