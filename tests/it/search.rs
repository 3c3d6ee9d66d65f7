//! Search over a real index built from `tests/fixtures/content`.

use crate::common;

use chrono::NaiveDate;
use common::{LAW, shared_index, unit_id};
use weiquan::content::{Kind, Level, Status};
use weiquan::search::rank::NEIGHBOUR_FLOOR;
use weiquan::search::{SearchRequest, Sort, query::MAX_QUERY_CHARS};

#[test]
fn a_question_finds_its_article_first_with_title_article_and_chapter() {
    let fixture = shared_index();
    let results = fixture.query("七日内退货");
    let top = &results.hits[0];
    assert_eq!(unit_id(top), format!("{LAW}#第二十五条"));
    assert_eq!(top.title, "示例消费者保护法");
    assert_eq!(top.article.as_deref(), Some("第二十五条"));
    assert_eq!(top.chapter.as_deref(), Some("第三章 经营者的义务 / 第一节 一般规定"));
    assert_eq!(top.kind, Kind::Law);
    assert_eq!(top.level, Some(Level::Law));
    assert_eq!(top.status, Some(Status::Current));
    assert_eq!(top.date, NaiveDate::from_ymd_opt(2020, 5, 1));
}

#[test]
fn exact_top_hits_for_chinese_queries() {
    let fixture = shared_index();
    for (query, expected) in [
        ("欺诈 三倍", format!("{LAW}#第五十五条")),
        ("格式条款", format!("{LAW}#第二十六条")),
        ("霸王条款", format!("{LAW}#第二十六条")), // staff synonym → 格式条款
        ("预收款", format!("{LAW}#第二十六条之一")),
        ("验证码", "warnings/html-injection".to_string()),
        ("健身房 停业", "cases/gym-prepaid-card".to_string()),
        ("（2021）示民初字第1号", "cases/gym-prepaid-card".to_string()),
        ("ＩＰＨＯＮＥ", "guides/great-hall".to_string()),
        ("14", "guides/great-hall".to_string()),
    ] {
        assert_eq!(fixture.ids(query).first(), Some(&expected), "query {query}");
    }
}

#[test]
fn a_listed_question_finds_its_document_first() {
    let fixture = shared_index();
    // Asked as written in the documents' `questions` (TOML and YAML front
    // matter), in words their titles, summaries and bodies do not use.
    for (question, expected) in [
        ("对方让我下载一个会议软件开屏幕共享，是不是骗子", "warnings/html-injection"),
        ("陌生人打电话说要给我理赔，让我报手机收到的数字，能报吗", "warnings/html-injection"),
        ("网购的鞋子尺码不合适，卖家不给换怎么办", "guides/return-goods"),
    ] {
        // Among the guides and warnings (the ranked list puts articles
        // first; the answer block shows the best guide or warning).
        let shipped = SearchRequest { kinds: vec![Kind::Guide, Kind::Warning], ..SearchRequest::new(question) };
        let ids: Vec<String> = fixture.search(&shipped).hits.iter().map(unit_id).collect();
        assert_eq!(ids.first().map(String::as_str), Some(expected), "{question}");
        assert!(fixture.ids(question).iter().any(|id| id == expected), "{question}");
    }
    // Part of a question finds it too, however jieba splits the words.
    assert!(fixture.ids("会议软件").iter().any(|id| id == "warnings/html-injection"));
}

#[test]
fn words_of_judged_questions_find_the_article_they_were_filed_under() {
    let fixture = shared_index();
    // `asked.txt` files 跑腿 and 代购 under 第二条, whose text says neither.
    assert_eq!(fixture.ids("找人跑腿代购出了问题").first(), Some(&format!("{LAW}#第二条")));
    let explained = fixture.search(&SearchRequest { explain: true, ..SearchRequest::new("跑腿代购") });
    let features = explained.hits[0].explain.as_ref().expect("explained");
    assert!(features.iter().any(|f| f.feature == "bm25_asked" && f.value > 0.0), "{features:?}");
}

#[test]
fn an_index_built_with_other_asked_words_files_those_instead() {
    // What a fit measures a fold on: the roots' asked.txt (跑腿, 代购 under
    // 第二条) is replaced, not added to.
    let dir = tempfile::tempdir().unwrap();
    let roots = vec![common::fixture("content")];
    let clock = weiquan::clock::Clock::default();
    // A judged question's text (a `? ` line) is compared whole, as a
    // written question is; its words are in the word line already.
    let asked =
        "示例消费者保护法 第五十五条 => 跑腿:3\n? 示例消费者保护法 第五十五条 => 托人跑腿买药，结果送错了药 | 跑腿\n";
    weiquan::search::build_with_asked(dir.path(), &roots, &clock, asked.to_string()).unwrap();
    let engine = weiquan::search::Engine::open(dir.path(), clock).unwrap();
    let explained = engine.search(&SearchRequest { explain: true, ..SearchRequest::new("跑腿") }).unwrap();
    let asked_of = |id: &str| {
        let hit = explained.hits.iter().find(|hit| unit_id(hit) == id);
        hit.and_then(|hit| hit.explain.as_ref())
            .map(|features| features.iter().any(|f| f.feature == "bm25_asked" && f.value > 0.0))
    };
    assert_eq!(asked_of(&format!("{LAW}#第五十五条")), Some(true), "{:?}", explained.hits);
    assert_ne!(asked_of(&format!("{LAW}#第二条")), Some(true), "the roots' asked.txt is not read");
    // A model that does not weigh the field still counts the word as held
    // (coverage), as a fit, which measures every feature, sees it.
    let without = weiquan::search::rank::Model::builtin().without(weiquan::search::rank::Feature::Bm25Asked);
    let results = engine.search_with(&SearchRequest { explain: true, ..SearchRequest::new("跑腿") }, &without).unwrap();
    let hit = results.hits.iter().find(|hit| unit_id(hit) == format!("{LAW}#第五十五条")).expect("found");
    let features = hit.explain.as_ref().expect("explained");
    assert!(features.iter().any(|f| f.feature == "coverage" && f.value > 0.99), "{features:?}");
    let story = engine.search(&SearchRequest { explain: true, ..SearchRequest::new("托人跑腿买药送错了") }).unwrap();
    let hit = story.hits.iter().find(|hit| unit_id(hit) == format!("{LAW}#第五十五条")).expect("found");
    let similar = hit.explain.as_ref().expect("explained").iter().find(|f| f.feature == "similar_question");
    assert!(
        similar.is_some_and(|f| f.value > NEIGHBOUR_FLOOR),
        "near enough to join the candidates: {:?}",
        hit.explain
    );
}

/// The value of `name` in an explained hit (0 when the hit does not have it).
fn feature(hit: &weiquan::search::SearchHit, name: &str) -> f32 {
    hit.explain.iter().flatten().find(|f| f.feature == name).map_or(0.0, |f| f.value)
}

/// The fixture content with questions written for 第五十五条 (翻新机 is in
/// no text of the fixture), built: the folders and the engine.
fn written_fixture() -> (tempfile::TempDir, tempfile::TempDir, weiquan::search::Engine) {
    // A root's article-questions/ files them under 第五十五条, and
    // `weiquan check` reads the same lines.
    let root = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixture("content"), root.path());
    let folder = root.path().join(weiquan::content::ARTICLE_QUESTIONS_FOLDER);
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("sample.txt"),
        "# 示例\n示例消费者保护法 第五十五条 => 买到翻新机冒充新机能赔几倍 | 假货\n\
         健身房停业后应退还预付卡余额 案例 => 游泳馆老板卷钱跑了，孩子的课时卡找谁退\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = weiquan::clock::Clock::default();
    weiquan::search::build(dir.path(), &[root.path().to_path_buf()], &clock, &|_, _, _| {}).unwrap();
    let engine = weiquan::search::Engine::open(dir.path(), clock).unwrap();
    (root, dir, engine)
}

#[test]
fn questions_written_for_an_article_find_it() {
    let (_root, _dir, engine) = written_fixture();
    let request = SearchRequest { kinds: vec![Kind::Law], explain: true, ..SearchRequest::new("翻新机") };
    let results = engine.search(&request).unwrap();
    assert_eq!(results.hits.first().map(unit_id), Some(format!("{LAW}#第五十五条")), "{:?}", results.hits);
    let features = results.hits[0].explain.as_ref().expect("explained");
    assert!(features.iter().any(|f| f.feature == "bm25_asked" && f.value > 0.0), "{features:?}");
    // Matched whole, a question told the same way is close to it.
    let story = SearchRequest { explain: true, ..SearchRequest::new("买到的翻新机冒充新机，能赔几倍") };
    let results = engine.search(&story).unwrap();
    let similar = |hit: &weiquan::search::SearchHit| feature(hit, "similar_question");
    let hit = results.hits.iter().find(|hit| unit_id(hit) == format!("{LAW}#第五十五条")).expect("found");
    assert!(similar(hit) > NEIGHBOUR_FLOOR, "near enough to join the candidates: {:?}", hit.explain);
    for other in results.hits.iter().filter(|hit| unit_id(hit) != format!("{LAW}#第五十五条")) {
        // Others come near only through the fixture guides' typical
        // questions, which tell other stories.
        assert!(similar(other) < similar(hit) / 2.0, "{:?}", other.explain);
    }
}

#[test]
fn questions_written_for_a_case_find_it() {
    let (_root, _dir, engine) = written_fixture();
    let story =
        SearchRequest { explain: true, ..SearchRequest::new("游泳馆老板卷钱跑了，课时卡怎么退") };
    let results = engine.search(&story).unwrap();
    let hit = results.hits.iter().find(|hit| hit.title == "健身房停业后应退还预付卡余额").expect("the case is found");
    let features = hit.explain.as_ref().expect("explained");
    let similar = feature(hit, "similar_question");
    assert!(similar > NEIGHBOUR_FLOOR, "near enough to join the candidates: {features:?}");
    // For a case, the same closeness is its story's (`case_story`).
    assert_eq!(feature(hit, "case_story"), similar, "{features:?}");
    // The case's text holds none of the story's words: the written
    // question alone brought it among the candidates.
    assert!(features.iter().all(|f| f.feature != "coverage"), "{features:?}");
}

#[test]
fn the_articles_of_the_nearest_written_questions_keep_to_the_filters() {
    let (_root, _dir, engine) = written_fixture();
    let story = "买到的翻新机冒充新机，能赔几倍";
    let article = format!("{LAW}#第五十五条");
    let ids = |request: SearchRequest| -> Vec<String> {
        let results = engine.search(&request).unwrap();
        assert!(results.total >= results.hits.len(), "{} hits of {}", results.hits.len(), results.total);
        results.hits.iter().map(unit_id).collect()
    };
    assert!(ids(SearchRequest::new(story)).contains(&article));
    let others = vec![Kind::Guide, Kind::Warning, Kind::Case];
    assert!(!ids(SearchRequest { kinds: others, ..SearchRequest::new(story) }).contains(&article));
    assert!(!ids(SearchRequest::new(format!("{story} -示例"))).contains(&article), "excluded by its title");
    // A short query sharing a character or two with a written question
    // brings no article that holds none of its words.
    let short = engine.search(&SearchRequest::new("验证码")).unwrap();
    assert!(short.hits.iter().all(|hit| unit_id(hit) != article), "{:?}", short.hits);
}

#[test]
fn a_guides_typical_questions_find_the_articles_it_cites() {
    let fixture = shared_index();
    // guides/return-goods lists 网购的鞋子尺码不合适… and cites 第二十五条,
    // whose text has neither 鞋子 nor 尺码; asked.txt does not mention them.
    let laws = SearchRequest { kinds: vec![Kind::Law], explain: true, ..SearchRequest::new("鞋子尺码不合适") };
    let results = fixture.search(&laws);
    assert_eq!(results.hits.first().map(unit_id), Some(format!("{LAW}#第二十五条")), "{:?}", results.hits);
    let features = results.hits[0].explain.as_ref().expect("explained");
    assert!(features.iter().any(|f| f.feature == "bm25_asked" && f.value > 0.0), "{features:?}");
}

#[test]
fn a_named_article_comes_first() {
    let fixture = shared_index();
    for query in [
        "示例消费者保护法第五十五条",
        "示例消费者保护法 55条",
        "示例法第55条",
        "《示例法》第五十五条第一款",
        "示例法第五十五条 欺诈",
        // A title shortened by leaving characters out.
        "示例消费保护法第55条",
    ] {
        assert_eq!(fixture.ids(query).first(), Some(&format!("{LAW}#第五十五条")), "{query}");
    }
    // The named article outranks units that match more of the other words;
    // an article of an unknown law is an ordinary query, which finds it too.
    assert_eq!(fixture.ids("示例法第五十五条 预付卡 跑路").first(), Some(&format!("{LAW}#第五十五条")));
}

#[test]
fn the_version_in_force_ranks_above_older_ones_which_stay_findable() {
    let fixture = shared_index();
    let ids = fixture.ids("七日内退货");
    let old = "laws/sample-consumer-law-2015#第二十五条".to_string();
    assert_eq!(ids[0], format!("{LAW}#第二十五条"));
    assert!(ids.contains(&old), "{ids:?}");
    let history =
        fixture.search(&SearchRequest { statuses: vec![Status::Amended], ..SearchRequest::new("七日内退货") });
    assert_eq!(history.hits.iter().map(unit_id).collect::<Vec<_>>(), [old]);
    let page = fixture.engine.document("laws/sample-consumer-law-2015", &weiquan::web::citation_url).unwrap().unwrap();
    let versions: Vec<_> = page.versions.iter().map(|v| (v.id.as_str(), v.status)).collect();
    assert_eq!(versions, [(LAW, Some(Status::Current)), ("laws/sample-consumer-law-2015", Some(Status::Amended))]);
}

#[test]
fn traditional_characters_find_what_simplified_ones_find() {
    let fixture = shared_index();
    for (traditional, simplified) in
        [("七日內退貨", "七日内退货"), ("預付卡 跑路", "预付卡 跑路"), ("驗證碼", "验证码")]
    {
        let found = fixture.ids(traditional);
        assert!(!found.is_empty(), "{traditional}");
        assert_eq!(found, fixture.ids(simplified), "{traditional}");
    }
}

#[test]
fn expansions_are_reported_and_can_be_turned_off() {
    let fixture = shared_index();
    let expanded = fixture.query("霸王条款");
    assert_eq!(expanded.expansions.len(), 1);
    assert_eq!(
        (expanded.expansions[0].word.as_str(), expanded.expansions[0].also.as_slice()),
        ("霸王条款", &["格式条款".to_string()][..])
    );
    assert!(expanded.total > 0);
    let literal = fixture.search(&SearchRequest { expand: false, ..SearchRequest::new("霸王条款") });
    assert!(literal.expansions.is_empty());
    // Without the expansion only the part 条款 matches, for less credit.
    assert!(literal.hits.iter().all(|hit| hit.score < expanded.hits[0].score));
    // Expanded words rank below the user's own: a unit with the word itself wins.
    assert!(fixture.query("格式条款").hits[0].score >= expanded.hits[0].score);
}

#[test]
fn articles_rank_above_the_guides_that_explain_them() {
    let fixture = shared_index();
    // 退货指南 has 退货 in its title; the law's article 25 in its text. The
    // fitted weights put the article first; the guide stays in the list.
    let ids = fixture.ids("退货");
    assert_eq!(ids[0], format!("{LAW}#第二十五条"));
    assert!(ids.contains(&"guides/return-goods".to_string()), "{ids:?}");
}

#[test]
fn coverage_is_the_share_of_the_query_a_unit_holds() {
    let fixture = shared_index();
    let results = fixture.search(&SearchRequest { explain: true, ..SearchRequest::new("预付卡 跑路") });
    let coverage = |id: &str| {
        let hit = results.hits.iter().find(|hit| unit_id(hit) == id).unwrap_or_else(|| panic!("{id} missing"));
        feature(hit, "coverage")
    };
    // The warning holds both words, the case only some of them.
    assert_eq!(coverage("warnings/prepaid-card"), 1.0);
    let case = coverage("cases/gym-prepaid-card");
    assert!(case > 0.0 && case < 1.0, "{case}");
}

#[test]
fn fragments_inside_jieba_words_are_found() {
    let fixture = shared_index();
    for fragment in ["中华人民共和国", "中华", "华人", "人民共和", "人民大会堂", "工具", "测试工具箱", "处理", "待处理"]
    {
        assert!(fixture.ids(fragment).iter().any(|id| id == "guides/great-hall"), "{fragment}");
    }
}

#[test]
fn phrases_exclusions_and_or() {
    let fixture = shared_index();
    assert_eq!(fixture.ids("\"无需说明理由\""), vec![format!("{LAW}#第二十五条")]);
    assert!(fixture.ids("\"理由无需\"").is_empty());
    let with = fixture.ids("预付卡");
    let without = fixture.ids("预付卡 -健身");
    assert!(with.contains(&"cases/gym-prepaid-card".to_string()));
    assert!(!without.contains(&"cases/gym-prepaid-card".to_string()));
    assert_eq!(without.len(), with.len() - 1);
    let either = fixture.ids("验证码 OR 人民大会堂");
    assert!(either.contains(&"guides/great-hall".to_string()), "{either:?}");
    assert!(either.contains(&"warnings/html-injection".to_string()), "{either:?}");
}

/// A query of quoted phrases alone is an exact search: every result holds
/// them, including the units that join the candidates without matching
/// the first phase (those whose written questions come nearest the query).
/// Quotes inside a question told in words do not keep those units out.
#[test]
fn a_quoted_phrase_no_text_holds_finds_nothing() {
    let fixture = shared_index();
    let question = "网购的鞋子尺码不合适，卖家不给换怎么办";
    let near = fixture.ids(question);
    assert!(near.contains(&"guides/return-goods".to_string()), "{near:?}");
    assert_eq!(fixture.ids(&format!("\"{question}\" \"理由无需\"")), Vec::<String>::new());
    let told = fixture.ids(&format!("{question}，卖家说\"完全不存在的词组\""));
    assert!(told.contains(&format!("{LAW}#第二十五条")), "{told:?}");
    assert_eq!(fixture.ids("\"保存聊天记录\""), vec!["guides/return-goods".to_string()]);
}

#[test]
fn filters_by_kind_level_status_region_tag_and_date() {
    let fixture = shared_index();
    let search = |request: SearchRequest| fixture.search(&SearchRequest { query: "预付卡".into(), ..request });
    let only = |request: SearchRequest| search(request).hits.iter().map(unit_id).collect::<Vec<_>>();

    let warnings = only(SearchRequest { kinds: vec![Kind::Warning], ..Default::default() });
    assert_eq!(warnings, vec!["warnings/prepaid-card"]);
    let two_kinds = search(SearchRequest { kinds: vec![Kind::Warning, Kind::Case], ..Default::default() });
    assert_eq!(two_kinds.total, 2);
    let rules = search(SearchRequest { levels: vec![Level::Rule], ..Default::default() });
    assert!(rules.hits.iter().all(|h| h.id == "laws/old-regulation") && rules.total == 2);
    let repealed = search(SearchRequest { statuses: vec![Status::Repealed], ..Default::default() });
    assert_eq!(repealed.total, 2);
    // A region filter keeps that region's documents and nationwide ones.
    let shanghai = only(SearchRequest { regions: vec!["上海".into()], ..Default::default() });
    assert!(shanghai.contains(&"cases/gym-prepaid-card".to_string()));
    assert!(shanghai.contains(&"warnings/prepaid-card".to_string()));
    assert!(!shanghai.iter().any(|id| id.starts_with("laws/old-regulation")), "{shanghai:?}");
    let tagged = only(SearchRequest { tags: vec!["健身".into()], ..Default::default() });
    assert_eq!(tagged, vec!["cases/gym-prepaid-card"]);
    let dated = only(SearchRequest {
        from: NaiveDate::from_ymd_opt(2021, 1, 1),
        to: NaiveDate::from_ymd_opt(2023, 12, 31),
        ..Default::default()
    });
    assert_eq!(dated, vec!["cases/gym-prepaid-card"]);
}

#[test]
fn facets_count_every_matching_unit() {
    let fixture = shared_index();
    let results = fixture.query("预付卡");
    let facets = &results.facets;
    assert_eq!(results.total, 5);
    assert_eq!(facets.kind.get("law"), Some(&3));
    assert_eq!(facets.kind.get("case"), Some(&1));
    assert_eq!(facets.kind.get("warning"), Some(&1));
    assert_eq!(facets.level.get("rule"), Some(&2));
    assert_eq!(facets.level.get("law"), Some(&1));
    assert_eq!(facets.status.get("repealed"), Some(&2));
    assert_eq!(facets.status.get("current"), Some(&1));
    assert_eq!(facets.tags.get("预付卡"), Some(&4));
    assert_eq!(facets.tags.get("健身"), Some(&1));
    assert!(facets.exact, "five matches, all of them counted");
}

#[test]
fn a_filtering_facet_still_counts_its_other_values() {
    let fixture = shared_index();
    let cases = fixture.search(&SearchRequest { kinds: vec![Kind::Case], ..SearchRequest::new("预付卡") });
    assert_eq!(cases.total, 1);
    // The kind facet counts as if unfiltered, so 法规 and 消费警示 can be added ...
    assert_eq!(cases.facets.kind, fixture.query("预付卡").facets.kind);
    // ... while the other facets count the filtered results.
    assert_eq!(cases.facets.tags.get("健身"), Some(&1));
    assert_eq!(cases.facets.level.get("rule"), None);
}

#[test]
fn sorting_by_date_and_paging() {
    let fixture = shared_index();
    let by_date = fixture.search(&SearchRequest { query: "预付卡".into(), sort: Sort::Date, ..Default::default() });
    let dates: Vec<_> = by_date.hits.iter().map(|h| h.date).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    assert_eq!(dates[0], NaiveDate::from_ymd_opt(2024, 3, 15));

    let all = fixture.query("消费者").hits.iter().map(unit_id).collect::<Vec<_>>();
    let page = |page| {
        fixture
            .search(&SearchRequest { query: "消费者".into(), page, per_page: 2, ..Default::default() })
            .hits
            .iter()
            .map(unit_id)
            .collect::<Vec<_>>()
    };
    assert_eq!([page(1), page(2)].concat(), all[..4].to_vec());
    assert!(page(50).is_empty());
}

#[test]
fn snippets_are_short_escaped_and_marked() {
    let fixture = shared_index();
    let hit = &fixture.query("七日内退货").hits[0];
    assert!(hit.snippet.contains("<mark>七日内退货</mark>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("消费者<mark>退货</mark>"), "{}", hit.snippet);
    let visible = hit.snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(visible.chars().count() <= 102, "{visible}");

    let hit = &fixture.query("验证码").hits[0];
    assert!(!hit.snippet.contains("<script") && !hit.snippet.contains("<b "), "{}", hit.snippet);
    assert!(hit.snippet.contains("<mark>验证码</mark>"), "{}", hit.snippet);
    let without_marks = hit.snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<'), "only <mark> tags: {}", hit.snippet);
}

#[test]
fn hostile_queries_give_results_or_nothing_never_an_error() {
    let fixture = shared_index();
    let long = "预付卡".repeat(4_000);
    let latin = "a".repeat(10_000);
    let hostile = [
        "",
        " ",
        ":",
        "^",
        "[",
        "]",
        "{",
        "}",
        "~",
        "*",
        "\\",
        "(",
        ")",
        "title:预付卡",
        "预付卡^10",
        "[a TO z]",
        "\"",
        "\"预付卡",
        "预付卡\"\"\"",
        "((预付卡",
        "-",
        "--",
        "-预付卡",
        "OR",
        "OR OR",
        "AND",
        "NOT 预付卡",
        "\u{0}\u{1}\u{7f}",
        "预付卡\u{0}",
        "🙂",
        "🙂 预付卡 🎉",
        "\u{200b}",
        "<script>alert(1)</script>",
        "%00",
        "' OR 1=1 --",
        "ｓｅｌｅｃｔ",
        "\u{FEFF}预付卡",
        latin.as_str(),
        long.as_str(),
        "第一千二百六十条",
        "？？？！！！",
    ];
    for query in hostile {
        let results = fixture.engine.search(&SearchRequest::new(query));
        let results = results.unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert!(results.hits.len() <= 10);
    }
    // Syntax characters are plain text: the words around them still match.
    assert_eq!(fixture.ids("(预付卡)").first(), fixture.ids("预付卡").first());
    assert!(!fixture.ids(&long).is_empty(), "an over-long query is cut at {MAX_QUERY_CHARS} characters, not refused");
}

#[test]
fn invalid_parameters_are_errors_not_panics() {
    let fixture = shared_index();
    for request in [
        SearchRequest { page: 0, ..SearchRequest::new("预付卡") },
        SearchRequest { per_page: 0, ..SearchRequest::new("预付卡") },
        SearchRequest { per_page: 100_000, ..SearchRequest::new("预付卡") },
        SearchRequest { page: usize::MAX, ..SearchRequest::new("预付卡") },
        SearchRequest {
            from: NaiveDate::from_ymd_opt(2024, 1, 2),
            to: NaiveDate::from_ymd_opt(2024, 1, 1),
            ..SearchRequest::new("预付卡")
        },
    ] {
        assert!(fixture.engine.search(&request).is_err(), "{request:?}");
    }
}

#[test]
fn an_empty_query_with_filters_lists_documents() {
    let fixture = shared_index();
    let results = fixture.search(&SearchRequest { kinds: vec![Kind::Warning], sort: Sort::Date, ..Default::default() });
    assert_eq!(results.total, 2);
    assert_eq!(results.hits[0].id, "warnings/prepaid-card");
    assert_eq!(fixture.query("").total, 0);
}

#[test]
fn topics_are_the_words_a_query_is_about() {
    let fixture = shared_index();
    // No single characters (的, 了), no question words (怎么办), each word once.
    assert_eq!(fixture.engine.topics("健身房的预付卡跑路了怎么办？健身房"), ["健身房", "预付卡", "跑路"]);
    assert!(fixture.engine.topics("").is_empty());
}

#[test]
fn kiosk_order_puts_urgent_pinned_and_graver_warnings_first_and_keeps_only_the_kiosks_own() {
    use weiquan::content::Severity;
    use weiquan::search::WarningOrder;
    let fixture = shared_index();
    let all = fixture.engine.warnings(None, None, &WarningOrder::Newest).unwrap();
    let kiosk = fixture.engine.warnings(None, None, &WarningOrder::Kiosk("lobby".into())).unwrap();
    assert!(kiosk.len() >= 2, "the fixture's warnings: {all:?}");
    assert!(kiosk.iter().all(|w| w.kiosks.is_empty() || w.kiosks.iter().any(|k| k == "lobby")), "{kiosk:?}");
    assert_eq!(
        kiosk.len(),
        all.iter().filter(|w| w.kiosks.is_empty() || w.kiosks.contains(&"lobby".to_string())).count()
    );
    let rank = |w: &weiquan::search::WarningSummary| {
        let severity = match w.severity {
            Some(Severity::Alert) => 0,
            Some(Severity::Caution) => 1,
            _ => 2,
        };
        (!w.urgent, !w.pinned, severity, std::cmp::Reverse(w.date))
    };
    assert!(kiosk.windows(2).all(|pair| rank(&pair[0]) <= rank(&pair[1])), "{kiosk:?}");
    let newest = |w: &weiquan::search::WarningSummary| (!w.pinned, std::cmp::Reverse(w.date));
    assert!(all.windows(2).all(|pair| newest(&pair[0]) <= newest(&pair[1])), "{all:?}");
}
