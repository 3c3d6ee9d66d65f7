//! Search-as-you-type: completions from what people ask (the common
//! questions, and the typical questions of guides and warnings), tags and
//! titles: shipped guides and warnings first, then cases, the consumer-law
//! core, other national texts and, last, local regulations.

use std::collections::{BTreeMap, HashMap, HashSet};

use pinyin::ToPinyinMulti;
use serde::{Deserialize, Serialize};

use crate::content::citations::law_key;
use crate::content::{Kind, Loaded};
use crate::text::normalize;

/// Left off the start of law titles when matching.
const STATE_PREFIX: &str = "中华人民共和国";

/// Longest entry, in characters, spelled by initials from inside
/// (yfk in 北京市单用途预付卡管理条例).
const MAX_SPELLED_BY_INITIALS: usize = 16;

/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// Where a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// A common question (`content/questions.txt`).
    Question,
    /// A typical question of a guide or warning (its `questions`).
    Faq,
    Tag,
    Title,
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
    /// For titles: the document it opens.
    pub id: Option<String>,
    /// For titles: the kind of that document (law, guide, warning, case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,
    /// For tags: how many documents carry it.
    pub count: Option<u64>,
}

/// Everything that can be suggested, built with the index and saved with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// Every suggestion.
    pub entries: Vec<Suggestion>,
    /// Per entry, its place among entries that match as well (0 first):
    /// see [`title_priority`].
    #[serde(default)]
    priorities: Vec<u8>,
    /// Each entry normalised, and the characters that have pinyin
    /// readings, made on load.
    #[serde(skip)]
    prepared: Vec<Prepared>,
    /// For each letter a to z, the (entry, character) places whose reading
    /// starts with it: where a spelling inside an entry can begin. As
    /// `u32`, half the memory of `usize` pairs.
    #[serde(skip)]
    starts_by_letter: Vec<Vec<(u32, u32)>>,
}

/// An entry made ready for matching.
#[derive(Debug, Clone)]
struct Prepared {
    text: String,
    /// The characters that have pinyin readings, in order. Their readings
    /// are read from the pinyin crate's static tables when matching: kept
    /// per character, they were 20 MB of the server's memory.
    spelled: Vec<char>,
    /// Whether the text has Latin letters, which typed letters can match as
    /// they are.
    has_latin: bool,
    /// Per character, a bit per letter its readings start with: most
    /// characters are ruled out before any comparison.
    initials: Vec<u32>,
}

impl Prepared {
    fn new(text: &str) -> Prepared {
        let text = normalize(text);
        let spelled: Vec<char> = text.chars().filter(|c| c.to_pinyin_multi().is_some()).collect();
        let initials =
            spelled.iter().map(|&c| readings(c).map(|(full, _)| letter_bit(full)).fold(0, |a, b| a | b)).collect();
        let has_latin = text.bytes().any(|b| b.is_ascii_alphabetic());
        Prepared { text, spelled, initials, has_latin }
    }

    /// Whether `typed` spells the characters from `start` on.
    fn spells(&self, start: usize, typed: &str) -> bool {
        self.initials.get(start).is_some_and(|&bits| bits & letter_bit(typed) != 0)
            && spells(&self.spelled, start, typed, true)
    }
}

/// The bit of the first letter of `text` (0 when it is not a to z).
fn letter_bit(text: &str) -> u32 {
    match text.as_bytes().first() {
        Some(b @ b'a'..=b'z') => 1 << (b - b'a'),
        _ => 0,
    }
}

/// The pinyin readings (without tones) and their initials of a character
/// (卡 → ka, qia; none for a character without readings). A polyphonic
/// character gives every reading, so the right one is always there.
fn readings(c: char) -> impl Iterator<Item = Reading> {
    c.to_pinyin_multi().into_iter().flatten().map(|p| (p.plain(), p.first_letter()))
}

/// A reading in full and its initial.
type Reading = (&'static str, &'static str);

/// Whether `typed` spells the characters from `start` on, either all in full
/// pinyin (yufuka, or yuf while typing) or all by initials (yfk).
/// Initials only count from `start` with `by_initials`: three letters spell
/// some run of characters inside almost any long sentence.
fn spells(spelled: &[char], start: usize, typed: &str, by_initials: bool) -> bool {
    fn walk(spelled: &[char], rest: &str, initials: bool) -> bool {
        if rest.is_empty() {
            return true;
        }
        let Some((&c, next)) = spelled.split_first() else { return false };
        readings(c).any(|(full, initial)| {
            let part = if initials { initial } else { full };
            match rest.strip_prefix(part) {
                Some(after) => walk(next, after, initials),
                // Typing stopped inside this syllable.
                None => !initials && part.starts_with(rest),
            }
        })
    }
    let from = &spelled[start..];
    walk(from, typed, false) || by_initials && walk(from, typed, true)
}

impl Catalog {
    /// The common questions of the content roots, the typical questions of
    /// guides and warnings, tags with their counts and titles (once per
    /// title, newest version first). `consumer` is how much each law is
    /// about consumers (`build::consumer_relevance`).
    pub fn from_loaded(loaded: &Loaded, consumer: &HashMap<String, f64>) -> Catalog {
        let suggestion =
            |text: &str, kind| Suggestion { text: text.to_string(), kind, id: None, document_kind: None, count: None };
        let common: Vec<&str> = loaded
            .questions
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .collect();
        let mut entries: Vec<(Suggestion, u8)> =
            common.iter().map(|q| (suggestion(q, SuggestionKind::Question), 0)).collect();
        let mut seen: HashSet<&str> = common.into_iter().collect();
        let mut tags: BTreeMap<&str, u64> = BTreeMap::new();
        let mut titles: BTreeMap<&str, (&crate::content::Document, Option<chrono::NaiveDate>)> = BTreeMap::new();
        for doc in loaded.documents.iter().filter(|d| d.is_published() && d.meta.publish_at.is_none()) {
            for tag in &doc.meta.tags {
                *tags.entry(tag).or_default() += 1;
            }
            for question in &doc.meta.questions {
                if seen.insert(question) {
                    entries.push((suggestion(question, SuggestionKind::Faq), 0));
                }
            }
            let newest = titles.entry(&doc.meta.title).or_insert((doc, doc.meta.date));
            if doc.meta.date > newest.1 {
                *newest = (doc, doc.meta.date);
            }
        }
        entries.extend(
            tags.into_iter()
                .map(|(tag, count)| (Suggestion { count: Some(count), ..suggestion(tag, SuggestionKind::Tag) }, 0)),
        );
        entries.extend(titles.into_iter().map(|(title, (doc, _))| {
            let entry = Suggestion {
                id: Some(doc.id.clone()),
                document_kind: Some(doc.kind.as_str().to_string()),
                ..suggestion(title, SuggestionKind::Title)
            };
            (entry, title_priority(doc, consumer))
        }));
        let (entries, priorities) = entries.into_iter().unzip();
        let mut catalog = Catalog { entries, priorities, ..Catalog::default() };
        catalog.prepare();
        catalog
    }

    /// A catalog of these entries, ready to suggest.
    pub fn new(entries: Vec<Suggestion>) -> Catalog {
        let priorities = vec![0; entries.len()];
        let mut catalog = Catalog { entries, priorities, ..Catalog::default() };
        catalog.prepare();
        catalog
    }

    /// Computes the pinyin spellings (after loading a saved catalog), also
    /// of law titles without 中华人民共和国.
    pub fn prepare(&mut self) {
        self.prepared = self.entries.iter().map(|e| Prepared::new(&e.text)).collect();
        self.starts_by_letter = (0..26)
            .map(|letter| {
                let places = self.prepared.iter().enumerate().flat_map(|(entry, prepared)| {
                    prepared
                        .initials
                        .iter()
                        .enumerate()
                        .filter(move |(_, bits)| *bits & (1 << letter) != 0)
                        .map(move |(c, _)| (entry as u32, c as u32))
                });
                places.collect()
            })
            .collect();
    }

    /// Completions for what has been typed: entries that start with it, then
    /// entries that contain it; questions before tags before titles, titles
    /// by [`title_priority`]; shorter first. Matching ignores case,
    /// full-width forms and a leading 中华人民共和国.
    pub fn suggest(&self, typed: &str) -> Vec<Suggestion> {
        let typed = normalize(typed.trim());
        if typed.is_empty() {
            return Vec::new();
        }
        let latin = typed.chars().all(|c| c.is_ascii_alphabetic());
        // Entries spelled from inside (tuihuo in 七日无理由退货): only the places
        // whose reading starts with the first letter typed are tried.
        let mut spelled_inside = vec![false; self.entries.len()];
        if latin && typed.len() >= 3 {
            let letter = usize::from(typed.as_bytes()[0] - b'a');
            for &(entry, start) in self.starts_by_letter.get(letter).into_iter().flatten() {
                // By initials only inside a short entry (a title or a tag), not a question.
                let (entry, start) = (entry as usize, start as usize);
                let prepared = &self.prepared[entry];
                let by_initials = prepared.spelled.len() <= MAX_SPELLED_BY_INITIALS;
                if start > 0 && !spelled_inside[entry] && spells(&prepared.spelled, start, &typed, by_initials) {
                    spelled_inside[entry] = true;
                }
            }
        }
        let priority = |i: usize| self.priorities.get(i).copied().unwrap_or(0);
        let mut matches: Vec<(u8, SuggestionKind, u8, usize, &Suggestion)> = self
            .entries
            .iter()
            .zip(&self.prepared)
            .enumerate()
            .filter_map(|(i, (entry, prepared))| {
                let text = prepared.text.as_str();
                let short = text.strip_prefix(STATE_PREFIX);
                // Letters typed are compared with the text only if it has any.
                let literal = !latin || prepared.has_latin;
                let prefix_of = |text: &str| literal && text.starts_with(&typed);
                // Spelling may also start after the state prefix.
                let starts = [Some(0), short.map(|_| STATE_PREFIX.chars().count())];
                let rank = if prefix_of(text)
                    || short.is_some_and(prefix_of)
                    || latin && starts.into_iter().flatten().any(|start| prepared.spells(start, &typed))
                {
                    0
                } else if literal && text.contains(&typed) || spelled_inside[i] {
                    1
                } else {
                    return None;
                };
                Some((rank, entry.kind, priority(i), entry.text.chars().count(), entry))
            })
            .collect();
        matches.sort_by_key(|m| (m.0, m.1, m.2, m.3));
        matches.into_iter().take(MAX_SUGGESTIONS).map(|(_, _, _, _, entry)| entry.clone()).collect()
    }

    /// Tags with their document counts, most used first.
    pub fn tags(&self) -> Vec<(&str, u64)> {
        let mut tags: Vec<(&str, u64)> = self
            .entries
            .iter()
            .filter(|e| e.kind == SuggestionKind::Tag)
            .map(|e| (e.text.as_str(), e.count.unwrap_or(0)))
            .collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        tags
    }

    /// Every document title and the document with its newest version.
    pub fn titles(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter(|e| e.kind == SuggestionKind::Title)
            .map(|e| (e.text.as_str(), e.id.as_deref().unwrap_or_default()))
    }

    /// The common questions, in the order staff wrote them.
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter(|e| e.kind == SuggestionKind::Question).map(|e| e.text.as_str())
    }
}

/// Where a title stands among titles that match as well: shipped guides and
/// warnings (0), cases (1), laws about consumers (2: the core list or cited
/// by the shipped content), other national texts (3), local regulations
/// (4), so that yfk offers 预付卡 guides before a city's rules on old trees.
fn title_priority(doc: &crate::content::Document, consumer: &HashMap<String, f64>) -> u8 {
    match doc.kind {
        Kind::Guide | Kind::Warning => 0,
        Kind::Case => 1,
        Kind::Law if super::build::is_local(doc) => 4,
        Kind::Law if consumer.get(&law_key(&doc.meta.title)).is_some_and(|&c| c >= 0.5) => 2,
        Kind::Law => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let entry =
            |text: &str, kind| Suggestion { text: text.into(), kind, id: None, document_kind: None, count: None };
        Catalog::new(vec![
            entry("预付卡商家不给退怎么办", SuggestionKind::Question),
            entry("预付卡", SuggestionKind::Tag),
            entry("中华人民共和国消费者权益保护法", SuggestionKind::Title),
            entry("北京市单用途预付卡管理条例", SuggestionKind::Title),
            entry("七天无理由退货", SuggestionKind::Tag),
            entry("重庆市消费者权益保护条例", SuggestionKind::Title),
        ])
    }

    #[test]
    fn pinyin_and_initials_find_chinese() {
        let texts = |typed: &str| catalog().suggest(typed).into_iter().map(|s| s.text).collect::<Vec<_>>();
        assert_eq!(texts("yfk"), ["预付卡商家不给退怎么办", "预付卡", "北京市单用途预付卡管理条例"]);
        assert_eq!(texts("yufuka")[1], "预付卡");
        assert_eq!(texts("qitianwuliyou"), ["七天无理由退货"]);
        assert_eq!(texts("xfzqybhf"), ["中华人民共和国消费者权益保护法"]);
        assert_eq!(texts("chongqing"), ["重庆市消费者权益保护条例"], "the right reading of a polyphonic character");
        assert!(texts("zzzz").is_empty());
    }

    #[test]
    fn prefix_matches_come_first_then_substrings() {
        let texts: Vec<_> = catalog().suggest("预付卡").into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["预付卡商家不给退怎么办", "预付卡", "北京市单用途预付卡管理条例"]);
    }

    #[test]
    fn the_state_prefix_of_law_titles_is_optional() {
        let texts: Vec<_> = catalog().suggest("消费者").into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["中华人民共和国消费者权益保护法", "重庆市消费者权益保护条例"]);
        assert!(catalog().suggest("  ").is_empty());
        assert!(catalog().suggest("<script>").is_empty());
    }
}
