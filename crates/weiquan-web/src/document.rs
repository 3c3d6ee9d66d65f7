//! A document's page (`/docs/{id}`): a law with its versions and table of
//! contents, a guide, warning or case with where to complain; and, for the
//! old address of a withdrawn warning, what happened to it.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::{Query, QueryRejection};
use maud::{Markup, html};

use super::compare::{self, compare_url};
use super::error::WebError;
use super::pages::{Visitor, validity};
use super::params::document_id;
use super::views::{self, date_or, encode, trusted};
use super::{AppState, doc_url, insights};
use weiquan_core::content::Status;
use weiquan_core::search::{DocumentPage, FollowedLaw, WarningOrder};

pub(super) async fn document(
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
    let current = state.blocking(move |engine| engine.warnings(Some(today), None, &WarningOrder::Newest)).await.ok()?;
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
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    // Warnings and guides: the editor calls `issuer` 发布单位 and `source` 来源.
    let staff_written = matches!(doc.kind, weiquan_core::content::Kind::Warning | weiquan_core::content::Kind::Guide);
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
        nav.breadcrumb aria-label="位置" { a href="/" { "首页" } " › " (doc.kind.label()) }
        article class={ "document kind-" (kind) } {
            h1 { (meta.title) }
            @if let Some(severity) = meta.severity {
                div class={ "banner severity-" (severity.as_str()) } role="note" {
                    strong { "消费警示 · " (severity.label()) }
                    " " (validity(meta.date, meta.expires))
                }
            }
            @if let Some(current) = page.versions.iter().find(|v| v.status == Some(Status::Current)).filter(|v| v.id != doc.id) {
                div.banner.history role="note" {
                    strong { "历史版本" } "：本文本已被修改，现行有效的版本是 "
                    a href=(doc_url(&current.id, None)) { (date_or(current.date, "现行版本")) " 版" }
                    "。"
                }
            }
            @if let Some(summary) = &meta.summary { p.lead { (summary) } }
            @if matches!(doc.kind, weiquan_core::content::Kind::Guide | weiquan_core::content::Kind::Warning) {
                (views::complain(&meta.channels, false))
            }
            dl.details {
                dt { "类型" } dd { (doc.kind.label()) }
                @for (label, value) in &details { dt { (label) } dd { (value) } }
                // A retelling links the official case it tells in plain words.
                @if let Some(title) = &meta.retells {
                    dt { "改写自案例" }
                    dd { @if let Some(id) = &page.retold { a href=(doc_url(id, None)) { (title) } } @else { (title) } }
                }
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
                                @if version.id == doc.id { strong { (date_or(version.date, "日期不详")) " 版（本页）" } }
                                @else { a href=(doc_url(&version.id, None)) { (date_or(version.date, "日期不详")) " 版" } }
                                @if let Some(status) = version.status { " · " (status.label()) }
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
            @if !page.questions.is_empty() {
                details.faq {
                    summary { "常见问题（" (page.questions.len()) " 个）：点问题，直接看解答" }
                    ul {
                        @for question in &page.questions {
                            li {
                                @if let Some(anchor) = &question.anchor { a href={ "#" (anchor) } { (question.text) } }
                                @else { (question.text) }
                            }
                        }
                    }
                }
            }
            div.body { (trusted(&page.html)) }
            @if staff_written { (followed(&page.followed, meta.checked)) }
            @if matches!(doc.kind, weiquan_core::content::Kind::Law | weiquan_core::content::Kind::Case) {
                (views::complain(&meta.channels, false))
            }
            p.source {
                @if page.official { "来源：LawRefBook 法律法规数据库。本文本仅供参考，以国家机关正式公布的文本为准。" }
                @else if let (weiquan_core::content::Kind::Law, Some(source)) = (doc.kind, &doc.meta.source) {
                    "来源：" (source) "，由本站工作人员录入。本文本仅供参考，以国家机关正式公布的文本为准。"
                }
                @else if let Some(issuer) = meta.issuer.as_ref().filter(|_| matches!(doc.kind, weiquan_core::content::Kind::Warning | weiquan_core::content::Kind::Guide)) {
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
                            ul { @for citing in &cited.documents { li { span.badge { (citing.kind.label()) } " " a href=(doc_url(&citing.id, None)) { (citing.title) } } } }
                        }
                    }
                }
            }
        }
        @if !page.related.is_empty() {
            section.related aria-labelledby="related-title" {
                h2 #related-title { "相关内容" }
                ul { @for related in &page.related { li { span.badge { (related.kind.label()) } " " a href=(doc_url(&related.id, None)) { (related.title) } } } }
            }
        }
    }
}

/// A guide's or warning's 依据的法规版本 (the versions of the laws it cites
/// that the site holds) and 最后核对 (the day it was last checked against them).
fn followed(laws: &[FollowedLaw], checked: Option<chrono::NaiveDate>) -> Markup {
    html! {
        section.followed aria-labelledby="followed-title" {
            h2 #followed-title { "依据的法规版本" }
            @if laws.is_empty() {
                p { "本文没有引用本站收录的法规条文。" }
            } @else {
                ul {
                    @for law in laws {
                        li {
                            a href=(doc_url(&law.id, None)) { "《" (law.title) "》" }
                            " " (date_or(law.date, "日期不详")) " 版"
                            @if let Some(status) = law.status { "（" (status.label()) "）" }
                        }
                    }
                }
            }
            p.checked {
                "最后核对：" (date_or(checked, "未注明"))
                @if !laws.is_empty() { "。法规此后如有修改，以现行有效的版本为准。" }
            }
        }
    }
}
