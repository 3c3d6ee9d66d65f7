//! Stage 5 of the pipeline: documents into a new index generation.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rayon::prelude::*;
use tantivy::schema::Facet;
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::Error;
use super::analyzer::{self, Analyzer, Lexicon};
use super::rank;
use super::rank::asked::{self, Asked};
use super::rank::retold::RetoldFile;
use super::rank::written::WrittenFile;
use super::schema::{Fields, NATIONWIDE, SCHEMA_VERSION, schema};
use super::store::{self, Manifest};
use super::suggest::Catalog;
use crate::clock::Clock;
use crate::content::citations::{CitedLaw, law_key};
use crate::content::{self, Document, Level, Loaded, Status, Unit};
use crate::text::normalize;

/// Memory tantivy's writer may use per indexing thread.
const WRITER_MEMORY_PER_THREAD: usize = 128 * 1024 * 1024;

/// What a build did.
#[derive(Debug)]
pub struct BuildReport {
    /// How many documents were indexed.
    pub documents: usize,
    /// How many search units were indexed.
    pub units: usize,
    /// The files that could not be loaded, and why.
    pub problems: Vec<content::Problem>,
    /// The generation folder the index was written to.
    pub generation: PathBuf,
}

/// Where a build is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the content roots.
    Loading,
    /// Adding the units to the index.
    Indexing,
}

/// Loads `roots` and writes them as a new generation of the index in `dir`,
/// then switches to it. The old index stays in use until the switch.
pub fn build(
    dir: &Path,
    roots: &[PathBuf],
    clock: &Clock,
    progress: &dyn Fn(Stage, usize, usize),
) -> Result<BuildReport, Error> {
    let loaded = content::load(roots, clock.today(), &|done, total| progress(Stage::Loading, done, total))?;
    build_loaded(dir, roots, loaded, clock, progress)
}

/// Like [`build`], with the asked words of the roots (`asked.txt`) replaced
/// by `asked`: fitting the weights measures one fold of the judged
/// questions on an index that learned from the other fold only.
pub fn build_with_asked(dir: &Path, roots: &[PathBuf], clock: &Clock, asked: String) -> Result<BuildReport, Error> {
    let loaded = content::load(roots, clock.today(), &|_, _| {})?;
    build_loaded(dir, roots, content::Loaded { asked, ..loaded }, clock, &|_, _, _| {})
}

fn build_loaded(
    dir: &Path,
    roots: &[PathBuf],
    loaded: Loaded,
    clock: &Clock,
    progress: &dyn Fn(Stage, usize, usize),
) -> Result<BuildReport, Error> {
    let started = std::time::Instant::now();
    let fingerprint = fingerprint(roots)?;
    let generation = store::new_generation(dir)?;
    let result = write_generation(&generation, &loaded, progress).and_then(|units| {
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            fingerprint,
            roots: roots.to_vec(),
            built_at: clock.now().to_rfc3339(),
            documents: loaded.documents.len(),
            units,
            problems: loaded.problems.len(),
        };
        store::publish(dir, &generation, &manifest)?;
        Ok(units)
    });
    match result {
        Ok(units) => {
            tracing::info!(
                documents = loaded.documents.len(),
                units,
                seconds = started.elapsed().as_secs_f64(),
                generation = %generation.display(),
                "index built"
            );
            Ok(BuildReport { documents: loaded.documents.len(), units, problems: loaded.problems, generation })
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&generation);
            Err(error)
        }
    }
}

/// What an index must have been built from to be current: the content
/// roots' fingerprint and the built-in word lists.
pub(super) fn fingerprint(roots: &[PathBuf]) -> Result<String, Error> {
    let mut hasher = std::hash::DefaultHasher::new();
    (analyzer::BUILTIN_WORDS, analyzer::BUILTIN_SYNONYMS, analyzer::BUILTIN_ALIASES).hash(&mut hasher);
    Ok(format!("{}-{:016x}", content::fingerprint(roots)?, hasher.finish()))
}

fn write_generation(
    generation: &Path,
    loaded: &Loaded,
    progress: &dyn Fn(Stage, usize, usize),
) -> Result<usize, Error> {
    let lexicon = Lexicon::with_builtin(&loaded.dictionary, &loaded.synonyms, &loaded.aliases);
    store::write_json(generation, store::LEXICON, &lexicon)?;
    let (schema, fields) = schema();
    let index = Index::create_in_dir(generation, schema)?;
    let analyzer = Analyzer::new(&lexicon);
    analyzer::register(&index, &analyzer);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, threads * WRITER_MEMORY_PER_THREAD)?;
    let laws: HashSet<String> =
        loaded.documents.iter().filter(|d| d.kind == content::Kind::Law).map(|d| law_key(&d.meta.title)).collect();
    let is_law = |name: &str| laws.contains(&law_key(&analyzer.law_title(&normalize(name))));
    let cited: Vec<Vec<Vec<(String, u32)>>> = loaded
        .documents
        .par_iter()
        .map(|document| document.units.iter().map(|unit| cited_articles(&analyzer, &is_law, document, unit)).collect())
        .collect();
    let citing = citing_documents(&loaded.documents, &cited);
    let consumer = consumer_relevance(loaded, &analyzer, &cited);
    store::write_json(generation, store::CATALOG, &Catalog::from_loaded(loaded, &consumer))?;
    store::write_json(generation, store::CONSUMER, &consumer)?;
    store::write_json(generation, store::GLOSSARY, &loaded.glossary)?;
    let mut asked = Asked::parse(&loaded.asked);
    // A section's citations, read as a unit of its document is.
    let section_cites = |document: &Document, markdown: &str| {
        let text = content::markdown::to_plain_text(markdown);
        cited_articles(&analyzer, &is_law, document, &Unit { article: None, anchor: None, chapter: Vec::new(), text })
    };
    let typical = asked::typical_questions(&loaded.documents, |text| analyzer.concepts(text), section_cites);
    asked.add(typical.iter().map(|q| (q.words.clone(), q.articles.clone())));
    // Filed in one `add`, so an article's most asked words are chosen over
    // all its questions, whichever file holds them.
    let written: Vec<_> =
        loaded.article_questions.iter().flat_map(|(_, text)| asked::parse_article_questions(text)).collect();
    asked.add(asked::article_questions(&written, |text| analyzer.concepts(text)));
    let asked = asked.field_texts();
    // The judged questions of asked.txt are compared one by one as the
    // written ones are; their words are in its word lines already.
    let written = written.into_iter().chain(asked::judged_questions(&loaded.asked)).collect();
    store::write_json(generation, store::WRITTEN, &written_questions(loaded, written, &typical))?;
    store::write_json(generation, store::RETOLD, &RetoldFile::of(&loaded.documents, tie))?;
    let mut units = 0;
    for (done, (document, cited)) in loaded.documents.iter().zip(&cited).enumerate() {
        if document.is_published() {
            for doc in unit_documents(&fields, document, cited, &citing, &consumer, &asked) {
                writer.add_document(doc)?;
                units += 1;
            }
        }
        progress(Stage::Indexing, done + 1, loaded.documents.len());
    }
    writer.commit()?;
    // One segment: every term of a query is looked up once, not once per
    // indexing thread's segment, and scorers are set up once per search.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(units)
}

/// A unit's `tie` hash: a stable hash of its id (`doc_id#anchor`), by
/// which equal scores are ordered and written questions find their unit.
fn tie(document: &Document, unit: &Unit) -> u64 {
    crate::text::stable_hash(0, &format!("{}#{}", document.id, unit.anchor.as_deref().unwrap_or_default()))
}

/// The questions written for single articles (`written`, from
/// `article-questions/`) and the typical questions of guides and warnings
/// (`typical`, with the articles of their answering sections), each once,
/// with the units of their articles in every version of the law.
fn written_questions(
    loaded: &Loaded,
    written: Vec<(asked::ArticleName, Vec<String>)>,
    typical: &[asked::Typical],
) -> WrittenFile {
    let mut file = WrittenFile::default();
    let mut by_article: HashMap<asked::ArticleKey, Vec<u32>> = HashMap::new();
    // Judged questions that a case answers, by the case's title.
    let mut by_case: HashMap<String, Vec<u32>> = HashMap::new();
    // A question asked about several articles (a judged question with two
    // answers) is one question with their units.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let written = written.into_iter().map(|(name, questions)| (vec![name], questions));
    // A guide's or warning's typical question counts for the articles
    // its answering section cites, as it does in the `asked` field.
    let guides = typical.iter().map(|q| (q.articles.clone(), vec![q.text.clone()]));
    for (names, questions) in written.chain(guides) {
        let keys: Vec<asked::ArticleKey> = names.iter().filter_map(asked::article_key).collect();
        let cases: Vec<&str> =
            names.iter().filter(|name| name.label == asked::CASE_LABEL).map(|name| name.title.as_str()).collect();
        for question in questions {
            let id = *ids.entry(question).or_insert_with_key(|question| {
                file.questions.push(question.clone());
                file.questions.len() as u32 - 1
            });
            for key in &keys {
                add_once(by_article.entry(key.clone()).or_default(), id);
            }
            for case in &cases {
                add_once(by_case.entry(case.to_string()).or_default(), id);
            }
        }
    }
    for document in loaded.documents.iter().filter(|d| d.is_published()) {
        match document.kind {
            content::Kind::Law => {
                let key = law_key(&document.meta.title);
                for unit in &document.units {
                    let Some(article) = &unit.article else { continue };
                    if let Some(ids) = by_article.get(&(key.clone(), article.number, article.sub)) {
                        file.units.push((tie(document, unit), ids.clone()));
                    }
                }
            }
            // Every unit of a case counts: judgments name the whole case.
            content::Kind::Case => {
                if let Some(ids) = by_case.get(&document.meta.title) {
                    file.units.extend(document.units.iter().map(|unit| (tie(document, unit), ids.clone())));
                }
            }
            content::Kind::Guide | content::Kind::Warning => {}
        }
    }
    file
}

/// Adds `id` to `ids` unless it is there.
fn add_once(ids: &mut Vec<u32>, id: u32) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// The index documents of one document's units. `cited` holds the articles
/// each unit cites; `citing` how many documents cite each article;
/// `consumer` how much each law is about consumers; `asked` the words
/// people ask about each article.
pub(crate) fn unit_documents(
    fields: &Fields,
    document: &Document,
    cited: &[Vec<(String, u32)>],
    citing: &HashMap<(String, u32), usize>,
    consumer: &HashMap<String, f64>,
    asked: &HashMap<asked::ArticleKey, String>,
) -> Vec<TantivyDocument> {
    let key = law_key(&document.meta.title);
    let consumer = match document.kind {
        content::Kind::Law => consumer.get(&key).copied().unwrap_or(0.0),
        _ if is_shipped(document) => 1.0,
        _ => 0.0,
    };
    let mut docs = Vec::with_capacity(document.units.len());
    for (i, (unit, cited)) in document.units.iter().zip(cited).enumerate() {
        let article = unit.article.as_ref().map(|article| (key.clone(), article.number));
        let citations = article.as_ref().and_then(|article| citing.get(article)).copied().unwrap_or(0);
        let mut doc = unit_document(fields, document, unit, citations);
        let asked_key = unit.article.as_ref().map(|article| (key.clone(), article.number, article.sub));
        if document.kind == content::Kind::Law
            && let Some(words) = asked_key.as_ref().and_then(|article| asked.get(article))
        {
            doc.add_text(fields.asked, words);
        }
        doc.add_f64(fields.consumer, consumer);
        for (law, article) in cited {
            doc.add_text(fields.cites, format!("{law}#{article}"));
            doc.add_text(fields.cites_law, law);
        }
        if i == 0 && document.kind == content::Kind::Law {
            doc.add_text(fields.version_of, version_key(document));
        }
        docs.push(doc);
    }
    docs
}

/// The rank of a source in the hierarchy of norms: national laws above
/// regulations, rules and local regulations (which bind one province or
/// city, where most readers are not).
pub fn authority(level: Option<Level>) -> f64 {
    match level {
        None | Some(Level::Law) => 1.0,
        Some(Level::Interpretation) => 0.95,
        Some(Level::Regulation) => 0.85,
        Some(Level::Rule) => 0.7,
        Some(Level::Local) | Some(Level::Other) => 0.3,
    }
}

/// 1 for a text in force, 0.5 for one not yet in force, 0 for an amended
/// or repealed one.
pub fn in_force(status: Option<Status>) -> f64 {
    match status {
        None | Some(Status::Current) => 1.0,
        Some(Status::Pending) => 0.5,
        Some(Status::Amended) | Some(Status::Repealed) => 0.0,
    }
}

/// Whether a document is a local regulation: so labelled, or a law bound to
/// regions (LawRefBook's DLC folders hold local texts of every level).
pub(crate) fn is_local(document: &Document) -> bool {
    let meta = &document.meta;
    let regional = meta.regions.iter().any(|r| r != NATIONWIDE);
    meta.level == Some(Level::Local) || (document.kind == content::Kind::Law && regional)
}

/// Whether a document is part of this project's own knowledge (a guide, a
/// warning or one of its cases), written in readers' words.
fn is_shipped(document: &Document) -> bool {
    match document.kind {
        content::Kind::Guide | content::Kind::Warning => true,
        content::Kind::Case => document.id.starts_with("cases/"),
        content::Kind::Law => false,
    }
}

/// How much each law is about consumers, by title key: 1 for the core
/// (`core-laws.txt` of the content roots), else growing with the number of
/// shipped guides, warnings and cases that cite it (1 from ten on).
pub(super) fn consumer_relevance(
    loaded: &Loaded,
    analyzer: &Analyzer,
    cited: &[Vec<Vec<(String, u32)>>],
) -> HashMap<String, f64> {
    let mut citing: HashMap<String, usize> = HashMap::new();
    for (document, cited) in loaded.documents.iter().zip(cited) {
        if is_shipped(document) {
            let laws: HashSet<&String> = cited.iter().flatten().map(|(law, _)| law).collect();
            for law in laws {
                *citing.entry(law.clone()).or_default() += 1;
            }
        }
    }
    let mut relevance: HashMap<String, f64> =
        citing.into_iter().map(|(law, n)| (law, ((n as f64).ln_1p() / 10f64.ln_1p()).min(1.0))).collect();
    for line in loaded.core_laws.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()) {
        relevance.insert(law_key(&analyzer.law_title(&normalize(line))), 1.0);
    }
    relevance
}

/// The places a local regulation binds, space-separated: its province and
/// the place its title starts with (洛阳市… → 洛阳).
fn places(document: &Document) -> String {
    let mut places: Vec<String> = document.meta.regions.clone();
    let title: Vec<char> = document.meta.title.chars().collect();
    if let Some(end) = title.iter().take(8).position(|c| "省市县州".contains(*c)) {
        let place: String = title[..end].iter().collect();
        let place = place.trim_end_matches("自治").to_string();
        if place.chars().count() >= 2 && !places.contains(&place) {
            places.push(place);
        }
    }
    places.join(" ")
}

/// For each cited article, how many documents of other laws, cases, guides
/// and warnings cite it: its centrality in the citation graph.
fn citing_documents(documents: &[Document], cited: &[Vec<Vec<(String, u32)>>]) -> HashMap<(String, u32), usize> {
    let mut counts = HashMap::new();
    for (document, cited) in documents.iter().zip(cited) {
        let own = law_key(&document.meta.title);
        let distinct: HashSet<&(String, u32)> = cited.iter().flatten().filter(|(law, _)| *law != own).collect();
        for article in distinct {
            *counts.entry(article.clone()).or_default() += 1;
        }
    }
    counts
}

/// yyyymmdd, 0 when unknown.
pub fn date_number(date: Option<chrono::NaiveDate>) -> i64 {
    date.map_or(0, |d| i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day()))
}

/// The date a [`date_number`] stands for; 0 (unknown) → `None`.
pub(crate) fn date_from_number(number: i64) -> Option<chrono::NaiveDate> {
    if number <= 0 {
        return None;
    }
    let (month, day) = (u32::try_from(number / 100 % 100).ok()?, u32::try_from(number % 100).ok()?);
    chrono::NaiveDate::from_ymd_opt(i32::try_from(number / 10_000).ok()?, month, day)
}

/// The articles a unit cites, as (title key, article number); 本法 in a law
/// is the law itself.
pub(super) fn cited_articles(
    analyzer: &Analyzer,
    is_law: &dyn Fn(&str) -> bool,
    document: &Document,
    unit: &Unit,
) -> Vec<(String, u32)> {
    let mut cited = Vec::new();
    for citation in content::citations::extract(&unit.text, is_law) {
        let law = match &citation.law {
            CitedLaw::Named(name) => law_key(&analyzer.law_title(&normalize(name))),
            CitedLaw::This if document.kind == content::Kind::Law => law_key(&document.meta.title),
            CitedLaw::This => continue,
        };
        for article in citation.articles {
            if !cited.contains(&(law.clone(), article)) {
                cited.push((law.clone(), article));
            }
        }
    }
    cited
}

/// What the versions of one law share: title and part.
pub(super) fn version_key(document: &Document) -> String {
    format!("{}/{}", law_key(&document.meta.title), document.part.as_deref().unwrap_or(""))
}

/// The chapter path as shown: 第二章 消费者的权利 / 第一节 ...
pub fn chapter_text(unit: &Unit) -> String {
    unit.chapter.join(" / ")
}

fn unit_document(fields: &Fields, document: &Document, unit: &Unit, citations: usize) -> TantivyDocument {
    let meta = &document.meta;
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.doc_id, &document.id);
    if let Some(anchor) = &unit.anchor {
        doc.add_text(fields.anchor, anchor);
    }
    doc.add_text(fields.kind, document.kind.as_str());
    doc.add_facet(fields.facets, Facet::from_path(["kind", document.kind.as_str()]));
    if let Some(level) = meta.level {
        doc.add_text(fields.level, level.as_str());
        doc.add_facet(fields.facets, Facet::from_path(["level", level.as_str()]));
    }
    if let Some(status) = meta.status {
        doc.add_text(fields.status, status.as_str());
        doc.add_facet(fields.facets, Facet::from_path(["status", status.as_str()]));
    }
    for region in &meta.regions {
        doc.add_text(fields.regions, region);
    }
    if meta.regions.is_empty() {
        doc.add_text(fields.regions, NATIONWIDE);
    }
    for tag in &meta.tags {
        doc.add_text(fields.tags, tag);
        doc.add_facet(fields.facets, Facet::from_path(["tag", tag.as_str()]));
    }
    doc.add_i64(fields.date, date_number(meta.date));
    doc.add_f64(fields.authority, authority(meta.level));
    doc.add_f64(fields.in_force, in_force(meta.status));
    doc.add_f64(fields.cited, (citations as f64).ln_1p());
    doc.add_u64(fields.kind_code, rank::kind_code(document.kind));
    doc.add_u64(fields.tie, tie(document, unit));
    let mut bits = 0;
    if is_local(document) {
        bits |= rank::flags::LOCAL;
        doc.add_text(fields.place, places(document));
    }
    if document.kind == content::Kind::Law && unit.article.is_none() {
        bits |= rank::flags::NON_ARTICLE;
    }
    if document.kind == content::Kind::Law && rank::is_omnibus(&meta.title) {
        bits |= rank::flags::OMNIBUS;
    }
    doc.add_u64(fields.flags, bits);

    doc.add_text(fields.title, &meta.title);
    doc.add_text(fields.title_key, law_key(&meta.title));
    let chapter = chapter_text(unit);
    let mut heading = chapter.clone();
    if let Some(article) = &unit.article {
        doc.add_text(fields.article, &article.label);
        doc.add_i64(fields.article_number, i64::from(article.number));
        heading = format!("{} 第{}条 {heading}", article.label, article.number);
    }
    doc.add_text(fields.heading, &heading);
    if !chapter.is_empty() {
        doc.add_text(fields.chapter, &chapter);
    }
    let summary = meta.summary.as_deref().unwrap_or_default();
    doc.add_text(fields.summary, summary);
    let particulars: Vec<&str> = [&meta.court, &meta.case_no, &meta.cause]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(meta.tags.iter().map(String::as_str))
        .collect();
    let particulars = particulars.join("\n");
    doc.add_text(fields.particulars, &particulars);
    // Questions are about the whole document, so only a document that is one
    // unit (a guide, warning or case) is found by them, never every article
    // of a law.
    let questions = if document.units.len() == 1 { meta.questions.join("\n") } else { String::new() };
    doc.add_text(fields.questions, &questions);
    doc.add_text(fields.source, document.path.to_string_lossy());
    if let Some(severity) = meta.severity {
        doc.add_text(fields.severity, severity.as_str());
        if let Some(issuer) = &meta.issuer {
            doc.add_text(fields.issuer, issuer);
        }
    }
    doc.add_i64(fields.expires, date_number(meta.expires));
    doc.add_bool(fields.pinned, meta.pinned);
    doc.add_bool(fields.urgent, meta.urgent);
    for kiosk in &meta.kiosks {
        doc.add_text(fields.kiosks, kiosk);
    }
    doc.add_i64(fields.visible_from, meta.publish_at.map_or(0, |time| time.timestamp()));
    doc.add_text(fields.body, &unit.text);
    doc.add_text(
        fields.grams,
        format!("{}\n{heading}\n{summary}\n{particulars}\n{questions}\n{}", meta.title, unit.text),
    );
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_numbers_read_back_as_the_dates_they_stand_for() {
        for date in ["2024-03-15", "1999-12-31", "2020-02-29"] {
            let date = crate::content::date_format::parse(date);
            assert_eq!(date_from_number(date_number(date)), date);
        }
        assert_eq!(date_number(None), 0);
        assert_eq!(date_from_number(0), None, "no date");
        assert_eq!(date_from_number(20_241_315), None, "no 13th month");
    }
}
