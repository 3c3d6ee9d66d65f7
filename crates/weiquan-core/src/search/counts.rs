//! How many units hold each term, and each field's BM25 length norms,
//! remembered for a view of the index.
//!
//! One search looks the same term up several times: the rare-word split
//! (`rank::rare`), the BM25 weight of each first-phase clause and of each
//! second-phase scorer, and the second phase's IDF. Each lookup walks the
//! term dictionary of every segment, and the profile of a distinct question
//! put these walks, with the BM25 weights built for words that no unit of
//! a field holds, at about a tenth of its CPU. Distinct questions share
//! most of their words, so the counts are kept across searches, for as long
//! as the segments and their deletions stay the same: a term's count never
//! changes within one view of the index. The term's place in each segment
//! (its [`TermInfo`]) is kept with the count, so the second phase opens its
//! postings without walking the dictionary again (`rank::bm25`), and each
//! field's table of length norms is made once for the view, not once for
//! every term's weight as tantivy's `TermQuery` makes it.

use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;
use tantivy::collector::Collector;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::TermInfo;
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::schema::Field;
use tantivy::{Searcher, SegmentOrdinal, Term};

/// BM25's term saturation, as tantivy's ...
pub const K1: f32 = 1.2;
/// ... and length normalisation.
const B: f32 = 0.75;

/// Terms kept at most: about 10 MB on an index of one segment. When full
/// they are forgotten together and looked up again as searches need them.
const KEPT: usize = 100_000;

/// The counts of one view of the index, shared by the engine's searches
/// (all from one reader).
#[derive(Default)]
pub struct TermCounts(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    /// The view the counts are of: the engine's reader numbers each one
    /// (a new segment, or new deletions), so the number tells them apart.
    generation: Option<u64>,
    /// Each term looked up.
    terms: FxHashMap<Term, Held>,
    /// Tokens of each field in all units, for BM25's average length.
    tokens: FxHashMap<Field, u64>,
    /// Each field's length norms.
    norms: FxHashMap<Field, Arc<Norms>>,
}

impl TermCounts {
    /// The counts as `searcher` sees the index.
    pub fn of<'a>(&'a self, searcher: &'a Searcher) -> Counted<'a> {
        Counted { searcher, counts: self }
    }

    /// The kept counts, first forgotten when they are of another view or
    /// too many.
    fn kept(&self, searcher: &Searcher) -> std::sync::MutexGuard<'_, Kept> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = Some(searcher.generation().generation_id());
        if kept.generation != generation || kept.terms.len() >= KEPT {
            *kept = Kept { generation, ..Kept::default() };
        }
        kept
    }
}

/// What the view holds of one term.
struct Held {
    /// Units holding it, deleted ones included (as tantivy counts).
    units: u64,
    /// Where its postings are in each segment (by ordinal); `None` where
    /// no unit of the segment holds it.
    infos: Arc<[Option<TermInfo>]>,
}

/// A field's length norms: `K1 · (1 − B + B · length / average length)` for
/// each of the 256 lengths a field norm encodes, as tantivy's BM25 weight
/// tabulates them.
pub struct Norms {
    field: Field,
    table: [f32; 256],
}

impl Norms {
    /// The norms of `field`, whose units hold `average` tokens on average.
    fn new(field: Field, average: f32) -> Norms {
        let mut table = [0.0; 256];
        for (id, norm) in table.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(id as u8);
            *norm = K1 * (1.0 - B + B * length as f32 / average);
        }
        Norms { field, table }
    }

    /// The field the norms are of.
    pub fn field(&self) -> Field {
        self.field
    }

    /// The norm of the length with field-norm id `id`.
    pub fn of_length(&self, id: u8) -> f32 {
        self.table[id as usize]
    }
}

/// [`TermCounts`] for one searcher: what tantivy's scoring asks for, from
/// the kept counts.
pub struct Counted<'a> {
    searcher: &'a Searcher,
    counts: &'a TermCounts,
}

impl<'a> Counted<'a> {
    /// The view of the index counted.
    pub fn searcher(&self) -> &'a Searcher {
        self.searcher
    }

    /// Scoring with these counts, for [`Query::weight`].
    pub fn scoring(&self) -> EnableScoring<'_> {
        EnableScoring::enabled_from_statistics_provider(self, self.searcher)
    }

    /// Runs `collector` over `query`'s matches, scored with these counts.
    pub fn search<C: Collector>(&self, query: &dyn Query, collector: &C) -> tantivy::Result<C::Fruit> {
        self.searcher.search_with_statistics_provider(query, collector, self)
    }

    /// Whether some unit holds every term `query` names. A term or phrase
    /// query that names a term no unit holds matches nothing.
    pub fn all_held(&self, query: &dyn Query) -> tantivy::Result<bool> {
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term));
        for term in terms {
            if self.doc_freq(term)? == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Where `term`'s postings are in the segment with ordinal `segment`;
    /// `None` when no unit there holds it.
    pub fn term_info(&self, segment: SegmentOrdinal, term: &Term) -> tantivy::Result<Option<TermInfo>> {
        self.held(term, |held| held.infos.get(segment as usize).cloned().flatten())
    }

    /// How many units hold `term`, and where its postings are in each
    /// segment (by ordinal).
    pub fn term(&self, term: &Term) -> tantivy::Result<(u64, Arc<[Option<TermInfo>]>)> {
        self.held(term, |held| (held.units, held.infos.clone()))
    }

    /// The length norms of `field` in this view.
    pub fn norms(&self, field: Field) -> tantivy::Result<Arc<Norms>> {
        if let Some(norms) = self.counts.kept(self.searcher).norms.get(&field) {
            return Ok(norms.clone());
        }
        let average = self.total_num_tokens(field)? as f32 / self.total_num_docs()? as f32;
        let norms = Arc::new(Norms::new(field, average));
        self.counts.kept(self.searcher).norms.insert(field, norms.clone());
        Ok(norms)
    }

    /// `read` of what the view holds of `term`, looked up in every segment
    /// the first time (as `Searcher::doc_freq` does).
    fn held<T>(&self, term: &Term, read: impl Fn(&Held) -> T) -> tantivy::Result<T> {
        if let Some(held) = self.counts.kept(self.searcher).terms.get(term) {
            return Ok(read(held));
        }
        // Looked up without the lock: other searches go on meanwhile.
        let mut infos = Vec::with_capacity(self.searcher.segment_readers().len());
        for reader in self.searcher.segment_readers() {
            infos.push(reader.inverted_index(term.field())?.get_term_info(term)?);
        }
        let units = infos.iter().flatten().map(|info| u64::from(info.doc_freq)).sum();
        let held = Held { units, infos: infos.into() };
        let value = read(&held);
        self.counts.kept(self.searcher).terms.insert(term.clone(), held);
        Ok(value)
    }
}

impl Bm25StatisticsProvider for Counted<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(tokens) = self.counts.kept(self.searcher).tokens.get(&field) {
            return Ok(*tokens);
        }
        let tokens = self.searcher.total_num_tokens(field)?;
        self.counts.kept(self.searcher).tokens.insert(field, tokens);
        Ok(tokens)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.held(term, |held| held.units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    fn index() -> (Index, Field) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for text in ["apple pear", "apple", "plum apple apple"] {
            let mut unit = TantivyDocument::default();
            unit.add_text(body, text);
            writer.add_document(unit).expect("add");
        }
        writer.commit().expect("commit");
        (index, body)
    }

    #[test]
    fn kept_counts_score_as_the_searcher_does_and_follow_a_new_view() {
        let (index, body) = index();
        let reader = index.reader().expect("reader");
        let counts = TermCounts::default();
        let apple = Term::from_field_text(body, "apple");
        let query = TermQuery::new(apple.clone(), IndexRecordOption::WithFreqs);
        let searcher = reader.searcher();
        let plain = searcher.search(&query, &TopDocs::with_limit(3).order_by_score()).expect("search");
        for _ in 0..2 {
            let counted = counts.of(&searcher);
            assert_eq!(counted.search(&query, &TopDocs::with_limit(3).order_by_score()).expect("search"), plain);
            assert_eq!(counted.doc_freq(&apple).expect("count"), 3);
        }
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        let mut unit = TantivyDocument::default();
        unit.add_text(body, "apple");
        writer.add_document(unit).expect("add");
        writer.commit().expect("commit");
        reader.reload().expect("reload");
        let searcher = reader.searcher();
        assert_eq!(counts.of(&searcher).doc_freq(&apple).expect("count"), 4, "a new view is counted afresh");
    }

    #[test]
    fn a_query_naming_a_term_no_unit_holds_is_not_all_held() {
        let (index, body) = index();
        let searcher = index.reader().expect("reader").searcher();
        let counts = TermCounts::default();
        let counted = counts.of(&searcher);
        let term = |text: &str| TermQuery::new(Term::from_field_text(body, text), IndexRecordOption::WithFreqs);
        assert!(counted.all_held(&term("pear")).expect("held"));
        assert!(!counted.all_held(&term("kiwi")).expect("held"));
    }
}
