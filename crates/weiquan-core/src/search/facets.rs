//! Facet counts: how many results of each kind, level, status and tag.
//!
//! A relevance search counts them over the first phase's candidates, the
//! best [`CANDIDATES`] matches, not over every match: counting every match
//! of a long question (often tens of thousands of units) cost as much as
//! a sixth of a search, and what the counts are for (which kinds and tags
//! the answer is among) is in the best matches. When there are no more
//! matches than candidates the counts are exact, and [`Facets::exact`]
//! says which. A search sorted by date counts every match.
//!
//! [`CANDIDATES`]: super::rank::CANDIDATES

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::{FacetCollector, FacetCounts};
use tantivy::fastfield::FacetReader;
use tantivy::schema::Facet;
use tantivy::{DocAddress, SegmentReader};

/// Tags listed in the facet counts.
const TAG_FACETS: usize = 30;

/// Counts per value of each facet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Facets {
    pub kind: BTreeMap<String, u64>,
    pub level: BTreeMap<String, u64>,
    pub status: BTreeMap<String, u64>,
    pub tags: BTreeMap<String, u64>,
    /// True when counted over every matching unit; false when over the
    /// best-matching ones only (the first phase's candidates).
    pub exact: bool,
}

/// Counts of kind, level, status and tag values over every match.
pub(crate) fn collector() -> FacetCollector {
    let mut facets = FacetCollector::for_field("facets");
    for facet in ["/kind", "/level", "/status", "/tag"] {
        facets.add_facet(facet);
    }
    facets
}

/// The counts a [`collector`] gathered: exact.
pub(crate) fn from_counts(counts: &FacetCounts) -> Facets {
    let count = |path: &str| -> BTreeMap<String, u64> {
        counts.get(path).map(|(facet, n)| (value(facet.to_path()), n)).collect()
    };
    Facets {
        kind: count("/kind"),
        level: count("/level"),
        status: count("/status"),
        tags: counts.top_k("/tag", TAG_FACETS).into_iter().map(|(facet, n)| (value(facet.to_path()), n)).collect(),
        exact: true,
    }
}

/// The four facets counted.
#[derive(Debug, Clone, Copy)]
enum Group {
    Kind,
    Level,
    Status,
    Tag,
}

/// A segment's facets, read once: each unit's facet ordinals, and the
/// group and value each ordinal stands for. Opening the column and reading
/// the values for every search was a fortieth of a distinct question.
pub(crate) struct SegmentFacets {
    reader: Option<FacetReader>,
    values: Vec<Option<(Group, String)>>,
}

impl SegmentFacets {
    /// Reads `reader`'s facets; a segment without the column (an index of
    /// another schema, which is never opened) counts nothing, as a
    /// missing ranking column reads as zeros.
    pub(crate) fn of(reader: &SegmentReader) -> SegmentFacets {
        let Ok(reader) = reader.facet_reader("facets") else {
            return SegmentFacets { reader: None, values: Vec::new() };
        };
        let mut facet = Facet::root();
        let values = (0..reader.num_facets() as u64)
            .map(|ord| {
                reader.facet_from_ord(ord, &mut facet).ok()?;
                let path = facet.to_path();
                let group = match path.first().copied()? {
                    "kind" => Group::Kind,
                    "level" => Group::Level,
                    "status" => Group::Status,
                    "tag" => Group::Tag,
                    _ => return None,
                };
                Some((group, value(path)))
            })
            .collect();
        SegmentFacets { reader: Some(reader), values }
    }
}

/// The counts over `units`, which are the best of `total` matches: exact
/// when they are all of them. `segments` holds each segment's facets, by
/// ordinal.
pub(crate) fn of_units(segments: &[&SegmentFacets], units: &[DocAddress], total: usize) -> Facets {
    // Count facet ordinals first and name each distinct one once: a few
    // dozen values among the candidates' thousand or so.
    let mut ords: BTreeMap<(usize, u64), u64> = BTreeMap::new();
    for unit in units {
        let segment = unit.segment_ord as usize;
        let Some(reader) = &segments[segment].reader else { continue };
        for ord in reader.facet_ords(unit.doc_id) {
            *ords.entry((segment, ord)).or_default() += 1;
        }
    }
    let mut facets = Facets { exact: units.len() >= total, ..Facets::default() };
    let mut tags: BTreeMap<String, u64> = BTreeMap::new();
    for ((segment, ord), count) in ords {
        let Some(Some((group, value))) = segments[segment].values.get(ord as usize) else { continue };
        let counts = match group {
            Group::Kind => &mut facets.kind,
            Group::Level => &mut facets.level,
            Group::Status => &mut facets.status,
            Group::Tag => &mut tags,
        };
        *counts.entry(value.clone()).or_default() += count;
    }
    let mut tags: Vec<(String, u64)> = tags.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    facets.tags = tags.into_iter().take(TAG_FACETS).collect();
    facets
}

/// `/kind/law` → `law`.
fn value(path: Vec<&str>) -> String {
    path.last().copied().unwrap_or_default().to_string()
}
