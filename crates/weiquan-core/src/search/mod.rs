//! Index and queries. The engine knows nothing about HTTP or the terminal:
//! callers build a [`SearchRequest`] and get [`SearchResults`], or ask for a
//! document and get a [`DocumentPage`] (its types are in `page`).

pub mod analyzer;
pub mod answer;
mod build;
mod changes;
pub mod compare;
pub mod counts;
mod document;
pub mod eval;
mod facets;
mod nearby;
mod page;
mod prepare;
pub mod query;
pub mod rank;
mod related;
mod results;
pub mod schema;
pub mod snippet;
pub mod store;
pub mod suggest;
mod warnings;

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use build::{BuildReport, Stage, authority, build, build_with_asked, chapter_text, date_number, in_force};
pub use facets::Facets;
pub use page::{CitationTarget, CitedBy, DocumentPage, FollowedLaw, Question, Related, Version};
pub use store::Manifest;
pub use warnings::WarningOrder;

use crate::clock::Clock;
use crate::content::citations::law_key;
use crate::content::{self, Kind, Level, Severity, Status};
use analyzer::Analyzer;
use schema::{Fields, SCHEMA_VERSION};
use suggest::{Catalog, Suggestion};

/// Most results on one page.
pub const MAX_PER_PAGE: usize = 100;
/// Deepest result reachable by paging.
pub const MAX_RESULT_WINDOW: usize = 10_000;

/// Errors of the search engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No index in the folder.
    #[error("no index in `{0}`: run `weiquan index` to build one")]
    NoIndex(PathBuf),
    /// The index was built with another schema version.
    #[error(
        "the index in `{path}` has schema version {found}, this program needs {SCHEMA_VERSION}: run `weiquan index` to rebuild it"
    )]
    SchemaMismatch {
        /// The index folder.
        path: PathBuf,
        /// The schema version it was built with.
        found: u32,
    },
    /// The index cannot be read.
    #[error("the index is damaged: {0}. Delete the index folder and run `weiquan index`")]
    Corrupt(String),
    /// The request cannot be run (its message says why).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The content roots could not be read.
    #[error(transparent)]
    Content(#[from] content::Error),
    /// A file or folder could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first, relevance breaking ties.
    Date,
}

/// A search: the query and its filters. Several values of one filter match
/// any of them; different filters must all match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// The query as typed.
    pub query: String,
    /// Only these kinds of document (any when empty).
    pub kinds: Vec<Kind>,
    /// Only these levels of law (any when empty).
    pub levels: Vec<Level>,
    /// Only texts of these statuses (any when empty).
    pub statuses: Vec<Status>,
    /// Documents for these regions, and those that apply nationwide.
    pub regions: Vec<String>,
    /// Only documents with one of these tags (any when empty).
    pub tags: Vec<String>,
    /// Only units dated on or after this day.
    pub from: Option<NaiveDate>,
    /// Only units dated on or before this day.
    pub to: Option<NaiveDate>,
    /// How the results are ordered.
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    /// Hits per page.
    pub per_page: usize,
    /// Also search synonyms of the query words (on by default).
    pub expand: bool,
    /// Give each hit the features and weights of its score.
    pub explain: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            kinds: Vec::new(),
            levels: Vec::new(),
            statuses: Vec::new(),
            regions: Vec::new(),
            tags: Vec::new(),
            from: None,
            to: None,
            sort: Sort::Relevance,
            page: 1,
            per_page: 10,
            expand: true,
            explain: false,
        }
    }
}

impl SearchRequest {
    /// A search for `query` with no filters: the first page of 10, by relevance.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest { query: query.into(), ..SearchRequest::default() }
    }

    /// Checks the parameters a caller may get wrong.
    pub fn validate(&self) -> Result<(), Error> {
        if self.page == 0 {
            return Err(Error::InvalidRequest("page starts at 1".into()));
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return Err(Error::InvalidRequest(format!("per_page must be between 1 and {MAX_PER_PAGE}")));
        }
        if self.page.saturating_mul(self.per_page) > MAX_RESULT_WINDOW {
            return Err(Error::InvalidRequest(format!(
                "results beyond the first {MAX_RESULT_WINDOW} are not available"
            )));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(Error::InvalidRequest(format!("from ({from}) is after to ({to})")));
        }
        Ok(())
    }
}

/// One result: a unit of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct SearchHit {
    /// The document's id.
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: Kind,
    /// The document's full title.
    pub title: String,
    /// The article as written (第二十五条), if the unit is one.
    pub article: Option<String>,
    /// The chapter path, if any.
    pub chapter: Option<String>,
    /// Anchor of the unit within the document page.
    pub anchor: Option<String>,
    /// HTML: the best passage, escaped, with matches in `<mark>`.
    pub snippet: String,
    /// YYYY-MM-DD.
    #[serde(serialize_with = "content::date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub date: Option<NaiveDate>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub status: Option<Status>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub level: Option<Level>,
    /// A warning past its last day in force (shown as 已过期, ranked last).
    pub expired: bool,
    /// The ranking model's score (relevance order), or the first phase's
    /// BM25 (date order).
    pub score: f32,
    /// With `explain`: each feature's value, weight and part of the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<rank::Contribution>>,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// How many units match: exact when `total_exact`, else an estimate.
    pub total: usize,
    /// False when the first phase set common words aside (`rank::rare`):
    /// units holding only those were not counted, and `total` is estimated
    /// from the units counted and those each set-aside word is in.
    pub total_exact: bool,
    /// The page, 1-based.
    pub page: usize,
    /// Hits per page.
    pub per_page: usize,
    /// How long the search took, in milliseconds.
    pub took_ms: f64,
    /// The page's hits, in order.
    pub hits: Vec<SearchHit>,
    /// Counts per value of each facet.
    pub facets: Facets,
    /// Query words that were also searched as other words.
    pub expansions: Vec<query::Expansion>,
}

impl WarningSummary {
    /// In force on `today`: dated that day or earlier and not expired.
    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.date.is_none_or(|date| date <= today) && self.expires.is_none_or(|expires| expires >= today)
    }
}

/// A warning in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct WarningSummary {
    pub id: String,
    pub title: String,
    /// info | caution | alert
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub severity: Option<Severity>,
    /// Who issued it (发布单位), when the warning names one.
    pub issuer: Option<String>,
    pub summary: Option<String>,
    /// YYYY-MM-DD
    #[serde(serialize_with = "content::date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub date: Option<NaiveDate>,
    /// Last day in force, YYYY-MM-DD.
    #[serde(serialize_with = "content::date_format::option::serialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub expires: Option<NaiveDate>,
    pub pinned: bool,
    /// Interrupts kiosks' loops and stays first while in force.
    pub urgent: bool,
    /// The kiosks it is for; every kiosk of its regions when empty.
    pub kiosks: Vec<String>,
    pub regions: Vec<String>,
    pub tags: Vec<String>,
}

/// An open index, ready to search.
pub struct Engine {
    index: Index,
    /// Writes single-document updates; opened on the first one.
    writer: Mutex<Option<IndexWriter>>,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    manifest: Manifest,
    catalog: Catalog,
    /// Title keys of the titled documents in the index and the document
    /// holding the newest version, to resolve article references and
    /// citations (laws) and the case a retelling retells.
    law_ids: HashMap<String, String>,
    /// Whether some unit was hidden until a later time when the reader last
    /// reloaded. Without such units searches skip the visibility filter, a
    /// scan of a fast field. Hidden units only ever become visible, and new
    /// ones come through [`Engine::reindex`], which refreshes this.
    scheduled: AtomicBool,
    /// When the next scheduled unit becomes public (UTC seconds; `i64::MAX`
    /// when none is scheduled).
    next_visible: AtomicI64,
    /// Changes whenever what a search may return changes: a reindex, or a
    /// scheduled unit becoming public. Caches of results key on it.
    generation: AtomicU64,
    /// What "now" is for scheduled units and warnings in force.
    clock: Clock,
    /// Completions by what was typed, the most recently asked kept.
    suggestions: Mutex<lru::LruCache<String, Vec<Suggestion>>>,
    /// How much each law is about consumers, by title key, as the build
    /// found it: documents updated later get the same prior.
    consumer: HashMap<String, f64>,
    /// What is kept of each segment: the first pass's sets of units and
    /// the ranking's columns.
    segments: rank::segments::Segments,
    /// How many units hold each term searched, for the current view of
    /// the index.
    term_counts: Arc<counts::TermCounts>,
    /// The first passes running now, which decides whether one may use
    /// several cores.
    running: rank::first_pass::Running,
    /// The glossary whose terms document pages mark.
    glossary: content::glossary::Glossary,
    /// What each reindex changed, for caches of pages.
    changes: changes::Changes,
    /// The questions written for single articles, by unit, for the
    /// `similar_question` feature. Units added by a later reindex have none
    /// until the next full build.
    written: Arc<rank::written::Written>,
    /// The retellings of official cases, by unit. Units added by a later
    /// reindex have none until the next full build.
    retold: rank::retold::Retold,
}

/// Inputs whose completions are remembered, at most (each ≤ 10 entries).
const SUGGESTIONS_KEPT: std::num::NonZeroUsize = std::num::NonZeroUsize::new(4096).expect("not zero");
/// Longer inputs are not remembered.
const SUGGEST_KEY_BYTES: usize = 64;

/// Memory of the writer that updates single documents (tantivy's minimum is 15 MB).
const UPDATE_WRITER_MEMORY: usize = 32 * 1024 * 1024;

impl Engine {
    /// Opens the current generation in `dir`. Refuses an index with another
    /// schema version.
    pub fn open(dir: &Path, clock: Clock) -> Result<Engine, Error> {
        let generation = store::current_generation(dir)?.ok_or_else(|| Error::NoIndex(dir.to_path_buf()))?;
        let manifest = store::read_manifest(&generation)?;
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(Error::SchemaMismatch { path: dir.to_path_buf(), found: manifest.schema_version });
        }
        let lexicon: analyzer::Lexicon = store::read_json(&generation, store::LEXICON)?;
        let index = Index::open_in_dir(&generation)?;
        // Every file's checksum: a damaged index is found here, at start,
        // not by the first search that reads the damaged part.
        let damaged = index.validate_checksum()?;
        if !damaged.is_empty() {
            let names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Corrupt(format!("damaged files in `{}`: {}", generation.display(), names.join(", "))));
        }
        let analyzer = Analyzer::new(&lexicon);
        analyzer::register(&index, &analyzer);
        let (_, fields) = schema::schema();
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let mut catalog: Catalog = store::read_json(&generation, store::CATALOG)?;
        catalog.prepare();
        let law_ids = catalog.titles().map(|(title, id)| (law_key(title), id.to_string())).collect();
        let consumer = store::read_json(&generation, store::CONSUMER)?;
        let glossary = store::read_json_or_default(&generation, store::GLOSSARY)?;
        let written = Arc::new(rank::written::Written::new(store::read_json_or_default(&generation, store::WRITTEN)?));
        let retold = rank::retold::Retold::new(store::read_json_or_default(&generation, store::RETOLD)?);
        let engine = Engine {
            segments: rank::segments::Segments::new(written.clone()),
            written,
            retold,
            consumer,
            glossary,
            index,
            writer: Mutex::new(None),
            reader,
            fields,
            analyzer,
            manifest,
            catalog,
            law_ids,
            scheduled: AtomicBool::new(true),
            next_visible: AtomicI64::new(i64::MAX),
            generation: AtomicU64::new(0),
            suggestions: Mutex::new(lru::LruCache::new(SUGGESTIONS_KEPT)),
            clock,
            term_counts: Arc::default(),
            running: rank::first_pass::Running::default(),
            changes: changes::Changes::default(),
        };
        engine.refresh_scheduled()?;
        Ok(engine)
    }

    /// Opens the index in `dir`, first (re)building it from `roots` when it
    /// is missing, has another schema version, or was built from other
    /// content. Returns the build report when it built.
    pub fn open_or_build(
        dir: &Path,
        roots: &[PathBuf],
        clock: Clock,
        progress: &dyn Fn(Stage, usize, usize),
    ) -> Result<(Engine, Option<BuildReport>), Error> {
        match Engine::open(dir, clock.clone()) {
            Ok(engine)
                if engine.manifest.roots == roots && engine.manifest.fingerprint == build::fingerprint(roots)? =>
            {
                return Ok((engine, None));
            }
            Ok(_) => tracing::info!(index = %dir.display(), "content changed since the index was built: rebuilding"),
            Err(error @ Error::NoIndex(_)) => tracing::info!(index = %dir.display(), %error, "no index yet: building"),
            Err(error) => {
                tracing::warn!(index = %dir.display(), %error, "the index is damaged or unreadable: rebuilding it from the content")
            }
        }
        let report = build(dir, roots, &clock, progress)?;
        Ok((Engine::open(dir, clock)?, Some(report)))
    }

    /// Puts `document` in place of the units of document `id` (or removes
    /// them when it is `None` or not published) and makes the change visible
    /// to searches before returning. Citation counts and suggestions are
    /// refreshed by the next full build.
    pub fn reindex(&self, id: &str, document: Option<&content::Document>) -> Result<(), Error> {
        let mut guard = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let writer = match guard.as_mut() {
            Some(writer) => writer,
            None => guard.insert(self.index.writer_with_num_threads(1, UPDATE_WRITER_MEMORY)?),
        };
        let mut changing = self.indexed_keys(id)?;
        let document = document.filter(|d| d.is_published());
        let is_law = |name: &str| self.law_id(name).is_some();
        let cited: Vec<_> = document
            .iter()
            .flat_map(|document| {
                document.units.iter().map(|unit| build::cited_articles(&self.analyzer, &is_law, document, unit))
            })
            .collect();
        changing.extend(cited.iter().flatten().map(|(law, _)| changes::law_key_of(law)));
        changing.extend(document.filter(|d| d.kind == Kind::Law).map(|d| changes::law_key_of(&law_key(&d.meta.title))));
        self.changes.changing(&changing);
        writer.delete_term(Term::from_field_text(self.fields.doc_id, id));
        if let Some(document) = document {
            for doc in
                build::unit_documents(&self.fields, document, &cited, &HashMap::new(), &self.consumer, &HashMap::new())
            {
                writer.add_document(doc)?;
            }
        }
        if let Err(error) = writer.commit() {
            // A writer that failed to commit is dropped; the next update opens a new one.
            *guard = None;
            return Err(error.into());
        }
        self.reader.reload()?;
        let segments: Vec<_> = self.reader.searcher().segment_readers().iter().map(|r| r.segment_id()).collect();
        self.segments.retain(&segments);
        self.refresh_scheduled()?;
        self.changes.changed(&changing, self.generation.load(Ordering::Relaxed));
        Ok(())
    }

    /// What a reindex of document `id` changes, as the index holds it now:
    /// the document, and the laws it cites and, if it is one, is.
    fn indexed_keys(&self, id: &str) -> Result<Vec<String>, Error> {
        let searcher = self.reader.searcher();
        let units = TermQuery::new(Term::from_field_text(self.fields.doc_id, id), IndexRecordOption::Basic);
        let mut keys = vec![changes::document_key(id)];
        for (_, address) in searcher.search(&units, &TopDocs::with_limit(MAX_RESULT_WINDOW).order_by_score())? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let cited = doc.get_all(self.fields.cites).filter_map(|v| v.as_str()).filter_map(|c| c.split_once('#'));
            keys.extend(cited.map(|(law, _)| changes::law_key_of(law)));
            if stored_kind(&doc, self.fields.kind)? == Kind::Law {
                keys.push(changes::law_key_of(&law_key(&stored_text(&doc, self.fields.title).unwrap_or_default())));
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Notes whether some unit is scheduled and when the next one becomes
    /// public, and starts a new [`Engine::generation`].
    fn refresh_scheduled(&self) -> Result<(), Error> {
        let later = RangeQuery::new(
            Bound::Excluded(Term::from_field_i64(self.fields.visible_from, self.clock.utc().timestamp())),
            Bound::Unbounded,
        );
        let first = TopDocs::with_limit(1).order_by_fast_field::<i64>("visible_from", tantivy::Order::Asc);
        let (hidden, next) = self.reader.searcher().search(&later, &(Count, first))?;
        let next = next.first().and_then(|(time, _)| *time).unwrap_or(i64::MAX);
        self.scheduled.store(hidden > 0, Ordering::Relaxed);
        self.next_visible.store(next, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// A number that changes whenever what a search may return changes:
    /// after a reindex, and once a scheduled unit's publish time has come.
    /// A cache of results keyed on it never serves a result from before.
    pub fn generation(&self) -> Result<u64, Error> {
        if self.clock.utc().timestamp() >= self.next_visible.load(Ordering::Relaxed) {
            self.refresh_scheduled()?;
            self.changes.everything(self.generation.load(Ordering::Relaxed));
        }
        Ok(self.generation.load(Ordering::Relaxed))
    }

    /// The clock this engine reads "now" from; the rest of the program
    /// shares it.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// What the index in use was built from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Completions for search-as-you-type.
    /// Completions for what has been typed (see [`Catalog::suggest`]),
    /// remembered: people type the same first letters all day, and the
    /// catalog only changes with a new build, which opens a new engine.
    pub fn suggest(&self, typed: &str) -> Vec<Suggestion> {
        if typed.len() > SUGGEST_KEY_BYTES {
            return self.catalog.suggest(typed);
        }
        let mut remembered = self.suggestions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = remembered.get(typed) {
            return found.clone();
        }
        drop(remembered);
        let found = self.catalog.suggest(typed);
        let mut remembered = self.suggestions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        remembered.put(typed.to_string(), found.clone());
        found
    }

    /// What a query is about, as staff insights count it: its words of two
    /// or more characters as the search understood them (健身房预付卡跑路了
    /// → 健身房, 预付卡, 跑路), at most eight, each once.
    pub fn topics(&self, query: &str) -> Vec<String> {
        let mut topics: Vec<String> = Vec::new();
        for concept in self.analyzer.concepts(crate::text::truncate_chars(query, query::MAX_QUERY_CHARS)) {
            if concept.chars().count() > 1 && !topics.contains(&concept) && topics.len() < 8 {
                topics.push(concept);
            }
        }
        topics
    }

    /// The distinct words and "phrases" a query is searched for, as the
    /// search parses and segments it: each once, at most [`query::MAX_TERMS`].
    pub fn query_terms(&self, query: &str) -> Vec<String> {
        query::build(&query::parse(query), &self.analyzer, &self.fields, &self.term_counts, false).terms
    }

    /// Titles, tags and common questions known to the index.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Number of search units in the index.
    pub fn unit_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The first stored text of a field.
pub(crate) fn stored_text(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field).and_then(|v| v.as_str()).map(String::from)
}

/// The first stored text of a field read as the label it holds (a kind,
/// level, status or severity, stored by its machine name).
pub(crate) fn stored_label<T>(doc: &TantivyDocument, field: Field, parse: fn(&str) -> Option<T>) -> Option<T> {
    doc.get_first(field).and_then(|v| v.as_str()).and_then(parse)
}

/// The stored kind of a unit: every unit has one, so an index without it
/// is damaged.
pub(crate) fn stored_kind(doc: &TantivyDocument, field: Field) -> Result<Kind, Error> {
    stored_label(doc, field, Kind::parse).ok_or_else(|| Error::Corrupt("a unit has no known kind".into()))
}
