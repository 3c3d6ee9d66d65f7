//! What consumers search for and where the knowledge base fails them:
//! searches, opened results and "was this helpful" answers, kept beside the
//! staff tables (the SQLite file, or the PostgreSQL server several machines
//! share: [`crate::db::database`]), and the aggregates staff read.
//!
//! Nothing personal is kept. A search row holds the time, the normalised
//! query, the number of results, the channel (web, API or a kiosk's id), the
//! region searched for when there was one, and a random reference that is
//! put into the result links so an opened result can be tied to its search;
//! and the query's words (its topics), for rising topics.
//! No IP address, no cookie, no account. Rows older than the retention
//! period are purged. One opened result is counted per search, so a result
//! link replayed many times counts once.
//!
//! Visitors choose what they send, so what is recorded is bounded
//! ([`Limits`]): only known regions, and at most so many searches per
//! client address a day ([`quota`]).
//!
//! Recording never slows a search: events go through a bounded channel to a
//! writer thread that inserts them in batches; when the channel is full the
//! event is dropped and counted, as are the events of a batch the database
//! refused (a server restarting).

pub mod export;
mod quota;
pub mod report;
mod writer;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};

use chrono::{DateTime, Duration, Utc};

use crate::db::database::{Database, Fault, OpenError, Target};
use crate::db::sql::{SqlError, Value};
use crate::db::{random_hex, stamp};

pub use report::{Filter, Report, Source};

/// Days rows are kept when nothing is configured.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;
/// Regions recorded when none are configured: nationwide and China's 34
/// provincial-level regions, by the short names the content uses (北京, not
/// 北京市).
pub const DEFAULT_REGIONS: [&str; 35] = [
    "全国",
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];
/// Searches recorded per client address per day when nothing is configured:
/// far more than a person or a busy kiosk makes, far less than a flood.
pub const DEFAULT_SEARCHES_PER_ADDRESS: u32 = 1000;
/// Longest query kept, in characters.
const MAX_QUERY_CHARS: usize = 100;
/// Longest feedback comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 200;
/// Events waiting for the writer before new ones are dropped.
const QUEUE: usize = 10_000;

/// Where a search came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
    Kiosk(String),
}

impl Channel {
    fn columns(&self) -> (&'static str, Option<&str>) {
        match self {
            Channel::Web => ("web", None),
            Channel::Api => ("api", None),
            Channel::Kiosk(id) => ("kiosk", Some(id)),
        }
    }
}

/// One search as recorded.
#[derive(Debug, Clone)]
pub struct Search {
    pub at: DateTime<Utc>,
    pub query: String,
    pub results: u64,
    pub channel: Channel,
    pub region: Option<String>,
    pub search_ref: String,
    /// The words the query is about (from the search engine), counted for
    /// rising topics.
    pub topics: Vec<String>,
}

/// A result opened from a search's result list (position counts from 1).
#[derive(Debug, Clone)]
pub struct Open {
    pub at: DateTime<Utc>,
    pub search_ref: String,
    pub position: u32,
    pub doc: String,
}

/// A "这条内容对您有帮助吗？" answer.
#[derive(Debug, Clone)]
pub struct Feedback {
    pub at: DateTime<Utc>,
    pub doc: String,
    pub helpful: bool,
    pub comment: String,
}

#[derive(Debug)]
pub(super) enum Event {
    Search(Search),
    Open(Open),
    Feedback(Feedback),
    /// Answered once the events before it are written.
    Flush(SyncSender<()>),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the insights tables: {0}")]
    Open(#[from] OpenError),
    #[error("insights database: {0}")]
    Sql(#[from] SqlError),
    #[error("cannot start the insights writer: {0}")]
    Writer(std::io::Error),
}

impl Fault for Error {
    /// Whether the database server could not be reached (it may be asked
    /// again shortly).
    fn is_unavailable(&self) -> bool {
        matches!(self, Error::Sql(SqlError::Unavailable(_)))
    }
}

/// What visitors can make the store record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Regions recorded as given; a search for any other region is recorded
    /// without one, so junk cannot reach the staff's region list.
    pub regions: BTreeSet<String>,
    /// Searches recorded per client address per day; 0: no cap.
    pub searches_per_address: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            regions: DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect(),
            searches_per_address: DEFAULT_SEARCHES_PER_ADDRESS,
        }
    }
}

/// The insights store: records events in the background, answers reports.
pub struct Insights {
    sender: SyncSender<Event>,
    /// For reports and purges; the writer thread has its own connection.
    reader: Database,
    /// Events not written: the queue was full, or the database refused them.
    dropped: Arc<AtomicU64>,
    retention_days: u32,
    regions: BTreeSet<String>,
    quota: quota::DailyQuota,
    /// Searches not recorded because their address reached the daily cap.
    capped: AtomicU64,
}

impl Insights {
    /// Opens the database `target` names (a SQLite file is created when
    /// missing; either is migrated, the insights tables being one of the
    /// steps), and starts the writer thread on a connection of its own.
    pub fn open(target: &Target, retention_days: u32) -> Result<Insights, Error> {
        let writer = Database::open(target)?;
        let reader = Database::open(target)?;
        let dropped = Arc::new(AtomicU64::new(0));
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let lost = dropped.clone();
        std::thread::Builder::new()
            .name("insights-writer".into())
            .spawn(move || writer::write_events(&writer, receiver, &lost))
            .map_err(Error::Writer)?;
        let limits = Limits::default();
        Ok(Insights {
            sender,
            reader,
            dropped,
            retention_days,
            regions: limits.regions,
            quota: quota::DailyQuota::new(limits.searches_per_address),
            capped: AtomicU64::new(0),
        })
    }

    /// The same store recording within `limits`.
    pub fn with_limits(self, limits: Limits) -> Insights {
        Insights { regions: limits.regions, quota: quota::DailyQuota::new(limits.searches_per_address), ..self }
    }

    /// Records a search made from `client` (when known), unless that
    /// address already has its day's searches recorded; a region that is
    /// not a known one is left out. Tells whether the search was recorded.
    pub fn record_search(&self, search: Search, client: Option<IpAddr>) -> bool {
        if let Some(client) = client
            && !self.quota.take(client, search.at.date_naive())
        {
            self.capped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let region = search.region.filter(|region| self.regions.contains(region));
        self.send(Event::Search(Search { query: normalize_query(&search.query), region, ..search }));
        true
    }

    /// Records a result opened from a recorded search. Only the first open
    /// of each search counts: following the same link again (or another
    /// result of the same list) adds nothing, and a reference that names no
    /// recorded search is ignored.
    pub fn record_open(&self, open: Open) {
        self.send(Event::Open(open));
    }

    pub fn record_feedback(&self, feedback: Feedback) {
        let comment = weiquan_core::text::truncate_chars(feedback.comment.trim(), MAX_COMMENT_CHARS).to_string();
        self.send(Event::Feedback(Feedback { comment, ..feedback }));
    }

    /// Events dropped because the writer fell behind or the database
    /// refused them.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Searches not recorded because their address reached the daily cap.
    pub fn capped(&self) -> u64 {
        self.capped.load(Ordering::Relaxed)
    }

    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    fn send(&self, event: Event) {
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => tracing::warn!("the insights writer has stopped"),
        }
    }

    /// Deletes rows older than the retention period before `now`; returns
    /// how many were deleted.
    pub fn purge(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let cutoff = Value::from(stamp(now - Duration::days(i64::from(self.retention_days))));
        let mut deleted = 0;
        for table in ["searches", "topics", "opens", "feedback"] {
            let sql = format!("DELETE FROM {table} WHERE at < ?1");
            deleted += self.reader.read(|db| db.execute(&sql, std::slice::from_ref(&cutoff)))?;
        }
        Ok(deleted as usize)
    }

    /// The aggregates for `filter`.
    pub fn report(&self, filter: &Filter) -> Result<Report, Error> {
        self.reader.read(|db| report::build(db, filter))
    }

    /// Waits until every event sent so far is written (tests read the
    /// tables right after a request).
    pub fn flush(&self) {
        let (done, written) = std::sync::mpsc::sync_channel(1);
        if self.sender.send(Event::Flush(done)).is_ok() {
            let _ = written.recv();
        }
    }
}

/// A query as it is counted: normalised (simplified characters, half-width,
/// lower case), runs of spaces made one, at most 100 characters.
pub fn normalize_query(query: &str) -> String {
    let normalized = weiquan_core::text::normalize(query);
    let joined = normalized.split_whitespace().collect::<Vec<_>>().join(" ");
    weiquan_core::text::truncate_chars(&joined, MAX_QUERY_CHARS).to_string()
}

/// A new random reference for a search, put into its result links.
pub fn new_search_ref() -> String {
    random_hex(8).expect("the system's random source works")
}

/// Whether `text` could be a reference made by [`new_search_ref`].
pub fn is_search_ref(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::Dialect;
    use chrono::{Datelike, NaiveDate, TimeZone};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn search(insights: &Insights, when: &str, query: &str, results: u64, channel: Channel, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                let search_ref = new_search_ref();
                insights.record_search(
                    Search {
                        at: at(when),
                        query: query.to_string(),
                        results,
                        region: matches!(channel, Channel::Kiosk(_)).then(|| "上海".to_string()),
                        channel: channel.clone(),
                        search_ref: search_ref.clone(),
                        topics: normalize_query(query).split(' ').map(String::from).collect(),
                    },
                    None,
                );
                search_ref
            })
            .collect()
    }

    /// Runs `test` on insights in a fresh SQLite file, then in a fresh
    /// PostgreSQL schema ([`crate::db::postgres::testing`]).
    fn on_both(name: &str, test: impl Fn(&Insights)) {
        let dir = tempfile::tempdir().unwrap();
        test(&Insights::open(&Target::File(dir.path().join(crate::db::FILE)), 180).unwrap());
        if let Some(server) = crate::db::postgres::testing::config(name) {
            test(&Insights::open(&Target::Server(Box::new(server)), 180).unwrap());
        }
    }

    /// The first column of every row of `sql`, as the tests read it back.
    fn column(insights: &Insights, sql: &str) -> Vec<Value> {
        let rows = insights.reader.read(|db| db.query(sql, &[])).unwrap();
        rows.into_iter().map(|row| row.0[0].clone()).collect()
    }

    /// A month of searches: 预付卡 rising, 直播 退款 finding nothing, 网购 退货
    /// answered and opened, 健身卡 from a kiosk in 上海.
    fn seed(insights: &Insights) {
        // One earlier search a week for four weeks (Beijing days 10-25 to 11-21).
        for day in ["2026-10-26T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-09T02:00:00Z", "2026-11-16T02:00:00Z"] {
            search(insights, day, "預付卡", 12, Channel::Web, 1);
        }
        // This week (11-22 to 11-28): 17:00 UTC on 11-21 is 01:00 on 11-22 in Beijing.
        search(insights, "2026-11-21T17:00:00Z", "预付卡", 12, Channel::Web, 1);
        search(insights, "2026-11-27T03:00:00Z", "  预付卡 ", 12, Channel::Web, 4);
        search(insights, "2026-11-26T03:00:00Z", "直播  退款", 0, Channel::Api, 3);
        let opened = search(insights, "2026-11-25T03:00:00Z", "网购 退货", 10, Channel::Web, 2);
        for (search_ref, position) in opened.iter().zip([1, 3]) {
            insights.record_open(Open {
                at: at("2026-11-25T03:01:00Z"),
                search_ref: search_ref.clone(),
                position,
                doc: "laws/consumer".into(),
            });
        }
        search(insights, "2026-11-28T03:00:00Z", "健身卡", 4, Channel::Kiosk("mall-1".into()), 2);
        // Before the range, and old enough to be purged.
        search(insights, "2026-03-01T03:00:00Z", "预付卡", 12, Channel::Web, 1);
        for (helpful, comment) in [(true, ""), (true, "很清楚"), (false, "看不懂")] {
            insights.record_feedback(Feedback {
                at: at("2026-11-27T03:00:00Z"),
                doc: "warnings/prepaid-card".into(),
                helpful,
                comment: comment.into(),
            });
        }
        insights.flush();
    }

    fn filter(region: Option<&str>) -> Filter {
        Filter {
            from: NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            region: region.map(String::from),
            zone: weiquan_core::clock::DEFAULT_ZONE,
            source: Source::Consumers,
        }
    }

    #[test]
    fn aggregates_of_a_seeded_month_are_exact() {
        on_both("aggregates_of_a_seeded_month", aggregates_are_exact);
    }

    fn aggregates_are_exact(insights: &Insights) {
        seed(insights);
        // People's searches: the website's and the kiosk's, not the API's.
        let report = insights.report(&filter(None)).unwrap();
        let totals = &report.totals;
        assert_eq!(
            (totals.searches, totals.zero_results, totals.unopened, totals.opens, totals.helpful, totals.unhelpful),
            (13, 0, 11, 2, 2, 1)
        );
        let top: Vec<(&str, u64, u64, u64)> =
            report.top_queries.iter().map(|r| (r.query.as_str(), r.searches, r.zero_results, r.opened)).collect();
        assert_eq!(top, [("预付卡", 9, 0, 0), ("健身卡", 2, 0, 0), ("网购 退货", 2, 0, 2)]);
        let failing: Vec<&str> = report.failing.iter().map(|r| r.query.as_str()).collect();
        assert_eq!(failing, ["预付卡", "健身卡"]);
        let rising: Vec<(&str, u64, f64)> =
            report.rising.iter().map(|r| (r.topic.as_str(), r.this_week, r.earlier_weekly)).collect();
        assert_eq!(rising, [("预付卡", 5, 1.0), ("健身卡", 2, 0.0), ("网购", 2, 0.0), ("退货", 2, 0.0)]);
        assert_eq!(report.documents.len(), 1);
        assert_eq!((report.documents[0].opens, report.documents[0].mean_position), (2, 2.0));
        // Every channel shows in the searches by channel, the API too.
        let channels: Vec<(&str, Option<&str>, u64)> =
            report.channels.iter().map(|c| (c.channel.as_str(), c.kiosk.as_deref(), c.searches)).collect();
        assert_eq!(channels, [("web", None, 11), ("api", None, 3), ("kiosk", Some("mall-1"), 2)]);
        assert_eq!(report.volume.len(), 35);
        let day = |d: u32| report.volume.iter().find(|(day, _)| day.day() == d && day.month() == 11).unwrap().1;
        assert_eq!((day(21), day(22), day(26), day(27), day(28)), (0, 1, 0, 4, 2));
        assert_eq!(report.volume.iter().map(|(_, n)| n).sum::<u64>(), 13);
        let feedback = &report.feedback[0];
        assert_eq!((feedback.helpful, feedback.unhelpful), (2, 1));
        let comments: Vec<&str> = feedback.comments.iter().map(|(_, _, text)| text.as_str()).collect();
        assert_eq!(comments, ["看不懂", "很清楚"]);
        assert_eq!(report.regions, ["上海"]);

        // The API's searches, apart.
        let api = insights.report(&Filter { source: Source::Api, ..filter(None) }).unwrap();
        assert_eq!((api.totals.searches, api.totals.zero_results, api.totals.unopened), (3, 3, 3));
        let top: Vec<(&str, u64)> = api.top_queries.iter().map(|r| (r.query.as_str(), r.searches)).collect();
        assert_eq!(top, [("直播 退款", 3)]);
        let rising: Vec<&str> = api.rising.iter().map(|r| r.topic.as_str()).collect();
        assert_eq!(rising, ["直播", "退款"]);
        assert_eq!(api.volume.iter().map(|(_, n)| n).sum::<u64>(), 3);
        assert_eq!(api.channels, report.channels);

        let shanghai = insights.report(&filter(Some("上海"))).unwrap();
        assert_eq!((shanghai.totals.searches, shanghai.top_queries[0].query.as_str()), (2, "健身卡"));
    }

    #[test]
    fn purge_removes_rows_past_the_retention_period() {
        on_both("purge_removes_rows", |insights| {
            seed(insights);
            let count = || column(insights, "SELECT COUNT(*) FROM searches");
            assert_eq!(count(), [Value::Int(17)]);
            let now = Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap();
            assert_eq!(
                insights.purge(now).unwrap(),
                2,
                "only the search of 1 March (and its topic) is older than 180 days"
            );
            assert_eq!(count(), [Value::Int(16)]);
            let later = now + Duration::days(400);
            insights.purge(later).unwrap();
            assert_eq!(count(), [Value::Int(0)]);
        });
    }

    #[test]
    fn a_batch_is_written_in_chunks_of_many_rows() {
        on_both("a_batch_is_written_in_chunks", |insights| {
            // 101 searches: chunks of 64, 32, 4 and 1; 303 topics.
            for n in 0..101 {
                search(insights, "2026-11-27T03:00:00Z", &format!("预付卡 退款 第{n}"), 1, Channel::Web, 1);
            }
            insights.flush();
            assert_eq!(column(insights, "SELECT COUNT(*) FROM searches"), [Value::Int(101)]);
            assert_eq!(column(insights, "SELECT COUNT(*) FROM topics"), [Value::Int(303)]);
            let last = column(insights, "SELECT COUNT(*) FROM topics WHERE topic = '第100'");
            assert_eq!(last, [Value::Int(1)], "the last row of the last chunk");
            assert_eq!(insights.dropped(), 0);
        });
    }

    #[test]
    fn a_lost_server_connection_loses_no_event() {
        let Some(server) = crate::db::postgres::testing::config("a_lost_server_connection_loses") else { return };
        let insights = Insights::open(&Target::Server(Box::new(server.clone())), 180).unwrap();
        search(&insights, "2026-11-27T03:00:00Z", "预付卡", 1, Channel::Web, 1);
        insights.flush();
        crate::db::postgres::testing::end_connections(&server);
        search(&insights, "2026-11-27T03:00:00Z", "健身卡", 1, Channel::Web, 1);
        insights.flush();
        let top: Vec<String> =
            insights.report(&filter(None)).unwrap().top_queries.into_iter().map(|r| r.query).collect();
        assert_eq!(top, ["健身卡", "预付卡"], "the writer and the reader connected again");
        assert_eq!(insights.dropped(), 0);
    }

    #[test]
    fn nothing_personal_is_stored() {
        on_both("nothing_personal_is_stored", |insights| {
            let columns = |table: &str| -> Vec<Value> {
                let sql = match insights.reader.read(|db| Ok::<_, SqlError>(db.dialect())).unwrap() {
                    Dialect::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
                    Dialect::Postgres => format!(
                        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
                    ),
                };
                column(insights, &sql)
            };
            let names = |names: &[&str]| -> Vec<Value> { names.iter().map(|name| Value::from(*name)).collect() };
            assert_eq!(
                columns("searches"),
                names(&["id", "at", "query", "results", "channel", "kiosk", "region", "search_ref"])
            );
            assert_eq!(columns("topics"), names(&["id", "at", "search_ref", "topic"]));
            assert_eq!(columns("opens"), names(&["id", "at", "search_ref", "position", "doc"]));
            assert_eq!(columns("feedback"), names(&["id", "at", "doc", "helpful", "comment"]));
        });
    }

    #[test]
    fn queries_are_counted_normalised() {
        assert_eq!(normalize_query("  預付卡　 退款 "), "预付卡 退款");
        assert_eq!(normalize_query("ＡＢＣ"), "abc");
        assert_eq!(normalize_query(&"长".repeat(300)).chars().count(), MAX_QUERY_CHARS);
    }
}
