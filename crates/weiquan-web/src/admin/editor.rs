//! Content work: the list of warnings and guides by stage, the editor with
//! its live preview and saving (versions and reviews: `history`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::history::diff_markup;
use super::{AdminError, CsrfForm, Signed, blocking, layout, local_time, status_of};
use crate::views::trusted;
use crate::{AppState, kiosk};
use weiquan_core::clock::Clock;
use weiquan_core::content::{Kind, Severity};
use weiquan_publish::publish::{Actor, Edit, Fields, Opened, PublishError, Session, Stage, Vocabulary};

// ---- the list ----

#[derive(Deserialize)]
pub(super) struct ListParams {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    q: String,
    /// Only documents with a revision waiting for a publisher.
    #[serde(default)]
    pending: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, AdminError> {
    let (entries, problems) =
        blocking(&state, |publisher| Ok::<_, PublishError>((publisher.entries()?, publisher.problems()))).await?;
    let stage = Stage::parse(&params.stage);
    let pending = params.pending.is_some();
    let needle = params.q.trim();
    let shown: Vec<_> = entries
        .iter()
        .filter(|e| stage.is_none_or(|s| e.stage == s))
        .filter(|e| !pending || e.pending)
        .filter(|e| needle.is_empty() || e.title.contains(needle) || e.id.contains(needle))
        .collect();
    Ok(layout(
        &state.assets,
        "内容列表",
        Some(&session),
        html! {
            @if !problems.is_empty() {
                section.problems role="alert" {
                    h2 { "有问题的文件（上一个正确版本仍在网站上）" }
                    ul { @for problem in &problems { li { code { (problem.to_string()) } } } }
                }
            }
            nav.stages aria-label="按状态筛选" {
                a href="/admin" aria-current=[(stage.is_none() && !pending).then_some("page")] { "全部 " (entries.len()) }
                @for s in Stage::ALL {
                    a href={ "/admin?stage=" (s.as_str()) } aria-current=[(stage == Some(s)).then_some("page")] {
                        (s.label()) " " (entries.iter().filter(|e| e.stage == s).count())
                    }
                }
                a href="/admin?pending=1" aria-current=[pending.then_some("page")] {
                    "待批准的修改 " (entries.iter().filter(|e| e.pending).count())
                }
            }
            form.admin-search method="get" action="/admin" {
                @if let Some(s) = stage { input type="hidden" name="stage" value=(s.as_str()); }
                label { "查找标题" input name="q" value=(params.q); }
                button type="submit" { "查找" }
            }
            table.admin-list {
                thead { tr { th { "标题" } th { "类型" } th { "状态" } th { "日期" } th { "有效期至" } } }
                tbody {
                    @for entry in &shown {
                        tr data-id=(entry.id) {
                            td {
                                a href={ "/admin/edit?id=" (entry.id) } { (entry.title) }
                                @if !entry.stale.is_empty() {
                                    " " span.badge.stale title=(entry.stale.join("\n")) { "需复核" }
                                }
                            }
                            td { (entry.kind.label()) }
                            td.stage {
                                (entry.stage.label()) @if let Some(at) = &entry.publish_at { " " small { (at) } }
                                @if entry.pending { " " strong.pending { "有待批准的修改" } }
                            }
                            td { (entry.date.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (entry.expires.map(|d| d.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        },
    ))
}

// ---- the editor ----

#[derive(Deserialize)]
pub(super) struct EditorParams {
    id: Option<String>,
    #[serde(default)]
    kind: String,
    /// What the save that led here did (`Saved::done`), said back to staff.
    done: Option<String>,
}

pub(super) async fn editor(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<EditorParams>,
) -> Result<Html<String>, AdminError> {
    let EditorParams { id, kind, done } = params;
    let (opened, vocabulary) = blocking(&state, move |publisher| {
        let opened = match id {
            Some(id) => match publisher.open(&id)? {
                Some(opened) => Some((id, opened)),
                None => return Err(AdminError::not_found(format!("没有找到 {id}"))),
            },
            None => None,
        };
        Ok((opened, publisher.vocabulary()))
    })
    .await?;
    let (form, title, opened) = match opened {
        Some((id, opened)) => (Fields::of(&opened, &id, state.clock()), "编辑", Some(opened)),
        None => (Fields::new(if kind == "guide" { Kind::Guide } else { Kind::Warning }), "新建", None),
    };
    let page = Page { title, form: &form, vocabulary: &vocabulary, done: done.as_deref() };
    Ok(editor_page(&state, &session, &page, opened.as_ref(), None))
}

/// What the editor says about a revision waiting for a publisher; a
/// publisher also sees it against the live text, and can approve or
/// discard it.
fn review_notice(clock: &Clock, session: &Session, form: &Fields, opened: &Opened) -> Markup {
    let Some(review) = &opened.review else { return html! {} };
    html! {
        section.review role="status" {
            p { "这篇内容有一份待批准的修改（" (review.author) "，" (local_time(clock, &review.saved_at)) "）。下面显示的是这份修改；网站上仍是原来的文字。" }
            @if review.outdated {
                p.error role="alert" { "这份修改提交之后，网站上的文字又改动过：它不能再批准，请放弃后重新编辑。" }
            }
            @if session.user.role.can_publish() {
                details open {
                    summary { "与网站上文字的差异" }
                    pre.diff { (diff_markup(&review.live, &opened.text)) }
                }
                form.inline method="post" action="/admin/review" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="id" value=(form.id);
                    input type="hidden" name="base" value=(form.base);
                    @if !review.outdated { button type="submit" name="action" value="approve" data-confirm="批准后这份修改立即上线，确定吗？" { "批准发布" } }
                    button type="submit" name="action" value="discard" { "放弃这份修改" }
                }
            }
        }
    }
}

/// What the editor page shows besides the review and the message.
struct Page<'a> {
    /// 编辑 or 新建.
    title: &'a str,
    form: &'a Fields,
    vocabulary: &'a Vocabulary,
    /// What the save that led here did (`done=` in the address).
    done: Option<&'a str>,
}

fn editor_page(
    state: &AppState,
    session: &Session,
    page: &Page<'_>,
    opened: Option<&Opened>,
    message: Option<&str>,
) -> Html<String> {
    let Page { title, form, vocabulary, done } = *page;
    let public = form.stage.is_some_and(|stage| matches!(stage, Stage::Published | Stage::Scheduled | Stage::Expired));
    let is_warning = !form.is_guide();
    let field = |label: &str, name: &str, value: &str, hint: &str| {
        html! { label { (label) input name=(name) value=(value); @if !hint.is_empty() { small { (hint) } } } }
    };
    let date_field = |label: &str, name: &str, value: &str, hint: &str| {
        html! { label { (label) input type="date" name=(name) value=(value); @if !hint.is_empty() { small { (hint) } } } }
    };
    layout(
        &state.assets,
        title,
        Some(session),
        html! {
            @if let Some(message) = message { p.error role="alert" { (message) } }
            @if let Some(done) = done { (done_notice(done, &form.id, public)) }
            @if let Some(opened) = opened { (review_notice(state.clock(), session, form, opened)) }
            @if public && !session.user.role.can_publish() {
                p.notice { "这篇内容已公开：您保存的修改要经发布员批准后才会上线，在此之前网站上仍是原来的文字。" }
            }
            form.admin-form.editor #editor method="post" action="/admin/save" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="id" value=(form.id);
                input type="hidden" name="base" value=(form.base);
                input type="hidden" name="kind" value=(form.kind);
                @if form.id.is_empty() {
                    (field("文件名（英文、数字、连字符）", "slug", &form.slug, "留空则按时间生成"))
                } @else {
                    p { "文件：" code { "content/" (form.id) ".md" } " · " a href={ "/admin/history?id=" (form.id) } { "历史版本" } @if form.stage.is_some() { " · 当前状态：" (form.stage.unwrap_or(Stage::Draft).label()) } }
                }
                (field("标题", "title", &form.title, ""))
                label { "摘要" textarea name="summary" rows="2" { (form.summary) } }
                @if is_warning {
                    label { "级别"
                        select name="severity" {
                            @for severity in Severity::ALL {
                                option value=(severity.as_str()) selected[form.severity == severity.as_str()] { (severity.label()) }
                            }
                        }
                    }
                    label.check { input type="checkbox" name="urgent" value="1" checked[form.urgent.is_some()]; "紧急" }
                    label.check { input type="checkbox" name="pinned" value="1" checked[form.pinned.is_some()]; "置顶" }
                    (field("发布单位", "issuer", &form.issuer, ""))
                    (date_field("有效期至", "expires", &form.expires, "留空则长期有效"))
                    (kiosk_choices(&kiosk_options(state, &form.kiosks), &form.kiosks))
                    (field("投诉渠道（逗号分隔）", "channels", &form.channels, "留空则显示 12315"))
                    (field("来源链接或说明", "source", &form.source, ""))
                }
                (date_field("生效日期", "date", &form.date, "留空则为今天"))
                (date_field("最后核对日期", "checked", &form.checked, "按所引法规核对内容的日期；留空则为发布当天"))
                (tag_picker(vocabulary, &form.tag_list()))
                (field("地区（逗号分隔）", "regions", &form.regions, ""))
                label {
                    "定时发布时间（北京时间）"
                    input type="datetime-local" name="publish_at" value=(form.publish_at);
                    small { "仅在点“定时发布”时使用" }
                }
                label { "常见问题（每行一个，用读者自己的话，至少 5 个）" textarea name="questions" rows="6" { (form.questions) } }
                label { "正文（Markdown）" textarea #body name="body" rows="18" { (form.body) } }
                div.buttons {
                    // Saving keeps the document's state: for one already
                    // public that means the change goes live (or, from an
                    // editor, waits for approval); otherwise it stays a draft.
                    @if public && session.user.role.can_publish() {
                        button type="submit" name="action" value="draft" data-confirm="保存后网站上的内容立即更新，确定吗？" { "保存修改（网站随即更新）" }
                    } @else if public {
                        button type="submit" name="action" value="draft" { "提交修改（经批准后上线）" }
                    } @else {
                        button type="submit" name="action" value="draft" { "存为草稿" }
                    }
                    @if session.user.role.can_publish() {
                        button type="submit" name="action" value="publish" data-confirm="发布后公众立即可以看到，确定发布吗？" { "立即发布" }
                        button type="submit" name="action" value="schedule" data-confirm="到所填时间后自动公开，确定吗？" { "定时发布" }
                        @if !form.id.is_empty() { button type="submit" name="action" value="withdraw" data-confirm="撤回后公众将看不到这条内容，确定撤回吗？" { "撤回" } }
                    }
                }
            }
            section.preview aria-live="polite" {
                h2 { "预览" }
                div #preview { p.small { "输入正文后在此显示，引用的法条会变成链接。" } }
            }
        },
    )
}

/// What the save just did, in words, with a link to see the public page.
fn done_notice(done: &str, id: &str, public: bool) -> Markup {
    let said = match done {
        "publish" => "已发布，公众现在可以看到",
        "schedule" => "已定时发布，到时自动公开",
        "withdraw" => "已撤回，网站上不再显示",
        "proposed" => "已提交，等待发布员批准；在此之前网站上仍是原来的文字",
        _ if public => "已保存，网站上已更新",
        _ => "已保存为草稿，公众看不到",
    };
    let live = public || done == "publish";
    html! {
        p.notice role="status" { (said) @if live { " · " a href=(crate::doc_url(id, None)) { "查看" } } }
    }
}

/// 标签: the shared vocabulary as ticked boxes in its groups (a filter box
/// above them once the script runs), with any chosen tag outside it ticked
/// apart so that a refused save shows what was sent; without a vocabulary,
/// a text box (any tag goes).
fn tag_picker(vocabulary: &Vocabulary, chosen: &[String]) -> Markup {
    if vocabulary.is_empty() {
        return html! { label { "标签（逗号分隔）" input name="tags" value=(chosen.join("，")); } };
    }
    let unknown = vocabulary.unknown(chosen);
    let tick = |tag: &str| {
        html! { label.check { input type="checkbox" name="tags" value=(tag) checked[chosen.iter().any(|c| c == tag)]; (tag) } }
    };
    html! {
        fieldset.tags #tags {
            legend { "标签" }
            small { "从共享标签词表（content/tags.txt）中选择。词表里没有的标签，请管理员先加入词表。" }
            input.tag-filter type="search" placeholder="输入文字筛选标签" aria-label="筛选标签" hidden;
            @for (heading, tags) in &vocabulary.groups {
                div.tag-group {
                    @if let Some(heading) = heading { strong { (heading) } }
                    @for tag in tags { (tick(tag)) }
                }
            }
            @if !unknown.is_empty() {
                div.tag-group.unknown role="alert" {
                    strong { "不在词表中（保存前请取消勾选，或请管理员加入词表）" }
                    @for tag in &unknown { (tick(tag)) }
                }
            }
        }
    }
}

/// The kiosks a warning can be sent to, as (id, name): the configured ones,
/// then any id the document names that is no longer configured, so a save
/// does not drop it unseen.
fn kiosk_options(state: &AppState, chosen: &[String]) -> Vec<(String, String)> {
    let configured = kiosk::kiosk_list(state);
    let unknown: Vec<(String, String)> = chosen
        .iter()
        .filter(|id| !configured.contains_key(*id))
        .map(|id| (id.clone(), format!("{id}（未配置）")))
        .collect();
    configured.into_iter().map(|(id, kiosk)| (id, kiosk.name)).chain(unknown).collect()
}

/// 投放终端: a checkbox for each kiosk, or a note that none is configured.
fn kiosk_choices(options: &[(String, String)], chosen: &[String]) -> Markup {
    html! {
        fieldset.kiosks {
            legend { "投放终端" }
            @if options.is_empty() {
                p.small { "尚未配置终端（在 weiquan.toml 的 [kiosks] 中添加）：这条警示会在所属地区的全部终端上显示。" }
            } @else {
                @for (id, name) in options {
                    label.check {
                        input type="checkbox" name="kiosks" value=(id) checked[chosen.contains(id)];
                        (name) " " small { code { (id) } }
                    }
                }
                small { "都不选则投放到所属地区的全部终端" }
            }
        }
    }
}

pub(super) async fn save(
    State(state): State<AppState>,
    Signed(session): Signed,
    CsrfForm(form): CsrfForm<Fields>,
) -> Result<Response, AdminError> {
    let (parsed, actor) = (form.to_edit(), Actor::staff(&session.user));
    let done = parsed.as_ref().map_or("edit", |(_, action)| action.audited().as_str());
    let (vocabulary, saved) = blocking(&state, move |publisher| {
        let vocabulary = publisher.vocabulary();
        Ok::<_, AdminError>((vocabulary, parsed.map(|(edit, action)| publisher.save(&actor, edit, action))))
    })
    .await?;
    let (status, message) = match saved {
        Ok(Ok(saved)) => {
            let done = if saved.proposed { "proposed" } else { done };
            return Ok(Redirect::to(&format!("/admin/edit?id={}&done={done}", saved.id)).into_response());
        }
        Ok(Err(error)) => (status_of(&error), error.to_string()),
        Err(message) => (StatusCode::BAD_REQUEST, message),
    };
    let page = Page { title: "编辑", form: &form, vocabulary: &vocabulary, done: None };
    Ok((status, editor_page(&state, &session, &page, None, Some(&message))).into_response())
}

/// The preview: the body rendered by the public pages' code, citations resolved.
pub(super) async fn preview(
    State(state): State<AppState>,
    CsrfForm(mut form): CsrfForm<Fields>,
) -> Result<Response, AdminError> {
    if form.title.trim().is_empty() {
        form.title = "预览".into();
    }
    let edit = match form.to_edit() {
        Ok((edit, _)) => edit,
        Err(message) => return Ok(preview_error(&message)),
    };
    let engine = state.engine.clone();
    let rendered = blocking(&state, move |publisher| {
        let composed = publisher.compose(&Edit { id: None, slug: "preview".into(), ..edit });
        Ok::<_, AdminError>(composed.map(|(_, document)| engine.render(&document, &crate::citation_url).html))
    })
    .await?;
    Ok(match rendered {
        Ok(html) => Html(html! { div.document { (trusted(&html)) } }.into_string()).into_response(),
        Err(error) => preview_error(&error.to_string()),
    })
}

/// Why the preview cannot be shown, in its place.
fn preview_error(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(html! { p.error { (message) } }.into_string())).into_response()
}
