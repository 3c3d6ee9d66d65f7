//! Fitting the model's weights on judged questions: coordinate ascent
//! (Metzler and Croft 2007) on the mean nDCG@10 of the judged sets, each
//! set counting equally whatever its size.
//!
//! Each question's candidates and their features are measured once; trying
//! a weight only reorders them in memory, so a fit takes about a minute.

use super::{COUNT, Feature, Features, Model, tier};
use crate::search::eval::{self, Judged};

/// A candidate of a judged question.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Its feature values.
    pub features: Features,
    /// The short title and article label the judgments use.
    pub title: String,
    /// Its article label, when it is an article.
    pub article: Option<String>,
    /// The article the query names, always first.
    pub named: bool,
}

/// A judged question with its measured candidates.
pub struct Question {
    /// Which judged set it is from.
    pub set: usize,
    /// The question and its judgments.
    pub judged: Judged,
    /// Its candidates, measured.
    pub candidates: Vec<Scored>,
}

/// The figures of `model` on `questions`.
pub fn report<'a>(model: &Model, questions: impl IntoIterator<Item = &'a Question>) -> eval::EvalReport {
    eval::EvalReport::of(questions.into_iter().map(|q| eval::score(&q.judged, &order(model, &q.candidates))).collect())
}

/// The mean nDCG@10 of each set, and their mean.
pub fn objective(model: &Model, questions: &[Question], sets: usize) -> (f64, Vec<f64>) {
    let mut sums = vec![(0.0, 0usize); sets];
    for question in questions {
        let ranked = order(model, &question.candidates);
        let score = eval::score(&question.judged, &ranked);
        sums[question.set].0 += score.ndcg;
        sums[question.set].1 += 1;
    }
    let means: Vec<f64> = sums.iter().map(|(sum, n)| if *n > 0 { sum / *n as f64 } else { 0.0 }).collect();
    let used: Vec<f64> = sums.iter().zip(&means).filter(|((_, n), _)| *n > 0).map(|(_, m)| *m).collect();
    (used.iter().sum::<f64>() / used.len().max(1) as f64, means)
}

/// The candidates' (title, article) in the model's order, the named article
/// first, then by [`tier`].
fn order(model: &Model, candidates: &[Scored]) -> Vec<(String, Option<String>)> {
    let mut scored: Vec<(bool, u8, f32, usize)> =
        candidates.iter().enumerate().map(|(i, c)| (c.named, tier(&c.features), model.score(&c.features), i)).collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.total_cmp(&a.2)).then(a.3.cmp(&b.3)));
    scored
        .into_iter()
        .take(eval::RECALL_DEPTH)
        .map(|(_, _, _, i)| (candidates[i].title.clone(), candidates[i].article.clone()))
        .collect()
}

/// Coordinate ascent from `start`: each weight in turn is moved by steps
/// scaled to its feature's spread, and a move is kept when it raises the
/// objective; rounds repeat until none does (at most `rounds`). Evidence of
/// a match keeps a weight of at least 0 ([`Feature::is_evidence`]).
pub fn fit(start: &Model, questions: &[Question], sets: usize, rounds: usize) -> Model {
    let spread = spreads(questions);
    let mut model = start.clone();
    let (mut best, _) = objective(&model, questions, sets);
    for _ in 0..rounds {
        let mut improved = false;
        for feature in Feature::ALL {
            let i = *feature as usize;
            if spread[i] == 0.0 {
                continue;
            }
            let current = model.weights[i];
            let steps = [-2.0, -1.0, -0.5, -0.25, -0.1, -0.05, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0];
            let tries = steps.iter().map(|step| current + step / spread[i]).chain([0.0]);
            for weight in tries.filter(|w| *w >= 0.0 || !feature.is_evidence()) {
                let mut trial = model.clone();
                trial.weights[i] = weight;
                let (value, _) = objective(&trial, questions, sets);
                if value > best + 1e-5 {
                    (best, model) = (value, trial);
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    model
}

/// The standard deviation of each feature over all candidates.
fn spreads(questions: &[Question]) -> [f32; COUNT] {
    let mut sum = [0.0f64; COUNT];
    let mut squares = [0.0f64; COUNT];
    let mut n = 0.0;
    for candidate in questions.iter().flat_map(|q| &q.candidates) {
        for (i, value) in candidate.features.0.iter().enumerate() {
            sum[i] += f64::from(*value);
            squares[i] += f64::from(*value) * f64::from(*value);
        }
        n += 1.0;
    }
    let mut spread = [0.0f32; COUNT];
    if n > 0.0 {
        for i in 0..COUNT {
            let mean = sum[i] / n;
            spread[i] = (squares[i] / n - mean * mean).max(0.0).sqrt() as f32;
        }
    }
    spread
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(title: &str, coverage: f32, case: f32) -> Scored {
        let mut features = Features::default();
        features.set(Feature::Coverage, coverage);
        features.set(Feature::Case, case);
        Scored { features, title: title.into(), article: None, named: false }
    }

    #[test]
    fn ascent_finds_weights_that_put_the_judged_answer_first() {
        let judged = |title: &str| Judged {
            q: "问".into(),
            relevant: vec![eval::Judgment { title: title.into(), article: None, grade: 3 }],
        };
        // The answer covers less of the query than a case does: only a
        // negative weight on cases puts it first.
        let questions = vec![Question {
            set: 0,
            judged: judged("答"),
            candidates: vec![candidate("案", 1.0, 1.0), candidate("答", 0.8, 0.0)],
        }];
        let mut start = Model { weights: [0.0; COUNT] };
        start.weights[Feature::Coverage as usize] = 1.0;
        assert!(objective(&start, &questions, 1).0 < 1.0);
        let fitted = fit(&start, &questions, 1, 5);
        assert_eq!(objective(&fitted, &questions, 1).0, 1.0);
        assert!(fitted.weights[Feature::Case as usize] < 0.0, "{fitted:?}");
    }
}
