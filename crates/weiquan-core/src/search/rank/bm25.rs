//! BM25 of one term in one field, as tantivy's term scorer computes it,
//! bit for bit (the same operations in the same order), but from the
//! term's place kept for the view ([`Counted::term`]) and the field's
//! length norms kept with it ([`Counted::norms`]).
//!
//! tantivy's `TermQuery` builds, for every term of every search, a weight
//! with a table of 256 norms of its own and an explanation made of strings,
//! and walks the term dictionary again for each scorer. Both phases search
//! every query word in seven fields, a hundred or more terms a search, and
//! that work showed in the profile of distinct questions
//! (docs/PERFORMANCE.md, "Session 46" and "Session 47"). The first phase
//! searches them as [`KeptTermQuery`]s; the second phase opens
//! [`TermMatches`] directly.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{
    Bm25StatisticsProvider, EmptyScorer, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TantivyError, Term};

use crate::search::counts::{Counted, K1, Norms, TermCounts};

/// A term's weight: its IDF among `all` units when `units` hold it, times
/// `1 + K1`.
pub fn weight(units: u64, all: u64) -> f32 {
    let x = ((all - units) as f32 + 0.5) / (units as f32 + 0.5);
    (1.0 + x).ln() * (1.0 + K1)
}

/// One term's matches in one segment, scored.
pub struct TermMatches {
    postings: SegmentPostings,
    lengths: FieldNormReader,
    norms: Arc<Norms>,
    weight: f32,
}

impl TermMatches {
    /// The matches of `term`, which weighs `weight`, in the segment with
    /// ordinal `segment`; `None` when no unit there holds it.
    pub fn open(
        counted: &Counted<'_>,
        segment: SegmentOrdinal,
        term: &Term,
        weight: f32,
        norms: Arc<Norms>,
    ) -> tantivy::Result<Option<TermMatches>> {
        let Some(info) = counted.term_info(segment, term)? else { return Ok(None) };
        TermMatches::at(counted.searcher().segment_reader(segment), term, &info, weight, norms).map(Some)
    }

    /// The matches of `term` in the segment `reader` reads, its postings
    /// being where `info` says.
    fn at(
        reader: &SegmentReader,
        term: &Term,
        info: &TermInfo,
        weight: f32,
        norms: Arc<Norms>,
    ) -> tantivy::Result<TermMatches> {
        let postings =
            reader.inverted_index(term.field())?.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        // A field without norms counts every unit as one token long, as
        // tantivy's term weight does.
        let lengths = match reader.fieldnorms_readers().get_field(term.field())? {
            Some(lengths) => lengths,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        Ok(TermMatches { postings, lengths, norms, weight })
    }

    /// The term's score in `doc` when `doc` holds it. Asked in increasing
    /// order of documents.
    pub fn score_at(&mut self, doc: DocId) -> Option<f32> {
        if self.postings.doc() < doc {
            self.postings.seek(doc);
        }
        (self.postings.doc() == doc).then(|| self.score())
    }
}

impl DocSet for TermMatches {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for TermMatches {
    fn score(&mut self) -> Score {
        let frequency = self.postings.term_freq() as f32;
        let norm = self.norms.of_length(self.lengths.fieldnorm_id(self.postings.doc()));
        self.weight * (frequency / (frequency + norm))
    }
}

/// A term searched in its field with a boost: what tantivy's `TermQuery`
/// under a `BoostQuery` matches and scores, to the bit, from the engine's
/// kept counts and norms.
#[derive(Clone)]
pub struct KeptTermQuery {
    term: Term,
    boost: Score,
    counts: Arc<TermCounts>,
}

impl KeptTermQuery {
    /// `term` weighed `boost` times, scored from `counts`.
    pub fn new(term: Term, boost: Score, counts: Arc<TermCounts>) -> KeptTermQuery {
        KeptTermQuery { term, boost, counts }
    }
}

impl std::fmt::Debug for KeptTermQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptTermQuery").field("term", &self.term).field("boost", &self.boost).finish()
    }
}

impl Query for KeptTermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let searcher = match scoring.searcher() {
            Some(searcher) if scoring.is_scoring_enabled() => searcher,
            // Matching without scores is tantivy's own term query.
            _ => return TermQuery::new(self.term.clone(), IndexRecordOption::WithFreqs).weight(scoring),
        };
        let counted = self.counts.of(searcher);
        let (units, infos) = counted.term(&self.term)?;
        Ok(Box::new(KeptTermWeight {
            term: self.term.clone(),
            weight: weight(units, counted.total_num_docs()?),
            boost: self.boost,
            norms: counted.norms(self.term.field())?,
            segments: searcher.segment_readers().iter().map(SegmentReader::segment_id).collect(),
            infos,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

/// [`KeptTermQuery`] for one view of the index.
struct KeptTermWeight {
    term: Term,
    weight: Score,
    boost: Score,
    norms: Arc<Norms>,
    /// The view's segments, and where the term's postings are in each.
    segments: Vec<SegmentId>,
    infos: Arc<[Option<TermInfo>]>,
}

impl Weight for KeptTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let info = match self.segments.iter().position(|id| *id == reader.segment_id()) {
            Some(ordinal) => self.infos[ordinal].clone(),
            // A segment of another view: its dictionary is asked.
            None => reader.inverted_index(self.term.field())?.get_term_info(&self.term)?,
        };
        let Some(info) = info else { return Ok(Box::new(EmptyScorer)) };
        // tantivy's boost weight hands `boost · self.boost` to the term
        // weight, which multiplies its own weight by it.
        let weight = self.weight * (boost * self.boost);
        Ok(Box::new(TermMatches::at(reader, &self.term, &info, weight, self.norms.clone())?))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("Document #({doc}) does not match")));
        }
        Ok(Explanation::new("BM25 of the term from the kept counts, boosted", scorer.score()))
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur};
    use tantivy::schema::{Field, Schema, TEXT};
    use tantivy::{DocAddress, Index, Searcher, TantivyDocument};

    use super::*;

    /// Two segments of 20 units each: lengths from 1 to 40 tokens, apple
    /// held from once to five times, pear in every fourth unit.
    fn two_segments() -> (Searcher, Field) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for batch in 0..2 {
            for unit in 0..20 {
                let filler = "filler ".repeat(unit + batch * 15);
                let held = "apple ".repeat(1 + unit % 5);
                let pear = if unit % 4 == 1 { "pear " } else { "" };
                let mut doc = TantivyDocument::default();
                let text = if unit % 3 == 0 { format!("{pear}{filler}") } else { format!("{held}{pear}{filler}") };
                doc.add_text(body, text);
                writer.add_document(doc).expect("add");
            }
            writer.commit().expect("commit");
        }
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        (searcher, body)
    }

    fn bits(found: Vec<(Score, DocAddress)>) -> Vec<(u32, DocAddress)> {
        found.into_iter().map(|(score, address)| (score.to_bits(), address)).collect()
    }

    #[test]
    fn scores_are_tantivys_to_the_last_bit_in_every_segment() {
        let (searcher, body) = two_segments();
        let apple = Term::from_field_text(body, "apple");
        let expected = searcher
            .search(
                &TermQuery::new(apple.clone(), IndexRecordOption::WithFreqs),
                &TopDocs::with_limit(100).order_by_score(),
            )
            .expect("search");
        let counts = TermCounts::default();
        let counted = counts.of(&searcher);
        let norms = counted.norms(body).expect("norms");
        let weight = weight(counted.doc_freq(&apple).expect("count"), counted.total_num_docs().expect("units"));
        let mut found = 0;
        for (score, address) in &expected {
            let mut matches = TermMatches::open(&counted, address.segment_ord, &apple, weight, norms.clone())
                .expect("open")
                .expect("held");
            assert_eq!(matches.score_at(address.doc_id).map(f32::to_bits), Some(score.to_bits()), "{address:?}");
            found += 1;
        }
        assert_eq!(found, 26, "13 units of each segment hold the term");
        let mut matches = TermMatches::open(&counted, 0, &apple, weight, norms.clone()).expect("open").expect("held");
        assert_eq!(matches.score_at(0), None, "unit 0 holds only filler");
        let kiwi = Term::from_field_text(body, "kiwi");
        assert!(TermMatches::open(&counted, 0, &kiwi, weight, norms).expect("open").is_none());
    }

    #[test]
    fn a_kept_term_query_in_a_union_finds_and_scores_as_a_boosted_term_query() {
        let (searcher, body) = two_segments();
        let counts = Arc::new(TermCounts::default());
        let words = [("apple", 2.5), ("pear", 0.6), ("kiwi", 4.0)];
        let union = |kept: bool| {
            let clauses = words.iter().map(|&(word, boost)| -> (Occur, Box<dyn Query>) {
                let term = Term::from_field_text(body, word);
                let query: Box<dyn Query> = if kept {
                    Box::new(KeptTermQuery::new(term, boost, counts.clone()))
                } else {
                    Box::new(BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)), boost))
                };
                (Occur::Should, query)
            });
            BooleanQuery::new(clauses.collect())
        };
        let top = TopDocs::with_limit(100).order_by_score();
        let expected = bits(searcher.search(&union(false), &top).expect("search"));
        assert_eq!(expected.len(), 28, "apple in 26 units, pear without it in 2");
        for _ in 0..2 {
            let counted = counts.of(&searcher);
            assert_eq!(bits(counted.search(&union(true), &top).expect("search")), expected);
        }
        let kept = KeptTermQuery::new(Term::from_field_text(body, "pear"), 1.0, counts);
        assert_eq!(
            searcher.search(&kept, &tantivy::collector::Count).expect("count"),
            10,
            "unscored, it still matches"
        );
        let mut terms = Vec::new();
        kept.query_terms(&mut |term, positions| terms.push((term.clone(), positions)));
        assert_eq!(terms, [(Term::from_field_text(body, "pear"), false)]);
    }
}
