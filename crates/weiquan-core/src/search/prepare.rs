//! The query side of a request: the article it names, its parsed and built
//! query, its filters and what is public now, ready for the ranking.

use std::ops::Bound;
use std::sync::atomic::Ordering;

use chrono::NaiveDate;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, MoreLikeThisQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::schema::NATIONWIDE;
use super::{Engine, Error, SearchRequest, date_number, query, rank, stored_text};
use crate::content::citations::law_key;

/// Terms taken from a named article to find articles like it.
const LIKE_TERMS: usize = 20;

/// A request's query, ready for both phases.
pub(super) struct Prepared {
    pub(super) named: Option<NamedArticle>,
    pub(super) built: query::Built,
    /// The first phase's query without filters: the clauses with a rare
    /// word (`rank::rare`); `None` when nothing is searched.
    pub(super) positive: Option<Box<dyn Query>>,
    /// How many units each concept set aside as common is in
    /// (`rank::rare`); empty when the first phase finds every match.
    pub(super) common: Vec<u64>,
    /// What the first phase requires of every unit when the query is
    /// quoted phrases alone, scoring nothing: units that join the
    /// candidates from elsewhere must hold it too
    /// ([`Engine::restrict_joining`]).
    pub(super) required: Vec<Box<dyn Query>>,
}

/// An article a query names, and what else the query asks.
pub(super) struct NamedArticle {
    pub(super) article: Box<dyn Query>,
    /// Articles with text like the named one's.
    pub(super) like: Option<Box<dyn Query>>,
    /// The query without the reference.
    pub(super) rest: String,
}

impl Engine {
    /// The parsed and built query of a request, with the article it names;
    /// `searcher` tells which of its words are common.
    pub(super) fn prepare(&self, searcher: &Searcher, request: &SearchRequest) -> Result<Prepared, Error> {
        let named = self.named_article(&request.query)?;
        let parsed = query::parse(named.as_ref().map_or(&request.query, |named| &named.rest));
        let built = query::build(&parsed, &self.analyzer, &self.fields, &self.term_counts, request.expand);
        let positive = match &named {
            Some(named) => Some(Box::new(query::should(
                built
                    .positive
                    .iter()
                    .map(|q| q.box_clone())
                    .chain([named.article.box_clone()])
                    .chain(named.like.iter().map(|q| q.box_clone()))
                    .collect(),
            )) as Box<dyn Query>),
            None => built.positive.as_ref().map(|q| q.box_clone()),
        };
        let positive = match positive {
            Some(positive) => Some(positive),
            None if parsed.groups.is_empty() && !self.filters(request).is_empty() => {
                Some(Box::new(AllQuery) as Box<dyn Query>)
            }
            None => None,
        };
        // A query of quoted phrases alone is an exact search, and what
        // joins its candidates must hold them too. Quotes inside a question
        // told in words (商家说“概不退换”) report what someone said; the
        // written questions' neighbours of such a story join it as they
        // would without them (requiring the phrase of them cost a tenth of
        // the ranking of the judged questions with quotes).
        let only_phrases = parsed.groups.iter().all(|group| matches!(group.as_slice(), [query::Item::Phrase(_)]));
        let required = match positive.as_ref().and_then(|q| q.downcast_ref::<BooleanQuery>()) {
            Some(union) if only_phrases => union
                .clauses()
                .iter()
                .filter(|(occur, _)| *occur == Occur::Must)
                .map(|(_, q)| Box::new(ConstScoreQuery::new(q.box_clone(), 0.0)) as Box<dyn Query>)
                .collect(),
            _ => Vec::new(),
        };
        // A filtered search is left whole: the filter, not the words, is
        // what narrows it, and a rare word the filter leaves no unit of
        // would leave no result.
        let unfiltered = self.filters(request).is_empty() && built.excluded.is_empty();
        let (positive, common) = match positive {
            Some(positive) => {
                let counted = self.term_counts.of(searcher);
                let rare = rank::rare::RareWords::of(&counted, positive, &built.groups, unfiltered)?;
                (Some(rare.query), rare.common)
            }
            None => (None, Vec::new()),
        };
        Ok(Prepared { named, built, positive, common, required })
    }

    /// `query` within the request's `filters`, public now and without the
    /// `excluded` items.
    pub(super) fn restrict(
        &self,
        query: Box<dyn Query>,
        filters: Vec<Box<dyn Query>>,
        excluded: &[Box<dyn Query>],
    ) -> BooleanQuery {
        let clauses = [(Occur::Must, query)]
            .into_iter()
            .chain(self.visible().map(|q| (Occur::Must, q)))
            .chain(filters.into_iter().map(|f| (Occur::Must, f)))
            .chain(excluded.iter().map(|q| (Occur::MustNot, q.box_clone())))
            .collect();
        BooleanQuery::new(clauses)
    }

    /// `query` restricted as [`Engine::restrict`] does and, when the query
    /// is quoted phrases alone, requiring them, for the units that join
    /// the candidates without being found by it: the bridge's articles, the
    /// written questions' neighbours, the official cases retold and the
    /// named article. The requirement adds nothing to their scores.
    pub(super) fn restrict_joining(
        &self,
        query: Box<dyn Query>,
        request: &SearchRequest,
        prepared: &Prepared,
    ) -> BooleanQuery {
        let filters = self.filters(request).into_iter().chain(prepared.required.iter().map(|q| q.box_clone()));
        self.restrict(query, filters.collect(), &prepared.built.excluded)
    }

    /// What the ranking's two phases need for a prepared request.
    pub(super) fn phases<'a>(
        &self,
        searcher: &'a Searcher,
        request: &'a SearchRequest,
        prepared: &'a Prepared,
        first_phase: &'a BooleanQuery,
        restrict: &'a dyn Fn(Box<dyn Query>) -> BooleanQuery,
        normalized: &'a str,
    ) -> Result<rank::pipeline::Phases<'a>, Error> {
        let named = match &prepared.named {
            Some(named) => self.named_address(searcher, &restrict(named.article.box_clone()))?,
            None => None,
        };
        Ok(rank::pipeline::Phases {
            searcher,
            query: first_phase,
            restrict,
            plan: &prepared.built.plan,
            context: rank::features::Context {
                text: normalized,
                regions: &request.regions,
                today: date_number(Some(self.clock.today())),
            },
            named,
            want: request.page * request.per_page,
        })
    }

    /// The unit `article` finds: the article itself (第三百三十六条) before
    /// the ones inserted after it under the same number (第三百三十六条之一).
    pub(super) fn named_address(&self, searcher: &Searcher, article: &dyn Query) -> Result<Option<DocAddress>, Error> {
        let found = searcher.search(article, &TopDocs::with_limit(8).order_by_score())?;
        let mut best = None;
        for (_, address) in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let inserted = stored_text(&doc, self.fields.article).is_some_and(|label| label.contains('之'));
            if !inserted {
                return Ok(Some(address));
            }
            best.get_or_insert(address);
        }
        Ok(best)
    }

    /// The article a query names (消保法第五十五条): a query that puts it
    /// first and one for articles like it, and the rest of the query. The law
    /// is the longest end of the text before the number that is a known
    /// title or an abbreviation of one.
    pub(super) fn named_article(&self, query: &str) -> Result<Option<NamedArticle>, Error> {
        let Some(reference) = query::article_reference(query) else { return Ok(None) };
        let chars: Vec<char> = reference.law.chars().collect();
        let exact = (0..chars.len()).find_map(|start| {
            let candidate: String = chars[start..].iter().collect();
            let title = law_key(&self.analyzer.law_title(&candidate));
            self.law_ids.contains_key(&title).then_some((start, title))
        });
        let Some((start, titles)) =
            exact.map(|(start, title)| (start, vec![title])).or_else(|| self.shortened_title(&chars))
        else {
            return Ok(None);
        };
        // Of several titles the query may shorten, the first that has the
        // article it names.
        let searcher = self.reader.searcher();
        let mut found = None;
        for title in &titles {
            let article = self.article_query(title, reference.number);
            if let Some((_, address)) = searcher.search(&article, &TopDocs::with_limit(1).order_by_score())?.first() {
                found = Some((article, stored_text(&searcher.doc::<TantivyDocument>(*address)?, self.fields.body)));
                break;
            }
        }
        let (article, text) = found.unwrap_or_else(|| (self.article_query(&titles[0], reference.number), None));
        let like = text.map(|text| -> Box<dyn Query> {
            Box::new(
                MoreLikeThisQuery::builder()
                    .with_min_doc_frequency(2)
                    .with_min_term_frequency(1)
                    .with_min_word_length(2 * '法'.len_utf8())
                    .with_max_query_terms(LIKE_TERMS)
                    .with_document_fields(vec![(self.fields.body, vec![OwnedValue::Str(text)])]),
            )
        });
        let before: String = chars[..start].iter().collect();
        Ok(Some(NamedArticle { article, like, rest: format!("{before} {}", reference.after) }))
    }

    /// The units of article `number` of the law with title key `title`.
    fn article_query(&self, title: &str, number: u32) -> Box<dyn Query> {
        let term = |term: Term| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
        };
        Box::new(BooleanQuery::new(vec![
            term(Term::from_field_text(self.fields.title_key, title)),
            term(Term::from_field_i64(self.fields.article_number, i64::from(number))),
        ]))
    }

    /// The title that the end of `text` shortens by leaving characters out
    /// (家用汽车修理更换退货责任规定 for 家用汽车产品修理更换退货责任规定),
    /// when no end of it is a title or an abbreviation: the longest end of
    /// at least [`SHORTENED_MIN`] characters that ends as the title does (法,
    /// 规定, 解释 ...) and whose characters all appear in the title in order,
    /// but one in an end of [`SHORTENED_SPARE`] or more (预付式消费司法解释);
    /// of several titles, the [`TITLES_TRIED`] shortest, shortest first.
    ///
    /// 司法解释 is what people call any interpretation of the Supreme
    /// People's Court or Procuratorate, whatever its title ends with (解释,
    /// 规定, 批复): an end in 司法解释 after at least [`SUBJECT_MIN`]
    /// characters first looks among those for titles holding all of them
    /// in order (网络消费纠纷司法解释 is the 规定 on online consumer disputes).
    fn shortened_title(&self, text: &[char]) -> Option<(usize, Vec<String>)> {
        let shortest_first = |titles: &mut dyn Iterator<Item = &String>| {
            let mut titles: Vec<(usize, &String)> = titles.map(|title| (title.chars().count(), title)).collect();
            titles.sort_unstable();
            titles.truncate(TITLES_TRIED);
            (!titles.is_empty()).then(|| titles.into_iter().map(|(_, title)| title.clone()).collect::<Vec<_>>())
        };
        (0..(text.len() + 1).saturating_sub(SHORTENED_MIN)).find_map(|start| {
            let end = &text[start..];
            if let Some(subject) = end.strip_suffix(JUDICIAL_INTERPRETATION.as_slice())
                && subject.len() >= SUBJECT_MIN
            {
                let interpretations = shortest_first(
                    &mut self
                        .law_ids
                        .keys()
                        .filter(|title| title.starts_with("最高人民") && missing_in_order(subject, title) == 0),
                );
                if let Some(titles) = interpretations {
                    return Some((start, titles));
                }
            }
            let spare = usize::from(end.len() >= SHORTENED_SPARE);
            let last = end[end.len() - 1];
            shortest_first(
                &mut self.law_ids.keys().filter(|title| title.ends_with(last) && missing_in_order(end, title) <= spare),
            )
            .map(|titles| (start, titles))
        })
    }

    /// Units that are public now: scheduled ones only from their publish
    /// time. `None` when no unit is scheduled: all are public.
    pub(super) fn visible(&self) -> Option<Box<dyn Query>> {
        if !self.scheduled.load(Ordering::Relaxed) {
            return None;
        }
        let now = self.clock.utc().timestamp();
        Some(Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(self.fields.visible_from, now)),
        )))
    }

    pub(super) fn filters(&self, request: &SearchRequest) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut filters = Vec::new();
        let mut any_of = |field: Field, values: Vec<&str>| {
            if !values.is_empty() {
                let clauses = values
                    .into_iter()
                    .map(|v| {
                        let term = TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic);
                        (Occur::Should, Box::new(term) as Box<dyn Query>)
                    })
                    .collect();
                filters.push(Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>);
            }
        };
        any_of(f.kind, request.kinds.iter().map(|k| k.as_str()).collect());
        any_of(f.level, request.levels.iter().map(|l| l.as_str()).collect());
        any_of(f.status, request.statuses.iter().map(|s| s.as_str()).collect());
        any_of(f.tags, request.tags.iter().map(String::as_str).collect());
        let mut regions: Vec<&str> = request.regions.iter().map(String::as_str).collect();
        if !regions.is_empty() {
            regions.push(NATIONWIDE);
        }
        any_of(f.regions, regions);
        if request.from.is_some() || request.to.is_some() {
            let bound = |date: Option<NaiveDate>| match date {
                Some(d) => Bound::Included(Term::from_field_i64(f.date, date_number(Some(d)))),
                None => Bound::Unbounded,
            };
            let lower = match request.from {
                Some(_) => bound(request.from),
                None => Bound::Excluded(Term::from_field_i64(f.date, 0)), // undated units never match a range
            };
            filters.push(Box::new(RangeQuery::new(lower, bound(request.to))));
        }
        filters
    }
}

/// Fewest characters a shortened title keeps ([`Engine::shortened_title`]).
const SHORTENED_MIN: usize = 5;
/// Length from which a shortened title may hold one character its title
/// lacks (司 of 司法解释).
const SHORTENED_SPARE: usize = 8;
/// How many of the titles a query may shorten are looked in for the
/// article it names, the shortest first ([`Engine::shortened_title`]):
/// each is a search.
const TITLES_TRIED: usize = 8;
/// Fewest characters before 司法解释 that name an interpretation's subject
/// (民间借贷; 最新司法解释 names none).
const SUBJECT_MIN: usize = 4;
/// The common name of the interpretations of the Supreme People's Court
/// and Procuratorate ([`Engine::shortened_title`]).
const JUDICIAL_INTERPRETATION: [char; 4] = ['司', '法', '解', '释'];

/// How many characters of `text` are not found in `title` in order, each
/// looked for after the last one found.
fn missing_in_order(text: &[char], title: &str) -> usize {
    let mut rest = title.chars();
    let mut missing = 0;
    for c in text {
        let mut probe = rest.clone();
        if probe.any(|t| t == *c) {
            rest = probe;
        } else {
            missing += 1;
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::missing_in_order;

    #[test]
    fn characters_missing_in_order_are_counted() {
        let text = |t: &str| t.chars().collect::<Vec<char>>();
        assert_eq!(missing_in_order(&text("家用汽车修理更换退货责任规定"), "家用汽车产品修理更换退货责任规定"), 0);
        assert_eq!(
            missing_in_order(
                &text("预付式消费司法解释"),
                "最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释"
            ),
            1
        );
        assert_eq!(missing_in_order(&text("规定责任"), "责任规定"), 2, "order counts: 责任 comes before 规定");
        assert_eq!(missing_in_order(&text(""), "消费者权益保护法"), 0);
    }
}
