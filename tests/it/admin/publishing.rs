//! Publishing: signing in, publishing, withdrawing and scheduling
//! warnings, what an editor may not do, and where a warning's issuer shows.

use crate::common;

use common::{cookie_client, sign_in, signed_in, spawn_staff_server};

use super::{WARNING, editor_page, save, search_ids};

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
