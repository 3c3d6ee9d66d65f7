//! The kiosk: its loop, the on-screen keyboard, the QR hand-over, reset
//! when left alone, live updates, offline, and glossary definitions.

use crate::common;

use std::time::Duration;

use common::{eventually, signed_in, spawn_server, spawn_staff_server_with};
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{WAIT, browser, save_screenshot, script, text_of, within_5s};

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

/// Decodes the QR code in a PNG screenshot (8-bit RGB or RGBA, as
/// browsers take them).
fn decode_qr(png: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "{:?}", frame.color_type);
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let at = (y * width + x) * channels;
        let [r, g, b] = [pixels[at], pixels[at + 1], pixels[at + 2]].map(u32::from);
        ((299 * r + 587 * g + 114 * b) / 1000) as u8
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
