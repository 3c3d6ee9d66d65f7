//! How a parsed query (the `language` module) becomes a tantivy query.
//!
//! The query built here is the ranking's first phase (`super::rank`): BM25
//! over the weighted fields of each word, its expansions and its character
//! pairs, which gives the candidates. The second phase rescores them with
//! the measurements listed in the query's [`Plan`].

use std::cell::RefCell;
use std::sync::Arc;

use tantivy::Term as IndexTerm;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::analyzer::{Analyzer, bigrams};
use super::counts::TermCounts;
use super::rank::Plan;
use super::rank::bm25::KeptTermQuery;
use super::rank::rare::{Group, Head};
use super::rank::vocabulary::Vocabulary;
use super::schema::Fields;
use crate::text::normalize;

mod language;

pub use language::{ArticleReference, Item, MAX_QUERY_CHARS, Parsed, article_reference, parse};

/// At most this many distinct words (segmented terms) are searched, each
/// once; the rest of a very long query is ignored. One unspaced run of
/// Chinese is many words, so the cap counts words, not the runs between
/// spaces, and a word repeated (中华人民共和国中华人民共和国…) counts once.
pub const MAX_TERMS: usize = 16;

/// A word of more concepts than one earns a bonus where it occurs as typed,
/// up to this many characters; a longer run is no phrase anyone looks for.
const MAX_BONUS_CHARS: usize = 32;

/// Field weights: title > article number and chapter > typical questions >
/// summary and tags > body and the words of judged questions > character
/// pairs. A listed question is how readers put what the document answers,
/// so it weighs more than the summary, which says the same in the writer's
/// words.
const WEIGHTS: [(FieldRole, f32); 7] = [
    (FieldRole::Title, 4.0),
    (FieldRole::Heading, 2.5),
    (FieldRole::Questions, 2.0),
    (FieldRole::Asked, ASKED_WEIGHT),
    (FieldRole::Summary, 1.5),
    (FieldRole::Particulars, 1.5),
    (FieldRole::Body, 1.0),
];
/// The `asked` field is empty in all but a few hundred of the ~150,000
/// units, so its average length, over every unit, is a small fraction of
/// one word and BM25's length normalisation cuts a match there to about a
/// thirtieth of a match in the body. This brings it back to the body's scale.
const ASKED_WEIGHT: f32 = 30.0;
const GRAMS_WEIGHT: f32 = 0.6;
const COMPONENT_WEIGHT: f32 = 0.4;
/// Expanded words rank below the user's own words.
const SYNONYM_WEIGHT: f32 = 0.5;
const PHRASE_BONUS: f32 = 1.5;
/// Words of the learned vocabulary weigh this much times their strength in
/// the first phase: enough to bring an answer into the candidates, not to
/// outrank the user's own words.
const LEARNED_WEIGHT: f32 = 0.3;

#[derive(Clone, Copy)]
enum FieldRole {
    Title,
    Heading,
    Summary,
    Particulars,
    Questions,
    Asked,
    Body,
}

/// A query ready to run, and the normalised terms to highlight.
pub struct Built {
    /// The first phase: BM25 over the weighted fields of every word, its
    /// expansions and character pairs; quoted phrases are required. `None`
    /// when nothing searchable is left (only punctuation, say).
    pub positive: Option<Box<dyn Query>>,
    /// The excluded items: a unit that matches any of them is left out.
    pub excluded: Vec<Box<dyn Query>>,
    /// The normalised terms to highlight in snippets.
    pub highlights: Vec<String>,
    /// The distinct words searched, in query order: at most [`MAX_TERMS`].
    pub terms: Vec<String>,
    /// Query words that were also searched as other words (霸王条款 → 格式条款).
    pub expansions: Vec<Expansion>,
    /// What the second phase measures.
    pub plan: Plan,
    /// The clauses of `positive`, in order, by the concept or phrase they
    /// search: what the first phase keeps or sets aside together
    /// (`rank::rare`).
    pub groups: Vec<Group>,
}

/// A query word and the words it was expanded to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs, reason = "doc comments here would change /api/openapi.json (tests/it/snapshots)")]
pub struct Expansion {
    pub word: String,
    pub also: Vec<String>,
}

/// Turns a parsed query into tantivy queries, whose words are scored from
/// the engine's kept `counts`. With `expand`, words are also searched as
/// their synonyms and the law titles their abbreviations stand for.
pub fn build(parsed: &Parsed, analyzer: &Analyzer, fields: &Fields, counts: &Arc<TermCounts>, expand: bool) -> Built {
    let builder = Builder {
        analyzer,
        fields,
        counts,
        expand,
        expansions: RefCell::new(Vec::new()),
        terms: RefCell::new(Vec::new()),
        plan: RefCell::new(Plan::default()),
    };
    let mut highlights = Vec::new();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut groups = Vec::new();
    let mut add = |occur: Occur, ranking: Vec<Grouped>| {
        for (head, group) in ranking {
            groups.push(Group { head, clauses: group.len() });
            clauses.extend(group.into_iter().map(|q| (occur, q)));
        }
    };
    for group in &parsed.groups {
        if builder.terms_left() == 0 {
            break;
        }
        match group.as_slice() {
            [Item::Phrase(phrase)] => {
                if let Some((required, ranking)) = builder.claimed_phrase(phrase, &mut highlights) {
                    add(Occur::Must, vec![required]);
                    add(Occur::Should, ranking);
                }
            }
            items => {
                for item in items {
                    let ranking = match item {
                        Item::Word(word) => builder.word(word, &mut highlights),
                        Item::Phrase(phrase) => {
                            builder.claimed_phrase(phrase, &mut highlights).map(|(_, r)| r).unwrap_or_default()
                        }
                    };
                    add(Occur::Should, ranking);
                }
            }
        }
    }
    let excluded = distinct(parsed.excluded.iter().map(|item| normalize(item.text())))
        .iter()
        .filter_map(|text| grams_phrase(fields, text))
        .collect();
    highlights.sort();
    highlights.dedup();
    let positive = (!clauses.is_empty()).then(|| -> Box<dyn Query> { Box::new(BooleanQuery::new(clauses)) });
    Built {
        positive,
        excluded,
        highlights,
        terms: builder.terms.into_inner(),
        expansions: builder.expansions.into_inner(),
        plan: builder.plan.into_inner(),
        groups,
    }
}

/// Clauses that search one concept or phrase, and their [`Head`].
type Grouped = (Head, Vec<Box<dyn Query>>);

/// A quoted phrase: the query that requires it, and its ranking clauses.
type Required = (Grouped, Vec<Grouped>);

struct Builder<'a> {
    analyzer: &'a Analyzer,
    fields: &'a Fields,
    counts: &'a Arc<TermCounts>,
    expand: bool,
    /// Expansions used so far, in query order.
    expansions: RefCell<Vec<Expansion>>,
    /// The words and phrases searched so far, each once, in query order.
    terms: RefCell<Vec<String>>,
    /// What the second phase measures, filled as words are searched.
    plan: RefCell<Plan>,
}

impl Builder<'_> {
    /// How many more words may be searched.
    fn terms_left(&self) -> usize {
        MAX_TERMS.saturating_sub(self.terms.borrow().len())
    }

    /// Of `candidates`, those not searched yet, as many as are left; they
    /// count as searched from now on.
    fn claim(&self, candidates: impl IntoIterator<Item = String>) -> Vec<String> {
        add_distinct(&mut self.terms.borrow_mut(), candidates)
    }

    /// A typed word: the ranking clauses of each of its concepts not
    /// searched yet, and of the whole word as typed when it holds several.
    fn word(&self, word: &str, highlights: &mut Vec<String>) -> Vec<Grouped> {
        let all = self.analyzer.concepts(word);
        let concepts = self.claim(all.iter().cloned());
        let mut ranking = Vec::new();
        for concept in &concepts {
            ranking.push((self.word_head(concept), self.concept(concept, highlights)));
        }
        let mut plan = self.plan.borrow_mut();
        plan.pairs.extend(concepts.windows(2).map(|pair| format!("{}{}", pair[0], pair[1])));
        if all.len() > 1 && !concepts.is_empty() && word.chars().count() <= MAX_BONUS_CHARS {
            let typed = normalize(word);
            if let Some(phrase) = self.weighted_grams(&typed, PHRASE_BONUS) {
                ranking.push((self.phrase_head(&typed), vec![phrase]));
            }
        }
        ranking
    }

    /// A concept's [`Head`]: its word in every ranked field.
    fn word_head(&self, concept: &str) -> Head {
        Head::Word(WEIGHTS.iter().map(|&(role, _)| IndexTerm::from_field_text(self.field(role), concept)).collect())
    }

    /// A phrase's [`Head`]: its character pairs.
    fn phrase_head(&self, text: &str) -> Head {
        Head::Phrase(
            bigrams(text).iter().map(|pair| IndexTerm::from_field_text(self.fields.grams, &pair.text)).collect(),
        )
    }

    /// A quoted phrase not searched yet: the query that requires it, and its
    /// ranking clauses.
    fn claimed_phrase(&self, phrase: &str, highlights: &mut Vec<String>) -> Option<Required> {
        let normalized = normalize(phrase);
        let claimed = self.claim([format!("\"{}\"", normalized.trim())]);
        if claimed.is_empty() {
            return None;
        }
        let head = self.phrase_head(&normalized);
        let required = (head.clone(), vec![grams_phrase(self.fields, &normalized)?]);
        let pairs = self.weighted_grams(&normalized, PHRASE_BONUS)?;
        highlights.push(normalized.trim().to_string());
        let mut ranking = vec![(head, vec![pairs])];
        let concepts = distinct(self.analyzer.concepts(phrase));
        for concept in &concepts {
            ranking.push((self.word_head(concept), self.words(concept, 1.0)));
        }
        let mut plan = self.plan.borrow_mut();
        plan.own.extend(concepts.iter().cloned());
        plan.pairs.extend(concepts.windows(2).map(|pair| format!("{}{}", pair[0], pair[1])));
        Some((required, ranking))
    }

    /// The ranking clauses of one concept: its words in every field, its
    /// character pairs, its synonyms and its parts, each at its weight.
    fn concept(&self, concept: &str, highlights: &mut Vec<String>) -> Vec<Box<dyn Query>> {
        let mut ranking = self.words(concept, 1.0);
        highlights.push(concept.to_string());
        ranking.extend(self.weighted_grams(concept, GRAMS_WEIGHT));
        let mut plan = self.plan.borrow_mut();
        plan.own.push(concept.to_string());
        for synonym in self.synonyms(concept) {
            highlights.push(synonym.clone());
            ranking.extend(self.words(synonym, SYNONYM_WEIGHT));
            ranking.extend(self.weighted_grams(synonym, SYNONYM_WEIGHT * GRAMS_WEIGHT));
            plan.expanded.push((synonym.clone(), SYNONYM_WEIGHT));
        }
        for component in self.analyzer.components(concept) {
            highlights.push(component.clone());
            ranking.extend(self.words(&component, COMPONENT_WEIGHT));
            plan.expanded.push((component, COMPONENT_WEIGHT));
        }
        if self.expand {
            for (word, strength) in Vocabulary::builtin().expansions(concept) {
                ranking.extend(self.words(word, LEARNED_WEIGHT * strength));
                plan.learned.push((word.clone(), *strength));
            }
        }
        ranking
    }

    /// What `word` is also searched as, recorded for the results page.
    fn synonyms(&self, word: &str) -> &[String] {
        if !self.expand {
            return &[];
        }
        let also = self.analyzer.synonyms(word);
        let mut expansions = self.expansions.borrow_mut();
        if !also.is_empty() && !expansions.iter().any(|e| e.word == word) {
            expansions.push(Expansion { word: word.to_string(), also: also.to_vec() });
        }
        also
    }

    /// The word in every ranked field, weighted by field: one term query
    /// per field, so that the first phase stays a flat union of terms.
    fn words(&self, word: &str, weight: f32) -> Vec<Box<dyn Query>> {
        WEIGHTS
            .iter()
            .map(|&(role, field_weight)| {
                let term = IndexTerm::from_field_text(self.field(role), word);
                Box::new(KeptTermQuery::new(term, field_weight * weight, self.counts.clone())) as Box<dyn Query>
            })
            .collect()
    }

    /// [`grams_phrase`] of `text` weighed `weight`; a single pair is a
    /// kept term, as the words are.
    fn weighted_grams(&self, text: &str, weight: f32) -> Option<Box<dyn Query>> {
        let mut pairs = grams_pairs(self.fields, text);
        match pairs.len() {
            0 => None,
            1 => Some(Box::new(KeptTermQuery::new(pairs.remove(0).1, weight, self.counts.clone()))),
            _ => Some(boost(Box::new(PhraseQuery::new_with_offset(pairs)), weight)),
        }
    }

    fn field(&self, role: FieldRole) -> Field {
        match role {
            FieldRole::Title => self.fields.title,
            FieldRole::Heading => self.fields.heading,
            FieldRole::Summary => self.fields.summary,
            FieldRole::Particulars => self.fields.particulars,
            FieldRole::Questions => self.fields.questions,
            FieldRole::Asked => self.fields.asked,
            FieldRole::Body => self.fields.body,
        }
    }
}

/// The text as a sequence of character pairs: matches exactly where the
/// text occurs, inside words too.
pub(super) fn grams_phrase(fields: &Fields, text: &str) -> Option<Box<dyn Query>> {
    let terms = grams_pairs(fields, text);
    match terms.len() {
        0 => None,
        1 => Some(Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs))),
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    }
}

/// The character pairs of `text`, with their positions.
fn grams_pairs(fields: &Fields, text: &str) -> Vec<(usize, IndexTerm)> {
    bigrams(text)
        .into_iter()
        .enumerate()
        .map(|(position, term)| (position, IndexTerm::from_field_text(fields.grams, &term.text)))
        .collect()
}

/// The first [`MAX_TERMS`] distinct texts, in order.
fn distinct(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    add_distinct(&mut kept, texts);
    kept
}

/// Adds to `kept` the texts it does not hold yet, until it holds
/// [`MAX_TERMS`]; returns those added.
fn add_distinct(kept: &mut Vec<String>, texts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut added = Vec::new();
    for text in texts {
        if kept.len() >= MAX_TERMS {
            break;
        }
        if !kept.contains(&text) {
            kept.push(text.clone());
            added.push(text);
        }
    }
    added
}

/// Matches any of `clauses`, scoring the sum.
pub fn should(clauses: Vec<Box<dyn Query>>) -> BooleanQuery {
    BooleanQuery::new(clauses.into_iter().map(|q| (Occur::Should, q)).collect())
}

fn boost(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, weight))
}
