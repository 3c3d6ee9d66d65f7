//! A search that finds nothing is no dead end: the closest guides and
//! warnings, or else the guides on complaining, and the 12315 route, in the
//! API (`nearby`) and on the results page, through the router.

use crate::common;

use common::App;
use serde_json::Value;

/// The API's answer to `query`: its total and the ids of what it offers nearby.
async fn nearby(app: &App, query: &str) -> (u64, Vec<String>, Value) {
    let answer = app.get(&format!("/api/search?q={query}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    let ids = body["nearby"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap().to_string()).collect();
    (body["total"].as_u64().unwrap(), ids, body)
}

#[tokio::test]
async fn nothing_found_offers_the_closest_guides_and_warnings() {
    let app = App::fixture().await;
    // Initials alone find no text: their first suggestion (预付卡) does.
    let (total, ids, body) = nearby(&app, "yfk").await;
    assert_eq!(total, 0, "{body}");
    assert_eq!(ids.first().map(String::as_str), Some("warnings/prepaid-card"), "{body}");
    assert_eq!(body["nearby"][0]["url"], "/docs/warnings/prepaid-card");
    assert_eq!(body["nearby"][0]["kind"], "warning");
    // A phrase that occurs nowhere: its words, loosened, find the warning.
    let (total, ids, body) = nearby(&app, "\"预付卡余额全部退还保证书\"").await;
    assert_eq!(total, 0, "{body}");
    assert!(ids.contains(&"warnings/prepaid-card".to_string()), "{body}");
    assert!(ids.iter().all(|id| id.starts_with("guides/") || id.starts_with("warnings/")), "{body}");
    // With results there is nothing nearby.
    let (total, ids, _) = nearby(&app, "预付卡").await;
    assert!(total > 0 && ids.is_empty(), "{ids:?}");
}

#[tokio::test]
async fn the_results_page_for_nothing_leads_to_guides_and_12315() {
    let app = App::fixture().await;
    let page = app.get("/search?q=yfk").await;
    assert_eq!(page.status, 200);
    let section = &page.text[page.text.find("no-results").expect("the no-results section")..];
    assert!(section.contains("看看这些维权指南和消费警示"), "{section}");
    assert!(section.contains("href=\"/docs/warnings/prepaid-card\""), "{section}");
    assert!(section.contains("href=\"tel:12315\""), "拨打12315 in the no-results section: {section}");
    assert!(section.contains("https://www.12315.cn"), "{section}");
}

#[tokio::test]
async fn nothing_close_offers_the_guides_on_complaining() {
    let app = App::over(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).await;
    let (total, ids, body) = nearby(&app, "vvvxq").await;
    assert_eq!(total, 0, "{body}");
    assert!(ids.contains(&"guides/complain-12315".to_string()), "{body}");
    assert_eq!(ids.len(), 3, "{body}");
    assert!(ids.iter().all(|id| id.starts_with("guides/")), "{body}");
}
