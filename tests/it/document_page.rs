//! A guide's, warning's or case's page through the router (`oneshot`) over
//! the shared fixture index: the glossary's marks and 术语解释, and the
//! versions of the laws a guide follows with the day it was last checked.

use crate::common;

use common::App;

/// The part of `page` from `start` to the next `end`.
fn section<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page.find(start).unwrap_or_else(|| panic!("no {start} in {page}"));
    let to = page[from..].find(end).map_or(page.len(), |to| from + to);
    &page[from..to]
}

#[tokio::test]
async fn a_guide_shows_the_law_versions_it_follows_and_when_it_was_checked() {
    let app = App::fixture().await;
    let page = app.get("/docs/guides/return-goods").await.text;
    let followed = section(&page, "<section class=\"followed\"", "</section>");
    assert!(followed.contains("<h2 id=\"followed-title\">依据的法规版本</h2>"), "{followed}");
    assert!(
        followed.contains(
            "<li><a href=\"/docs/laws/sample-consumer-law\">《示例消费者保护法》</a> 2020-05-01 版（现行有效）</li>"
        ),
        "the version citations resolve to, with its date and status: {followed}"
    );
    assert!(!followed.contains("价格法"), "a law the site does not hold is not listed: {followed}");
    assert!(followed.contains("最后核对：2026-11-20"), "{followed}");

    let warning = app.get("/docs/warnings/prepaid-card").await.text;
    assert!(warning.contains("依据的法规版本") && warning.contains("最后核对：未注明"), "{warning}");
    for other in ["/docs/cases/gym-prepaid-card", "/docs/laws/sample-consumer-law"] {
        assert!(!app.get(other).await.text.contains("依据的法规版本"), "only guides and warnings: {other}");
    }
}

#[tokio::test]
async fn glossary_terms_link_to_their_definitions_on_the_page_and_for_the_kiosk() {
    let app = App::fixture().await;
    let mark = "<a class=\"term\" id=\"term-1-ref\" href=\"#term-1\" data-tip=\"向卖家或平台提出把商品退回、把钱退还的请求。\" rel=\"noopener noreferrer\">退货申请</a>";
    let page = app.get("/docs/guides/return-goods").await.text;
    assert!(page.contains(&format!("在平台提交{mark}，保存聊天记录")), "{page}");
    let list = section(&page, "<section class=\"glossary\"", "</section>");
    assert!(list.contains("<h2 id=\"glossary-title\">术语解释</h2>"), "{list}");
    assert!(list.contains("<dt id=\"term-1\">退货申请</dt><dd>向卖家或平台提出把商品退回、把钱退还的请求。"), "{list}");
    assert!(
        list.contains("依据：<a href=\"/docs/laws/sample-consumer-law#第二十五条\">《示例消费者保护法》第二十五条</a>"),
        "the basis links to its article: {list}"
    );
    assert!(list.contains("<a class=\"back\" href=\"#term-1-ref\">回到正文</a>"), "{list}");

    // The kiosk's document view shows the document's `html` from the API.
    let api = app.get("/api/docs/guides/return-goods").await.json();
    let html = api["html"].as_str().unwrap();
    assert!(html.contains(mark) && html.contains("术语解释"), "{html}");
}

#[tokio::test]
async fn a_guides_typical_questions_lead_to_the_sections_that_answer_them() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("guides")).unwrap();
    std::fs::write(
        root.path().join("guides/parcels.md"),
        "+++\ntitle = \"寄快递指南\"\ndate = 2026-01-01\nquestions = [\n  \"快递丢了谁来赔\",\n  \
         \"快递员不让先验货再签收怎么办\",\n  \"寄件时要不要保价\",\n  \"今天天气怎么样\",\n]\n+++\n\n\
         寄快递前读一读。\n\n## 快递丢了\n\n快递丢失的，由快递公司赔偿。\n\n## 验货 再签收\n\n收件时可以先验货再签收。\n\n\
         ## 保价\n\n贵重物品寄件时最好保价。\n",
    )
    .unwrap();
    let app = App::over(root.path().to_path_buf()).await;
    let page = app.get("/docs/guides/parcels").await.text;
    let faq = section(&page, "<details class=\"faq\">", "</details>");
    assert!(faq.contains("常见问题（4 个）"), "{faq}");
    let answered =
        [("快递丢了谁来赔", "快递丢了"), ("快递员不让先验货再签收怎么办", "验货-再签收"), ("寄件时要不要保价", "保价")];
    for (question, anchor) in answered {
        assert!(faq.contains(&format!("<li><a href=\"#{anchor}\">{question}</a></li>")), "{question}: {faq}");
        assert!(page.contains(&format!("<h2 id=\"{anchor}\">")), "the section is there to land on: {page}");
    }
    assert!(faq.contains("<li>今天天气怎么样</li>"), "a question no section holds leads nowhere: {faq}");

    let api = app.get("/api/docs/guides/parcels").await.json();
    assert_eq!(
        api["questions"][1],
        serde_json::json!({"text": "快递员不让先验货再签收怎么办", "anchor": "验货-再签收"})
    );
    assert_eq!(api["questions"][3]["anchor"], serde_json::Value::Null);

    let law = App::fixture().await.get("/docs/laws/sample-consumer-law").await.text;
    assert!(!law.contains("class=\"faq\""), "laws have no typical questions");
}
