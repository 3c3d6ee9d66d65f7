//! BM25 of one term in one field for the second phase, as tantivy's term
//! scorer computes it, bit for bit (the same operations in the same order),
//! but from the term's place kept for the view ([`Counted::term_info`]) and
//! one table of length norms per field.
//!
//! tantivy's `TermQuery` builds, for every term of every search, a weight
//! with a table of 256 norms of its own and an explanation made of strings,
//! and walks the term dictionary again for each scorer. The second phase
//! measures every query word in seven fields, a few hundred terms a search,
//! and that work showed in the profile of distinct questions
//! (docs/PERFORMANCE.md, "Session 46").

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, SegmentOrdinal, Term};

use crate::search::counts::Counted;

/// tantivy's term saturation ...
const K1: f32 = 1.2;
/// ... and length normalisation.
const B: f32 = 0.75;

/// A field's length norms: `K1 · (1 − B + B · length / average length)` for
/// each of the 256 lengths a field norm encodes.
pub struct Norms {
    field: Field,
    table: [f32; 256],
}

impl Norms {
    /// The norms of `field` in the counted view.
    pub fn of(counted: &Counted<'_>, field: Field) -> tantivy::Result<Norms> {
        let average = counted.total_num_tokens(field)? as f32 / counted.total_num_docs()? as f32;
        let mut table = [0.0; 256];
        for (id, norm) in table.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(id as u8);
            *norm = K1 * (1.0 - B + B * length as f32 / average);
        }
        Ok(Norms { field, table })
    }

    /// Those of `field` among `all`.
    pub fn find(all: &[Norms], field: Field) -> &Norms {
        all.iter().find(|norms| norms.field == field).expect("the norms of every measured field")
    }
}

/// A term's weight: its IDF among `all` units when `units` hold it, times
/// `1 + K1`.
pub fn weight(units: u64, all: u64) -> f32 {
    let x = ((all - units) as f32 + 0.5) / (units as f32 + 0.5);
    (1.0 + x).ln() * (1.0 + K1)
}

/// One term's matches in one segment, scored.
pub struct TermMatches<'a> {
    postings: SegmentPostings,
    lengths: FieldNormReader,
    norms: &'a Norms,
    weight: f32,
}

impl<'a> TermMatches<'a> {
    /// The matches of `term`, which weighs `weight`, in the segment with
    /// ordinal `segment`; `None` when no unit there holds it.
    pub fn open(
        counted: &Counted<'_>,
        segment: SegmentOrdinal,
        term: &Term,
        weight: f32,
        norms: &'a Norms,
    ) -> tantivy::Result<Option<TermMatches<'a>>> {
        let Some(info) = counted.term_info(segment, term)? else { return Ok(None) };
        let reader = counted.searcher().segment_reader(segment);
        let postings =
            reader.inverted_index(term.field())?.read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
        // A field without norms counts every unit as one token long, as
        // tantivy's term weight does.
        let lengths = match reader.fieldnorms_readers().get_field(term.field())? {
            Some(lengths) => lengths,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        Ok(Some(TermMatches { postings, lengths, norms, weight }))
    }

    /// The term's score in `doc` when `doc` holds it. Asked in increasing
    /// order of documents.
    pub fn score_at(&mut self, doc: DocId) -> Option<f32> {
        if self.postings.doc() < doc {
            self.postings.seek(doc);
        }
        (self.postings.doc() == doc).then(|| {
            let frequency = self.postings.term_freq() as f32;
            let norm = self.norms.table[self.lengths.fieldnorm_id(doc) as usize];
            self.weight * (frequency / (frequency + norm))
        })
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    use super::*;
    use crate::search::counts::TermCounts;

    #[test]
    fn scores_are_tantivys_to_the_last_bit_in_every_segment() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        // Two commits, two segments; lengths from 1 to 40 tokens, the term
        // held from once to five times.
        for batch in 0..2 {
            for unit in 0..20 {
                let filler = "filler ".repeat(unit + batch * 15);
                let held = "apple ".repeat(1 + unit % 5);
                let mut doc = TantivyDocument::default();
                doc.add_text(body, if unit % 3 == 0 { filler.clone() } else { format!("{held}{filler}") });
                writer.add_document(doc).expect("add");
            }
            writer.commit().expect("commit");
        }
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let apple = Term::from_field_text(body, "apple");
        let expected = searcher
            .search(
                &TermQuery::new(apple.clone(), IndexRecordOption::WithFreqs),
                &TopDocs::with_limit(100).order_by_score(),
            )
            .expect("search");
        let counts = TermCounts::default();
        let counted = counts.of(&searcher);
        let norms = [Norms::of(&counted, body).expect("norms")];
        let weight = weight(counted.doc_freq(&apple).expect("count"), counted.total_num_docs().expect("units"));
        let mut found = 0;
        for (score, address) in &expected {
            let norms = Norms::find(&norms, body);
            let mut matches =
                TermMatches::open(&counted, address.segment_ord, &apple, weight, norms).expect("open").expect("held");
            assert_eq!(matches.score_at(address.doc_id).map(f32::to_bits), Some(score.to_bits()), "{address:?}");
            found += 1;
        }
        assert_eq!(found, 26, "13 units of each segment hold the term");
        let mut matches = TermMatches::open(&counted, 0, &apple, weight, &norms[0]).expect("open").expect("held");
        assert_eq!(matches.score_at(0), None, "unit 0 holds only filler");
        let kiwi = Term::from_field_text(body, "kiwi");
        assert!(TermMatches::open(&counted, 0, &kiwi, weight, &norms[0]).expect("open").is_none());
    }
}
