//! What the server keeps about staff activity, and who may read it: the
//! audit log stays small whatever is typed into the sign-in form, its CSV
//! export runs no formulas, the public metrics say nothing about staff, and
//! no change is made without its entry.

use crate::common;

use common::{Staff, cookie_client, csrf, signed_in, spawn_staff_server};
use serde_json::json;
use weiquan::publish::files::fingerprint;
use weiquan::publish::{Scope, Store};

/// A client that keeps the sign-in form's cookie, and that form's token.
async fn sign_in_form(staff: &Staff) -> (reqwest::Client, String) {
    let client = cookie_client();
    let csrf = common::sign_in_form(&client, &staff.base).await;
    (client, csrf)
}

#[tokio::test]
async fn failed_sign_ins_with_huge_names_add_only_bounded_audit_data() {
    let staff = spawn_staff_server().await;
    let (client, csrf) = sign_in_form(&staff).await;
    // Just under the 64 KB body limit with the other fields.
    let name = "A".repeat(65_000);
    // In waves of 25, so the server's request timeout is not what refuses them.
    let mut answered = 0;
    for _ in 0..8 {
        let wave: Vec<_> = (0..25)
            .map(|_| {
                let form = [("name", name.clone()), ("password", "wrong-password".into()), ("csrf", csrf.clone())];
                let request = client.post(format!("{}/admin/login", staff.base)).form(&form);
                tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
            })
            .collect();
        for attempt in wave {
            let status = attempt.await.unwrap();
            assert!([401, 429, 503].contains(&status), "{status}");
            answered += u32::from(status != 503);
        }
    }

    let store = Store::open(&staff.data).unwrap();
    // The accounts the test server starts with are in the log too.
    let log: Vec<_> = store.audit_log(1000).unwrap().into_iter().filter(|e| e.action != "user.add").collect();
    let attempts: u32 = log.iter().map(|e| e.repeats).sum();
    assert_eq!(attempts, answered, "every attempt the server answered is counted: {log:?}");
    assert!(log.len() <= 10, "refused attempts share an entry: {} entries", log.len());
    assert!(log.iter().any(|e| e.action == "login_locked" && e.repeats > 100), "{log:?}");
    let stored: usize = log.iter().map(|e| e.actor.len() + e.target.len() + e.detail.len()).sum();
    assert!(stored < 2_000, "{stored} bytes of text for 200 attempts with 13 MB of names");
    assert!(log.iter().all(|e| e.actor == format!("{}…", "A".repeat(64))), "names are cut to 64 characters");
}

#[tokio::test]
async fn a_formula_typed_as_a_sign_in_name_reaches_the_audit_csv_as_plain_text() {
    let staff = spawn_staff_server().await;
    let formula = r#"=HYPERLINK("http://evil.example","x")"#;
    let (client, csrf) = sign_in_form(&staff).await;
    let form = [("name", formula), ("password", "wrong-password"), ("csrf", &csrf)];
    let refused = client.post(format!("{}/admin/login", staff.base)).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let csv = boss.get(format!("{}/admin/audit.csv", staff.base)).send().await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let failed = rows.iter().find(|row| &row[2] == "failed_login").expect("the failed sign-in is audited");
    assert_eq!(&failed[1], format!("'{formula}"));
    for cell in rows.iter().flatten() {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell}");
    }
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

/// A change and its audit entry are written together. When the entry
/// cannot be written (a trigger in the real database refuses it), the change
/// is not made either: not the file, its version or the account. A change
/// refused for what was asked writes no entry.
#[tokio::test]
async fn a_change_is_made_with_its_audit_entry_or_not_at_all() {
    let staff = spawn_staff_server().await;
    let store = Store::open(&staff.data).unwrap();
    let (_, secret) = store.create_token("sync", &[Scope::WarningsWrite, Scope::WarningsPublish], "boss").unwrap();
    let admin = signed_in(&staff.base, "boss", "admin-pass12").await;
    let path = staff.content.join("warnings/prepaid-card.md");
    let before = std::fs::read_to_string(&path).unwrap();
    let entries = || store.audit_log(1000).unwrap().len();
    let audited = entries();
    let edit = json!({
        "id": "warnings/prepaid-card", "base": fingerprint(&before), "action": "publish",
        "meta": { "title": "预付卡商家跑路警示（更新）", "severity": "alert" },
        "body": "更新后的正文。",
    });
    let send = |body: serde_json::Value| {
        reqwest::Client::new()
            .post(format!("{}/api/admin/warnings", staff.base))
            .bearer_auth(&secret)
            .json(&body)
            .send()
    };
    let add_user = |name: &'static str| async {
        let page = admin.get(format!("{}/admin/users", staff.base)).send().await.unwrap().text().await.unwrap();
        let token = csrf(&page);
        let form = [
            ("csrf", token.as_str()),
            ("action", "add"),
            ("name", name),
            ("role", "editor"),
            ("password", "a long password"),
        ];
        admin.post(format!("{}/admin/users", staff.base)).form(&form).send().await.unwrap().status().as_u16()
    };

    let database = rusqlite::Connection::open(staff.data.join(Store::FILE)).unwrap();
    database
        .execute_batch("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused'); END;")
        .unwrap();
    assert_eq!(send(edit.clone()).await.unwrap().status(), 500);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "the file is as it was");
    assert!(store.versions("warnings/prepaid-card").unwrap().is_empty(), "no version is recorded");
    assert_eq!(add_user("newcomer").await, 500);
    assert_eq!(store.user("newcomer").unwrap(), None, "no account is added");
    assert_eq!(entries(), audited);

    database.execute_batch("DROP TRIGGER refuse_audit").unwrap();
    // Refused for what was asked: nothing changes, nothing is recorded.
    assert_eq!(add_user("boss").await, 400);
    assert_eq!(entries(), audited);
    // The same requests go through once the entries can be written.
    assert_eq!(send(edit).await.unwrap().status(), 200);
    assert!(std::fs::read_to_string(&path).unwrap().contains("预付卡商家跑路警示（更新）"));
    assert_eq!(add_user("newcomer").await, 200, "added, and back on the users page");
    let log: Vec<(String, String)> =
        store.audit_log(2).unwrap().into_iter().rev().map(|e| (e.action, e.target)).collect();
    assert_eq!(log, [("publish".into(), "warnings/prepaid-card".into()), ("user.add".into(), "newcomer".into())]);
}
