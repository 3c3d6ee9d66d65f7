//! A visitor on the public site: searching, filtering and reading on a phone
//! and a desktop, and a legal word's definition in a guide.

use crate::common;

use common::{eventually, spawn_server};
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{WAIT, browser, save_screenshot, script, search_for, text_of};

/// A visitor's whole journey at one screen size.
async fn journey(client: &Client, base: &str, size: &str, (width, height): (u32, u32)) {
    client.set_window_size(width, height).await.unwrap();
    client.goto(base).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "首页 - 消费维权知识库");
    save_screenshot(client, &format!("{size}-home")).await;
    // The pinned warning heads the page, on the first screen of a phone too.
    assert_eq!(text_of(client, ".urgent-banner a").await, "办理预付卡要当心");
    let banner =
        script(client, "return document.querySelector('.urgent-banner a').getBoundingClientRect().bottom").await;
    assert!(banner.as_f64().unwrap() < f64::from(height) / 2.0, "the urgent banner at the top: {banner}");

    // Suggestions appear while typing.
    let input = client.find(Locator::Css("#q")).await.unwrap();
    input.send_keys("预付").await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#suggestions li")).await.unwrap();
    assert_eq!(script(client, "return document.getElementById('suggestions').hidden").await, json!(false));

    // Type a query and see highlighted results.
    search_for(client, "预付卡 退款").await;
    let marks = client.find_all(Locator::Css(".hit .snippet mark")).await.unwrap();
    assert!(!marks.is_empty(), "highlighted matches");
    save_screenshot(client, &format!("{size}-results")).await;

    // One search box; the first screen shows the answer (the warning that
    // answers, and a case), the ranked list follows it; on a phone the
    // filters wait behind 筛选, on a wide screen they are open.
    assert_eq!(script(client, "return document.querySelectorAll('input[name=q]').length").await, json!(1));
    assert_eq!(text_of(client, "section.answer h3 a").await, "办理预付卡要当心");
    assert_eq!(text_of(client, "section.answer .answer-case a").await, "健身房停业后应退还预付卡余额");
    let places = script(
        client,
        "const a = document.querySelector('section.answer').getBoundingClientRect(); \
         return [a.top, a.bottom, document.querySelector('.hit').getBoundingClientRect().top]",
    )
    .await;
    let [answer_top, answer_bottom, first_hit_top] = [0, 1, 2].map(|i| places[i].as_f64().unwrap());
    assert!(answer_top < f64::from(height) - 100.0, "the answer on the first screen: {places}");
    assert!(answer_bottom <= first_hit_top, "the ranked list after the answer: {places}");
    // Where to complain is one tap away: a button that dials 12315.
    let call = script(
        client,
        "const b = document.querySelector('a.action-button.call'); \
         return [b.getAttribute('href'), b.getBoundingClientRect().height, b.checkVisibility()]",
    )
    .await;
    assert_eq!((call[0].as_str(), call[2].as_bool()), (Some("tel:12315"), Some(true)), "{call}");
    assert!(call[1].as_f64().unwrap() >= 44.0, "a tap target: {call}");
    let facets_shown = "return document.querySelector('aside.facets').checkVisibility()";
    if width < 860 {
        assert_eq!(script(client, facets_shown).await, json!(false), "filters hidden on a phone");
        client.find(Locator::Css(".facets-panel > summary")).await.unwrap().click().await.unwrap();
    }
    assert_eq!(script(client, facets_shown).await, json!(true), "filters shown at {size}");

    // Apply a facet: only cases remain.
    let facet = client
        .find(Locator::XPath("//aside[@class='facets']//a[starts-with(normalize-space(.), '案例')]"))
        .await
        .unwrap();
    facet.click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css(".facets a[aria-current=true]")).await.unwrap();
    let kinds = script(client, "return [...document.querySelectorAll('.hit .badge')].map(b => b.textContent)").await;
    assert_eq!(kinds, json!(["案例"]));
    save_screenshot(client, &format!("{size}-cases")).await;

    // Open the case.
    client.find(Locator::Css(".hit h2 a")).await.unwrap().click().await.unwrap();
    let heading = client.wait().at_most(WAIT).for_element(Locator::Css("article.document h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "健身房停业后应退还预付卡余额");
    assert!(client.source().await.unwrap().contains("（2021）示民初字第1号"));

    // A search that finds nothing is no dead end: the closest warning (yfk →
    // 预付卡) and the 拨打12315 button, both on the first screen.
    search_for(client, "yfk").await;
    assert_eq!(text_of(client, ".no-results .nearby a").await, "办理预付卡要当心");
    let call = script(
        client,
        "const b = document.querySelector('.no-results a.action-button.call'); \
         return [b.checkVisibility(), b.getBoundingClientRect().bottom <= window.innerHeight]",
    )
    .await;
    assert_eq!(call, json!([true, true]), "拨打12315 on the first screen at {size}");
    save_screenshot(client, &format!("{size}-no-results")).await;

    // A question a guide answers: the guide, then the article it relies on
    // with its text, in large print with large links.
    search_for(client, "七日内退货").await;
    assert_eq!(text_of(client, "section.answer h3 a").await, "网购退货指南");
    assert_eq!(text_of(client, ".answer-articles h4 a").await, "《示例消费者保护法》第二十五条");
    assert!(text_of(client, ".answer-articles .article-text").await.starts_with("经营者通过网络销售商品的"));
    let print = "const s = getComputedStyle(document.querySelector('.answer-articles .article-text')); \
        return [parseFloat(s.fontSize), document.querySelector('.answer-articles h4 a').getBoundingClientRect().height]";
    let print = script(client, print).await;
    assert!(print[0].as_f64().unwrap() >= 18.0, "answer text of 18 px or more: {print}");
    assert!(print[1].as_f64().unwrap() >= 44.0, "answer links 44 px high or more: {print}");
    save_screenshot(client, &format!("{size}-answer")).await;

    // Follow a hit into the law at its article.
    client.find(Locator::Css(".hit h2 a")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("article.document")).await.unwrap();
    let target =
        script(client, "return document.querySelector(':target') && document.querySelector(':target').id").await;
    assert_eq!(target, json!("第二十五条"));
    let visible = script(client, "const r = document.getElementById('第二十五条').getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight").await;
    assert_eq!(visible, json!(true), "the article is scrolled into view");
    save_screenshot(client, &format!("{size}-article")).await;

    // Switch to large text; it persists on the next page.
    let size_before = script(client, "return parseFloat(getComputedStyle(document.documentElement).fontSize)").await;
    client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("html.large-text")).await.unwrap();
    client.goto(&format!("{base}/warnings")).await.unwrap();
    let size_after = script(client, "return parseFloat(getComputedStyle(document.documentElement).fontSize)").await;
    assert!(size_after.as_f64().unwrap() > size_before.as_f64().unwrap() * 1.2, "{size_before} -> {size_after}");
    save_screenshot(client, &format!("{size}-large-text")).await;
    client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("html:not(.large-text)")).await.unwrap();

    // Nothing overflows the screen sideways.
    let overflow = script(client, "return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(overflow, json!(true), "no horizontal scrolling at {size}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_searches_filters_and_reads_on_phone_and_desktop() {
    let Some(browser) = browser().await else { return };
    let server = spawn_server().await;
    journey(&browser.client, &server.base, "390x844", (390, 844)).await;
    journey(&browser.client, &server.base, "1366x768", (1366, 768)).await;
    browser.client.clone().close().await.unwrap();
}

/// Where the definition of the first glossary term of the page stands: its
/// text and whether it is inside the window, top to bottom.
async fn first_definition(client: &Client) -> serde_json::Value {
    let code = "const dd = document.querySelector('.glossary dt#term-1 + dd'); const r = dd.getBoundingClientRect(); \
                return { text: dd.firstChild.textContent, shown: r.top >= 0 && r.top < window.innerHeight, \
                         hash: location.hash, size: parseFloat(getComputedStyle(dd).fontSize), \
                         wide: document.documentElement.scrollWidth > window.innerWidth };";
    script(client, code).await
}

/// A reader on a phone taps a legal word (格式条款) in a guide and reads what
/// it means, in standard and in large print (大字模式), with no JavaScript
/// involved: the word links to the 术语解释 list at the end of the page.
#[tokio::test(flavor = "multi_thread")]
async fn a_reader_on_a_phone_taps_a_legal_word_and_reads_its_definition() {
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let server = common::spawn_server_on(content).await;
    client.set_window_size(390, 844).await.unwrap();
    for (size, large) in [("standard", false), ("large-text", true)] {
        client.goto(&format!("{}/docs/guides/unfair-standard-terms", server.base)).await.unwrap();
        if large {
            client.find(Locator::Css("#large-text")).await.unwrap().click().await.unwrap();
            client.wait().at_most(WAIT).for_element(Locator::Css("html.large-text")).await.unwrap();
        }
        let term = client.wait().at_most(WAIT).for_element(Locator::Css(".body a.term")).await.unwrap();
        assert_eq!(term.text().await.unwrap(), "格式条款", "the first term of the guide is marked");
        let tip = term.attr("data-tip").await.unwrap().expect("the definition rides on the word");
        let before = first_definition(client).await;
        assert_eq!(before["shown"], json!(false), "the definition is at the end, out of sight ({size}): {before}");
        term.click().await.unwrap();
        let after = eventually(WAIT, || async {
            Some(first_definition(client).await).filter(|after| after["shown"] == json!(true))
        })
        .await
        .unwrap_or_else(|| panic!("the definition comes into sight after a tap ({size})"));
        assert_eq!(after["text"], json!(tip), "{after}");
        assert_eq!(after["hash"], json!("#term-1"), "{after}");
        assert_eq!(after["wide"], json!(false), "no horizontal scrolling ({size}): {after}");
        let minimum = if large { 20.0 } else { 15.0 };
        assert!(after["size"].as_f64().unwrap() >= minimum, "readable print ({size}): {after}");
        save_screenshot(client, &format!("390x844-glossary-{size}")).await;
    }
    client.goto(&format!("{}/prefs?large=0&back=/", server.base)).await.unwrap();
    browser.client.clone().close().await.unwrap();
}
