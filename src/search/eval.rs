//! Relevance measurement over judged queries (`../shared/eval` format):
//! nDCG@10, Recall@10 and MRR, overall and per query.

use serde::{Deserialize, Serialize};

use super::{Engine, Error, SearchRequest};

/// Results scored per query.
const DEPTH: usize = 10;

/// One judged query, as a line of the JSONL file.
#[derive(Debug, Clone, Deserialize)]
pub struct Judged {
    pub q: String,
    pub relevant: Vec<Judgment>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Judgment {
    /// Short title: the H1 title without a leading 中华人民共和国.
    pub title: String,
    /// The article as written; absent for whole documents (cases).
    pub article: Option<String>,
    pub grade: u32,
}

/// Scores of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScore {
    pub query: String,
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    /// A grade-3 item (the answer) is in the top results.
    pub answered: bool,
    /// `short title 第X条` of the top results, for reading.
    pub top: Vec<String>,
}

/// Scores over all queries (macro averages).
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
    /// Queries with a grade-3 item in the top results.
    pub answered: usize,
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
    let mut scores = Vec::with_capacity(queries.len());
    for judged in queries {
        let request = SearchRequest { per_page: DEPTH, ..SearchRequest::new(judged.q.clone()) };
        let results = engine.search(&request)?;
        let ranked: Vec<(String, Option<String>)> =
            results.hits.iter().map(|hit| (short_title(&hit.title).to_string(), hit.article.clone())).collect();
        scores.push(score(judged, &ranked));
    }
    let mean = |f: fn(&QueryScore) -> f64| scores.iter().map(f).sum::<f64>() / scores.len().max(1) as f64;
    Ok(EvalReport {
        ndcg: mean(|s| s.ndcg),
        recall: mean(|s| s.recall),
        mrr: mean(|s| s.mrr),
        answered: scores.iter().filter(|s| s.answered).count(),
        queries: scores,
    })
}

/// Scores one ranked list of (short title, article) against the judgments.
/// Each judged item counts once; a whole-document judgment matches any unit
/// of that document.
pub fn score(judged: &Judged, ranked: &[(String, Option<String>)]) -> QueryScore {
    let mut used = vec![false; judged.relevant.len()];
    let mut dcg = 0.0;
    let mut first_relevant = None;
    let mut found = 0usize;
    let mut answered = false;
    for (rank, (title, article)) in ranked.iter().take(DEPTH).enumerate() {
        let hit = judged
            .relevant
            .iter()
            .enumerate()
            .find(|(i, j)| !used[*i] && j.title == *title && (j.article.is_none() || j.article == *article));
        if let Some((i, judgment)) = hit {
            used[i] = true;
            answered |= judgment.grade >= 3;
            dcg += f64::from(judgment.grade) / (rank as f64 + 2.0).log2();
            if judgment.grade >= 2 {
                found += 1;
                first_relevant.get_or_insert(rank + 1);
            }
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
    fn bad_lines_are_named() {
        assert!(parse_queries("\n{\"q\": 1}").unwrap_err().starts_with("line 2:"));
    }
}
