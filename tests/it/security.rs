//! Hostile input and response headers, over HTTP on loopback against a real
//! server with the staff workflow.

use crate::common;

use std::time::Duration;

use common::{csrf, form_value, raw_get, sign_in, signed_in, spawn_staff_server};

/// A warning written to attack every place its text shows up.
const HOSTILE: &str = r#"+++
title = "恶意标题<img src=x onerror=alert(1)>测试"
date = 2026-01-01
severity = "alert"
summary = "摘要<script>alert('s')</script>"
tags = ["网购"]
+++

正文攻击测试<script>alert("x")</script><b onclick="steal()">点我</b>
<a href="javascript:alert(1)">链接</a> <svg onload="alert(2)"><circle/></svg>
<iframe src="https://evil.example"></iframe> [另一个链接](javascript:alert(3))
"#;

/// What must never reach a page, a feed or an answer as markup: scripts
/// other than this site's own files, frames, event handlers and
/// `javascript:` addresses in any tag. Escaped text (`&lt;script&gt;`) is fine.
fn assert_neutralised(place: &str, body: &str) {
    for tag in body.split('<').skip(1).filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic())) {
        let tag = tag.split('>').next().unwrap_or_default().to_ascii_lowercase();
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        let handler = tag.split_whitespace().skip(1).any(|attribute| attribute.starts_with("on"));
        let allowed_script = name == "script" && tag.starts_with("script src=\"/static/");
        let dangerous = (name == "script" && !allowed_script)
            || ["iframe", "object", "embed"].contains(&name)
            || handler
            || tag.contains("javascript:");
        assert!(!dangerous, "{place}: <{tag}> got through:\n{body}");
    }
}

async fn text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn scripts_and_handlers_are_neutralised_in_every_place() {
    let staff = spawn_staff_server().await;
    // Written as an editor would, and indexed by the watcher.
    staff.write_document("warnings/hostile", HOSTILE).await;
    let client = reqwest::Client::new();
    let base = &staff.base;
    let places = [
        ("document page", format!("{base}/docs/warnings/hostile")),
        ("document API", format!("{base}/api/docs/warnings/hostile")),
        ("search page", format!("{base}/search?q=正文攻击测试")),
        ("search API", format!("{base}/api/search?q=正文攻击测试")),
        ("warnings page", format!("{base}/warnings")),
        ("warnings API", format!("{base}/api/warnings")),
        ("feed", format!("{base}/feed.xml")),
        ("kiosk slides", format!("{base}/kiosk/lobby/slides")),
        ("suggestions", format!("{base}/api/suggest?q=恶意")),
        ("query echoed in the page", format!("{base}/search?q=%3Cscript%3Ealert(1)%3C/script%3E")),
        ("query echoed in the API", format!("{base}/api/search?q=%3Cscript%3Ealert(1)%3C/script%3E")),
        ("error message", format!("{base}/api/search?q=x&page=%3Cscript%3E")),
        ("not-found page", format!("{base}/docs/%3Cscript%3Ealert(1)%3C%2Fscript%3E")),
    ];
    for (place, url) in places {
        let body = text(&client, &url).await;
        // JSON escapes `<` only sometimes; decode so the check sees the text.
        let body = body.replace("\\u003c", "<").replace("\\u003e", ">");
        if place.starts_with("document") || place.starts_with("search") {
            assert!(body.contains("正文攻击测试"), "{place} shows the hostile warning:\n{body}");
        }
        if place.ends_with("API") || place == "suggestions" {
            // JSON carries text, not markup, except the rendered html and
            // snippet fields, which must be clean.
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            for field in ["html", "snippet"] {
                for found in find_fields(&value, field) {
                    assert_neutralised(&format!("{place} `{field}`"), &found);
                }
            }
        } else {
            assert_neutralised(place, &body);
        }
    }

    let editor = signed_in(base, "ed", "editor-pass1").await;
    let page = text(&editor, &format!("{base}/admin/edit?kind=warning")).await;
    let token = csrf(&page);
    let preview = editor
        .post(format!("{base}/admin/preview"))
        .form(&[
            ("csrf", token.as_str()),
            ("title", "预览<script>alert(1)</script>"),
            ("severity", "info"),
            ("body", "预览正文<img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">x</a>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    assert_neutralised("admin preview", &preview.text().await.unwrap());
    let list = text(&editor, &format!("{base}/admin")).await;
    assert_neutralised("admin list", &list);

    // Hostile queries and feedback comments reach staff in the insights page.
    let document = text(&client, &format!("{base}/docs/warnings/hostile")).await;
    let comment = "留言<script>alert(1)</script><img src=x onerror=alert(2)>";
    let form = [("doc", "warnings/hostile"), ("helpful", "no"), ("comment", comment)];
    let token = form_value(&document, "token");
    let sent = client.post(format!("{base}/feedback")).form(&[form.as_slice(), &[("token", token.as_str())]].concat());
    assert!(sent.send().await.unwrap().status().is_success());
    staff.insights.flush();
    let insights = text(&editor, &format!("{base}/admin/insights")).await;
    assert!(insights.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile query is listed as text");
    assert!(insights.contains("留言&lt;script&gt;"), "the comment is listed as text");
    assert_neutralised("insights page", &insights);
    assert_neutralised("weekly summary", &text(&editor, &format!("{base}/admin/insights/weekly")).await);
}

fn find_fields(value: &serde_json::Value, name: &str) -> Vec<String> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(key, v)| match (key == name, v.as_str()) {
                (true, Some(text)) => vec![text.to_string()],
                _ => find_fields(v, name),
            })
            .collect(),
        serde_json::Value::Array(items) => items.iter().flat_map(|v| find_fields(v, name)).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn every_page_type_sends_the_security_headers() {
    let staff = spawn_staff_server().await;
    let base = &staff.base;
    let admin = signed_in(base, "boss", "admin-pass12").await;
    let anonymous = reqwest::Client::new();
    let pages = [
        (&anonymous, "/"),
        (&anonymous, "/search?q=预付卡"),
        (&anonymous, "/docs/warnings/prepaid-card"),
        (&anonymous, "/warnings"),
        (&anonymous, "/feed.xml"),
        (&anonymous, "/kiosk/lobby"),
        (&anonymous, "/kiosk/sw.js"),
        (&anonymous, "/api/search?q=预付卡"),
        (&anonymous, "/static/style.css"),
        (&anonymous, "/no-such-page"),
        (&anonymous, "/admin/login"),
        (&admin, "/admin"),
        (&admin, "/admin/users"),
        (&admin, "/admin/insights"),
        (&admin, "/admin/audit.csv"),
    ];
    for (client, path) in pages {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        let headers = response.headers();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let policy = header("content-security-policy");
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or_default();
        assert!(scripts.contains("'self'") && !scripts.contains("unsafe"), "{path}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"), "{path}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        if path.starts_with("/admin") {
            assert_eq!(header("cache-control"), "no-store", "{path}: admin pages are never cached");
        }
    }
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let staff = spawn_staff_server().await;
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = sign_in(&client, &staff.base, "boss", "admin-pass12").await;
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(!cookies.is_empty(), "signing in sets a session cookie ({})", response.status());
    assert!(cookies.iter().any(|c| c.starts_with("wq_session=")), "{cookies:?}");
    for cookie in cookies {
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    }
}

#[tokio::test]
async fn paths_cannot_leave_their_roots() {
    let staff = spawn_staff_server().await;
    let addr: std::net::SocketAddr = staff.base.trim_start_matches("http://").parse().unwrap();
    let long = "a".repeat(5_000);
    let attempts = [
        "/docs/../../../../etc/passwd".to_string(),
        "/docs/%2e%2e/%2e%2e/%2e%2e/etc/passwd".to_string(),
        "/docs/..%2f..%2f..%2fetc%2fpasswd".to_string(),
        "/docs/warnings%5c..%5c..%5cCargo.toml".to_string(),
        "/docs/%2fetc%2fpasswd".to_string(),
        "/docs/warnings/prepaid-card%00.md".to_string(),
        format!("/docs/{long}"),
        "/api/docs/..%2f..%2fCargo.toml".to_string(),
        "/api/docs/%2e%2e/%2e%2e/Cargo.toml".to_string(),
        "/static/../Cargo.toml".to_string(),
        "/static/%2e%2e/Cargo.toml".to_string(),
        "/static/..%2fCargo.toml".to_string(),
        "/static/%2e%2e%5cCargo.toml".to_string(),
        "/kiosk/..%2f..%2fetc".to_string(),
    ];
    for path in attempts {
        let response = raw_get(addr, &path).await;
        let status: u16 = response[9..12].parse().unwrap();
        assert!((400..500).contains(&status), "{path}: {}", &response[..response.len().min(200)]);
        assert!(!response.contains("root:") && !response.contains("[package]"), "{path} leaked a file");
    }
    // An editor cannot save outside the content folder either.
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = text(&editor, &format!("{}/admin/edit?kind=warning", staff.base)).await;
    let hostile = ["../../escape", "warnings/../../escape", "/tmp/escape", "warnings\\..\\escape", "warnings/a\0b"];
    for (field_name, value) in hostile.iter().flat_map(|v| [("id", *v), ("slug", *v)]) {
        let token = csrf(&page);
        let mut form = vec![("csrf", token.as_str()), ("base", ""), ("kind", "warning"), ("title", "越界")];
        form.extend([("severity", "info"), ("body", "越界"), ("action", "draft"), (field_name, value)]);
        let response = editor.post(format!("{}/admin/save", staff.base)).form(&form).send().await.unwrap();
        assert!(response.status().is_client_error(), "{field_name}={value}: {}", response.status());
    }
    let parent = staff.content.parent().unwrap();
    assert!(!parent.join("escape.md").exists() && !std::path::Path::new("/tmp/escape.md").exists());
}

#[tokio::test]
async fn searching_faster_than_the_limit_gets_a_clear_429() {
    let staff = spawn_staff_server().await;
    let client = reqwest::Client::new();
    let burst = weiquan::web::limit::DEFAULT_SEARCHES_PER_SECOND as usize * 3;
    // Requests until the first refusal: the whole burst passes first.
    let mut passed = 0;
    let mut refused = None;
    for _ in 0..2_000 {
        let response = client.get(format!("{}/api/search?q=预付卡", staff.base)).send().await.unwrap();
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
        passed += 1;
    }
    let answer = refused.expect("searching as fast as possible is refused at some point");
    assert!(passed >= burst, "only {passed} searches passed before the first 429");
    assert_eq!(answer.headers()["retry-after"], "1");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let page = client.get(format!("{}/search?q=预付卡", staff.base)).send().await.unwrap();
    assert_eq!(page.status(), 429);
    assert!(page.text().await.unwrap().contains("查询太频繁了"), "the page says why in Chinese");
    // Other pages are not limited.
    assert_eq!(client.get(format!("{}/warnings", staff.base)).send().await.unwrap().status(), 200);
}

/// Sends `bytes` on a new connection and returns everything the server
/// answers until it closes the connection.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn slow_and_oversized_requests_cannot_hold_the_server() {
    use tokio::io::AsyncWriteExt;
    let limits = weiquan::web::ConnectionLimits {
        max_connections: 2,
        header_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let server = common::spawn_served(|state| state, limits).await;
    let addr = server.addr;

    // Two clients that start a request and never finish its head take both slots.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
        slow.push(stream);
    }
    let waiting =
        tokio::spawn(exchange(addr, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    // A fixed time on purpose: what is tested is that nothing happens (the
    // third is not served) while the two slow clients hold their slots.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a third connection waits while two are open");
    // Past the header deadline the slow clients are cut off and the third is served.
    for mut stream in slow {
        use tokio::io::AsyncReadExt;
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
            .await
            .expect("a client that never finishes its request head is disconnected")
            .unwrap();
    }
    let answer = waiting.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A huge request head is refused with 431, a huge body with 413.
    let cookie = "x".repeat(32 * 1024);
    let answer =
        exchange(addr, format!("GET / HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let body = "q=".to_string() + &"预".repeat(40 * 1024);
    let request = format!(
        "POST /admin/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(addr, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
}

/// The least role a route needs (publishers count as editors here).
#[derive(Clone, Copy, PartialEq, PartialOrd, Debug)]
enum Least {
    Editor,
    Admin,
}

/// Method, path, the least role, and the form sent with a POST.
type Route = (&'static str, &'static str, Least, &'static [(&'static str, &'static str)]);

#[tokio::test]
async fn every_admin_route_needs_the_right_role() {
    use Least::*;
    let staff = spawn_staff_server().await;
    let base = &staff.base;
    let routes: &[Route] = &[
        ("GET", "/admin", Editor, &[]),
        ("GET", "/admin/edit?kind=warning", Editor, &[]),
        ("GET", "/admin/history?id=warnings/prepaid-card", Editor, &[]),
        ("GET", "/admin/insights", Editor, &[]),
        ("GET", "/admin/insights.csv?table=top", Editor, &[]),
        ("GET", "/admin/insights/weekly", Editor, &[]),
        ("POST", "/admin/preview", Editor, &[("title", "预览"), ("severity", "info"), ("body", "x")]),
        ("GET", "/admin/users", Admin, &[]),
        (
            "POST",
            "/admin/users",
            Admin,
            &[("action", "add"), ("name", "mallory"), ("role", "admin"), ("password", "long-enough-1")],
        ),
        ("GET", "/admin/tokens", Admin, &[]),
        ("POST", "/admin/tokens", Admin, &[("action", "create"), ("name", "leak"), ("write", "on"), ("publish", "on")]),
        ("GET", "/admin/kiosks", Admin, &[]),
        ("POST", "/admin/kiosks", Admin, &[("id", "lobby")]),
        ("GET", "/admin/audit", Admin, &[]),
        ("GET", "/admin/audit.csv", Admin, &[]),
        ("GET", "/admin/metrics", Admin, &[]),
    ];
    let no_redirects = || reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let anonymous = no_redirects().build().unwrap();
    let mut people = Vec::new();
    for (name, password, role) in
        [("ed", "editor-pass1", Editor), ("pub", "publisher-pass", Editor), ("boss", "admin-pass12", Admin)]
    {
        let client = no_redirects().cookie_store(true).build().unwrap();
        let response = sign_in(&client, base, name, password).await;
        assert!(response.status().is_redirection(), "{name} signs in: {}", response.status());
        let token = csrf(&text(&client, &format!("{base}/admin")).await);
        people.push((name, role, client, token));
    }
    for &(method, path, least, fields) in routes {
        let url = format!("{base}{path}");
        let send = |client: &reqwest::Client, csrf: &str| {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            form.push(("csrf", csrf));
            match method {
                "GET" => client.get(&url),
                _ => client.post(&url).form(&form),
            }
            .send()
        };
        let response = send(&anonymous, "").await.unwrap();
        let to_login = response.headers().get("location").is_some_and(|l| l.to_str().unwrap().contains("/admin/login"));
        assert!(response.status() == 401 || to_login, "anonymous {method} {path}: {}", response.status());
        for (name, role, client, csrf) in &people {
            let status = send(client, csrf).await.unwrap().status().as_u16();
            if *role >= least {
                assert!(![401, 403].contains(&status), "{name} may {method} {path}: {status}");
            } else {
                assert_eq!(status, 403, "{name} may not {method} {path}");
            }
        }
    }
    // The refused requests changed nothing: one user and one token, both the admin's.
    let store = weiquan::publish::Store::open(&staff.data).unwrap();
    assert_eq!(store.users().unwrap().iter().filter(|u| u.name == "mallory").count(), 1);
    assert_eq!(store.tokens().unwrap().len(), 1);
}

#[tokio::test]
async fn prefs_returns_only_to_pages_of_this_site() {
    let staff = spawn_staff_server().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let attempts = [
        "/%09/evil.example",
        "/%0a",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%20/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "/\\evil.example",
        "%5C%5Cevil.example",
        "https://evil.example",
        "https:evil.example",
        "evil.example",
        "/%E9%A2%84%E4%BB%98%E5%8D%A1",
        "/%00",
    ];
    for back in attempts {
        let response = client.get(format!("{}/prefs?large=1&back={back}", staff.base)).send().await.unwrap();
        assert_eq!(response.status(), 303, "back={back}");
        assert_eq!(response.headers()["location"], "/", "back={back} goes home, not elsewhere");
        assert!(response.headers()["set-cookie"].to_str().unwrap().starts_with("wq_large=1"), "back={back}");
    }
    // Pages of this site, as the pages link them, still work.
    let page = "/search%3Fq%3D%25E9%25A2%2584%26kind%3Dlaw";
    let response = client.get(format!("{}/prefs?large=0&back={page}", staff.base)).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/search?q=%E9%A2%84&kind=law");
}

#[tokio::test]
async fn control_characters_in_a_title_leave_the_feed_well_formed() {
    let staff = spawn_staff_server().await;
    // A NUL and a form feed spelled as TOML escapes, a raw control character
    // in the front matter and raw ones in the body.
    let warning = "+++\ntitle = \"空字符\\u0000标题\\f警示\u{1}\"\ndate = 2026-02-01\n\
                   summary = \"摘要\\u0007里有响铃\"\ntags = [\"网购\\u0000\"]\n+++\n\n正文\u{0}里的\u{1b}空字符。\n";
    staff.write_document("warnings/nul-title", warning).await;
    let feed = text(&reqwest::Client::new(), &format!("{}/feed.xml", staff.base)).await;
    let xml =
        roxmltree::Document::parse(&feed).unwrap_or_else(|e| panic!("the feed is well-formed XML ({e}):\n{feed}"));
    let titles: Vec<&str> = xml
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|entry| entry.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()))
        .collect();
    assert!(titles.contains(&"空字符标题 警示"), "{titles:?}");
    let summary = xml.descendants().find(|n| n.has_tag_name("summary") && n.text() == Some("摘要里有响铃"));
    assert!(summary.is_some(), "{feed}");
    let document: serde_json::Value =
        reqwest::get(format!("{}/api/docs/warnings/nul-title", staff.base)).await.unwrap().json().await.unwrap();
    assert_eq!(document["title"], "空字符标题 警示");
    let html = document["html"].as_str().unwrap();
    assert!(html.contains("正文里的空字符") && !html.chars().any(|c| c.is_control() && c != '\n'), "{html}");
}

#[tokio::test]
async fn only_a_configured_kiosk_with_its_secret_can_report() {
    use weiquan::web::config::KioskConfig;
    const SECRET: &str = "mall-1-secret-7f3a9c";
    let kiosks = [
        (
            "mall-1".to_string(),
            KioskConfig {
                secret: Some(SECRET.to_string().try_into().unwrap()),
                public_url: Some("https://weiquan.example.cn".into()),
                ..Default::default()
            },
        ),
        ("lobby".to_string(), KioskConfig::default()),
    ];
    let staff = common::spawn_staff_server_with(kiosks.into()).await;
    let client = reqwest::Client::new();
    let beat = |id: &'static str, key: Option<&'static str>| {
        let mut request =
            client.post(format!("{}/kiosk/{id}/heartbeat", staff.base)).json(&serde_json::json!({"version": "x"}));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let boss = signed_in(&staff.base, "boss", "admin-pass12").await;
    let state_of = |id: &'static str| {
        let boss = boss.clone();
        let url = format!("{}/admin/kiosks", staff.base);
        async move {
            let page = boss.get(url).send().await.unwrap().text().await.unwrap();
            let row = page
                .split(&format!("data-kiosk=\"{id}\""))
                .nth(1)
                .map(|rest| rest.split("</tr>").next().unwrap().to_string());
            row.map(|row| row.split("class=\"state\">").nth(1).unwrap().split('<').next().unwrap().to_string())
        }
    };

    // A kiosk without public_url is named: its QR codes would point at the
    // address it reached the server by, which a visitor's phone cannot open.
    let listed = boss.get(format!("{}/admin/kiosks", staff.base)).send().await.unwrap().text().await.unwrap();
    let warning = listed.split("role=\"alert\">").nth(1).expect("a warning").split("</p>").next().unwrap();
    assert!(warning.contains("没有设置 public_url：<code>lobby</code>") && !warning.contains("mall-1"), "{warning}");

    // The real kiosk reports; an admin asks it to reload.
    assert_eq!(beat("mall-1", Some(SECRET)).await.0, 200);
    assert_eq!(state_of("mall-1").await.as_deref(), Some("在线"));
    let page = boss.get(format!("{}/admin/kiosks", staff.base)).send().await.unwrap().text().await.unwrap();
    let reload = boss
        .post(format!("{}/admin/kiosks", staff.base))
        .form(&[("action", "reload"), ("id", "mall-1"), ("csrf", &csrf(&page))])
        .send()
        .await
        .unwrap();
    assert!(reload.status().is_success(), "{}", reload.status());

    // A forged heartbeat, without the secret or with a wrong one, neither
    // counts as a report nor takes the reload request.
    for key in [None, Some("mall-1-secret-7f3a9d"), Some("")] {
        let (status, body) = beat("mall-1", key).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("kiosk_unauthorized")), "{key:?}");
        assert!(body.get("reload").is_none(), "{body}");
    }
    assert_eq!(beat("mall-1", Some(SECRET)).await.1["reload"], true, "the real kiosk still gets its reload");

    // Unknown ids are refused and never listed; a kiosk without a secret cannot report.
    assert_eq!(beat("fake-99", Some(SECRET)).await.0, 404);
    assert_eq!(state_of("fake-99").await, None, "an unknown id is not listed");
    assert_eq!(beat("lobby", Some(SECRET)).await.0, 401);
    assert_eq!(state_of("lobby").await.as_deref(), Some("未设置密钥，无法报到"));

    // Short secrets are refused when the config is read.
    let error = toml::from_str::<weiquan::web::config::FileConfig>("[kiosks.a]\nsecret = \"short\"").unwrap_err();
    assert!(error.message().contains("at least 16 characters"), "{}", error.message());
}
