//! The first phase searches by the query's rare words.
//!
//! A long question holds words that most units contain (合同, 规定, 应当 and
//! their character pairs). Their postings are the longest in the index and
//! scoring them was most of the first phase's work, yet they barely
//! separate one unit from another: a clause whose words are in more than
//! [`COMMON_SHARE`] of the units is set aside, and the candidates are the
//! units that match at least one of the other clauses. This is Lucene's
//! `CommonTermsQuery` and Elasticsearch's `cutoff_frequency`. The second
//! phase still measures every word of the query in every field of each
//! candidate (`features`), so a common word counts wherever a candidate
//! holds it; what it no longer does is bring in units that hold only
//! common words. When every clause is common, nothing is set aside.
//!
//! The share was chosen on the judged questions' tune halves
//! (docs/RELEVANCE.md, "The first phase's rare words").

use tantivy::Term;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, Occur, Query};

use crate::search::counts::Counted;

/// A clause whose words are each in more than this share of the units is
/// common ...
pub const COMMON_SHARE: f64 = 0.02;

/// ... and in more than this many: a shorter posting list costs too little
/// to be worth setting aside, so a small index (the shipped content alone,
/// the tests' fixtures) is searched whole.
pub const MIN_COMMON_UNITS: u64 = 1_000;

/// Consecutive clauses of the first phase that search one concept (its
/// words in every field, its character pairs, synonyms and parts) or one
/// phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The terms that say how common the group is: the concept in each
    /// field (common when it is common in any), or the phrase's character
    /// pairs (no commoner than its rarest pair).
    pub head: Head,
    /// How many clauses the group holds.
    pub clauses: usize,
}

/// See [`Group::head`].
#[derive(Debug, Clone, PartialEq)]
pub enum Head {
    /// A concept: its word in each ranked field.
    Word(Vec<Term>),
    /// A phrase: its character pairs.
    Phrase(Vec<Term>),
}

/// The first phase's query, and what was set aside.
pub struct RareWords {
    /// The clauses with a rare word; the whole query when none is common.
    pub query: Box<dyn Query>,
    /// How many units each set-aside concept or phrase is in; empty when
    /// nothing was set aside, so that the query's matches are all of them.
    pub common: Vec<u64>,
}

/// The units a query would match with nothing set aside, estimated from
/// the `counted` matches of its rare groups and the units each `common`
/// group is in, as if the groups held their units independently of each
/// other, among `units` in all. Exact when nothing was set aside.
pub fn estimate(counted: usize, common: &[u64], units: u64) -> usize {
    if common.is_empty() || units == 0 {
        return counted;
    }
    let units = units as f64;
    let missed: f64 = common.iter().map(|&n| 1.0 - (n as f64 / units).min(1.0)).product::<f64>()
        * (1.0 - (counted as f64 / units).min(1.0));
    counted.max((units * (1.0 - missed)).round() as usize)
}

impl RareWords {
    /// Splits `positive`, a union of ranking clauses in `groups`, by how
    /// many units each group's concept or phrase is in ([`Head`]), when
    /// `split` allows. A concept is searched in several fields, its
    /// synonyms and its parts, and all of them are kept or set aside with
    /// it: a common word is in few summaries and may have a rare synonym,
    /// and is no rarer for that. Something is set aside only when a group
    /// that is in some unit is left: counts include deleted units until
    /// segments merge, so a group counts only when it is in more units than
    /// were deleted (a word of a withdrawn warning alone would otherwise
    /// leave no result). A query that requires something (a quoted phrase),
    /// or whose clauses are not in `groups` (a named article's), is kept
    /// whole: what it requires restricts the matches already.
    ///
    /// Split or not, a union in `groups` loses the clauses that name a term
    /// no unit holds (a word absent from the field searched, a phrase with
    /// a pair no text has): they match nothing, so the matches and their
    /// scores stay the same, and building their scorers was a good part of
    /// a long question's first phase.
    pub fn of(
        counted: &Counted<'_>,
        positive: Box<dyn Query>,
        groups: &[Group],
        split: bool,
    ) -> tantivy::Result<RareWords> {
        let whole = |query| Ok(RareWords { query, common: Vec::new() });
        let Some(union) = positive.downcast_ref::<BooleanQuery>() else { return whole(positive) };
        let clauses = union.clauses();
        if clauses.iter().any(|(occur, _)| *occur != Occur::Should)
            || groups.iter().map(|group| group.clauses).sum::<usize>() != clauses.len()
        {
            return whole(positive);
        }
        let limit = ((COMMON_SHARE * counted.total_num_docs()? as f64) as u64).max(MIN_COMMON_UNITS);
        let readers = counted.searcher().segment_readers();
        let deleted: u64 = readers.iter().map(|reader| u64::from(reader.num_deleted_docs())).sum();
        // Each group's held clauses, and whether it is common.
        let mut kept = Vec::with_capacity(groups.len());
        let mut found = false;
        let mut common = Vec::new();
        let mut start = 0;
        for group in groups {
            let mut members = Vec::new();
            for (occur, clause) in &clauses[start..start + group.clauses] {
                if counted.all_held(clause.as_ref())? {
                    members.push((*occur, clause.box_clone()));
                }
            }
            start += group.clauses;
            let units = units(counted, &group.head)?;
            let is_common = split && units > limit;
            if is_common {
                common.push(units);
            } else {
                found |= units > deleted;
            }
            kept.push((is_common, members));
        }
        // Common groups are set aside only when a rare one was found.
        let set_aside = found && !common.is_empty();
        let clauses = kept.into_iter().filter(|(is_common, _)| !(set_aside && *is_common));
        let query = Box::new(BooleanQuery::new(clauses.flat_map(|(_, members)| members).collect()));
        if !set_aside {
            return whole(query);
        }
        Ok(RareWords { query, common })
    }
}

/// How many units a group's concept or phrase is in, at most.
fn units(counted: &Counted<'_>, head: &Head) -> tantivy::Result<u64> {
    let each = |terms: &[Term]| terms.iter().map(|term| counted.doc_freq(term)).collect::<tantivy::Result<Vec<u64>>>();
    Ok(match head {
        Head::Word(fields) => each(fields)?.into_iter().max().unwrap_or(0),
        Head::Phrase(pairs) => each(pairs)?.into_iter().min().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Field, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    use crate::search::counts::TermCounts;

    /// 1,201 units: every one but the last holds `common` in `body`; one
    /// holds `rare` there and `common` in `summary`, and the last holds
    /// `synonym`.
    fn index() -> (Index, Field, Field) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", STRING);
        let summary = schema.add_text_field("summary", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for i in 0..1_201 {
            let mut unit = TantivyDocument::default();
            if i < 1_200 {
                unit.add_text(body, "common");
            } else {
                unit.add_text(body, "synonym");
            }
            if i == 7 {
                unit.add_text(body, "rare");
                unit.add_text(summary, "common");
            }
            writer.add_document(unit).expect("add");
        }
        writer.commit().expect("commit");
        (index, body, summary)
    }

    fn term(field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
    }

    /// A concept in both fields, with its expansions' clauses.
    fn concept(fields: (Field, Field), word: &str, also: &[&str]) -> (Group, Vec<Box<dyn Query>>) {
        let head = Head::Word(vec![Term::from_field_text(fields.0, word), Term::from_field_text(fields.1, word)]);
        let mut clauses = vec![term(fields.0, word), term(fields.1, word)];
        clauses.extend(also.iter().map(|other| term(fields.0, other)));
        (Group { head, clauses: clauses.len() }, clauses)
    }

    /// What was set aside, and how many units the first phase matches.
    fn split(concepts: Vec<(Group, Vec<Box<dyn Query>>)>) -> (Vec<u64>, usize) {
        let (index, ..) = index();
        let searcher = index.reader().expect("reader").searcher();
        let groups: Vec<Group> = concepts.iter().map(|(group, _)| group.clone()).collect();
        let clauses = concepts.into_iter().flat_map(|(_, clauses)| clauses).map(|q| (Occur::Should, q)).collect();
        let split =
            RareWords::of(&TermCounts::default().of(&searcher), Box::new(BooleanQuery::new(clauses)), &groups, true)
                .expect("split");
        (split.common, searcher.search(split.query.as_ref(), &Count).expect("search"))
    }

    #[test]
    fn a_common_concept_is_set_aside_in_every_field_and_expansion_when_a_rare_one_is_left() {
        let (_, body, summary) = index();
        let fields = (body, summary);
        // `common` is in one summary only but common in the body, and its
        // synonym is rare: all of it is set aside.
        let concepts = vec![concept(fields, "common", &["synonym"]), concept(fields, "rare", &[])];
        assert_eq!(split(concepts), (vec![1_200], 1));
    }

    #[test]
    fn a_query_of_common_concepts_or_with_unknown_words_is_kept_whole() {
        let (_, body, summary) = index();
        let fields = (body, summary);
        assert_eq!(split(vec![concept(fields, "common", &[])]), (Vec::new(), 1_200));
        // A word in no unit is not one to search by instead.
        assert_eq!(split(vec![concept(fields, "common", &[]), concept(fields, "nowhere", &[])]), (Vec::new(), 1_200));
    }

    #[test]
    fn a_requirement_or_clauses_outside_the_groups_keep_the_query_whole() {
        let (index, body, summary) = index();
        let searcher = index.reader().expect("reader").searcher();
        let counts = TermCounts::default();
        let (common, common_clauses) = concept((body, summary), "common", &[]);
        let (rare, _) = concept((body, summary), "rare", &[]);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            common_clauses.into_iter().map(|q| (Occur::Should, q)).collect();
        clauses.push((Occur::Must, term(body, "rare")));
        let required =
            RareWords::of(&counts.of(&searcher), Box::new(BooleanQuery::new(clauses)), &[common.clone(), rare], true)
                .expect("split");
        assert!(required.common.is_empty());
        let unaligned =
            BooleanQuery::new(vec![(Occur::Should, term(body, "common")), (Occur::Should, term(body, "rare"))]);
        assert!(
            RareWords::of(&counts.of(&searcher), Box::new(unaligned), &[common], true)
                .expect("split")
                .common
                .is_empty()
        );
    }

    #[test]
    fn the_estimate_joins_the_counted_and_the_set_aside_as_independent() {
        assert_eq!(estimate(7, &[], 1_000), 7, "exact when nothing was set aside");
        // Half and half: a quarter of the units hold neither.
        assert_eq!(estimate(500, &[500], 1_000), 750);
        assert_eq!(estimate(10, &[2_000], 1_000), 1_000, "never more than every unit");
        assert_eq!(estimate(300, &[100], 1_000), 370);
    }

    #[test]
    fn a_word_only_deleted_units_held_does_not_count_as_found() {
        let (index, body, summary) = index();
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        writer.delete_term(Term::from_field_text(body, "rare"));
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let concepts = [concept((body, summary), "common", &[]), concept((body, summary), "rare", &[])];
        let groups: Vec<Group> = concepts.iter().map(|(group, _)| group.clone()).collect();
        let clauses = concepts.into_iter().flat_map(|(_, clauses)| clauses).map(|q| (Occur::Should, q)).collect();
        let split =
            RareWords::of(&TermCounts::default().of(&searcher), Box::new(BooleanQuery::new(clauses)), &groups, true)
                .expect("split");
        assert!(split.common.is_empty());
        assert_eq!(searcher.search(split.query.as_ref(), &Count).expect("search"), 1_199);
    }
}
