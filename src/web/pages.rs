//! The website's pages. Server-rendered; JavaScript only enhances.

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::{Query, QueryRejection};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::answer::answer_block;
use super::compare::{self, compare_url};
use super::error::WebError;
use super::params::{SearchParams, document_id};
use super::views::{
    self, CATEGORIES, Page, display_title, encode, kind_label, level_label, severity_badge, status_label, trusted,
};
use super::{AppState, doc_url, hit_url, insights};
use crate::insights::Channel;
use crate::search::answer::Answer;
use crate::search::{DocumentPage, SearchResults, Sort, WarningSummary};

/// Cookie that keeps the large-text mode (适老化) on.
const LARGE_TEXT_COOKIE: &str = "wq_large";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/docs/{*id}", get(document))
        .route("/warnings", get(warnings))
        .route("/tags/{tag}", get(tag))
        .route("/about", get(super::about::about))
        .route("/feed.xml", get(feed))
        .route("/prefs", get(prefs))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// Who is asking: their display preference and the page they are on.
pub struct Visitor {
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
pub async fn not_found(State(state): State<AppState>, visitor: Visitor, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return super::error::ApiError(WebError::not_found()).into_response();
    }
    state.error_page(&visitor, WebError::not_found())
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Response {
    let today = state.clock().today();
    let warnings = match state.blocking(move |engine| engine.warnings(Some(today), None)).await {
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
                            li { (severity_badge(warning.severity.as_deref())) " " a href=(doc_url(&warning.id, None)) { (warning.title) } }
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
                    li class={ "warning severity-" (warning.severity.as_deref().unwrap_or("info")) } {
                        (severity_badge(warning.severity.as_deref()))
                        @if warning.pinned { span.badge.pinned { "置顶" } }
                        a href=(doc_url(&warning.id, None)) { (warning.title) }
                        @if let Some(summary) = &warning.summary { p { (summary) } }
                        p.meta { (validity(warning.date.as_deref(), warning.expires.as_deref())) }
                    }
                }
            }
        }
    }
}

fn validity(date: Option<&str>, expires: Option<&str>) -> String {
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
    let main = results_page(&state, &params, &results, answer.as_ref(), sort, search_ref.as_deref());
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

/// `search_ref` marks result links for insights (first pages only). The
/// answer, if any, comes before the filters and the ranked list.
fn results_page(
    state: &AppState,
    params: &SearchParams,
    results: &SearchResults,
    answer: Option<&Answer>,
    sort: Sort,
    search_ref: Option<&str>,
) -> Markup {
    let facet_groups: [FacetGroup; 3] = [
        ("类型", "kind", &results.facets.kind, kind_label),
        ("效力级别", "level", &results.facets.level, level_label),
        ("时效性", "status", &results.facets.status, status_label),
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
        results.total.div_ceil(results.per_page).clamp(1, crate::search::MAX_RESULT_WINDOW / results.per_page);
    let has_filters =
        !(params.kind.is_empty() && params.level.is_empty() && params.status.is_empty() && params.tag.is_empty());
    html! {
        h1.visually-hidden { "搜索结果" }
        @if results.total == 0 { (expansion_note(params, results)) }
        (views::search_form(params.query(), false))
        @if let Some(answer) = answer { (answer_block(answer, &results.hits, search_ref)) }
        (views::complain(&[], true))
        @if results.total == 0 {
            section.no-results aria-live="polite" {
                h2 { "没有找到与“" (params.query()) "”相关的内容" }
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
                        p.hint { "数目按最相关的前 " (crate::search::rank::CANDIDATES) " 条结果统计" }
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
                    p #results-summary .summary aria-live="polite" { "共找到 " strong { (results.total) } " 条结果，用时 " (results.took_ms) " 毫秒" }
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
                                h2 { a href=(insights::tracked(&hit_url(hit), search_ref, i + 1)) { (display_title(&hit.kind, &hit.title)) @if let Some(article) = &hit.article { " " (article) } } }
                                p.meta {
                                    span.badge { (kind_label(&hit.kind)) }
                                    @if hit.expired { " " span.badge.expired { "已过期" } }
                                    @if let Some(level) = &hit.level { " " (level_label(level)) }
                                    @if let Some(status) = &hit.status { " · " (status_label(status)) }
                                    @if hit.status.as_deref() == Some("amended") { " " span.badge.history { "历史版本" } }
                                    @if let Some(date) = &hit.date { " · " (date) }
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

async fn document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    opened: Result<Query<insights::DocumentVisit>, QueryRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let id = match document_id(&id) {
        Ok(id) => id.to_string(),
        Err(error) => return state.error_page(&visitor, error),
    };
    if let Some(law) = id.strip_suffix(compare::SUFFIX)
        && let Some(response) = compare::page(&state, &visitor, law, query.as_deref()).await
    {
        return response;
    }
    let opened = opened.map(|Query(opened)| opened).unwrap_or_default();
    match state.document(id.clone()).await {
        Ok(Some(page)) => {
            insights::record_open(&state, &opened, &page.document.id);
            let title = page.document.meta.title.clone();
            let thanked = opened.feedback.as_deref() == Some("thanks");
            let main =
                html! { (document_page(&page)) (insights::feedback_section(&state, &page.document.id, thanked)) };
            state.page(&visitor, &title, main).into_response()
        }
        Ok(None) => match withdrawn_page(&state, &visitor, &id).await {
            Some(page) => page,
            None => state.error_page(&visitor, WebError::not_found()),
        },
        Err(error) => state.error_page(&visitor, error),
    }
}

/// The old address of a withdrawn document (a link or a QR code scanned
/// last week): what happened to it, with the warnings in force on the same
/// subject, instead of a bare 404. `None` when nothing was withdrawn there.
async fn withdrawn_page(state: &AppState, visitor: &Visitor, id: &str) -> Option<Response> {
    let publisher = state.publisher.clone()?;
    let lookup = id.to_string();
    let (meta, day) = tokio::task::spawn_blocking(move || publisher.withdrawn(&lookup)).await.ok()?.ok()??;
    let today = state.clock().today();
    let current = state.blocking(move |engine| engine.warnings(Some(today), None)).await.ok()?;
    let related: Vec<_> =
        current.into_iter().filter(|w| w.tags.iter().any(|t| meta.tags.contains(t))).take(3).collect();
    let when = day.map_or(String::new(), |day| day.format("于%Y年%-m月%-d日").to_string());
    let main = html! {
        h1 { "该警示已撤回" }
        p.lead { "“" (meta.title) "”已" (when) "撤回，不再有效。" }
        @if related.is_empty() {
            p { a href="/warnings" { "查看现行的消费警示" } }
        } @else {
            h2 { "现行的相关警示" }
            ul { @for warning in &related { li { a href=(doc_url(&warning.id, None)) { (warning.title) } } } }
            p { a href="/warnings" { "全部现行警示" } }
        }
        (views::complain(&[], false))
    };
    Some((StatusCode::GONE, state.page(visitor, "该警示已撤回", main)).into_response())
}

fn document_page(page: &DocumentPage) -> Markup {
    let doc = &page.document;
    let meta = &doc.meta;
    let kind = doc.kind.as_str();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    // Warnings and guides: the editor calls `issuer` 发布单位 and `source` 来源.
    let staff_written = matches!(doc.kind, crate::content::Kind::Warning | crate::content::Kind::Guide);
    let details: Vec<(&str, String)> = [
        ("效力级别", meta.level.map(|l| l.label().to_string())),
        ("时效性", meta.status.map(|s| s.label().to_string())),
        (if staff_written { "发布单位" } else { "发布机关" }, meta.issuer.clone()),
        ("日期", date(meta.date)),
        ("施行日期", date(meta.effective)),
        ("审理法院", meta.court.clone()),
        ("案号", meta.case_no.clone()),
        ("案由", meta.cause.clone()),
        (if staff_written { "来源" } else { "发布单位" }, meta.source.clone()),
        ("适用地区", (!meta.regions.is_empty()).then(|| meta.regions.join("、"))),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label, v)))
    .collect();
    html! {
        nav.breadcrumb aria-label="位置" { a href="/" { "首页" } " › " (kind_label(kind)) }
        article class={ "document kind-" (kind) } {
            h1 { (meta.title) }
            @if let Some(severity) = meta.severity {
                div class={ "banner severity-" (severity.as_str()) } role="note" {
                    strong { "消费警示 · " (severity.label()) }
                    " " (validity(date(meta.date).as_deref(), date(meta.expires).as_deref()))
                }
            }
            @if let Some(current) = page.versions.iter().find(|v| v.status.as_deref() == Some("current")).filter(|v| v.id != doc.id) {
                div.banner.history role="note" {
                    strong { "历史版本" } "：本文本已被修改，现行有效的版本是 "
                    a href=(doc_url(&current.id, None)) { (current.date.as_deref().unwrap_or("现行版本")) " 版" }
                    "。"
                }
            }
            @if let Some(summary) = &meta.summary { p.lead { (summary) } }
            @if matches!(doc.kind, crate::content::Kind::Guide | crate::content::Kind::Warning) {
                (views::complain(&meta.channels, false))
            }
            dl.details {
                dt { "类型" } dd { (doc.kind.label()) }
                @for (label, value) in &details { dt { (label) } dd { (value) } }
            }
            @if !meta.tags.is_empty() {
                p.tags { "标签：" @for tag in &meta.tags { a.chip href={ "/tags/" (encode(tag)) } { (tag) } } }
            }
            @if page.versions.len() > 1 {
                nav.versions aria-label="各个版本" {
                    h2 { "各个版本" }
                    ul {
                        @for version in &page.versions {
                            li {
                                @if version.id == doc.id { strong { (version.date.as_deref().unwrap_or("日期不详")) " 版（本页）" } }
                                @else { a href=(doc_url(&version.id, None)) { (version.date.as_deref().unwrap_or("日期不详")) " 版" } }
                                @if let Some(status) = &version.status { " · " (status_label(status)) }
                                @if let Some(older) = page.versions.iter().skip_while(|v| v.id != version.id).nth(1) {
                                    " · " a.compare-link href=(compare_url(&doc.id, Some(&older.id), Some(&version.id))) { "与上一版本对照" }
                                }
                            }
                        }
                    }
                    p { a href=(compare_url(&doc.id, None, None)) { "版本对照：逐条比较任意两个版本" } }
                }
            }
            @if !doc.history.is_empty() {
                details.history { summary { "制定和修改情况" } ul { @for line in &doc.history { li { (line) } } } }
            }
            @if !page.toc.is_empty() {
                nav.toc aria-label="目录" {
                    details open {
                        summary { "目录" }
                        ul {
                            @for entry in &page.toc {
                                li class={ "depth-" (entry.depth) @if entry.is_article { " article-link" } } {
                                    a href={ "#" (entry.anchor) } { (entry.label) }
                                }
                            }
                        }
                    }
                }
            }
            div.body { (trusted(&page.html)) }
            @if matches!(doc.kind, crate::content::Kind::Law | crate::content::Kind::Case) {
                (views::complain(&meta.channels, false))
            }
            p.source {
                @if page.official { "来源：LawRefBook 法律法规数据库。本文本仅供参考，以国家机关正式公布的文本为准。" }
                @else if let (crate::content::Kind::Law, Some(source)) = (doc.kind, &doc.meta.source) {
                    "来源：" (source) "，由本站工作人员录入。本文本仅供参考，以国家机关正式公布的文本为准。"
                }
                @else if let Some(issuer) = meta.issuer.as_ref().filter(|_| matches!(doc.kind, crate::content::Kind::Warning | crate::content::Kind::Guide)) {
                    "发布单位：" (issuer) "。本站转载，仅供参考。"
                }
                @else { "来源：消费维权知识库编写，仅供参考。" }
            }
            p.share { "分享本页：" a.share-link href=(doc_url(&doc.id, None)) { "复制链接" } " · " button.print-button type="button" hidden { "打印" } }
        }
        @if !page.cited_by.is_empty() {
            section.related aria-labelledby="cited-title" {
                h2 #cited-title { "引用本法条文的内容" }
                dl.cited-by {
                    @for cited in &page.cited_by {
                        dt { a href={ "#" (cited.anchor) } { (cited.anchor) } }
                        dd {
                            ul { @for citing in &cited.documents { li { span.badge { (kind_label(&citing.kind)) } " " a href=(doc_url(&citing.id, None)) { (citing.title) } } } }
                        }
                    }
                }
            }
        }
        @if !page.related.is_empty() {
            section.related aria-labelledby="related-title" {
                h2 #related-title { "相关内容" }
                ul { @for related in &page.related { li { span.badge { (kind_label(&related.kind)) } " " a href=(doc_url(&related.id, None)) { (related.title) } } } }
            }
        }
    }
}

async fn warnings(State(state): State<AppState>, visitor: Visitor) -> Response {
    let today = state.clock().today();
    let all = match state.blocking(|engine| engine.warnings(None, None)).await {
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
                        li.hit { h2 { a href=(hit_url(hit)) { (display_title(&hit.kind, &hit.title)) @if let Some(a) = &hit.article { " " (a) } } } p.meta { span.badge { (kind_label(&hit.kind)) } @if let Some(d) = &hit.date { " · " (d) } } }
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
    let warnings = match state.blocking(move |engine| engine.warnings(Some(today), None)).await {
        Ok(warnings) => warnings,
        Err(error) => return error.status.into_response(),
    };
    let mut sorted = warnings;
    sorted.sort_by(|a, b| b.date.cmp(&a.date));
    let issuers = state.issuers(sorted.iter().map(|w| w.id.clone()).collect()).await;
    // Atom wants instants: a warning's date is midnight of that day in the clock's zone.
    let instant = |date: Option<&str>| {
        let day = date.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or_default();
        clock.start_of(day).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let updated = instant(sorted.first().and_then(|w| w.date.as_deref()));
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
                    updated { (instant(warning.date.as_deref())) }
                    author { name { (issuers.get(&warning.id).map_or("消费维权知识库", String::as_str)) } }
                    @if let Some(summary) = &warning.summary { summary { (summary) } }
                    category term=(warning.severity.as_deref().unwrap_or("info")) {}
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
