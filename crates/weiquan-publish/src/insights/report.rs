//! The aggregates staff read, for a date range (days of the configured
//! zone, both ends included) and optionally one region.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use rusqlite::{Connection, params};

use super::Error;

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

pub(super) fn build(conn: &Connection, filter: &Filter) -> Result<Report, Error> {
    // One pass over the searches gives every query's figures; the totals,
    // the top list and the failing list are cut from it.
    let queries = queries(conn, filter)?;
    let documents = documents(conn, filter)?;
    let (helpful, unhelpful) = feedback_totals(conn, filter)?;
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
        rising: rising(conn, filter)?,
        documents: documents.into_iter().take(ROWS).collect(),
        channels: channels(conn, filter)?,
        volume: volume(conn, filter)?,
        feedback: feedback(conn, filter)?,
        regions: regions(conn, filter)?,
    })
}

/// Searches `s` of the dates and region of the filter, from every source:
/// `?1` and `?2` from [`span`], `?3` region or NULL.
const IN_RANGE: &str = "s.at >= ?1 AND s.at < ?2 AND (?3 IS NULL OR s.region = ?3)";
/// Joins start from the searches in the range (found by the `at` index) and
/// look up their topics or opens by reference; CROSS JOIN keeps SQLite from
/// scanning the whole other table first.
const SEARCHES_THEN: &str = "searches s CROSS JOIN";
/// Whether a result of search `s` was opened.
const OPENED: &str = "EXISTS (SELECT 1 FROM opens o WHERE o.search_ref = s.search_ref)";

fn feedback_totals(conn: &Connection, filter: &Filter) -> Result<(u64, u64), Error> {
    let (start, end) = span(filter.zone, filter.from, filter.to);
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(NOT helpful), 0) FROM feedback WHERE at >= ?1 AND at < ?2",
        params![start, end],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )?)
}

/// Every query of the filter, most searched first.
fn queries(conn: &Connection, filter: &Filter) -> Result<Vec<QueryRow>, Error> {
    let in_filter = filter.searches();
    let sql = format!(
        "SELECT s.query, COUNT(*) AS n, SUM(s.results = 0), SUM({OPENED}), AVG(s.results) \
         FROM searches s WHERE {in_filter} GROUP BY s.query ORDER BY n DESC, s.query"
    );
    let mut statement = conn.prepare(&sql)?;
    let (start, end) = span(filter.zone, filter.from, filter.to);
    let rows = statement.query_map(params![start, end, filter.region], |row| {
        Ok(QueryRow {
            query: row.get(0)?,
            searches: row.get::<_, i64>(1)? as u64,
            zero_results: row.get::<_, i64>(2)? as u64,
            opened: row.get::<_, i64>(3)? as u64,
            mean_results: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// This week is the 7 days ending with `filter.to`; the four weeks before
/// it are the baseline. A topic rises when searches about it were at least
/// two this week and more than in an average earlier week.
fn rising(conn: &Connection, filter: &Filter) -> Result<Vec<Rising>, Error> {
    let week_start = filter.to - Duration::days(6);
    let earlier_start = week_start - Duration::days(28);
    let in_filter = filter.searches();
    let sql = format!(
        "SELECT t.topic, SUM(s.at >= ?4) AS this_week, SUM(s.at < ?4) AS earlier \
         FROM {SEARCHES_THEN} topics t ON t.search_ref = s.search_ref WHERE {in_filter} \
         GROUP BY t.topic HAVING this_week >= 2 AND this_week * 4 > earlier \
         ORDER BY this_week * 4 - earlier DESC, t.topic LIMIT {ROWS}"
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map(
        params![
            start_of(filter.zone, earlier_start),
            span(filter.zone, filter.from, filter.to).1,
            filter.region,
            start_of(filter.zone, week_start)
        ],
        |row| {
            Ok(Rising {
                topic: row.get(0)?,
                this_week: row.get::<_, i64>(1)? as u64,
                earlier_weekly: row.get::<_, i64>(2)? as f64 / 4.0,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every opened document of the filter, most opened first.
fn documents(conn: &Connection, filter: &Filter) -> Result<Vec<DocumentRow>, Error> {
    let in_filter = filter.searches();
    let sql = format!(
        "SELECT o.doc, COUNT(*) AS n, AVG(o.position) FROM {SEARCHES_THEN} opens o ON o.search_ref = s.search_ref \
         WHERE {in_filter} \
         GROUP BY o.doc ORDER BY n DESC, o.doc"
    );
    let mut statement = conn.prepare(&sql)?;
    let (start, end) = span(filter.zone, filter.from, filter.to);
    let rows = statement.query_map(params![start, end, filter.region], |row| {
        Ok(DocumentRow { doc: row.get(0)?, opens: row.get::<_, i64>(1)? as u64, mean_position: row.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Searches by channel, from every source: the API shows beside the rest.
fn channels(conn: &Connection, filter: &Filter) -> Result<Vec<ChannelRow>, Error> {
    let sql = format!(
        "SELECT s.channel, s.kiosk, COUNT(*) AS n FROM searches s WHERE {IN_RANGE} \
         GROUP BY s.channel, s.kiosk ORDER BY n DESC, s.channel, s.kiosk"
    );
    let mut statement = conn.prepare(&sql)?;
    let (start, end) = span(filter.zone, filter.from, filter.to);
    let rows = statement.query_map(params![start, end, filter.region], |row| {
        Ok(ChannelRow { channel: row.get(0)?, kiosk: row.get(1)?, searches: row.get::<_, i64>(2)? as u64 })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Searches per day: one range count on the `at` index per day, since a
/// day's bounds in the zone (daylight saving, half-hour offsets) are not
/// something SQLite's date functions know.
fn volume(conn: &Connection, filter: &Filter) -> Result<Vec<(NaiveDate, u64)>, Error> {
    let from = filter.from.max(filter.to - Duration::days(MAX_DAYS - 1));
    let mut statement = conn.prepare(&format!("SELECT COUNT(*) FROM searches s WHERE {}", filter.searches()))?;
    from.iter_days()
        .take_while(|day| *day <= filter.to)
        .map(|day| {
            let (start, end) = span(filter.zone, day, day);
            let count: i64 = statement.query_row(params![start, end, filter.region], |row| row.get(0))?;
            Ok((day, count as u64))
        })
        .collect()
}

fn feedback(conn: &Connection, filter: &Filter) -> Result<Vec<FeedbackRow>, Error> {
    let (start, end) = span(filter.zone, filter.from, filter.to);
    let mut statement = conn.prepare(&format!(
        "SELECT doc, SUM(helpful) AS yes, SUM(NOT helpful) AS no FROM feedback WHERE at >= ?1 AND at < ?2 \
         GROUP BY doc ORDER BY no DESC, yes DESC, doc LIMIT {ROWS}"
    ))?;
    let mut rows: Vec<FeedbackRow> = statement
        .query_map(params![start, end], |row| {
            Ok(FeedbackRow {
                doc: row.get(0)?,
                helpful: row.get::<_, i64>(1)? as u64,
                unhelpful: row.get::<_, i64>(2)? as u64,
                comments: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut comments = conn.prepare(
        "SELECT at, helpful, comment FROM feedback WHERE doc = ?1 AND comment != '' AND at >= ?2 AND at < ?3 \
         ORDER BY at DESC, id DESC LIMIT 10",
    )?;
    for row in &mut rows {
        row.comments = comments
            .query_map(params![row.doc, start, end], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
    }
    Ok(rows)
}

fn regions(conn: &Connection, filter: &Filter) -> Result<Vec<String>, Error> {
    let (start, end) = span(filter.zone, filter.from, filter.to);
    let mut statement = conn.prepare(
        "SELECT DISTINCT region FROM searches WHERE region IS NOT NULL AND at >= ?1 AND at < ?2 ORDER BY region",
    )?;
    let rows = statement.query_map(params![start, end], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
