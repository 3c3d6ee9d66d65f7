//! The second phase's measurements: each candidate's [`Features`], read
//! from the index without loading stored documents. Per-field BM25 and term
//! matches come from term scorers moved to each candidate in document
//! order; priors come from columns.

use tantivy::query::{EnableScoring, Query, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Searcher, Term};

use super::{Feature, Features, Model, Plan, flags};
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

/// One word's scorers' weights: per ranked field, and its character pairs.
struct WordWeights {
    fields: Vec<(Feature, Box<dyn Weight>)>,
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
    searcher: &Searcher,
    fields: &Fields,
    plan: &Plan,
    context: &Context<'_>,
    candidates: &[Candidate],
    only: Option<&Model>,
) -> tantivy::Result<Vec<Features>> {
    let weighed = |feature: Feature| only.is_none_or(|model| model.weighs(feature));
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let ranked: [(Feature, Field); 7] = [
        (Feature::Bm25Title, fields.title),
        (Feature::Bm25Heading, fields.heading),
        (Feature::Bm25Questions, fields.questions),
        (Feature::Bm25Asked, fields.asked),
        (Feature::Bm25Summary, fields.summary),
        (Feature::Bm25Summary, fields.particulars),
        (Feature::Bm25Body, fields.body),
    ];
    let term_weight = |field: Field, word: &str| -> tantivy::Result<Box<dyn Weight>> {
        TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs).weight(scoring)
    };
    let units = searcher.num_docs() as f32;
    let mut own = Vec::with_capacity(plan.own.len());
    for word in &plan.own {
        let grams = grams_phrase(fields, word).map(|query| query.weight(scoring)).transpose()?;
        // The `asked` field is not in `grams`: its scorer always runs, so
        // that coverage counts a word matched there whatever the weights
        // (a fit that weighs it 0 would otherwise see a coverage that the
        // live search does not).
        let fields_weights = ranked
            .iter()
            .filter(|&&(feature, _)| grams.is_none() || weighed(feature) || feature == Feature::Bm25Asked)
            .map(|&(feature, field)| Ok((feature, term_weight(field, word)?)))
            .collect::<tantivy::Result<_>>()?;
        let frequency = searcher.doc_freq(&Term::from_field_text(fields.body, word))?;
        let frequency = frequency.max(searcher.doc_freq(&Term::from_field_text(fields.title, word))?) as f32;
        let idf = (1.0 + (units - frequency + 0.5) / (frequency + 0.5)).ln();
        own.push(WordWeights { fields: fields_weights, grams, idf });
    }
    let mut expanded = Vec::with_capacity(plan.expanded.len() + plan.learned.len());
    for (feature, words) in [(Feature::Expansion, &plan.expanded), (Feature::Learned, &plan.learned)] {
        for (word, weight) in words.iter().filter(|_| weighed(feature)) {
            expanded.push((feature, *weight, term_weight(fields.body, word)?, term_weight(fields.title, word)?));
        }
    }
    let pairs: Vec<Box<dyn Weight>> = plan
        .pairs
        .iter()
        .filter(|_| weighed(Feature::Proximity))
        .filter_map(|pair| grams_phrase(fields, pair))
        .map(|query| query.weight(scoring))
        .collect::<tantivy::Result<_>>()?;
    let total_idf: f32 = own.iter().map(|w| w.idf).sum();
    let best_first = candidates.iter().map(|c| c.first).fold(0.0_f32, f32::max);

    let mut features = vec![Features::default(); candidates.len()];
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].address);
    for segment in order.chunk_by(|&a, &b| candidates[a].address.segment_ord == candidates[b].address.segment_ord) {
        let reader = searcher.segment_reader(candidates[segment[0]].address.segment_ord);
        let docs: Vec<(usize, DocId)> = segment.iter().map(|&i| (i, candidates[i].address.doc_id)).collect();
        let mut matched = vec![vec![false; own.len()]; candidates.len()];
        for (w, word) in own.iter().enumerate() {
            for (feature, weight) in &word.fields {
                each_match(weight.as_ref(), reader, &docs, |i, score| {
                    features[i].0[*feature as usize] += score;
                    matched[i][w] = true;
                })?;
            }
            if let Some(grams) = &word.grams {
                each_match(grams.as_ref(), reader, &docs, |i, _| matched[i][w] = true)?;
            }
        }
        for (feature, weight, body, title) in &expanded {
            for scorer in [body, title] {
                each_match(scorer.as_ref(), reader, &docs, |i, score| {
                    features[i].0[*feature as usize] += weight * score;
                })?;
            }
        }
        for pair in &pairs {
            each_match(pair.as_ref(), reader, &docs, |i, _| {
                features[i].0[Feature::Proximity as usize] += 1.0 / plan.pairs.len() as f32;
            })?;
        }
        let columns = Columns::of(reader);
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

/// A segment's prior columns.
struct Columns {
    authority: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<f64>>>,
    in_force: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<f64>>>,
    cited: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<f64>>>,
    consumer: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<f64>>>,
    flags: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
    kind: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
    /// A warning's last day in force, yyyymmdd (0: none).
    expires: Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<i64>>>,
    place: Option<tantivy::columnar::StrColumn>,
}

impl Columns {
    fn of(reader: &tantivy::SegmentReader) -> Columns {
        let fast = reader.fast_fields();
        let f64s = |name: &str| fast.f64(name).ok().map(|c| c.first_or_default_col(0.0));
        let u64s = |name: &str| fast.u64(name).ok().map(|c| c.first_or_default_col(0));
        Columns {
            authority: f64s("authority"),
            in_force: f64s("in_force"),
            cited: f64s("cited"),
            consumer: f64s("consumer"),
            flags: u64s("flags"),
            kind: u64s("kind_code"),
            expires: fast.i64("expires").ok().map(|c| c.first_or_default_col(0)),
            place: fast.str("place").ok().flatten(),
        }
    }

    fn fill(&self, doc: DocId, context: &Context<'_>, values: &mut Features) {
        let f64_of = |column: &Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<f64>>>| {
            column.as_ref().map_or(0.0, |c| c.get_val(doc) as f32)
        };
        values.set(Feature::Authority, f64_of(&self.authority));
        values.set(Feature::InForce, f64_of(&self.in_force));
        values.set(Feature::Cited, f64_of(&self.cited));
        values.set(Feature::Consumer, f64_of(&self.consumer));
        let bits = self.flags.as_ref().map_or(0, |c| c.get_val(doc));
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
        match self.kind.as_ref().map_or(0, |c| c.get_val(doc)) {
            1 => values.set(Feature::Case, 1.0),
            2 | 3 => values.set(Feature::GuideOrWarning, 1.0),
            _ => {}
        }
    }

    /// Whether the query or a region filter names a place the unit binds.
    fn named_place(&self, doc: DocId, context: &Context<'_>) -> bool {
        let Some(place) = &self.place else { return false };
        let mut text = String::new();
        place.term_ords(doc).any(|ord| {
            text.clear();
            place.ord_to_str(ord, &mut text).unwrap_or(false)
                && text.split(' ').filter(|p| !p.is_empty()).any(|p| {
                    context.text.contains(p)
                        || context.regions.iter().any(|region| region.contains(p) || p.contains(region.as_str()))
                })
        })
    }
}
