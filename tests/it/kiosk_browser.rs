//! The kiosk at 1080x1920 in a real headless Chromium, over the shipped
//! knowledge base (`content/`): enough warnings of each severity, results
//! and long guides to measure the layout with.

use crate::browser::{WAIT, browser, save_screenshot, script, text_of};
use crate::common;

use fantoccini::{Client, Locator};
use serde_json::json;

/// A staff server over the shipped content with two kiosks: `hall`
/// (portrait) and `lobby` (landscape).
async fn shipped_kiosk() -> common::Staff {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let landscape = weiquan::web::config::KioskConfig { orientation: "landscape".into(), ..Default::default() };
    let kiosks = [("hall".to_string(), Default::default()), ("lobby".to_string(), landscape)];
    common::spawn_staff_server_over_with(&content, kiosks.into()).await
}

/// Opens kiosk `hall` at 1080x1920 and waits for its loop.
async fn open_kiosk(client: &Client, staff: &common::Staff) {
    client.set_window_size(1080, 1920).await.unwrap();
    client.goto(&format!("{}/kiosk/hall", staff.base)).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#slides .slide")).await.unwrap();
}

/// Whether each element of `selectors` is shown.
async fn shown(client: &Client, selectors: &[&str]) -> serde_json::Value {
    let list = serde_json::to_string(selectors).unwrap();
    let code = format!("return {list}.map(s => document.querySelector(s).checkVisibility())");
    script(client, &code).await
}

/// Where the element `css` selects is: its top and bottom, and the height of the window.
async fn place(client: &Client, css: &str) -> (f64, f64, f64) {
    let code = format!(
        "const r = document.querySelector('{css}').getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]"
    );
    let place = script(client, &code).await;
    let at = |i: usize| place[i].as_f64().unwrap();
    (at(0), at(1), at(2))
}

async fn tap(client: &Client, css: &str) {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kiosk_loop_is_signage_banded_by_severity_with_12315_and_no_navigation() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = shipped_kiosk().await;
    open_kiosk(client, &staff).await;

    // Nowhere to go back to during the loop: no 首页 or 返回.
    assert_eq!(shown(client, &["#home", "#back"]).await, json!([false, false]), "navigation hidden during the loop");

    // Each level has its own band colour and its own words.
    let bands = script(
        client,
        "return ['info', 'caution', 'alert'].map(level => { \
           const band = document.querySelector(`.slide[data-severity=${level}] .band`); \
           return [getComputedStyle(band).backgroundColor, band.querySelector('.level').textContent]; })",
    )
    .await;
    let bands: Vec<(String, String)> = serde_json::from_value(bands).unwrap();
    let labels: Vec<&str> = bands.iter().map(|(_, label)| label.as_str()).collect();
    assert_eq!(labels, ["消费提示", "消费警示", "消费预警"]);
    let colours: std::collections::BTreeSet<&str> = bands.iter().map(|(colour, _)| colour.as_str()).collect();
    assert_eq!(colours.len(), 3, "three distinct band colours: {bands:?}");

    // The slide fills the screen: band at the top, 12315 and the issuer at
    // the foot, and no large blank between them.
    let slide = "#slides .slide:not([hidden])";
    assert!(text_of(client, &format!("{slide} .strip")).await.contains("投诉举报请拨打 12315"));
    assert!(text_of(client, &format!("{slide} .strip .issuer")).await.starts_with("来源："));
    let (band_top, _, _) = place(client, &format!("{slide} .band")).await;
    let (_, strip_bottom, height) = place(client, &format!("{slide} .strip")).await;
    assert!(band_top < 150.0, "the band at the top: {band_top}");
    assert!(
        strip_bottom > height - 250.0 && strip_bottom <= height,
        "the strip at the foot: {strip_bottom} of {height}"
    );
    let gap = script(
        client,
        "const blocks = [...document.querySelectorAll('#slides .slide:not([hidden]) > *, #slides .slide:not([hidden]) .message > *, #start')] \
           .filter(e => !e.classList.contains('message')).map(e => e.getBoundingClientRect()).sort((a, b) => a.top - b.top); \
         return Math.max(...blocks.slice(1).map((b, i) => b.top - blocks[i].bottom))",
    )
    .await;
    assert!(gap.as_f64().unwrap() < height * 0.12, "no blank part of the screen: largest gap {gap} of {height}");

    // A large headline and a summary read in about five seconds.
    let sizes = script(
        client,
        "return [parseFloat(getComputedStyle(document.querySelector('.slide h2')).fontSize), \
                 Math.max(...[...document.querySelectorAll('.slide .summary')].map(s => s.textContent.length))]",
    )
    .await;
    assert!(sizes[0].as_f64().unwrap() >= 64.0, "headline of 64 px or more: {sizes}");
    assert!(sizes[1].as_u64().unwrap() <= 41, "summaries of 40 characters or fewer: {sizes}");

    // The most relevant come round more often: each round of at most 12
    // slides (2.4 minutes at 12 s) opens with the same pinned and 预警 ones.
    let order =
        script(client, "return document.querySelector('#slides .playlist').dataset.order.split(' ').map(Number)").await;
    let order: Vec<usize> = serde_json::from_value(order).unwrap();
    let count = script(client, "return document.querySelectorAll('#slides .slide').length").await.as_u64().unwrap();
    assert!(count > 12 && (0..count as usize).all(|i| order.contains(&i)), "every warning comes in time: {order:?}");
    assert!(order.chunks(12).all(|round| round[..8] == order[..8]), "{order:?}");
    save_screenshot(client, "kiosk-1080x1920-loop").await;

    // On a landscape screen the slide fits too: the QR code above the
    // strip, the strip above the touch button.
    client.set_window_size(1920, 1080).await.unwrap();
    client.goto(&format!("{}/kiosk/lobby", staff.base)).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("body.landscape #slides .slide")).await.unwrap();
    let (_, qr_bottom, _) = place(client, &format!("{slide} .qr")).await;
    let (strip_top, strip_bottom, _) = place(client, &format!("{slide} .strip")).await;
    let (start_top, _, _) = place(client, "#start").await;
    assert!(qr_bottom <= strip_top && strip_bottom <= start_top, "{qr_bottom} {strip_top} {strip_bottom} {start_top}");
    save_screenshot(client, "kiosk-1920x1080-loop").await;

    // A touch opens search, and the navigation is back. The touch lands on
    // the loop, not on one slide, which may turn over before the click.
    tap(client, "#slides").await;
    client.wait().at_most(WAIT).for_element(Locator::Css("#search:not([hidden])")).await.unwrap();
    assert_eq!(shown(client, &["#home", "#back"]).await, json!([true, true]), "navigation back after a touch");
    browser.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn kiosk_results_replace_the_keyboard_and_the_qr_code_stays_on_screen() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = shipped_kiosk().await;
    open_kiosk(client, &staff).await;
    tap(client, "#start").await;
    tap(client, ".tile[data-query='预付卡']").await;
    client.wait().at_most(WAIT).for_element(Locator::Css("#results li button")).await.unwrap();

    // The results take the keyboard's place: they start high, five or more fit.
    assert_eq!(shown(client, &["#keyboard", ".tiles", "#retype"]).await, json!([false, false, true]));
    let (first_top, _, height) = place(client, "#results li").await;
    assert!(first_top < 600.0, "the first result at {first_top}");
    let fitting = script(
        client,
        "return [...document.querySelectorAll('#results li')].filter(li => li.getBoundingClientRect().bottom <= window.innerHeight).length",
    )
    .await;
    assert!(fitting.as_u64().unwrap() >= 5, "{fitting} results on the screen of {height}");
    save_screenshot(client, "kiosk-1080x1920-search").await;

    // A long document (a guide) scrolls above a QR code that stays on screen.
    let guide = "//ol[@id='results']//button[contains(., '办了预付卡想退钱怎么办')]";
    client.find(Locator::XPath(guide)).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#doc:not([hidden]) #doc-qr[src]")).await.unwrap();
    let long = "const b = document.getElementById('doc-body'); return b.scrollHeight > 1.5 * b.clientHeight";
    assert_eq!(script(client, long).await, json!(true), "a document longer than the screen");
    let (top, bottom, height) = place(client, "#doc-qr").await;
    assert!(top >= 0.0 && bottom <= height, "the QR code on screen: {top}..{bottom} of {height}");
    script(client, "const b = document.getElementById('doc-body'); b.scrollTop = b.scrollHeight").await;
    assert_eq!(place(client, "#doc-qr").await, (top, bottom, height), "the QR code stays put at the article's end");
    assert!(text_of(client, "#doc .qr figcaption").await.contains("12315"));
    save_screenshot(client, "kiosk-1080x1920-document").await;

    // 返回: to the results, then to the keyboard.
    tap(client, "#back").await;
    assert_eq!(shown(client, &["#results", "#keyboard"]).await, json!([true, false]));
    tap(client, "#back").await;
    assert_eq!(shown(client, &["#results", "#keyboard"]).await, json!([false, true]));

    // Nothing found is no dead end: the guides on complaining, and 12315.
    for key in ["v", "v", "v", "go"] {
        tap(client, &format!("#keyboard [data-key='{key}']")).await;
    }
    let none = client.wait().at_most(WAIT).for_element(Locator::Css("#results li.none")).await.unwrap();
    assert!(none.text().await.unwrap().contains("12315"));
    let offered = "//ol[@id='results']/li[not(@class='none')]/button[contains(., '如何通过12315投诉')]";
    client.wait().at_most(WAIT).for_element(Locator::XPath(offered)).await.unwrap();
    save_screenshot(client, "kiosk-1080x1920-nothing-found").await;
    browser.client.clone().close().await.unwrap();
}
