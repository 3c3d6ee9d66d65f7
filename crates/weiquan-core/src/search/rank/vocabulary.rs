//! A vocabulary learned from data: which everyday words point to which
//! words of the statutes. Learned from pairs of a question and the text of
//! the articles that answer it (`weiquan eval --learn`, on tune halves
//! only) by normalised pointwise mutual information over the pairs, and
//! kept in `crates/weiquan-core/src/search/lexicon/learned.txt`. Queries are
//! expanded with it at a low weight, measured by the `learned` feature; the
//! hand-written synonyms stay for what data cannot teach.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use crate::content::citations::law_key;
use crate::search::{Engine, Error};

/// The learned vocabulary compiled into the binary.
pub const LEARNED_FILE: &str = include_str!("../lexicon/learned.txt");

/// Words a query word is expanded to, at most.
pub const PER_WORD: usize = 3;
/// A pair must be seen together this often to be learned.
const MIN_TOGETHER: usize = 3;
/// And be this associated (normalised PMI, −1 to 1).
const MIN_NPMI: f64 = 0.25;

static BUILTIN: LazyLock<Vocabulary> = LazyLock::new(|| Vocabulary::parse(LEARNED_FILE));

/// Everyday word → statute words with the strength of the association.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    words: HashMap<String, Vec<(String, f32)>>,
}

impl Vocabulary {
    /// The vocabulary compiled into the binary ([`LEARNED_FILE`]).
    pub fn builtin() -> &'static Vocabulary {
        &BUILTIN
    }

    /// Reads `word => a:0.52, b:0.31` lines; `#` starts a comment.
    pub fn parse(text: &str) -> Vocabulary {
        let mut words = HashMap::new();
        for line in text.lines().map(|l| l.split('#').next().unwrap_or("").trim()) {
            let Some((word, targets)) = line.split_once("=>") else { continue };
            let targets: Vec<(String, f32)> = targets
                .split(',')
                .filter_map(|t| t.trim().rsplit_once(':'))
                .filter_map(|(w, s)| Some((w.trim().to_string(), s.trim().parse().ok()?)))
                .collect();
            if !targets.is_empty() {
                words.insert(word.trim().to_string(), targets);
            }
        }
        Vocabulary { words }
    }

    /// What `word` is expanded to.
    pub fn expansions(&self, word: &str) -> &[(String, f32)] {
        self.words.get(word).map_or(&[], Vec::as_slice)
    }

    /// Learns from (question words, answer words) pairs: a question word
    /// points to an answer word not in the question when they are seen
    /// together at least [`MIN_TOGETHER`] times with a normalised PMI of at
    /// least [`MIN_NPMI`]; the [`PER_WORD`] strongest are kept.
    pub fn learn(pairs: &[(HashSet<String>, HashSet<String>)]) -> Vocabulary {
        let n = pairs.len() as f64;
        let mut asked: HashMap<&str, usize> = HashMap::new();
        let mut answered: HashMap<&str, usize> = HashMap::new();
        let mut together: HashMap<(&str, &str), usize> = HashMap::new();
        for (question, answer) in pairs {
            for q in question {
                *asked.entry(q).or_default() += 1;
            }
            for a in answer {
                *answered.entry(a).or_default() += 1;
            }
            for q in question {
                for a in answer.iter().filter(|a| !question.contains(*a)) {
                    *together.entry((q, a)).or_default() += 1;
                }
            }
        }
        let mut learned: BTreeMap<String, Vec<(String, f32)>> = BTreeMap::new();
        for ((q, a), count) in together {
            if count < MIN_TOGETHER {
                continue;
            }
            let joint = count as f64 / n;
            let pmi = (joint / ((asked[q] as f64 / n) * (answered[a] as f64 / n))).ln();
            let npmi = pmi / -joint.ln();
            if npmi >= MIN_NPMI {
                learned.entry(q.to_string()).or_default().push((a.to_string(), npmi as f32));
            }
        }
        let words = learned
            .into_iter()
            .map(|(q, mut targets)| {
                targets.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                targets.truncate(PER_WORD);
                (q, targets)
            })
            .collect();
        Vocabulary { words }
    }

    /// The file's text, words sorted.
    pub fn to_text(&self) -> String {
        let mut words: Vec<_> = self.words.iter().collect();
        words.sort_by(|a, b| a.0.cmp(b.0));
        words
            .into_iter()
            .map(|(word, targets)| {
                let targets: Vec<String> = targets.iter().map(|(t, s)| format!("{t}:{s:.2}")).collect();
                format!("{word} => {}\n", targets.join(", "))
            })
            .collect()
    }
}

impl Engine {
    /// The query words (concepts) of a text, as the query builder sees them.
    pub fn concepts(&self, text: &str) -> Vec<String> {
        self.analyzer.concepts(text)
    }

    /// The text of an article in force, by short title and label
    /// (民法典, 第一千零七十九条), as the judgments name it.
    pub fn article_text(&self, title: &str, label: &str) -> Result<Option<String>, Error> {
        let Some(number) = crate::text::numerals::article_label(label) else { return Ok(None) };
        let article = self.article_in_force(&self.reader.searcher(), &law_key(title), number, label)?;
        Ok(article.map(|article| article.text))
    }

    /// The texts of the articles in force that `text` cites (《消费者权益保护法》
    /// 第二十五条, 消法第五十五条 ...), in order.
    pub fn cited_texts(&self, text: &str) -> Result<Vec<String>, Error> {
        let is_law = |name: &str| self.law_id(name).is_some();
        let searcher = self.reader.searcher();
        let mut texts = Vec::new();
        for citation in crate::content::citations::extract(text, &is_law) {
            let crate::content::citations::CitedLaw::Named(name) = &citation.law else { continue };
            let key = law_key(&self.analyzer.law_title(&crate::text::normalize(name)));
            for &number in &citation.articles {
                let label = crate::text::numerals::label(number);
                texts.extend(self.article_in_force(&searcher, &key, number, &label)?.map(|article| article.text));
            }
        }
        Ok(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn words_asked_with_an_answer_point_to_its_words() {
        let mut pairs = Vec::new();
        for _ in 0..4 {
            pairs.push((set(&["跑路", "健身房"]), set(&["预收款", "退回"])));
            pairs.push((set(&["手机", "坏了"]), set(&["修理", "更换"])));
        }
        pairs.push((set(&["跑路"]), set(&["修理"])));
        let learned = Vocabulary::learn(&pairs);
        let targets: Vec<&str> = learned.expansions("跑路").iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(targets.len(), 2);
        assert!(targets.contains(&"预收款") && targets.contains(&"退回"), "{targets:?}");
        assert!(learned.expansions("退回").is_empty(), "answer words point nowhere");
        assert_eq!(Vocabulary::parse(&learned.to_text()).to_text(), learned.to_text());
    }
}
