//! Staff insights through the real website, API and admin: a real server on
//! loopback, the rows in the real SQLite file, the pages staff read.

use crate::common;

use common::{Staff, form_value, signed_in, spawn_staff_server_limited, spawn_staff_server_with};
use rusqlite::Connection;
use weiquan::insights::Limits;
use weiquan::web::config::KioskConfig;

fn kiosks() -> std::collections::BTreeMap<String, KioskConfig> {
    let kiosk = KioskConfig { region: Some("上海".into()), ..KioskConfig::default() };
    [("mall-1".to_string(), kiosk)].into()
}

async fn staff_server() -> Staff {
    spawn_staff_server_with(kiosks()).await
}

fn database(staff: &Staff) -> Connection {
    staff.insights.flush();
    Connection::open(staff.data.join(weiquan::publish::Store::FILE)).unwrap()
}

/// Every row of `table` as text, columns joined with `|`.
fn rows(conn: &Connection, table: &str, columns: &str) -> Vec<String> {
    let mut statement = conn.prepare(&format!("SELECT {columns} FROM {table} ORDER BY id")).unwrap();
    let count = statement.column_count();
    statement
        .query_map([], |row| {
            Ok((0..count)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "-".to_string(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    value => value.as_str().unwrap().to_string(),
                })
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The first result link of a search results page.
fn first_result_link(page: &str) -> String {
    let hits = &page[page.find("class=\"hits\"").expect("a result list")..];
    let start = hits.find("href=\"").unwrap() + "href=\"".len();
    hits[start..].split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test]
async fn searching_and_opening_results_record_rows_without_anything_personal() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::builder().user_agent("visitor-agent/1.0").build().unwrap();

    // The website: search, then open the first result by its link.
    let page = visitor.get(format!("{}/search?q=預付卡", staff.base)).send().await.unwrap();
    assert!(page.headers().get("set-cookie").is_none(), "searching sets no cookie");
    let link = first_result_link(&page.text().await.unwrap());
    assert!(link.contains("?from=") && link.contains("&pos=1"), "{link}");
    let opened = visitor.get(format!("{}{link}", staff.base)).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    let doc = link.trim_start_matches("/docs/").split('?').next().unwrap().to_string();

    // A kiosk, through the API as its script asks: the search, then the second result.
    let answer: serde_json::Value = visitor
        .get(format!("{}/api/search?per_page=10&kiosk=mall-1&q=预付卡", staff.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let search_ref = answer["search_ref"].as_str().expect("a first page has a search reference");
    let second = answer["hits"][1]["id"].as_str().unwrap().to_string();
    let url = format!("{}/api/docs/{second}?from={search_ref}&pos=2", staff.base);
    assert_eq!(visitor.get(url).send().await.unwrap().status(), 200);

    // A search that finds nothing, a second page, and an empty query.
    visitor.get(format!("{}/search?q=量子纠缠态", staff.base)).send().await.unwrap();
    visitor.get(format!("{}/search?q=预付卡&page=2", staff.base)).send().await.unwrap();
    visitor.get(format!("{}/api/search?q=", staff.base)).send().await.unwrap();

    let conn = database(&staff);
    let searches = rows(&conn, "searches", "query, results > 0, channel, kiosk, region");
    assert_eq!(searches, ["预付卡|1|web|-|-", "预付卡|1|kiosk|mall-1|上海", "量子纠缠态|0|web|-|-"]);
    let topics = rows(&conn, "topics", "topic");
    assert_eq!(topics[..2], ["预付卡", "预付卡"], "the words each search is about: {topics:?}");
    let opens = rows(&conn, "opens", "position, doc");
    assert_eq!(opens, [format!("1|{doc}"), format!("2|{second}")]);
    let joined = "(SELECT o.id, s.channel FROM opens o JOIN searches s ON o.search_ref = s.search_ref)";
    let refs = rows(&conn, joined, "channel");
    assert_eq!(refs, ["web", "kiosk"], "each open is tied to its search");

    let metrics = visitor.get(format!("{}/metrics", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("weiquan_insights_dropped_total 0"), "no event was dropped: {metrics}");

    // Nothing that identifies the visitor is anywhere in the tables.
    for table in ["searches", "topics", "opens", "feedback"] {
        let everything = rows(&conn, table, "*").join("\n");
        for personal in ["127.0.0.1", "visitor-agent", "wq_"] {
            assert!(!everything.contains(personal), "{table} holds {personal}: {everything}");
        }
    }
}

#[tokio::test]
async fn feedback_is_recorded_once_per_valid_form_and_rate_limited() {
    let staff = staff_server().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{}/docs/warnings/prepaid-card", staff.base)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("这条内容对您有帮助吗？"), "{page}");
    let token = form_value(&page, "token");
    let send = |token: String, origin: Option<&'static str>, comment: &'static str| {
        let mut request = client.post(format!("{}/feedback", staff.base)).form(&[
            ("doc", "warnings/prepaid-card"),
            ("token", token.as_str()),
            ("helpful", "no"),
            ("comment", comment),
        ]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };

    let answer = send(token.clone(), None, "看不懂退款的步骤").await.unwrap();
    assert_eq!(answer.status(), 303);
    let thanks = answer.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(thanks, "/docs/warnings/prepaid-card?feedback=thanks#feedback");
    let thanked = client.get(format!("{}{thanks}", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(thanked.contains("谢谢您的反馈") && !thanked.contains("name=\"token\""));

    // Forged forms: no token, a token for another document, another site.
    assert_eq!(send(String::new(), None, "x").await.unwrap().status(), 403);
    let other = client.get(format!("{}/docs/guides/return-goods", staff.base)).send().await.unwrap();
    let other_token = form_value(&other.text().await.unwrap(), "token");
    assert_eq!(send(other_token, None, "x").await.unwrap().status(), 403);
    assert_eq!(send(token.clone(), Some("https://evil.example"), "x").await.unwrap().status(), 403);

    // One address gets a burst of ten, then 429.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(send(token.clone(), None, "").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 9, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429));

    let conn = database(&staff);
    let feedback = rows(&conn, "feedback", "doc, helpful, comment");
    assert_eq!(feedback.len(), 10);
    assert_eq!(feedback[0], "warnings/prepaid-card|0|看不懂退款的步骤");
}

#[tokio::test]
async fn staff_read_the_insights_with_charts_csv_and_a_weekly_summary() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::new();
    for query in ["预付卡", "预付卡", "预付卡", "直播 退款 量子纠缠态"] {
        visitor.get(format!("{}/search?q={query}", staff.base)).send().await.unwrap();
    }
    staff.insights.flush();

    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let refused = anonymous.get(format!("{}/admin/insights", staff.base)).send().await.unwrap();
    assert_eq!(refused.headers()["location"], "/admin/login");

    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = editor.get(format!("{}/admin/insights", staff.base)).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    let section = |id: &str| {
        let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id}"));
        page[start..].split("</section>").next().unwrap().to_string()
    };
    assert!(section("totals").contains("查询 <strong>4</strong> 次"), "{}", section("totals"));
    assert!(section("top").contains("预付卡"));
    assert!(section("failing").contains("直播 退款 量子纠缠态"));
    assert!(section("rising").contains("预付卡"), "three searches this week, none before");

    // Every chart is well-formed SVG with a title.
    let mut charts = 0;
    for piece in page.split("<svg").skip(1) {
        let svg = format!("<svg{}</svg>", piece.split("</svg>").next().unwrap());
        let parsed = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        assert_eq!(parsed.root_element().tag_name().name(), "svg");
        assert!(parsed.descendants().any(|n| n.has_tag_name("title")));
        charts += 1;
    }
    assert_eq!(charts, 2, "daily volume and channels");

    // The CSV of the top queries reads back as the same figures.
    let today = staff.clock.today();
    let filter = weiquan::insights::Filter {
        from: today - chrono::Duration::days(27),
        to: today,
        region: None,
        zone: staff.clock.zone(),
        source: weiquan::insights::Source::default(),
    };
    let report = staff.insights.report(&filter).unwrap();
    let csv = editor.get(format!("{}/admin/insights.csv?table=top", staff.base)).send().await.unwrap();
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("insights-top-"));
    let csv = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["查询", "次数", "没有结果", "打开了结果", "平均结果数"]);
    let read: Vec<(String, u64, u64)> = reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect();
    let expected: Vec<(String, u64, u64)> =
        report.top_queries.iter().map(|r| (r.query.clone(), r.searches, r.zero_results)).collect();
    assert_eq!(read, expected);
    assert_eq!(read[0], ("预付卡".to_string(), 3, 0));
    let unknown = editor.get(format!("{}/admin/insights.csv?table=nope", staff.base)).send().await.unwrap();
    assert_eq!(unknown.status(), 400);

    let weekly = editor.get(format!("{}/admin/insights/weekly", staff.base)).send().await.unwrap();
    let weekly = weekly.text().await.unwrap();
    assert!(weekly.contains("共查询 4 次"), "{weekly}");
    assert!(weekly.contains("上升最快的话题：“预付卡”（本周 3 次"), "{weekly}");
    assert!(weekly.contains("没有找到答案的查询：") && weekly.contains("直播 退款 量子纠缠态"), "{weekly}");
}

/// Every cell of a CSV export, without the byte-order mark.
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

#[tokio::test]
async fn formulas_in_queries_and_comments_reach_the_csv_exports_as_plain_text() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::new();
    let formula = r#"=HYPERLINK("http://evil.example","x")"#;
    for query in [formula, "-2+3", "@SUM(1+1)"] {
        let url = reqwest::Url::parse_with_params(&format!("{}/search", staff.base), [("q", query)]).unwrap();
        assert_eq!(visitor.get(url).send().await.unwrap().status(), 200);
    }
    let page = visitor.get(format!("{}/docs/warnings/prepaid-card", staff.base)).send().await.unwrap();
    let token = form_value(&page.text().await.unwrap(), "token");
    let comment = "+cmd|' /C calc'!A0";
    let form = [("doc", "warnings/prepaid-card"), ("token", &token), ("helpful", "no"), ("comment", comment)];
    visitor.post(format!("{}/feedback", staff.base)).form(&form).send().await.unwrap();
    staff.insights.flush();

    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let export = |table: &'static str| {
        let editor = editor.clone();
        let url = format!("{}/admin/insights.csv?table={table}", staff.base);
        async move { csv_cells(&editor.get(url).send().await.unwrap().text().await.unwrap()) }
    };
    let top = export("top").await;
    let queries: Vec<&str> = top.iter().skip(1).map(|row| row[0].as_str()).collect();
    for expected in [r#"'=hyperlink("http://evil.example","x")"#, "'-2+3", "'@sum(1+1)"] {
        assert!(queries.contains(&expected), "{expected} not in {queries:?}");
    }
    let feedback = export("feedback").await;
    assert_eq!(feedback[1][3], format!("'{comment}"));
    for table in ["top", "failing", "rising", "feedback"] {
        for cell in export(table).await.iter().flatten() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{table}: {cell}");
        }
    }
}

/// A section of an admin page by its id.
fn section(page: &str, id: &str) -> String {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id}"));
    page[start..].split("</section>").next().unwrap().to_string()
}

#[tokio::test]
async fn made_up_regions_and_kiosks_are_not_recorded() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::new();
    let long_region = "x".repeat(15_000);
    for (region, kiosk) in [(long_region.as_str(), ""), ("火星", ""), ("北京", ""), ("", "fake-99"), ("", "mall-1")]
    {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/search", staff.base),
            [("q", "预付卡"), ("region", region), ("kiosk", kiosk)],
        )
        .unwrap();
        let answer = visitor.get(url).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{region:.10} {kiosk}");
    }
    let conn = database(&staff);
    let searches = rows(&conn, "searches", "channel, kiosk, region");
    assert_eq!(searches, ["api|-|-", "api|-|-", "api|-|北京", "api|-|-", "kiosk|mall-1|上海"]);
    let longest: i64 = conn.query_row("SELECT MAX(LENGTH(region)) FROM searches", [], |row| row.get(0)).unwrap();
    assert_eq!(longest, 2, "no long region is stored");

    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = editor.get(format!("{}/admin/insights", staff.base)).send().await.unwrap().text().await.unwrap();
    let filter = &page[page.find("name=\"region\"").unwrap()..];
    let filter = filter.split("</select>").next().unwrap();
    assert_eq!(filter.matches("<option").count(), 3, "全部地区, 上海 and 北京 only: {filter}");
    assert!(!filter.contains("xxx") && !filter.contains("火星"), "{filter}");
    let channels = section(&page, "channels");
    assert!(channels.contains("终端 mall-1") && !channels.contains("fake-99"), "{channels}");
}

#[tokio::test]
async fn an_opened_result_counts_once_per_search() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::new();
    let page = visitor.get(format!("{}/search?q=预付卡", staff.base)).send().await.unwrap().text().await.unwrap();
    let link = first_result_link(&page);
    for _ in 0..30 {
        assert_eq!(visitor.get(format!("{}{link}", staff.base)).send().await.unwrap().status(), 200);
    }
    // Another result of the same list, and a reference no search was given.
    let (path, query) = link.split_once('?').unwrap();
    let second = format!("{}{path}?{}", staff.base, query.replace("pos=1", "pos=2"));
    assert_eq!(visitor.get(second).send().await.unwrap().status(), 200);
    let forged = format!("{}{path}?from=0123456789abcdef&pos=1", staff.base);
    assert_eq!(visitor.get(forged).send().await.unwrap().status(), 200);

    let conn = database(&staff);
    assert_eq!(rows(&conn, "opens", "position"), ["1"]);
    let today = staff.clock.today();
    let filter = weiquan::insights::Filter {
        from: today - chrono::Duration::days(1),
        to: today,
        region: None,
        zone: staff.clock.zone(),
        source: weiquan::insights::Source::default(),
    };
    assert_eq!(staff.insights.report(&filter).unwrap().totals.opens, 1);
}

#[tokio::test]
async fn a_flood_from_one_address_is_recorded_only_up_to_the_daily_cap() {
    let limits = Limits { searches_per_address: 5, ..Limits::default() };
    let staff = spawn_staff_server_limited(kiosks(), limits).await;
    let visitor = reqwest::Client::new();
    let mut references = Vec::new();
    for n in 0..12 {
        let url = format!("{}/api/search?q=垃圾{n}", staff.base);
        let answer: serde_json::Value = visitor.get(url).send().await.unwrap().json().await.unwrap();
        references.push(answer["search_ref"].is_string());
    }
    assert_eq!(references, [[true; 5].as_slice(), &[false; 7]].concat(), "answered, but recorded up to the cap");
    let page = visitor.get(format!("{}/search?q=预付卡", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(!first_result_link(&page).contains("from="), "the website's searches count against the same cap");

    let conn = database(&staff);
    assert_eq!(rows(&conn, "searches", "query").len(), 5);
    let metrics = visitor.get(format!("{}/metrics", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("weiquan_insights_capped_total 8"), "{metrics}");
    for table in ["searches", "topics", "opens"] {
        assert!(!rows(&conn, table, "*").join("\n").contains("127.0.0.1"), "the address is not stored in {table}");
    }
}

/// Other systems' API searches are counted apart: by default the page, the
/// CSV exports and the weekly summary count the website and kiosks only, so
/// a flood of API calls cannot become the rising topics or make it seem
/// nobody opens a result; choosing 接口 shows the API's alone, and the
/// searches by channel show both.
#[tokio::test]
async fn api_searches_are_counted_apart_from_peoples() {
    let staff = staff_server().await;
    let visitor = reqwest::Client::new();
    for _ in 0..6 {
        visitor.get(format!("{}/api/search?q=批量同步测试", staff.base)).send().await.unwrap();
    }
    let page = visitor.get(format!("{}/search?q=预付卡", staff.base)).send().await.unwrap().text().await.unwrap();
    visitor.get(format!("{}{}", staff.base, first_result_link(&page))).send().await.unwrap();
    visitor.get(format!("{}/search?q=预付卡", staff.base)).send().await.unwrap();
    visitor.get(format!("{}/api/search?kiosk=mall-1&q=预付卡", staff.base)).send().await.unwrap();
    staff.insights.flush();
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let get = |path: &str| {
        let request = editor.get(format!("{}{path}", staff.base)).send();
        async { request.await.unwrap().text().await.unwrap() }
    };

    let people = get("/admin/insights").await;
    assert!(section(&people, "totals").contains("查询 <strong>3</strong> 次"), "{}", section(&people, "totals"));
    assert!(section(&people, "totals").contains("没有打开任何结果 <strong>2</strong> 次（67%）"));
    for id in ["rising", "failing", "top"] {
        assert!(!section(&people, id).contains("批量同步测试"), "{id}: {}", section(&people, id));
    }
    assert!(section(&people, "rising").contains("预付卡"));
    let channels = section(&people, "channels");
    assert!(channels.contains("接口") && channels.contains("网站") && channels.contains("终端 mall-1"), "{channels}");
    assert!(people.contains("统计的是<strong>公众（网站和终端）</strong>的查询"));

    let api = get("/admin/insights?source=api").await;
    assert!(section(&api, "totals").contains("查询 <strong>6</strong> 次"), "{}", section(&api, "totals"));
    assert!(section(&api, "top").contains("批量同步测试") && !section(&api, "top").contains("预付卡"));
    assert!(api.contains("<option value=\"api\" selected>接口（API）</option>"), "the choice is kept");
    assert!(api.contains("/admin/insights.csv?table=top&amp;") && api.contains("source=api"), "exports follow it");

    let csv = get("/admin/insights.csv?table=top").await;
    assert!(csv.contains("预付卡") && !csv.contains("批量同步测试"), "{csv}");
    let csv = get("/admin/insights.csv?table=top&source=api").await;
    assert!(csv.contains("批量同步测试") && !csv.contains("预付卡"), "{csv}");

    let weekly = get("/admin/insights/weekly").await;
    assert!(weekly.contains("共查询 3 次") && !weekly.contains("批量同步测试"), "{weekly}");
    let weekly = get("/admin/insights/weekly?source=api").await;
    assert!(weekly.contains("共查询 6 次") && weekly.contains("批量同步测试"), "{weekly}");
}
