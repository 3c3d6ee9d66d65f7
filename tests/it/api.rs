//! The JSON API and operations endpoints, through the router (`oneshot`)
//! over the shared fixture index.

use crate::common;

use common::App;
use serde_json::Value;

/// The status and JSON body (a JSON string when the body is not JSON).
async fn get(app: &App, uri: &str) -> (u16, Value) {
    let answer = app.get(uri).await;
    (answer.status, answer.json())
}

#[tokio::test]
async fn search_returns_the_contract_fields() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/search?q=七日内退货").await;
    assert_eq!(status, 200, "{body}");
    for key in ["query", "total", "page", "per_page", "took_ms", "hits", "facets"] {
        assert!(body.get(key).is_some(), "{key} missing: {body}");
    }
    for key in ["kind", "level", "status", "tags"] {
        assert!(body["facets"].get(key).is_some(), "facet {key} missing: {body}");
    }
    let hit = &body["hits"][0];
    for key in ["id", "kind", "title", "article", "chapter", "url", "snippet", "date", "status", "level", "score"] {
        assert!(hit.get(key).is_some(), "{key} missing: {hit}");
    }
    assert_eq!(hit["title"], "示例消费者保护法");
    assert_eq!(hit["article"], "第二十五条");
    assert_eq!(hit["url"], "/docs/laws/sample-consumer-law#第二十五条");
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>"));
    assert_eq!(body["query"], "七日内退货");
    assert_eq!((body["page"].as_u64(), body["per_page"].as_u64()), (Some(1), Some(10)));
}

#[tokio::test]
async fn search_opens_with_the_answer_in_the_api_and_on_the_page() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/search?q=七日内退货").await;
    assert_eq!(status, 200, "{body}");
    let answer = &body["answer"];
    assert_eq!(
        answer["document"],
        serde_json::json!({
            "id": "guides/return-goods",
            "kind": "guide",
            "title": "网购退货指南",
            "summary": "网上买的东西不想要了，七日内可以申请退货。",
            "url": "/docs/guides/return-goods",
        })
    );
    assert_eq!(
        answer["articles"],
        serde_json::json!([{
            "id": "laws/sample-consumer-law",
            "title": "示例消费者保护法",
            "article": "第二十五条",
            "anchor": "第二十五条",
            "text": "经营者通过网络销售商品的，消费者有权自收到商品之日起七日内退货，且无需说明理由。\n消费者退货的商品应当完好。",
            "date": "2020-05-01",
            "status": "current",
            "url": "/docs/laws/sample-consumer-law#第二十五条",
        }])
    );
    assert_eq!(answer["case"], Value::Null);
    let (_, prepaid) = get(&app, "/api/search?q=预付卡 退款").await;
    assert_eq!(prepaid["answer"]["case"]["url"], "/docs/cases/gym-prepaid-card", "{prepaid}");
    // Later pages, date order and bare listings have none, and say so.
    for query in ["q=七日内退货&per_page=2&page=2", "q=七日内退货&sort=date", "q=&kind=law"] {
        let (status, body) = get(&app, &format!("/api/search?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert!(!body["hits"].as_array().unwrap().is_empty(), "{query}");
        assert_eq!(body.get("answer"), Some(&Value::Null), "{query}");
    }
    // Documented in the OpenAPI description.
    let (_, spec) = get(&app, "/api/openapi.json").await;
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["SearchResponse"]["properties"]["answer"].is_object(), "{}", schemas["SearchResponse"]);
    for (schema, field) in [("ApiAnswer", "articles"), ("AnswerArticle", "text"), ("AnswerDocument", "summary")] {
        assert!(schemas[schema].to_string().contains(field), "{schema}.{field}: {}", schemas[schema]);
    }

    // The page opens with the answer, above the filters and the ranked list.
    let page = app.get("/search?q=七日内退货").await.text;
    let answer_at = page.find("<section class=\"answer\"").expect("an answer block");
    assert!(answer_at < page.find("class=\"results-layout\"").unwrap(), "{page}");
    assert!(page.contains("<h2 id=\"answer-title\">先看这里</h2>"), "{page}");
    assert!(page.contains("《示例消费者保护法》第二十五条</a>"), "{page}");
    assert!(page.contains("消费者有权自收到商品之日起七日内退货"), "{page}");
    let later = app.get("/search?q=七日内退货&sort=date").await.text;
    assert!(!later.contains("class=\"answer\""), "{later}");
}

#[tokio::test]
async fn filters_facets_and_pages() {
    let app = App::fixture().await;
    let (_, repeated) = get(&app, "/api/search?q=预付卡&kind=warning&kind=case").await;
    let (_, commas) = get(&app, "/api/search?q=预付卡&kind=warning,case").await;
    assert_eq!(repeated["total"], 2);
    assert_eq!(repeated["hits"], commas["hits"]);
    let (_, all) = get(&app, "/api/search?q=预付卡").await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["facets"]["kind"]["law"], 3);
    assert_eq!(all["facets"]["status"]["repealed"], 2);
    assert_eq!(all["facets"]["tags"]["预付卡"], 4);
    let filters = "level=rule&status=repealed&region=北京&tag=预付卡&from=2010-01-01&to=2013-01-01";
    let (_, filtered) = get(&app, &format!("/api/search?q=预付卡&{filters}")).await;
    assert_eq!(filtered["total"], 2);
    let (_, page1) = get(&app, "/api/search?q=预付卡&per_page=2&page=1").await;
    let (_, page2) = get(&app, "/api/search?q=预付卡&per_page=2&page=2").await;
    let ids = |v: &Value| {
        v["hits"].as_array().unwrap().iter().map(|h| h["url"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!([ids(&page1), ids(&page2)].concat(), ids(&all)[..4].to_vec());
    let (_, by_date) = get(&app, "/api/search?q=预付卡&sort=date").await;
    assert_eq!(by_date["hits"][0]["date"], "2024-03-15");
}

#[tokio::test]
async fn bad_parameters_get_400_in_chinese_and_english() {
    let app = App::fixture().await;
    for query in
        ["page=0", "per_page=100000", "kind=foo", "from=2024-02-01&to=2024-01-01", "sort=x", "from=bad", "page=abc"]
    {
        let (status, body) = get(&app, &format!("/api/search?q=预付卡&{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{message}");
        assert!(body["error"]["message_en"].as_str().unwrap().is_ascii(), "{body}");
    }
    // As written: a client would normalise the `..` away.
    let response = app.get("/api/docs/../../etc/passwd").await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.text.contains("\"invalid_id\""), "{}", response.text);
    let (status, body) = get(&app, "/api/docs/warnings/no-such-thing").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, body) = get(&app, "/api/nothing-here").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn no_query_string_causes_a_server_error() {
    let app = App::fixture().await;
    let long = "预".repeat(2_000); // 18 kB encoded: as long as a URL gets in practice
    for q in [
        "",
        "\"",
        "(((",
        "a:b^2~[x TO y]",
        "%00",
        "%F0%9F%99%82",
        "<script>",
        "-",
        "OR",
        long.as_str(),
        "%E9%A2",
        "'--",
    ] {
        for path in ["/api/search?q=", "/search?q=", "/api/suggest?q="] {
            let response = app.get(&format!("{path}{q}")).await;
            assert!(response.status < 500, "{path}{q}: {}", response.status);
        }
    }
}

#[tokio::test]
async fn documents_come_with_html_toc_and_related() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/docs/laws/sample-consumer-law").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "示例消费者保护法");
    assert_eq!(body["kind"], "law");
    assert_eq!(body["meta"]["issuer"], "测试立法机关");
    let html = body["html"].as_str().unwrap();
    assert!(html.contains("id=\"第二十五条\""), "{html}");
    let toc: Vec<&str> = body["toc"].as_array().unwrap().iter().map(|e| e["label"].as_str().unwrap()).collect();
    assert!(toc.contains(&"第三章 经营者的义务") && toc.contains(&"第二十六条之一"), "{toc:?}");
    assert!(!body["related"].as_array().unwrap().is_empty());
    assert_eq!(body["cited_by"][0]["anchor"], "第二十五条", "{}", body["cited_by"]);
    assert_eq!(body["cited_by"][0]["documents"][0]["id"], "guides/return-goods");
    let (_, warning) = get(&app, "/api/docs/warnings/html-injection").await;
    let html = warning["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("onclick"), "{html}");
}

#[tokio::test]
async fn suggestions_complete_titles_tags_and_questions() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/suggest?q=预付").await;
    assert_eq!(status, 200);
    let suggestions = body["suggestions"].as_array().unwrap();
    assert!(suggestions.len() <= 10);
    assert!(suggestions.iter().any(|s| s["text"] == "预付卡" && s["kind"] == "tag"), "{body}");
    assert!(suggestions.iter().any(|s| s["text"] == "示例预付卡管理办法" && s["kind"] == "title"), "{body}");
    let (_, spelled) = get(&app, "/api/suggest?q=yfk").await;
    assert_eq!(spelled["suggestions"][0]["text"], "预付卡", "pinyin initials: {spelled}");
    let (_, spelled) = get(&app, "/api/suggest?q=shilixiaofeizhe").await;
    assert_eq!(spelled["suggestions"][0]["text"], "示例消费者保护法", "full pinyin: {spelled}");
    let (_, empty) = get(&app, "/api/suggest?q=").await;
    assert_eq!(empty["suggestions"], Value::Array(vec![]));
    // Among titles that match as well, a warning comes before a law; each
    // title says what kind of document it opens.
    let titles: Vec<(&str, &str)> = suggestions
        .iter()
        .filter(|s| s["kind"] == "title")
        .map(|s| (s["text"].as_str().unwrap(), s["document_kind"].as_str().unwrap()))
        .collect();
    let warning = titles.iter().position(|t| *t == ("办理预付卡要当心", "warning")).expect("the warning is offered");
    let law = titles.iter().position(|t| *t == ("示例预付卡管理办法", "law")).expect("the law is offered");
    assert!(warning < law, "{titles:?}");
    // A guide's typical questions are offered, in the words people use.
    let (_, asked) = get(&app, "/api/suggest?q=聊天记录").await;
    assert_eq!(asked["suggestions"][0]["text"], "退东西的时候聊天记录要不要留着", "{asked}");
    assert_eq!(asked["suggestions"][0]["kind"], "faq");
}

#[tokio::test]
async fn warnings_in_force_pinned_first() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/warnings?active=true").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["warnings"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["warnings/prepaid-card", "warnings/html-injection"]);
    assert_eq!(body["warnings"][0]["pinned"], true);
    assert_eq!(body["warnings"][0]["expires"], "2030-03-15");
    let (_, beijing) = get(&app, "/api/warnings?region=北京").await;
    assert_eq!(beijing["warnings"].as_array().unwrap().len(), 2, "nationwide warnings count for every region");
    let (status, _) = get(&app, "/api/warnings?active=maybe").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_api_route_is_documented_and_every_documented_route_answers() {
    let app = App::fixture().await;
    let (status, spec) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let documented: Vec<String> = spec["paths"].as_object().unwrap().keys().cloned().collect();
    for (path, _) in weiquan::web::api::routes() {
        let as_documented = path.replace("{*", "{");
        assert!(documented.contains(&as_documented), "{path} is routed but not in the OpenAPI description");
    }
    for path in ["/api/admin/warnings", "/api/events"] {
        assert!(documented.iter().any(|p| p == path), "{path} is routed elsewhere but must be documented too");
    }
    let save = &spec["paths"]["/api/admin/warnings"]["post"]["responses"];
    assert!(save["200"].is_object() && save["401"].is_object() && save["409"].is_object(), "{save}");
    for (path, operations) in spec["paths"].as_object().unwrap() {
        if operations.get("get").is_none() || path == "/api/events" {
            continue; // the token API is a POST (tests/it/admin/tokens.rs); the event stream has tests of its own
        }
        // A law with two versions: every document address answers for it, its comparison too.
        let response = app.get(&path.replace("{id}", "laws/sample-consumer-law")).await;
        assert_eq!(response.status, 200, "{path}");
    }
}

#[tokio::test]
async fn repeated_searches_and_pages_are_answered_from_the_caches_with_the_same_content() {
    let app = App::fixture().await;
    let url = |q: &str| format!("/api/search?q={q}&per_page=5");
    let (_, first) = get(&app, &url("预付卡%20退款")).await;
    let (_, again) = get(&app, &url("%20预付卡%20退款%20")).await;
    let (_, other_page) = get(&app, &format!("{}&page=2", url("预付卡%20退款"))).await;
    let without_timing = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("took_ms");
        v.as_object_mut().unwrap().remove("search_ref");
        v
    };
    assert_eq!(again["query"], " 预付卡 退款 ", "the query as asked");
    let mut again = without_timing(again);
    again["query"] = first["query"].clone();
    assert_eq!(again, without_timing(first.clone()), "same hits, facets and answer");
    assert_eq!(other_page["page"], 2);
    // Document pages too: the second opening comes from the page cache.
    let page = |id: &str| format!("/api/docs/{id}");
    let (_, law) = get(&app, &page("laws/sample-consumer-law")).await;
    let (_, again) = get(&app, &page("laws/sample-consumer-law")).await;
    assert_eq!(law, again);
    let metrics = app.get("/metrics").await.text;
    for line in [
        "weiquan_cache_lookups_total{cache=\"results\",outcome=\"hit\"} 1",
        "weiquan_cache_lookups_total{cache=\"results\",outcome=\"miss\"} 2",
        "weiquan_cache_lookups_total{cache=\"pages\",outcome=\"hit\"} 1",
        "weiquan_cache_lookups_total{cache=\"pages\",outcome=\"miss\"} 1",
    ] {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }
    assert!(!metrics.contains("weiquan_cache_bytes{cache=\"pages\"} 0\n"), "{metrics}");
}

#[tokio::test]
async fn health_metrics_feed_and_static_files() {
    let app = App::fixture().await;
    let (status, health) = get(&app, "/healthz").await;
    assert_eq!((status, health["status"].as_str(), health["units"].as_u64()), (200, Some("ok"), Some(15)));

    get(&app, "/api/search?q=预付卡").await;
    let metrics = app.get("/metrics").await.text;
    assert!(metrics.contains("weiquan_http_requests_total{route=\"/api/search\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("weiquan_search_duration_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("weiquan_documents 8"), "{metrics}");

    let feed = app.get("/feed.xml").await;
    assert!(feed.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let feed = feed.text;
    assert!(feed.starts_with("<?xml") && feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), "{feed}");
    assert_eq!(feed.matches("<entry>").count(), 2);
    assert!(feed.contains("<title>办理预付卡要当心</title>"));

    let home = app.get("/").await.text;
    let css = home.split("href=\"/static/style.css").nth(1).unwrap().split('"').next().unwrap();
    let style = app.get(&format!("/static/style.css{css}")).await;
    assert_eq!(style.status, 200);
    assert!(style.headers["cache-control"].to_str().unwrap().contains("immutable"));

    let compressed = app.get_with("/api/search?q=预付卡", &[("accept-encoding", "gzip")]).await;
    assert_eq!(compressed.headers["content-encoding"], "gzip");
    let brotli = app.get_with("/", &[("accept-encoding", "br")]).await;
    assert_eq!(brotli.headers["content-encoding"], "br");
}

#[tokio::test]
async fn pages_render_results_documents_and_the_large_text_mode() {
    let app = App::fixture().await;
    // The router follows no redirects: each answer is the one sent.
    let page = app.get("/search?q=七日内退货").await.text;
    assert!(page.contains("<mark>七日内退货</mark>"), "{page}");
    assert!(page.contains("href=\"/docs/laws/sample-consumer-law#第二十五条\""), "{page}");
    assert!(page.contains("<span class=\"badge history\">历史版本</span>"), "older versions are labelled: {page}");
    let old = app.get("/docs/laws/sample-consumer-law-2015").await.text;
    assert!(old.contains("各个版本") && old.contains("<strong>历史版本</strong>"), "{old}");
    assert!(old.contains("href=\"/docs/laws/sample-consumer-law\""), "links the version in force: {old}");
    let expanded = app.get("/search?q=霸王条款").await.text;
    assert!(expanded.contains("同时搜索了：霸王条款 → 格式条款"), "{expanded}");
    let turn_off = "href=\"/search?q=%E9%9C%B8%E7%8E%8B%E6%9D%A1%E6%AC%BE&amp;expand=0\"";
    assert!(expanded.contains(turn_off), "a link searches the words as typed: {expanded}");
    let literal = app.get("/search?q=霸王条款&expand=0").await.text;
    assert!(literal.contains("只搜索了您输入的词"), "{literal}");
    assert!(literal.contains("kind=law&amp;expand=0"), "facet links keep expand=0: {literal}");
    let (_, api) = get(&app, "/api/search?q=霸王条款").await;
    assert_eq!(api["expansions"][0]["also"][0], "格式条款");
    let none = app.get("/search?q=不存在的词语组合").await.text;
    assert!(none.contains("没有找到") && none.contains("12315"), "{none}");
    // Where to complain can be acted on: a button that dials, the platform,
    // and the channels the document names; only laws' titles wear 《》.
    assert!(page.contains("<a class=\"action-button call\" href=\"tel:12315\">拨打12315</a>"), "{page}");
    assert!(page.contains("href=\"https://www.12315.cn\""), "{page}");
    let listed = app.get("/search?q=预付卡").await.text;
    assert!(listed.contains(">办理预付卡要当心</a>") && !listed.contains("《办理预付卡要当心》"), "{listed}");
    let warning = app.get("/docs/warnings/prepaid-card").await.text;
    assert!(warning.contains("遇到问题，去哪里投诉") && warning.contains("tel:12315"), "{warning}");
    assert!(
        warning.contains("<li>示例市市场监督管理局投诉电话 0000-12345</li>"),
        "the document's own channels: {warning}"
    );
    let doc = app.get("/docs/laws/sample-consumer-law").await;
    assert_eq!(doc.status, 200);
    let doc = doc.text;
    assert!(doc.contains("id=\"第二十五条\"") && doc.contains("href=\"#第二十五条\""), "{doc}");
    assert!(
        doc.contains("<a href=\"/docs/laws/sample-consumer-law#第二十五条\">本法第二十五条</a>"),
        "a citation links to the article: {doc}"
    );
    let guide = app.get("/docs/guides/return-goods").await.text;
    assert!(
        guide.contains("href=\"/docs/laws/sample-consumer-law#第二十五条\""),
        "a loaded law links to its article: {guide}"
    );
    assert!(guide.contains("href=\"/search?q="), "a law that is not loaded links to a search: {guide}");
    assert!(
        doc.contains("引用本法条文的内容") && doc.contains("href=\"/docs/guides/return-goods\""),
        "backlinks: {doc}"
    );
    let missing = app.get("/docs/laws/none").await;
    assert_eq!(missing.status, 404);

    let switch = app.get("/prefs?large=1&back=/search%3Fq%3D1").await;
    assert_eq!(switch.status, 303);
    assert_eq!(switch.headers["location"], "/search?q=1");
    let cookie = switch.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let large = app.get_with("/", &[("cookie", &cookie)]).await.text;
    assert!(large.contains("<html lang=\"zh-CN\" class=\"large-text\">"), "{large}");
    let escape = app.get("/prefs?large=1&back=//evil.example").await;
    assert_eq!(escape.headers["location"], "/", "no open redirect");
}

/// (change, old label, new label) of each compared row.
fn compared(body: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let label = |side: &Value| side["label"].as_str().map(String::from);
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["change"].as_str().unwrap().to_string(), label(&row["old"]), label(&row["new"])))
        .collect()
}

#[tokio::test]
async fn two_versions_of_a_law_compare_article_by_article() {
    let app = App::fixture().await;
    let (status, body) = get(&app, "/api/docs/laws/sample-consumer-law/compare").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "示例消费者保护法");
    assert_eq!(
        (body["from"]["id"].as_str(), body["to"]["id"].as_str()),
        (Some("laws/sample-consumer-law-2015"), Some("laws/sample-consumer-law"))
    );
    let owned =
        |(c, o, n): (&str, Option<&str>, Option<&str>)| (c.to_string(), o.map(String::from), n.map(String::from));
    let expected: Vec<_> = [
        ("added", None, None),
        ("added", None, Some("第一条")),
        ("added", None, Some("第二条")),
        ("modified", Some("第二十五条"), Some("第二十五条")),
        ("added", None, Some("第二十六条")),
        ("added", None, Some("第二十六条之一")),
        ("added", None, Some("第五十五条")),
    ]
    .into_iter()
    .map(owned)
    .collect();
    assert_eq!(compared(&body), expected);
    assert_eq!(
        body["counts"],
        serde_json::json!({"modified": 1, "added": 6, "deleted": 0, "renumbered": 0, "unchanged": 0})
    );
    let changed = &body["rows"][3];
    assert_eq!(changed["old"]["html"], "经营者通过网络销售商品的，消费者<del>可以在</del>七日内退货。");
    assert_eq!(
        changed["new"]["html"],
        "经营者通过网络销售商品的，消费者<ins>有权自收到商品之日起</ins>七日内退货<ins>，且无需说明理由。\n消费者退货的商品应当完好</ins>。"
    );
    assert_eq!(changed["new"]["chapter"], "第三章 经营者的义务 / 第一节 一般规定");

    // Versions named by date give the same; swapped, additions become deletions.
    let (_, by_date) = get(&app, "/api/docs/laws/sample-consumer-law-2015/compare?from=2015-01-01&to=2020-05-01").await;
    assert_eq!(by_date, body);
    let (_, back) = get(&app, "/api/docs/laws/sample-consumer-law/compare?from=2020-05-01&to=2015-01-01").await;
    assert_eq!((back["counts"]["deleted"].as_u64(), back["counts"]["added"].as_u64()), (Some(6), Some(0)));
    assert_eq!(back["rows"][3]["old"]["html"], changed["new"]["html"].as_str().unwrap().replace("ins>", "del>"));

    // The page: two columns of text, offered from the law's page.
    let page = app.get("/docs/laws/sample-consumer-law/compare").await;
    assert_eq!(page.status, 200);
    let page = page.text;
    assert!(page.contains("<title>《示例消费者保护法》版本对照 - 消费维权知识库</title>"), "{page}");
    assert!(
        page.contains("消费者<del>可以在</del>七日内退货") && page.contains("<ins>有权自收到商品之日起</ins>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"laws/sample-consumer-law-2015\" selected>2015-01-01 版（已修改）</option>"),
        "{page}"
    );
    assert!(page.contains("id=\"to-第二十五条\""), "{page}");
    let law = app.get("/docs/laws/sample-consumer-law").await.text;
    assert!(law.contains("href=\"/docs/laws/sample-consumer-law/compare\""), "{law}");
    assert!(
        law.contains("href=\"/docs/laws/sample-consumer-law/compare?from=laws%2Fsample-consumer-law-2015&amp;to=laws%2Fsample-consumer-law\""),
        "each version links its comparison with the one before: {law}"
    );
}

#[tokio::test]
async fn bad_comparisons_get_400_or_404_in_chinese_and_english() {
    let app = App::fixture().await;
    let law = "/api/docs/laws/sample-consumer-law/compare";
    for (query, chinese) in [
        ("from=1999-01-01", "参数 from 的值“1999-01-01”不是这部法规的版本，可选：2020-05-01、2015-01-01"),
        ("to=laws/old-regulation", "参数 to 的值“laws/old-regulation”不是这部法规的版本"),
        ("from=laws/sample-consumer-law&to=2020-05-01", "请选择两个不同的版本进行对照"),
        ("from=2015-01-01&from=2020-05-01", "查询参数格式有误"),
    ] {
        let (status, body) = get(&app, &format!("{law}?{query}")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")), "{query}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with(chinese), "{query}: {body}");
        assert!(body["error"]["message_en"].as_str().unwrap().is_ascii(), "{query}: {body}");
    }
    for (path, chinese) in [
        ("laws/old-regulation", "本库中只有这一个版本，没有可以对照的其他版本"),
        ("warnings/prepaid-card", "本库中只有这一个版本，没有可以对照的其他版本"),
        ("laws/none", "没有找到这个页面或文档"),
    ] {
        let (status, body) = get(&app, &format!("/api/docs/{path}/compare")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{path}: {body}");
        assert_eq!(body["error"]["message"], chinese, "{path}");
    }
    let response = app.get("/api/docs/../laws/sample-consumer-law/compare").await;
    assert!(response.status == 400 && response.text.contains("\"invalid_id\""), "{}", response.text);
    // The page explains the same in Chinese.
    let page = app.get("/docs/laws/sample-consumer-law/compare?to=1999-01-01").await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("参数 to 的值“1999-01-01”不是这部法规的版本"));
    let page = app.get("/docs/laws/old-regulation/compare").await;
    assert_eq!(page.status, 404);
    assert!(page.text.contains("本库中只有这一个版本"));
}

#[tokio::test]
async fn hostile_text_in_compared_versions_stays_text() {
    let content = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = content.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "laws/hostile-2019.md",
        "+++\ntitle = \"恶意测试法\"\ndate = 2019-01-01\n+++\n\n第一条 经营者<script>alert(1)</script>应当退货。\n",
    );
    write(
        "laws/hostile.md",
        "+++\ntitle = \"恶意测试法\"\ndate = 2024-01-01\n+++\n\n第一条 经营者<img src=x onerror=alert(2)>应当退货。\n",
    );
    // A document whose own id ends in /compare is still its own page.
    write("guides/compare.md", "+++\ntitle = \"如何比较商品价格\"\n+++\n\n货比三家。\n");
    let app = App::over(content.path().to_path_buf()).await;
    let (status, body) = get(&app, "/api/docs/laws/hostile/compare").await;
    assert_eq!(status, 200, "{body}");
    let row = &body["rows"][0];
    assert_eq!(row["change"], "modified");
    // Escaped text, compared character by character: `<`, `alert(` and `>` are in both.
    assert_eq!(row["old"]["html"], "经营者&lt;<del>script&gt;</del>alert(<del>1)&lt;/script</del>&gt;应当退货。");
    assert_eq!(row["new"]["html"], "经营者&lt;<ins>img src=x onerror=</ins>alert(<ins>2)</ins>&gt;应当退货。");
    let page = app.get("/docs/laws/hostile/compare").await.text;
    assert!(page.contains("alert(<del>1)&lt;/script</del>&gt;"), "{page}");
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{page}");
    let guide = app.get("/docs/guides/compare").await;
    assert_eq!(guide.status, 200);
    assert!(guide.text.contains("<h1>如何比较商品价格</h1>"));
}

#[tokio::test]
async fn explain_shows_each_feature_and_weight_that_make_the_score() {
    let app = App::fixture().await;
    let (status, plain) = get(&app, "/api/search?q=七日内退货").await;
    assert_eq!(status, 200);
    assert!(plain["hits"][0].get("explain").is_none(), "no explanation unless asked: {plain}");

    let (status, body) = get(&app, "/api/search?q=七日内退货&explain=1").await;
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for hit in hits {
        let parts = hit["explain"].as_array().unwrap_or_else(|| panic!("explain missing: {hit}"));
        let mut sum = 0.0;
        for part in parts {
            let (value, weight) = (part["value"].as_f64().unwrap(), part["weight"].as_f64().unwrap());
            let contribution = part["contribution"].as_f64().unwrap();
            assert!((value * weight - contribution).abs() < 1e-3, "{part}");
            sum += contribution;
        }
        assert!((sum - hit["score"].as_f64().unwrap()).abs() < 0.01, "the parts add up to the score: {hit}");
    }
    let first: Vec<&str> =
        hits[0]["explain"].as_array().unwrap().iter().map(|p| p["feature"].as_str().unwrap()).collect();
    assert!(first.contains(&"bm25_body") && first.contains(&"coverage"), "{first:?}");
    // The ranking is the order of the scores.
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    let (status, body) = get(&app, "/api/search?q=七日内退货&explain=2").await;
    assert_eq!(status, 400);
    assert!(body["error"]["message_en"].as_str().unwrap().contains("invalid explain `2`"), "{body}");
}
