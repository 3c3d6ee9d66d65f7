//! How the staff pages read: the script and stylesheet they load, their
//! error pages, and the audit log in the words staff use.

use crate::common;

use common::{cookie_client, sign_in, signed_in, spawn_staff_server};
use weiquan::publish::Store;

use super::{WARNING, editor_page, save};

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
