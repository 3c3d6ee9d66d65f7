//! Versions of a document: its history with the difference from the
//! current text, restoring one, and the review of a revision that waits for
//! a publisher.

use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use serde::Deserialize;

use super::{AdminError, CsrfForm, Signed, blocking, layout, local_time};
use crate::AppState;
use weiquan_publish::publish::{Actor, PublishError, Publisher, Session, action_label};

#[derive(Deserialize)]
pub(super) struct HistoryParams {
    id: String,
    n: Option<i64>,
}

pub(super) async fn history(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<HistoryParams>,
) -> Result<Html<String>, AdminError> {
    let (id, n) = (params.id.clone(), params.n);
    let (versions, current, shown) = blocking(&state, move |publisher| {
        let versions = publisher.store().versions(&id)?;
        let current = publisher.open(&id)?;
        let shown = match n {
            Some(n) => {
                let text = publisher.store().version(&id, n)?;
                Some((n, text.ok_or_else(|| AdminError::not_found(format!("没有版本 {n}")))?))
            }
            None => None,
        };
        Ok::<_, AdminError>((versions, current, shown))
    })
    .await?;
    let pending = current.as_ref().is_some_and(|o| o.review.is_some());
    let current_text = current.as_ref().map(|o| o.text.clone()).unwrap_or_default();
    let base = current.as_ref().map(|o| o.fingerprint.clone()).unwrap_or_default();
    let doc_title = current.as_ref().map(|o| o.document.meta.title.clone()).unwrap_or_default();
    let clock = state.clock();
    Ok(layout(
        &state.assets,
        "历史版本",
        Some(&session),
        html! {
            p { a href={ "/admin/edit?id=" (params.id) } { "返回编辑 " (doc_title) " " code { (params.id) } } }
            table.admin-list {
                thead { tr { th { "版本" } th { "操作" } th { "作者" } th { "时间" } th {} } }
                tbody {
                    @for v in &versions {
                        tr {
                            td { (v.number) } td data-action=(v.action) { (action_label(&v.action)) } td { (v.author) }
                            td { time datetime=(v.saved_at) { (local_time(clock, &v.saved_at)) } }
                            td { a href={ "/admin/history?id=" (params.id) "&n=" (v.number) } { "查看并与当前比较" } }
                        }
                    }
                }
            }
            @if let Some((n, text)) = &shown {
                h2 { "版本 " (n) " 与" @if pending { "待批准的修改" } @else { "当前文件" } "的差异" }
                pre.diff { (diff_markup(text, &current_text)) }
                form method="post" action="/admin/restore" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="id" value=(params.id);
                    input type="hidden" name="n" value=(n);
                    input type="hidden" name="base" value=(base);
                    button type="submit" data-confirm="确定恢复为这个版本吗？已公开的内容会按恢复后的文字更新。" { "恢复为版本 " (n) }
                }
            }
        },
    ))
}

/// Lines removed from `old` and added in `new`, marked.
pub(super) fn diff_markup(old: &str, new: &str) -> Markup {
    let diff = similar::TextDiff::from_lines(old, new);
    html! {
        @for change in diff.iter_all_changes() {
            @match change.tag() {
                similar::ChangeTag::Delete => del { "- " (change.value()) },
                similar::ChangeTag::Insert => ins { "+ " (change.value()) },
                similar::ChangeTag::Equal => span { "  " (change.value()) },
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct RestoreForm {
    id: String,
    n: i64,
    #[serde(default)]
    base: String,
}

pub(super) async fn restore(
    State(state): State<AppState>,
    Signed(session): Signed,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> Result<Redirect, AdminError> {
    let RestoreForm { id, n, base } = form;
    publishing_step(&state, &session, move |publisher, actor| {
        publisher.restore(actor, &id, n, &base).map(|saved| saved.id)
    })
    .await
}

/// Runs one publishing step as `session`'s user, off the async workers,
/// then opens the editor on the document the step returns.
async fn publishing_step(
    state: &AppState,
    session: &Session,
    step: impl FnOnce(&Publisher, &Actor) -> Result<String, PublishError> + Send + 'static,
) -> Result<Redirect, AdminError> {
    let actor = Actor::staff(&session.user);
    let id = blocking(state, move |publisher| step(publisher, &actor)).await?;
    Ok(Redirect::to(&format!("/admin/edit?id={id}")))
}

#[derive(Deserialize)]
pub(super) struct ReviewForm {
    id: String,
    /// The fingerprint of the revision as the publisher saw it.
    #[serde(default)]
    base: String,
    /// approve | discard
    action: String,
}

/// A publisher approves or discards the revision waiting for a document.
pub(super) async fn review(
    State(state): State<AppState>,
    Signed(session): Signed,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Redirect, AdminError> {
    let ReviewForm { id, base, action } = form;
    publishing_step(&state, &session, move |publisher, actor| {
        match action.as_str() {
            "approve" => publisher.approve(actor, &id, &base).map(|_| ()),
            "discard" => publisher.discard(actor, &id, &base),
            _ => Err(PublishError::Invalid("未知操作：应为批准或放弃".into())),
        }
        .map(|()| id)
    })
    .await
}
