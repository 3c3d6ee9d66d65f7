//! 版本对照: `/docs/{id}/compare` and `/api/docs/{id}/compare`. A route can
//! have nothing after a catch-all segment, so the document routes hand
//! over ids ending in `/compare`; when the id before it is no document,
//! they show the document whose own id ends in `/compare`, if any.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::{ApiError, WebError};
use super::pages::Visitor;
use super::views::{date_or, encode, trusted};
use super::{AppState, doc_url};
use weiquan_core::content::compare::Change;
use weiquan_core::search::Version;
use weiquan_core::search::compare::{CompareError, ComparedArticle, ComparedText, Comparison};

/// The suffix of a document address that asks for its comparison.
pub(crate) const SUFFIX: &str = "/compare";

/// The query parameters of both addresses.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CompareParams {
    /// The version on the left: its id or date (YYYY-MM-DD). By default the
    /// version before `to`.
    pub from: Option<String>,
    /// The version on the right: its id or date. By default the version in
    /// force (else the newest).
    pub to: Option<String>,
}

impl From<CompareError> for WebError {
    fn from(error: CompareError) -> WebError {
        match error {
            CompareError::OneVersion => WebError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: "本库中只有这一个版本，没有可以对照的其他版本".into(),
                message_en: error.to_string(),
            },
            CompareError::NoSuchVersion { param, ref value, ref available } => WebError::bad_request(
                "invalid_parameter",
                format!("参数 {param} 的值“{value}”不是这部法规的版本，可选：{}", available.join("、")),
                error.to_string(),
            ),
            CompareError::SameVersion => {
                WebError::bad_request("invalid_parameter", "请选择两个不同的版本进行对照", error.to_string())
            }
            CompareError::Engine(error) => error.into(),
        }
    }
}

/// `/docs/{id}/compare` with the chosen versions (`None`: the default).
pub(crate) fn compare_url(id: &str, from: Option<&str>, to: Option<&str>) -> String {
    let pairs: Vec<String> = [("from", from), ("to", to)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", encode(v))))
        .collect();
    match pairs.is_empty() {
        true => format!("/docs/{id}{SUFFIX}"),
        false => format!("/docs/{id}{SUFFIX}?{}", pairs.join("&")),
    }
}

/// Runs the comparison of law `id` asked by the raw query string.
/// `Ok(None)` when no document `id` is indexed.
async fn comparison(state: &AppState, id: &str, query: Option<&str>) -> Result<Option<Comparison>, WebError> {
    let params: CompareParams = serde_html_form::from_str(query.unwrap_or("")).map_err(|error| {
        WebError::bad_request("invalid_parameter", "查询参数格式有误", format!("malformed query string: {error}"))
    })?;
    let id = id.to_string();
    let compared =
        state.blocking(move |engine| Ok(engine.compare(&id, params.from.as_deref(), params.to.as_deref()))).await?;
    Ok(compared?)
}

/// The comparison page of law `id`, or `None` when no document `id` is indexed.
pub(super) async fn page(state: &AppState, visitor: &Visitor, id: &str, query: Option<&str>) -> Option<Response> {
    match comparison(state, id, query).await {
        Ok(Some(comparison)) => {
            let title = format!("《{}》版本对照", comparison.title);
            Some(state.page(visitor, &title, comparison_page(id, &comparison)).into_response())
        }
        Ok(None) => None,
        Err(error) => Some(state.error_page(visitor, error)),
    }
}

/// Two versions of a law compared article by article (版本对照): articles
/// are aligned by content, so a renumbered article stands beside its old
/// self; changed words are in `<del>` and `<ins>`.
#[utoipa::path(get, path = "/api/docs/{id}/compare", params(
    ("id" = String, Path, description = "Id of any version of the law, e.g. 诉讼与非诉讼程序法/民事诉讼法(2023-09-01)"),
    CompareParams,
), responses(
    (status = 200, description = "The comparison", body = Comparison),
    (status = 400, description = "Invalid parameter: from or to names no version of this law, or both the same", body = super::error::ErrorBody),
    (status = 404, description = "No such document, or only one version of it", body = super::error::ErrorBody),
))]
pub(super) async fn api(state: &AppState, id: &str, query: Option<&str>) -> Option<Result<Json<Comparison>, ApiError>> {
    comparison(state, id, query).await.map_err(ApiError).transpose().map(|result| result.map(Json))
}

fn comparison_page(id: &str, comparison: &Comparison) -> Markup {
    let (from, to) = (&comparison.from, &comparison.to);
    let name = |version: &Version| format!("{} 版", date_or(version.date, "日期不详"));
    let choice = |field: &str, label: &str, chosen: &Version| {
        html! {
            label {
                (label)
                select name=(field) {
                    @for version in &comparison.versions {
                        option value=(version.id) selected[version.id == chosen.id] {
                            (name(version)) @if let Some(status) = version.status { "（" (status.label()) "）" }
                        }
                    }
                }
            }
        }
    };
    html! {
        nav.breadcrumb aria-label="位置" {
            a href="/" { "首页" } " › " a href=(doc_url(id, None)) { (comparison.title) } " › 版本对照"
        }
        article.compare {
            h1 { "《" (comparison.title) "》" @if let Some(part) = &comparison.part { (part) " " } "版本对照" }
            p.lead {
                "逐条对照 " a href=(doc_url(&from.id, None)) { (name(from)) } " 与 " a href=(doc_url(&to.id, None)) { (name(to)) }
                "：条文按内容对应，条号变动的条文与原条文并排；"
                del { "删去的文字" } "和" ins { "增加的文字" } "已标出。"
            }
            form.compare-pick action=(compare_url(id, None, None)) method="get" {
                (choice("from", "原版本", from))
                (choice("to", "新版本", to))
                button type="submit" { "对照" }
            }
            ul.compare-counts aria-label="变化统计" {
                @for change in Change::ALL {
                    li class={ "change-" (change.as_str()) } { (change.label()) " " strong { (comparison.counts.of(change)) } " 条" }
                }
            }
            div.compare-columns aria-hidden="true" { div { (name(from)) } div { (name(to)) } }
            (rows(comparison, &name(from), &name(to)))
            p.source { "本对照由系统按条文内容自动生成，仅供参考，以国家机关正式公布的文本为准。" }
        }
    }
}

/// The rows, with the chapter above each change of chapter; runs of
/// articles whose text did not change are folded into one line that opens.
fn rows<'a>(comparison: &'a Comparison, from: &str, to: &str) -> Markup {
    let mut groups: Vec<(bool, Vec<&'a ComparedArticle>)> = Vec::new();
    for row in &comparison.rows {
        let same = matches!(row.change, Change::Unchanged | Change::Renumbered);
        match groups.last_mut() {
            Some((kind, group)) if *kind == same => group.push(row),
            _ => groups.push((same, vec![row])),
        }
    }
    let mut chapter: Option<&str> = None;
    let mut with_chapter = |row: &'a ComparedArticle| {
        let here = row.new.as_ref().or(row.old.as_ref()).and_then(|t| t.chapter.as_deref());
        let heading = (here.is_some() && here != chapter).then_some(here).flatten();
        chapter = here.or(chapter);
        html! {
            @if let Some(heading) = heading { h2.compare-chapter { (heading) } }
            (row_markup(comparison, row, from, to))
        }
    };
    html! {
        @for (same, group) in &groups {
            @if *same {
                details.compare-same {
                    summary { (same_summary(group)) }
                    @for row in group { (with_chapter(row)) }
                }
            } @else {
                @for row in group { (with_chapter(row)) }
            }
        }
    }
}

/// 内容未变的 12 条：第一条至第十二条（其中 3 条仅条号变动）
fn same_summary(group: &[&ComparedArticle]) -> String {
    let labels: Vec<&str> = group.iter().filter_map(|r| r.new.as_ref()?.label.as_deref()).collect();
    let renumbered = group.iter().filter(|r| r.change == Change::Renumbered).count();
    let mut text = format!("内容未变的 {} 条", group.len());
    match labels.as_slice() {
        [] => {}
        [only] => text.push_str(&format!("：{only}")),
        [first, .., last] => text.push_str(&format!("：{first}至{last}")),
    }
    if renumbered > 0 {
        text.push_str(&format!("（其中 {renumbered} 条仅条号变动）"));
    }
    text
}

fn row_markup(comparison: &Comparison, row: &ComparedArticle, from: &str, to: &str) -> Markup {
    let (old, new) = (label(row.old.as_ref()), label(row.new.as_ref()));
    let id = match (&row.new, &row.old) {
        (Some(ComparedText { anchor: Some(anchor), .. }), _) => Some(format!("to-{anchor}")),
        (_, Some(ComparedText { anchor: Some(anchor), .. })) => Some(format!("from-{anchor}")),
        _ => None,
    };
    let labels = match (old, new) {
        (Some(old), Some(new)) if old != new => html! { (old) " → " strong { (new) } },
        (_, Some(label)) | (Some(label), None) => html! { strong { (label) } },
        (None, None) => html! {},
    };
    html! {
        section class={ "compare-row change-" (row.change.as_str()) } id=[id] {
            p.compare-head {
                span class={ "badge change-" (row.change.as_str()) } { (row.change.label()) }
                " " (labels)
                @if row.change == Change::Modified && row.similarity < 0.7 {
                    span.small { " 改动较大（相似度 " ((row.similarity * 100.0).round()) "%）" }
                }
            }
            (cell("old", from, &comparison.from, row.old.as_ref(), "此版本无此条"))
            (cell("new", to, &comparison.to, row.new.as_ref(), "此版本已删除此条"))
        }
    }
}

/// An article's label, or what stands for text outside the articles.
fn label(text: Option<&ComparedText>) -> Option<&str> {
    text.map(|t| t.label.as_deref().unwrap_or("条文以外的文字"))
}

fn cell(side: &str, name: &str, version: &Version, text: Option<&ComparedText>, missing: &str) -> Markup {
    html! {
        div class={ "compare-cell " (side) } {
            p.compare-version {
                span.name { (name) }
                @if let Some(ComparedText { label: Some(label), anchor: Some(anchor), .. }) = text {
                    " " a href=(doc_url(&version.id, Some(anchor))) { (label) }
                }
            }
            @match text {
                Some(text) => { p.compare-text { (trusted(&text.html)) } }
                None => { p.compare-text.missing { (missing) } }
            }
        }
    }
}
