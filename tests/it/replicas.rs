//! Several `weiquan serve` processes sharing one staff database on a
//! PostgreSQL server (issue 23): what one machine writes, every machine
//! reads at the next request (the search insights too), and a document
//! saved on one is searchable on the others moments later.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::header::{COOKIE, SET_COOKIE};

use crate::common;

const PASSWORD: &str = "replica-pass-2026";

/// `weiquan user add NAME --role admin` against the database `place`
/// names (`--database URL` or `--data DIR`), the password piped in.
fn add_admin(place: [&str; 2], name: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(["user", "add", name, "--role", "admin"])
        .args(place)
        .env_remove("WEIQUAN_DATA")
        .env_remove("WEIQUAN_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Signs in as `name` on `base`: the status, and the session cookie
/// (`wq_session=…`) when one was set.
async fn sign_in(base: &str, name: &str, password: &str) -> (reqwest::StatusCode, Option<String>) {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build();
    let response = common::sign_in(&client.unwrap(), base, name, password).await;
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
        .find(|cookie| cookie.starts_with("wq_session="));
    (response.status(), cookie)
}

/// GET `path` on `base` with the session cookie: the status and the page.
async fn get(base: &str, path: &str, cookie: &str) -> (reqwest::StatusCode, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(format!("{base}{path}")).header(COOKIE, cookie).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn machines_sharing_a_server_share_accounts_sessions_documents_and_failed_sign_ins() {
    let Some(url) = common::postgres_url("machines_sharing_a_server") else { return };
    add_admin(["--database", &url], "boss");
    // Each machine has folders of its own: content, index, data.
    let dirs: Vec<tempfile::TempDir> = (0..9).map(|_| tempfile::tempdir().unwrap()).collect();
    let machine = |i: usize| {
        let (content, index, data) = (dirs[3 * i].path(), dirs[3 * i + 1].path(), dirs[3 * i + 2].path());
        common::copy_tree(&common::fixture("content"), content);
        common::serve_process(content, index, data, &["--offline", "--database", &url])
    };
    let (a, b) = (machine(0), machine(1));

    // Signed in on one machine, the session works on the other.
    let (status, cookie) = sign_in(&a.base, "BOSS", PASSWORD).await;
    assert_eq!(status, 303, "the account made on the command line signs in");
    let cookie = cookie.expect("a session cookie");
    let (status, page) = get(&b.base, "/admin/users", &cookie).await;
    assert_eq!(status, 200);
    assert!(page.contains("boss"), "{page}");

    // A token made on one machine is listed on the other, where the form
    // token of a session made on the first is good too.
    let admin = common::signed_in(&a.base, "boss", PASSWORD).await;
    let (_, secret) = common::create_token(&admin, &b.base, "sync", &["write", "publish"]).await;
    let listed = get(&a.base, "/admin/tokens", &cookie).await.1;
    assert!(listed.contains("sync"), "{listed}");
    let audit = get(&a.base, "/admin/audit", &cookie).await.1;
    assert!(audit.contains("sync"), "the audit log is one for all machines");

    // A warning published through one machine is found on the other, and a
    // machine started later, with nothing but the database, has it too.
    let client = reqwest::Client::new();
    let saved = common::save_warning(&client, &a.base, &secret, None, "shared", "共享测试警示", "").await;
    let fingerprint = saved.expect("published on the first machine");
    let found = |base: String| {
        let client = client.clone();
        async move {
            let url = format!("{base}/api/search?q=%22%E5%85%B1%E4%BA%AB%E6%B5%8B%E8%AF%95%E8%AD%A6%E7%A4%BA%22");
            let body: serde_json::Value = client.get(url).send().await.ok()?.json().await.ok()?;
            (body["total"].as_u64() == Some(1)).then_some(())
        }
    };
    let wait = std::time::Duration::from_secs(10);
    assert!(common::eventually(wait, || found(b.base.clone())).await.is_some(), "the second machine finds it");
    // Edited on the second machine against the first one's text.
    let edited = common::save_warning(
        &client,
        &b.base,
        &secret,
        Some("warnings/shared"),
        "shared",
        "共享测试警示",
        &fingerprint,
    );
    assert!(edited.await.is_some(), "the second machine edits what the first saved");
    let c = machine(2);
    assert!(found(c.base.clone()).await.is_some(), "a machine started later has it at once");

    // What consumers search for on one machine is in the insights that
    // staff read on another.
    let searched = client.get(format!("{}/search?q=%E5%85%B1%E4%BA%AB%E6%B5%8B%E8%AF%95", a.base)).send().await;
    assert_eq!(searched.unwrap().status(), 200);
    let counted = || async {
        let csv = get(&b.base, "/admin/insights.csv?table=top", &cookie).await.1;
        csv.contains("共享测试").then_some(())
    };
    assert!(common::eventually(wait, counted).await.is_some(), "the search is counted on the other machine");

    // Signed out on the other machine, the session is gone on both.
    let users = get(&a.base, "/admin/users", &cookie).await.1;
    let logout = reqwest::Client::new().post(format!("{}/admin/logout", b.base)).header(COOKIE, &cookie);
    let logout = logout.form(&[("csrf", common::csrf(&users))]).send().await.unwrap();
    assert!(logout.status().is_redirection() || logout.status() == 200, "{}", logout.status());
    for base in [&a.base, &b.base] {
        assert_eq!(get(base, "/admin/users", &cookie).await.0, 303, "{base} sends the signed-out to the sign-in page");
    }

    // Failed sign-ins count on every machine: five wrong passwords on one,
    // and the right one is refused on the other.
    for _ in 0..5 {
        assert_eq!(sign_in(&a.base, "boss", "not the password").await.0, 401);
    }
    assert_eq!(sign_in(&b.base, "boss", PASSWORD).await.0, 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_machine_moves_to_the_server_with_its_documents_and_insights() {
    let Some(url) = common::postgres_url("a_single_machine_moves") else { return };
    let dirs: Vec<tempfile::TempDir> = (0..7).map(|_| tempfile::tempdir().unwrap()).collect();
    let folders = |i: usize| (dirs[3 * i].path(), dirs[3 * i + 1].path(), dirs[3 * i + 2].path());
    for i in 0..2 {
        common::copy_tree(&common::fixture("content"), folders(i).0);
    }

    // One machine on its SQLite file, used: a warning published, searches made.
    let (content, index, data) = folders(0);
    add_admin(["--data", data.to_str().unwrap()], "boss");
    let single = common::serve_process(content, index, data, &["--offline"]);
    let admin = common::signed_in(&single.base, "boss", PASSWORD).await;
    let (_, secret) = common::create_token(&admin, &single.base, "sync", &["write", "publish"]).await;
    let client = reqwest::Client::new();
    let saved = common::save_warning(&client, &single.base, &secret, None, "moved", "迁移测试警示", "").await;
    assert!(saved.is_some(), "published on the single machine");
    let searched = client.get(format!("{}/search?q=%E8%BF%81%E7%A7%BB%E6%B5%8B%E8%AF%95", single.base)).send().await;
    assert_eq!(searched.unwrap().status(), 200);
    let csv = |base: String| {
        let admin = admin.clone();
        async move {
            let csv = admin.get(format!("{base}/admin/insights.csv?table=top")).send().await.ok()?.text().await.ok()?;
            csv.contains("迁移测试").then_some(())
        }
    };
    let wait = std::time::Duration::from_secs(10);
    assert!(common::eventually(wait, || csv(single.base.clone())).await.is_some(), "the search is recorded");
    single.kill();

    // A copy of its data folder, as an operator would take, moves to the server.
    let copy = dirs[6].path();
    common::copy_tree(data, copy);
    let output = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(["db", "migrate", "--to", &url, "--from"])
        .arg(copy.join("weiquan.sqlite3"))
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}{}", String::from_utf8_lossy(&output.stderr));
    let count = |table: &str| -> usize {
        let line = printed.lines().find(|line| line.split_whitespace().next() == Some(table)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    assert_eq!((count("users"), count("api_tokens"), count("versions")), (1, 1, 1), "{printed}");
    assert!(count("searches") >= 1 && count("audit") >= 3, "{printed}");

    // A replica on the server, with the shipped content only and an empty
    // index, has the account, the warning and the insights.
    let (content, index, data) = folders(1);
    let replica = common::serve_process(content, index, data, &["--offline", "--database", &url]);
    let admin = common::signed_in(&replica.base, "boss", PASSWORD).await;
    let found = client
        .get(format!("{}/api/search?q=%22%E8%BF%81%E7%A7%BB%E6%B5%8B%E8%AF%95%E8%AD%A6%E7%A4%BA%22", replica.base));
    let body: serde_json::Value = found.send().await.unwrap().json().await.unwrap();
    assert_eq!(body["total"], 1, "the staff-written warning came with the move: {body}");
    let csv = admin.get(format!("{}/admin/insights.csv?table=top", replica.base)).send().await.unwrap();
    assert!(csv.text().await.unwrap().contains("迁移测试"), "the insights came with the move");
}
