//! Questions written for single articles (a content root's
//! `article-questions/`, and the typical questions of guides and warnings
//! for the articles their answering section cites), matched one by one:
//! the `similar_question` feature is how close the query comes to the
//! [`NEAREST`] closest questions written for the unit's article. The `asked` field pools all of an article's
//! questions into one bag of words, where a long everyday question matches
//! a few words of many bags; compared whole, the one question that tells
//! the same story stands out (nearest-neighbour retrieval over FAQs).
//!
//! Closeness is the IDF the query and a question share, over the square
//! root of the question's length times [`REFERENCE_LENGTH`], counting
//! characters and character pairs, each weighted by its IDF among the
//! written questions: they need no word splitting, so 吃出苍蝇 meets 吃出头发
//! on 吃出 whatever jieba does with either. Characters and pairs, and the
//! sum over the three closest questions rather than the closest alone,
//! were chosen on the tune half of the consumer set (docs/RELEVANCE.md).
//!
//! The query's own length is left out. A cosine divides by it too, and so
//! faded for exactly the questions that need it: someone who tells the
//! whole story in a paragraph four times as long as a one-line question
//! shares as much with the written question of that story, but the cosine
//! was half as large, while the BM25 features, which grow with every word
//! the story shares with a law, were not. Leaving it out raised every check
//! half of the consumer questions (docs/RELEVANCE.md, "Closeness without
//! the query's length").

/// How many of an article's closest questions count.
pub const NEAREST: usize = 3;

/// The length (summed IDF of characters and pairs) that stands in for the
/// query's in the closeness, so that its values keep the scale of a cosine
/// for a question of typical length: the judged questions' median is 369
/// (consumer) and 222 (STARD).
const REFERENCE_LENGTH: f32 = 300.0;

use std::cell::RefCell;

use rustc_hash::FxHashMap;

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
    /// A unit's `tie` hash → its questions. Fx hashing: the keys are
    /// numbers looked up for every candidate of every search, where the
    /// standard library's SipHash showed in profiles.
    by_unit: FxHashMap<u64, Vec<u32>>,
    /// Each question's units (the written-for article in every version
    /// of its law, or the articles a guide's section cites), by `tie`.
    units_of: Vec<Vec<u64>>,
    /// A character or pair → its place in `holders` and `idf`.
    terms: FxHashMap<u64, u32>,
    /// Each term's questions, one after another: the term at place `i`
    /// holds `holders[starts[i]..starts[i + 1]]`. One vector for all, where
    /// a vector per term (a million questions held, in 110,000 terms) was
    /// twice the memory.
    holders: Vec<u32>,
    starts: Vec<u32>,
    /// Each term's IDF among the questions, by place.
    idf: Vec<f32>,
    /// 1 / √(each question's length × [`REFERENCE_LENGTH`]), the length
    /// being the sum of its characters' and pairs' IDF.
    inverse_norms: Vec<f32>,
}

impl Written {
    /// Whether questions were written for the unit with this `tie` hash.
    pub fn has(&self, tie: u64) -> bool {
        self.by_unit.contains_key(&tie)
    }

    /// Indexes the questions of `file` by their characters and pairs.
    pub fn new(file: WrittenFile) -> Written {
        // Each term's place, in order of first appearance, and how many
        // questions hold it; each question kept as its terms' places, so no
        // term is looked up again.
        let mut terms: FxHashMap<u64, u32> = FxHashMap::default();
        let mut counts: Vec<u32> = Vec::new();
        let held: Vec<Vec<usize>> = file
            .questions
            .iter()
            .map(|question| {
                let places = terms_of(question).into_iter().map(|term| {
                    let place = *terms.entry(term).or_insert_with(|| {
                        counts.push(0);
                        (counts.len() - 1) as u32
                    }) as usize;
                    counts[place] += 1;
                    place
                });
                places.collect()
            })
            .collect();
        let starts: Vec<u32> = std::iter::once(0)
            .chain(counts.iter().scan(0, |sum, count| {
                *sum += count;
                Some(*sum)
            }))
            .collect();
        // Filled in question order, so each term's questions are ascending.
        let mut holders = vec![0; starts[counts.len()] as usize];
        let mut next: Vec<u32> = starts[..counts.len()].to_vec();
        for (question, places) in held.iter().enumerate() {
            for &place in places {
                holders[next[place] as usize] = question as u32;
                next[place] += 1;
            }
        }
        // ln(1 + N / df): above 0 for every term, however few the questions.
        let count = file.questions.len() as f32;
        let idf: Vec<f32> = counts.iter().map(|&df| (1.0 + count / df as f32).ln()).collect();
        let inverse_norms = held
            .iter()
            .map(|places| {
                let length: f32 = places.iter().map(|&place| idf[place]).sum();
                if length > 0.0 { (length * REFERENCE_LENGTH).sqrt().recip() } else { 0.0 }
            })
            .collect();
        let mut units_of = vec![Vec::new(); file.questions.len()];
        for (tie, questions) in &file.units {
            for question in questions {
                units_of[*question as usize].push(*tie);
            }
        }
        Written { by_unit: file.units.into_iter().collect(), units_of, terms, holders, starts, idf, inverse_norms }
    }

    /// How close `query` comes to each written question, for
    /// [`Matches::best`] and [`Matches::nearest`].
    pub fn matches(&self, query: &str) -> Matches<'_> {
        // One slot per question: common characters are held by thousands.
        // The slots are the thread's from its last search: a fresh vector
        // this large came from new pages, whose faults and release cost
        // more than the matching itself.
        let mut closeness = SPARE.with_borrow_mut(std::mem::take);
        closeness.clear();
        closeness.resize(if self.by_unit.is_empty() { 0 } else { self.inverse_norms.len() }, 0.0);
        if !closeness.is_empty() {
            for term in terms_of(query) {
                if let Some(&place) = self.terms.get(&term) {
                    let place = place as usize;
                    let idf = self.idf[place];
                    for question in &self.holders[self.starts[place] as usize..self.starts[place + 1] as usize] {
                        closeness[*question as usize] += idf;
                    }
                }
            }
            for (close, inverse_norm) in closeness.iter_mut().zip(&self.inverse_norms) {
                *close *= inverse_norm;
            }
        }
        Matches { written: self, closeness }
    }
}

thread_local! {
    /// The closeness slots of the thread's last [`Matches`], for its next.
    static SPARE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A query's closeness to the written questions.
pub struct Matches<'a> {
    written: &'a Written,
    /// Per question, how close the query comes to it.
    closeness: Vec<f32>,
}

impl Drop for Matches<'_> {
    fn drop(&mut self) {
        let closeness = std::mem::take(&mut self.closeness);
        SPARE.with_borrow_mut(|spare| *spare = closeness);
    }
}

impl Matches<'_> {
    /// The `count` units whose closest questions the query comes nearest,
    /// those with a [`Matches::best`] above `floor`, best first, equal ones
    /// by hash.
    pub fn nearest(&self, count: usize, floor: f32) -> Vec<(u64, f32)> {
        // A sum of NEAREST closenesses above the floor needs one above
        // floor / NEAREST: only those questions' units are measured, and
        // they closest first. A unit none of whose questions comes closer
        // than the one at hand sums to at most NEAREST times it, so once
        // that is below the count-th best sum found, no unit left can
        // enter (a long question comes that near to thousands of
        // questions, and measuring all their units was a twentieth of a
        // search).
        if count == 0 {
            return Vec::new();
        }
        let least = floor / NEAREST as f32;
        let mut questions: Vec<(f32, usize)> = self
            .closeness
            .iter()
            .enumerate()
            .filter(|(_, close)| **close > least)
            .map(|(question, close)| (*close, question))
            .collect();
        // Closest first, sorted a slice at a time: the walk below mostly
        // stops long before the thousands a long question comes near.
        let closer = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let mut measured: FxHashMap<u64, f32> = FxHashMap::default();
        let mut kept: Vec<f32> = Vec::new();
        let (mut start, mut slice) = (0, 64);
        'walk: while start < questions.len() {
            let rest = &mut questions[start..];
            let end = slice.min(rest.len());
            if end < rest.len() {
                rest.select_nth_unstable_by(end - 1, closer);
            }
            rest[..end].sort_unstable_by(closer);
            for &(close, question) in &rest[..end] {
                if kept.len() >= count && NEAREST as f32 * close < kept[count - 1] {
                    break 'walk;
                }
                for &tie in &self.written.units_of[question] {
                    if measured.contains_key(&tie) {
                        continue;
                    }
                    let best = self.best(tie);
                    measured.insert(tie, best);
                    if best > floor {
                        let at = kept.partition_point(|kept| *kept >= best);
                        kept.insert(at, best);
                        kept.truncate(count);
                    }
                }
            }
            start += end;
            slice *= 4;
        }
        let mut all: Vec<(u64, f32)> = measured.into_iter().filter(|(_, best)| *best > floor).collect();
        all.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(count);
        all
    }

    /// The sum of how close the query comes to the [`NEAREST`] closest
    /// questions written for the unit with this `tie` hash; 0 when none was
    /// written for it.
    pub fn best(&self, tie: u64) -> f32 {
        let Some(questions) = self.written.by_unit.get(&tie) else { return 0.0 };
        // The largest NEAREST, largest first.
        let mut nearest = [0.0_f32; NEAREST];
        for q in questions {
            let close = self.closeness[*q as usize];
            if close > nearest[NEAREST - 1] {
                let at = nearest.iter().position(|kept| close > *kept).unwrap_or(NEAREST - 1);
                nearest.copy_within(at..NEAREST - 1, at + 1);
                nearest[at] = close;
            }
        }
        nearest.iter().sum()
    }
}

/// The distinct letters and digits of `text`, and pairs of adjacent ones
/// (punctuation and spaces left out), each as one number: a character is
/// its code, below 2^32; a pair is the first code times 2^32 plus the
/// second.
fn terms_of(text: &str) -> Vec<u64> {
    let chars: Vec<char> = crate::text::normalize(text).chars().filter(|c| c.is_alphanumeric()).collect();
    let pairs = chars.windows(2).map(|w| (u64::from(w[0]) << 32) | u64::from(w[1]));
    let mut terms: Vec<u64> = chars.iter().map(|c| u64::from(*c)).chain(pairs).collect();
    terms.sort_unstable();
    terms.dedup();
    terms
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
    fn the_closest_questions_of_a_unit_decide() {
        let written = written();
        let matches = written.matches("外卖吃出苍蝇，商家只退了这一单");
        assert!(matches.best(1) > 0.1, "{}", matches.best(1));
        assert!(matches.best(2) < matches.best(1) / 3.0, "unit 2's questions share a character or two");
        assert_eq!(matches.best(3), 0.0, "no question written for unit 3");
        let gym = written.matches("健身房跑路了");
        assert!(gym.best(2) > gym.best(1), "the gym question of unit 2 is the close one");
    }

    #[test]
    fn the_nearest_units_come_best_first_and_only_those_that_share_something() {
        let written = written();
        let nearest = written.matches("健身房跑路了，卡里的钱");
        let units: Vec<u64> = nearest.nearest(5, 0.0).iter().map(|(tie, _)| *tie).collect();
        assert_eq!(units, [2, 1], "{:?}", nearest.nearest(5, 0.0));
        assert_eq!(nearest.nearest(1, 0.0).len(), 1);
        let floor = nearest.nearest(5, 0.0)[1].1;
        assert_eq!(nearest.nearest(5, floor).len(), 1, "unit 1, sharing a few characters, is not above its own value");
        assert!(written.matches("").nearest(5, 0.0).is_empty(), "nothing shared, nothing near");
        assert!(written.has(1) && !written.has(3));
    }

    #[test]
    fn the_nearest_are_those_that_measuring_every_unit_finds() {
        // 120 questions on 40 units, each unit with three of them, sharing
        // more or less of the query.
        let words = ["健身房", "跑路", "预付卡", "退款", "商家", "会员", "卡里的钱", "关门", "转让", "续费"];
        let questions: Vec<String> =
            (0..120).map(|i| format!("{}{}{}", words[i % 10], words[(i / 10) % 10], words[(i * 7) % 10])).collect();
        let units = (0..40).map(|unit| (unit as u64, vec![unit * 3, unit * 3 + 1, unit * 3 + 2])).collect();
        let written = Written::new(WrittenFile { questions, units });
        let matches = written.matches("健身房跑路了，预付卡里的钱能退款吗");
        for (count, floor) in [(1, 0.0), (5, 0.0), (12, 0.1), (40, 0.0), (0, 0.0)] {
            let mut every: Vec<(u64, f32)> =
                (0..40).map(|tie| (tie, matches.best(tie))).filter(|(_, best)| *best > floor).collect();
            every.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            every.truncate(count);
            assert_eq!(matches.nearest(count, floor), every, "count {count}, floor {floor}");
        }
    }

    #[test]
    fn the_slots_kept_from_a_search_leave_nothing_behind() {
        let written = written();
        let first = written.matches("健身房跑路了卡里的钱").best(2);
        // A larger set of questions on the same thread, then the first again.
        let more: Vec<String> = (0..200).map(|i| format!("健身房第{i}个问题")).collect();
        let larger = Written::new(WrittenFile { questions: more, units: vec![(7, vec![0, 199])] });
        assert!(larger.matches("健身房").best(7) > 0.0);
        assert_eq!(written.matches("外卖").best(2), 0.0, "no question of unit 2 holds 外卖");
        assert_eq!(written.matches("健身房跑路了卡里的钱").best(2), first);
    }

    #[test]
    fn a_question_matches_as_closely_inside_a_longer_story_and_punctuation_is_left_out() {
        let written = written();
        let same = written.matches("网上买的衣服，不合适能退吗？");
        let itself = written.matches("网上买的衣服不合适能退吗").best(2);
        assert!((same.best(2) - itself).abs() < 1e-5, "punctuation changes nothing");
        let told = written.matches("上个月网上买的衣服不合适能退吗？店家说拆了吊牌就不给退，我该找谁").best(2);
        assert!(told >= itself, "the same question inside a longer story comes as close: {told} < {itself}");
        assert!(
            itself > 2.0 * written.matches("网上买的").best(2),
            "the whole question comes closer than a part of it"
        );
        assert_eq!(written.matches("").best(2), 0.0);
        assert_eq!(Written::default().matches("网上买的衣服").best(2), 0.0);
    }
}
