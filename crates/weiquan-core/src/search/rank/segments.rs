//! What the engine keeps of each segment, built on the first search that
//! reads it and kept while the segment lives (segments never change): the
//! first pass's sets of units and the columns the ranking reads for its
//! candidates. Opening a column decodes its header and block index; done
//! for every search, the opening cost about a twentieth of a distinct
//! question (docs/PERFORMANCE.md, "Session 44").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;
use tantivy::columnar::{ColumnValues, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Searcher, SegmentReader};

use super::features::Context;
use super::written::Written;
use super::{Feature, Features, flags, kind_code};
use crate::content::Kind;

/// Every segment's [`Segment`], by id.
pub struct Segments {
    kept: Mutex<HashMap<SegmentId, Arc<Segment>>>,
    /// The engine's written questions, to find their units.
    written: Arc<Written>,
}

/// What is kept of one segment.
pub struct Segment {
    /// The local regulations, a bit per unit.
    local: Bits,
    /// The guides, warnings and cases, a bit per unit.
    document: Bits,
    /// The units with written questions, by their `tie` hash.
    pub(crate) written: FxHashMap<u64, DocId>,
    /// The columns of the ranking's priors and bookkeeping.
    pub(crate) columns: Columns,
}

impl Segments {
    /// Nothing kept yet; `written` tells which units have written questions.
    pub fn new(written: Arc<Written>) -> Segments {
        Segments { kept: Mutex::default(), written }
    }

    /// What is kept of `reader`'s segment, built now if it is new.
    pub fn of(&self, reader: &SegmentReader) -> Arc<Segment> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(segment) = kept.get(&reader.segment_id()) {
            return segment.clone();
        }
        let columns = Columns::of(reader);
        let segment = Arc::new(Segment {
            local: Bits::of(reader.max_doc(), |doc| columns.flags(doc) & flags::LOCAL != 0),
            document: Bits::of(reader.max_doc(), |doc| columns.kind(doc) != kind_code(Kind::Law)),
            written: (0..reader.max_doc())
                .map(|doc| (columns.tie(doc), doc))
                .filter(|(tie, _)| self.written.has(*tie))
                .collect(),
            columns,
        });
        kept.insert(reader.segment_id(), segment.clone());
        segment
    }

    /// Every segment of `searcher`, for one search.
    pub fn view(&self, searcher: &Searcher) -> View {
        View(searcher.segment_readers().iter().map(|reader| self.of(reader)).collect())
    }

    /// Forgets the segments not among `current` (merged away or deleted).
    pub fn retain(&self, current: &[SegmentId]) {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).retain(|id, _| current.contains(id));
    }
}

impl Segment {
    /// Whether the unit is a local regulation.
    pub fn is_local(&self, doc: DocId) -> bool {
        self.local.contains(doc)
    }

    /// Whether the unit is a guide, warning or case.
    pub fn is_document(&self, doc: DocId) -> bool {
        self.document.contains(doc)
    }
}

/// The segments of one searcher, by ordinal.
pub struct View(Vec<Arc<Segment>>);

impl View {
    /// The unit's `flags` ([`flags`]).
    pub fn flags(&self, address: DocAddress) -> u64 {
        self.0[address.segment_ord as usize].columns.flags(address.doc_id)
    }

    /// The unit's kind ([`kind_code`]).
    pub fn kind(&self, address: DocAddress) -> u64 {
        self.0[address.segment_ord as usize].columns.kind(address.doc_id)
    }

    /// The unit's `tie` hash.
    pub fn tie(&self, address: DocAddress) -> u64 {
        self.0[address.segment_ord as usize].columns.tie(address.doc_id)
    }

    /// The columns of the segment with this ordinal.
    pub(crate) fn columns(&self, segment: u32) -> &Columns {
        &self.0[segment as usize].columns
    }
}

/// A bitset over a segment's units.
struct Bits(Vec<u64>);

impl Bits {
    /// The units below `max_doc` that pass `test`.
    fn of(max_doc: DocId, test: impl Fn(DocId) -> bool) -> Bits {
        let mut bits = vec![0_u64; (max_doc as usize).div_ceil(64)];
        for doc in (0..max_doc).filter(|doc| test(*doc)) {
            bits[doc as usize / 64] |= 1 << (doc % 64);
        }
        Bits(bits)
    }

    fn contains(&self, doc: DocId) -> bool {
        self.0[doc as usize / 64] & (1 << (doc % 64)) != 0
    }
}

type Numbers<T> = Option<Arc<dyn ColumnValues<T>>>;

/// A segment's columns: the priors, the kind and the bookkeeping.
pub struct Columns {
    authority: Numbers<f64>,
    in_force: Numbers<f64>,
    cited: Numbers<f64>,
    consumer: Numbers<f64>,
    flags: Numbers<u64>,
    kind: Numbers<u64>,
    tie: Numbers<u64>,
    /// A warning's last day in force, yyyymmdd (0: none).
    expires: Numbers<i64>,
    /// The places a local regulation binds, as ordinals of `places`.
    place: Option<StrColumn>,
    /// Each ordinal's places, read from the column's dictionary once.
    places: Vec<Vec<String>>,
}

impl Columns {
    fn of(reader: &SegmentReader) -> Columns {
        let fast = reader.fast_fields();
        let place = fast.str("place").ok().flatten();
        let f64s = |name: &str| fast.f64(name).ok().map(|c| c.first_or_default_col(0.0));
        let u64s = |name: &str| fast.u64(name).ok().map(|c| c.first_or_default_col(0));
        Columns {
            authority: f64s("authority"),
            in_force: f64s("in_force"),
            cited: f64s("cited"),
            consumer: f64s("consumer"),
            flags: u64s("flags"),
            kind: u64s("kind_code"),
            tie: u64s("tie"),
            expires: fast.i64("expires").ok().map(|c| c.first_or_default_col(0)),
            places: place.as_ref().map(places).unwrap_or_default(),
            place,
        }
    }

    fn flags(&self, doc: DocId) -> u64 {
        self.flags.as_ref().map_or(0, |c| c.get_val(doc))
    }

    fn kind(&self, doc: DocId) -> u64 {
        self.kind.as_ref().map_or(0, |c| c.get_val(doc))
    }

    fn tie(&self, doc: DocId) -> u64 {
        self.tie.as_ref().map_or(0, |c| c.get_val(doc))
    }

    /// Sets the unit's priors and kinds in `values`.
    pub(crate) fn fill(&self, doc: DocId, context: &Context<'_>, values: &mut Features) {
        let f64_of = |column: &Numbers<f64>| column.as_ref().map_or(0.0, |c| c.get_val(doc) as f32);
        values.set(Feature::Authority, f64_of(&self.authority));
        values.set(Feature::InForce, f64_of(&self.in_force));
        values.set(Feature::Cited, f64_of(&self.cited));
        values.set(Feature::Consumer, f64_of(&self.consumer));
        let bits = self.flags(doc);
        let flag = |bit: u64| if bits & bit != 0 { 1.0 } else { 0.0 };
        if bits & flags::LOCAL != 0 && !self.named_place(doc, context) {
            values.set(Feature::LocalElsewhere, 1.0);
        }
        values.set(Feature::NonArticle, flag(flags::NON_ARTICLE));
        if !context.text.contains("决定") {
            values.set(Feature::Omnibus, flag(flags::OMNIBUS));
        }
        let expires = self.expires.as_ref().map_or(0, |c| c.get_val(doc));
        if expires > 0 && expires < context.today {
            values.set(Feature::Expired, 1.0);
        }
        match self.kind(doc) {
            1 => values.set(Feature::Case, 1.0),
            2 | 3 => values.set(Feature::GuideOrWarning, 1.0),
            _ => {}
        }
    }

    /// Whether the query or a region filter names a place the unit binds.
    fn named_place(&self, doc: DocId, context: &Context<'_>) -> bool {
        let Some(place) = &self.place else { return false };
        place.term_ords(doc).filter_map(|ord| self.places.get(ord as usize)).flatten().any(|p| {
            context.text.contains(p.as_str())
                || context.regions.iter().any(|region| region.contains(p.as_str()) || p.contains(region.as_str()))
        })
    }
}

/// Every value of a `place` column, by ordinal, split into its places.
fn places(column: &StrColumn) -> Vec<Vec<String>> {
    let mut text = String::new();
    (0..column.num_terms() as u64)
        .map(|ord| {
            text.clear();
            match column.ord_to_str(ord, &mut text) {
                Ok(true) => text.split(' ').filter(|p| !p.is_empty()).map(str::to_string).collect(),
                _ => Vec::new(),
            }
        })
        .collect()
}
