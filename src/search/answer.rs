//! The answer a results page opens with (先看这里): the guide or warning
//! that best answers the query with its one-line summary, the articles it
//! relies on with their text, and a court case.
//!
//! It is read off the ranked results a search already returned: one stored
//! document per shown document and one term lookup per cited article, never
//! another full search.
//!
//! What readers expect, and so what the answer is:
//! - The highest-ranked guide or warning among the top [`ANSWER_DEPTH`]
//!   results leads: it is written in everyday words and says what to do.
//!   A warning no longer in force does not lead (it would answer with advice
//!   its issuer has withdrawn); a lower guide or warning may.
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
//! - The highest-ranked case among the top results comes with the answer.
//! - Only the first page, sorted by relevance, of a query with words has an
//!   answer: a date-sorted list, a later page or a bare filter listing is
//!   not a question.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use super::{Engine, Error, SearchHit, SearchRequest, SearchResults, Sort, format_date_number, stored_text};
use crate::content::citations::law_key;
use crate::content::{Kind, Status, articles};
use crate::text::{numerals, truncate_chars};

/// How many of the top results the answer is taken from: about what a
/// phone's first screens show.
pub const ANSWER_DEPTH: usize = 5;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// The guide or warning that answers; `None` when an article answers on
    /// its own.
    pub document: Option<AnswerDocument>,
    /// The articles the guide or warning relies on (at most three), or the
    /// article that answers on its own.
    pub articles: Vec<AnswerArticle>,
    /// A court case among the top results.
    pub case: Option<AnswerDocument>,
}

/// A guide, warning or case in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AnswerDocument {
    pub id: String,
    /// guide | warning | case
    pub kind: String,
    pub title: String,
    /// The document's summary as its author wrote it (one or two
    /// sentences, never cut), or else its first sentence.
    pub summary: String,
}

/// An article in an answer, in the version in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    pub date: Option<String>,
    /// current | amended | repealed | pending
    pub status: Option<String>,
}

impl Engine {
    /// The answer to `request` from its `results`, if it has one (see the
    /// module's documentation for what the answer is).
    pub fn answer(&self, request: &SearchRequest, results: &SearchResults) -> Result<Option<Answer>, Error> {
        if request.page != 1 || request.sort != Sort::Relevance || request.query.trim().is_empty() {
            return Ok(None);
        }
        let top = &results.hits[..results.hits.len().min(ANSWER_DEPTH)];
        let searcher = self.reader.searcher();
        let mut lead = None;
        for hit in top.iter().filter(|hit| matches!(Kind::parse(&hit.kind), Some(Kind::Guide | Kind::Warning))) {
            let warning = hit.kind == Kind::Warning.as_str();
            if let Some(doc) = self.stored_document(&searcher, &hit.id)?.filter(|doc| !warning || self.in_force(doc)) {
                lead = Some(doc);
                break;
            }
        }
        let (document, articles) = match lead {
            Some(doc) => (Some(self.answer_document(&doc)), self.relied_on(&searcher, &doc, &results.hits)?),
            None => match top.first() {
                Some(first) if first.kind == Kind::Law.as_str() && first.article.is_some() => {
                    (None, self.hit_article(&searcher, first)?.into_iter().collect())
                }
                _ => return Ok(None),
            },
        };
        if document.is_none() && articles.is_empty() {
            return Ok(None);
        }
        let case = match top.iter().find(|hit| hit.kind == Kind::Case.as_str()) {
            Some(hit) => self.stored_document(&searcher, &hit.id)?.map(|doc| self.answer_document(&doc)),
            None => None,
        };
        Ok(Some(Answer { document, articles, case }))
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

    /// Whether a stored warning is in force today: dated today or earlier
    /// and not expired.
    fn in_force(&self, doc: &TantivyDocument) -> bool {
        let today = super::date_number(Some(self.clock.today()));
        let number = |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
        let (date, expires) = (number(self.fields.date), number(self.fields.expires));
        date <= today && (expires == 0 || expires >= today)
    }

    fn answer_document(&self, doc: &TantivyDocument) -> AnswerDocument {
        let text = |field: Field| stored_text(doc, field).unwrap_or_default();
        let summary = stored_text(doc, self.fields.summary).filter(|s| !s.trim().is_empty());
        AnswerDocument {
            id: text(self.fields.doc_id),
            kind: text(self.fields.kind),
            title: text(self.fields.title),
            summary: summary.unwrap_or_else(|| one_line(&text(self.fields.body))),
        }
    }

    /// The articles the stored guide or warning `doc` cites, in force, those
    /// on the results page (`hits`) first.
    fn relied_on(
        &self,
        searcher: &Searcher,
        doc: &TantivyDocument,
        hits: &[SearchHit],
    ) -> Result<Vec<AnswerArticle>, Error> {
        let mut articles = Vec::new();
        for cited in doc.get_all(self.fields.cites).filter_map(|v| v.as_str()).take(MAX_CITATIONS) {
            let Some((key, number)) = cited.rsplit_once('#').and_then(|(key, n)| Some((key, n.parse().ok()?))) else {
                continue;
            };
            if let Some(article) = self.article_in_force(searcher, key, number)? {
                articles.push(article);
            }
        }
        // Stable: articles off the page keep the order the guide cites them in.
        let rank = |article: &AnswerArticle| {
            hits.iter()
                .position(|hit| {
                    hit.article.as_deref() == Some(article.article.as_str())
                        && law_key(&hit.title) == law_key(&article.title)
                })
                .unwrap_or(usize::MAX)
        };
        articles.sort_by_key(rank);
        articles.truncate(MAX_ARTICLES);
        Ok(articles)
    }

    /// Article `number` (not 之一) of the law with title key `key`, in the
    /// version in force: the current one, else the newest that is not
    /// pending (a repealed law's last text, or the text a pending version
    /// will replace), else the newest pending one.
    fn article_in_force(&self, searcher: &Searcher, key: &str, number: u32) -> Result<Option<AnswerArticle>, Error> {
        let label = format!("第{}条", numerals::format(number).unwrap_or_default());
        let units = self.article_units(searcher, Term::from_field_text(self.fields.title_key, key), number)?;
        let standing = |article: &AnswerArticle| match article.status.as_deref().and_then(Status::parse) {
            None | Some(Status::Current) => 0,
            Some(Status::Amended | Status::Repealed) => 1,
            Some(Status::Pending) => 2,
        };
        // Among equals the newest, then the article's first occurrence in its law.
        Ok(units.into_iter().filter(|article| article.article == label).min_by(|a, b| {
            standing(a).cmp(&standing(b)).then(b.date.cmp(&a.date)).then((a.anchor != label).cmp(&(b.anchor != label)))
        }))
    }

    /// The article unit a hit is.
    fn hit_article(&self, searcher: &Searcher, hit: &SearchHit) -> Result<Option<AnswerArticle>, Error> {
        let Some(number) = hit.article.as_deref().and_then(articles::parse_article_start).map(|a| a.number) else {
            return Ok(None);
        };
        let units = self.article_units(searcher, Term::from_field_text(self.fields.doc_id, &hit.id), number)?;
        Ok(units.into_iter().find(|article| Some(&article.anchor) == hit.anchor.as_ref()))
    }

    /// The public article units numbered `number` of the documents `of` (a
    /// title key or a document id) selects.
    fn article_units(&self, searcher: &Searcher, of: Term, number: u32) -> Result<Vec<AnswerArticle>, Error> {
        let term = |term: Term| Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>;
        let clauses = [term(of), term(Term::from_field_i64(self.fields.article_number, i64::from(number)))]
            .into_iter()
            .chain(self.visible())
            .map(|query| (Occur::Must, query))
            .collect();
        let mut units = Vec::new();
        for (_, address) in
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(MAX_VERSIONS).order_by_score())?
        {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| stored_text(&doc, field);
            let (Some(article), Some(anchor)) = (text(self.fields.article), text(self.fields.anchor)) else { continue };
            let body = text(self.fields.body).unwrap_or_default();
            units.push(AnswerArticle {
                id: text(self.fields.doc_id).unwrap_or_default(),
                title: text(self.fields.title).unwrap_or_default(),
                text: body.strip_prefix(article.as_str()).unwrap_or(&body).trim_start().to_string(),
                article,
                anchor,
                date: doc.get_first(self.fields.date).and_then(|v| v.as_i64()).and_then(format_date_number),
                status: text(self.fields.status),
            });
        }
        Ok(units)
    }
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
