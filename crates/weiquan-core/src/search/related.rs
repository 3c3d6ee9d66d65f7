//! 相关内容: the guides, warnings and cases a document shares cited articles,
//! cited laws and tags with. A shared article says most, a shared law or tag
//! less, a shared word of the titles least, and each shared thing counts more the fewer documents have it, so
//! that 《消费者权益保护法》, cited nearly everywhere, joins little while a
//! rule few documents cite joins its documents firmly; what a document has
//! that the other lacks counts against them, softly.

use std::collections::{HashMap, HashSet};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::analyzer::Analyzer;
use super::{Engine, Error, MAX_RESULT_WINDOW, Related, SearchRequest, build, stored_kind, stored_text};
use crate::content::{self, Kind};

/// Related documents shown on a page, at most. Eight rather than six since
/// the knowledge base grew past a hundred guides: a law's digest overlaps
/// with every guide and warning built on that law, and six left out the
/// warning most readers of the prepaid-consumption digest come for.
pub(super) const RELATED: usize = 8;

/// How much one shared cited article counts, against a shared cited law or tag.
const ARTICLE_WEIGHT: f64 = 2.0;
/// How much one shared cited law counts.
const LAW_WEIGHT: f64 = 1.5;
/// How much one shared tag counts.
const TAG_WEIGHT: f64 = 1.5;
/// How much one shared word of the titles counts (送鸡蛋 in two warnings
/// about free eggs that share little else).
const WORD_WEIGHT: f64 = 1.0;

/// What a document can share with another: the articles it cites (as the
/// index's `cites` terms, `title key#number`), the laws it cites (title
/// keys), its tags and the words of its title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Profile {
    pub articles: HashSet<String>,
    pub laws: HashSet<String>,
    pub tags: HashSet<String>,
    pub words: HashSet<String>,
}

impl Profile {
    /// A profile from `cites` terms and tags.
    pub(super) fn new<'a>(
        cites: impl IntoIterator<Item = &'a str>,
        tags: impl IntoIterator<Item = &'a str>,
    ) -> Profile {
        let articles: HashSet<String> = cites.into_iter().map(String::from).collect();
        let laws = articles.iter().filter_map(|cited| cited.rsplit_once('#')).map(|(law, _)| law.to_string()).collect();
        Profile { articles, laws, tags: tags.into_iter().map(String::from).collect(), words: HashSet::new() }
    }

    /// The profile with the words of a title, as the analyzer finds them
    /// (single characters left out).
    pub(super) fn with_title(mut self, analyzer: &Analyzer, title: &str) -> Profile {
        self.words = analyzer.concepts(title).into_iter().filter(|w| w.chars().count() > 1).collect();
        self
    }

    fn is_empty(&self) -> bool {
        self.articles.is_empty() && self.tags.is_empty()
    }
}

/// `candidates` ordered by how much they share with `own`, best first, ties
/// by id; candidates that share nothing are left out. Each shared thing
/// weighs its kind (article, law, tag, title word) times its rarity,
/// ln(1 + population / documents among `own` and the candidates that have
/// it), where `population` is how many documents could be related at all.
/// The sum of the squared weights of what is shared is divided by the
/// lengths of both documents' vectors, the candidate's softened by a square
/// root: a long guide citing everything is not related to everything, and a
/// short warning is not preferred for being short.
pub(super) fn rank(own: &Profile, candidates: Vec<(Related, Profile)>, population: usize) -> Vec<Related> {
    let mut having: HashMap<&str, usize> = HashMap::new();
    for profile in std::iter::once(own).chain(candidates.iter().map(|(_, profile)| profile)) {
        for thing in profile.articles.iter().chain(&profile.laws).chain(&profile.tags).chain(&profile.words) {
            *having.entry(thing.as_str()).or_default() += 1;
        }
    }
    let population = population.max(candidates.len() + 1) as f64;
    let weight = |kind: f64, thing: &String| kind * (1.0 + population / having[thing.as_str()] as f64).ln();
    let squares = |profile: &Profile, among: &Profile| {
        let sum = |kind: f64, mine: &HashSet<String>, theirs: &HashSet<String>| {
            mine.iter().filter(|thing| theirs.contains(*thing)).map(|thing| weight(kind, thing).powi(2)).sum::<f64>()
        };
        sum(ARTICLE_WEIGHT, &profile.articles, &among.articles)
            + sum(LAW_WEIGHT, &profile.laws, &among.laws)
            + sum(TAG_WEIGHT, &profile.tags, &among.tags)
            + sum(WORD_WEIGHT, &profile.words, &among.words)
    };
    let own_norm = squares(own, own).sqrt();
    let mut scored: Vec<(f64, Related)> = candidates
        .iter()
        .map(|(related, profile)| {
            let norm = own_norm * squares(profile, profile).sqrt().sqrt();
            let score = if norm > 0.0 { squares(own, profile) / norm } else { 0.0 };
            (score, related.clone())
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|(a, x), (b, y)| b.total_cmp(a).then_with(|| x.id.cmp(&y.id)));
    scored.into_iter().map(|(_, related)| related).collect()
}

impl Engine {
    /// Up to [`RELATED`] other guides, warnings and cases (warnings in
    /// force) ranked by the articles, laws and tags they share with
    /// `document`, which cites `cited`. A law, or a document that cites
    /// nothing and has no tags, gets documents with similar titles.
    pub(super) fn related(&self, document: &content::Document, cited: &[(String, u32)]) -> Result<Vec<Related>, Error> {
        let cites: Vec<String> = cited.iter().map(|(law, article)| format!("{law}#{article}")).collect();
        let own = Profile::new(cites.iter().map(String::as_str), document.meta.tags.iter().map(String::as_str))
            .with_title(&self.analyzer, &document.meta.title);
        if document.kind == Kind::Law || own.is_empty() {
            return self.similar_titles(document);
        }
        let f = &self.fields;
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let any_of = |clauses: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(clauses.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        let kinds =
            || any_of([Kind::Guide, Kind::Warning, Kind::Case].iter().map(|k| term(f.kind, k.as_str())).collect());
        let shared = own.articles.iter().map(|a| term(f.cites, a));
        let shared = shared.chain(own.laws.iter().map(|l| term(f.cites_law, l)));
        let shared = any_of(shared.chain(own.tags.iter().map(|t| term(f.tags, t))).collect());
        let visible = || self.visible().map(|q| (Occur::Must, q));
        let population = BooleanQuery::new([(Occur::Must, kinds())].into_iter().chain(visible()).collect());
        let query = BooleanQuery::new(
            [(Occur::Must, shared), (Occur::Must, kinds()), (Occur::MustNot, term(f.doc_id, &document.id))]
                .into_iter()
                .chain(visible())
                .collect(),
        );
        let searcher = self.reader.searcher();
        let population = searcher.search(&population, &Count)?;
        let today = build::date_number(Some(self.clock.today()));
        let mut candidates: Vec<(Related, Profile)> = Vec::new();
        for (_, address) in searcher.search(&query, &TopDocs::with_limit(MAX_RESULT_WINDOW).order_by_score())? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let expires = doc.get_first(f.expires).and_then(|v| v.as_i64()).unwrap_or(0);
            let text = |field: Field| stored_text(&doc, field).unwrap_or_default();
            let id = text(f.doc_id);
            if (expires > 0 && expires < today) || candidates.iter().any(|(related, _)| related.id == id) {
                continue;
            }
            let all = |field: Field| doc.get_all(field).filter_map(|v| v.as_str()).collect::<Vec<_>>();
            let title = text(f.title);
            let profile = Profile::new(all(f.cites), all(f.tags)).with_title(&self.analyzer, &title);
            candidates.push((Related { id, kind: stored_kind(&doc, f.kind)?, title }, profile));
        }
        Ok(rank(&own, candidates, population).into_iter().take(RELATED).collect())
    }

    /// Up to [`RELATED`] other documents whose titles are like this one's.
    fn similar_titles(&self, document: &content::Document) -> Result<Vec<Related>, Error> {
        let request = SearchRequest { query: document.meta.title.clone(), per_page: 30, ..SearchRequest::default() };
        let mut related: Vec<Related> = Vec::new();
        for hit in self.search(&request)?.hits {
            if hit.id != document.id && !related.iter().any(|r| r.id == hit.id) && related.len() < RELATED {
                related.push(Related { id: hit.id, kind: hit.kind, title: hit.title });
            }
        }
        Ok(related)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, cites: &[&str], tags: &[&str]) -> (Related, Profile) {
        let related = Related { id: id.into(), kind: Kind::Guide, title: id.into() };
        (related, Profile::new(cites.iter().copied(), tags.iter().copied()))
    }

    fn ranked(own: &Profile, candidates: Vec<(Related, Profile)>, population: usize) -> Vec<String> {
        rank(own, candidates, population).into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn a_shared_article_outweighs_shared_laws_and_tags() {
        let own = Profile::new(["预付#9", "消法#53"], ["预付卡", "退款"]);
        let candidates = vec![
            candidate("tag-only", &[], &["退款"]),
            candidate("same-law", &["预付#14"], &[]),
            candidate("same-article", &["预付#9"], &[]),
            candidate("nothing", &["刑法#266"], &["诈骗"]),
            candidate("article-and-tag", &["消法#53"], &["预付卡"]),
        ];
        assert_eq!(
            ranked(&own, candidates, 10),
            ["article-and-tag", "same-article", "tag-only", "same-law"],
            "an article brings its law with it; a law two candidates cite counts less than a tag one has; \
             nothing shared, not related"
        );
    }

    #[test]
    fn a_document_citing_much_else_ranks_below_one_that_shares_as_much() {
        let own = Profile::new(["汽车#18"], ["汽车"]);
        let wide: Vec<String> = (1..=30).map(|n| format!("民法典#{n}")).collect();
        let candidates = vec![
            candidate(
                "wide",
                &[&["汽车#18"][..], &wide.iter().map(String::as_str).collect::<Vec<_>>()].concat(),
                &["汽车"],
            ),
            candidate("focused", &["汽车#18"], &["汽车"]),
        ];
        assert_eq!(ranked(&own, candidates, 50), ["focused", "wide"]);
    }

    #[test]
    fn what_many_documents_share_counts_less() {
        // 消法 (and its 第二十四条) is cited by all; 汽车三包 by few.
        let own = Profile::new(["消法#24", "汽车#18"], ["汽车", "三包", "退货"]);
        let mut candidates: Vec<(Related, Profile)> =
            (0..8).map(|i| candidate(&format!("common-{i}"), &["消法#24"], &["退货"])).collect();
        candidates.push(candidate("digest", &["汽车#18"], &["汽车"]));
        let order = ranked(&own, candidates, 40);
        assert_eq!(order[0], "digest", "{order:?}");
        assert_eq!(order.len(), 9);
    }
}
