//! Relevance measurement over judged queries (`../shared/eval` format):
//! nDCG@10, Recall@10, Recall@100 and MRR, overall and per query, on a whole
//! judged file or on one of its two fixed halves ([`Split`]).

use serde::{Deserialize, Serialize};

use super::{Engine, Error, MAX_PER_PAGE, SearchRequest};

/// Results scored for nDCG, Recall@10 and MRR.
const DEPTH: usize = 10;

/// Results fetched per query. Recall@100 is measured on all of them, the
/// other metrics on the first [`DEPTH`]: one ranking, one search.
pub const RECALL_DEPTH: usize = 100;
const _: () = assert!(RECALL_DEPTH <= MAX_PER_PAGE, "one page must hold the Recall@100 depth");

/// Seed of the split hash: the number of the issue that introduced the
/// split. Any fixed value would do; changing it moves questions between the
/// halves and makes every figure measured on them incomparable.
const SPLIT_SEED: u64 = 18;

/// One judged query, as a line of the JSONL file.
#[derive(Debug, Clone, Deserialize)]
pub struct Judged {
    /// The query, as a consumer would type it.
    pub q: String,
    /// The items judged relevant to it.
    pub relevant: Vec<Judgment>,
}

/// An item judged relevant to a query.
#[derive(Debug, Clone, Deserialize)]
pub struct Judgment {
    /// Short title: the H1 title without a leading 中华人民共和国.
    pub title: String,
    /// The article as written; absent for whole documents (cases).
    pub article: Option<String>,
    /// How relevant: 3 the answer, 2 clearly relevant, 1 related background.
    pub grade: u32,
}

/// One of the two halves every judged set is split into. Changes are tuned
/// on one half and checked on the other: a change that raises `Tune` but not
/// `Check` is fitted to the questions it was tuned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The half changes are tuned on.
    Tune,
    /// The half changes are checked on.
    Check,
}

impl Split {
    /// Parses `tune` or `check`.
    pub fn parse(text: &str) -> Option<Split> {
        match text {
            "tune" => Some(Split::Tune),
            "check" => Some(Split::Check),
            _ => None,
        }
    }

    /// The half a question belongs to, from its text alone (trimmed): the
    /// top bit of [`stable_hash`]. So a question stays in its half whatever
    /// file it is in, and a subset of a file splits like the file.
    pub fn of(question: &str) -> Split {
        if stable_hash(question.trim()) >> 63 == 0 { Split::Tune } else { Split::Check }
    }

    /// The fold (0 or 1) of a tune question, by the next bit of the same
    /// hash. A fit measures each fold on an index whose asked words were
    /// learned from the other fold only, so the words of a question never
    /// help to rank it (docs/RELEVANCE.md).
    pub fn fold(question: &str) -> usize {
        (stable_hash(question.trim()) >> 62 & 1) as usize
    }
}

/// The questions of `queries` that fall in `half`, in file order.
pub fn split(queries: Vec<Judged>, half: Split) -> Vec<Judged> {
    queries.into_iter().filter(|judged| Split::of(&judged.q) == half).collect()
}

fn stable_hash(text: &str) -> u64 {
    crate::text::stable_hash(SPLIT_SEED, text)
}

/// Scores of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScore {
    /// The query.
    pub query: String,
    /// nDCG@10.
    pub ndcg: f64,
    /// Recall@10.
    pub recall: f64,
    /// Recall@100: judged items of grade 2 or more among the first
    /// [`RECALL_DEPTH`] results, over all of them.
    pub recall100: f64,
    /// Reciprocal rank of the first item of grade 2 or more in the top 10 (0 when none).
    pub mrr: f64,
    /// A grade-3 item (the answer) is in the top results.
    pub answered: bool,
    /// `short title 第X条` of the top results, for reading.
    pub top: Vec<String>,
}

/// Scores over all queries (macro averages).
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Mean nDCG@10.
    pub ndcg: f64,
    /// Recall@10.
    pub recall: f64,
    /// Recall@100.
    pub recall100: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
    /// Queries with a grade-3 item in the top results.
    pub answered: usize,
    /// Each query's scores.
    pub queries: Vec<QueryScore>,
}

/// Parses JSONL; blank lines are skipped. Errors name the line.
pub fn parse_queries(text: &str) -> Result<Vec<Judged>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// The short title the judgments use.
pub fn short_title(title: &str) -> &str {
    title.strip_prefix("中华人民共和国").unwrap_or(title)
}

/// Runs every query and scores the top results.
pub fn evaluate(engine: &Engine, queries: &[Judged]) -> Result<EvalReport, Error> {
    evaluate_with(engine, queries, super::rank::Model::builtin())
}

/// [`evaluate`] with the ranking of `model`.
pub fn evaluate_with(engine: &Engine, queries: &[Judged], model: &super::rank::Model) -> Result<EvalReport, Error> {
    let mut scores = Vec::with_capacity(queries.len());
    for judged in queries {
        let request = SearchRequest { per_page: RECALL_DEPTH, ..SearchRequest::new(judged.q.clone()) };
        let results = engine.search_with(&request, model)?;
        let ranked: Vec<(String, Option<String>)> =
            results.hits.iter().map(|hit| (short_title(&hit.title).to_string(), hit.article.clone())).collect();
        scores.push(score(judged, &ranked));
    }
    Ok(EvalReport::of(scores))
}

impl EvalReport {
    /// The means of per-query scores.
    pub fn of(scores: Vec<QueryScore>) -> EvalReport {
        let mean = |f: fn(&QueryScore) -> f64| scores.iter().map(f).sum::<f64>() / scores.len().max(1) as f64;
        EvalReport {
            ndcg: mean(|s| s.ndcg),
            recall: mean(|s| s.recall),
            recall100: mean(|s| s.recall100),
            mrr: mean(|s| s.mrr),
            answered: scores.iter().filter(|s| s.answered).count(),
            queries: scores,
        }
    }
}

/// Scores one ranked list of (short title, article) against the judgments:
/// the first [`DEPTH`] results for nDCG, Recall@10 and MRR, the first
/// [`RECALL_DEPTH`] for Recall@100. Each judged item counts once; a
/// whole-document judgment matches any unit of that document.
pub fn score(judged: &Judged, ranked: &[(String, Option<String>)]) -> QueryScore {
    let mut used = vec![false; judged.relevant.len()];
    let mut dcg = 0.0;
    let mut first_relevant = None;
    let mut found = 0usize;
    let mut found100 = 0usize;
    let mut answered = false;
    for (rank, (title, article)) in ranked.iter().take(RECALL_DEPTH).enumerate() {
        let hit = judged
            .relevant
            .iter()
            .enumerate()
            .find(|(i, j)| !used[*i] && j.title == *title && (j.article.is_none() || j.article == *article));
        let Some((i, judgment)) = hit else { continue };
        used[i] = true;
        found100 += usize::from(judgment.grade >= 2);
        if rank >= DEPTH {
            continue;
        }
        answered |= judgment.grade >= 3;
        dcg += f64::from(judgment.grade) / (rank as f64 + 2.0).log2();
        if judgment.grade >= 2 {
            found += 1;
            first_relevant.get_or_insert(rank + 1);
        }
    }
    let mut grades: Vec<u32> = judged.relevant.iter().map(|j| j.grade).collect();
    grades.sort_unstable_by(|a, b| b.cmp(a));
    let ideal: f64 = grades.iter().take(DEPTH).enumerate().map(|(i, &g)| f64::from(g) / (i as f64 + 2.0).log2()).sum();
    let relevant = judged.relevant.iter().filter(|j| j.grade >= 2).count();
    QueryScore {
        query: judged.q.clone(),
        ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
        recall: if relevant > 0 { found as f64 / relevant as f64 } else { 0.0 },
        recall100: if relevant > 0 { found100 as f64 / relevant as f64 } else { 0.0 },
        mrr: first_relevant.map_or(0.0, |rank| 1.0 / rank as f64),
        answered,
        top: ranked
            .iter()
            .take(3)
            .map(|(title, article)| format!("{title}{}", article.as_deref().unwrap_or("")))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged() -> Judged {
        parse_queries(
            r#"{"q": "定金", "relevant": [{"title": "民法典", "article": "第五百八十七条", "grade": 3}, {"title": "民法典", "article": "第五百八十六条", "grade": 2}, {"title": "某案", "grade": 1}]}"#,
        )
        .unwrap()
        .remove(0)
    }

    const STABLE_EMPTY: u64 = 0x93cf_1651_54d7_a540;
    const STABLE_RETURN: u64 = 0x694f_04cd_728e_562a;
    const RECORDED: [(&str, Split); 6] = [
        ("七天无理由退货", Split::Tune),
        ("商家拒绝开发票", Split::Check),
        ("买了口锅，商家说要开发票得加钱", Split::Tune),
        ("谁可以成为个体工商户？", Split::Check),
        ("物业管理条例第三十五条", Split::Tune),
        ("消法55条", Split::Check),
    ];

    fn item(title: &str, article: Option<&str>) -> (String, Option<String>) {
        (title.to_string(), article.map(String::from))
    }

    #[test]
    fn perfect_ranking_scores_one() {
        let ranked =
            [item("民法典", Some("第五百八十七条")), item("民法典", Some("第五百八十六条")), item("某案", None)];
        let score = score(&judged(), &ranked);
        assert!((score.ndcg - 1.0).abs() < 1e-9);
        assert_eq!((score.recall, score.mrr), (1.0, 1.0));
        assert!(score.answered);
    }

    #[test]
    fn repeats_earn_nothing_and_documents_match_any_unit() {
        let ranked = [
            item("其他法", Some("第一条")),
            item("民法典", Some("第五百八十六条")),
            item("民法典", Some("第五百八十六条")),
            item("某案", Some("第三条")),
        ];
        let score = score(&judged(), &ranked);
        let dcg = 2.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let ideal = 3.0 + 2.0 / 3f64.log2() + 1.0 / 2.0;
        assert!((score.ndcg - dcg / ideal).abs() < 1e-9);
        assert_eq!((score.recall, score.mrr), (0.5, 0.5));
        assert!(!score.answered, "the grade-3 item is not in the list");
    }

    #[test]
    fn recall_at_100_counts_what_the_top_10_misses() {
        let filler = |n: usize| item("其他法", Some(&format!("第{n}条")));
        let mut ranked: Vec<_> = (0..120).map(filler).collect();
        ranked[0] = item("民法典", Some("第五百八十七条"));
        ranked[59] = item("民法典", Some("第五百八十六条"));
        let score = score(&judged(), &ranked);
        assert_eq!((score.recall, score.recall100), (0.5, 1.0));
        assert!(score.answered && score.mrr == 1.0, "the top-10 metrics are unchanged");

        ranked[59] = filler(59);
        ranked[100] = item("民法典", Some("第五百八十六条"));
        assert_eq!(super::score(&judged(), &ranked).recall100, 0.5, "rank 101 is beyond the depth");
        let short = super::score(&judged(), &ranked[..1]);
        assert_eq!((short.recall, short.recall100), (0.5, 0.5), "a short list is scored as it is");
    }

    /// The halves of these questions were recorded once; any change to the
    /// hash, the seed or the rule fails here before it silently moves
    /// questions between the halves.
    #[test]
    fn the_split_is_the_same_everywhere() {
        assert_eq!(stable_hash(""), STABLE_EMPTY);
        assert_eq!(stable_hash("七天无理由退货"), STABLE_RETURN);
        let halves: Vec<Split> = RECORDED.iter().map(|(q, _)| Split::of(q)).collect();
        assert_eq!(halves, RECORDED.iter().map(|(_, half)| *half).collect::<Vec<_>>());
        assert_eq!(Split::of("  七天无理由退货\n"), Split::of("七天无理由退货"), "surrounding space does not count");
    }

    #[test]
    fn the_halves_are_about_even_disjoint_and_complete() {
        let queries: Vec<Judged> =
            (0..2000).map(|i| Judged { q: format!("问题{i}：买的东西坏了怎么办"), relevant: Vec::new() }).collect();
        let tune = split(queries.clone(), Split::Tune);
        let check = split(queries.clone(), Split::Check);
        assert!((900..=1100).contains(&tune.len()), "{} of 2000 in tune", tune.len());
        assert_eq!(tune.len() + check.len(), queries.len());
        let tune: std::collections::HashSet<&str> = tune.iter().map(|j| j.q.as_str()).collect();
        assert!(check.iter().all(|j| !tune.contains(j.q.as_str())));
        assert_eq!(
            (Split::parse("tune"), Split::parse("check"), Split::parse("all")),
            (Some(Split::Tune), Some(Split::Check), None)
        );
    }

    #[test]
    fn the_folds_split_the_tune_half_in_two() {
        let queries: Vec<Judged> =
            (0..2000).map(|i| Judged { q: format!("问题{i}：买的东西坏了怎么办"), relevant: Vec::new() }).collect();
        let tune = split(queries, Split::Tune);
        let first = tune.iter().filter(|j| Split::fold(&j.q) == 0).count();
        assert!((tune.len() * 2 / 5..=tune.len() * 3 / 5).contains(&first), "{first} of {} in fold 0", tune.len());
        assert!(tune.iter().all(|j| Split::fold(&j.q) < 2));
        assert_eq!(Split::fold("  七天无理由退货\n"), Split::fold("七天无理由退货"));
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(parse_queries("\n{\"q\": 1}").unwrap_err().starts_with("line 2:"));
    }
}
