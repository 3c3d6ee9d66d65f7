//! The first phase's one pass over the matches: the best units, the best
//! units that bind everywhere (the *national pool*), every guide, warning
//! and case that matches (for the answer) and how many match, in a single
//! collector.
//!
//! tantivy's tuple of `TopDocs`, `FilterCollector` and `Count` calls three
//! collectors per match, and the filter decodes the `flags` column for
//! each; a long question matches tens of thousands of units, and that
//! bookkeeping cost a fifth of a search. Here each match costs a counter,
//! two comparisons and two bits of the sets the engine keeps per segment
//! ([`Segments`]: local units, and guides, warnings and cases).
//!
//! A search alone on the machine reads a segment in as many ranges of
//! units as there are cores, side by side ([`FirstPass::run`]): the pass
//! over a query that matches most of the index (中华人民共和国, 85,000
//! units, each a phrase to verify) is most of that search's time, and the
//! other cores would be idle. Under load every search keeps to one range,
//! as the other searches fill the cores.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use rayon::prelude::*;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{Query, Scorer};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::segments::{Segment, Segments};
use crate::search::counts::Counted;

/// Matches with their first-phase scores, best first.
pub type Scored = Vec<(Score, DocAddress)>;

/// What the pass found.
#[derive(Default)]
pub struct Found {
    /// The best matches.
    pub top: Scored,
    /// The best matches that are not local regulations.
    pub national: Scored,
    /// The best guides, warnings and cases (all of them, in practice).
    pub documents: Scored,
    /// How many units match.
    pub count: usize,
}

/// Guides, warnings and cases kept at most: more than the index holds, so
/// the answer sees every one that matches.
const DOCUMENTS: usize = 10_000;

/// The first pass: the best `limit` matches, the best `national` matches
/// that are not local regulations, the matching guides, warnings and cases,
/// and the count.
pub struct FirstPass<'a> {
    /// How many best matches to keep.
    pub limit: usize,
    /// How many best matches that are not local regulations to keep.
    pub national: usize,
    /// Which units are local regulations and which are guides, warnings and cases.
    pub segments: &'a Segments,
}

impl Collector for FirstPass<'_> {
    type Fruit = Found;
    type Child = SegmentPass;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentPass> {
        Ok(SegmentPass {
            segment,
            kept: self.segments.of(reader),
            top: Best::new(self.limit),
            national: Best::new(self.national),
            documents: Best::new(DOCUMENTS),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut merged = Found::default();
        for found in fruits {
            merged.top.extend(found.top);
            merged.national.extend(found.national);
            merged.documents.extend(found.documents);
            merged.count += found.count;
        }
        best_first(&mut merged.top, self.limit);
        best_first(&mut merged.national, self.national);
        best_first(&mut merged.documents, DOCUMENTS);
        Ok(merged)
    }
}

/// A segment is cut into ranges only so that some clause of the query
/// matches at least this many of its units per range: for less, handing a
/// range to another thread and opening its scorers costs about what it
/// saves.
const MIN_RANGE_MATCHES: u32 = 10_000;

/// The machine's cores.
static CORES: LazyLock<usize> = LazyLock::new(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));

/// How many first passes are running now, which decides how many ranges
/// each may read at once.
#[derive(Debug, Default)]
pub struct Running(AtomicUsize);

impl Running {
    /// Counts a pass in until the guard is dropped.
    pub fn enter(&self) -> Entered<'_> {
        let running = self.0.fetch_add(1, Ordering::AcqRel) + 1;
        Entered { running: self, ranges: (*CORES / running).max(1) }
    }
}

/// A running pass, counted out when dropped.
pub struct Entered<'a> {
    running: &'a Running,
    /// Ranges the pass may read at once: the cores the running passes leave it.
    pub ranges: usize,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.running.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One range of one segment's units, and the scorer opened for it, if any.
type Part<'r> = (SegmentOrdinal, &'r SegmentReader, Range<DocId>, Option<Box<dyn Scorer>>);

impl FirstPass<'_> {
    /// The pass over `query`'s matches in `counted`'s view, each segment
    /// read in up to `ranges` ranges of units at once on rayon's threads.
    /// The fruit is the same as one pass's: each range keeps its own best,
    /// and the best of those are the best of all.
    pub fn run(&self, counted: &Counted<'_>, query: &dyn Query, ranges: usize) -> tantivy::Result<Found> {
        if ranges < 2 {
            return counted.search(query, self);
        }
        let weight = query.weight(counted.scoring())?;
        let mut parts: Vec<Part<'_>> = Vec::new();
        for (ordinal, reader) in counted.searcher().segment_readers().iter().enumerate() {
            let scorer = weight.scorer(reader, 1.0)?;
            // As many ranges as the cores allow, each with enough matches.
            let count = u64::from((scorer.size_hint() / MIN_RANGE_MATCHES).clamp(1, ranges as u32));
            let units = u64::from(reader.max_doc());
            let bound = |part: u64| DocId::try_from(units * part / count).unwrap_or(DocId::MAX);
            let mut scorer = Some(scorer);
            for part in 0..count {
                parts.push((ordinal as SegmentOrdinal, reader, bound(part)..bound(part + 1), scorer.take()));
            }
        }
        let read = |(ordinal, reader, range, scorer): Part<'_>| -> tantivy::Result<Found> {
            let mut scorer = match scorer {
                Some(scorer) => scorer,
                None => weight.scorer(reader, 1.0)?,
            };
            let mut pass = self.for_segment(ordinal, reader)?;
            let alive = reader.alive_bitset();
            let mut doc = scorer.doc();
            if doc < range.start {
                doc = scorer.seek(range.start);
            }
            while doc < range.end {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    pass.collect(doc, scorer.score());
                }
                doc = scorer.advance();
            }
            Ok(pass.harvest())
        };
        // No segment cut: its scorers are open, and another thread would
        // only add the hand-over.
        let fruits = if parts.len() > counted.searcher().segment_readers().len() {
            parts.into_par_iter().map(read).collect::<tantivy::Result<Vec<Found>>>()?
        } else {
            parts.into_iter().map(read).collect::<tantivy::Result<Vec<Found>>>()?
        };
        self.merge_fruits(fruits)
    }
}

/// [`FirstPass`] in one segment.
pub struct SegmentPass {
    segment: SegmentOrdinal,
    /// What the engine keeps of the segment.
    kept: Arc<Segment>,
    top: Best,
    national: Best,
    documents: Best,
    count: usize,
}

impl SegmentCollector for SegmentPass {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        self.top.offer(score, doc);
        if !self.kept.is_local(doc) {
            self.national.offer(score, doc);
        }
        if self.kept.is_document(doc) {
            self.documents.offer(score, doc);
        }
    }

    fn harvest(self) -> Found {
        let segment = self.segment;
        let addressed = |best: Best| -> Scored {
            best.into_sorted().into_iter().map(|(score, doc)| (score, DocAddress::new(segment, doc))).collect()
        };
        Found {
            top: addressed(self.top),
            national: addressed(self.national),
            documents: addressed(self.documents),
            count: self.count,
        }
    }
}

/// The best `limit` of the offered (score, doc) pairs: kept in a buffer of
/// twice the limit that is cut back to the best half when full, so that
/// most offers are turned away by one comparison with the cut's score.
struct Best {
    limit: usize,
    kept: Vec<(Score, DocId)>,
    /// The lowest score kept at the last cut; offers at or below it cannot
    /// be among the best (ties go to the earlier document).
    threshold: Option<Score>,
}

impl Best {
    fn new(limit: usize) -> Best {
        Best { limit, kept: Vec::new(), threshold: None }
    }

    fn offer(&mut self, score: Score, doc: DocId) {
        if self.limit == 0 || self.threshold.is_some_and(|threshold| score <= threshold) {
            return;
        }
        self.kept.push((score, doc));
        if self.kept.len() == 2 * self.limit {
            self.kept.select_nth_unstable_by(self.limit - 1, better);
            self.kept.truncate(self.limit);
            self.threshold = self.kept.iter().map(|(score, _)| *score).reduce(f32::min);
        }
    }

    fn into_sorted(mut self) -> Vec<(Score, DocId)> {
        best_first(&mut self.kept, self.limit);
        self.kept
    }
}

/// Higher scores first; of equal scores, the earlier document.
fn better<D: Ord>(a: &(Score, D), b: &(Score, D)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Sorts best first and keeps the best `limit`.
fn best_first<D: Ord>(items: &mut Vec<(Score, D)>, limit: usize) {
    items.sort_unstable_by(better);
    items.truncate(limit);
}

#[cfg(test)]
mod tests {
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, Term};

    use super::*;
    use crate::search::counts::TermCounts;
    use crate::search::rank::written::Written;
    use crate::search::rank::{flags, kind_code};

    #[test]
    fn a_pass_in_ranges_finds_what_one_pass_finds() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING);
        let body = schema.add_text_field("body", TEXT);
        let flags_field = schema.add_u64_field("flags", FAST);
        let kind = schema.add_u64_field("kind_code", FAST);
        let index = Index::create_in_dir(folder.path(), schema.build()).expect("index");
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000).expect("writer");
        // 3 × MIN_RANGE_MATCHES units hold `common`, of lengths and counts
        // that give many distinct scores and many equal ones; every 7th
        // holds `rare`, every 3rd is local, every 5th a guide.
        let units = 3 * MIN_RANGE_MATCHES as usize;
        for unit in 0..units {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, unit.to_string());
            let rare = if unit % 7 == 0 { " rare" } else { "" };
            doc.add_text(body, format!("{}{rare}{}", "common ".repeat(1 + unit % 4), " filler".repeat(unit % 13)));
            doc.add_u64(flags_field, if unit % 3 == 0 { flags::LOCAL } else { 0 });
            doc.add_u64(kind, if unit % 5 == 0 { kind_code(crate::content::Kind::Guide) } else { 0 });
            writer.add_document(doc).expect("add");
        }
        writer.commit().expect("commit");
        // Deleted units must be skipped in every range.
        for unit in (0..units).step_by(11) {
            writer.delete_term(Term::from_field_text(id, &unit.to_string()));
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let query = BooleanQuery::new(
            ["common", "rare"]
                .into_iter()
                .map(|word| -> (Occur, Box<dyn Query>) {
                    let term = Term::from_field_text(body, word);
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
                })
                .collect(),
        );
        let segments = Segments::new(Arc::new(Written::default()));
        let pass = FirstPass { limit: 600, national: 600, segments: &segments };
        let counts = TermCounts::default();
        let counted = counts.of(&searcher);
        let bits = |scored: &Scored| -> Vec<(u32, DocAddress)> {
            scored.iter().map(|(score, address)| (score.to_bits(), *address)).collect()
        };
        let whole = pass.run(&counted, &query, 1).expect("one pass");
        assert_eq!(whole.count, units - units.div_ceil(11));
        assert_eq!(whole.top.len(), 600);
        for ranges in [2, 3] {
            let split = pass.run(&counted, &query, ranges).expect("in ranges");
            assert_eq!(split.count, whole.count, "{ranges} ranges");
            assert_eq!(bits(&split.top), bits(&whole.top), "{ranges} ranges");
            assert_eq!(bits(&split.national), bits(&whole.national), "{ranges} ranges");
            assert_eq!(bits(&split.documents), bits(&whole.documents), "{ranges} ranges");
        }
        let rare = TermQuery::new(Term::from_field_text(body, "rare"), IndexRecordOption::WithFreqs);
        let few = pass.run(&counted, &rare, 2).expect("too few matches to cut");
        assert_eq!(few.count, (0..units).filter(|unit| unit % 7 == 0 && unit % 11 != 0).count());
    }

    #[test]
    fn best_keeps_the_highest_scores_and_the_earlier_of_equal_ones() {
        let mut best = Best::new(3);
        for (doc, score) in [5.0, 1.0, 7.0, 3.0, 7.0, 2.0, 9.0, 3.0, 0.5, 8.0].into_iter().enumerate() {
            best.offer(score, doc as DocId);
        }
        assert_eq!(best.into_sorted(), vec![(9.0, 6), (8.0, 9), (7.0, 2)]);
    }

    #[test]
    fn best_of_fewer_than_the_limit_keeps_all_sorted() {
        let mut best = Best::new(10);
        best.offer(1.0, 4);
        best.offer(2.0, 9);
        assert_eq!(best.into_sorted(), vec![(2.0, 9), (1.0, 4)]);
        let mut none = Best::new(0);
        none.offer(1.0, 1);
        assert!(none.into_sorted().is_empty());
    }
}
