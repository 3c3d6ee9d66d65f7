//! Where a search that found nothing leads instead: the guides and warnings
//! closest to what was asked, or else the guides on how to complain, so no
//! search ends with an empty page.

use super::{Engine, Error, SearchHit, SearchRequest};
use crate::content::Kind;

/// Most documents offered.
pub(super) const NEARBY: usize = 3;
/// The general guides offered when nothing is close: guides with this tag,
/// best matching [`GENERAL_QUERY`] (how to complain to 12315, keep evidence).
const GENERAL_TAG: &str = "投诉举报";
const GENERAL_QUERY: &str = "12315 投诉 证据";

impl Engine {
    /// For a query that found nothing: up to [`NEARBY`] guides and warnings
    /// in force, the first of these that finds any:
    /// 1. the query loosened: without its filters, quotes and exclusions;
    /// 2. the first suggestion for it (yfk → 预付卡, 预付 → 预付卡);
    /// 3. the general guides on complaining ([`GENERAL_TAG`]).
    pub fn nearby(&self, query: &str) -> Result<Vec<SearchHit>, Error> {
        let loosened: String = query.chars().map(|c| if "\"“”「」『』＂-－—".contains(c) { ' ' } else { c }).collect();
        let suggested = self.suggest(query).into_iter().map(|s| s.text).find(|text| text.trim() != query.trim());
        for attempt in [Some(loosened), suggested].into_iter().flatten() {
            if attempt.trim().is_empty() {
                continue;
            }
            let found =
                self.closest(SearchRequest { kinds: vec![Kind::Guide, Kind::Warning], ..SearchRequest::new(attempt) })?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        self.closest(SearchRequest {
            kinds: vec![Kind::Guide],
            tags: vec![GENERAL_TAG.to_string()],
            ..SearchRequest::new(GENERAL_QUERY)
        })
    }

    /// The best [`NEARBY`] hits of `request` that are not expired warnings.
    fn closest(&self, request: SearchRequest) -> Result<Vec<SearchHit>, Error> {
        let results = self.search(&SearchRequest { per_page: NEARBY * 2, ..request })?;
        Ok(results.hits.into_iter().filter(|hit| !hit.expired).take(NEARBY).collect())
    }
}
