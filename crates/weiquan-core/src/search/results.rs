//! Running a search: the entry points of [`Engine`] that answer a
//! [`SearchRequest`] with a page of [`SearchResults`] (ranked by relevance or
//! sorted by date) and the hits they are made of.

use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, Score, SegmentReader, TantivyDocument};

use super::build::{self, date_from_number};
use super::{
    Engine, Error, Facets, SearchHit, SearchRequest, SearchResults, Sort, answer, facets, rank, snippet, stored_kind,
    stored_label, stored_text,
};
use crate::content::{Level, Status};

impl Engine {
    /// Runs a search. Any query text gives results or none, never an error;
    /// only invalid parameters do.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, Error> {
        self.search_with(request, rank::Model::builtin())
    }

    /// [`Engine::search`] ranked by `model` (fitting and ablation try others).
    pub fn search_with(&self, request: &SearchRequest, model: &rank::Model) -> Result<SearchResults, Error> {
        Ok(self.search_in(&self.reader.searcher(), request, model)?.0)
    }

    /// The results of `request` and the answer they open with
    /// ([`Engine::answer`]), from one view of the index; the answer reuses
    /// the search's first phase instead of running it again.
    pub fn search_answered(&self, request: &SearchRequest) -> Result<(SearchResults, Option<answer::Answer>), Error> {
        let searcher = self.reader.searcher();
        let (results, matched) = self.search_in(&searcher, request, rank::Model::builtin())?;
        let answer = self.answer_in(&searcher, request, &results, matched.as_ref())?;
        Ok((results, answer))
    }

    /// [`Engine::search_with`] in `searcher`'s view of the index, with the
    /// guides, warnings and cases its first phase matched and the best
    /// guides and warnings with the share of the query each holds (by
    /// relevance only).
    fn search_in(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
        model: &rank::Model,
    ) -> Result<(SearchResults, Option<answer::FirstPhase>), Error> {
        request.validate()?;
        let started = Instant::now();
        let prepared = self.prepare(searcher, request)?;
        let mut results = SearchResults {
            query: request.query.clone(),
            total: 0,
            total_exact: true,
            page: request.page,
            per_page: request.per_page,
            took_ms: 0.0,
            hits: Vec::new(),
            facets: Facets::default(),
            expansions: prepared.built.expansions.clone(),
        };
        let mut documents = None;
        if let Some(positive) = &prepared.positive {
            // One view of the index for the whole search: a reindex between
            // two reads would make the addresses of one mean other units
            // (or none) in the next.
            let first_phase = self.restrict(positive.box_clone(), self.filters(request), &prepared.built.excluded);
            let restrict = |query: Box<dyn Query>| self.restrict_joining(query, request, &prepared);
            match request.sort {
                Sort::Relevance => {
                    let normalized = crate::text::normalize(&request.query);
                    let phases = self.phases(searcher, request, &prepared, &first_phase, &restrict, &normalized)?;
                    let ranked = self.rank(&phases, model, rank::pipeline::Measure::Weighed)?;
                    documents = Some(answer::FirstPhase { matched: ranked.documents, leads: ranked.leads });
                    results.total = ranked.total;
                    results.facets = ranked.facets;
                    for unit in ranked.units.iter().skip((request.page - 1) * request.per_page).take(request.per_page) {
                        let mut hit = self.hit(searcher, unit.address, unit.score, &prepared.built.highlights)?;
                        hit.explain = request.explain.then(|| model.explain(&unit.features));
                        results.hits.push(hit);
                    }
                }
                Sort::Date => self.collect_by_date(&first_phase, request, &prepared.built.highlights, &mut results)?,
            }
            if !prepared.common.is_empty() {
                results.total_exact = false;
                results.facets.exact = false;
                results.total = rank::rare::estimate(results.total, &prepared.common, searcher.num_docs());
            }
            // A facet that filters counts as if it did not, so the other
            // values stay visible and can be added (案例 and 法规 together).
            type Pick = fn(&mut Facets, Facets);
            let disjunctive: [(bool, SearchRequest, Pick); 4] = [
                (!request.kinds.is_empty(), SearchRequest { kinds: Vec::new(), ..request.clone() }, |f, all| {
                    f.kind = all.kind
                }),
                (!request.levels.is_empty(), SearchRequest { levels: Vec::new(), ..request.clone() }, |f, all| {
                    f.level = all.level
                }),
                (!request.statuses.is_empty(), SearchRequest { statuses: Vec::new(), ..request.clone() }, |f, all| {
                    f.status = all.status
                }),
                (!request.tags.is_empty(), SearchRequest { tags: Vec::new(), ..request.clone() }, |f, all| {
                    f.tags = all.tags
                }),
            ];
            for (active, without, pick) in disjunctive {
                if active {
                    // Prepared again: without its filters a search may set
                    // common words aside (`rank::rare`), as it then would.
                    let Some(positive) = self.prepare(searcher, &without)?.positive else { continue };
                    let query = self.restrict(positive, self.filters(&without), &prepared.built.excluded);
                    let best = TopDocs::with_limit(rank::CANDIDATES).order_by_score();
                    let (best, total) = searcher.search(&query, &(best, Count))?;
                    let units: Vec<DocAddress> = best.into_iter().map(|(_, address)| address).collect();
                    let without = facets::of_units(&self.segments.view(searcher).facets(), &units, total);
                    results.facets.exact &= without.exact;
                    pick(&mut results.facets, without);
                }
            }
        }
        results.took_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
        Ok((results, documents))
    }

    /// Newest first, by the first phase's score within a day.
    fn collect_by_date(
        &self,
        query: &dyn Query,
        request: &SearchRequest,
        highlights: &[String],
        results: &mut SearchResults,
    ) -> Result<(), Error> {
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(request.per_page).and_offset((request.page - 1) * request.per_page).tweak_score(
            move |segment: &SegmentReader| {
                let date = segment.fast_fields().i64("date").ok().map(|c| c.first_or_default_col(0));
                move |doc, score: Score| (date.as_ref().map_or(0, |d| d.get_val(doc)), score)
            },
        );
        let (top, total, facet_counts) = searcher.search(query, &(top, Count, facets::collector()))?;
        results.total = total;
        results.facets = facets::from_counts(&facet_counts);
        for ((_, score), address) in top {
            results.hits.push(self.hit(&searcher, address, score, highlights)?);
        }
        Ok(())
    }

    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
        score: f32,
        highlights: &[String],
    ) -> Result<SearchHit, Error> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| stored_text(&doc, field);
        let date = doc.get_first(self.fields.date).and_then(|v| v.as_i64()).and_then(date_from_number);
        let expires = doc.get_first(self.fields.expires).and_then(|v| v.as_i64()).unwrap_or(0);
        Ok(SearchHit {
            id: text(self.fields.doc_id).unwrap_or_default(),
            kind: stored_kind(&doc, self.fields.kind)?,
            title: text(self.fields.title).unwrap_or_default(),
            article: text(self.fields.article),
            chapter: text(self.fields.chapter),
            anchor: text(self.fields.anchor),
            snippet: snippet::snippet(&text(self.fields.body).unwrap_or_default(), highlights),
            date,
            status: stored_label(&doc, self.fields.status, Status::parse),
            level: stored_label(&doc, self.fields.level, Level::parse),
            expired: expires > 0 && expires < build::date_number(Some(self.clock.today())),
            score: (score * 1000.0).round() / 1000.0,
            explain: None,
        })
    }
}
