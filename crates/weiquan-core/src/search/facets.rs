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
use tantivy::schema::Facet;
use tantivy::{DocAddress, Searcher};

use super::Error;

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

/// The counts over `units`, which are the best of `total` matches: exact
/// when they are all of them.
pub(crate) fn of_units(searcher: &Searcher, units: &[DocAddress], total: usize) -> Result<Facets, Error> {
    let mut readers = Vec::with_capacity(searcher.segment_readers().len());
    for reader in searcher.segment_readers() {
        readers.push(reader.facet_reader("facets")?);
    }
    // Count facet ordinals first and read each distinct one's path once:
    // a few dozen values among the candidates' thousand or so.
    let mut ords: BTreeMap<(usize, u64), u64> = BTreeMap::new();
    for unit in units {
        let segment = unit.segment_ord as usize;
        for ord in readers[segment].facet_ords(unit.doc_id) {
            *ords.entry((segment, ord)).or_default() += 1;
        }
    }
    let mut facets = Facets { exact: units.len() >= total, ..Facets::default() };
    let mut tags: BTreeMap<String, u64> = BTreeMap::new();
    let mut facet = Facet::root();
    for ((segment, ord), count) in ords {
        readers[segment].facet_from_ord(ord, &mut facet)?;
        let path = facet.to_path();
        let counts = match path.first().copied() {
            Some("kind") => &mut facets.kind,
            Some("level") => &mut facets.level,
            Some("status") => &mut facets.status,
            Some("tag") => &mut tags,
            _ => continue,
        };
        *counts.entry(value(path)).or_default() += count;
    }
    let mut tags: Vec<(String, u64)> = tags.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    facets.tags = tags.into_iter().take(TAG_FACETS).collect();
    Ok(facets)
}

/// `/kind/law` → `law`.
fn value(path: Vec<&str>) -> String {
    path.last().copied().unwrap_or_default().to_string()
}
