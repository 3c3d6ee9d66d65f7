//! The staff workflow over HTTP: a real server on loopback, a real SQLite
//! file, a real index, and content files in a temporary copy of the fixtures.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{
    Staff, cookie_client, create_token, csrf, eventually, form_value, page_containing, sign_in, signed_in,
    spawn_staff_server,
};
use serde_json::json;
use weiquan::publish::files::fingerprint;
use weiquan::publish::{Scope, Store};

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

/// A published warning says when it was last checked (`checked`, which
/// `weiquan check` requires): the day of publication; a draft has none yet.
#[tokio::test]
async fn publishing_sets_the_day_the_document_was_checked() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let path = staff.content.join("warnings/test-oven.md");
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains("checked"), "a draft is not checked yet: {file}");

    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains(&format!("checked = \"{}\"", staff.clock.today())), "{file}");
    let loaded = weiquan::content::load(std::slice::from_ref(&staff.content), staff.clock.today(), &|_, _| {}).unwrap();
    assert!(!loaded.unchecked().iter().any(|p| p.path == path), "{:?}", loaded.unchecked());

    // The editor shows the day checked, and a later save keeps the day the
    // publisher types instead of resetting it.
    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    assert_eq!(form_value(&page, "checked"), staff.clock.today().to_string());
    let mut fields = WARNING.to_vec();
    fields.extend([("checked", "2026-01-05"), ("action", "publish")]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains("checked = \"2026-01-05\""), "{file}");
}

/// The editor shows a guide's typical questions and a save keeps what was
/// in the box: a save used to drop them from the file.
#[tokio::test]
async fn the_editor_keeps_and_edits_the_typical_questions() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "id=guides/return-goods").await;
    let shown = form_textarea(&page, "questions");
    assert_eq!(shown, "网购的鞋子尺码不合适，卖家不给换怎么办\n退东西的时候聊天记录要不要留着");
    let questions = format!("{shown}\n买的裙子洗了一次就褪色，还能退吗\n\n");
    let fields = [
        ("title", "网购退货指南"),
        ("summary", "网上买的东西不想要了，七日内可以申请退货。"),
        ("tags", "网购，退货"),
        ("questions", questions.as_str()),
        ("body", "第一步：确认商品可以退货。"),
        ("action", "publish"),
    ];
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(staff.content.join("guides/return-goods.md")).unwrap();
    for question in ["网购的鞋子尺码不合适", "退东西的时候聊天记录要不要留着", "买的裙子洗了一次就褪色，还能退吗"]
    {
        assert!(file.contains(question), "{question} kept: {file}");
    }
    assert!(!file.contains("\"\""), "blank lines are no questions: {file}");

    // A tag outside the shared vocabulary is refused with the reason, and
    // the file stays as it was (it used to be saved, and `weiquan check` failed).
    std::fs::write(staff.content.join("tags.txt"), "网购 退货 预付卡\n").unwrap();
    let page = editor_page(&staff, &browser, "id=guides/return-goods").await;
    let tagged = [("title", "网购退货指南"), ("tags", "网购，少儿游泳"), ("body", "第一步。"), ("action", "publish")];
    let refused = save(&staff, &browser, &page, &tagged).await;
    assert_eq!(refused.status(), 400);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("标签“少儿游泳”不在共享标签词表（tags.txt）中"), "{refused}");
    assert_eq!(std::fs::read_to_string(staff.content.join("guides/return-goods.md")).unwrap(), file);
}

/// The shared vocabulary, in groups, as the editor's tag picker offers it.
const TAGS: &str = "# Shared tags.\n\n# 领域 (what was bought)\n网购 健身房\n\n# 问题\n预付卡 商家跑路\n";

/// The editor offers the vocabulary's tags as ticked boxes in its groups
/// instead of a text box; a tag outside it is refused with the reason, and
/// the page that says so keeps what was typed, the unknown tag ticked apart.
#[tokio::test]
async fn the_editor_picks_tags_from_the_vocabulary_and_refuses_others_keeping_the_text() {
    let staff = spawn_staff_server().await;
    std::fs::write(staff.content.join("tags.txt"), TAGS).unwrap();
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let picker = &page[page.find("<fieldset class=\"tags\"").expect("a tag picker")..];
    let picker = &picker[..picker.find("</fieldset>").unwrap()];
    for group in ["<strong>领域</strong>", "<strong>问题</strong>"] {
        assert!(picker.contains(group), "{group} heads its tags: {picker}");
    }
    for tag in ["网购", "健身房", "预付卡", "商家跑路"] {
        assert!(picker.contains(&format!("type=\"checkbox\" name=\"tags\" value=\"{tag}\"")), "{tag}: {picker}");
    }
    assert!(!page.contains("<input name=\"tags\""), "no free-text tag box");

    let typed = [
        ("slug", "gym-closed"),
        ("title", "健身房闭店警示"),
        ("body", "健身房突然闭店，会员卡余额怎么办。"),
        ("tags", "预付卡"),
        ("tags", "少儿游泳"),
        ("action", "draft"),
    ];
    let refused = save(&staff, &browser, &page, &typed).await;
    assert_eq!(refused.status(), 400);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("标签“少儿游泳”不在共享标签词表（tags.txt）中"), "{refused}");
    assert!(refused.contains("健身房闭店警示") && refused.contains("健身房突然闭店，会员卡余额怎么办。"), "kept");
    let unknown = &refused[refused.find("tag-group unknown").expect("the unknown tag apart")..];
    assert!(unknown.contains("value=\"少儿游泳\" checked"), "{unknown}");
    assert!(refused.contains("value=\"预付卡\" checked"), "the known tag stays ticked");
    assert!(!staff.content.join("warnings/gym-closed.md").exists(), "nothing is saved");

    let known = [("tags", "预付卡"), ("tags", "商家跑路"), ("action", "draft")];
    let fields: Vec<_> =
        typed.iter().filter(|(name, _)| *name != "tags" && *name != "action").chain(&known).copied().collect();
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = read(&staff, "warnings/gym-closed");
    assert!(file.contains("tags = [\"预付卡\", \"商家跑路\"]"), "{file}");
}

/// The text of the form's textarea called `name`, unescaped.
fn form_textarea(page: &str, name: &str) -> String {
    let start = page.find(&format!("<textarea name=\"{name}\"")).unwrap_or_else(|| panic!("no {name} box"));
    let text = &page[start..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</textarea>").unwrap()];
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

#[tokio::test]
async fn a_publisher_publishes_a_warning_that_is_searchable_at_once_then_withdraws_it() {
    let staff = spawn_staff_server().await;
    let browser = cookie_client();
    // Not signed in: the admin sends to the sign-in page.
    let page = browser.get(format!("{}/admin", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"password\""), "{page}");
    assert_eq!(sign_in(&browser, &staff.base, "pub", "wrong-password").await.status(), 401);
    let listed = sign_in(&browser, &staff.base, "pub", "publisher-pass").await;
    assert_eq!(listed.status(), 200);
    assert!(listed.text().await.unwrap().contains("内容列表"));

    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    let started = std::time::Instant::now();
    let saved = save(&staff, &browser, &page, &fields).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/test-oven"]);
    eprintln!("publish to searchable: {:?}", started.elapsed());
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.starts_with("+++\n") && file.contains("title = \"火龙果牌烤箱存在过热隐患\""), "{file}");
    let warnings: serde_json::Value =
        reqwest::get(format!("{}/api/warnings", staff.base)).await.unwrap().json().await.unwrap();
    assert!(warnings.to_string().contains("warnings/test-oven"));
    // The public page shows it with its citation linked.
    let public = reqwest::get(format!("{}/docs/warnings/test-oven", staff.base)).await.unwrap().text().await.unwrap();
    assert!(public.contains("火龙果牌烤箱"));

    // A form without its CSRF token is refused and changes nothing.
    let refused = browser
        .post(format!("{}/admin/save", staff.base))
        .form(&[("id", "warnings/test-oven"), ("title", "被篡改"), ("action", "withdraw")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap(), file);

    // Withdrawn: gone from search and from the warnings in force.
    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "withdraw"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    assert!(search_ids(&staff.base, "火龙果牌烤箱").await.is_empty());
    let warnings: serde_json::Value =
        reqwest::get(format!("{}/api/warnings", staff.base)).await.unwrap().json().await.unwrap();
    assert!(!warnings.to_string().contains("warnings/test-oven"));
    // Its old address (a QR code scanned last week) says what happened, in
    // Chinese only, with the warnings in force on the same subject.
    let gone = reqwest::get(format!("{}/docs/warnings/test-oven", staff.base)).await.unwrap();
    assert_eq!(gone.status(), 410);
    let gone = gone.text().await.unwrap();
    let day = staff.clock.today().format("%Y年%-m月%-d日").to_string();
    assert!(gone.contains(&format!("“火龙果牌烤箱存在过热隐患”已于{day}撤回，不再有效。")), "{gone}");
    assert!(
        gone.contains("href=\"/warnings\"") && gone.contains("tel:12315") && !gone.contains("lang=\"en\""),
        "{gone}"
    );
    assert_eq!(reqwest::get(format!("{}/docs/warnings/never-was", staff.base)).await.unwrap().status(), 404);

    // The list shows it as withdrawn; the audit log has every step.
    let list = browser.get(format!("{}/admin?stage=withdrawn", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("warnings/test-oven"), "{list}");
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let csv = boss.get(format!("{}/admin/audit.csv", staff.base)).send().await.unwrap().text().await.unwrap();
    for action in [",failed_login,", ",login,", ",create,", ",withdraw,"] {
        assert!(csv.contains(action), "{action} missing from {csv}");
    }
    // Only admins see the audit log.
    assert_eq!(browser.get(format!("{}/admin/audit.csv", staff.base)).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn an_editor_saves_drafts_but_cannot_publish() {
    let staff = spawn_staff_server().await;
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = editor_page(&staff, &editor, "kind=warning").await;
    assert!(!page.contains("value=\"publish\""), "no publish button for editors");
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &editor, &page, &fields).await.status(), 403);
    assert!(!staff.content.join("warnings/test-oven.md").exists());
    let mut fields = WARNING.to_vec();
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &editor, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.contains("state = \"draft\""), "{file}");
    assert!(search_ids(&staff.base, "火龙果牌烤箱").await.is_empty(), "drafts are not public");
}

#[tokio::test]
async fn a_later_save_from_an_old_copy_is_refused_and_versions_can_be_restored() {
    let staff = spawn_staff_server().await;
    let (first, second) = (cookie_client(), cookie_client());
    sign_in(&first, &staff.base, "pub", "publisher-pass").await;
    sign_in(&second, &staff.base, "boss", "admin-pass12").await;
    let page = editor_page(&staff, &first, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    save(&staff, &first, &page, &fields).await;

    // Both open version 1; the first saves, the second's save is refused.
    let page_a = editor_page(&staff, &first, "id=warnings/test-oven").await;
    let page_b = editor_page(&staff, &second, "id=warnings/test-oven").await;
    let mut changed = WARNING.to_vec();
    changed[1] = ("title", "火龙果牌烤箱过热：已发布召回");
    changed.push(("action", "draft"));
    assert_eq!(save(&staff, &first, &page_a, &changed).await.status(), 200);
    let after_first = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    let mut other = WARNING.to_vec();
    other[1] = ("title", "另一人的修改");
    other.push(("action", "draft"));
    let conflict = save(&staff, &second, &page_b, &other).await;
    assert_eq!(conflict.status(), 409);
    assert!(conflict.text().await.unwrap().contains("已被他人修改"));
    assert_eq!(std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap(), after_first);

    // Version 1 comes back as version 3.
    let history = first
        .get(format!("{}/admin/history?id=warnings/test-oven&n=1", staff.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(history.contains("<del>") && history.contains("<ins>"), "a diff against the current text");
    let restored = first
        .post(format!("{}/admin/restore", staff.base))
        .form(&[
            ("csrf", csrf(&history)),
            ("id", "warnings/test-oven".into()),
            ("n", "1".into()),
            ("base", form_value(&history, "base")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.contains("title = \"火龙果牌烤箱存在过热隐患\""), "{file}");
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/test-oven"]);
}

#[tokio::test]
async fn scheduled_warnings_go_live_on_time_and_expired_ones_are_not_in_force() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let at = (staff.clock.utc() + chrono::Duration::minutes(30)).to_rfc3339();
    let mut fields = WARNING.to_vec();
    fields.extend([("action", "schedule"), ("publish_at", at.as_str())]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    assert!(search_ids(&staff.base, "火龙果牌烤箱").await.is_empty(), "not before its time");
    staff.clock.advance(chrono::Duration::minutes(29));
    assert!(search_ids(&staff.base, "火龙果牌烤箱").await.is_empty(), "not a minute early");
    staff.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/test-oven"]);

    // A warning past its last day is not in force: not among the warnings in
    // force, listed as expired in the admin.
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let yesterday = (staff.clock.today() - chrono::Duration::days(1)).to_string();
    let mut fields: Vec<(&str, &str)> =
        WARNING.iter().map(|&(k, v)| if k == "slug" { (k, "old-oven") } else { (k, v) }).collect();
    fields.retain(|(k, _)| *k != "expires");
    fields.extend([("expires", yesterday.as_str()), ("date", "2020-01-01"), ("action", "publish")]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let warnings: serde_json::Value =
        reqwest::get(format!("{}/api/warnings", staff.base)).await.unwrap().json().await.unwrap();
    assert!(!warnings.to_string().contains("warnings/old-oven"), "expired warnings are not in force");
    let list = browser.get(format!("{}/admin?stage=expired", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("warnings/old-oven"), "{list}");
}

#[tokio::test]
async fn staff_pages_and_their_error_pages_load_the_current_script_and_stylesheet() {
    let staff = spawn_staff_server().await;
    let boss = cookie_client();
    // Static files are cached for a year, so every staff page must name them
    // by content hash, as the public pages do, or a deploy would not reach staff.
    let login_page = boss.get(format!("{}/admin/login", staff.base)).send().await.unwrap().text().await.unwrap();
    let public = reqwest::get(format!("{}/", staff.base)).await.unwrap().text().await.unwrap();
    let script = |page: &str, name: &str| {
        let at = page.find(&format!("/static/{name}?v=")).unwrap_or_else(|| panic!("no hashed {name} in {page}"));
        page[at..].split('"').next().unwrap().to_string()
    };
    assert_eq!(script(&login_page, "style.css"), script(&public, "style.css"));
    assert!(login_page.contains(&script(&public, "style.css").replace("style.css", "admin.js")));
    sign_in(&boss, &staff.base, "boss", "admin-pass12").await;
    let missing =
        boss.get(format!("{}/admin/history?id=warnings/no-such-warning&n=99", staff.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");
    assert!(missing.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = missing.text().await.unwrap();
    assert!(page.contains("<h1>出错了</h1>") && page.contains("返回内容列表"), "{page}");
    assert!(page.contains(&script(&public, "style.css")), "the error page is laid out like every staff page");
}

#[tokio::test]
async fn api_tokens_act_within_their_scopes_until_revoked() {
    let staff = spawn_staff_server().await;
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let (created, secret) = create_token(&boss, &staff.base, "省局系统").await;
    let api = reqwest::Client::new();
    let send = |action: &str, secret: &str| {
        api.post(format!("{}/api/admin/warnings", staff.base))
            .bearer_auth(secret)
            .json(&serde_json::json!({
                "slug": "api-oven", "action": action,
                "meta": { "title": "接口发布的火龙果烤箱警示", "severity": "caution", "regions": ["全国"] },
                "body": "火龙果牌烤箱过热。"
            }))
            .send()
    };
    assert_eq!(send("publish", &secret).await.unwrap().status(), 403, "write scope cannot publish");
    let draft = send("draft", &secret).await.unwrap();
    assert_eq!(draft.status(), 200);
    assert!(staff.content.join("warnings/api-oven.md").exists());
    assert_eq!(send("draft", "wq_not-a-token").await.unwrap().status(), 401);
    // A body that is not JSON gets the API's bilingual error, not a plain-text rejection.
    let broken = api.post(format!("{}/api/admin/warnings", staff.base)).bearer_auth(&secret);
    let broken = broken.header("content-type", "application/json").body("{\"action\": ").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    let answer: serde_json::Value = broken.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "invalid_json", "{answer}");
    assert!(answer["error"]["message_en"].as_str().unwrap().starts_with("the body is not a valid warning"), "{answer}");
    let id = created.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    boss.post(format!("{}/admin/tokens", staff.base))
        .form(&[("csrf", csrf(&created).as_str()), ("action", "revoke"), ("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(send("draft", &secret).await.unwrap().status(), 401, "revoked");
}

#[tokio::test]
async fn an_event_stream_client_hears_of_a_published_warning() {
    let staff = spawn_staff_server().await;
    let mut stream = reqwest::get(format!("{}/api/events", staff.base)).await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    announcer_watching(&staff, &mut stream).await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    save(&staff, &browser, &page, &fields).await;
    let received = hear(&mut stream, "warnings/test-oven", Duration::from_secs(5)).await.expect("an event within 5 s");
    assert!(received.contains("event: warning") && received.contains("\"type\":\"published\""), "{received}");
}

/// What `stream` sends until it has sent `text` (`None` when it has not
/// within `within`).
async fn hear(stream: &mut reqwest::Response, text: &str, within: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    let mut received = String::new();
    while !received.contains(text) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.ok()?.unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
    Some(received)
}

/// Waits until the announcer has taken its first look at the warnings in
/// force: it tells of changes from then on. The look cannot be seen, so a
/// change is made until it is told of: the clock moves past the expiry of
/// `warnings/prepaid-card` and back, and the stream says it was published
/// again. Each announcement comes within a tick (a second).
async fn announcer_watching(staff: &Staff, stream: &mut reqwest::Response) {
    const TICK_AND_MARGIN: Duration = Duration::from_millis(1500);
    let now = staff.clock.utc();
    let expired = chrono::DateTime::parse_from_rfc3339("2031-01-01T00:00:00Z").unwrap().to_utc();
    let gone = "\"type\":\"expired\",\"id\":\"warnings/prepaid-card\"";
    let back = "\"type\":\"published\",\"id\":\"warnings/prepaid-card\"";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        staff.clock.set(expired);
        hear(stream, gone, TICK_AND_MARGIN).await;
        staff.clock.set(now);
        if hear(stream, back, TICK_AND_MARGIN).await.is_some() {
            return;
        }
    }
    panic!("the announcer told of no change within 15 s");
}

#[tokio::test]
async fn files_changed_on_disk_are_reindexed_and_a_broken_one_keeps_its_last_good_version() {
    let staff = spawn_staff_server().await;
    let path = staff.content.join("warnings/from-git.md");
    let finds = |query: &'static str, expected: &'static [&'static str]| {
        let base = &staff.base;
        eventually(
            Duration::from_secs(5),
            move || async move { (search_ids(base, query).await == expected).then_some(()) },
        )
    };
    std::fs::write(
        &path,
        "+++\ntitle = \"杨桃牌电热毯警示\"\nsummary = \"杨桃牌电热毯可能漏电。\"\n+++\n\n杨桃牌电热毯可能漏电。\n",
    )
    .unwrap();
    assert!(finds("杨桃牌电热毯", &["warnings/from-git"]).await.is_some(), "a new file is found");
    std::fs::write(&path, "+++\ntitle = \n+++\n坏文件\n").unwrap();
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    // The watcher has read the broken file once the list names it among the problems.
    let list = page_containing(&browser, &format!("{}/admin", staff.base), "<code>warnings/from-git.md:").await;
    assert_eq!(search_ids(&staff.base, "杨桃牌电热毯").await, ["warnings/from-git"], "the last good version stays");
    assert!(list.contains("有问题的文件") && list.contains("from-git.md"), "{list}");
    std::fs::remove_file(&path).unwrap();
    assert!(finds("杨桃牌电热毯", &[]).await.is_some(), "a removed file leaves the index");
}

/// A small tmpfs mounted over a folder, with the folder's files copied in;
/// unmounted when dropped. `None` outside CI when mounting is not allowed
/// (it needs root); in CI (`CI=true`) that fails the test.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(folder: &std::path::Path, kilobytes: u32) -> Option<SmallDisk> {
        let files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                (path.file_name().unwrap().to_owned(), std::fs::read(&path).unwrap())
            })
            .collect();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kilobytes}k"), "tmpfs"])
            .arg(folder)
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "cannot mount a tmpfs at {}: this test needs root (CI runs as root)",
                folder.display()
            );
            eprintln!("NOTICE: full-disk test not run: cannot mount a tmpfs (needs root)");
            return None;
        }
        for (name, bytes) in files {
            std::fs::write(folder.join(name), bytes).unwrap();
        }
        Some(SmallDisk(folder.to_path_buf()))
    }

    /// Writes a filler file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.0.join("filler.bin")).unwrap();
        let chunk = [0u8; 4096];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
    }

    fn remount(&self, options: &str) {
        let status = std::process::Command::new("mount").args(["-o", options]).arg(&self.0).status().unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_or_read_only_folder_refuses_the_save_and_keeps_the_file() {
    let staff = spawn_staff_server().await;
    let folder = staff.content.join("warnings");
    let Some(disk) = SmallDisk::mount(&folder, 256) else { return };
    let path = folder.join("prepaid-card.md");
    let before = std::fs::read_to_string(&path).unwrap();
    let browser = cookie_client();
    assert_eq!(sign_in(&browser, &staff.base, "pub", "publisher-pass").await.status(), 200);
    let mut fields: Vec<_> = WARNING.iter().filter(|(name, _)| *name != "slug").copied().collect();
    fields.push(("action", "publish"));
    let leftovers = || -> Vec<String> {
        std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".saving-"))
            .collect()
    };

    disk.fill();
    let page = editor_page(&staff, &browser, "id=warnings/prepaid-card").await;
    let refused = save(&staff, &browser, &page, &fields).await;
    assert_eq!(refused.status(), 507);
    let answer = refused.text().await.unwrap();
    assert!(answer.contains("保存失败，原文件未改动：服务器磁盘已满"), "{answer}");
    assert!(answer.contains("火龙果牌烤箱存在过热隐患"), "the editor keeps what was typed");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(leftovers(), Vec::<String>::new(), "no half-written file is left");
    assert!(!search_ids(&staff.base, "火龙果牌烤箱").await.contains(&"warnings/prepaid-card".to_string()));

    std::fs::remove_file(folder.join("filler.bin")).unwrap();
    disk.remount("remount,ro");
    let refused = save(&staff, &browser, &page, &fields).await;
    assert_eq!(refused.status(), 500);
    assert!(refused.text().await.unwrap().contains("内容文件夹不能写入"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    // With room to write again, the same form saves.
    disk.remount("remount,rw");
    let saved = save(&staff, &browser, &page, &fields).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    assert!(std::fs::read_to_string(&path).unwrap().contains("火龙果牌烤箱存在过热隐患"));
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/prepaid-card"]);
    assert_eq!(leftovers(), Vec::<String>::new());
}

/// An API token with `scopes`, made in the server's own staff database.
fn token(staff: &Staff, name: &str, scopes: &[Scope]) -> String {
    Store::open(&staff.data).unwrap().create_token(name, scopes, "boss").unwrap().1
}

/// Sends `body` to the token API; the status and the JSON answer.
async fn api(staff: &Staff, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/admin/warnings", staff.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The status of a public page.
async fn public_status(staff: &Staff, path: &str) -> u16 {
    reqwest::get(format!("{}{path}", staff.base)).await.unwrap().status().as_u16()
}

/// The ids of the warnings in force (what kiosks and the warnings page show).
async fn warnings_in_force(staff: &Staff) -> String {
    reqwest::get(format!("{}/api/warnings", staff.base)).await.unwrap().text().await.unwrap()
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

#[tokio::test]
async fn a_warnings_write_token_cannot_publish_withdraw_or_reach_guides() {
    let staff = spawn_staff_server().await;
    let writer = token(&staff, "importer", &[Scope::WarningsWrite]);

    // The request of the attack review, word for word: it saves a draft, public and urgent in nothing but name.
    let (status, answer) = api(
        &staff,
        &writer,
        json!({"action":"draft","id":"warnings/new-one","base":"","meta":{"title":"…","state":"published","urgent":true},"body":"x"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["state"].as_str(), answer["pending"].as_bool()), (Some("draft"), Some(false)));
    assert!(read(&staff, "warnings/new-one").contains("state = \"draft\""));
    assert_eq!(public_status(&staff, "/docs/warnings/new-one").await, 404);
    assert!(!warnings_in_force(&staff).await.contains("warnings/new-one"), "not on the warnings page or kiosks");
    assert_eq!(
        audit_of(&staff, "warnings/new-one"),
        [("token:importer".into(), "create".into(), "版本 1，草稿".into())]
    );

    // A wrong base is refused without telling the current fingerprint.
    let shipped = read(&staff, "warnings/prepaid-card");
    let current = fingerprint(&shipped);
    let withdraw_by_draft = |id: &str, base: &str| {
        json!({
            "action": "draft", "id": id, "base": base,
            "meta": { "title": "办理预付卡要当心", "state": "withdrawn" }, "body": "x"
        })
    };
    let (status, answer) = api(&staff, &writer, withdraw_by_draft("warnings/prepaid-card", "0123456789ab")).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("conflict")), "{answer}");
    assert!(!answer.to_string().contains(&current), "the 409 tells the fingerprint: {answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("已被他人修改"), "{answer}");
    assert!(answer["error"]["message_en"].as_str().unwrap().contains("changed by someone else"), "{answer}");

    // The fingerprint is no secret (anyone with the shipped file can compute it), yet with it the
    // token still cannot take the public warning offline, by state or by action.
    let (status, answer) = api(&staff, &writer, withdraw_by_draft("warnings/prepaid-card", &current)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("forbidden")), "{answer}");
    assert!(answer["error"]["message_en"].as_str().unwrap().contains("warnings:publish"), "{answer}");
    let mut withdraw = withdraw_by_draft("warnings/prepaid-card", &current);
    withdraw["action"] = json!("withdraw");
    assert_eq!(api(&staff, &writer, withdraw).await.0, 403);
    assert_eq!(read(&staff, "warnings/prepaid-card"), shipped);
    assert_eq!(public_status(&staff, "/docs/warnings/prepaid-card").await, 200);
    assert!(warnings_in_force(&staff).await.contains("warnings/prepaid-card"));

    // A warnings token never reaches guides/, whatever its scopes.
    let guide = read(&staff, "guides/great-hall");
    let publisher = token(&staff, "provincial", &[Scope::WarningsWrite, Scope::WarningsPublish]);
    for secret in [&writer, &publisher] {
        let (status, answer) = api(&staff, secret, withdraw_by_draft("guides/great-hall", &fingerprint(&guide))).await;
        assert_eq!(status, 403, "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("warnings/"), "{answer}");
        let (status, _) = api(&staff, secret, withdraw_by_draft("guides/new-guide", "")).await;
        assert_eq!(status, 403);
    }
    assert_eq!(read(&staff, "guides/great-hall"), guide);
    assert!(!staff.content.join("guides/new-guide.md").exists());
    assert_eq!(public_status(&staff, "/docs/guides/great-hall").await, 200);

    // Even a publishing token's draft save keeps the file's state: the audit says it was an edit.
    let (status, answer) = api(&staff, &publisher, withdraw_by_draft("warnings/prepaid-card", &current)).await;
    assert_eq!((status, answer["state"].as_str()), (200, Some("published")), "{answer}");
    assert!(!read(&staff, "warnings/prepaid-card").contains("state"), "a missing state means published");
    assert_eq!(public_status(&staff, "/docs/warnings/prepaid-card").await, 200);
    assert_eq!(
        audit_of(&staff, "warnings/prepaid-card"),
        [("token:provincial".into(), "edit".into(), "版本 1，已发布".into())]
    );
    assert!(audit_of(&staff, "guides/great-hall").is_empty());
}

#[tokio::test]
async fn an_editor_saving_a_published_warning_leaves_it_online_until_a_publisher_approves() {
    let staff = spawn_staff_server().await;
    let id = "warnings/prepaid-card";
    let shipped = read(&staff, id);
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = editor_page(&staff, &editor, &format!("id={id}")).await;
    assert!(page.contains("经发布员批准后才会上线"), "the editor is told before saving");
    let revised = [
        ("title", "办理预付卡要当心：新增退款途径"),
        ("severity", "caution"),
        ("expires", "2030-03-15"),
        ("regions", "全国"),
        ("body", "杨梅牌健身房跑路后，可以向发卡地的市场监管部门申请先行赔付。"),
        ("action", "draft"),
    ];
    let saved = save(&staff, &editor, &page, &revised).await;
    assert_eq!(saved.status(), 200);
    let page = saved.text().await.unwrap();
    assert!(page.contains("待批准的修改") && page.contains("杨梅牌健身房"), "the editor sees the proposal");
    assert!(!page.contains("value=\"approve\""), "editors cannot approve");

    // The live text stays up, the file keeps its (absent) state, the revision waits in SQLite.
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    assert_eq!(read(&staff, id), shipped);
    assert!(search_ids(&staff.base, "\"杨梅牌健身房\"").await.is_empty());
    let pending = Store::open(&staff.data).unwrap().pending(id).unwrap().expect("a pending revision");
    assert_eq!(pending.author, "ed");
    assert!(pending.content.contains("杨梅牌健身房") && !pending.content.contains("state"));
    let refused = editor
        .post(format!("{}/admin/review", staff.base))
        .form(&[
            ("csrf", csrf(&page)),
            ("id", id.into()),
            ("base", form_value(&page, "base")),
            ("action", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(read(&staff, id), shipped);

    // The publisher sees it in the list and against the live text, and approves it: it goes live.
    let publisher = cookie_client();
    let list = sign_in(&publisher, &staff.base, "pub", "publisher-pass").await.text().await.unwrap();
    assert!(list.contains("有待批准的修改"), "{list}");
    let only = publisher.get(format!("{}/admin?pending=1", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(only.contains(id) && !only.contains("guides/great-hall"), "{only}");
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert!(page.contains("批准发布") && page.contains("<ins>") && page.contains("<del>"), "{page}");
    let approve = |action: &'static str, page: String| {
        let publisher = publisher.clone();
        let url = format!("{}/admin/review", staff.base);
        async move {
            publisher
                .post(url)
                .form(&[
                    ("csrf", csrf(&page)),
                    ("id", id.into()),
                    ("base", form_value(&page, "base")),
                    ("action", action.into()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(approve("approve", page).await.status(), 200);
    let live = read(&staff, id);
    assert!(live.contains("杨梅牌健身房") && !live.contains("state"), "{live}");
    assert_eq!(search_ids(&staff.base, "\"杨梅牌健身房\"").await, [id]);
    let public = reqwest::get(format!("{}/docs/{id}", staff.base)).await.unwrap().text().await.unwrap();
    assert!(public.contains("新增退款途径"));
    assert_eq!(Store::open(&staff.data).unwrap().pending(id).unwrap(), None);

    // A second proposal is discarded: the file stays as it is.
    let page = editor_page(&staff, &editor, &format!("id={id}")).await;
    let mut again = revised.to_vec();
    again[4] = ("body", "这一版不会上线。");
    assert_eq!(save(&staff, &editor, &page, &again).await.status(), 200);
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert_eq!(approve("discard", page).await.status(), 200);
    assert_eq!(read(&staff, id), live);
    assert_eq!(Store::open(&staff.data).unwrap().pending(id).unwrap(), None);

    // A publisher's 保存 of a published warning keeps it published.
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert_eq!(save(&staff, &publisher, &page, &revised).await.status(), 200);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    assert!(!read(&staff, id).contains("state"));

    let actions: Vec<_> =
        audit_of(&staff, id).into_iter().map(|(actor, action, _)| format!("{actor} {action}")).collect();
    assert_eq!(actions, ["ed propose", "pub approve", "ed propose", "pub discard", "pub edit"]);
    let approved = &audit_of(&staff, id)[1].2;
    assert!(approved.contains("已发布") && approved.contains("批准了 ed 提交的修改"), "{approved}");
}

#[tokio::test]
async fn history_brings_back_the_shipped_text_and_a_restore_never_unpublishes() {
    let staff = spawn_staff_server().await;
    let id = "warnings/prepaid-card";
    let shipped = read(&staff, id);
    let publisher = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "slug");
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_ne!(read(&staff, id), shipped);

    // The shipped text was kept as version 0 before the first save; restoring it brings back the file byte for byte.
    let restore = |client: &reqwest::Client, id: &'static str, n: &'static str| {
        let client = client.clone();
        let base = staff.base.clone();
        async move {
            let history =
                client.get(format!("{base}/admin/history?id={id}&n={n}")).send().await.unwrap().text().await.unwrap();
            client
                .post(format!("{base}/admin/restore"))
                .form(&[
                    ("csrf", csrf(&history)),
                    ("id", id.into()),
                    ("n", n.into()),
                    ("base", form_value(&history, "base")),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(restore(&publisher, id, "0").await.status(), 200);
    assert_eq!(read(&staff, id), shipped);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    let versions = Store::open(&staff.data).unwrap().versions(id).unwrap();
    let summary: Vec<_> = versions.iter().map(|v| (v.number, v.action.as_str())).collect();
    assert_eq!(summary, [(2, "restore"), (1, "edit"), (0, "disk")]);

    // A draft, then published: restoring the draft version keeps it published.
    let page = editor_page(&staff, &publisher, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    let page = editor_page(&staff, &publisher, "id=warnings/test-oven").await;
    fields.pop();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_eq!(restore(&publisher, "warnings/test-oven", "1").await.status(), 200);
    assert!(!read(&staff, "warnings/test-oven").contains("state"), "the restored draft stays published");
    assert_eq!(public_status(&staff, "/docs/warnings/test-oven").await, 200);

    // An editor's restore of it becomes a revision waiting for a publisher.
    let before = read(&staff, "warnings/test-oven");
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    assert_eq!(restore(&editor, "warnings/test-oven", "1").await.status(), 200);
    assert_eq!(read(&staff, "warnings/test-oven"), before);
    assert_eq!(public_status(&staff, "/docs/warnings/test-oven").await, 200);
    let pending = Store::open(&staff.data).unwrap().pending("warnings/test-oven").unwrap().unwrap();
    assert!(!pending.content.contains("state"), "{}", pending.content);

    // Withdrawn, then an old version restored: it stays withdrawn (a restore
    // used to republish a withdrawn warning at once).
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "slug");
    fields.push(("action", "withdraw"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 410);
    assert_eq!(restore(&publisher, id, "1").await.status(), 200);
    assert!(read(&staff, id).contains("state = \"withdrawn\""), "{}", read(&staff, id));
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 410, "still withdrawn after the restore");
}

/// The editor's dates are date pickers (生效日期, 有效期至), the scheduled
/// time a datetime-local input whose value the server reads, and 投放终端
/// ticks the configured kiosks, saved as their ids.
#[tokio::test]
async fn the_editor_offers_date_inputs_and_the_configured_kiosks() {
    use weiquan::web::config::KioskConfig;
    let lobby = KioskConfig { name: "一楼大厅".into(), ..KioskConfig::default() };
    let kiosks = [("lobby".to_string(), lobby), ("mall-2".to_string(), KioskConfig::default())];
    let staff = common::spawn_staff_server_with(kiosks.into()).await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    for input in [
        "生效日期<input type=\"date\" name=\"date\"",
        "有效期至<input type=\"date\" name=\"expires\"",
        "<input type=\"datetime-local\" name=\"publish_at\"",
        "<input type=\"checkbox\" name=\"kiosks\" value=\"lobby\">一楼大厅",
        "<input type=\"checkbox\" name=\"kiosks\" value=\"mall-2\">mall-2",
    ] {
        assert!(page.contains(input), "{input} missing from {page}");
    }
    assert!(!page.contains("name=\"kiosks\" value=\"\""), "no text box for kiosk ids");

    // What the browser's pickers send is what the file keeps.
    let at = (staff.clock.now() + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let date = staff.clock.today().to_string();
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "expires");
    fields.extend([
        ("date", date.as_str()),
        ("expires", "2099-12-31"),
        ("kiosks", "lobby"),
        ("kiosks", "mall-2"),
        ("action", "schedule"),
        ("publish_at", at.as_str()),
    ]);
    let saved = save(&staff, &browser, &page, &fields).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.contains("kiosks = [\"lobby\", \"mall-2\"]"), "{file}");
    assert!(file.contains(&format!("date = \"{date}\"")) && file.contains("expires = \"2099-12-31\""), "{file}");
    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    assert!(page.contains(&format!("name=\"publish_at\" value=\"{at}\"")), "the time comes back as sent: {page}");
    assert!(page.contains("value=\"lobby\" checked"), "{page}");
    assert!(page.contains(&format!("name=\"date\" value=\"{date}\"")), "{page}");

    // Without kiosks the editor says so instead of asking for ids.
    let bare = spawn_staff_server().await;
    let browser = signed_in(&bare.base, "pub", "publisher-pass").await;
    let page = editor_page(&bare, &browser, "kind=warning").await;
    assert!(page.contains("尚未配置终端") && !page.contains("name=\"kiosks\""), "{page}");
}

/// The issuer typed for a warning (发布单位) is credited on its page, on the
/// kiosk slides and as the author of its feed entry.
#[tokio::test]
async fn a_warnings_issuer_shows_on_its_page_the_kiosk_and_the_feed() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.extend([("issuer", "某市市场监督管理局"), ("action", "publish")]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);

    let public = reqwest::get(format!("{}/docs/warnings/test-oven", staff.base)).await.unwrap().text().await.unwrap();
    assert!(public.contains("<dt>发布单位</dt><dd>某市市场监督管理局</dd>"), "{public}");
    assert!(public.contains("发布单位：某市市场监督管理局") && !public.contains("消费维权知识库编写"), "{public}");
    let slides = reqwest::get(format!("{}/kiosk/lobby/slides", staff.base)).await.unwrap().text().await.unwrap();
    assert!(slides.contains("发布单位：某市市场监督管理局"), "{slides}");
    let feed = reqwest::get(format!("{}/feed.xml", staff.base)).await.unwrap().text().await.unwrap();
    let entry = &feed[feed.find("火龙果牌烤箱存在过热隐患").expect("in the feed")..];
    let entry = &entry[..entry.find("</entry>").unwrap()];
    assert!(entry.contains("<author><name>某市市场监督管理局</name></author>"), "{entry}");
}

/// The audit page and a document's history read as staff speak: local
/// times, actions in Chinese, documents by title; a new warning published
/// at once is logged as created and published. The CSV keeps the codes.
#[tokio::test]
async fn the_audit_log_shows_local_times_chinese_actions_and_titles() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);

    let log = Store::open(&staff.data).unwrap().audit_log(100).unwrap();
    let actions: Vec<&str> =
        log.iter().rev().filter(|e| e.target == "warnings/test-oven").map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "publish"], "{log:?}");
    let utc = log[0].at.clone();

    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let audit = boss.get(format!("{}/admin/audit", staff.base)).send().await.unwrap().text().await.unwrap();
    let local = staff.clock.now().format("%Y-%m-%d %H:%M").to_string();
    assert!(audit.contains(&format!(">{local}</time>")) && !audit.contains(&format!(">{utc}<")), "{audit}");
    for label in ["<td data-action=\"create\">新建</td>", "<td data-action=\"publish\">发布</td>", ">登录<"] {
        assert!(audit.contains(label), "{label} missing from {audit}");
    }
    assert!(audit.contains(">火龙果牌烤箱存在过热隐患</a> <small><code>warnings/test-oven</code>"), "{audit}");
    let csv = boss.get(format!("{}/admin/audit.csv", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains(",publish,warnings/test-oven,") && csv.contains(&utc), "raw codes and UTC: {csv}");

    let history =
        browser.get(format!("{}/admin/history?id=warnings/test-oven", staff.base)).send().await.unwrap().text().await;
    let history = history.unwrap();
    assert!(history.contains("火龙果牌烤箱存在过热隐患") && history.contains(&format!(">{local}</time>")), "{history}");
    assert!(history.contains("<td data-action=\"create\">新建</td>"), "{history}");
}
