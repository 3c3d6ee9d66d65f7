//! What changed between two snapshots of the official texts (laws added,
//! new versions, texts removed or repealed), and which of this project's
//! guides, warnings and cases cite an article whose words or number changed
//! between the version they cite and the one in force now (需复核).
//!
//! Pure functions over loaded snapshots: `weiquan corpus update`,
//! `weiquan check --stale` and the admin list share them, so they all say the
//! same thing.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::NaiveDate;

use crate::content::citations::{self, CitedLaw, law_key};
use crate::content::{Document, Kind, Loaded, Status, Unit};
use crate::search::analyzer::{BUILTIN_ALIASES, parse_synonyms};
use crate::text::{normalize, numerals};

/// One text (one file, one version) of a law, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The title the text gives itself.
    pub title: String,
    /// The part of a law published in several files (民法典 合同编).
    pub part: Option<String>,
    /// The version date: from the file name, else the last history line.
    pub date: Option<NaiveDate>,
    /// The day it took or takes effect (施行).
    pub effective: Option<NaiveDate>,
}

impl Text {
    fn of(document: &Document) -> Text {
        Text {
            title: document.meta.title.clone(),
            part: document.part.clone(),
            date: document.meta.date,
            effective: document.meta.effective,
        }
    }

    /// The day from which the text is in force: its effective date, else
    /// its version date.
    fn start(&self) -> Option<NaiveDate> {
        self.effective.or(self.date)
    }

    /// Two files are the same version when their dates agree, wherever they
    /// are filed: a file moved to another folder is not a change.
    fn same_version(&self, other: &Text) -> bool {
        self.date == other.date && self.effective == other.effective
    }

    /// `2014-03-15 版`: the version, as a note on a citation names it.
    fn version(&self) -> String {
        match (self.date, self.effective) {
            (Some(date), _) => format!("{date} 版"),
            (None, Some(effective)) => format!("{effective} 施行版"),
            (None, None) => "未注明日期的版本".into(),
        }
    }

    /// The order of the report: by law, then by date.
    fn order(&self) -> (String, Option<String>, Option<NaiveDate>, Option<NaiveDate>) {
        (law_key(&self.title), self.part.clone(), self.start(), self.date)
    }
}

impl fmt::Display for Text {
    /// `《虚构消费者保障法》2024-06-01 版，2024-10-01 施行`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "《{}》", self.title)?;
        if let Some(part) = &self.part {
            write!(f, "{part} ")?;
        }
        f.write_str(&self.version())?;
        match (self.date, self.effective) {
            (Some(_), Some(effective)) => write!(f, "，{effective} 施行"),
            _ => Ok(()),
        }
    }
}

/// The law texts of some content roots by law, each article reduced to a
/// fingerprint of its words: what a comparison and a review need, small
/// enough for the admin to keep for the whole corpus (no article text is
/// kept).
#[derive(Debug, Clone, Default)]
pub struct Laws {
    /// Title key and part → the law's texts, oldest in force first.
    laws: BTreeMap<(String, Option<String>), Vec<Version>>,
    /// The roots' abbreviations of law titles (`aliases.txt`).
    aliases: String,
}

/// One text of a law, reduced.
#[derive(Debug, Clone)]
struct Version {
    text: Text,
    status: Option<Status>,
    /// Only in the snapshot being replaced: a document may cite it, but it
    /// is never the text in force.
    gone: bool,
    articles: Vec<Clause>,
}

/// An article: its number, its 之一 number and a fingerprint of its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clause {
    number: u32,
    sub: Option<u32>,
    words: u64,
}

impl Laws {
    /// The laws among the loaded documents, with the roots' aliases.
    pub fn new(loaded: &Loaded) -> Laws {
        let mut laws = Laws { aliases: loaded.aliases.clone(), ..Laws::default() };
        for document in loaded.documents.iter().filter(|d| d.kind == Kind::Law) {
            let version = Version {
                text: Text::of(document),
                status: document.meta.status,
                gone: false,
                articles: document.units.iter().filter_map(clause).collect(),
            };
            laws.insert((law_key(&document.meta.title), document.part.clone()), version);
        }
        laws
    }

    /// Adds the texts and aliases of `other`.
    pub fn extend(&mut self, other: Laws) {
        for (law, versions) in other.laws {
            for version in versions {
                self.insert(law.clone(), version);
            }
        }
        self.aliases.push_str(&other.aliases);
    }

    /// How many texts there are.
    pub fn texts(&self) -> usize {
        self.laws.values().map(Vec::len).sum()
    }

    fn insert(&mut self, law: (String, Option<String>), version: Version) {
        let versions = self.laws.entry(law).or_default();
        versions.push(version);
        // Stable: texts in force from the same day keep the loader's order.
        versions.sort_by_key(|v| (v.text.start(), v.text.date));
    }

    /// The texts of each part of the law `key` (a [`law_key`]).
    fn versions_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a [Version]> + 'a {
        self.laws.range((key.to_string(), None)..).take_while(move |((k, _), _)| k == key).map(|(_, v)| v.as_slice())
    }

    /// How article `article` of the law `key`, as cited by a document of
    /// `date`, has changed in the text in force now; `None` when it has not,
    /// or when the text cited does not have the article.
    fn changed(&self, key: &str, article: u32, date: Option<NaiveDate>) -> Option<Changed> {
        for versions in self.versions_of(key) {
            let live = || versions.iter().enumerate().filter(|(_, v)| !v.gone);
            let current = live()
                .rev()
                .find(|(_, v)| v.status == Some(Status::Current))
                .or_else(|| live().rev().find(|(_, v)| v.status != Some(Status::Pending)));
            let cited = match (date, current) {
                // The text in force on the date, or the oldest when none was yet.
                (Some(date), _) => versions.iter().rev().find(|v| v.text.start() <= Some(date)).or(versions.first()),
                // Undated: the text before the one in force, or the only one.
                (None, Some((at, current))) => at.checked_sub(1).map(|before| &versions[before]).or(Some(current)),
                (None, None) => versions.last(),
            };
            let Some((cited, words)) = cited.and_then(|cited| Some((cited, cited.words(article)?))) else { continue };
            let change = match current {
                None if live().next().is_none() => Change::Removed,
                // Only texts not yet in force: nothing to compare with yet.
                None => return None,
                Some((_, current)) if current.status == Some(Status::Repealed) => Change::Repealed,
                Some((_, current)) if current.words(article) == Some(words) => return None,
                Some((_, current)) => match current.articles.iter().find(|c| c.words == words) {
                    Some(moved) => Change::Renumbered(label(moved.number, moved.sub)),
                    None if current.words(article).is_some() => Change::Amended,
                    None => Change::Deleted,
                },
            };
            return Some(Changed {
                article,
                cited: cited.text.clone(),
                current: current.map(|(_, c)| c.text.clone()),
                change,
            });
        }
        None
    }
}

impl Version {
    /// The fingerprint of article `number` (not a 之一 article).
    fn words(&self, number: u32) -> Option<u64> {
        self.articles.iter().find(|c| c.number == number && c.sub.is_none()).map(|c| c.words)
    }
}

/// A unit's article with the fingerprint of its words: the text after the
/// label, without white space, so that a renumbered article keeps its
/// fingerprint.
fn clause(unit: &Unit) -> Option<Clause> {
    let article = unit.article.as_ref()?;
    let body = unit.text.strip_prefix(article.label.as_str()).unwrap_or(&unit.text);
    let mut hasher = DefaultHasher::new();
    body.chars().filter(|c| !c.is_whitespace()).for_each(|c| c.hash(&mut hasher));
    Some(Clause { number: article.number, sub: article.sub, words: hasher.finish() })
}

/// `第六条`, `第十七条之一`.
fn label(number: u32, sub: Option<u32>) -> String {
    let format = |n: u32| numerals::format(n).unwrap_or_else(|| n.to_string());
    let sub = sub.map(|s| format!("之{}", format(s))).unwrap_or_default();
    format!("第{}条{sub}", format(number))
}

/// How a cited article changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The same number holds other words.
    Amended,
    /// The same words stand under another number (the label given).
    Renumbered(String),
    /// Neither the number nor the words are in the text in force.
    Deleted,
    /// The law's newest text is repealed (已废止).
    Repealed,
    /// No text of the law is left.
    Removed,
}

/// A cited article that changed since the version a document cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The number of the cited article.
    pub article: u32,
    /// The text in force on the citing document's date.
    pub cited: Text,
    /// The text in force now; `None` when no text of the law is left.
    pub current: Option<Text>,
    /// How it changed.
    pub change: Change,
}

impl fmt::Display for Changed {
    /// `《虚构消费者保障法》第三条：条文内容已修改（所引 2014-03-15 版，现行 2024-06-01 版）`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "《{}》{}：", self.cited.title, label(self.article, None))?;
        match &self.change {
            Change::Amended => f.write_str("条文内容已修改")?,
            Change::Renumbered(now) => write!(f, "条文序号已变，现为{now}")?,
            Change::Deleted => f.write_str("现行版本已没有这一条")?,
            Change::Repealed => f.write_str("法规已废止")?,
            Change::Removed => f.write_str("法规文本已删除")?,
        }
        match &self.current {
            Some(current) if current != &self.cited => {
                write!(f, "（所引 {}，现行 {}）", self.cited.version(), current.version())
            }
            _ => write!(f, "（所引 {}）", self.cited.version()),
        }
    }
}

/// A document that cites articles which changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The document's id.
    pub id: String,
    /// The document's kind.
    pub kind: Kind,
    /// The document's title.
    pub title: String,
    /// In the order the document cites them.
    pub citations: Vec<Changed>,
}

/// The documents to review (需复核), by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review(pub Vec<Stale>);

impl fmt::Display for Review {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return writeln!(f, "需复核：无（所引条文都没有改变）");
        }
        writeln!(f, "需复核：{} 篇内容引用的条文已改变", self.0.len())?;
        for stale in &self.0 {
            writeln!(f, "  {} {}《{}》", stale.kind.label(), stale.id, stale.title)?;
            for changed in &stale.citations {
                writeln!(f, "    {changed}")?;
            }
        }
        Ok(())
    }
}

/// The documents among `citing` (guides, warnings and cases; laws are
/// skipped) that cite an article of `laws` whose words or number changed
/// between the text they cite and the text in force now. The text they
/// cite is the one in force on the document's date, or the oldest when none
/// was in force yet. For an undated document it is the text before the one
/// in force (or the only one): nothing says when it was written, so it is
/// taken to predate the latest change. Law names resolve as on the website:
/// short titles, titles without 中华人民共和国, and the built-in and the
/// roots' aliases.
pub fn review<'a>(laws: &Laws, citing: impl IntoIterator<Item = &'a Document>) -> Review {
    let aliases = parse_synonyms(&format!("{BUILTIN_ALIASES}\n{}", laws.aliases));
    let key = |name: &str| {
        let name = normalize(name);
        law_key(aliases.get(&name).and_then(|titles| titles.first()).unwrap_or(&name))
    };
    let is_law = |name: &str| laws.versions_of(&key(name)).next().is_some();
    let mut stale = Vec::new();
    for document in citing.into_iter().filter(|d| d.kind != Kind::Law) {
        let mut seen = HashSet::new();
        let mut changed = Vec::new();
        for citation in document.units.iter().flat_map(|u| citations::extract(&u.text, &is_law)) {
            let CitedLaw::Named(name) = &citation.law else { continue };
            let law = key(name);
            for &article in &citation.articles {
                if seen.insert((law.clone(), article))
                    && let Some(change) = laws.changed(&law, article, document.meta.date)
                {
                    changed.push(change);
                }
            }
        }
        if !changed.is_empty() {
            let (id, kind, title) = (document.id.clone(), document.kind, document.meta.title.clone());
            stale.push(Stale { id, kind, title, citations: changed });
        }
    }
    stale.sort_by(|a, b| a.id.cmp(&b.id));
    Review(stale)
}

/// A text that is no longer there, or no longer in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The text.
    pub text: Text,
    /// Repealed (已废止) rather than gone from the snapshot.
    pub repealed: bool,
}

/// What changed from one snapshot of the official texts to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Law texts in the old snapshot.
    pub old_texts: usize,
    /// Law texts in the new snapshot.
    pub new_texts: usize,
    /// Laws the old snapshot did not have, each by its newest text.
    pub added: Vec<Text>,
    /// New texts of laws the old snapshot had.
    pub versions: Vec<Text>,
    /// Texts gone from the snapshot, or repealed in it.
    pub removed: Vec<Removed>,
    /// This project's documents that cite articles which changed.
    pub review: Review,
}

/// Compares the official texts of `old` and `new` and reviews the
/// citations of `ours` (this project's content) against `new`. A text of
/// `old` missing from `new` still counts as the text a document cites, so
/// the review sees articles that were there before the update.
pub fn compare(old: &Loaded, new: &Loaded, ours: &Loaded) -> Changes {
    let (before, after) = (Laws::new(old), Laws::new(new));
    let mut changes = Changes { old_texts: before.texts(), new_texts: after.texts(), ..Changes::default() };
    for (law, texts) in &after.laws {
        let earlier = before.laws.get(law).map(Vec::as_slice).unwrap_or_default();
        let is_new = |text: &Version| !earlier.iter().any(|e| e.text.same_version(&text.text));
        match texts.last() {
            Some(newest) if earlier.is_empty() => changes.added.push(newest.text.clone()),
            _ => changes.versions.extend(texts.iter().filter(|t| is_new(t)).map(|t| t.text.clone())),
        }
        let was_repealed = |text: &Version| {
            earlier.iter().any(|e| e.text.same_version(&text.text) && e.status == Some(Status::Repealed))
        };
        for text in texts.iter().filter(|t| t.status == Some(Status::Repealed) && !was_repealed(t)) {
            changes.removed.push(Removed { text: text.text.clone(), repealed: true });
        }
    }
    let mut gone = Laws::default();
    for (law, texts) in &before.laws {
        let later = after.laws.get(law).map(Vec::as_slice).unwrap_or_default();
        for text in texts.iter().filter(|t| !later.iter().any(|l| l.text.same_version(&t.text))) {
            changes.removed.push(Removed { text: text.text.clone(), repealed: false });
            gone.insert(law.clone(), Version { gone: true, ..text.clone() });
        }
    }
    changes.added.sort_by_key(Text::order);
    changes.versions.sort_by_key(Text::order);
    changes.removed.sort_by_key(|r| r.text.order());
    let mut laws = after;
    laws.extend(Laws::new(ours));
    laws.extend(gone);
    changes.review = review(&laws, &ours.documents);
    changes
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "法规文本：原有 {} 个，更新后 {} 个", self.old_texts, self.new_texts)?;
        let section = |f: &mut fmt::Formatter<'_>, heading: &str, unit: &str, lines: Vec<String>| {
            if lines.is_empty() {
                return writeln!(f, "{heading}：无");
            }
            writeln!(f, "{heading}：{} {unit}", lines.len())?;
            lines.iter().try_for_each(|line| writeln!(f, "  {line}"))
        };
        section(f, "新增法规", "部", self.added.iter().map(Text::to_string).collect())?;
        section(f, "新版本", "个", self.versions.iter().map(Text::to_string).collect())?;
        let removed = self
            .removed
            .iter()
            .map(|r| format!("{}：{}", r.text, if r.repealed { "已废止" } else { "文件已删除" }))
            .collect();
        section(f, "删除或废止", "个", removed)?;
        write!(f, "{}", self.review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{FrontMatter, articles::split_law};

    fn law(id: &str, title: &str, date: &str, body: &str) -> Document {
        Document {
            id: id.into(),
            path: format!("{id}.md").into(),
            kind: Kind::Law,
            meta: FrontMatter {
                title: title.into(),
                date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok(),
                ..FrontMatter::default()
            },
            part: None,
            history: Vec::new(),
            body: body.into(),
            units: split_law(body, &[]),
        }
    }

    fn guide(id: &str, date: Option<&str>, body: &str) -> Document {
        Document {
            id: id.into(),
            path: format!("{id}.md").into(),
            kind: Kind::Guide,
            meta: FrontMatter {
                title: "指南".into(),
                date: date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                ..FrontMatter::default()
            },
            part: None,
            history: Vec::new(),
            body: body.into(),
            units: vec![Unit { article: None, anchor: None, chapter: Vec::new(), text: body.into() }],
        }
    }

    /// Documents as the loader leaves them: versions of a law dated.
    fn loaded(mut documents: Vec<Document>) -> Loaded {
        crate::content::versions::assign(&mut documents, NaiveDate::from_ymd_opt(2040, 1, 1).unwrap());
        Loaded { documents, ..Loaded::default() }
    }

    #[test]
    fn a_text_repealed_in_the_new_snapshot_is_reported_and_its_citations_reviewed() {
        let old = loaded(vec![law("laws/a", "某条例", "2010-01-01", "第一条 甲。\n\n第二条 乙。")]);
        let mut repealed = law("laws/a", "某条例", "2010-01-01", "第一条 甲。\n\n第二条 乙。");
        repealed.meta.status = Some(Status::Repealed);
        let new = loaded(vec![repealed]);
        let ours = loaded(vec![guide("guides/g", Some("2020-01-01"), "依照《某条例》第二条。")]);
        let changes = compare(&old, &new, &ours);
        assert_eq!(
            changes.to_string(),
            "法规文本：原有 1 个，更新后 1 个\n\
             新增法规：无\n\
             新版本：无\n\
             删除或废止：1 个\n  《某条例》2010-01-01 版：已废止\n\
             需复核：1 篇内容引用的条文已改变\n  维权指南 guides/g《指南》\n    《某条例》第二条：法规已废止（所引 2010-01-01 版）\n"
        );
    }

    #[test]
    fn a_citation_reads_the_part_that_has_the_article_and_undated_documents_the_text_before() {
        let mut book = law("民法典/合同编", "中华人民共和国民法典", "2020-05-28", "第四百六十三条 旧。");
        book.part = Some("合同编".into());
        let mut amended = law("民法典/合同编(2030)", "中华人民共和国民法典", "2030-01-01", "第四百六十三条 新。");
        amended.part = Some("合同编".into());
        let general = law("民法典/总则编", "中华人民共和国民法典", "2020-05-28", "第一条 总则。");
        let laws = Laws::new(&loaded(vec![general, book, amended]));
        let citing = [
            guide("guides/dated", Some("2021-01-01"), "见《民法典》第一条和第四百六十三条。"),
            guide("guides/undated", None, "见《民法典》第四百六十三条。"),
            guide("guides/later", Some("2031-01-01"), "见《民法典》第四百六十三条。"),
        ];
        let review = review(&laws, &citing);
        assert_eq!(
            review.to_string(),
            "需复核：2 篇内容引用的条文已改变\n  维权指南 guides/dated《指南》\n    \
             《中华人民共和国民法典》第四百六十三条：条文内容已修改（所引 2020-05-28 版，现行 2030-01-01 版）\n  \
             维权指南 guides/undated《指南》\n    \
             《中华人民共和国民法典》第四百六十三条：条文内容已修改（所引 2020-05-28 版，现行 2030-01-01 版）\n"
        );
        let single = Laws::new(&loaded(vec![law("b", "某法", "2000-01-01", "第一条 甲。")]));
        assert_eq!(single.changed("某法", 1, None), None, "the only text is the one cited");
    }

    #[test]
    fn renumbered_articles_keep_their_words_whatever_the_spacing() {
        let laws = Laws::new(&loaded(vec![
            law("a(2000)", "某法", "2000-01-01", "第一条 甲。\n\n第二条 乙 丙。"),
            law("a(2010)", "某法", "2010-01-01", "第一条 甲。\n\n第二条　新增。\n\n第三条 乙丙。\n\n第三条之一 丁。"),
        ]));
        assert_eq!(laws.changed("某法", 1, NaiveDate::from_ymd_opt(2005, 1, 1)), None);
        let moved = laws.changed("某法", 2, NaiveDate::from_ymd_opt(2005, 1, 1)).unwrap();
        assert_eq!(moved.change, Change::Renumbered("第三条".into()));
        assert_eq!(label(3, Some(1)), "第三条之一");
    }
}
