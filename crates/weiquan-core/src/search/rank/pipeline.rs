//! The two phases run on the engine's index: candidates, the bridge, the
//! features and the model's order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use tantivy::DocSet;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TERMINATED, TantivyDocument, Term};

use super::features::{self, Candidate, Context};
use super::first_pass::{FirstPass, Found, Scored};
use super::retold;
use super::segments::View;
use super::written::Matches;
use super::{
    BRIDGE_SOURCES, CANDIDATES, Feature, Features, LEADS, Model, NEIGHBOUR_FLOOR, NEIGHBOURS, Plan, flags, kind_code,
    tier,
};
use crate::content::Kind;
use crate::search::{Engine, Error, Facets, SearchRequest, eval, facets, stored_text};

/// The units of a search in the model's order.
pub struct Ranked {
    /// Each unit with its score and features, best first.
    pub units: Vec<RankedUnit>,
    /// How many units match the first phase, or are ranked when more.
    pub total: usize,
    /// Counted over the first phase's candidates (`search::facets`).
    pub facets: Facets,
    /// Every matching guide, warning and case with its first-phase score,
    /// best first (for the answer).
    pub documents: Scored,
    /// The best [`LEADS`] of the matching guides and warnings by the first
    /// phase, best first, with the share of the query each holds
    /// (coverage): the answer's lead when one holds most of the question.
    pub leads: Vec<(DocAddress, f32)>,
    /// How long each phase took: the candidates (first-phase search, the
    /// national pool, the bridge, the named article), then the features
    /// and the order.
    pub timings: (Duration, Duration),
}

/// Which features the second phase measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Those the model weighs (serving).
    Weighed,
    /// Every one (fitting weights, which may give any feature a weight).
    All,
}

/// One ranked unit.
pub struct RankedUnit {
    /// Where the unit is in the index.
    pub address: DocAddress,
    /// Its score under the model.
    pub score: f32,
    /// Its feature values.
    pub features: Features,
}

/// How the candidates are found and what restricts them.
pub struct Phases<'a> {
    /// The one view of the index the whole search reads: addresses found
    /// through it mean nothing to another (a reindex may come between).
    pub searcher: &'a Searcher,
    /// The first phase's query, filters included.
    pub query: &'a dyn Query,
    /// Adds the request's filters, visibility and exclusions to a query, and
    /// what the first phase requires, for units that join the candidates
    /// from elsewhere (`Engine::restrict_joining`).
    pub restrict: &'a dyn Fn(Box<dyn Query>) -> BooleanQuery,
    /// What the second phase measures.
    pub plan: &'a Plan,
    /// What the query asks besides its words.
    pub context: Context<'a>,
    /// The article the query names, put first.
    pub named: Option<DocAddress>,
    /// Units wanted at least (the page's end).
    pub want: usize,
}

impl Engine {
    /// How long each phase of a relevance search for `request` takes: the
    /// candidates, then the features and the order (for the benchmarks of
    /// `benches/hot_paths.rs`). `None` when nothing is searched.
    pub fn phase_timings(&self, request: &SearchRequest) -> Result<Option<(Duration, Duration)>, Error> {
        Ok(self.ranked(&self.reader.searcher(), request, Measure::Weighed)?.map(|(ranked, _)| ranked.timings))
    }

    /// Both phases of a relevance search for `request`, ranked by the
    /// built-in model, and the unit the query names; `None` when nothing
    /// is searched.
    fn ranked(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        measure: Measure,
    ) -> Result<Option<(Ranked, Option<DocAddress>)>, Error> {
        request.validate()?;
        let prepared = self.prepare(searcher, request)?;
        let Some(positive) = &prepared.positive else { return Ok(None) };
        let first_phase = self.restrict(positive.box_clone(), self.filters(request), &prepared.built.excluded);
        let restrict = |query: Box<dyn Query>| self.restrict_joining(query, request, &prepared);
        let normalized = crate::text::normalize(&request.query);
        let phases = self.phases(searcher, request, &prepared, &first_phase, &restrict, &normalized)?;
        Ok(Some((self.rank(&phases, Model::builtin(), measure)?, phases.named)))
    }

    /// Every candidate of a relevance search with its features, and the
    /// short title and article that the judgments name: what the model is
    /// fitted on.
    pub fn candidates(&self, request: &SearchRequest) -> Result<Vec<super::fit::Scored>, Error> {
        let searcher = self.reader.searcher();
        let Some((ranked, named)) = self.ranked(&searcher, request, Measure::All)? else { return Ok(Vec::new()) };
        ranked
            .units
            .into_iter()
            .map(|unit| {
                let doc: TantivyDocument = searcher.doc(unit.address)?;
                let title = stored_text(&doc, self.fields.title).unwrap_or_default();
                Ok(super::fit::Scored {
                    features: unit.features,
                    title: eval::short_title(&title).to_string(),
                    article: stored_text(&doc, self.fields.article),
                    named: Some(unit.address) == named,
                })
            })
            .collect()
    }

    /// Runs both phases and orders the units by `model`.
    pub(in crate::search) fn rank(
        &self,
        phases: &Phases<'_>,
        model: &Model,
        measure: Measure,
    ) -> Result<Ranked, Error> {
        let started = Instant::now();
        let searcher = phases.searcher;
        // The best units, and the best that bind everywhere, from one pass.
        let pass = FirstPass { limit: CANDIDATES.max(phases.want), national: CANDIDATES, segments: &self.segments };
        let counted = self.term_counts.of(searcher);
        let running = self.running.enter();
        let Found { top, national, documents, count: total } = pass.run(&counted, phases.query, running.ranges)?;
        drop(running);
        let best: Vec<DocAddress> = top.iter().map(|(_, address)| *address).collect();
        let view = self.segments.view(searcher);
        let facets = facets::of_units(&view.facets(), &best, total);
        let mut candidates: Vec<Candidate> =
            top.into_iter().map(|(first, address)| Candidate { address, first, bridge: 0.0 }).collect();
        // Local regulations of many places often say the same (养老服务条例 of
        // every province) and can fill the pool; the texts that bind
        // everywhere then join it from a search without them.
        let local = candidates.iter().filter(|c| view.flags(c.address) & flags::LOCAL != 0).count();
        let mut position: HashMap<DocAddress, usize> =
            candidates.iter().enumerate().map(|(i, c)| (c.address, i)).collect();
        if local * 3 > candidates.len() {
            for (first, address) in national {
                join(&mut candidates, &mut position, Candidate { address, first, bridge: 0.0 });
            }
        }
        for (address, strength) in self.bridge(searcher, &candidates, &view, phases.restrict)? {
            let i = join(&mut candidates, &mut position, Candidate { address, first: 0.0, bridge: 0.0 });
            candidates[i].bridge = candidates[i].bridge.max(strength);
        }
        let written = self.written.matches(phases.context.text);
        let joining = self.neighbours(searcher, &written, phases.restrict)?.into_iter().chain(phases.named);
        for address in joining {
            join(&mut candidates, &mut position, Candidate { address, first: 0.0, bridge: 0.0 });
        }
        let retold = self.retold_cases(searcher, &candidates, &view, phases)?;
        for (_, address) in &retold {
            join(&mut candidates, &mut position, Candidate { address: *address, first: 0.0, bridge: 0.0 });
        }
        let first_phase = started.elapsed();
        let only = (measure == Measure::Weighed).then_some(model);
        // The best guides and warnings are measured with the candidates
        // (the same scorers), for the answer, without joining the ranking.
        let leads: Vec<Candidate> = documents
            .iter()
            .filter(|(_, address)| [kind_code(Kind::Guide), kind_code(Kind::Warning)].contains(&view.kind(*address)))
            .take(LEADS)
            .map(|&(first, address)| Candidate { address, first, bridge: 0.0 })
            .collect();
        let measuring: Vec<Candidate> = candidates.iter().chain(&leads).copied().collect();
        let mut measured =
            features::measure(&counted, &view, &self.fields, phases.plan, &phases.context, &measuring, only)?;
        let leads = leads
            .iter()
            .zip(measured.split_off(candidates.len()))
            .map(|(lead, features)| (lead.address, features.get(Feature::Coverage)))
            .collect();
        let mut units: Vec<(bool, f32, u64, RankedUnit)> = candidates
            .iter()
            .zip(measured)
            .map(|(candidate, mut features)| {
                let tie = view.tie(candidate.address);
                let similar = written.best(tie);
                features.set(Feature::SimilarQuestion, similar);
                features.set(Feature::CaseStory, similar * features.get(Feature::Case));
                let unit = RankedUnit { address: candidate.address, score: model.score(&features), features };
                (Some(candidate.address) == phases.named, candidate.first, tie, unit)
            })
            .collect();
        // Units that tie on everything keep one order whatever segments the
        // build wrote them to.
        units.sort_by(|(named_a, first_a, tie_a, a), (named_b, first_b, tie_b, b)| {
            named_b
                .cmp(named_a)
                .then(tier(&a.features).cmp(&tier(&b.features)))
                .then(b.score.total_cmp(&a.score))
                .then(first_b.total_cmp(first_a))
                .then(tie_a.cmp(tie_b))
        });
        let mut units: Vec<RankedUnit> = units.into_iter().map(|(_, _, _, unit)| unit).collect();
        retold::official_first(&mut units, |unit| unit.address, &retold);
        let timings = (first_phase, started.elapsed() - first_phase);
        Ok(Ranked {
            // Units the bridge, the neighbours or the name brought in count
            // too: the page never shows more hits than its total.
            total: total.max(units.len()),
            units,
            facets,
            documents,
            leads,
            timings,
        })
    }

    /// Each retelling among `candidates` with the unit of the official case
    /// it retells that matches the query best (any of its units when none
    /// does), as far as the request's filters, visibility and exclusions
    /// let it through.
    fn retold_cases(
        &self,
        searcher: &Searcher,
        candidates: &[Candidate],
        view: &View,
        phases: &Phases<'_>,
    ) -> Result<Vec<(DocAddress, DocAddress)>, Error> {
        // Each official case is looked up once, however many of its
        // retellings' units are candidates.
        let mut looked_up: Vec<(&str, Option<DocAddress>)> = Vec::new();
        let mut found = Vec::new();
        for candidate in candidates {
            let Some(official) = self.retold.official(view.tie(candidate.address)) else { continue };
            let best = match looked_up.iter().find(|(id, _)| *id == official) {
                Some((_, best)) => *best,
                None => {
                    let case = BooleanQuery::new(vec![
                        (Occur::Must, term_query(Term::from_field_text(self.fields.doc_id, official))),
                        (Occur::Should, phases.query.box_clone()),
                    ]);
                    let top = TopDocs::with_limit(1).order_by_score();
                    let best = searcher.search(&(phases.restrict)(Box::new(case)), &top)?.first().map(|(_, a)| *a);
                    looked_up.push((official, best));
                    best
                }
            };
            found.extend(best.map(|address| (candidate.address, address)));
        }
        Ok(found)
    }

    /// The [`NEIGHBOURS`] units whose written questions come nearest the
    /// query, as far as the request's filters, visibility and exclusions
    /// let them through.
    fn neighbours(
        &self,
        searcher: &Searcher,
        written: &Matches<'_>,
        restrict: &dyn Fn(Box<dyn Query>) -> BooleanQuery,
    ) -> Result<Vec<DocAddress>, Error> {
        let nearest = written.nearest(NEIGHBOURS, NEIGHBOUR_FLOOR);
        if nearest.is_empty() {
            return Ok(Vec::new());
        }
        let mut units = Vec::new();
        for (segment, reader) in searcher.segment_readers().iter().enumerate() {
            let kept = self.segments.of(reader);
            let docs = nearest.iter().filter_map(|(tie, _)| kept.written.get(tie).copied());
            units.extend(docs.map(|doc| DocAddress::new(segment as u32, doc)));
        }
        allowed(searcher, restrict, units)
    }

    /// The articles that the best-matching guides, warnings and cases among
    /// `candidates` cite, with the strength of the citation: the citing
    /// unit's first-phase score over the best one, less for citations
    /// further down its list (the first ones are what it is about).
    fn bridge(
        &self,
        searcher: &Searcher,
        candidates: &[Candidate],
        view: &View,
        restrict: &dyn Fn(Box<dyn Query>) -> BooleanQuery,
    ) -> Result<Vec<(DocAddress, f32)>, Error> {
        let best = candidates.iter().map(|c| c.first).fold(0.0_f32, f32::max);
        if best <= 0.0 {
            return Ok(Vec::new());
        }
        // The best guides, warnings and cases.
        let mut ordered: Vec<(&Candidate, u64)> = candidates
            .iter()
            .filter(|candidate| view.kind(candidate.address) != 0)
            .map(|candidate| (candidate, view.tie(candidate.address)))
            .collect();
        ordered.sort_by(|(a, tie_a), (b, tie_b)| b.first.total_cmp(&a.first).then(tie_a.cmp(tie_b)));
        // The strongest citation of each article, then one lookup per article.
        let mut cited: BTreeMap<(&String, i64), f32> = BTreeMap::new();
        for (candidate, _) in ordered.into_iter().take(BRIDGE_SOURCES) {
            let cites = view.cites(candidate.address, || {
                let doc: TantivyDocument = searcher.doc(candidate.address)?;
                Ok(doc.get_all(self.fields.cites).filter_map(|v| v.as_str()).map(str::to_string).collect())
            })?;
            for (position, cite) in cites.iter().enumerate() {
                let Some((law, number)) = cite.rsplit_once('#') else { continue };
                let (Some(id), Ok(number)) = (self.law_ids.get(law), number.parse::<i64>()) else { continue };
                let strength = candidate.first / best / (1.0 + 0.5 * position as f32);
                let kept = cited.entry((id, number)).or_default();
                *kept = kept.max(strength);
            }
        }
        // Ordered maps: the articles come back in the same order every time, so
        // units that tie keep one order (a HashMap's is random per process).
        let mut units = Vec::new();
        for ((id, number), strength) in &cited {
            let found = view.article(searcher, (String::as_str(id), *number), |reader| {
                let article = BooleanQuery::new(vec![
                    (Occur::Must, term_query(Term::from_field_text(self.fields.doc_id, id))),
                    (Occur::Must, term_query(Term::from_field_i64(self.fields.article_number, *number))),
                ]);
                let mut scorer =
                    article.weight(EnableScoring::disabled_from_searcher(searcher))?.scorer(reader, 1.0)?;
                let mut docs = Vec::new();
                while scorer.doc() != TERMINATED {
                    docs.push(scorer.doc());
                    scorer.advance();
                }
                Ok(docs)
            })?;
            units.push((found, *strength));
        }
        // Of an article's units, the first the request lets through: the
        // article itself before those inserted after it (the units of one
        // article match its document and number alike).
        let allowed: HashSet<DocAddress> =
            allowed(searcher, restrict, units.iter().flat_map(|(found, _)| found.iter().copied()).collect())?
                .into_iter()
                .collect();
        let mut strengths: BTreeMap<DocAddress, f32> = BTreeMap::new();
        for (found, strength) in units {
            if let Some(address) = found.into_iter().find(|address| allowed.contains(address)) {
                let kept = strengths.entry(address).or_default();
                *kept = kept.max(strength);
            }
        }
        Ok(strengths.into_iter().collect())
    }
}

/// Those of `units` that are live and that `restrict`, the request's
/// filters, visibility and exclusions, lets through, in index order.
fn allowed(
    searcher: &Searcher,
    restrict: &dyn Fn(Box<dyn Query>) -> BooleanQuery,
    mut units: Vec<DocAddress>,
) -> Result<Vec<DocAddress>, Error> {
    units.sort_unstable();
    units.dedup();
    let allowed = restrict(Box::new(AllQuery)).weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut found = Vec::new();
    for segment in units.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let reader = searcher.segment_reader(segment[0].segment_ord);
        let mut scorer = allowed.scorer(reader, 1.0)?;
        for address in segment {
            if reader.alive_bitset().is_some_and(|alive| !alive.is_alive(address.doc_id)) {
                continue;
            }
            if scorer.doc() < address.doc_id {
                scorer.seek(address.doc_id);
            }
            if scorer.doc() == address.doc_id {
                found.push(*address);
            }
        }
    }
    Ok(found)
}

/// Adds `candidate` unless its unit is a candidate already; its index in
/// `candidates` either way (`position` maps units to their indexes).
fn join(candidates: &mut Vec<Candidate>, position: &mut HashMap<DocAddress, usize>, candidate: Candidate) -> usize {
    *position.entry(candidate.address).or_insert_with(|| {
        candidates.push(candidate);
        candidates.len() - 1
    })
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}
