//! What the engine keeps of each segment, built on the first search that
//! reads it and kept while the segment lives (segments never change): the
//! first pass's sets of units, the columns the ranking reads for its
//! candidates, and what the bridge looked up (what a guide, warning or case
//! cites, and the units of each article). Opening the columns, reading the
//! columns' values, and the bridge's stored documents and article searches
//! were each a twentieth or so of a distinct question, done anew for every
//! search (docs/PERFORMANCE.md, "Session 44").

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
use crate::search::facets::SegmentFacets;

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
    /// The facets counted over the candidates.
    facets: SegmentFacets,
    /// The articles each guide, warning and case cites (`title key#number`),
    /// read from the store when the unit first bridges to them.
    cites: Mutex<FxHashMap<DocId, Arc<[String]>>>,
    /// The units of each article the bridge looked up (the article, and
    /// any inserted after it under the same number), by document id and
    /// number, deleted ones included.
    articles: Mutex<FxHashMap<Article, Arc<[DocId]>>>,
}

/// An article: its document's id and its number.
type Article = (String, i64);

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
            facets: SegmentFacets::of(reader),
            cites: Mutex::default(),
            articles: Mutex::default(),
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

    /// What the unit cites; `read` reads it from the store the first time.
    pub(crate) fn cites(
        &self,
        address: DocAddress,
        read: impl FnOnce() -> tantivy::Result<Vec<String>>,
    ) -> tantivy::Result<Arc<[String]>> {
        let segment = &self.0[address.segment_ord as usize];
        if let Some(cites) = segment.cites.lock().unwrap_or_else(PoisonError::into_inner).get(&address.doc_id) {
            return Ok(cites.clone());
        }
        let cites: Arc<[String]> = read()?.into();
        segment.cites.lock().unwrap_or_else(PoisonError::into_inner).insert(address.doc_id, cites.clone());
        Ok(cites)
    }

    /// The units of article `number` of document `id`, deleted ones
    /// included, in index order; `units` finds them in a segment the first
    /// time.
    pub(crate) fn article(
        &self,
        searcher: &Searcher,
        (id, number): (&str, i64),
        units: impl Fn(&SegmentReader) -> tantivy::Result<Vec<DocId>>,
    ) -> tantivy::Result<Vec<DocAddress>> {
        let mut found = Vec::new();
        let key = (id.to_string(), number);
        for (ord, (segment, reader)) in self.0.iter().zip(searcher.segment_readers()).enumerate() {
            let kept = segment.articles.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
            let docs = match kept {
                Some(docs) => docs,
                None => {
                    let docs: Arc<[DocId]> = units(reader)?.into();
                    segment.articles.lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), docs.clone());
                    docs
                }
            };
            found.extend(docs.iter().map(|doc| DocAddress::new(ord as u32, *doc)));
        }
        Ok(found)
    }

    /// Each segment's facets, by ordinal (for [`crate::search::facets::of_units`]).
    pub(crate) fn facets(&self) -> Vec<&SegmentFacets> {
        self.0.iter().map(|segment| &segment.facets).collect()
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

/// A segment's columns, read into memory: the priors, the kind and the
/// bookkeeping. A column's own reader decodes each value from its blocks;
/// the candidates of a search read eight of them, several times each, and
/// those reads were about a twentieth of a search. In memory they take
/// about 50 bytes a unit.
pub struct Columns {
    authority: Vec<f32>,
    in_force: Vec<f32>,
    cited: Vec<f32>,
    consumer: Vec<f32>,
    flags: Vec<u64>,
    kind: Vec<u64>,
    tie: Vec<u64>,
    /// A warning's last day in force, yyyymmdd (0: none).
    expires: Vec<i64>,
    /// The places a local regulation binds, as ordinals of `places`.
    place: Option<StrColumn>,
    /// Each ordinal's places, read from the column's dictionary once.
    places: Vec<Vec<String>>,
}

impl Columns {
    fn of(reader: &SegmentReader) -> Columns {
        let fast = reader.fast_fields();
        let units = reader.max_doc();
        let place = fast.str("place").ok().flatten();
        // A missing column reads as zeros, as the first value of an empty one.
        fn read<T: Copy + Default + PartialOrd + Send + Sync + std::fmt::Debug + 'static, U>(
            column: Option<Arc<dyn ColumnValues<T>>>,
            units: DocId,
            convert: impl Fn(T) -> U,
        ) -> Vec<U> {
            (0..units).map(|doc| convert(column.as_ref().map_or(T::default(), |c| c.get_val(doc)))).collect()
        }
        let f64s = |name: &str| read(fast.f64(name).ok().map(|c| c.first_or_default_col(0.0)), units, |v| v as f32);
        let u64s = |name: &str| read(fast.u64(name).ok().map(|c| c.first_or_default_col(0)), units, |v| v);
        Columns {
            authority: f64s("authority"),
            in_force: f64s("in_force"),
            cited: f64s("cited"),
            consumer: f64s("consumer"),
            flags: u64s("flags"),
            kind: u64s("kind_code"),
            tie: u64s("tie"),
            expires: read(fast.i64("expires").ok().map(|c| c.first_or_default_col(0)), units, |v| v),
            places: place.as_ref().map(places).unwrap_or_default(),
            place,
        }
    }

    fn flags(&self, doc: DocId) -> u64 {
        self.flags[doc as usize]
    }

    fn kind(&self, doc: DocId) -> u64 {
        self.kind[doc as usize]
    }

    fn tie(&self, doc: DocId) -> u64 {
        self.tie[doc as usize]
    }

    /// Sets the unit's priors and kinds in `values`.
    pub(crate) fn fill(&self, doc: DocId, context: &Context<'_>, values: &mut Features) {
        let unit = doc as usize;
        values.set(Feature::Authority, self.authority[unit]);
        values.set(Feature::InForce, self.in_force[unit]);
        values.set(Feature::Cited, self.cited[unit]);
        values.set(Feature::Consumer, self.consumer[unit]);
        let bits = self.flags(doc);
        let flag = |bit: u64| if bits & bit != 0 { 1.0 } else { 0.0 };
        if bits & flags::LOCAL != 0 && !self.named_place(doc, context) {
            values.set(Feature::LocalElsewhere, 1.0);
        }
        values.set(Feature::NonArticle, flag(flags::NON_ARTICLE));
        if !context.text.contains("决定") {
            values.set(Feature::Omnibus, flag(flags::OMNIBUS));
        }
        let expires = self.expires[unit];
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
