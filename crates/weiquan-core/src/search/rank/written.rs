//! Questions written for single articles (a content root's
//! `article-questions/`), matched one by one: the `similar_question`
//! feature is how close the query comes to the nearest question written for
//! the unit's article. The `asked` field pools all of an article's
//! questions into one bag of words, where a long everyday question matches
//! a few words of many bags; compared whole, the one question that tells
//! the same story stands out (nearest-neighbour retrieval over FAQs).
//!
//! Closeness is the cosine of the two texts' character pairs, each pair
//! weighted by its IDF among the written questions: character pairs need
//! no word splitting, so 吃出苍蝇 meets 吃出头发 on 吃出 whatever jieba does
//! with either.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// What the build keeps of the written questions: each question once, and
/// the units (by their `tie` hash) of the articles they were written for,
/// in every version of the law.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WrittenFile {
    /// The questions' texts.
    pub questions: Vec<String>,
    /// A unit's `tie` hash and the indexes of its questions.
    pub units: Vec<(u64, Vec<u32>)>,
}

/// The written questions, ready to be matched.
#[derive(Debug, Default)]
pub struct Written {
    /// A unit's `tie` hash → its questions.
    by_unit: HashMap<u64, Vec<u32>>,
    /// A character pair → the questions holding it, and its IDF.
    postings: HashMap<u64, (Vec<u32>, f32)>,
    /// Each question's length: the sum of its pairs' IDF.
    norms: Vec<f32>,
    /// The IDF of a pair no question holds.
    unseen: f32,
}

impl Written {
    /// Indexes the questions of `file` by their character pairs.
    pub fn new(file: WrittenFile) -> Written {
        let mut postings: HashMap<u64, (Vec<u32>, f32)> = HashMap::new();
        let pairs: Vec<Vec<u64>> = file.questions.iter().map(|q| pairs(q)).collect();
        for (question, held) in pairs.iter().enumerate() {
            for pair in held {
                postings.entry(*pair).or_default().0.push(question as u32);
            }
        }
        // ln(1 + N / df): above 0 for every pair, however few the questions.
        let count = file.questions.len() as f32;
        for (questions, idf) in postings.values_mut() {
            *idf = (1.0 + count / questions.len() as f32).ln();
        }
        let norms = pairs.iter().map(|held| held.iter().map(|p| postings[p].1).sum()).collect();
        Written { by_unit: file.units.into_iter().collect(), postings, norms, unseen: (1.0 + count).ln() }
    }

    /// How much of each written question `query` holds, for [`Matches::best`].
    pub fn matches(&self, query: &str) -> Matches<'_> {
        let mut shared: HashMap<u32, f32> = HashMap::new();
        let mut length = 0.0;
        if !self.by_unit.is_empty() {
            for pair in pairs(query) {
                match self.postings.get(&pair) {
                    Some((questions, idf)) => {
                        length += idf;
                        for question in questions {
                            *shared.entry(*question).or_default() += idf;
                        }
                    }
                    None => length += self.unseen,
                }
            }
        }
        Matches { written: self, shared, length }
    }
}

/// A query's overlap with the written questions.
pub struct Matches<'a> {
    written: &'a Written,
    /// A question → the IDF of the pairs it shares with the query.
    shared: HashMap<u32, f32>,
    /// The query's length: the sum of its pairs' IDF.
    length: f32,
}

impl Matches<'_> {
    /// The cosine between the query and the closest question written for
    /// the unit with this `tie` hash; 0 when none was written for it.
    pub fn best(&self, tie: u64) -> f32 {
        let Some(questions) = self.written.by_unit.get(&tie) else { return 0.0 };
        questions
            .iter()
            .filter_map(|q| {
                let shared = self.shared.get(q)?;
                let norm = self.written.norms[*q as usize];
                (norm > 0.0 && self.length > 0.0).then(|| shared / (norm * self.length).sqrt())
            })
            .fold(0.0, f32::max)
    }
}

/// The distinct pairs of adjacent letters and digits of `text` (punctuation
/// and spaces left out), each as one number.
fn pairs(text: &str) -> Vec<u64> {
    let chars: Vec<char> = crate::text::normalize(text).chars().filter(|c| c.is_alphanumeric()).collect();
    let mut pairs: Vec<u64> = chars.windows(2).map(|w| (u64::from(w[0]) << 32) | u64::from(w[1])).collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written() -> Written {
        let questions = ["外卖里吃出头发了，商家只肯退钱", "网上买的衣服不合适能退吗", "健身房跑路了卡里的钱怎么办"];
        Written::new(WrittenFile {
            questions: questions.iter().map(|q| q.to_string()).collect(),
            units: vec![(1, vec![0]), (2, vec![1, 2])],
        })
    }

    #[test]
    fn the_closest_question_of_a_unit_decides() {
        let written = written();
        let matches = written.matches("外卖吃出苍蝇，商家只退了这一单");
        assert!(matches.best(1) > 0.3, "{}", matches.best(1));
        assert_eq!(matches.best(2), 0.0, "nothing in common with either question of unit 2");
        assert_eq!(matches.best(3), 0.0, "no question written for unit 3");
        let gym = written.matches("健身房跑路了");
        assert!(gym.best(2) > gym.best(1), "the gym question of unit 2 is the close one");
    }

    #[test]
    fn a_question_matches_itself_fully_and_punctuation_is_left_out() {
        let written = written();
        let same = written.matches("网上买的衣服，不合适能退吗？");
        assert!((same.best(2) - 1.0).abs() < 1e-5, "{}", same.best(2));
        assert_eq!(written.matches("").best(2), 0.0);
        assert_eq!(Written::default().matches("网上买的衣服").best(2), 0.0);
    }
}
