//! The aggregates staff read, for a date range (days of the configured
//! zone, both ends included) and optionally one region.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::Error;
use crate::db::sql::{Dialect, Executor, Row, Value};

/// Rows in each list at most.
pub const ROWS: usize = 50;
/// Days of one volume chart at most; a longer range shows its last days.
const MAX_DAYS: i64 = 366;
/// Where a calendar day of `zone` starts, as a stored UTC time: the bound
/// of a range scan on the `at` indexes.
fn start_of(zone: Tz, day: NaiveDate) -> String {
    crate::db::stamp(weiquan_core::clock::start_of(zone, day))
}

/// The stored times of the days `from` to `to`: (first, past the last).
fn span(zone: Tz, from: NaiveDate, to: NaiveDate) -> (String, String) {
    (start_of(zone, from), start_of(zone, to + Duration::days(1)))
}

/// Whose searches a report counts. Other systems calling the API search
/// by the hundred; counted with people, their words would be the rising
/// topics and nobody would seem to open a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// People: the website and the kiosks (the default).
    #[default]
    Consumers,
    /// Other systems, through the API.
    Api,
}

impl Source {
    /// `consumers` or `api`, as the staff pages' addresses carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Consumers => "consumers",
            Source::Api => "api",
        }
    }

    /// The source an address names; anything else is the default.
    pub fn parse(text: &str) -> Source {
        if text == Source::Api.as_str() { Source::Api } else { Source::Consumers }
    }

    /// The condition on a search `s` of this source.
    fn condition(self) -> String {
        let api = super::Channel::Api.columns().0;
        match self {
            Source::Consumers => format!("s.channel != '{api}'"),
            Source::Api => format!("s.channel = '{api}'"),
        }
    }
}

/// Which searches a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only searches made for this region (kiosks of it, or a region filter).
    pub region: Option<String>,
    /// The zone whose calendar days `from` and `to` are.
    pub zone: Tz,
    /// Whose searches: every figure follows it but the searches by channel,
    /// which show every channel.
    pub source: Source,
}

impl Filter {
    /// The searches `s` of the filter: `?1` and `?2` from [`span`], `?3`
    /// region or NULL, and the source.
    fn searches(&self) -> String {
        format!("{IN_RANGE} AND {}", self.source.condition())
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Totals {
    pub searches: u64,
    /// Searches that found nothing.
    pub zero_results: u64,
    /// Searches after which no result was opened.
    pub unopened: u64,
    /// Results opened from these searches.
    pub opens: u64,
    pub helpful: u64,
    pub unhelpful: u64,
}

/// One normalised query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRow {
    pub query: String,
    pub searches: u64,
    pub zero_results: u64,
    /// Searches after which at least one result was opened.
    pub opened: u64,
    pub mean_results: f64,
}

/// A topic (a word of the queries) searched more in the last 7 days than in
/// an average week of the four before.
#[derive(Debug, Clone, PartialEq)]
pub struct Rising {
    pub topic: String,
    pub this_week: u64,
    /// Searches per week over the four weeks before.
    pub earlier_weekly: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRow {
    pub doc: String,
    pub opens: u64,
    /// Mean position in the result list, from 1.
    pub mean_position: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    /// `web`, `api` or `kiosk`.
    pub channel: String,
    pub kiosk: Option<String>,
    pub searches: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRow {
    pub doc: String,
    pub helpful: u64,
    pub unhelpful: u64,
    /// Comments, newest first: (time, helpful, text).
    pub comments: Vec<(String, bool, String)>,
}

/// Everything `/admin/insights` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub filter: Filter,
    pub totals: Totals,
    pub top_queries: Vec<QueryRow>,
    /// Queries with no results (those first), or whose results nobody opened.
    pub failing: Vec<QueryRow>,
    pub rising: Vec<Rising>,
    pub documents: Vec<DocumentRow>,
    pub channels: Vec<ChannelRow>,
    /// Searches per day, every day of the range.
    pub volume: Vec<(NaiveDate, u64)>,
    pub feedback: Vec<FeedbackRow>,
    /// Regions seen in the range, for the filter's choices.
    pub regions: Vec<String>,
}

pub(super) fn build(db: &dyn Executor, filter: &Filter) -> Result<Report, Error> {
    // One pass over the searches gives every query's figures; the totals,
    // the top list and the failing list are cut from it.
    let queries = queries(db, filter)?;
    let documents = documents(db, filter)?;
    let (helpful, unhelpful) = feedback_totals(db, filter)?;
    let totals = Totals {
        searches: queries.iter().map(|q| q.searches).sum(),
        zero_results: queries.iter().map(|q| q.zero_results).sum(),
        unopened: queries.iter().map(|q| q.searches - q.opened).sum(),
        opens: documents.iter().map(|d| d.opens).sum(),
        helpful,
        unhelpful,
    };
    let mut failing: Vec<QueryRow> = queries.iter().filter(|q| q.zero_results > 0 || q.opened == 0).cloned().collect();
    // Queries that found nothing first: the plainest gaps.
    failing.sort_by(|a, b| {
        b.zero_results.cmp(&a.zero_results).then(b.searches.cmp(&a.searches)).then(a.query.cmp(&b.query))
    });
    failing.truncate(ROWS);
    Ok(Report {
        filter: filter.clone(),
        totals,
        top_queries: queries.into_iter().take(ROWS).collect(),
        failing,
        rising: rising(db, filter)?,
        documents: documents.into_iter().take(ROWS).collect(),
        channels: channels(db, filter)?,
        volume: volume(db, filter)?,
        feedback: feedback(db, filter)?,
        regions: regions(db, filter)?,
    })
}

/// Searches `s` of the dates and region of the filter, from every source:
/// `?1` and `?2` from [`span`], `?3` region or NULL (cast, since PostgreSQL
/// cannot tell the type of a parameter that is only tested for NULL).
const IN_RANGE: &str = "s.at >= ?1 AND s.at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR s.region = ?3)";
/// Whether a result of search `s` was opened, as 1 or 0. An open comes
/// after its search, so the opens since the range's start (`?1`) are all
/// that can match: both databases read them once into a set and look each
/// search up in it, rather than probe the opens once per search (which made
/// PostgreSQL's 180-day report 2.0 s instead of 0.4 s).
const OPENED: &str = "CASE WHEN s.search_ref IN (SELECT o.search_ref FROM opens o WHERE o.at >= ?1) THEN 1 ELSE 0 END";

/// The searches `s` joined to `table`: joins start from the searches in
/// the range (found by the `at` index) and look up their topics or opens
/// by reference. SQLite is told so with CROSS JOIN, which keeps it from
/// scanning the whole other table first; PostgreSQL plans it unaided.
fn searches_then(db: &dyn Executor, table: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("searches s CROSS JOIN {table}"),
        Dialect::Postgres => format!("searches s JOIN {table}"),
    }
}

/// The parameters of [`IN_RANGE`].
fn range_params(filter: &Filter, from: NaiveDate, to: NaiveDate) -> [Value; 3] {
    let (start, end) = span(filter.zone, from, to);
    [start.into(), end.into(), filter.region.clone().into()]
}

/// Column `i` as a count.
fn count(row: &Row, i: usize) -> Result<u64, Error> {
    Ok(u64::try_from(row.int(i)?).unwrap_or(0))
}

/// `sum / n`, or 0 when there is nothing to divide.
fn mean(sum: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { sum as f64 / n as f64 }
}

fn feedback_totals(db: &dyn Executor, filter: &Filter) -> Result<(u64, u64), Error> {
    let [start, end, _] = range_params(filter, filter.from, filter.to);
    let rows = db.query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(helpful), 0) AS BIGINT) FROM feedback WHERE at >= ?1 AND at < ?2",
        &[start, end],
    )?;
    let (all, helpful) = (count(&rows[0], 0)?, count(&rows[0], 1)?);
    Ok((helpful, all - helpful))
}

/// Every query of the filter, most searched first.
fn queries(db: &dyn Executor, filter: &Filter) -> Result<Vec<QueryRow>, Error> {
    let in_filter = filter.searches();
    let sql = format!(
        "SELECT s.query, COUNT(*) AS n, SUM(CASE WHEN s.results = 0 THEN 1 ELSE 0 END), SUM({OPENED}), \
         CAST(SUM(s.results) AS BIGINT) \
         FROM searches s WHERE {in_filter} GROUP BY s.query ORDER BY n DESC, s.query"
    );
    let rows = db.query(&sql, &range_params(filter, filter.from, filter.to))?;
    rows.iter()
        .map(|row| {
            let searches = count(row, 1)?;
            Ok(QueryRow {
                query: row.text(0)?.to_owned(),
                searches,
                zero_results: count(row, 2)?,
                opened: count(row, 3)?,
                mean_results: mean(count(row, 4)?, searches),
            })
        })
        .collect()
}

/// This week is the 7 days ending with `filter.to`; the four weeks before
/// it are the baseline. A topic rises when searches about it were at least
/// two this week and more than in an average earlier week.
fn rising(db: &dyn Executor, filter: &Filter) -> Result<Vec<Rising>, Error> {
    let week_start = filter.to - Duration::days(6);
    let earlier_start = week_start - Duration::days(28);
    let in_filter = filter.searches();
    let joined = searches_then(db, "topics t ON t.search_ref = s.search_ref");
    let sql = format!(
        "SELECT topic, this_week, earlier FROM ( \
         SELECT t.topic AS topic, SUM(CASE WHEN s.at >= ?4 THEN 1 ELSE 0 END) AS this_week, \
         SUM(CASE WHEN s.at < ?4 THEN 1 ELSE 0 END) AS earlier \
         FROM {joined} WHERE {in_filter} GROUP BY t.topic) AS weeks \
         WHERE this_week >= 2 AND this_week * 4 > earlier \
         ORDER BY this_week * 4 - earlier DESC, topic LIMIT {ROWS}"
    );
    let [start, end, region] = range_params(filter, earlier_start, filter.to);
    let rows = db.query(&sql, &[start, end, region, start_of(filter.zone, week_start).into()])?;
    rows.iter()
        .map(|row| {
            Ok(Rising {
                topic: row.text(0)?.to_owned(),
                this_week: count(row, 1)?,
                earlier_weekly: count(row, 2)? as f64 / 4.0,
            })
        })
        .collect()
}

/// Every opened document of the filter, most opened first.
fn documents(db: &dyn Executor, filter: &Filter) -> Result<Vec<DocumentRow>, Error> {
    let in_filter = filter.searches();
    let joined = searches_then(db, "opens o ON o.search_ref = s.search_ref");
    let sql = format!(
        "SELECT o.doc, COUNT(*) AS n, CAST(SUM(o.position) AS BIGINT) FROM {joined} WHERE {in_filter} \
         GROUP BY o.doc ORDER BY n DESC, o.doc"
    );
    let rows = db.query(&sql, &range_params(filter, filter.from, filter.to))?;
    rows.iter()
        .map(|row| {
            let opens = count(row, 1)?;
            Ok(DocumentRow { doc: row.text(0)?.to_owned(), opens, mean_position: mean(count(row, 2)?, opens) })
        })
        .collect()
}

/// Searches by channel, from every source: the API shows beside the rest.
fn channels(db: &dyn Executor, filter: &Filter) -> Result<Vec<ChannelRow>, Error> {
    let sql = format!(
        "SELECT s.channel, s.kiosk, COUNT(*) AS n FROM searches s WHERE {IN_RANGE} \
         GROUP BY s.channel, s.kiosk ORDER BY n DESC, s.channel, s.kiosk"
    );
    let rows = db.query(&sql, &range_params(filter, filter.from, filter.to))?;
    rows.iter()
        .map(|row| {
            let kiosk = row.optional_text(1)?.map(str::to_owned);
            Ok(ChannelRow { channel: row.text(0)?.to_owned(), kiosk, searches: count(row, 2)? })
        })
        .collect()
}

/// Searches per day: one range count on the `at` index per day, since a
/// day's bounds in the zone (daylight saving, half-hour offsets) are not
/// something the databases' date functions are told.
fn volume(db: &dyn Executor, filter: &Filter) -> Result<Vec<(NaiveDate, u64)>, Error> {
    let from = filter.from.max(filter.to - Duration::days(MAX_DAYS - 1));
    let sql = format!("SELECT COUNT(*) FROM searches s WHERE {}", filter.searches());
    from.iter_days()
        .take_while(|day| *day <= filter.to)
        .map(|day| Ok((day, count(&db.query(&sql, &range_params(filter, day, day))?[0], 0)?)))
        .collect()
}

fn feedback(db: &dyn Executor, filter: &Filter) -> Result<Vec<FeedbackRow>, Error> {
    let [start, end, _] = range_params(filter, filter.from, filter.to);
    let rows = db.query(
        &format!(
            "SELECT doc, CAST(SUM(helpful) AS BIGINT) AS yes, CAST(SUM(1 - helpful) AS BIGINT) AS no \
             FROM feedback WHERE at >= ?1 AND at < ?2 GROUP BY doc ORDER BY no DESC, yes DESC, doc LIMIT {ROWS}"
        ),
        &[start.clone(), end.clone()],
    )?;
    rows.iter()
        .map(|row| {
            let doc = row.text(0)?.to_owned();
            let comments = db
                .query(
                    "SELECT at, helpful, comment FROM feedback WHERE doc = ?1 AND comment != '' \
                     AND at >= ?2 AND at < ?3 ORDER BY at DESC, id DESC LIMIT 10",
                    &[doc.as_str().into(), start.clone(), end.clone()],
                )?
                .iter()
                .map(|c| Ok((c.text(0)?.to_owned(), c.bool(1)?, c.text(2)?.to_owned())))
                .collect::<Result<_, Error>>()?;
            Ok(FeedbackRow { doc, helpful: count(row, 1)?, unhelpful: count(row, 2)?, comments })
        })
        .collect()
}

fn regions(db: &dyn Executor, filter: &Filter) -> Result<Vec<String>, Error> {
    let [start, end, _] = range_params(filter, filter.from, filter.to);
    let rows = db.query(
        "SELECT DISTINCT region FROM searches WHERE region IS NOT NULL AND at >= ?1 AND at < ?2 ORDER BY region",
        &[start, end],
    )?;
    rows.iter().map(|row| Ok(row.text(0)?.to_owned())).collect()
}
