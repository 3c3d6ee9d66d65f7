//! The staff workflow over HTTP: a real server on loopback, a real SQLite
//! file, a real index, and content files in a temporary copy of the fixtures.
//! The helpers the parts share are here; the tests are in the parts, one
//! concern each.

mod disk;
mod editor;
mod events;
mod pages;
mod publishing;
mod review;
mod tokens;

use crate::common;

use common::{Staff, form_value};
use weiquan::publish::Store;

async fn editor_page(staff: &Staff, client: &reqwest::Client, query: &str) -> String {
    let response = client.get(format!("{}/admin/edit?{query}", staff.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

async fn save(staff: &Staff, client: &reqwest::Client, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(String, String)> =
        ["csrf", "id", "base", "kind"].iter().map(|name| (name.to_string(), form_value(page, name))).collect();
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    client.post(format!("{}/admin/save", staff.base)).form(&form).send().await.unwrap()
}

async fn search_ids(base: &str, query: &str) -> Vec<String> {
    let url = format!("{base}/api/search?q={}", weiquan_encode(query));
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn weiquan_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

const WARNING: &[(&str, &str)] = &[
    ("slug", "test-oven"),
    ("title", "火龙果牌烤箱存在过热隐患"),
    ("summary", "部分火龙果牌烤箱使用中可能过热，请停止使用并联系商家。"),
    ("severity", "alert"),
    ("expires", "2099-12-31"),
    ("tags", "家用电器，产品召回"),
    ("regions", "全国"),
    ("body", "## 发生了什么\n\n火龙果牌烤箱可能过热。依据《消费者权益保护法》第十九条，经营者应当召回。"),
];

/// The status of a public page.
async fn public_status(staff: &Staff, path: &str) -> u16 {
    reqwest::get(format!("{}{path}", staff.base)).await.unwrap().status().as_u16()
}

/// `(actor, action, detail)` of each audit entry about `target`, oldest first.
fn audit_of(staff: &Staff, target: &str) -> Vec<(String, String, String)> {
    let mut entries: Vec<_> = Store::open(&staff.data)
        .unwrap()
        .audit_log(1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.target == target)
        .map(|e| (e.actor, e.action, e.detail))
        .collect();
    entries.reverse();
    entries
}

fn read(staff: &Staff, id: &str) -> String {
    std::fs::read_to_string(staff.content.join(format!("{id}.md"))).unwrap()
}
