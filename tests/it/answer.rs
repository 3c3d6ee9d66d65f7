//! The answer block (先看这里) over the fixture index: which guide or
//! warning leads and which articles in force it shows.

use crate::common;

use chrono::NaiveDate;
use common::{LAW, shared_index};
use weiquan::content::{Kind, Status};
use weiquan::search::answer::{Answer, AnswerArticle, AnswerDocument};
use weiquan::search::{SearchRequest, Sort};

/// The answer to `query` (first page, by relevance).
fn answer_to(fixture: &common::Fixture, query: &str) -> Option<Answer> {
    let request = SearchRequest::new(query);
    fixture.engine.answer(&request, &fixture.search(&request)).unwrap()
}

#[test]
fn the_answer_is_the_guide_and_the_article_in_force_it_cites() {
    let fixture = shared_index();
    // The article is found in both versions; the guide explaining it leads
    // wherever it ranks.
    let ids = fixture.ids("七日内退货");
    assert!(ids.contains(&format!("{LAW}-2015#第二十五条")), "{ids:?}");
    let expected = Answer {
        document: Some(AnswerDocument {
            id: "guides/return-goods".into(),
            kind: Kind::Guide,
            title: "网购退货指南".into(),
            summary: "网上买的东西不想要了，七日内可以申请退货。".into(),
        }),
        // 《价格法》第十四条, also cited, is not in the index.
        articles: vec![AnswerArticle {
            id: LAW.into(),
            title: "示例消费者保护法".into(),
            article: "第二十五条".into(),
            anchor: "第二十五条".into(),
            text: "经营者通过网络销售商品的，消费者有权自收到商品之日起七日内退货，且无需说明理由。\n消费者退货的商品应当完好。"
                .into(),
            date: NaiveDate::from_ymd_opt(2020, 5, 1),
            status: Some(Status::Current),
        }],
        case: None,
    };
    assert_eq!(answer_to(fixture, "七日内退货"), Some(expected));

    // A warning without a summary is summed up by its first sentence, past
    // its headings; the case among the top results comes with it.
    let prepaid = answer_to(fixture, "预付卡 退款").unwrap();
    assert_eq!(prepaid.document.as_ref().map(|d| d.id.as_str()), Some("warnings/prepaid-card"));
    assert_eq!(prepaid.document.unwrap().summary, "一些商家先收钱后跑路，消费者的预付卡无法使用，也拿不到退款。");
    assert!(prepaid.articles.is_empty(), "the warning cites no article");
    let case = prepaid.case.unwrap();
    assert_eq!((case.id.as_str(), case.kind.as_str()), ("cases/gym-prepaid-card", "case"));
    assert_eq!(case.summary, "原告在被告健身房办理预付卡并充值三千元。");
}

#[test]
fn an_article_ranked_first_answers_alone_and_a_case_first_is_no_answer() {
    let fixture = shared_index();
    let alone = answer_to(fixture, "欺诈 三倍").unwrap();
    assert_eq!(alone.document, None);
    let labels: Vec<_> = alone.articles.iter().map(|a| (a.id.as_str(), a.anchor.as_str())).collect();
    assert_eq!(labels, [(LAW, "第五十五条")]);
    assert!(alone.articles[0].text.starts_with("经营者提供商品有欺诈行为的"), "{:?}", alone.articles[0]);
    assert_eq!(fixture.ids("健身房 停业")[0], "cases/gym-prepaid-card");
    assert_eq!(answer_to(fixture, "健身房 停业"), None);
}

#[test]
fn the_answer_from_the_searchs_first_phase_is_the_answer_searched_apart() {
    // `search_answered` takes the guides, warnings and cases citing the top
    // articles from the search's own first phase; `answer` searches for
    // them again. Both must give the same answer, filters included.
    let fixture = shared_index();
    let mut answered = 0;
    for query in
        ["七日内退货", "预付卡 退款", "欺诈 三倍", "健身房 停业", "网购 退货 七天", "商家 虚假宣传", "赔偿 三倍 欺诈"]
    {
        for kinds in [vec![], vec![Kind::Law, Kind::Guide]] {
            let request = SearchRequest { kinds, ..SearchRequest::new(query) };
            let (results, answer) = fixture.engine.search_answered(&request).unwrap();
            let searched = fixture.search(&request);
            assert_eq!((&results.hits, results.total), (&searched.hits, searched.total), "{request:?}");
            assert_eq!(answer, fixture.engine.answer(&request, &results).unwrap(), "{request:?}");
            answered += usize::from(answer.is_some());
        }
    }
    assert!(answered >= 6, "most of these questions have an answer: {answered}");
}

#[test]
fn only_the_first_page_by_relevance_of_a_query_has_an_answer() {
    let fixture = shared_index();
    let first = SearchRequest { per_page: 2, ..SearchRequest::new("七日内退货") };
    let later = SearchRequest { page: 2, ..first.clone() };
    let by_date = SearchRequest { sort: Sort::Date, ..SearchRequest::new("七日内退货") };
    let listing = SearchRequest { kinds: vec![Kind::Law], ..SearchRequest::default() };
    assert!(fixture.engine.answer(&first, &fixture.search(&first)).unwrap().is_some());
    for request in [later, by_date, listing] {
        let results = fixture.search(&request);
        assert!(!results.hits.is_empty(), "{request:?}");
        assert_eq!(fixture.engine.answer(&request, &results).unwrap(), None, "{request:?}");
    }
}

#[test]
fn an_answer_shows_three_cited_articles_in_force_those_the_search_found_first() {
    let content = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixture("content"), content.path());
    let write = |path: &str, text: &str| std::fs::write(content.path().join(path), text).unwrap();
    write(
        "guides/standard-terms.md",
        "---\ntitle: 格式条款要看清\ndate: 2023-05-01\nsummary: 合同里排除消费者权利的格式条款无效。\n---\n\n\
         依据《示例消费者保护法》第一条、第二条、第五十五条和第二十六条，经营者不得用格式条款排除消费者的权利。\n",
    );
    // A version to come: the answer quotes the text in force, not this one.
    write(
        "laws/sample-consumer-law-2099.md",
        "+++\ntitle = \"示例消费者保护法\"\nlevel = \"法律\"\ndate = 2099-01-01\neffective = 2099-06-01\n+++\n\n\
         第二十六条 经营者不得以格式条款、通知、声明排除消费者的权利。\n",
    );
    // A warning on fraud that has expired never leads an answer.
    write(
        "warnings/old-fraud.md",
        "+++\ntitle = \"欺诈三倍赔偿警示\"\ndate = 2019-01-01\nexpires = 2019-12-31\n+++\n\n\
         遇到欺诈可以要求三倍赔偿，依据《示例消费者保护法》第五十五条。\n",
    );
    let fixture = common::index_of(content.path().to_path_buf());

    let ids = fixture.ids("格式条款");
    assert!(ids.contains(&format!("{LAW}#第二十六条")), "{ids:?}");
    let answer = answer_to(&fixture, "格式条款").unwrap();
    assert_eq!(answer.document.map(|d| d.id), Some("guides/standard-terms".to_string()));
    // 第二十六条, which the search found, first; then the guide's order; 第五十五条 is a fourth.
    let articles: Vec<_> = answer.articles.iter().map(|a| (a.id.as_str(), a.article.as_str())).collect();
    assert_eq!(articles, [(LAW, "第二十六条"), (LAW, "第一条"), (LAW, "第二条")]);
    assert_eq!(answer.articles[0].text, "经营者不得以格式条款排除消费者的权利。");

    let ids = fixture.ids("欺诈 三倍");
    assert_eq!(ids[0], format!("{LAW}#第五十五条"));
    assert!(ids.contains(&"warnings/old-fraud".to_string()), "{ids:?}");
    let answer = answer_to(&fixture, "欺诈 三倍").unwrap();
    assert_eq!(answer.document, None, "the expired warning does not lead");
    // An expired warning is marked and comes after every unit in force.
    let all = fixture.search(&SearchRequest { per_page: 50, ..SearchRequest::new("欺诈 三倍") });
    let last = all.hits.last().unwrap();
    assert_eq!((last.id.as_str(), last.expired), ("warnings/old-fraud", true), "{:?}", all.hits);
    assert!(all.hits[..all.hits.len() - 1].iter().all(|hit| !hit.expired));
    assert_eq!(answer.articles.iter().map(|a| a.article.as_str()).collect::<Vec<_>>(), ["第五十五条"]);
}

#[test]
fn a_guide_that_holds_the_question_leads_though_the_top_articles_are_others() {
    let content = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixture("content"), content.path());
    let write = |path: &str, text: &str| std::fs::write(content.path().join(path), text).unwrap();
    // Six articles that share the question's common words, none its rare ones.
    let articles: String = (1..=6)
        .map(|n| {
            format!(
                "第{}条 经营者应当保障消费者的人身和财产安全，第{n}项。\n\n",
                ["一", "二", "三", "四", "五", "六"][n - 1]
            )
        })
        .collect();
    write(
        "laws/safety-rules.md",
        &format!("+++\ntitle = \"示例安全规定\"\nlevel = \"部门规章\"\ndate = 2021-01-01\n+++\n\n{articles}"),
    );
    // A guide that asks the question in its own words, citing no article
    // the index holds, so no top article leads to it.
    write(
        "guides/falling-flowerpot.md",
        "+++\ntitle = \"楼上花盆掉下来砸坏汽车怎么办\"\ndate = 2026-12-01\nsummary = \"花盆从楼上掉下来砸坏汽车，可以找物品的所有人赔。\"\n+++\n\n\
         花盆掉下来砸坏汽车，经营者和消费者都可能遇到。依据《价格法》第十四条。\n",
    );
    let fixture = common::index_of(content.path().to_path_buf());

    let query = "经营者 消费者 花盆 砸坏 汽车";
    let ids = fixture.ids(query);
    let top: Vec<_> = ids.iter().take(5).collect();
    assert!(!top.contains(&&"guides/falling-flowerpot".to_string()), "the guide ranks below the articles: {ids:?}");
    let answer = answer_to(&fixture, query).unwrap();
    assert_eq!(answer.document.map(|d| d.id), Some("guides/falling-flowerpot".to_string()));
    assert!(answer.articles.is_empty(), "the article it cites is not in the index");
    // The search's own first phase gives the same answer.
    let request = SearchRequest::new(query);
    assert_eq!(
        fixture.engine.search_answered(&request).unwrap().1,
        fixture.engine.answer(&request, &fixture.search(&request)).unwrap()
    );
    // A guide holding only the common words does not lead this way.
    assert_ne!(
        answer_to(&fixture, "经营者 消费者 人身 财产 安全").and_then(|a| a.document).map(|d| d.id),
        Some("guides/falling-flowerpot".to_string())
    );
}
