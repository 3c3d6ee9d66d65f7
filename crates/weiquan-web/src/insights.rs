//! Insights over HTTP: recording searches, opened results and feedback from
//! the website, the API and kiosks, and the staff pages that show them
//! (`/admin/insights`, its CSV exports and the weekly summary).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::admin::{AdminError, Signed, layout};
use super::client::ClientIp;
use super::error::WebError;
use super::limit::RateLimit;
use super::params::SearchParams;
use super::views::encode;
use super::{AppState, charts};
use weiquan_core::clock::Clock;
use weiquan_core::search::SearchResults;
use weiquan_publish::db::database::Fault;
use weiquan_publish::insights::export::{table_csv, weekly_summary};
use weiquan_publish::insights::report::{FeedbackRow, QueryRow};
use weiquan_publish::insights::{Channel, Feedback, Filter, Insights, MAX_COMMENT_CHARS, Open, Report, Search, Source};

/// Feedback answers per address: 10 at once, then one every 30 seconds.
const FEEDBACK_BURST: f64 = 10.0;
const FEEDBACK_PER_SECOND: f64 = 1.0 / 30.0;
/// Days a report covers when none are given.
const DEFAULT_DAYS: i64 = 28;

/// Recording switched on: the store, the key that signs feedback forms and
/// the feedback rate limit.
pub(crate) struct Recording {
    insights: Arc<Insights>,
    /// Random at each start: forms from before a restart are refused.
    form_key: [u8; 32],
    feedback_limit: RateLimit,
}

impl Recording {
    pub(crate) fn new(insights: Arc<Insights>) -> Recording {
        let mut form_key = [0u8; 32];
        getrandom::fill(&mut form_key).expect("the system's random source works");
        Recording { insights, form_key, feedback_limit: RateLimit::with_burst(FEEDBACK_PER_SECOND, FEEDBACK_BURST) }
    }

    /// The token a feedback form for `doc` carries on `day`.
    fn form_token(&self, doc: &str, day: NaiveDate) -> String {
        let mut hash = Sha256::new();
        hash.update(self.form_key);
        hash.update(day.to_string().as_bytes());
        hash.update([0]);
        hash.update(doc.as_bytes());
        hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// Forms are valid the day they were made and the next.
    fn valid_token(&self, doc: &str, token: &str, today: NaiveDate) -> bool {
        [today, today - Duration::days(1)].iter().any(|day| self.form_token(doc, *day) == token)
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/feedback", post(feedback))
}

/// Staff pages; `app` puts them behind the staff layers (`admin::layered`).
pub(crate) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/insights", get(page))
        .route("/admin/insights.csv", get(csv))
        .route("/admin/insights/weekly", get(weekly))
}

// ---- recording ----

/// Records a search (first pages only) from `client` and returns the
/// reference to put into its result links, or `None` when nothing was
/// recorded (not a first page, or the address's searches for the day are
/// all recorded).
pub(super) fn record_search(
    state: &AppState,
    client: Option<IpAddr>,
    params: &SearchParams,
    results: &SearchResults,
    channel: Channel,
) -> Option<String> {
    let recording = state.recording.as_ref()?;
    if params.query().trim().is_empty() || results.page > 1 {
        return None;
    }
    let region = match &channel {
        Channel::Kiosk(id) => state.kiosks.get(id).and_then(|kiosk| kiosk.region.clone()),
        _ => None,
    }
    .or_else(|| params.regions().next().map(String::from));
    let search_ref = weiquan_publish::insights::new_search_ref();
    let search = Search {
        topics: state.engine().topics(params.query()),
        at: state.clock().utc(),
        query: params.query().to_string(),
        results: results.total as u64,
        channel,
        region,
        search_ref: search_ref.clone(),
    };
    recording.insights.record_search(search, client).then_some(search_ref)
}

/// The channel of an API search: a kiosk when it names a configured kiosk
/// (any other id would add a kiosk to the staff reports).
pub(super) fn api_channel(state: &AppState, kiosk: Option<&str>) -> Channel {
    match kiosk {
        Some(id) if state.kiosks.contains_key(id) => Channel::Kiosk(id.to_string()),
        _ => Channel::Api,
    }
}

/// `from` and `pos` on a document address: which search and which place in
/// its results the visitor came from. `feedback=thanks` after a feedback.
#[derive(Debug, Default, Deserialize)]
pub struct DocumentVisit {
    pub from: Option<String>,
    pub pos: Option<String>,
    pub feedback: Option<String>,
}

/// Records an opened result when `opened` names a search and a position.
pub(super) fn record_open(state: &AppState, opened: &DocumentVisit, doc: &str) {
    let Some(recording) = &state.recording else { return };
    let (Some(from), Some(pos)) = (&opened.from, &opened.pos) else { return };
    match pos.parse::<u32>() {
        Ok(position @ 1..=1000) if weiquan_publish::insights::is_search_ref(from) => recording
            .insights
            .record_open(Open { at: state.clock().utc(), search_ref: from.clone(), position, doc: doc.to_string() }),
        _ => {}
    }
}

/// Prometheus lines on recording, when it is on.
pub(super) fn metrics(state: &AppState) -> String {
    let Some(recording) = &state.recording else { return String::new() };
    format!(
        "# HELP weiquan_insights_dropped_total Insights events dropped because the writer fell behind or the database could not be reached.\n\
         # TYPE weiquan_insights_dropped_total counter\nweiquan_insights_dropped_total {}\n\
         # HELP weiquan_insights_capped_total Searches not recorded because their address reached the daily cap.\n\
         # TYPE weiquan_insights_capped_total counter\nweiquan_insights_capped_total {}\n",
        recording.insights.dropped(),
        recording.insights.capped()
    )
}

/// A result link that says which search and place it came from.
pub(super) fn tracked(url: &str, search_ref: Option<&str>, position: usize) -> String {
    let Some(search_ref) = search_ref else { return url.to_string() };
    let (path, anchor) = url.split_once('#').map_or((url, None), |(p, a)| (p, Some(a)));
    match anchor {
        Some(anchor) => format!("{path}?from={search_ref}&pos={position}#{anchor}"),
        None => format!("{path}?from={search_ref}&pos={position}"),
    }
}

// ---- feedback ----

/// "这条内容对您有帮助吗？" under a document.
pub(super) fn feedback_section(state: &AppState, doc: &str, thanked: bool) -> Markup {
    let Some(recording) = &state.recording else { return html! {} };
    html! {
        section.feedback #feedback aria-labelledby="feedback-title" {
            @if thanked {
                p #feedback-title role="status" { "谢谢您的反馈！我们会据此改进内容。" }
            } @else {
                h2 #feedback-title { "这条内容对您有帮助吗？" }
                form method="post" action="/feedback" {
                    input type="hidden" name="doc" value=(doc);
                    input type="hidden" name="token" value=(recording.form_token(doc, state.clock().today()));
                    label for="feedback-comment" { "想对我们说的话（选填，" (MAX_COMMENT_CHARS) " 字以内，请不要留下姓名、电话等个人信息）" }
                    textarea #feedback-comment name="comment" maxlength=(MAX_COMMENT_CHARS) rows="3" {}
                    div.feedback-buttons {
                        button type="submit" name="helpful" value="yes" { "有帮助" }
                        button type="submit" name="helpful" value="no" { "没帮助" }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct FeedbackForm {
    doc: String,
    token: String,
    helpful: String,
    #[serde(default)]
    comment: String,
}

async fn feedback(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<FeedbackForm>,
) -> Response {
    let refuse = |status: StatusCode, message: &str| (status, message.to_string()).into_response();
    let Some(recording) = &state.recording else { return refuse(StatusCode::NOT_FOUND, "本站没有开启反馈") };
    if cross_site(&headers) || !recording.valid_token(&form.doc, &form.token, state.clock().today()) {
        return refuse(StatusCode::FORBIDDEN, "表单已失效，请刷新页面后再提交");
    }
    if let Some(address) = client
        && !recording.feedback_limit.allow(address, Instant::now())
    {
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, "提交太频繁了，请稍后再试");
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        return response;
    }
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => return refuse(StatusCode::BAD_REQUEST, "请选择“有帮助”或“没帮助”"),
    };
    if super::params::document_id(&form.doc).is_err() {
        return refuse(StatusCode::BAD_REQUEST, "没有这篇内容");
    }
    recording.insights.record_feedback(Feedback {
        at: state.clock().utc(),
        doc: form.doc.clone(),
        helpful,
        comment: form.comment,
    });
    Redirect::to(&format!("/docs/{}?feedback=thanks#feedback", form.doc)).into_response()
}

/// A form posted from another site: its `Origin` names another host, or the
/// browser says so in `Sec-Fetch-Site`.
fn cross_site(headers: &HeaderMap) -> bool {
    let value = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    if value("sec-fetch-site").is_some_and(|site| site == "cross-site") {
        return true;
    }
    match (value("origin"), value("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        _ => false,
    }
}

// ---- staff pages ----

#[derive(Debug, Default, Deserialize)]
struct FilterParams {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    /// `api` for the API's searches; people's (website and kiosks) otherwise.
    source: Option<String>,
    table: Option<String>,
}

impl FilterParams {
    /// The filter asked for; by default the last four weeks up to `clock`'s
    /// today. Dates that do not parse fall back to the default.
    fn filter(&self, clock: &Clock) -> Filter {
        let today = clock.today();
        let date =
            |text: &Option<String>| text.as_deref().and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok());
        let to = date(&self.to).unwrap_or(today);
        let from = date(&self.from).filter(|from| *from <= to).unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        let region = self.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
        let source = Source::parse(self.source.as_deref().unwrap_or_default());
        Filter { from, to, region, zone: clock.zone(), source }
    }

    fn query_string(filter: &Filter) -> String {
        let mut query = format!("from={}&to={}", filter.from, filter.to);
        if let Some(region) = &filter.region {
            query += &format!("&region={}", encode(region));
        }
        if filter.source != Source::default() {
            query += &format!("&source={}", filter.source.as_str());
        }
        query
    }
}

async fn report(state: &AppState, filter: Filter) -> Result<Report, AdminError> {
    let recording =
        state.recording.as_ref().ok_or_else(|| AdminError(StatusCode::NOT_FOUND, "本站没有开启查询统计".into()))?;
    let insights = recording.insights.clone();
    tokio::task::spawn_blocking(move || insights.report(&filter))
        .await
        .map_err(|_| AdminError(StatusCode::INTERNAL_SERVER_ERROR, "内部错误".into()))?
        .map_err(|error| {
            if error.is_unavailable() {
                tracing::warn!(%error, "the insights database is unavailable");
                return WebError::database_unavailable().into();
            }
            tracing::error!(%error, "insights report failed");
            AdminError(StatusCode::INTERNAL_SERVER_ERROR, "统计数据读取失败，请稍后再试".into())
        })
}

/// Document titles by id, for the tables.
fn titles(state: &AppState) -> HashMap<&str, &str> {
    state.engine().catalog().titles().map(|(title, id)| (id, title)).collect()
}

fn channel_label(channel: &str, kiosk: Option<&str>) -> String {
    match (channel, kiosk) {
        ("kiosk", Some(id)) => format!("终端 {id}"),
        ("web", _) => "网站".into(),
        ("api", _) => "接口".into(),
        (other, _) => other.into(),
    }
}

/// The sources staff choose from, with their names.
const SOURCES: [(Source, &str); 2] = [(Source::Consumers, "公众（网站和终端）"), (Source::Api, "接口（API）")];

/// The name of `source` on the staff pages.
fn source_label(source: Source) -> &'static str {
    SOURCES.iter().find(|(s, _)| *s == source).map_or("", |(_, label)| label)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "—".into() } else { format!("{:.0}%", part as f64 * 100.0 / whole as f64) }
}

async fn page(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<FilterParams>,
) -> Result<Html<String>, AdminError> {
    let filter = params.filter(state.clock());
    let report = report(&state, filter.clone()).await?;
    let titles = titles(&state);
    let title_of = |doc: &str| titles.get(doc).copied().unwrap_or(doc).to_string();
    let query = FilterParams::query_string(&filter);
    let csv_link =
        |table: &str| html! { a.csv href={ "/admin/insights.csv?table=" (table) "&" (query) } { "导出 CSV" } };
    let totals = &report.totals;
    let volume: Vec<(String, u64)> =
        report.volume.iter().map(|(day, n)| (day.format("%m-%d").to_string(), *n)).collect();
    let channels: Vec<(String, u64)> =
        report.channels.iter().map(|c| (channel_label(&c.channel, c.kiosk.as_deref()), c.searches)).collect();
    let query_link = |q: &str| html! { a href={ "/search?q=" (encode(q)) } { (q) } };
    let main = html! {
        form.insights-filter method="get" action="/admin/insights" {
            label { "从 " input type="date" name="from" value=(filter.from); }
            label { "到 " input type="date" name="to" value=(filter.to); }
            label { "地区 "
                select name="region" {
                    option value="" { "全部地区" }
                    @for region in &report.regions {
                        option value=(region) selected[filter.region.as_deref() == Some(region.as_str())] { (region) }
                    }
                }
            }
            label { "来源 "
                select name="source" {
                    @for (source, label) in SOURCES {
                        option value=(source.as_str()) selected[filter.source == source] { (label) }
                    }
                }
            }
            button type="submit" { "查看" }
            " " a href={ "/admin/insights/weekly?" (query) } { "本周简报（可打印）" }
        }
        p.note { "统计的是" strong { (source_label(filter.source)) } "的查询。"
            @if filter.source == Source::Consumers { "其他系统通过接口（API）的查询另列：在“来源”中选择，各渠道的次数见“来源渠道”。" } }
        p.note { "统计只记录查询词、结果数、来源渠道、地区和打开了哪条结果，不记录 IP 地址或个人身份；保存 "
            (state.recording.as_ref().map_or(0, |r| r.insights.retention_days())) " 天。" }
        section #totals {
            h2 { "概况" }
            ul.figures {
                li { "查询 " strong { (totals.searches) } " 次" }
                li { "没有结果 " strong { (totals.zero_results) } " 次（" (percent(totals.zero_results, totals.searches)) "）" }
                li { "没有打开任何结果 " strong { (totals.unopened) } " 次（" (percent(totals.unopened, totals.searches)) "）" }
                li { "打开结果 " strong { (totals.opens) } " 次" }
                li { "反馈：有帮助 " strong { (totals.helpful) } "，没帮助 " strong { (totals.unhelpful) } }
            }
        }
        section #volume {
            h2 { "每日查询量 " (csv_link("volume")) }
            (charts::columns("每日查询量", &volume))
        }
        section #rising {
            h2 { "上升的话题（查询中的词，最近 7 天对比之前 4 周的周平均） " (csv_link("rising")) }
            @if report.rising.is_empty() { p { "这段时间没有明显上升的查询。" } } @else {
                table.admin-list {
                    thead { tr { th { "话题" } th { "最近 7 天" } th { "之前每周平均" } } }
                    tbody { @for r in &report.rising { tr { td { (query_link(&r.topic)) } td { (r.this_week) } td { (format!("{:.1}", r.earlier_weekly)) } } } }
                }
            }
        }
        section #failing {
            h2 { "没有找到答案的查询（没有结果，或没人打开结果） " (csv_link("failing")) }
            (query_table(&report.failing, &query_link))
        }
        section #top {
            h2 { "热门查询 " (csv_link("top")) }
            (query_table(&report.top_queries, &query_link))
        }
        section #documents {
            h2 { "最常打开的内容 " (csv_link("documents")) }
            table.admin-list {
                thead { tr { th { "内容" } th { "打开次数" } th { "平均位置" } } }
                tbody { @for d in &report.documents { tr { td { a href={ "/docs/" (d.doc) } { (title_of(&d.doc)) } } td { (d.opens) } td { (format!("{:.1}", d.mean_position)) } } } }
            }
        }
        section #channels {
            h2 { "来源渠道 " (csv_link("channels")) }
            (charts::bars("各渠道查询次数", &channels))
        }
        section #feedback {
            h2 { "内容反馈 " (csv_link("feedback")) }
            (feedback_table(&report.feedback, &title_of))
        }
    };
    Ok(layout(&state.assets, "查询统计", Some(&session), main))
}

fn query_table(rows: &[QueryRow], query_link: &dyn Fn(&str) -> Markup) -> Markup {
    html! {
        @if rows.is_empty() { p { "没有记录。" } } @else {
            table.admin-list {
                thead { tr { th { "查询" } th { "次数" } th { "没有结果" } th { "打开了结果" } th { "平均结果数" } } }
                tbody { @for r in rows { tr {
                    td { (query_link(&r.query)) } td { (r.searches) } td { (r.zero_results) } td { (r.opened) } td { (format!("{:.1}", r.mean_results)) }
                } } }
            }
        }
    }
}

fn feedback_table(rows: &[FeedbackRow], title_of: &dyn Fn(&str) -> String) -> Markup {
    html! {
        @if rows.is_empty() { p { "没有反馈。" } } @else {
            table.admin-list {
                thead { tr { th { "内容" } th { "有帮助" } th { "没帮助" } th { "留言" } } }
                tbody { @for r in rows { tr {
                    td { a href={ "/docs/" (r.doc) } { (title_of(&r.doc)) } } td { (r.helpful) } td { (r.unhelpful) }
                    td { ul.comments { @for (at, helpful, text) in &r.comments {
                        li { span.badge { (if *helpful { "有帮助" } else { "没帮助" }) } " " (text) " " small { (at.get(..10).unwrap_or(at)) } }
                    } } }
                } } }
            }
        }
    }
}

async fn csv(
    State(state): State<AppState>,
    Signed(_): Signed,
    Query(params): Query<FilterParams>,
) -> Result<impl IntoResponse, AdminError> {
    let filter = params.filter(state.clock());
    let table = params.table.clone().unwrap_or_default();
    let report = report(&state, filter.clone()).await?;
    let csv = table_csv(&report, &table)
        .ok_or_else(|| AdminError(StatusCode::BAD_REQUEST, format!("没有这张表：{table}")))?;
    let file = format!("attachment; filename=\"insights-{table}-{}-{}.csv\"", filter.from, filter.to);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], csv))
}

async fn weekly(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<FilterParams>,
) -> Result<Html<String>, AdminError> {
    let asked = params.filter(state.clock());
    let to = asked.to;
    // Rising topics compare the week with the four before, so they need all five weeks.
    let five_weeks = Filter { from: to - Duration::days(34), ..asked.clone() };
    let week = Filter { from: to - Duration::days(6), ..asked };
    let (week, five_weeks) = (report(&state, week).await?, report(&state, five_weeks).await?);
    let earlier_weekly = five_weeks.totals.searches.saturating_sub(week.totals.searches) as f64 / 4.0;
    let titles = titles(&state);
    let title_of = |doc: &str| titles.get(doc).copied().unwrap_or(doc).to_string();
    let lines = weekly_summary(&week, earlier_weekly, &five_weeks.rising, &title_of);
    let main = html! {
        p.note { "统计的是" (source_label(week.filter.source)) "的查询。" }
        article.weekly-summary {
            @for line in &lines { p { (line) } }
        }
        p.share { button.print-button type="button" hidden { "打印" } " " a href={ "/admin/insights?" (FilterParams::query_string(&week.filter)) } { "查看详细统计" } }
    };
    Ok(layout(&state.assets, "每周查询简报", Some(&session), main))
}
