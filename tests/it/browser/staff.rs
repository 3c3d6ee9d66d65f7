//! Staff at a desktop: writing and publishing a warning with the preview,
//! picking tags, and the insights a visitor's feedback reaches.

use crate::common;

use common::spawn_staff_server;
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{WAIT, browser, save_screenshot, script, search_for, text_of, within_5s};

/// Signs in through the admin's form and waits for the content list.
async fn sign_in(client: &Client, base: &str, name: &str, password: &str) {
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    let field = client.wait().at_most(WAIT).for_element(Locator::Css("input[name=name]")).await.unwrap();
    field.send_keys(name).await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
    client.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("table.admin-list")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_writes_a_warning_with_the_preview_and_publishes_it() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    client.set_window_size(1366, 900).await.unwrap();
    sign_in(client, &staff.base, "pub", "publisher-pass").await;

    client.goto(&format!("{}/admin/edit?kind=warning", staff.base)).await.unwrap();
    let field = |name: &'static str| {
        Locator::Css(match name {
            "slug" => "input[name=slug]",
            "title" => "input[name=title]",
            "summary" => "textarea[name=summary]",
            _ => "textarea[name=body]",
        })
    };
    for (name, text) in [
        ("slug", "browser-juicer"),
        ("title", "蓝莓牌榨汁机刀片松动警示"),
        ("summary", "部分蓝莓牌榨汁机刀片可能松动，请停止使用。"),
        ("body", "## 发生了什么\n\n蓝莓牌榨汁机刀片可能松动。依据《示例消费者保护法》第二十五条，可以要求退货。"),
    ] {
        client.wait().at_most(WAIT).for_element(field(name)).await.unwrap().send_keys(text).await.unwrap();
    }
    // The preview renders the body with the citation linked to the article.
    let link = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#preview a[href*='sample-consumer-law']"))
        .await
        .expect("the preview links the citation");
    assert!(link.text().await.unwrap().contains("第二十五条"));
    save_screenshot(client, "admin-editor").await;
    // Publishing asks first: dismissed, nothing is saved; accepted, it goes out.
    let publish = client.find(Locator::Css("button[value=publish]")).await.unwrap();
    publish.click().await.unwrap();
    assert_eq!(client.get_alert_text().await.unwrap(), "发布后公众立即可以看到，确定发布吗？");
    client.dismiss_alert().await.unwrap();
    assert!(!staff.content.join("warnings/browser-juicer.md").exists(), "a dismissed publish saves nothing");
    publish.click().await.unwrap();
    client.accept_alert().await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_url(&format!("{}/admin/edit?id=warnings/browser-juicer&done=publish", staff.base).parse().unwrap())
        .await
        .unwrap();
    let notice = text_of(client, "p.notice[role=status]").await;
    assert_eq!(notice, "已发布，公众现在可以看到 · 查看");

    // The public site has it at once.
    client.goto(&staff.base).await.unwrap();
    search_for(client, "蓝莓牌榨汁机").await;
    let hit = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("a[href^='/docs/warnings/browser-juicer?from=']"))
        .await
        .expect("the published warning is a search result");
    hit.click().await.unwrap();
    // The document's heading, not the results page's hidden one.
    assert_eq!(text_of(client, "article.document h1").await, "蓝莓牌榨汁机刀片松动警示");
    save_screenshot(client, "admin-published-warning").await;
    browser.client.clone().close().await.unwrap();
}

/// At a desktop, staff pick a warning's tags from the vocabulary's grouped
/// boxes (the filter box narrows them), and the saved file has them.
#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_picks_tags_from_the_vocabulary() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    std::fs::write(staff.content.join("tags.txt"), "# 领域\n网购 健身房\n# 问题\n预付卡 商家跑路\n").unwrap();
    client.set_window_size(1366, 900).await.unwrap();
    sign_in(client, &staff.base, "pub", "publisher-pass").await;
    client.goto(&format!("{}/admin/edit?kind=warning", staff.base)).await.unwrap();
    for (css, text) in [
        ("input[name=slug]", "browser-gym"),
        ("input[name=title]", "健身房闭店警示"),
        ("textarea[name=body]", "健身房突然闭店时，保留好会员合同和付款记录。"),
    ] {
        client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap().send_keys(text).await.unwrap();
    }
    // The filter box narrows the boxes to the tags holding what is typed.
    let filter = client.find(Locator::Css("#tags .tag-filter")).await.unwrap();
    filter.send_keys("预付").await.unwrap();
    let shown =
        "[...document.querySelectorAll('#tags label.check')].filter(l => l.offsetParent).map(l => l.textContent)";
    assert!(within_5s(client, &format!("return {shown}"), json!(["预付卡"])).await, "only 预付卡 is shown");
    client.find(Locator::Css("#tags input[value='预付卡']")).await.unwrap().click().await.unwrap();
    filter.clear().await.unwrap();
    filter.send_keys(" ").await.unwrap();
    client.find(Locator::Css("#tags input[value='健身房']")).await.unwrap().click().await.unwrap();
    save_screenshot(client, "admin-editor-tags").await;
    client.find(Locator::Css("button[value=draft]")).await.unwrap().click().await.unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_url(&format!("{}/admin/edit?id=warnings/browser-gym&done=edit", staff.base).parse().unwrap())
        .await
        .unwrap();
    let file = std::fs::read_to_string(staff.content.join("warnings/browser-gym.md")).unwrap();
    assert!(file.contains("tags = [\"健身房\", \"预付卡\"]"), "{file}");
    let ticked = "return [...document.querySelectorAll('#tags input:checked')].map(i => i.value)";
    assert_eq!(script(client, ticked).await, json!(["健身房", "预付卡"]), "the editor shows them ticked");
    browser.client.clone().close().await.unwrap();
}

/// Searches of the last five weeks: 预付卡 rising, 直播 退款 finding nothing,
/// from the website and two kiosks.
fn seed_insights(insights: &weiquan::insights::Insights, now: chrono::DateTime<chrono::Utc>) {
    use weiquan::insights::{Channel, Search};
    let add = |days_ago: i64, query: &str, results: u64, channel: Channel, times: usize| {
        for i in 0..times {
            insights.record_search(
                Search {
                    at: now - chrono::Duration::days(days_ago) - chrono::Duration::minutes(i as i64),
                    query: query.into(),
                    results,
                    region: matches!(channel, Channel::Kiosk(_)).then(|| "上海".to_string()),
                    channel: channel.clone(),
                    search_ref: weiquan::insights::new_search_ref(),
                    topics: query.split(' ').map(String::from).collect(),
                },
                None,
            );
        }
    };
    for days_ago in 0..35 {
        let busy = if days_ago < 7 { 9 } else { 2 };
        add(days_ago, "预付卡", 14, Channel::Web, busy);
        add(days_ago, "网购 七天无理由退货", 21, Channel::Web, 3);
        add(days_ago, "健身房 跑路", 6, Channel::Kiosk("mall-1".into()), (days_ago % 3) as usize);
        add(days_ago, "外卖 食品安全", 9, Channel::Kiosk("mall-2".into()), 1);
        if days_ago < 10 {
            add(days_ago, "直播 退款", 0, Channel::Api, 2);
        }
    }
    insights.flush();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_answers_feedback_and_staff_see_what_rose_and_what_failed() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let staff = spawn_staff_server().await;
    seed_insights(&staff.insights, staff.clock.utc());
    client.set_window_size(1366, 900).await.unwrap();

    // A visitor opens a warning and says it did not help, with a comment.
    client.goto(&format!("{}/docs/warnings/prepaid-card", staff.base)).await.unwrap();
    let comment = client.wait().at_most(WAIT).for_element(Locator::Css("#feedback textarea")).await.unwrap();
    comment.send_keys("退款要准备哪些材料没写清楚").await.unwrap();
    script(client, "document.getElementById('feedback').scrollIntoView()").await;
    save_screenshot(client, "document-feedback").await;
    client.find(Locator::Css("#feedback button[value=no]")).await.unwrap().click().await.unwrap();
    let thanks = client.wait().at_most(WAIT).for_element(Locator::Css("#feedback [role=status]")).await.unwrap();
    assert!(thanks.text().await.unwrap().contains("谢谢您的反馈"));
    staff.insights.flush();

    // Staff see it with the rising and failing queries.
    sign_in(client, &staff.base, "ed", "editor-pass1").await;
    client.find(Locator::LinkText("查询统计")).await.unwrap().click().await.unwrap();
    let rising = client.wait().at_most(WAIT).for_element(Locator::Css("#rising table")).await.unwrap();
    let first_rising = rising.find(Locator::Css("tbody tr td")).await.unwrap().text().await.unwrap();
    assert_eq!(first_rising, "预付卡");
    let failing = client.find(Locator::Css("#failing tbody")).await.unwrap().text().await.unwrap();
    assert!(failing.contains("健身房 跑路") && !failing.contains("直播 退款"), "people's only: {failing}");
    let feedback = client.find(Locator::Css("#feedback tbody")).await.unwrap().text().await.unwrap();
    assert!(feedback.contains("退款要准备哪些材料没写清楚"), "{feedback}");
    let bars = script(client, "return document.querySelectorAll('#volume svg rect').length").await;
    assert_eq!(bars.as_u64(), Some(28), "one bar a day for four weeks");
    save_screenshot(client, "admin-insights").await;
    // The API's searches are a choice apart.
    client.find(Locator::Css("select[name=source] option[value=api]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css(".insights-filter button[type=submit]")).await.unwrap().click().await.unwrap();
    // Read the table once the form has navigated, not from the page it left.
    let api = "return location.search.includes('source=api')";
    assert!(within_5s(client, api, json!(true)).await, "the filter was not applied");
    assert!(text_of(client, "#failing tbody").await.contains("直播 退款"));
    client.back().await.unwrap();
    assert!(within_5s(client, api, json!(false)).await, "back did not return to the people's searches");
    client.find(Locator::LinkText("本周简报（可打印）")).await.unwrap().click().await.unwrap();
    let summary = client.wait().at_most(WAIT).for_element(Locator::Css(".weekly-summary")).await.unwrap();
    assert!(summary.text().await.unwrap().contains("上升最快的话题：“预付卡”"));
    save_screenshot(client, "admin-insights-weekly").await;
}
