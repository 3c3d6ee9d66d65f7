//! Loading content: broken files are reported with path, line and reason,
//! and never stop the others.

use crate::common;

use common::fixture;
use weiquan::clock::Clock;
use weiquan::content::{self, Kind, Layout};

#[test]
fn every_broken_file_is_reported_and_the_good_one_still_loads() {
    let loaded = content::load(&[fixture("invalid")], Clock::default().today(), &|_, _| {}).unwrap();
    let ids: Vec<&str> = loaded.documents.iter().map(|d| d.id.as_str()).collect();
    // Too few questions is for `weiquan check` to report: the file still loads.
    assert_eq!(ids, ["warnings/few-questions", "warnings/good", "warnings/unchecked"]);

    let mut problems: Vec<String> = loaded
        .problems
        .iter()
        .map(|p| {
            let path = p.path.strip_prefix(fixture("invalid")).unwrap().display().to_string();
            match p.line {
                Some(line) => format!("{path}:{line}: {}", p.reason),
                None => format!("{path}: {}", p.reason),
            }
        })
        .collect();
    problems.sort();
    let expected = [
        "glossary.toml:12: `定金` has an empty `definition`: explain it in one or two plain sentences",
        "glossary.toml:8: `格式条款` is defined twice: keep one entry",
        "guides/repeated-question.md:7: 第 3 个常见问题与前面的重复（`questions` item 3 repeats an earlier one",
        "guides/unclosed.md:1: front matter opened with `+++` on line 1 is never closed: add a `+++` line after it",
        "guides/unknown-kind.md:3: invalid front matter: unknown variant `blog`, expected one of",
        "laws/bad-bytes.md:4: the file is not valid UTF-8 text: save it as UTF-8",
        "laws/no-front-matter.md:1: no front matter: start the file with a `+++` line",
        "misc/no-kind.md:2: cannot tell what kind of document this is: put it under laws/, cases/, warnings/ or guides/",
        "warnings/bad-date.md:3: invalid front matter: invalid date, expected month between 01 and 12",
        "warnings/expires-before-date.md:2: `expires` (2024-01-01) is before `date` (2024-05-01)",
        "warnings/long-question.md:6: 第 2 个常见问题有 71 个字，最多 60 个（`questions` item 2 is 71 characters long",
        "warnings/unknown-field.md:3: invalid front matter: unknown field `sevrity`, expected one of",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, expected) in problems.iter().zip(expected) {
        assert!(problem.starts_with(expected), "\n  got: {problem}\n want: {expected}…");
    }
}

#[test]
fn tags_outside_the_shared_vocabulary_are_reported() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("guides")).unwrap();
    std::fs::write(root.path().join("tags.txt"), "# 领域\n网购 快递\n退款 # 救济\n").unwrap();
    let guide = |tags: &str| format!("+++\ntitle = \"指南\"\ntags = [{tags}]\n+++\n正文\n");
    std::fs::write(root.path().join("guides/a.md"), guide("\"网购\", \"退款\"")).unwrap();
    std::fs::write(root.path().join("guides/b.md"), guide("\"快递\", \"网上购物\"")).unwrap();
    std::fs::write(root.path().join("README.md"), "# 写给编辑的说明，不是内容\n").unwrap();
    let loaded = content::load(&[root.path().to_path_buf()], Clock::default().today(), &|_, _| {}).unwrap();
    assert!(loaded.problems.is_empty(), "README.md is not content: {:?}", loaded.problems);
    assert_eq!(loaded.vocabulary().len(), 3);
    let problems: Vec<String> = loaded.unknown_tags().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("b.md") && problems[0].contains("`网上购物`"), "{problems:?}");
}

#[test]
fn published_guides_and_warnings_without_a_checked_date_are_reported() {
    let loaded = content::load(&[fixture("invalid")], Clock::default().today(), &|_, _| {}).unwrap();
    let problems: Vec<String> = loaded.unchecked().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].ends_with("unchecked.md:2: 消费警示 has no `checked` date: add `checked = YYYY-MM-DD`, the day it was last checked against the laws it cites"), "{problems:#?}");

    // Drafts, withdrawn documents and cases need none.
    let root = tempfile::tempdir().unwrap();
    for (folder, state) in [("guides", "draft"), ("warnings", "withdrawn"), ("cases", "published")] {
        std::fs::create_dir(root.path().join(folder)).unwrap();
        let text = format!("+++\ntitle = \"未核对\"\nstate = \"{state}\"\n+++\n正文\n");
        std::fs::write(root.path().join(folder).join("a.md"), text).unwrap();
    }
    let loaded = content::load(&[root.path().to_path_buf()], Clock::default().today(), &|_, _| {}).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert!(loaded.unchecked().is_empty(), "{:?}", loaded.unchecked());
}

#[test]
fn the_glossary_is_loaded_and_its_bases_checked() {
    let loaded = content::load(&[fixture("invalid")], Clock::default().today(), &|_, _| {}).unwrap();
    let terms: Vec<&str> = loaded.glossary.entries.iter().map(|e| e.term.as_str()).collect();
    assert_eq!(terms, ["格式条款", "仲裁"], "the first of a repeated term is kept, an empty definition is not");
    let same = |name: &str| name.to_string();
    let problems: Vec<String> = content::citations::dangling_in_glossary(&loaded.glossary, &loaded.documents, &same)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].ends_with("glossary.toml:16: `仲裁`: `basis` (仲裁法的规定) cites no article: write it as 《法律名称》第X条, or leave it out"), "{problems:#?}");
}

#[test]
fn questions_written_for_articles_and_cases_are_checked_against_what_is_loaded() {
    let loaded = content::load(&[fixture("content")], Clock::default().today(), &|_, _| {}).unwrap();
    let text = "# 示例\n示例消费者保护法 第二十五条 => 网购衣服能退吗\n示例消费者保护法 第九十九条 => 问题\n\
                不存在法 第一条 => 问题\n没有箭头的一行\n示例消费者保护法 二十五 => 问题\n\
                健身房停业后应退还预付卡余额 案例 => 健身房关门了卡里的钱\n没有这个案例 案例 => 问题\n";
    let files = [(std::path::PathBuf::from("article-questions/sample.txt"), text.to_string())];
    let same = |name: &str| name.to_string();
    let problems: Vec<String> =
        content::citations::dangling_in_lists(&files, &loaded.documents, &same).iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    for (problem, expected) in problems.iter().zip([
        "sample.txt:3: cites 《示例消费者保护法》第九十九条, which the loaded 《示例消费者保护法》 does not have",
        "sample.txt:4: cites 《不存在法》, which names no loaded law",
        "sample.txt:5: no `=>`",
        "sample.txt:6: `二十五` is not an article label",
        "sample.txt:8: names the case 《没有这个案例》, which no loaded case has as its title",
    ]) {
        assert!(problem.contains(expected), "{problem} lacks {expected}");
    }
}

#[test]
fn guides_and_warnings_with_fewer_than_five_questions_are_reported_on_their_line() {
    let loaded = content::load(&[fixture("invalid")], Clock::default().today(), &|_, _| {}).unwrap();
    let problems: Vec<String> = content::questions::too_few(&loaded.documents).iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].ends_with("few-questions.md:4: 消费警示 has only 2 questions: guides and warnings need at least 5 typical questions in readers' words (`questions = [\"...\"]`)"), "{problems:#?}");

    // A document without the key is reported on the first line of its front
    // matter; laws and cases need none.
    let root = tempfile::tempdir().unwrap();
    for folder in ["guides", "cases"] {
        std::fs::create_dir(root.path().join(folder)).unwrap();
        std::fs::write(root.path().join(folder).join("a.md"), "---\ntitle: 没有常见问题\n---\n正文\n").unwrap();
    }
    let loaded = content::load(&[root.path().to_path_buf()], Clock::default().today(), &|_, _| {}).unwrap();
    let problems = content::questions::too_few(&loaded.documents);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!((problems[0].path.ends_with("guides/a.md"), problems[0].line), (true, Some(2)));
    assert!(problems[0].reason.starts_with("维权指南 has no questions"), "{}", problems[0].reason);
}

#[test]
fn a_missing_content_folder_is_an_error_that_names_it() {
    let error = content::load(&[fixture("does-not-exist")], Clock::default().today(), &|_, _| {}).unwrap_err();
    assert!(error.to_string().contains("does-not-exist"), "{error}");
}

#[test]
fn fixture_documents_are_read_with_their_metadata() {
    let loaded = content::load(&[fixture("content")], Clock::default().today(), &|_, _| {}).unwrap();
    assert_eq!(Layout::detect(&fixture("content")), Layout::Project);
    let law = loaded.documents.iter().find(|d| d.id == "laws/sample-consumer-law").unwrap();
    assert_eq!(law.kind, Kind::Law);
    let labels: Vec<_> = law.units.iter().filter_map(|u| u.article.as_ref()).map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["第一条", "第二条", "第二十五条", "第二十六条", "第二十六条之一", "第五十五条"]);
    // The preamble is kept as a unit of its own.
    assert_eq!(law.units[0].text, "本法为测试编写，不是真实法律。");
    let old = loaded.documents.iter().find(|d| d.id == "laws/old-regulation").unwrap();
    assert_eq!(old.meta.status, Some(weiquan::content::Status::Repealed));
    assert_eq!(old.meta.regions, ["北京"]);
    assert!(loaded.dictionary.contains("测试工具箱"));
}
