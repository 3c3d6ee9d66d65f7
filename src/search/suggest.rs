//! Search-as-you-type: completions from titles, tags and common questions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::Loaded;
use crate::text::normalize;

/// Most suggestions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// Where a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Question,
    Tag,
    Title,
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
    /// For titles: the document it opens.
    pub id: Option<String>,
    /// For tags: how many documents carry it.
    pub count: Option<u64>,
}

/// Everything that can be suggested, built with the index and saved with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub entries: Vec<Suggestion>,
    /// Each entry normalised, and its pinyin spellings (full and initials),
    /// made on load.
    #[serde(skip)]
    prepared: Vec<(String, Vec<String>)>,
}

/// Most pinyin spellings kept per entry (polyphonic characters multiply them).
const MAX_SPELLINGS: usize = 32;

/// Full pinyin and initials of `text` without tones (预付卡 → yufuka, yfk).
/// A polyphonic character contributes each of its readings, so the right one
/// is always among the spellings.
pub fn pinyin_spellings(text: &str) -> Vec<String> {
    use pinyin::ToPinyinMulti;
    let mut full = vec![String::new()];
    let mut initials = vec![String::new()];
    for c in normalize(text).chars() {
        let readings: Vec<(&str, &str)> = match c.to_pinyin_multi() {
            Some(multi) => {
                let mut readings: Vec<(&str, &str)> = (0..multi.count())
                    .filter_map(|i| multi.get_opt(i))
                    .map(|p| (p.plain(), p.first_letter()))
                    .collect();
                readings.dedup();
                readings
            }
            None => continue,
        };
        let extend = |keys: &mut Vec<String>, part: fn(&(&'static str, &'static str)) -> &'static str| {
            let mut next: Vec<String> = Vec::new();
            for key in keys.iter() {
                for reading in &readings {
                    let candidate = format!("{key}{}", part(reading));
                    if next.len() < MAX_SPELLINGS && !next.contains(&candidate) {
                        next.push(candidate);
                    }
                }
            }
            *keys = next;
        };
        extend(&mut full, |r| r.0);
        extend(&mut initials, |r| r.1);
    }
    full.into_iter().chain(initials).filter(|k| !k.is_empty()).collect()
}

impl Catalog {
    /// Titles (once per title, newest version first), tags with their counts,
    /// and the common questions of the content roots.
    pub fn from_loaded(loaded: &Loaded) -> Catalog {
        let mut entries: Vec<Suggestion> = loaded
            .questions
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(|q| Suggestion { text: q.to_string(), kind: SuggestionKind::Question, id: None, count: None })
            .collect();
        let mut tags: BTreeMap<&str, u64> = BTreeMap::new();
        let mut titles: BTreeMap<&str, (&str, Option<chrono::NaiveDate>)> = BTreeMap::new();
        for doc in loaded.documents.iter().filter(|d| d.is_published() && d.meta.publish_at.is_none()) {
            for tag in &doc.meta.tags {
                *tags.entry(tag).or_default() += 1;
            }
            let newest = titles.entry(&doc.meta.title).or_insert((&doc.id, doc.meta.date));
            if doc.meta.date > newest.1 {
                *newest = (&doc.id, doc.meta.date);
            }
        }
        entries.extend(tags.into_iter().map(|(tag, count)| Suggestion {
            text: tag.to_string(),
            kind: SuggestionKind::Tag,
            id: None,
            count: Some(count),
        }));
        entries.extend(titles.into_iter().map(|(title, (id, _))| Suggestion {
            text: title.to_string(),
            kind: SuggestionKind::Title,
            id: Some(id.to_string()),
            count: None,
        }));
        Catalog::new(entries)
    }

    /// A catalog of these entries, ready to suggest.
    pub fn new(entries: Vec<Suggestion>) -> Catalog {
        let mut catalog = Catalog { entries, prepared: Vec::new() };
        catalog.prepare();
        catalog
    }

    /// Computes the pinyin spellings (after loading a saved catalog), also
    /// of law titles without 中华人民共和国.
    pub fn prepare(&mut self) {
        self.prepared = self
            .entries
            .iter()
            .map(|e| {
                let mut spellings = pinyin_spellings(&e.text);
                if let Some(short) = e.text.strip_prefix("中华人民共和国") {
                    spellings.extend(pinyin_spellings(short));
                }
                (normalize(&e.text), spellings)
            })
            .collect();
    }

    /// Completions for what has been typed: entries that start with it, then
    /// entries that contain it; questions before tags before titles; shorter
    /// first. Matching ignores case, full-width forms and a leading
    /// 中华人民共和国.
    pub fn suggest(&self, typed: &str) -> Vec<Suggestion> {
        let typed = normalize(typed.trim());
        if typed.is_empty() {
            return Vec::new();
        }
        let latin = typed.chars().all(|c| c.is_ascii_alphabetic());
        let mut matches: Vec<(u8, SuggestionKind, usize, &Suggestion)> = self
            .entries
            .iter()
            .zip(&self.prepared)
            .filter_map(|(entry, (text, spellings))| {
                let short = text.strip_prefix("中华人民共和国").unwrap_or(text);
                let spelled = |test: &dyn Fn(&str) -> bool| latin && spellings.iter().any(|s| test(s));
                let rank =
                    if text.starts_with(&typed) || short.starts_with(&typed) || spelled(&|s| s.starts_with(&typed)) {
                        0
                    } else if text.contains(&typed) || spelled(&|s| typed.len() >= 3 && s.contains(&typed)) {
                        1
                    } else {
                        return None;
                    };
                Some((rank, entry.kind, entry.text.chars().count(), entry))
            })
            .collect();
        matches.sort_by_key(|m| (m.0, m.1, m.2));
        matches.into_iter().take(MAX_SUGGESTIONS).map(|(_, _, _, entry)| entry.clone()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let entry = |text: &str, kind| Suggestion { text: text.into(), kind, id: None, count: None };
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
