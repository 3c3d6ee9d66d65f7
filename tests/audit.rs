//! What the server keeps about staff activity, and who may read it.

mod common;

use common::{Staff, form_value, signed_in, spawn_staff_server};

/// A client that keeps the sign-in form's cookie, and that form's token.
async fn sign_in_form(staff: &Staff) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = client.get(format!("{}/admin/login", staff.base)).send().await.unwrap().text().await.unwrap();
    (client, form_value(&page, "csrf"))
}

#[tokio::test]
async fn public_metrics_show_no_staff_activity_and_admins_read_it_apart() {
    let staff = spawn_staff_server().await;
    let (client, csrf) = sign_in_form(&staff).await;
    let form = [("name", "boss"), ("password", "wrong-password"), ("csrf", &csrf)];
    client.post(format!("{}/admin/login", staff.base)).form(&form).send().await.unwrap();
    let token = client
        .post(format!("{}/api/admin/warnings", staff.base))
        .bearer_auth("wq_0000000000000000000000000000000000000000")
        .json(&serde_json::json!({"action": "draft", "meta": {"title": "x"}, "body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 401);
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    boss.get(format!("{}/admin/audit", staff.base)).send().await.unwrap();

    let public = reqwest::get(format!("{}/metrics", staff.base)).await.unwrap().text().await.unwrap();
    assert!(public.contains("weiquan_http_requests_total{route=\"/healthz\""), "{public}");
    assert!(!public.contains("admin"), "sign-ins, failures and token use are not public: {public}");

    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let refused = anonymous.get(format!("{}/admin/metrics", staff.base)).send().await.unwrap();
    assert_eq!(refused.headers()["location"], "/admin/login");
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    assert_eq!(editor.get(format!("{}/admin/metrics", staff.base)).send().await.unwrap().status(), 403);
    let staff_metrics = boss.get(format!("{}/admin/metrics", staff.base)).send().await.unwrap();
    assert_eq!(staff_metrics.headers()["cache-control"], "no-store");
    let staff_metrics = staff_metrics.text().await.unwrap();
    for line in [
        "weiquan_http_requests_total{route=\"/admin/login\",status=\"401\"} 1",
        "weiquan_http_requests_total{route=\"/api/admin/warnings\",status=\"401\"} 1",
        "weiquan_http_requests_total{route=\"/admin/audit\",status=\"200\"} 1",
    ] {
        assert!(staff_metrics.contains(line), "{line} missing: {staff_metrics}");
    }
    assert!(!staff_metrics.contains("/healthz"), "{staff_metrics}");
}
