//! The answer a results page opens with (先看这里): the guide or warning
//! that best answers the query with its summary, the articles it relies on
//! with their text, and a court case.
//!
//! What readers expect, and so what the answer is:
//! - A guide or warning leads: it is written in everyday words and says what
//!   to do. It is the highest-ranked one among the top [`ANSWER_DEPTH`]
//!   results; else the best match of the query's first phase among the
//!   guides and warnings, when it holds most of the question
//!   ([`LEAD_COVERAGE`] of its IDF mass: it asks the question in its own
//!   words); else, since the ranking puts the articles that answer first,
//!   the one that explains them: the best match of the query's first phase
//!   among the guides and warnings that cite an article among the top
//!   results. A warning no longer in force does not lead (its issuer has
//!   withdrawn the advice).
//! - Its articles are the ones it cites, in the version in force, at most
//!   [`MAX_ARTICLES`]: those that are themselves on the results page first
//!   (the search found them relevant to these very words), in the order of
//!   the page, then the others in the order the guide cites them. A guide
//!   citing no indexed article leads alone: the answer never invents the
//!   articles a guide relies on.
//! - Without such a guide or warning, an article that ranks first is the
//!   answer on its own: the reader asked something a law says directly.
//!   Anything else first (a case, a passage outside the articles) gives no
//!   answer: a case is an example, not an answer, and the list shows it.
//! - A case comes with the answer, found like the guide: the highest-ranked
//!   among the top results, else the best-matching one citing one of the
//!   answer's articles that is among the top results.
//! - Only the first page, sorted by relevance, of a query with words has an
//!   answer: a date-sorted list, a later page or a bare filter listing is
//!   not a question. The request's filters hold for the answer too.
//!
//! It costs little beside the search: when the top results hold no guide or
//! no case, one query of the first phase within the guides, warnings and
//! cases citing the top articles, top [`MATCHES`] only (no counting, facets
//! or second phase); then one stored document per document shown, and per
//! cited article one term lookup and one stored document.

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::build::date_from_number;
use super::rank::features::{Candidate, Context, measure};
use super::rank::segments::View;
use super::rank::{Feature, LEADS, Model};
use super::{Engine, Error, SearchHit, SearchRequest, SearchResults, Sort, stored_kind, stored_label, stored_text};
use crate::content::citations::law_key;
use crate::content::{Kind, Status, articles, date_format};
use crate::text::{numerals, truncate_chars};

/// How many of the top results the answer is taken from: about what a
/// phone's first screens show.
pub const ANSWER_DEPTH: usize = 5;

/// Best first-phase matches among the guides, warnings and cases citing the
/// top articles that are looked at for a lead and a case.
pub const MATCHES: usize = 16;

/// What an answer reuses of its search's first phase.
pub struct FirstPhase {
    /// Every matching guide, warning and case with its first-phase score,
    /// best first.
    pub matched: Vec<(f32, DocAddress)>,
    /// The best [`LEADS`] matching guides and warnings, best first, with
    /// the share of the query each holds.
    pub leads: Vec<(DocAddress, f32)>,
}

/// The share of a query's IDF mass a guide or warning must hold to lead an
/// answer whatever the top articles are: most of what was asked.
pub const LEAD_COVERAGE: f32 = 0.7;

/// Most articles an answer shows.
pub const MAX_ARTICLES: usize = 3;

/// Most citations of one guide looked up, so a guide citing dozens of
/// articles stays cheap.
const MAX_CITATIONS: usize = 12;

/// Most units read for one cited article: its versions, and the units of
/// laws that number an article twice.
const MAX_VERSIONS: usize = 32;

/// Length, in characters, of a one-line summary taken from a document's
/// text when it has no `summary`.
const LINE_CHARS: usize = 80;

/// The answer to a query: what to do, the law behind it, and an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    /// The guide or warning that answers; `None` when an article answers on
    /// its own.
    pub document: Option<AnswerDocument>,
    /// The articles the guide or warning relies on (at most three), or the
    /// article that answers on its own.
    pub articles: Vec<AnswerArticle>,
    /// A court case among the top results, or else one citing the answer's
    /// articles.
    pub case: Option<AnswerDocument>,
}

/// A guide, warning or case in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct AnswerDocument {
    pub id: String,
    /// guide | warning | case
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: Kind,
    pub title: String,
    /// The document's summary as its author wrote it (one or two
    /// sentences, never cut), or else its first sentence.
    pub summary: String,
}

/// An article in an answer, in the version in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerArticle {
    /// The law's document id.
    pub id: String,
    /// The law's full title.
    pub title: String,
    /// The article as written: 第二十五条.
    pub article: String,
    /// Anchor of the article on the law's page.
    pub anchor: String,
    /// The article's plain text without its label, paragraphs separated by
    /// line breaks.
    pub text: String,
    /// YYYY-MM-DD of the law's version.
    #[serde(serialize_with = "date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub date: Option<NaiveDate>,
    /// current | amended | repealed | pending
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<Status>,
}

impl Engine {
    /// The answer to `request` from its `results`, if it has one (see the
    /// module's documentation for what the answer is).
    pub fn answer(&self, request: &SearchRequest, results: &SearchResults) -> Result<Option<Answer>, Error> {
        self.answer_in(&self.reader.searcher(), request, results, None)
    }

    /// [`Engine::answer`] in `searcher`'s view, given the guides, warnings
    /// and cases the search's first phase matched when it has them.
    pub(super) fn answer_in(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        results: &SearchResults,
        first_phase: Option<&FirstPhase>,
    ) -> Result<Option<Answer>, Error> {
        if request.page != 1 || request.sort != Sort::Relevance || request.query.trim().is_empty() {
            return Ok(None);
        }
        let top = &results.hits[..results.hits.len().min(ANSWER_DEPTH)];
        let cited: Vec<String> =
            top.iter().filter_map(|hit| citation_key(&hit.title, hit.article.as_deref()?)).collect();
        let mut matches =
            Matches { request, cited: &cited, first_phase: first_phase.map(|f| f.matched.as_slice()), found: None };
        let leads = [Kind::Guide, Kind::Warning];
        let lead = match self.ranked_document(searcher, top, &leads)? {
            Some(doc) => Some(doc),
            None => match self.holding_lead(searcher, request, first_phase.map(|f| f.leads.as_slice()))? {
                Some(doc) => Some(doc),
                None => self.best_citing(searcher, &mut matches, &leads, &cited)?,
            },
        };
        let (document, articles) = match lead {
            Some(doc) => (Some(self.answer_document(&doc)?), self.relied_on(searcher, &doc, &results.hits)?),
            None => match top.first() {
                Some(first) if first.kind == Kind::Law && first.article.is_some() => {
                    (None, self.hit_article(searcher, first)?.into_iter().collect())
                }
                _ => return Ok(None),
            },
        };
        if document.is_none() && articles.is_empty() {
            return Ok(None);
        }
        let answered: Vec<String> =
            articles.iter().filter_map(|article| citation_key(&article.title, &article.article)).collect();
        let case = match self.ranked_document(searcher, top, &[Kind::Case])? {
            Some(doc) => Some(doc),
            None => self.best_citing(searcher, &mut matches, &[Kind::Case], &answered)?,
        };
        Ok(Some(Answer { document, articles, case: case.map(|doc| self.answer_document(&doc)).transpose()? }))
    }

    /// The stored highest-ranked document of one of `kinds` among the `top`
    /// results (a warning only while in force).
    fn ranked_document(
        &self,
        searcher: &Searcher,
        top: &[SearchHit],
        kinds: &[Kind],
    ) -> Result<Option<TantivyDocument>, Error> {
        for hit in top.iter().filter(|hit| kinds.contains(&hit.kind)) {
            if let Some(doc) = self.stored_document(searcher, &hit.id)?.filter(|doc| self.may_lead(doc)) {
                return Ok(Some(doc));
            }
        }
        Ok(None)
    }

    /// The best first-phase match among the guides and warnings that may
    /// lead, when it holds at least [`LEAD_COVERAGE`] of the query (its
    /// share of the query's IDF mass, as the ranking measures it): a guide
    /// that asks the reader's question in its own words answers it, even
    /// when the top articles are others. From the search's own `leads`
    /// when it measured them, else measured here for the best [`LEADS`]
    /// guides and warnings within the request's filters (the same scores).
    fn holding_lead(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        leads: Option<&[(DocAddress, f32)]>,
    ) -> Result<Option<TantivyDocument>, Error> {
        let measured;
        let leads = match leads {
            Some(leads) => leads,
            None => {
                measured = self.measure_leads(searcher, request)?;
                &measured
            }
        };
        for &(address, coverage) in leads {
            let doc: TantivyDocument = searcher.doc(address)?;
            if self.may_lead(&doc) {
                return Ok((coverage >= LEAD_COVERAGE).then_some(doc));
            }
        }
        Ok(None)
    }

    /// The best [`LEADS`] guides and warnings for `request` by the first
    /// phase, with the share of the query each holds: what a relevance
    /// search measures beside its candidates.
    fn measure_leads(&self, searcher: &Searcher, request: &SearchRequest) -> Result<Vec<(DocAddress, f32)>, Error> {
        let prepared = self.prepare(searcher, request)?;
        let Some(positive) = &prepared.positive else { return Ok(Vec::new()) };
        let mut filters = self.filters(request);
        filters.push(any_of(self.fields.kind, [Kind::Guide, Kind::Warning].iter().map(|kind| kind.as_str())));
        let query = self.restrict(positive.box_clone(), filters, &prepared.built.excluded);
        let counted = self.term_counts.of(searcher);
        let found = counted.search(&query, &TopDocs::with_limit(LEADS).order_by_score())?;
        let leads: Vec<Candidate> =
            found.into_iter().map(|(first, address)| Candidate { address, first, bridge: 0.0 }).collect();
        let normalized = crate::text::normalize(&request.query);
        let context = Context {
            text: &normalized,
            regions: &request.regions,
            today: super::date_number(Some(self.clock.today())),
        };
        let view = self.segments.view(searcher);
        let measured =
            measure(&counted, &view, &self.fields, &prepared.built.plan, &context, &leads, Some(Model::builtin()))?;
        Ok(leads.iter().zip(measured).map(|(lead, features)| (lead.address, features.get(Feature::Coverage))).collect())
    }

    /// The stored best first-phase match of one of `kinds` that cites one
    /// of the articles `cited` (`title key#number`), among the matches
    /// citing a top article.
    fn best_citing(
        &self,
        searcher: &Searcher,
        matches: &mut Matches<'_>,
        kinds: &[Kind],
        cited: &[String],
    ) -> Result<Option<TantivyDocument>, Error> {
        for &(address, kind) in matches.found(self, searcher)? {
            if kinds.contains(&kind) {
                let doc: TantivyDocument = searcher.doc(address)?;
                let cites =
                    doc.get_all(self.fields.cites).filter_map(|v| v.as_str()).any(|c| cited.iter().any(|t| t == c));
                if cites && self.may_lead(&doc) {
                    return Ok(Some(doc));
                }
            }
        }
        Ok(None)
    }

    /// The stored first unit of document `id`: the whole of a guide,
    /// warning or case.
    fn stored_document(&self, searcher: &Searcher, id: &str) -> Result<Option<TantivyDocument>, Error> {
        let query = TermQuery::new(Term::from_field_text(self.fields.doc_id, id), IndexRecordOption::Basic);
        match searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.first() {
            Some((_, address)) => Ok(Some(searcher.doc(*address)?)),
            None => Ok(None),
        }
    }

    /// Whether a stored unit may be part of an answer: anything but a
    /// warning out of force (dated later, or expired).
    fn may_lead(&self, doc: &TantivyDocument) -> bool {
        if stored_label(doc, self.fields.kind, Kind::parse) != Some(Kind::Warning) {
            return true;
        }
        let today = super::date_number(Some(self.clock.today()));
        let number = |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
        let (date, expires) = (number(self.fields.date), number(self.fields.expires));
        date <= today && (expires == 0 || expires >= today)
    }

    /// A stored guide, warning or case as the answer shows it.
    fn answer_document(&self, doc: &TantivyDocument) -> Result<AnswerDocument, Error> {
        let text = |field: Field| stored_text(doc, field).unwrap_or_default();
        let summary = stored_text(doc, self.fields.summary).filter(|s| !s.trim().is_empty());
        Ok(AnswerDocument {
            id: text(self.fields.doc_id),
            kind: stored_kind(doc, self.fields.kind)?,
            title: text(self.fields.title),
            summary: summary.unwrap_or_else(|| one_line(&text(self.fields.body))),
        })
    }

    /// The articles the stored guide or warning `doc` cites, in force, those
    /// on the results page (`hits`) first.
    fn relied_on(
        &self,
        searcher: &Searcher,
        doc: &TantivyDocument,
        hits: &[SearchHit],
    ) -> Result<Vec<AnswerArticle>, Error> {
        let on_page: Vec<Option<String>> =
            hits.iter().map(|hit| citation_key(&hit.title, hit.article.as_deref()?)).collect();
        let mut citations: Vec<&str> =
            doc.get_all(self.fields.cites).filter_map(|v| v.as_str()).take(MAX_CITATIONS).collect();
        // Stable: articles off the page keep the order the guide cites them in.
        citations
            .sort_by_key(|cited| on_page.iter().position(|key| key.as_deref() == Some(*cited)).unwrap_or(usize::MAX));
        let mut articles = Vec::new();
        for cited in citations {
            let Some((key, number)) = cited.rsplit_once('#').and_then(|(key, n)| Some((key, n.parse().ok()?))) else {
                continue;
            };
            let label = numerals::label(number);
            if let Some(article) = self.article_in_force(searcher, key, number, &label)? {
                articles.push(article);
            }
            if articles.len() == MAX_ARTICLES {
                break;
            }
        }
        Ok(articles)
    }

    /// The article labelled `label` (第N条, or 第N条之一 under the same
    /// `number`) of the law with title key `key`, in the version in force: the current one, else the newest that is not
    /// pending (a repealed law's last text, or the text a pending version
    /// will replace), else the newest pending one. The versions are ordered
    /// by their columns; only the chosen one is read.
    pub(super) fn article_in_force(
        &self,
        searcher: &Searcher,
        key: &str,
        number: u32,
        label: &str,
    ) -> Result<Option<AnswerArticle>, Error> {
        let mut units = self.article_units(searcher, Term::from_field_text(self.fields.title_key, key), number)?;
        let standing = |address: &DocAddress| {
            let fast = searcher.segment_reader(address.segment_ord).fast_fields();
            let in_force =
                fast.f64("in_force").ok().map_or(1.0, |c| c.first_or_default_col(1.0).get_val(address.doc_id));
            let date = fast.i64("date").ok().map_or(0, |c| c.first_or_default_col(0).get_val(address.doc_id));
            // build::in_force: 1 current, 0.5 pending, 0 amended or repealed.
            let order = if in_force >= 1.0 {
                0
            } else if in_force > 0.0 {
                2
            } else {
                1
            };
            (order, std::cmp::Reverse(date), *address)
        };
        units.sort_by_key(standing);
        for address in units {
            if let Some(article) = self.article_at(searcher, address)?.filter(|article| article.article == label) {
                return Ok(Some(article));
            }
        }
        Ok(None)
    }

    /// The article unit a hit is.
    fn hit_article(&self, searcher: &Searcher, hit: &SearchHit) -> Result<Option<AnswerArticle>, Error> {
        let Some(number) = hit.article.as_deref().and_then(articles::parse_article_start).map(|a| a.number) else {
            return Ok(None);
        };
        for address in self.article_units(searcher, Term::from_field_text(self.fields.doc_id, &hit.id), number)? {
            if let Some(article) =
                self.article_at(searcher, address)?.filter(|a| Some(&a.anchor) == hit.anchor.as_ref())
            {
                return Ok(Some(article));
            }
        }
        Ok(None)
    }

    /// The public article units numbered `number` (之一 included) of the
    /// documents `of` (a title key or a document id) selects, in index order.
    fn article_units(&self, searcher: &Searcher, of: Term, number: u32) -> Result<Vec<DocAddress>, Error> {
        let term = |term: Term| Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>;
        let clauses = [term(of), term(Term::from_field_i64(self.fields.article_number, i64::from(number)))]
            .into_iter()
            .chain(self.visible())
            .map(|query| (Occur::Must, query))
            .collect();
        let found =
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(MAX_VERSIONS).order_by_score())?;
        let mut units: Vec<DocAddress> = found.into_iter().map(|(_, address)| address).collect();
        units.sort();
        Ok(units)
    }

    /// The article stored at `address`; `None` for a unit that is not one.
    fn article_at(&self, searcher: &Searcher, address: DocAddress) -> Result<Option<AnswerArticle>, Error> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| stored_text(&doc, field);
        let (Some(article), Some(anchor)) = (text(self.fields.article), text(self.fields.anchor)) else {
            return Ok(None);
        };
        let body = text(self.fields.body).unwrap_or_default();
        Ok(Some(AnswerArticle {
            id: text(self.fields.doc_id).unwrap_or_default(),
            title: text(self.fields.title).unwrap_or_default(),
            text: body.strip_prefix(article.as_str()).unwrap_or(&body).trim_start().to_string(),
            article,
            anchor,
            date: doc.get_first(self.fields.date).and_then(|v| v.as_i64()).and_then(date_from_number),
            status: stored_label(&doc, self.fields.status, Status::parse),
        }))
    }
}

/// The best first-phase matches among the guides, warnings and cases that
/// cite one of the top articles: searched once, when first needed.
struct Matches<'a> {
    request: &'a SearchRequest,
    /// The top articles, `title key#number`, as the index stores citations.
    cited: &'a [String],
    /// The guides, warnings and cases the search's first phase matched,
    /// best first, when the search kept them.
    first_phase: Option<&'a [(f32, DocAddress)]>,
    found: Option<Vec<(DocAddress, Kind)>>,
}

impl Matches<'_> {
    /// The [`MATCHES`] best matches with their kinds, best first, within the
    /// request's filters. No stored document is read.
    fn found(&mut self, engine: &Engine, searcher: &Searcher) -> Result<&[(DocAddress, Kind)], Error> {
        let found = match self.found.take() {
            Some(found) => found,
            None => self.search(engine, searcher)?,
        };
        Ok(self.found.insert(found))
    }

    fn search(&self, engine: &Engine, searcher: &Searcher) -> Result<Vec<(DocAddress, Kind)>, Error> {
        if self.cited.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(matched) = self.first_phase {
            return self.among(engine, searcher, matched);
        }
        let prepared = engine.prepare(searcher, self.request)?;
        let Some(positive) = prepared.positive else { return Ok(Vec::new()) };
        let kinds = [Kind::Guide, Kind::Warning, Kind::Case];
        let mut filters = engine.filters(self.request);
        filters.push(any_of(engine.fields.kind, kinds.iter().map(|kind| kind.as_str())));
        filters.push(any_of(engine.fields.cites, self.cited.iter().map(String::as_str)));
        let query = engine.restrict(positive, filters, &prepared.built.excluded);
        let found = searcher.search(&query, &TopDocs::with_limit(MATCHES).order_by_score())?;
        Ok(with_kinds(&engine.segments.view(searcher), found.into_iter().map(|(_, address)| address)))
    }

    /// The same as [`Matches::search`] from the first phase's `matched`
    /// guides, warnings and cases (already within the request's filters,
    /// with the same scores): those citing a top article, found through
    /// the citations' postings, best first.
    fn among(
        &self,
        engine: &Engine,
        searcher: &Searcher,
        matched: &[(f32, DocAddress)],
    ) -> Result<Vec<(DocAddress, Kind)>, Error> {
        let citing = self
            .cited
            .iter()
            .map(|cited| {
                let term = TermQuery::new(Term::from_field_text(engine.fields.cites, cited), IndexRecordOption::Basic);
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            })
            .collect();
        let citing = searcher.search(&BooleanQuery::new(citing), &DocSetCollector)?;
        let best = matched.iter().map(|(_, address)| *address).filter(|address| citing.contains(address));
        Ok(with_kinds(&engine.segments.view(searcher), best.take(MATCHES)))
    }
}

/// A filter that does not change the first phase's scores: units with any
/// of `values` in `field`.
fn any_of<'a>(field: Field, values: impl Iterator<Item = &'a str>) -> Box<dyn Query> {
    let terms = values
        .map(|value| {
            let term = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
            (Occur::Should, Box::new(term) as Box<dyn Query>)
        })
        .collect();
    Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(terms)), 0.0))
}

/// Each of `addresses` with its kind (guides, warnings and cases only),
/// from the columns the engine keeps per segment.
fn with_kinds(view: &View, addresses: impl Iterator<Item = DocAddress>) -> Vec<(DocAddress, Kind)> {
    addresses
        .filter_map(|address| {
            let code = view.kind(address);
            [Kind::Guide, Kind::Warning, Kind::Case]
                .into_iter()
                .find(|kind| super::rank::kind_code(*kind) == code)
                .map(|kind| (address, kind))
        })
        .collect()
}

/// An article as the index stores a citation of it, `title key#number`;
/// `None` for a label that is not an article's or is an inserted one
/// (第二十六条之一), which citations cannot name apart.
fn citation_key(title: &str, label: &str) -> Option<String> {
    let article = articles::parse_article_start(label).filter(|article| article.sub.is_none())?;
    Some(format!("{}#{}", law_key(title), article.number))
}

/// The first sentence of `text` that ends like one (a heading does not),
/// at most [`LINE_CHARS`] characters; else its first line, cut as short.
fn one_line(text: &str) -> String {
    let ends = ['。', '！', '？', '!', '?'];
    let lines = || text.lines().map(str::trim).filter(|line| !line.is_empty());
    let sentence = lines().find(|line| line.contains(ends)).map(|line| {
        line.find(ends).map_or(line, |end| &line[..end + line[end..].chars().next().map_or(0, char::len_utf8)])
    });
    let line = sentence.or_else(|| lines().next()).unwrap_or_default();
    let cut = truncate_chars(line, LINE_CHARS);
    if cut.len() < line.len() { format!("{cut}…") } else { cut.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_is_the_first_sentence_after_the_headings() {
        assert_eq!(one_line("发生了什么\n一些商家先收钱后跑路。消费者拿不到退款。"), "一些商家先收钱后跑路。");
        assert_eq!(one_line("没有句号的一行\n第二行"), "没有句号的一行");
        assert_eq!(one_line(""), "");
        let long = "很".repeat(LINE_CHARS + 5) + "。";
        assert_eq!(one_line(&long), "很".repeat(LINE_CHARS) + "…");
    }
}
