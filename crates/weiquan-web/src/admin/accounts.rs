//! Accounts and devices, for admins: users, API tokens, kiosks and the
//! audit log.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Admin, AdminError, CsrfForm, blocking, layout, local_time};
use crate::{AppState, kiosk};
use weiquan_publish::publish::{AuditAction, Role, Scope, Session, action_label};

/// A one-button form that posts `action` about one item.
fn button_form(session: &Session, path: &str, action: &str, (field, value): (&str, &str), label: &str) -> Markup {
    html! {
        form.inline method="post" action=(path) {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="action" value=(action);
            input type="hidden" name=(field) value=(value);
            button type="submit" { (label) }
        }
    }
}

pub(super) async fn users(State(state): State<AppState>, Admin(session): Admin) -> Result<Html<String>, AdminError> {
    let users = blocking(&state, |publisher| publisher.store().users()).await?;
    Ok(layout(
        &state.assets,
        "用户",
        Some(&session),
        html! {
            table.admin-list {
                thead { tr { th { "用户名" } th { "角色" } th { "状态" } th { "创建时间" } th {} } }
                tbody {
                    @for user in &users {
                        tr {
                            td { (user.name) } td { (user.role.label()) }
                            td { @if user.disabled { "停用" } @else { "启用" } }
                            td { (local_time(state.clock(), &user.created_at)) }
                            td {
                                @if user.disabled {
                                    (button_form(&session, "/admin/users", "enable", ("name", &user.name), "启用"))
                                } @else if user.id != session.user.id {
                                    (button_form(&session, "/admin/users", "disable", ("name", &user.name), "停用"))
                                }
                            }
                        }
                    }
                }
            }
            h2 { "添加用户" }
            form.admin-form method="post" action="/admin/users" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="action" value="add";
                label { "用户名" input name="name" required; }
                label { "角色" select name="role" {
                    option value="editor" { "编辑" } option value="publisher" { "发布员" } option value="admin" { "管理员" }
                } }
                label {
                    "初始密码（至少 10 个字符，混用字母、数字或符号）"
                    input name="password" type="password" autocomplete="new-password" required;
                }
                button type="submit" { "添加" }
            }
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    action: String,
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// Adds, disables or enables an account as the signed-in admin.
pub(super) async fn user_action(
    State(state): State<AppState>,
    Admin(session): Admin,
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<Redirect, AdminError> {
    let UserForm { action, name, role, password } = form;
    let admin = session.user;
    match action.as_str() {
        "add" => {
            let role: Role = role.parse().map_err(|_| AdminError::bad_request("角色无效"))?;
            let permit = state.hashing.permit().await?;
            blocking(&state, move |publisher| {
                let _permit = permit;
                publisher.store().add_user(Some(&admin), &name, role, &password)
            })
            .await?;
        }
        "disable" | "enable" => {
            blocking(&state, move |publisher| publisher.store().set_disabled(Some(&admin), &name, action == "disable"))
                .await?;
        }
        _ => return Err(AdminError::bad_request("未知操作")),
    }
    Ok(Redirect::to("/admin/users"))
}

pub(super) async fn tokens(State(state): State<AppState>, Admin(session): Admin) -> Result<Html<String>, AdminError> {
    token_page(&state, &session, None).await
}

/// The tokens, with a new one's `secret` shown once.
async fn token_page(state: &AppState, session: &Session, secret: Option<&str>) -> Result<Html<String>, AdminError> {
    let tokens = blocking(state, |publisher| publisher.store().tokens()).await?;
    Ok(layout(
        &state.assets,
        "接口令牌",
        Some(session),
        html! {
            @if let Some(secret) = secret {
                p.notice role="status" { "新令牌（只显示这一次，请立即保存）：" code #new-token { (secret) } }
            }
            table.admin-list {
                thead { tr { th { "名称" } th { "权限" } th { "创建人" } th { "创建时间" } th { "状态" } th {} } }
                tbody {
                    @for token in &tokens {
                        tr {
                            td { (token.name) }
                            td { @for scope in &token.scopes { code { (scope.as_str()) } " " } }
                            td { (token.created_by) } td { (local_time(state.clock(), &token.created_at)) }
                            td {
                                @if token.revoked { "已吊销" }
                                @else if !token.creator_active { "创建人已停用，不可用" }
                                @else { "有效" }
                            }
                            td { @if !token.revoked {
                                (button_form(session, "/admin/tokens", "revoke", ("id", &token.id.to_string()), "吊销"))
                            } }
                        }
                    }
                }
            }
            h2 { "新建令牌" }
            form.admin-form method="post" action="/admin/tokens" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="action" value="create";
                label { "名称" input name="name" required; }
                label.check { input type="checkbox" name="write" value="1" checked; "warnings:write（创建、修改草稿）" }
                label.check { input type="checkbox" name="publish" value="1"; "warnings:publish（发布、撤回）" }
                button type="submit" { "创建" }
            }
        },
    ))
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    action: String,
    #[serde(default)]
    name: String,
    id: Option<i64>,
    write: Option<String>,
    publish: Option<String>,
}

pub(super) async fn token_action(
    State(state): State<AppState>,
    Admin(session): Admin,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, AdminError> {
    let admin = session.user.clone();
    match form.action.as_str() {
        "create" => {
            let scopes: Vec<Scope> =
                [(form.write.is_some(), Scope::WarningsWrite), (form.publish.is_some(), Scope::WarningsPublish)]
                    .into_iter()
                    .filter_map(|(on, scope)| on.then_some(scope))
                    .collect();
            let name = form.name;
            let secret = blocking(&state, move |publisher| {
                publisher.store().create_token(&name, &scopes, &admin.name).map(|(_, secret)| secret)
            })
            .await?;
            Ok(token_page(&state, &session, Some(&secret)).await?.into_response())
        }
        "revoke" => {
            let id = form.id.ok_or_else(|| AdminError::bad_request("缺少令牌编号"))?;
            blocking(&state, move |publisher| publisher.store().revoke_token(&admin, id)).await?;
            Ok(Redirect::to("/admin/tokens").into_response())
        }
        _ => Err(AdminError::bad_request("未知操作")),
    }
}

pub(super) async fn kiosks(State(state): State<AppState>, Admin(session): Admin) -> Html<String> {
    let now = state.clock().utc();
    let kiosks = kiosk::kiosk_list(&state);
    layout(
        &state.assets,
        "终端",
        Some(&session),
        html! {
            p { "终端每 30 秒报到一次；超过 " (kiosk::STALE_AFTER.as_secs()) " 秒没有报到即为离线。"
                "只有配置文件中设置了密钥（secret）的终端才能报到，终端首次打开 /kiosk/编号#key=密钥 即可记住密钥。" }
            @let without_url: Vec<&String> = kiosks.iter().filter(|(_, k)| !k.has_public_url).map(|(id, _)| id).collect();
            @if !without_url.is_empty() {
                p.error role="alert" {
                    "这些终端没有设置 public_url："
                    @for (i, id) in without_url.iter().enumerate() { @if i > 0 { "、" } code { (id) } }
                    "。它们的“手机扫码，带走全文”二维码会指向终端访问服务器时用的地址（如 127.0.0.1），观众的手机打不开。请在配置文件的 [kiosks.编号] 下设置 public_url（网站的公网地址）。"
                }
            }
            table.admin-list {
                thead { tr { th { "编号" } th { "名称" } th { "状态" } th { "最后报到" } th { "版本" } th { "方向" } th {} } }
                tbody {
                    @for (id, kiosk) in &kiosks {
                        @let beat = &kiosk.beat;
                        @let age = beat.as_ref().and_then(|b| (now - b.seen).to_std().ok());
                        tr data-kiosk=(id) {
                            td { code { (id) } } td { (kiosk.name) }
                            td.state { @match age {
                                Some(age) if age <= kiosk::STALE_AFTER => "在线",
                                Some(_) => "离线",
                                None if kiosk.can_report => "从未报到",
                                None => "未设置密钥，无法报到",
                            } }
                            td { @if let Some(age) = age { (age.as_secs()) " 秒前" } }
                            td { @if let Some(beat) = beat { (beat.version) } }
                            td { @if let Some(beat) = beat { (beat.orientation) } }
                            td { @if beat.is_some() { (button_form(&session, "/admin/kiosks", "reload", ("id", id), "要求刷新")) } }
                        }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub(super) struct KioskForm {
    id: String,
}

pub(super) async fn kiosk_action(
    State(state): State<AppState>,
    Admin(session): Admin,
    CsrfForm(form): CsrfForm<KioskForm>,
) -> Result<Redirect, AdminError> {
    kiosk::request_reload(&state, &form.id);
    blocking(&state, move |publisher| {
        publisher.store().audit(&session.user.name, AuditAction::KioskReload, &form.id, "")
    })
    .await?;
    Ok(Redirect::to("/admin/kiosks"))
}

pub(super) async fn audit(State(state): State<AppState>, Admin(session): Admin) -> Result<Html<String>, AdminError> {
    let (entries, titles) =
        blocking(&state, |publisher| publisher.store().audit_log(500).map(|log| (log, publisher.titles()))).await?;
    let clock = state.clock();
    Ok(layout(
        &state.assets,
        "操作记录",
        Some(&session),
        html! {
            p {
                "时间为本地时间（" (clock.zone().name()) "）。"
                a href="/admin/audit.csv" { "导出 CSV" }
                "（机器可读：时间为 UTC，操作为英文代码，如 publish、user.add）"
            }
            table.admin-list {
                thead { tr { th { "时间" } th { "操作人" } th { "操作" } th { "对象" } th { "说明" } } }
                tbody { @for e in &entries { tr {
                    td { time datetime=(e.at) { (local_time(clock, &e.at)) } } td { (e.actor) }
                    td data-action=(e.action) { (action_label(&e.action)) @if e.repeats > 1 { "（共 " (e.repeats) " 次）" } }
                    td {
                        @if let Some(title) = titles.get(&e.target) {
                            a href={ "/admin/edit?id=" (e.target) } { (title) } " " small { code { (e.target) } }
                        } @else { (e.target) }
                    }
                    td { (e.shown_detail()) }
                } } }
            }
        },
    ))
}

/// The audit log for machines: UTC RFC 3339 times and the raw action codes
/// (`edit`, `publish`, `user.add` …), not the page's local times and Chinese
/// labels.
pub(super) async fn audit_csv(State(state): State<AppState>, Admin(_): Admin) -> Result<impl IntoResponse, AdminError> {
    let csv = blocking(&state, |publisher| publisher.store().audit_csv()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
        ],
        csv,
    ))
}
