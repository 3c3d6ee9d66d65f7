//! A document for its page: the text rendered with its citations linked,
//! the versions of a law, what cites its articles, the versions of the laws
//! a guide or warning follows, and related documents ([`super::related`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::build::{self, date_from_number};
use super::rank::asked;
use super::{
    CitationTarget, CitedBy, DocumentPage, Engine, Error, FollowedLaw, MAX_RESULT_WINDOW, Question, Related, Version,
    stored_kind, stored_label, stored_text,
};
use crate::content::citations::{CitedLaw, law_key};
use crate::content::questions::answering_section;
use crate::content::{self, Kind, Status, markdown};

impl Engine {
    /// A document for its page: metadata, rendered HTML, table of contents
    /// and related documents. Citations link to `href` of their target.
    /// `Ok(None)` when no such document is indexed.
    pub fn document(&self, id: &str, href: &dyn Fn(CitationTarget) -> String) -> Result<Option<DocumentPage>, Error> {
        let Some((document, official)) = self.load(id)? else { return Ok(None) };
        let rendered = self.render(&document, href);
        let cited = self.cited(&document);
        let related = self.related(&document, &cited)?;
        let followed = self.followed(&document, &cited)?;
        let versions = self.versions(&document)?;
        let cited_by = self.cited_by(&document)?;
        let questions = self.questions(&document);
        let retold = document.meta.retells.as_deref().and_then(|title| self.law_ids.get(&law_key(title))).cloned();
        Ok(Some(DocumentPage {
            document,
            html: rendered.html,
            toc: rendered.toc,
            related,
            followed,
            versions,
            cited_by,
            questions,
            official,
            retold,
        }))
    }

    /// A document's typical questions, each with the anchor of the section
    /// that answers it.
    fn questions(&self, document: &content::Document) -> Vec<Question> {
        if document.meta.questions.is_empty() {
            // Laws and cases have none: no need to split a whole law.
            return Vec::new();
        }
        let sections = markdown::sections(&document.body);
        let texts: Vec<&str> = sections.iter().map(|section| section.text).collect();
        document
            .meta
            .questions
            .iter()
            .map(|question| {
                let words = asked::question_words(question, |text| self.analyzer.concepts(text));
                let anchor = answering_section(&words, &texts).and_then(|best| sections[best].anchor.clone());
                Question { text: question.clone(), anchor }
            })
            .collect()
    }

    /// Document `id` read again from its file, if it is indexed and public
    /// now, and whether it was read from an official law collection.
    pub(super) fn load(&self, id: &str) -> Result<Option<(content::Document, bool)>, Error> {
        let searcher = self.reader.searcher();
        let by_id = BooleanQuery::new(
            vec![(
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(self.fields.doc_id, id), IndexRecordOption::Basic))
                    as Box<dyn Query>,
            )]
            .into_iter()
            .chain(self.visible().map(|q| (Occur::Must, q)))
            .collect(),
        );
        let Some((_, address)) = searcher.search(&by_id, &TopDocs::with_limit(1).order_by_score())?.into_iter().next()
        else {
            return Ok(None);
        };
        let stored: TantivyDocument = searcher.doc(address)?;
        let source = PathBuf::from(stored_text(&stored, self.fields.source).unwrap_or_default());
        let root = self.manifest.roots.iter().find(|root| source.starts_with(root));
        let document = match root.map(|root| content::read_document(root, &source)) {
            Some(Ok(Some(document))) => document,
            Some(Ok(None)) | None => return Ok(None),
            Some(Err(problem)) => return Err(Error::Corrupt(format!("the document changed on disk: {problem}"))),
        };
        let official = root.is_some_and(|root| content::Layout::detect(root) == content::Layout::LawRefBook);
        Ok(Some((document, official)))
    }

    /// `document` as HTML, its citations resolved against the indexed laws
    /// (the public pages and the admin's preview use the same).
    pub fn render(
        &self,
        document: &content::Document,
        href: &dyn Fn(CitationTarget) -> String,
    ) -> content::render::Rendered {
        let is_law = |name: &str| self.law_id(name).is_some();
        let cite = |law: &CitedLaw, article: u32| href(self.citation_target(document, law, article));
        content::render::render(document, &is_law, &cite, &self.glossary)
    }

    /// The indexed law a citation's name (a title, short title or alias) stands for.
    pub(super) fn law_id(&self, name: &str) -> Option<&String> {
        self.law_ids.get(&law_key(&self.analyzer.law_title(&crate::text::normalize(name))))
    }

    /// Where a citation in `document` leads: the article when its law is
    /// indexed, else a search for it.
    pub(super) fn citation_target(&self, document: &content::Document, law: &CitedLaw, article: u32) -> CitationTarget {
        let label = crate::text::numerals::label(article);
        let id = match law {
            CitedLaw::This if document.kind == Kind::Law => Some(document.id.clone()),
            CitedLaw::This => None,
            CitedLaw::Named(name) => self.law_id(name).cloned(),
        };
        match (id, law) {
            (Some(id), _) => CitationTarget::Article { id, anchor: label },
            (None, CitedLaw::Named(name)) => CitationTarget::Search { query: format!("《{name}》{label}") },
            (None, CitedLaw::This) => CitationTarget::Search { query: label },
        }
    }

    /// For each article of a law that other documents cite, those documents
    /// (引用本条), in article order.
    pub(super) fn cited_by(&self, document: &content::Document) -> Result<Vec<CitedBy>, Error> {
        if document.kind != Kind::Law {
            return Ok(Vec::new());
        }
        let key = law_key(&document.meta.title);
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(self.fields.cites_law, &key), IndexRecordOption::Basic))
                    as Box<dyn Query>,
            ),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.doc_id, &document.id),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        let searcher = self.reader.searcher();
        let mut by_article: BTreeMap<u32, Vec<Related>> = BTreeMap::new();
        for (_, address) in searcher.search(&query, &TopDocs::with_limit(MAX_RESULT_WINDOW).order_by_score())? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| stored_text(&doc, field).unwrap_or_default();
            let kind = stored_kind(&doc, self.fields.kind)?;
            let citing = Related { id: text(self.fields.doc_id), kind, title: text(self.fields.title) };
            for cited in doc.get_all(self.fields.cites).filter_map(|v| v.as_str()) {
                let Some(article) =
                    cited.strip_prefix(&key).and_then(|r| r.strip_prefix('#')).and_then(|n| n.parse().ok())
                else {
                    continue;
                };
                let documents = by_article.entry(article).or_default();
                if !documents.iter().any(|d| d.id == citing.id) {
                    documents.push(citing.clone());
                }
            }
        }
        Ok(by_article
            .into_iter()
            .map(|(article, documents)| CitedBy { anchor: crate::text::numerals::label(article), documents })
            .collect())
    }

    /// Every version of a law, newest first (empty for other documents).
    pub(super) fn versions(&self, document: &content::Document) -> Result<Vec<Version>, Error> {
        if document.kind != Kind::Law {
            return Ok(Vec::new());
        }
        let key = Term::from_field_text(self.fields.version_of, &build::version_key(document));
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&TermQuery::new(key, IndexRecordOption::Basic), &TopDocs::with_limit(1000).order_by_score())?;
        let mut versions = Vec::new();
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            versions.push(Version {
                id: stored_text(&doc, self.fields.doc_id).unwrap_or_default(),
                date: doc.get_first(self.fields.date).and_then(|v| v.as_i64()).and_then(date_from_number),
                status: stored_label(&doc, self.fields.status, Status::parse),
            });
        }
        versions.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
        Ok(versions)
    }

    /// Guides and warnings: the laws they cite, each as the version the
    /// index holds, in the order first cited (依据的法规版本). Laws the index
    /// lacks are left out.
    pub(super) fn followed(
        &self,
        document: &content::Document,
        cited: &[(String, u32)],
    ) -> Result<Vec<FollowedLaw>, Error> {
        if !matches!(document.kind, Kind::Guide | Kind::Warning) {
            return Ok(Vec::new());
        }
        let mut ids: Vec<&String> = Vec::new();
        for id in cited.iter().filter_map(|(law, _)| self.law_ids.get(law)) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let searcher = self.reader.searcher();
        let mut followed = Vec::new();
        for id in ids {
            let query = TermQuery::new(Term::from_field_text(self.fields.doc_id, id), IndexRecordOption::Basic);
            let Some((_, address)) =
                searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.into_iter().next()
            else {
                continue;
            };
            let doc: TantivyDocument = searcher.doc(address)?;
            followed.push(FollowedLaw {
                id: id.clone(),
                title: stored_text(&doc, self.fields.title).unwrap_or_default(),
                date: doc.get_first(self.fields.date).and_then(|v| v.as_i64()).and_then(date_from_number),
                status: stored_label(&doc, self.fields.status, Status::parse),
            });
        }
        Ok(followed)
    }

    /// The articles `document` cites, as (title key, article number), each once.
    pub(super) fn cited(&self, document: &content::Document) -> Vec<(String, u32)> {
        let is_law = |name: &str| self.law_id(name).is_some();
        let mut cited = Vec::new();
        for unit in &document.units {
            for article in build::cited_articles(&self.analyzer, &is_law, document, unit) {
                if !cited.contains(&article) {
                    cited.push(article);
                }
            }
        }
        cited
    }
}
