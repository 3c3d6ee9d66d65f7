//! The second phase's measurements: each candidate's [`Features`], read
//! from the index without loading stored documents. Per-field BM25 and term
//! matches come from each term's postings ([`bm25`]) moved to each
//! candidate in document order; priors come from the columns the engine
//! keeps ([`View`]).

use std::sync::Arc;

use tantivy::query::{Bm25StatisticsProvider, Query, Weight};
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, SegmentOrdinal, Term};

use super::bm25::{self, TermMatches};
use super::segments::View;
use super::{Feature, Features, Model, Plan};
use crate::search::counts::{Counted, Norms};
use crate::search::query::grams_phrase;
use crate::search::schema::Fields;

/// A unit of the first phase, or one the bridge added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Where the unit is in the index.
    pub address: DocAddress,
    /// Its first-phase score (0 when only the bridge found it).
    pub first: f32,
    /// Its bridge strength.
    pub bridge: f32,
}

/// What a query asks besides its words.
pub struct Context<'a> {
    /// The normalised query, to find the places and document types it names.
    pub text: &'a str,
    /// The region filters.
    pub regions: &'a [String],
    /// Today in the configured zone, yyyymmdd: warnings expire against it.
    pub today: i64,
}

/// One word's terms in the ranked fields with their BM25 weights, and the
/// weight of its character pairs' phrase.
struct WordWeights {
    fields: Vec<(Feature, Term, f32)>,
    grams: Option<Box<dyn Weight>>,
    idf: f32,
}

/// The features of every candidate, in the candidates' order. With `only`,
/// a BM25 field or expansion feature that model does not weigh is left at 0
/// (the fit passes `None` and gets every feature): the field scorers are a
/// good part of the second phase. Coverage stays exact without them: a word
/// that appears in any field of the `grams` field's text matches its
/// character pairs there, and the `asked` field, which `grams` lacks, is
/// always measured.
pub fn measure(
    counted: &Counted<'_>,
    view: &View,
    fields: &Fields,
    plan: &Plan,
    context: &Context<'_>,
    candidates: &[Candidate],
    only: Option<&Model>,
) -> tantivy::Result<Vec<Features>> {
    let weighed = |feature: Feature| only.is_none_or(|model| model.weighs(feature));
    let searcher = counted.searcher();
    let scoring = counted.scoring();
    let ranked: [(Feature, Field); 7] = [
        (Feature::Bm25Title, fields.title),
        (Feature::Bm25Heading, fields.heading),
        (Feature::Bm25Questions, fields.questions),
        (Feature::Bm25Asked, fields.asked),
        (Feature::Bm25Summary, fields.summary),
        (Feature::Bm25Summary, fields.particulars),
        (Feature::Bm25Body, fields.body),
    ];
    let norms = ranked.iter().map(|&(_, field)| counted.norms(field)).collect::<tantivy::Result<Vec<_>>>()?;
    let all = counted.total_num_docs()?;
    // A word or phrase no unit holds is not measured: it matches nothing.
    let term_weight = |field: Field, word: &str| -> tantivy::Result<Option<(Term, f32)>> {
        let term = Term::from_field_text(field, word);
        let units = counted.doc_freq(&term)?;
        Ok((units > 0).then(|| (term, bm25::weight(units, all))))
    };
    let phrase_weight = |phrase: Option<Box<dyn Query>>| -> tantivy::Result<Option<Box<dyn Weight>>> {
        match phrase {
            Some(query) if counted.all_held(query.as_ref())? => query.weight(scoring).map(Some),
            _ => Ok(None),
        }
    };
    let units = searcher.num_docs() as f32;
    let mut own = Vec::with_capacity(plan.own.len());
    for word in &plan.own {
        let phrase = grams_phrase(fields, word);
        let has_grams = phrase.is_some();
        let grams = phrase_weight(phrase)?;
        // The `asked` field is not in `grams`: its scorer always runs, so
        // that coverage counts a word matched there whatever the weights
        // (a fit that weighs it 0 would otherwise see a coverage that the
        // live search does not).
        let mut fields_weights = Vec::new();
        for &(feature, field) in &ranked {
            if !has_grams || weighed(feature) || feature == Feature::Bm25Asked {
                fields_weights.extend(term_weight(field, word)?.map(|(term, weight)| (feature, term, weight)));
            }
        }
        let frequency = counted.doc_freq(&Term::from_field_text(fields.body, word))?;
        let frequency = frequency.max(counted.doc_freq(&Term::from_field_text(fields.title, word))?) as f32;
        let idf = (1.0 + (units - frequency + 0.5) / (frequency + 0.5)).ln();
        own.push(WordWeights { fields: fields_weights, grams, idf });
    }
    let mut expanded = Vec::with_capacity(plan.expanded.len() + plan.learned.len());
    for (feature, words) in [(Feature::Expansion, &plan.expanded), (Feature::Learned, &plan.learned)] {
        for (word, weight) in words.iter().filter(|_| weighed(feature)) {
            for field in [fields.body, fields.title] {
                expanded.extend(term_weight(field, word)?.map(|(term, bm25)| (feature, *weight, term, bm25)));
            }
        }
    }
    let mut pairs: Vec<Box<dyn Weight>> = Vec::new();
    for pair in plan.pairs.iter().filter(|_| weighed(Feature::Proximity)) {
        pairs.extend(phrase_weight(grams_phrase(fields, pair))?);
    }
    let total_idf: f32 = own.iter().map(|w| w.idf).sum();
    let best_first = candidates.iter().map(|c| c.first).fold(0.0_f32, f32::max);

    let mut features = vec![Features::default(); candidates.len()];
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].address);
    for segment in order.chunk_by(|&a, &b| candidates[a].address.segment_ord == candidates[b].address.segment_ord) {
        let ordinal = candidates[segment[0]].address.segment_ord;
        let reader = searcher.segment_reader(ordinal);
        let scored = |term: &Term, weight: f32, docs: &[(usize, DocId)], found: &mut dyn FnMut(usize, f32)| {
            let norms =
                norms.iter().find(|norms| norms.field() == term.field()).expect("the norms of every measured field");
            each_scored(counted, ordinal, term, weight, norms.clone(), docs, found)
        };
        let docs: Vec<(usize, DocId)> = segment.iter().map(|&i| (i, candidates[i].address.doc_id)).collect();
        let mut matched = vec![vec![false; own.len()]; candidates.len()];
        for (w, word) in own.iter().enumerate() {
            for (feature, term, weight) in &word.fields {
                scored(term, *weight, &docs, &mut |i, score| {
                    features[i].0[*feature as usize] += score;
                    matched[i][w] = true;
                })?;
            }
            // The word's characters in sequence count for the candidates
            // its fields did not match; the phrase is not checked for the
            // others, nor at all when every candidate matched.
            if let Some(grams) = &word.grams {
                let unmatched: Vec<(usize, DocId)> = docs.iter().copied().filter(|&(i, _)| !matched[i][w]).collect();
                if !unmatched.is_empty() {
                    each_match(grams.as_ref(), reader, &unmatched, |i, _| matched[i][w] = true)?;
                }
            }
        }
        for (feature, weight, term, bm25) in &expanded {
            scored(term, *bm25, &docs, &mut |i, score| {
                features[i].0[*feature as usize] += weight * score;
            })?;
        }
        for pair in &pairs {
            each_match(pair.as_ref(), reader, &docs, |i, _| {
                features[i].0[Feature::Proximity as usize] += 1.0 / plan.pairs.len() as f32;
            })?;
        }
        let columns = view.columns(candidates[segment[0]].address.segment_ord);
        for &(i, doc) in &docs {
            let candidate = &candidates[i];
            let values = &mut features[i];
            if total_idf > 0.0 {
                let held: f32 = own.iter().zip(&matched[i]).filter(|(_, m)| **m).map(|(w, _)| w.idf).sum();
                values.set(Feature::Coverage, held / total_idf);
            }
            if best_first > 0.0 {
                values.set(Feature::Bm25Relative, candidate.first / best_first);
            }
            values.set(Feature::Bridge, candidate.bridge);
            columns.fill(doc, context, values);
            values.set(Feature::ConsumerMatched, values.get(Feature::Consumer) * values.get(Feature::Coverage));
        }
    }
    Ok(features)
}

/// Calls `found` with each of `docs` (in document order) that holds `term`
/// in the segment with ordinal `segment`, and the term's BM25 score there.
fn each_scored(
    counted: &Counted<'_>,
    segment: SegmentOrdinal,
    term: &Term,
    weight: f32,
    norms: Arc<Norms>,
    docs: &[(usize, DocId)],
    found: &mut dyn FnMut(usize, f32),
) -> tantivy::Result<()> {
    if let Some(mut matches) = TermMatches::open(counted, segment, term, weight, norms)? {
        for &(i, doc) in docs {
            if let Some(score) = matches.score_at(doc) {
                found(i, score);
            }
        }
    }
    Ok(())
}

/// Calls `found` with each of `docs` (in document order) that `weight`
/// matches in `reader`, and its score.
fn each_match(
    weight: &dyn Weight,
    reader: &tantivy::SegmentReader,
    docs: &[(usize, DocId)],
    mut found: impl FnMut(usize, f32),
) -> tantivy::Result<()> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    for &(i, doc) in docs {
        if scorer.doc() < doc {
            scorer.seek(doc);
        }
        if scorer.doc() == doc {
            found(i, scorer.score());
        }
    }
    Ok(())
}
