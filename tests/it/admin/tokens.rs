//! API tokens: what each scope lets a token do, and revoking one.

use crate::common;

use common::{Staff, create_token, csrf, signed_in, spawn_staff_server};
use serde_json::json;
use weiquan::publish::files::fingerprint;
use weiquan::publish::{Scope, Store};

use super::{audit_of, public_status, read};

#[tokio::test]
async fn api_tokens_act_within_their_scopes_until_revoked() {
    let staff = spawn_staff_server().await;
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let (created, secret) = create_token(&boss, &staff.base, "省局系统", &["write"]).await;
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

/// The ids of the warnings in force (what kiosks and the warnings page show).
async fn warnings_in_force(staff: &Staff) -> String {
    reqwest::get(format!("{}/api/warnings", staff.base)).await.unwrap().text().await.unwrap()
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
