//! The website in a real headless Chromium, driven through chromedriver.
//! In CI (`CI=true`) a missing browser fails; elsewhere the test prints a
//! notice and does nothing. Screenshots go to `target/screenshots/`.

use crate::common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{eventually, signed_in, spawn_server, spawn_staff_server, spawn_staff_server_with};
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

/// A visitor's whole journey at one screen size.
async fn journey(client: &Client, base: &str, size: &str, (width, height): (u32, u32)) {
    client.set_window_size(width, height).await.unwrap();
    client.goto(base).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "首页 - 消费维权知识库");
    save_screenshot(client, &format!("{size}-home")).await;
    // The pinned warning heads the page, on the first screen of a phone too.
    assert_eq!(text_of(client, ".urgent-banner a").await, "办理预付卡要当心");
    let banner =
        script(client, "return document.querySelector('.urgent-banner a').getBoundingClientRect().bottom").await;
    assert!(banner.as_f64().unwrap() < f64::from(height) / 2.0, "the urgent banner at the top: {banner}");

    // Suggestions appear while typing.
    let input = client.find(Locator::Css("#q")).await.unwrap();
    input.send_keys("预付").await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#suggestions li")).await.unwrap();
    assert_eq!(script(client, "return document.getElementById('suggestions').hidden").await, json!(false));

    // Type a query and see highlighted results.
    search_for(client, "预付卡 退款").await;
    let marks = client.find_all(Locator::Css(".hit .snippet mark")).await.unwrap();
    assert!(!marks.is_empty(), "highlighted matches");
    save_screenshot(client, &format!("{size}-results")).await;

    // One search box; the first screen shows the answer (the warning that
    // answers, and a case), the ranked list follows it; on a phone the
    // filters wait behind 筛选, on a wide screen they are open.
    assert_eq!(script(client, "return document.querySelectorAll('input[name=q]').length").await, json!(1));
    assert_eq!(text_of(client, "section.answer h3 a").await, "办理预付卡要当心");
    assert_eq!(text_of(client, "section.answer .answer-case a").await, "健身房停业后应退还预付卡余额");
    let places = script(
        client,
        "const a = document.querySelector('section.answer').getBoundingClientRect(); \
         return [a.top, a.bottom, document.querySelector('.hit').getBoundingClientRect().top]",
    )
    .await;
    let [answer_top, answer_bottom, first_hit_top] = [0, 1, 2].map(|i| places[i].as_f64().unwrap());
    assert!(answer_top < f64::from(height) - 100.0, "the answer on the first screen: {places}");
    assert!(answer_bottom <= first_hit_top, "the ranked list after the answer: {places}");
    // Where to complain is one tap away: a button that dials 12315.
    let call = script(
        client,
        "const b = document.querySelector('a.action-button.call'); \
         return [b.getAttribute('href'), b.getBoundingClientRect().height, b.checkVisibility()]",
    )
    .await;
    assert_eq!((call[0].as_str(), call[2].as_bool()), (Some("tel:12315"), Some(true)), "{call}");
    assert!(call[1].as_f64().unwrap() >= 44.0, "a tap target: {call}");
    let facets_shown = "return document.querySelector('aside.facets').checkVisibility()";
    if width < 860 {
        assert_eq!(script(client, facets_shown).await, json!(false), "filters hidden on a phone");
        client.find(Locator::Css(".facets-panel > summary")).await.unwrap().click().await.unwrap();
    }
    assert_eq!(script(client, facets_shown).await, json!(true), "filters shown at {size}");

    // Apply a facet: only cases remain.
    let facet = client
        .find(Locator::XPath("//aside[@class='facets']//a[starts-with(normalize-space(.), '案例')]"))
        .await
        .unwrap();
    facet.click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css(".facets a[aria-current=true]")).await.unwrap();
    let kinds = script(client, "return [...document.querySelectorAll('.hit .badge')].map(b => b.textContent)").await;
    assert_eq!(kinds, json!(["案例"]));
    save_screenshot(client, &format!("{size}-cases")).await;

    // Open the case.
    client.find(Locator::Css(".hit h2 a")).await.unwrap().click().await.unwrap();
    let heading = client.wait().at_most(WAIT).for_element(Locator::Css("article.document h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "健身房停业后应退还预付卡余额");
    assert!(client.source().await.unwrap().contains("（2021）示民初字第1号"));

    // A search that finds nothing is no dead end: the closest warning (yfk →
    // 预付卡) and the 拨打12315 button, both on the first screen.
    search_for(client, "yfk").await;
    assert_eq!(text_of(client, ".no-results .nearby a").await, "办理预付卡要当心");
    let call = script(
        client,
        "const b = document.querySelector('.no-results a.action-button.call'); \
         return [b.checkVisibility(), b.getBoundingClientRect().bottom <= window.innerHeight]",
    )
    .await;
    assert_eq!(call, json!([true, true]), "拨打12315 on the first screen at {size}");
    save_screenshot(client, &format!("{size}-no-results")).await;

    // A question a guide answers: the guide, then the article it relies on
    // with its text, in large print with large links.
    search_for(client, "七日内退货").await;
    assert_eq!(text_of(client, "section.answer h3 a").await, "网购退货指南");
    assert_eq!(text_of(client, ".answer-articles h4 a").await, "《示例消费者保护法》第二十五条");
    assert!(text_of(client, ".answer-articles .article-text").await.starts_with("经营者通过网络销售商品的"));
    let print = "const s = getComputedStyle(document.querySelector('.answer-articles .article-text')); \
        return [parseFloat(s.fontSize), document.querySelector('.answer-articles h4 a').getBoundingClientRect().height]";
    let print = script(client, print).await;
    assert!(print[0].as_f64().unwrap() >= 18.0, "answer text of 18 px or more: {print}");
    assert!(print[1].as_f64().unwrap() >= 44.0, "answer links 44 px high or more: {print}");
    save_screenshot(client, &format!("{size}-answer")).await;

    // Follow a hit into the law at its article.
    client.find(Locator::Css(".hit h2 a")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("article.document")).await.unwrap();
    let target =
        script(client, "return document.querySelector(':target') && document.querySelector(':target').id").await;
    assert_eq!(target, json!("第二十五条"));
    let visible = script(client, "const r = document.getElementById('第二十五条').getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight").await;
    assert_eq!(visible, json!(true), "the article is scrolled into view");
    save_screenshot(client, &format!("{size}-article")).await;

    // Switch to large text; it persists on the next page.
    let size_before = script(client, "return parseFloat(getComputedStyle(document.documentElement).fontSize)").await;
    client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("html.large-text")).await.unwrap();
    client.goto(&format!("{base}/warnings")).await.unwrap();
    let size_after = script(client, "return parseFloat(getComputedStyle(document.documentElement).fontSize)").await;
    assert!(size_after.as_f64().unwrap() > size_before.as_f64().unwrap() * 1.2, "{size_before} -> {size_after}");
    save_screenshot(client, &format!("{size}-large-text")).await;
    client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("html:not(.large-text)")).await.unwrap();

    // Nothing overflows the screen sideways.
    let overflow = script(client, "return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(overflow, json!(true), "no horizontal scrolling at {size}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_searches_filters_and_reads_on_phone_and_desktop() {
    let Some(browser) = browser().await else { return };
    let server = spawn_server().await;
    journey(&browser.client, &server.base, "390x844", (390, 844)).await;
    journey(&browser.client, &server.base, "1366x768", (1366, 768)).await;
    browser.client.clone().close().await.unwrap();
}

/// Signs in through the admin's form and waits for the content list.
async fn sign_in(client: &Client, base: &str, name: &str, password: &str) {
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    let field = client.wait().at_most(WAIT).for_element(Locator::Css("input[name=name]")).await.unwrap();
    field.send_keys(name).await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("table.admin-list")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_writes_a_warning_with_the_preview_and_publishes_it() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    client.set_window_size(1366, 900).await.unwrap();
    sign_in(client, &staff.base, "pub", "publisher-pass").await;

    client.goto(&format!("{}/admin/edit?kind=warning", staff.base)).await.unwrap();
    let field = |name: &'static str| {
        Locator::Css(match name {
            "slug" => "input[name=slug]",
            "title" => "input[name=title]",
            "summary" => "textarea[name=summary]",
            _ => "textarea[name=body]",
        })
    };
    for (name, text) in [
        ("slug", "browser-juicer"),
        ("title", "蓝莓牌榨汁机刀片松动警示"),
        ("summary", "部分蓝莓牌榨汁机刀片可能松动，请停止使用。"),
        ("body", "## 发生了什么\n\n蓝莓牌榨汁机刀片可能松动。依据《示例消费者保护法》第二十五条，可以要求退货。"),
    ] {
        client.wait().at_most(WAIT).for_element(field(name)).await.unwrap().send_keys(text).await.unwrap();
    }
    // The preview renders the body with the citation linked to the article.
    let link = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#preview a[href*='sample-consumer-law']"))
        .await
        .expect("the preview links the citation");
    assert!(link.text().await.unwrap().contains("第二十五条"));
    save_screenshot(client, "admin-editor").await;
    // Publishing asks first: dismissed, nothing is saved; accepted, it goes out.
    let publish = client.find(Locator::Css("button[value=publish]")).await.unwrap();
    publish.click().await.unwrap();
    assert_eq!(client.get_alert_text().await.unwrap(), "发布后公众立即可以看到，确定发布吗？");
    client.dismiss_alert().await.unwrap();
    assert!(!staff.content.join("warnings/browser-juicer.md").exists(), "a dismissed publish saves nothing");
    publish.click().await.unwrap();
    client.accept_alert().await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_url(&format!("{}/admin/edit?id=warnings/browser-juicer&done=publish", staff.base).parse().unwrap())
        .await
        .unwrap();
    let notice = text_of(client, "p.notice[role=status]").await;
    assert_eq!(notice, "已发布，公众现在可以看到 · 查看");

    // The public site has it at once.
    client.goto(&staff.base).await.unwrap();
    search_for(client, "蓝莓牌榨汁机").await;
    let hit = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("a[href^='/docs/warnings/browser-juicer?from=']"))
        .await
        .expect("the published warning is a search result");
    hit.click().await.unwrap();
    // The document's heading, not the results page's hidden one.
    assert_eq!(text_of(client, "article.document h1").await, "蓝莓牌榨汁机刀片松动警示");
    save_screenshot(client, "admin-published-warning").await;
    browser.client.clone().close().await.unwrap();
}

/// At a desktop, staff pick a warning's tags from the vocabulary's grouped
/// boxes (the filter box narrows them), and the saved file has them.
#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_picks_tags_from_the_vocabulary() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    std::fs::write(staff.content.join("tags.txt"), "# 领域\n网购 健身房\n# 问题\n预付卡 商家跑路\n").unwrap();
    client.set_window_size(1366, 900).await.unwrap();
    sign_in(client, &staff.base, "pub", "publisher-pass").await;
    client.goto(&format!("{}/admin/edit?kind=warning", staff.base)).await.unwrap();
    for (css, text) in [
        ("input[name=slug]", "browser-gym"),
        ("input[name=title]", "健身房闭店警示"),
        ("textarea[name=body]", "健身房突然闭店时，保留好会员合同和付款记录。"),
    ] {
        client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap().send_keys(text).await.unwrap();
    }
    // The filter box narrows the boxes to the tags holding what is typed.
    let filter = client.find(Locator::Css("#tags .tag-filter")).await.unwrap();
    filter.send_keys("预付").await.unwrap();
    let shown =
        "[...document.querySelectorAll('#tags label.check')].filter(l => l.offsetParent).map(l => l.textContent)";
    assert!(within_5s(client, &format!("return {shown}"), json!(["预付卡"])).await, "only 预付卡 is shown");
    client.find(Locator::Css("#tags input[value='预付卡']")).await.unwrap().click().await.unwrap();
    filter.clear().await.unwrap();
    filter.send_keys(" ").await.unwrap();
    client.find(Locator::Css("#tags input[value='健身房']")).await.unwrap().click().await.unwrap();
    save_screenshot(client, "admin-editor-tags").await;
    client.find(Locator::Css("button[value=draft]")).await.unwrap().click().await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_url(&format!("{}/admin/edit?id=warnings/browser-gym&done=edit", staff.base).parse().unwrap())
        .await
        .unwrap();
    let file = std::fs::read_to_string(staff.content.join("warnings/browser-gym.md")).unwrap();
    assert!(file.contains("tags = [\"健身房\", \"预付卡\"]"), "{file}");
    let ticked = "return [...document.querySelectorAll('#tags input:checked')].map(i => i.value)";
    assert_eq!(script(client, ticked).await, json!(["健身房", "预付卡"]), "the editor shows them ticked");
    browser.client.clone().close().await.unwrap();
}

/// The slides the kiosk's loop shows during 3.6 s: a fixed time on purpose,
/// as what is tested is what the loop goes through (and skips) meanwhile.
async fn slides_shown(client: &Client) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..12 {
        seen.insert(current_slide(client).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    seen
}

/// The id of the warning the kiosk's loop shows now.
async fn current_slide(client: &Client) -> String {
    let id =
        script(client, "var s = document.querySelector('#slides .slide:not([hidden])'); return s ? s.dataset.id : '';")
            .await;
    id.as_str().unwrap_or_default().to_string()
}

/// Whether `code` returns `expected` within 5 seconds.
pub(crate) async fn within_5s(client: &Client, code: &str, expected: serde_json::Value) -> bool {
    let found = eventually(Duration::from_secs(5), || async { (script(client, code).await == expected).then_some(()) });
    found.await.is_some()
}

/// Whether the kiosk's service worker has kept each of `paths` (their
/// latest answers), within 5 seconds.
async fn kept_offline(client: &Client, paths: &[&str]) -> bool {
    let code = "var done = arguments[arguments.length - 1];\
                caches.open('weiquan-kiosk-v1').then(function (cache) { return cache.keys(); })\
                .then(function (keys) { done(keys.map(function (k) { return new URL(k.url).pathname; })); });";
    let found = eventually(Duration::from_secs(5), || async {
        let kept = client.execute_async(code, vec![]).await.unwrap();
        let kept: Vec<String> = serde_json::from_value(kept).unwrap();
        paths.iter().all(|path| kept.iter().any(|k| k == path)).then_some(())
    });
    found.await.is_some()
}

/// Decodes the QR code in a PNG.
fn decode_qr(png: &[u8]) -> String {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(image.width() as usize, image.height() as usize, |x, y| {
            image.get_pixel(x as u32, y as u32).0[0]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

/// The secret `mall-1` reports its heartbeats with.
const KIOSK_SECRET: &str = "mall-1-secret-7f3a9c";

#[tokio::test(flavor = "multi_thread")]
async fn a_kiosk_loops_searches_by_pinyin_hands_over_by_qr_resets_and_updates_live() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let settings = weiquan::web::config::KioskConfig {
        name: "测试商场一楼".into(),
        rotation_seconds: 1,
        idle_seconds: 3,
        secret: Some(KIOSK_SECRET.to_string().try_into().unwrap()),
        ..Default::default()
    };
    let mut staff = spawn_staff_server_with([("mall-1".to_string(), settings)].into()).await;
    // An expired warning, written by other means, must never be shown.
    staff
        .write_document(
            "warnings/expired",
            "+++\ntitle = \"已经过期的警示\"\ndate = 2020-01-01\nexpires = 2020-12-31\n+++\n\n过期。\n",
        )
        .await;

    client.set_window_size(1080, 1920).await.unwrap();
    client.goto(&format!("{}/kiosk/mall-1#key={KIOSK_SECRET}", staff.base)).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#slides .slide")).await.unwrap();
    let hash = "return location.hash";
    assert!(within_5s(client, hash, json!("")).await, "the secret leaves the address bar");
    save_screenshot(client, "kiosk-portrait-loop").await;
    let seen = slides_shown(client).await;
    assert!(seen.contains("warnings/prepaid-card") && seen.contains("warnings/html-injection"), "{seen:?}");
    assert!(!seen.contains("warnings/expired"), "expired warnings are skipped: {seen:?}");

    // A tap opens search; y f k on the on-screen keyboard suggests 预付卡.
    client.find(Locator::Css("#start")).await.unwrap().click().await.unwrap();
    for key in ["y", "f", "k"] {
        client.find(Locator::Css(&format!("#keyboard [data-key='{key}']"))).await.unwrap().click().await.unwrap();
    }
    assert_eq!(client.find(Locator::Css("#typed")).await.unwrap().text().await.unwrap(), "yfk");
    // 适老化: every visible target at least 60x60 CSS px, body text at least 24 px.
    let smallest = script(
        client,
        "return Math.min.apply(null, Array.prototype.slice.call(document.querySelectorAll('button'))\
         .filter(function (b) { return b.offsetParent; }).map(function (b) { return Math.min(b.offsetWidth, b.offsetHeight); }))",
    )
    .await;
    assert!(smallest.as_f64().unwrap() >= 60.0, "smallest touch target {smallest}");
    let text = script(client, "return parseFloat(getComputedStyle(document.body).fontSize)").await;
    assert!(text.as_f64().unwrap() >= 24.0, "body text {text}px");
    let suggestion = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//ul[@id='suggestions']//button[contains(., '预付卡')]"))
        .await
        .unwrap();
    suggestion.click().await.unwrap();
    let result = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//ol[@id='results']//button[contains(., '办理预付卡要当心')]"))
        .await
        .unwrap();
    save_screenshot(client, "kiosk-portrait-search").await;
    result.click().await.unwrap();
    let qr = client.wait().at_most(WAIT).for_element(Locator::Css("#doc:not([hidden]) #doc-qr[src]")).await.unwrap();
    let loaded = "var qr = document.querySelector('#doc-qr'); return qr.complete && qr.naturalWidth > 0";
    assert!(within_5s(client, loaded, json!(true)).await, "the QR code loads");
    save_screenshot(client, "kiosk-portrait-document").await;
    assert_eq!(decode_qr(&qr.screenshot().await.unwrap()), format!("{}/docs/warnings/prepaid-card", staff.base));
    // The kiosk's search and the result opened from it reach the insights as that kiosk's.
    staff.insights.flush();
    let conn = rusqlite::Connection::open(staff.data.join(weiquan::publish::Store::FILE)).unwrap();
    let opened: (String, String, String) = conn
        .query_row(
            "SELECT s.channel, s.kiosk, o.doc FROM opens o JOIN searches s ON s.search_ref = o.search_ref",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(opened, ("kiosk".into(), "mall-1".into(), "warnings/prepaid-card".into()));

    // Left alone, it asks 还在使用吗 and then returns to the loop with nothing kept.
    client.wait().at_most(Duration::from_secs(8)).for_element(Locator::Css("#idle:not([hidden])")).await.unwrap();
    save_screenshot(client, "kiosk-portrait-idle").await;
    client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("#loop:not([hidden])")).await.unwrap();
    let leftovers = script(client, "return [document.querySelector('#typed').textContent, document.querySelector('#results').innerHTML, document.querySelector('#doc-body').innerHTML].join('')").await;
    assert_eq!(leftovers, json!(""), "the next shopper sees nothing of the last one");

    // A warning published through the API appears within 5 seconds; withdrawn, it goes.
    let token = weiquan::publish::Store::open(&staff.data)
        .unwrap()
        .create_token(
            "kiosk-test",
            &[weiquan::publish::Scope::WarningsWrite, weiquan::publish::Scope::WarningsPublish],
            "boss",
        )
        .unwrap()
        .1;
    let api = reqwest::Client::new();
    let publish = |action: &'static str, base: String| {
        api.post(format!("{}/api/admin/warnings", staff.base))
            .bearer_auth(&token)
            .json(&json!({
                "id": if base.is_empty() { serde_json::Value::Null } else { json!("warnings/kiosk-live") },
                "slug": "kiosk-live", "base": base, "action": action,
                "meta": { "title": "商场临时促销活动提醒", "severity": "alert", "urgent": true },
                "body": "促销活动请保留小票。"
            }))
            .send()
    };
    let reply: serde_json::Value = publish("publish", String::new()).await.unwrap().json().await.unwrap();
    let has_live = "return !!document.querySelector(\"#slides .slide[data-id='warnings/kiosk-live']\")";
    assert!(within_5s(client, has_live, json!(true)).await, "a published warning reaches the kiosk within 5 s");
    save_screenshot(client, "kiosk-portrait-urgent").await;
    publish("withdraw", reply["base"].as_str().unwrap().to_string()).await.unwrap();
    assert!(within_5s(client, has_live, json!(false)).await, "a withdrawn warning leaves the kiosk within 5 s");

    // The heartbeat shows in the admin; landscape screens work too.
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let kiosks = boss.get(format!("{}/admin/kiosks", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(kiosks.contains("mall-1") && kiosks.contains("在线"), "{kiosks}");
    client.set_window_size(1920, 1080).await.unwrap();
    client.goto(&format!("{}/kiosk/lobby", staff.base)).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#slides .slide")).await.unwrap();
    save_screenshot(client, "kiosk-landscape-loop").await;

    // Offline: once the service worker holds the page, stopping the server
    // leaves the loop running with the cached warnings and a notice.
    client.set_window_size(1080, 1920).await.unwrap();
    client.goto(&format!("{}/kiosk/mall-1", staff.base)).await.unwrap();
    let controlled = within_5s(client, "return !!navigator.serviceWorker.controller", json!(true)).await;
    assert!(controlled, "the service worker controls the kiosk page");
    client.refresh().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#slides .slide")).await.unwrap();
    let kept = kept_offline(client, &["/kiosk/mall-1", "/kiosk/mall-1/slides", "/static/kiosk.js"]).await;
    assert!(kept, "the service worker keeps the page, its slides and its script");
    staff.stop.take().unwrap().send(()).unwrap();
    let healthz = format!("{}/healthz", staff.base);
    let stopped = eventually(WAIT, || async { reqwest::get(&healthz).await.is_err().then_some(()) });
    assert!(stopped.await.is_some(), "the server stops");
    client.refresh().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#slides .slide")).await.unwrap();
    let seen = slides_shown(client).await;
    assert!(seen.len() >= 2, "the cached loop keeps rotating: {seen:?}");
    client.wait().at_most(WAIT).for_element(Locator::Css("#offline:not([hidden])")).await.unwrap();
    // Search is off while offline (it would find nothing), and 12315 is given instead.
    assert!(text_of(client, "#offline").await.contains("12315"));
    assert_eq!(script(client, "return document.getElementById('start').disabled").await, json!(true));
    save_screenshot(client, "kiosk-offline").await;
    browser.client.clone().close().await.unwrap();
}

/// Searches of the last five weeks: 预付卡 rising, 直播 退款 finding nothing,
/// from the website and two kiosks.
fn seed_insights(insights: &weiquan::insights::Insights, now: chrono::DateTime<chrono::Utc>) {
    use weiquan::insights::{Channel, Search};
    let add = |days_ago: i64, query: &str, results: u64, channel: Channel, times: usize| {
        for i in 0..times {
            insights.record_search(
                Search {
                    at: now - chrono::Duration::days(days_ago) - chrono::Duration::minutes(i as i64),
                    query: query.into(),
                    results,
                    region: matches!(channel, Channel::Kiosk(_)).then(|| "上海".to_string()),
                    channel: channel.clone(),
                    search_ref: weiquan::insights::new_search_ref(),
                    topics: query.split(' ').map(String::from).collect(),
                },
                None,
            );
        }
    };
    for days_ago in 0..35 {
        let busy = if days_ago < 7 { 9 } else { 2 };
        add(days_ago, "预付卡", 14, Channel::Web, busy);
        add(days_ago, "网购 七天无理由退货", 21, Channel::Web, 3);
        add(days_ago, "健身房 跑路", 6, Channel::Kiosk("mall-1".into()), (days_ago % 3) as usize);
        add(days_ago, "外卖 食品安全", 9, Channel::Kiosk("mall-2".into()), 1);
        if days_ago < 10 {
            add(days_ago, "直播 退款", 0, Channel::Api, 2);
        }
    }
    insights.flush();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_answers_feedback_and_staff_see_what_rose_and_what_failed() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    seed_insights(&staff.insights, staff.clock.utc());
    client.set_window_size(1366, 900).await.unwrap();

    // A visitor opens a warning and says it did not help, with a comment.
    client.goto(&format!("{}/docs/warnings/prepaid-card", staff.base)).await.unwrap();
    let comment = client.wait().at_most(WAIT).for_element(Locator::Css("#feedback textarea")).await.unwrap();
    comment.send_keys("退款要准备哪些材料没写清楚").await.unwrap();
    script(client, "document.getElementById('feedback').scrollIntoView()").await;
    save_screenshot(client, "document-feedback").await;
    client.find(Locator::Css("#feedback button[value=no]")).await.unwrap().click().await.unwrap();
    let thanks = client.wait().at_most(WAIT).for_element(Locator::Css("#feedback [role=status]")).await.unwrap();
    assert!(thanks.text().await.unwrap().contains("谢谢您的反馈"));
    staff.insights.flush();

    // Staff see it with the rising and failing queries.
    sign_in(client, &staff.base, "ed", "editor-pass1").await;
    client.find(Locator::LinkText("查询统计")).await.unwrap().click().await.unwrap();
    let rising = client.wait().at_most(WAIT).for_element(Locator::Css("#rising table")).await.unwrap();
    let first_rising = rising.find(Locator::Css("tbody tr td")).await.unwrap().text().await.unwrap();
    assert_eq!(first_rising, "预付卡");
    let failing = client.find(Locator::Css("#failing tbody")).await.unwrap().text().await.unwrap();
    assert!(failing.contains("健身房 跑路") && !failing.contains("直播 退款"), "people's only: {failing}");
    let feedback = client.find(Locator::Css("#feedback tbody")).await.unwrap().text().await.unwrap();
    assert!(feedback.contains("退款要准备哪些材料没写清楚"), "{feedback}");
    let bars = script(client, "return document.querySelectorAll('#volume svg rect').length").await;
    assert_eq!(bars.as_u64(), Some(28), "one bar a day for four weeks");
    save_screenshot(client, "admin-insights").await;
    // The API's searches are a choice apart.
    client.find(Locator::Css("select[name=source] option[value=api]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css(".insights-filter button[type=submit]")).await.unwrap().click().await.unwrap();
    // Read the table once the form has navigated, not from the page it left.
    let api = "return location.search.includes('source=api')";
    assert!(within_5s(client, api, json!(true)).await, "the filter was not applied");
    assert!(text_of(client, "#failing tbody").await.contains("直播 退款"));
    client.back().await.unwrap();
    assert!(within_5s(client, api, json!(false)).await, "back did not return to the people's searches");
    client.find(Locator::LinkText("本周简报（可打印）")).await.unwrap().click().await.unwrap();
    let summary = client.wait().at_most(WAIT).for_element(Locator::Css(".weekly-summary")).await.unwrap();
    assert!(summary.text().await.unwrap().contains("上升最快的话题：“预付卡”"));
    save_screenshot(client, "admin-insights-weekly").await;
}

/// A Chrome DevTools command sent through chromedriver.
#[derive(Debug)]
struct DevTools(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base: &reqwest::Url, session: Option<&str>) -> Result<reqwest::Url, UrlError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.0.to_string()))
    }
}

/// The `url` crate's parse error, reached through reqwest's `Url`.
type UrlError = <reqwest::Url as std::str::FromStr>::Err;

/// Renders pages for `media` ("print" or "screen"), as printing would.
async fn emulate_media(client: &Client, media: &str) {
    let command = json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}});
    client.issue_cmd(DevTools(command)).await.unwrap();
}

/// Copies the corpus texts the comparison test reads (民事诉讼法 in two
/// versions, the 人身损害赔偿 interpretation in three files, 网络消费纠纷
/// 规定（一） in two) into a folder in the LawRefBook layout: indexing
/// them takes a fraction of a second, the whole corpus about ten.
fn versioned_texts(corpus: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for (folder, name) in [
        ("诉讼与非诉讼程序法", "民事诉讼法("),
        ("司法解释", "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释"),
        ("司法解释", "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）"),
    ] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(corpus.join(folder)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with(name) {
                std::fs::copy(entry.path(), dir.path().join(folder).join(entry.file_name())).unwrap();
                copied += 1;
            }
        }
    }
    assert_eq!(copied, 7, "the snapshot holds these texts in 2 + 3 + 2 files");
    dir
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

/// Whether the two cells of the row `css` stand side by side (else stacked).
async fn side_by_side(client: &Client, row: &str) -> bool {
    let code = format!(
        "const row = document.querySelector(\"{row}\"); \
         const old = row.querySelector('.old').getBoundingClientRect(), now = row.querySelector('.new').getBoundingClientRect(); \
         if (old.right <= now.left && Math.abs(old.top - now.top) < 2) return true; \
         if (now.top >= old.bottom) return false; \
         return 'overlapping';"
    );
    script(client, &code).await.as_bool().expect("the cells neither stand side by side nor stacked")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_compares_versions_of_a_law_on_phone_desktop_and_paper() {
    let Some(corpus) = common::corpus() else { return };
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let texts = versioned_texts(&corpus);
    let server = common::spawn_server_on(texts.path().to_path_buf()).await;
    let base = &server.base;

    for (size, window, wide) in [("1280", (1280, 900), true), ("390", (390, 844), false)] {
        client.set_window_size(window.0, window.1).await.unwrap();
        // 民事诉讼法: from the law's page to the comparison of its two versions.
        client.goto(&format!("{base}/docs/诉讼与非诉讼程序法/民事诉讼法(2023-09-01)")).await.unwrap();
        let link = client.wait().at_most(WAIT).for_element(Locator::LinkText("版本对照：逐条比较任意两个版本")).await;
        link.unwrap().click().await.unwrap();
        assert_eq!(text_of(client, "article.compare h1").await, "《中华人民共和国民事诉讼法》版本对照");
        let counts = text_of(client, ".compare-counts").await;
        assert!(counts.contains("新增 15 条") && counts.contains("删除 0 条"), "{counts}");
        // An amended article, renumbered by the articles added before it,
        // stands beside its old number with the changed words marked.
        let row = "#to-第二百七十九条";
        assert_eq!(
            text_of(client, &format!("{row} .compare-head")).await,
            "修改 第二百七十三条 → 第二百七十九条 改动较大（相似度 51%）"
        );
        assert_eq!(text_of(client, &format!("{row} .old del")).await, "，由中华人民共和国人民法院管辖");
        assert!(text_of(client, &format!("{row} .new ins")).await.starts_with("下列民事案件，由人民法院专属管辖"));
        assert_eq!(side_by_side(client, row).await, wide, "two columns on wide screens, stacked on phones");
        script(client, &format!("document.querySelector('{row}').scrollIntoView()")).await;
        save_screenshot(client, &format!("{size}-compare-renumbered")).await;
        // Articles renumbered without a change are folded; opened, the old
        // 第一百九十四条 stands beside the new 第一百九十八条.
        let folded = client.find(Locator::Css("#to-第一百九十八条")).await.unwrap();
        assert!(!folded.is_displayed().await.unwrap(), "unchanged runs start folded");
        let summary =
            client.find(Locator::XPath("//section[@id='to-第一百九十八条']/ancestor::details/summary")).await.unwrap();
        // Clear of the sticky column names, where a reader would click it.
        client.execute("arguments[0].scrollIntoView({block: 'center'})", vec![json!(summary)]).await.unwrap();
        summary.click().await.unwrap();
        assert!(folded.is_displayed().await.unwrap());
        assert_eq!(
            text_of(client, "#to-第一百九十八条 .compare-head").await,
            "仅条号变动 第一百九十四条 → 第一百九十八条"
        );
        let overflow = script(client, "return document.documentElement.scrollWidth <= window.innerWidth").await;
        assert_eq!(overflow, json!(true), "no horizontal scrolling at {size}");

        // On paper: the two columns side by side even on a narrow page, without the form and the site's frame.
        emulate_media(client, "print").await;
        assert!(side_by_side(client, row).await, "printed in two columns at {size}");
        for hidden in [".compare-pick", "header.site", "form.search"] {
            let shown = client.find(Locator::Css(hidden)).await.unwrap().is_displayed().await.unwrap();
            assert!(!shown, "{hidden} is not printed");
        }
        save_screenshot(client, &format!("{size}-compare-print")).await;
        emulate_media(client, "").await;
    }

    // 人身损害赔偿: three files, of which two hold the same articles, so two
    // versions; each version in the list links its comparison.
    client.set_window_size(1280, 900).await.unwrap();
    client
        .goto(&format!("{base}/docs/司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-04)"))
        .await
        .unwrap();
    let versions = text_of(client, "nav.versions ul").await;
    assert_eq!(versions.lines().count(), 2, "{versions}");
    client.find(Locator::LinkText("与上一版本对照")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(client, "#to-第十二条 .old del").await, "或者农村居民人均纯收入");
    assert!(text_of(client, "#to-第二十四条 .compare-head").await.contains("改动较大"));
    save_screenshot(client, "1280-compare-injury").await;
    // The form (no script needed) swaps the versions.
    let choose = |field: &'static str, id: &'static str| async move {
        let select = client.find(Locator::Css(&format!("select[name={field}]"))).await.unwrap();
        select.select_by_value(id).await.unwrap();
    };
    choose("from", "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-04)").await;
    choose("to", "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2020-12-29)").await;
    client.find(Locator::Css(".compare-pick button")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#to-第十二条 .new ins")).await.unwrap();
    assert_eq!(text_of(client, "#to-第十二条 .new ins").await, "或者农村居民人均纯收入");
    assert!(client.current_url().await.unwrap().query().unwrap().starts_with("from="));

    // 网络消费纠纷规定（一）: its two files hold the same articles, one
    // version: no comparison is offered, and its address says why.
    let online = "司法解释/最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）(2022-03-01)";
    client.goto(&format!("{base}/docs/{online}")).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("article.document")).await.unwrap();
    assert!(client.find(Locator::Css("nav.versions")).await.is_err(), "one version: no version list");
    client.goto(&format!("{base}/docs/{online}/compare")).await.unwrap();
    assert_eq!(text_of(client, "main h1").await, "本库中只有这一个版本，没有可以对照的其他版本");
    browser.client.clone().close().await.unwrap();
}

/// Where the definition of the first glossary term of the page stands: its
/// text and whether it is inside the window, top to bottom.
async fn first_definition(client: &Client) -> serde_json::Value {
    let code = "const dd = document.querySelector('.glossary dt#term-1 + dd'); const r = dd.getBoundingClientRect(); \
                return { text: dd.firstChild.textContent, shown: r.top >= 0 && r.top < window.innerHeight, \
                         hash: location.hash, size: parseFloat(getComputedStyle(dd).fontSize), \
                         wide: document.documentElement.scrollWidth > window.innerWidth };";
    script(client, code).await
}

/// A reader on a phone taps a legal word (格式条款) in a guide and reads what
/// it means, in standard and in large print (大字模式), with no JavaScript
/// involved: the word links to the 术语解释 list at the end of the page.
#[tokio::test(flavor = "multi_thread")]
async fn a_reader_on_a_phone_taps_a_legal_word_and_reads_its_definition() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let server = common::spawn_server_on(content).await;
    client.set_window_size(390, 844).await.unwrap();
    for (size, large) in [("standard", false), ("large-text", true)] {
        client.goto(&format!("{}/docs/guides/unfair-standard-terms", server.base)).await.unwrap();
        if large {
            client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
            client.wait().at_most(WAIT).for_element(Locator::Css("html.large-text")).await.unwrap();
        }
        let term = client.wait().at_most(WAIT).for_element(Locator::Css(".body a.term")).await.unwrap();
        assert_eq!(term.text().await.unwrap(), "格式条款", "the first term of the guide is marked");
        let tip = term.attr("data-tip").await.unwrap().expect("the definition rides on the word");
        let before = first_definition(client).await;
        assert_eq!(before["shown"], json!(false), "the definition is at the end, out of sight ({size}): {before}");
        term.click().await.unwrap();
        let after = eventually(WAIT, || async {
            Some(first_definition(client).await).filter(|after| after["shown"] == json!(true))
        })
        .await
        .unwrap_or_else(|| panic!("the definition comes into sight after a tap ({size})"));
        assert_eq!(after["text"], json!(tip), "{after}");
        assert_eq!(after["hash"], json!("#term-1"), "{after}");
        assert_eq!(after["wide"], json!(false), "no horizontal scrolling ({size}): {after}");
        let minimum = if large { 20.0 } else { 15.0 };
        assert!(after["size"].as_f64().unwrap() >= minimum, "readable print ({size}): {after}");
        save_screenshot(client, &format!("390x844-glossary-{size}")).await;
    }
    client.goto(&format!("{}/prefs?large=0&back=/", server.base)).await.unwrap();
    browser.client.clone().close().await.unwrap();
}

/// On a kiosk, where links lead nowhere, a tap on a glossary term in an
/// opened document shows its definition under the word.
#[tokio::test(flavor = "multi_thread")]
async fn a_kiosk_shows_a_glossary_definition_when_its_word_is_tapped() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let server = spawn_server().await;
    client.set_window_size(1080, 1920).await.unwrap();
    client.goto(&format!("{}/kiosk/lobby", server.base)).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#start")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css(".tile[data-query='网购 退货']")).await.unwrap().click().await.unwrap();
    let result = Locator::XPath("//ol[@id='results']//button[contains(., '网购退货指南')]");
    client.wait().at_most(WAIT).for_element(result).await.unwrap().click().await.unwrap();
    let term =
        client.wait().at_most(WAIT).for_element(Locator::Css("#doc:not([hidden]) #doc-body a.term")).await.unwrap();
    let shown = "var a = document.querySelector('#doc-body a.term'); var after = getComputedStyle(a, '::after'); \
                 return document.activeElement === a && after.display === 'block' ? after.content : '';";
    assert_eq!(script(client, shown).await, json!(""), "nothing shows before a tap");
    term.click().await.unwrap();
    assert!(
        within_5s(client, shown, json!("\"向卖家或平台提出把商品退回、把钱退还的请求。\"")).await,
        "the definition shows under the word: {}",
        script(client, shown).await
    );
    assert_eq!(script(client, "return location.pathname").await, json!("/kiosk/lobby"), "the kiosk stays put");
    save_screenshot(client, "kiosk-portrait-glossary").await;
    browser.client.clone().close().await.unwrap();
}
