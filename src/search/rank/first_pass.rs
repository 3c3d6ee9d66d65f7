//! The first phase's one pass over the matches: the best units, the best
//! units that bind everywhere (the *national pool*) and how many match, in
//! a single collector.
//!
//! tantivy's tuple of `TopDocs`, `FilterCollector` and `Count` calls three
//! collectors per match, and the filter decodes the `flags` column for
//! each; a long question matches tens of thousands of units, and that
//! bookkeeping cost a fifth of a search. Here each match costs a counter,
//! two comparisons and one bit of a per-segment bitset of local units,
//! built once per segment and kept (segments never change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::flags;

/// Which units of each segment are local regulations, by segment, built on
/// first use.
#[derive(Default)]
pub struct LocalUnits(Mutex<HashMap<SegmentId, Arc<Vec<u64>>>>);

impl LocalUnits {
    /// The bitset of `reader`'s local units (bit `doc` set when local).
    fn of(&self, reader: &SegmentReader) -> Arc<Vec<u64>> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bits) = kept.get(&reader.segment_id()) {
            return bits.clone();
        }
        let mut bits = vec![0_u64; (reader.max_doc() as usize).div_ceil(64)];
        if let Ok(column) = reader.fast_fields().u64("flags") {
            let column = column.first_or_default_col(0);
            for doc in 0..reader.max_doc() {
                if column.get_val(doc) & flags::LOCAL != 0 {
                    bits[doc as usize / 64] |= 1 << (doc % 64);
                }
            }
        }
        let bits = Arc::new(bits);
        kept.insert(reader.segment_id(), bits.clone());
        bits
    }

    /// Forgets the segments not among `current` (merged away or deleted).
    pub fn retain(&self, current: &[SegmentId]) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).retain(|id, _| current.contains(id));
    }
}

/// What the pass found: the best matches, the best national ones (both
/// best first) and the number of matches.
pub type Found = (Vec<(Score, DocAddress)>, Vec<(Score, DocAddress)>, usize);

/// The first pass: the best `limit` matches, the best `national` matches
/// that are not local regulations, and the count.
pub struct FirstPass<'a> {
    pub limit: usize,
    pub national: usize,
    pub local: &'a LocalUnits,
}

impl Collector for FirstPass<'_> {
    type Fruit = Found;
    type Child = SegmentPass;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentPass> {
        Ok(SegmentPass {
            segment,
            local: self.local.of(reader),
            top: Best::new(self.limit),
            national: Best::new(self.national),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut merged: Found = (Vec::new(), Vec::new(), 0);
        for (top, national, count) in fruits {
            merged.0.extend(top);
            merged.1.extend(national);
            merged.2 += count;
        }
        best_first(&mut merged.0, self.limit);
        best_first(&mut merged.1, self.national);
        Ok(merged)
    }
}

/// [`FirstPass`] in one segment.
pub struct SegmentPass {
    segment: SegmentOrdinal,
    local: Arc<Vec<u64>>,
    top: Best,
    national: Best,
    count: usize,
}

impl SegmentCollector for SegmentPass {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        self.top.offer(score, doc);
        if self.local[doc as usize / 64] & (1 << (doc % 64)) == 0 {
            self.national.offer(score, doc);
        }
    }

    fn harvest(self) -> Found {
        let segment = self.segment;
        let addressed = |best: Best| -> Vec<(Score, DocAddress)> {
            best.into_sorted().into_iter().map(|(score, doc)| (score, DocAddress::new(segment, doc))).collect()
        };
        (addressed(self.top), addressed(self.national), self.count)
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
        Best { limit, kept: Vec::with_capacity(2 * limit.max(1)), threshold: None }
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
