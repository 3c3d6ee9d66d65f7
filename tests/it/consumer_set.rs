//! The judged consumer questions in `eval/consumer.jsonl`: their format
//! (checked everywhere), and that every judged item is exactly one unit of
//! the LawRefBook corpus (only with the corpus: in CI (`CI=true`) a missing
//! corpus fails; elsewhere that test prints a notice and does nothing).

use crate::common;

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use weiquan::clock::Clock;
use weiquan::content::{self, Document, Kind, Status};
use weiquan::search::eval;

/// The complaint categories of 12315's yearly reports that the set covers,
/// as listed in eval/README.md.
const CATEGORIES: [&str; 19] = [
    "预付卡",
    "网购",
    "直播",
    "汽车",
    "装修",
    "教育培训",
    "医美",
    "养老",
    "旅游",
    "通信",
    "快递",
    "食品",
    "家电维修",
    "二手车",
    "网络游戏",
    "共享经济",
    "保险金融",
    "房屋中介",
    "物业",
];

/// One line of the file, read strictly: a misspelt field fails.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    q: String,
    category: String,
    style: Style,
    relevant: Vec<Item>,
    note: String,
}

/// How the question is worded.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Style {
    /// As people type it: long, colloquial, with noise, typos or traditional characters.
    Everyday,
    /// Legal terms.
    Terms,
    /// Names an article.
    Article,
}

/// One judged item.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    title: String,
    article: Option<String>,
    grade: u32,
}

fn text() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/consumer.jsonl")).unwrap()
}

fn questions() -> Vec<Question> {
    text()
        .lines()
        .enumerate()
        .map(|(i, line)| serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

#[test]
fn the_consumer_set_is_well_formed() {
    let questions = questions();
    let read_by_eval = eval::parse_queries(&text()).unwrap();
    assert_eq!(read_by_eval.len(), questions.len(), "`weiquan eval` reads every line");
    assert!(questions.len() >= 150, "{} questions", questions.len());
    let everyday = questions.iter().filter(|q| q.style == Style::Everyday).count();
    assert!(everyday >= 100, "{everyday} in everyday words");
    assert!(questions.iter().any(|q| q.style == Style::Terms) && questions.iter().any(|q| q.style == Style::Article));

    let mut per_category: HashMap<&str, usize> = HashMap::new();
    let mut asked = HashSet::new();
    for question in &questions {
        let q = &question.q;
        assert!(!q.is_empty() && q.trim() == q, "`{q}`: empty or padded");
        assert!(asked.insert(q.as_str()), "`{q}` asked twice");
        assert!(CATEGORIES.contains(&question.category.as_str()), "`{q}`: unknown category {}", question.category);
        *per_category.entry(question.category.as_str()).or_default() += 1;
        assert!(!question.note.trim().is_empty(), "`{q}`: no note");
        assert!(question.relevant.iter().any(|item| item.grade == 3), "`{q}`: no grade-3 item");
        let mut judged = HashSet::new();
        for item in &question.relevant {
            assert!((1..=3).contains(&item.grade), "`{q}`: grade {}", item.grade);
            assert!(!item.title.starts_with("中华人民共和国"), "`{q}`: {} is not a short title", item.title);
            if let Some(article) = &item.article {
                assert!(article.starts_with('第') && article.contains('条'), "`{q}`: article `{article}`");
            }
            assert!(
                judged.insert((&item.title, &item.article)),
                "`{q}`: {} {:?} judged twice",
                item.title,
                item.article
            );
        }
    }
    for category in CATEGORIES {
        let count = per_category.get(category).copied().unwrap_or(0);
        assert!(count >= 6, "{category}: {count} questions");
    }
}

/// Each judged item names one unit the index holds: an article of the
/// newest version of its law (older versions are history), or one case.
#[test]
fn every_consumer_judgment_is_one_unit_of_the_corpus() {
    let Some(corpus) = common::corpus() else { return };
    let loaded = content::load(&[corpus], Clock::default().today(), &|_, _| {}).unwrap();
    let mut by_title: HashMap<&str, Vec<&Document>> = HashMap::new();
    for doc in loaded.documents.iter().filter(|d| d.kind == Kind::Case || d.meta.status != Some(Status::Amended)) {
        by_title.entry(eval::short_title(&doc.meta.title)).or_default().push(doc);
    }
    let mut wrong = Vec::new();
    let mut items = 0;
    for question in questions() {
        for item in &question.relevant {
            items += 1;
            let docs = by_title.get(item.title.as_str()).map_or(&[][..], Vec::as_slice);
            let units = match &item.article {
                Some(article) => docs
                    .iter()
                    .filter(|d| d.kind == Kind::Law)
                    .flat_map(|d| &d.units)
                    .filter(|u| u.article.as_ref().is_some_and(|a| a.label == *article))
                    .count(),
                None => docs.iter().filter(|d| d.kind == Kind::Case).count(),
            };
            if units != 1 {
                wrong.push(format!(
                    "{} {}: {units} units, in `{}`",
                    item.title,
                    item.article.as_deref().unwrap_or(""),
                    question.q
                ));
            }
        }
    }
    assert!(items >= 150, "{items} judged items");
    assert!(wrong.is_empty(), "{wrong:#?}");
}
