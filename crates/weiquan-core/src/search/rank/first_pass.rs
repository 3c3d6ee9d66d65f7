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

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::segments::{Segment, Segments};

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
    use super::*;

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
