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
        for doc in &loaded.documents {
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
        Catalog { entries }
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
        let mut matches: Vec<(u8, SuggestionKind, usize, &Suggestion)> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let text = normalize(&entry.text);
                let short = text.strip_prefix("中华人民共和国").unwrap_or(&text);
                let rank = if text.starts_with(&typed) || short.starts_with(&typed) {
                    0
                } else if text.contains(&typed) {
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

    /// Every document title.
    pub fn titles(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter(|e| e.kind == SuggestionKind::Title).map(|e| e.text.as_str())
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
        Catalog {
            entries: vec![
                entry("预付卡商家不给退怎么办", SuggestionKind::Question),
                entry("预付卡", SuggestionKind::Tag),
                entry("中华人民共和国消费者权益保护法", SuggestionKind::Title),
                entry("北京市单用途预付卡管理条例", SuggestionKind::Title),
            ],
        }
    }

    #[test]
    fn prefix_matches_come_first_then_substrings() {
        let texts: Vec<_> = catalog().suggest("预付卡").into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["预付卡商家不给退怎么办", "预付卡", "北京市单用途预付卡管理条例"]);
    }

    #[test]
    fn the_state_prefix_of_law_titles_is_optional() {
        let texts: Vec<_> = catalog().suggest("消费者").into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["中华人民共和国消费者权益保护法"]);
        assert!(catalog().suggest("  ").is_empty());
        assert!(catalog().suggest("<script>").is_empty());
    }
}
