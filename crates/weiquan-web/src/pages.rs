//! The website's pages. Server-rendered; JavaScript only enhances. Document pages: `document`.

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::{Query, QueryRejection};
use chrono::NaiveDate;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::answer::answer_block;
use super::error::WebError;
use super::params::SearchParams;
use super::views::{self, CATEGORIES, Page, display_title, encode, severity_badge, trusted};
use super::{AppState, doc_url, hit_url, insights};
use weiquan_core::content::{Kind, Level, Severity, Status};
use weiquan_core::search::answer::Answer;
use weiquan_core::search::{SearchHit, SearchResults, Sort, WarningOrder, WarningSummary};
use weiquan_publish::insights::Channel;

/// Cookie that keeps the large-text mode (适老化) on.
const LARGE_TEXT_COOKIE: &str = "wq_large";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/docs/{*id}", get(super::document::document))
        .route("/warnings", get(warnings))
        .route("/tags/{tag}", get(tag))
        .route("/about", get(super::about::about))
        .route("/feed.xml", get(feed))
        .route("/prefs", get(prefs))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// Who is asking: their display preference and the page they are on.
pub(crate) struct Visitor {
    large_text: bool,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Visitor, Self::Rejection> {
        let large_text = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| c.trim() == format!("{LARGE_TEXT_COOKIE}=1"));
        let path = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        Ok(Visitor { large_text, path })
    }
}

impl AppState {
    /// A page with a search box above `main`.
    pub(super) fn page(&self, visitor: &Visitor, title: &str, main: Markup) -> Markup {
        self.layout(visitor, title, true, main)
    }

    /// A page whose `main` has its own search box.
    fn page_with_own_search(&self, visitor: &Visitor, title: &str, main: Markup) -> Markup {
        self.layout(visitor, title, false, main)
    }

    fn layout(&self, visitor: &Visitor, title: &str, search_box: bool, main: Markup) -> Markup {
        let page =
            Page { title, large_text: visitor.large_text, path: &visitor.path, search_box, assets: &self.assets };
        views::layout(&page, main)
    }

    pub(super) fn error_page(&self, visitor: &Visitor, error: WebError) -> Response {
        let main = html! {
            h1 { (error.message) }
            p.small lang="en" { (error.message_en) }
            (views::search_form("", false))
            p { a href="/" { "返回首页" } }
        };
        let mut response = (error.status, self.page_with_own_search(visitor, &error.message, main)).into_response();
        WebError::retry_after(error.status, &mut response);
        response
    }
}

/// Unknown addresses: JSON under `/api/`, a page elsewhere.
pub(crate) async fn not_found(State(state): State<AppState>, visitor: Visitor, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return super::error::ApiError(WebError::not_found()).into_response();
    }
    state.error_page(&visitor, WebError::not_found())
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Response {
    let today = state.clock().today();
    let warnings = match state.blocking(move |engine| engine.warnings(Some(today), None, &WarningOrder::Newest)).await {
        Ok(warnings) => warnings,
        Err(error) => return state.error_page(&visitor, error),
    };
    let questions: Vec<String> = state.engine().catalog().questions().map(String::from).collect();
    // Urgent and pinned warnings first of all, so a phone shows them on its
    // first screen, above the search and the category tiles.
    let top: Vec<&WarningSummary> = warnings.iter().filter(|w| w.urgent || w.pinned).take(3).collect();
    let main = html! {
        div #urgent-banner aria-live="polite" {
            @if !top.is_empty() {
                section.urgent-banner aria-label="重要消费警示" {
                    ul {
                        @for warning in &top {
                            li { (severity_badge(warning.severity)) " " a href=(doc_url(&warning.id, None)) { (warning.title) } }
                        }
                    }
                }
            }
        }
        section.hero aria-labelledby="hero-title" {
            h1 #hero-title { "遇到消费纠纷？先查一查" }
            (views::search_form("", true))
        }
        section aria-labelledby="categories-title" {
            h2 #categories-title { "按类别查找" }
            ul.tiles {
                @for (label, query) in CATEGORIES {
                    li { a href={ "/search?q=" (encode(query)) } { (label) } }
                }
            }
        }
        section #live-warnings aria-labelledby="warnings-title" aria-live="polite" {
            h2 #warnings-title { "当前消费警示" }
            (warning_list(&warnings[..warnings.len().min(5)]))
            p { a href="/warnings" { "查看全部消费警示" } }
        }
        @if !questions.is_empty() {
            section aria-labelledby="questions-title" {
                h2 #questions-title { "常见问题" }
                ul.questions {
                    @for question in &questions {
                        li { a href={ "/search?q=" (encode(question)) } { (question) } }
                    }
                }
            }
        }
    };
    state.page_with_own_search(&visitor, "首页", main).into_response()
}

fn warning_list(warnings: &[WarningSummary]) -> Markup {
    html! {
        @if warnings.is_empty() {
            p { "目前没有生效中的消费警示。" }
        } @else {
            ul.warnings {
                @for warning in warnings {
                    li class={ "warning severity-" (warning.severity.unwrap_or(Severity::Info).as_str()) } {
                        (severity_badge(warning.severity))
                        @if warning.pinned { span.badge.pinned { "置顶" } }
                        a href=(doc_url(&warning.id, None)) { (warning.title) }
                        @if let Some(summary) = &warning.summary { p { (summary) } }
                        p.meta { (validity(warning.date, warning.expires)) }
                    }
                }
            }
        }
    }
}

pub(super) fn validity(date: Option<NaiveDate>, expires: Option<NaiveDate>) -> String {
    match (date, expires) {
        (Some(date), Some(expires)) => format!("有效期：{date} 至 {expires}"),
        (Some(date), None) => format!("发布日期：{date}，长期有效"),
        (None, Some(expires)) => format!("有效至 {expires}"),
        (None, None) => "长期有效".to_string(),
    }
}

/// The address of the results page with `change` applied to the parameters.
fn search_url(params: &SearchParams, change: impl FnOnce(&mut SearchParams)) -> String {
    let mut params = params.clone();
    change(&mut params);
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(q) = &params.q {
        pairs.push(("q", q));
    }
    for (name, values) in [
        ("kind", &params.kind),
        ("level", &params.level),
        ("status", &params.status),
        ("region", &params.region),
        ("tag", &params.tag),
    ] {
        pairs.extend(values.iter().map(|v| (name, v.as_str())));
    }
    for (name, value) in [
        ("from", &params.from),
        ("to", &params.to),
        ("sort", &params.sort),
        ("page", &params.page),
        ("per_page", &params.per_page),
        ("expand", &params.expand),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((name, value));
        }
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("/search?{}", query.join("&"))
}

/// The values of the facet filter called `name` (kind, level, status, tag).
fn filter_values<'a>(params: &'a mut SearchParams, name: &str) -> &'a mut Vec<String> {
    match name {
        "kind" => &mut params.kind,
        "level" => &mut params.level,
        "status" => &mut params.status,
        _ => &mut params.tag,
    }
}

/// Adds or removes one filter value, back to page 1.
fn toggle(values: &mut Vec<String>, value: &str) {
    if let Some(i) = values.iter().position(|v| v == value) {
        values.remove(i);
    } else {
        values.push(value.to_string());
    }
}

async fn search(
    State(state): State<AppState>,
    visitor: Visitor,
    super::client::ClientIp(client): super::client::ClientIp,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return state
            .error_page(&visitor, WebError::bad_request("invalid_parameter", "查询参数格式有误", "malformed query"));
    };
    let request = match params.to_request() {
        Ok(request) => request,
        Err(error) => return state.error_page(&visitor, error),
    };
    let sort = request.sort;
    let (results, answer) = match state.answered_search(request).await {
        Ok(answered) => answered,
        Err(error) => return state.error_page(&visitor, error),
    };
    let title =
        if params.query().is_empty() { "搜索".to_string() } else { format!("{} 的搜索结果", params.query()) };
    let search_ref = insights::record_search(&state, client, &params, &results, Channel::Web);
    let nearby = match state.nearby(&results).await {
        Ok(nearby) => nearby,
        Err(error) => return state.error_page(&visitor, error),
    };
    let found = Found { results: &results, answer: answer.as_ref(), nearby: &nearby };
    let main = results_page(&state, &params, &found, sort, search_ref.as_deref());
    // The results page's own search box, with the query in it, is the only one.
    state.page_with_own_search(&visitor, &title, main).into_response()
}

/// Which words were also searched as others, with a link to turn that off
/// (or back on).
fn expansion_note(params: &SearchParams, results: &SearchResults) -> Markup {
    let off = matches!(params.expand.as_deref(), Some("0") | Some("false"));
    html! {
        @if off {
            p.expansions { "只搜索了您输入的词。" a href=(search_url(params, |p| { p.expand = None; p.page = None; })) { "同时搜索同义词" } }
        } @else if !results.expansions.is_empty() {
            p.expansions {
                "同时搜索了："
                @for (i, expansion) in results.expansions.iter().enumerate() {
                    @if i > 0 { "；" }
                    (expansion.word) " → " (expansion.also.join("、"))
                }
                "。"
                a href=(search_url(params, |p| { p.expand = Some("0".into()); p.page = None; })) { "只搜索我输入的词" }
            }
        }
    }
}

/// A facet as shown: heading, parameter name, counts, and how to label a value.
type FacetGroup<'a> = (&'a str, &'a str, &'a std::collections::BTreeMap<String, u64>, fn(&str) -> &'static str);

/// What a search found: its results, the answer they open with, and, when
/// there are none, the closest guides and warnings.
struct Found<'a> {
    results: &'a SearchResults,
    answer: Option<&'a Answer>,
    nearby: &'a [SearchHit],
}

/// `search_ref` marks result links for insights (first pages only). The
/// answer, if any, comes before the filters and the ranked list. No results
/// is no dead end: the closest guides and warnings, then where to complain.
fn results_page(
    state: &AppState,
    params: &SearchParams,
    found: &Found,
    sort: Sort,
    search_ref: Option<&str>,
) -> Markup {
    let Found { results, answer, nearby } = *found;
    let facet_groups: [FacetGroup; 3] = [
        ("类型", "kind", &results.facets.kind, |kind| Kind::parse(kind).map_or("其他", Kind::label)),
        ("效力级别", "level", &results.facets.level, |level| Level::parse(level).map_or("其他", Level::label)),
        ("时效性", "status", &results.facets.status, |status| Status::parse(status).map_or("未知", Status::label)),
    ];
    let selected = |name: &str, value: &str| filter_values(&mut params.clone(), name).iter().any(|v| v == value);
    let toggled = |name: &str, value: &str| {
        search_url(params, |p| {
            p.page = None;
            toggle(filter_values(p, name), value);
        })
    };
    let page = results.page;
    let last_page =
        results.total.div_ceil(results.per_page).clamp(1, weiquan_core::search::MAX_RESULT_WINDOW / results.per_page);
    let has_filters =
        !(params.kind.is_empty() && params.level.is_empty() && params.status.is_empty() && params.tag.is_empty());
    html! {
        h1.visually-hidden { "搜索结果" }
        @if results.total == 0 { (expansion_note(params, results)) }
        (views::search_form(params.query(), false))
        @if let Some(answer) = answer { (answer_block(answer, &results.hits, search_ref)) }
        @if results.total > 0 { (views::complain(&[], true)) }
        @if results.total == 0 {
            section.no-results aria-live="polite" {
                h2 { "没有找到与“" (params.query()) "”相关的内容" }
                @if !nearby.is_empty() {
                    h3 { "看看这些维权指南和消费警示" }
                    ul.nearby {
                        @for hit in nearby {
                            li { span.badge { (hit.kind.label()) } " " a href=(hit_url(hit)) { (display_title(hit.kind, &hit.title)) } }
                        }
                    }
                }
                (views::complain(&[], false))
                ul {
                    li { "换个说法试试，或者只保留关键的一两个词，例如“预付卡 退款”。" }
                    @if has_filters { li { a href=(search_url(params, |p| { p.kind.clear(); p.level.clear(); p.status.clear(); p.tag.clear(); p.page = None; })) { "去掉筛选条件再搜一次" } } }
                    li { "看看常见问题：" @for question in state.engine().catalog().questions().take(4) { a.chip href={ "/search?q=" (encode(question)) } { (question) } } }
                }
            }
        } @else {
            div.results-layout {
                // On a phone the filters wait behind 筛选 so the first screen
                // shows results; on a wide screen they are always open (CSS).
                details.facets-panel open[has_filters] {
                    summary { "筛选" @if has_filters { "（已选）" } }
                aside.facets aria-label="筛选" {
                    @if !results.facets.exact {
                        p.hint { "数目按最相关的前 " (weiquan_core::search::rank::CANDIDATES) " 条结果统计" }
                    }
                    @for (label, name, counts, name_of) in facet_groups {
                        @if !counts.is_empty() {
                            h2 { (label) }
                            ul {
                                @for (value, count) in counts {
                                    li { a href=(toggled(name, value)) aria-current=[selected(name, value).then_some("true")] { (name_of(value)) " (" (count) ")" } }
                                }
                            }
                        }
                    }
                    @if !results.facets.tags.is_empty() {
                        h2 { "标签" }
                        ul {
                            @for (tag, count) in &results.facets.tags {
                                li { a href=(toggled("tag", tag)) aria-current=[selected("tag", tag).then_some("true")] { (tag) " (" (count) ")" } }
                            }
                        }
                    }
                    @if has_filters {
                        p { a href=(search_url(params, |p| { p.kind.clear(); p.level.clear(); p.status.clear(); p.tag.clear(); p.page = None; })) { "清除筛选" } }
                    }
                }
                }
                section.results aria-labelledby="results-summary" {
                    p #results-summary .summary aria-live="polite" { "共找到 " @if !results.total_exact { "约 " } strong { (results.total) } " 条结果，用时 " (results.took_ms) " 毫秒" }
                    (expansion_note(params, results))
                    p.sort {
                        "排序："
                        @if sort == Sort::Relevance { strong { "相关度" } } @else { a href=(search_url(params, |p| { p.sort = None; p.page = None; })) { "相关度" } }
                        " · "
                        @if sort == Sort::Date { strong { "日期" } } @else { a href=(search_url(params, |p| { p.sort = Some("date".into()); p.page = None; })) { "日期" } }
                    }
                    ol.hits start=((page - 1) * results.per_page + 1) {
                        @for (i, hit) in results.hits.iter().enumerate() {
                            li.hit {
                                h2 { a href=(insights::tracked(&hit_url(hit), search_ref, i + 1)) { (display_title(hit.kind, &hit.title)) @if let Some(article) = &hit.article { " " (article) } } }
                                p.meta {
                                    span.badge { (hit.kind.label()) }
                                    @if hit.expired { " " span.badge.expired { "已过期" } }
                                    @if let Some(level) = hit.level { " " (level.label()) }
                                    @if let Some(status) = hit.status { " · " (status.label()) }
                                    @if hit.status == Some(Status::Amended) { " " span.badge.history { "历史版本" } }
                                    @if let Some(date) = hit.date { " · " (maud::display(date)) }
                                    @if let Some(chapter) = &hit.chapter { " · " (chapter) }
                                }
                                p.snippet { (trusted(&hit.snippet)) }
                            }
                        }
                    }
                    @if last_page > 1 {
                        nav.pages aria-label="分页" {
                            @if page > 1 { a rel="prev" href=(search_url(params, |p| p.page = Some((page - 1).to_string()))) { "上一页" } }
                            span { "第 " (page) " / " (last_page) " 页" }
                            @if page < last_page { a rel="next" href=(search_url(params, |p| p.page = Some((page + 1).to_string()))) { "下一页" } }
                        }
                    }
                }
            }
        }
    }
}

async fn warnings(State(state): State<AppState>, visitor: Visitor) -> Response {
    let today = state.clock().today();
    let all = match state.blocking(|engine| engine.warnings(None, None, &WarningOrder::Newest)).await {
        Ok(all) => all,
        Err(error) => return state.error_page(&visitor, error),
    };
    let (active, past): (Vec<WarningSummary>, Vec<WarningSummary>) = all.into_iter().partition(|w| w.in_force(today));
    let main = html! {
        h1 { "消费警示" }
        p { "以下是正在生效的消费警示，置顶的排在最前。" a href="/feed.xml" { "订阅（Atom）" } }
        div #live-warnings aria-live="polite" {
            (warning_list(&active))
            @if !past.is_empty() {
                h2 { "已过期或尚未生效的警示" }
                (warning_list(&past))
            }
        }
    };
    state.page(&visitor, "消费警示", main).into_response()
}

async fn tag(State(state): State<AppState>, visitor: Visitor, Path(tag): Path<String>) -> Response {
    let params = SearchParams {
        tag: vec![tag.clone()],
        sort: Some("date".into()),
        per_page: Some("50".into()),
        ..SearchParams::default()
    };
    let results = match params.to_request() {
        Ok(request) => state.search(request).await,
        Err(error) => Err(error),
    };
    match results {
        Ok(results) if results.total > 0 => {
            let main = html! {
                h1 { "标签：" (tag) }
                p { "共 " (results.total) " 条，按日期排列。" }
                ol.hits {
                    @for hit in &results.hits {
                        li.hit { h2 { a href=(hit_url(hit)) { (display_title(hit.kind, &hit.title)) @if let Some(a) = &hit.article { " " (a) } } } p.meta { span.badge { (hit.kind.label()) } @if let Some(d) = hit.date { " · " (maud::display(d)) } } }
                    }
                }
            };
            state.page(&visitor, &format!("标签：{tag}"), main).into_response()
        }
        Ok(_) => state.error_page(&visitor, WebError::not_found()),
        Err(error) => state.error_page(&visitor, error),
    }
}

async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| is_host(h)).unwrap_or("localhost");
    let base = format!("http://{host}");
    // The warnings in force today, as on the warnings page and the kiosks.
    let clock = state.clock().clone();
    let today = clock.today();
    let warnings = match state.blocking(move |engine| engine.warnings(Some(today), None, &WarningOrder::Newest)).await {
        Ok(warnings) => warnings,
        Err(error) => return error.status.into_response(),
    };
    let mut sorted = warnings;
    sorted.sort_by_key(|w| std::cmp::Reverse(w.date));
    // Atom wants instants: a warning's date is midnight of that day in the clock's zone.
    let instant = |date: Option<NaiveDate>| {
        clock.start_of(date.unwrap_or_default()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let updated = instant(sorted.first().and_then(|w| w.date));
    let xml = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns="http://www.w3.org/2005/Atom" {
            title { "消费警示 - 消费维权知识库" }
            id { (base) "/feed.xml" }
            link rel="self" href={ (base) "/feed.xml" } {}
            link href={ (base) "/warnings" } {}
            updated { (updated) }
            @for warning in &sorted {
                entry {
                    title { (warning.title) }
                    id { (base) (doc_url(&warning.id, None)) }
                    link href={ (base) (doc_url(&warning.id, None)) } {}
                    updated { (instant(warning.date)) }
                    author { name { (warning.issuer.as_deref().unwrap_or("消费维权知识库")) } }
                    @if let Some(summary) = &warning.summary { summary { (summary) } }
                    category term=(warning.severity.unwrap_or(Severity::Info).as_str()) {}
                }
            }
        }
    };
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml.into_string()).into_response()
}

/// Only plain host names and ports, so a forged Host header cannot inject markup.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

#[derive(Deserialize)]
struct PrefsParams {
    large: Option<String>,
    back: Option<String>,
}

/// Turns the large-text mode on or off and returns to the page, if `back`
/// is a page of this site; anywhere else goes to the home page.
async fn prefs(Query(params): Query<PrefsParams>) -> Response {
    let on = params.large.as_deref() == Some("1");
    let back = params.back.as_deref().filter(|back| is_local_path(back)).unwrap_or("/");
    let cookie = if on {
        format!("{LARGE_TEXT_COOKIE}=1; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly")
    } else {
        format!("{LARGE_TEXT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly")
    };
    let mut response = Redirect::to(back).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A path on this site: one leading `/` (not `//` or `/\`, which browsers
/// read as another host), then printable ASCII only: no control characters
/// or white space, which browsers drop (`/\t/evil.example` is
/// `//evil.example`), and no backslash. Pages link here with their address
/// percent-encoded, so nothing else is needed.
fn is_local_path(back: &str) -> bool {
    back.starts_with('/') && !back.starts_with("//") && back.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

async fn healthz(State(state): State<AppState>) -> Response {
    let engine = state.engine();
    Json(serde_json::json!({
        "status": "ok",
        "documents": engine.manifest().documents,
        "units": engine.unit_count(),
    }))
    .into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let engine = state.engine();
    let body = state.metrics.render(engine.manifest().documents, engine.unit_count())
        + &super::metrics::Metrics::caches(state.caches().0, state.caches().1)
        + &insights::metrics(&state);
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
