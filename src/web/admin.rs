//! The staff admin at /admin: sign-in, the list of warnings and guides by
//! stage, the editor with live preview, versions, users, API tokens and the
//! audit log; and the token-authenticated JSON endpoint for other systems.
//! Handlers extract, call the publisher and map the result.

use std::sync::Arc;

use crate::clock::Clock;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::error::{ApiError, WebError};
use super::views::trusted;
use super::{AppState, Assets};
use crate::content::{FrontMatter, Kind, Severity};
use crate::publish::{
    self, Action, Actor, Edit, LoginOutcome, Opened, PublishError, Publisher, Role, Saved, Scope, Session, Stage,
};

/// The session cookie.
const SESSION_COOKIE: &str = "wq_session";
/// The cookie that ties the sign-in form to the browser that asked for it.
const LOGIN_COOKIE: &str = "wq_login";
/// How long a session lasts.
const SESSION_HOURS: i64 = 8;

/// The staff routes; `state` renders their error pages
/// ([`AdminError`]) with the site's fingerprinted assets.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(list))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/edit", get(editor))
        .route("/admin/save", post(save))
        .route("/admin/preview", post(preview))
        .route("/admin/history", get(history))
        .route("/admin/restore", post(restore))
        .route("/admin/review", post(review))
        .route("/admin/users", get(users).post(user_action))
        .route("/admin/tokens", get(tokens).post(token_action))
        .route("/admin/kiosks", get(kiosks).post(kiosk_action))
        .route("/admin/audit", get(audit))
        .route("/admin/audit.csv", get(audit_csv))
        .route("/api/admin/warnings", post(api_save))
        .merge(super::insights::admin_routes())
        .merge(super::metrics::admin_routes())
        .layer(axum::middleware::map_response_with_state(state.clone(), error_page))
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }))
}

/// What an [`AdminError`] leaves on its response for [`error_page`].
#[derive(Clone)]
struct Failure(String);

/// Turns a refused or failed staff request into a page in the admin layout.
async fn error_page(State(state): State<AppState>, mut response: Response) -> Response {
    let Some(Failure(message)) = response.extensions_mut().remove::<Failure>() else { return response };
    let main = html! { p.error role="alert" { (message) } p { a href="/admin" { "返回内容列表" } } };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let page = layout(&state.assets, "出错了", None, main).into_response();
    let (page_parts, body) = page.into_parts();
    parts.headers.extend(page_parts.headers);
    Response::from_parts(parts, body)
}

/// What went wrong in the admin, as a page.
pub struct AdminError(pub StatusCode, pub String);

impl IntoResponse for AdminError {
    /// The status and the message; [`error_page`] lays it out.
    fn into_response(self) -> Response {
        let mut response = (self.0, axum::Extension(Failure(self.1.clone())), self.1).into_response();
        WebError::retry_after(self.0, &mut response);
        response
    }
}

/// The HTTP status of a refused or failed save.
fn status_of(error: &PublishError) -> StatusCode {
    match error {
        PublishError::Conflict | PublishError::PendingOutdated => StatusCode::CONFLICT,
        PublishError::Invalid(_) => StatusCode::BAD_REQUEST,
        PublishError::Forbidden(_) => StatusCode::FORBIDDEN,
        PublishError::NotFound(_) => StatusCode::NOT_FOUND,
        PublishError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
            tracing::error!(%error, "cannot save: the disk is full");
            StatusCode::INSUFFICIENT_STORAGE
        }
        _ => {
            tracing::error!(?error, "admin action failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl From<PublishError> for AdminError {
    fn from(error: PublishError) -> AdminError {
        AdminError(status_of(&error), error.to_string())
    }
}

impl From<publish::StoreError> for AdminError {
    /// A refused request (bad name, weak password …) is the asker's to fix:
    /// 400 with the reason. Anything else is a fault.
    fn from(error: publish::StoreError) -> AdminError {
        match error.refusal() {
            Some(reason) => AdminError(StatusCode::BAD_REQUEST, reason),
            None => PublishError::from(error).into(),
        }
    }
}

impl From<WebError> for AdminError {
    fn from(error: WebError) -> AdminError {
        AdminError(error.status, error.message)
    }
}

fn publisher(state: &AppState) -> Result<&Arc<Publisher>, AdminError> {
    state.publisher.as_ref().ok_or_else(|| AdminError(StatusCode::NOT_FOUND, "本站没有开启内容管理".into()))
}

/// The signed-in staff member, or a redirect to the sign-in page.
fn staff(state: &AppState, jar: &CookieJar) -> Result<Session, Box<Response>> {
    let publisher = publisher(state).map_err(|error| Box::new(error.into_response()))?;
    let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    match publisher.store().session(&token, state.clock().utc()) {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(Box::new(Redirect::to("/admin/login").into_response())),
        Err(error) => Err(Box::new(AdminError::from(error).into_response())),
    }
}

/// A signed-in staff member; others are sent to the sign-in page.
pub struct Signed(pub Session);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        staff(state, &CookieJar::from_headers(&parts.headers)).map(Signed).map_err(|response| *response)
    }
}

/// Every form posts its session's CSRF token.
fn check_csrf(session: &Session, token: &str) -> Result<(), AdminError> {
    if token.is_empty() || token != session.csrf {
        return Err(AdminError(StatusCode::FORBIDDEN, "表单已失效（缺少或错误的安全令牌），请刷新页面后重试".into()));
    }
    Ok(())
}

/// Refuses with 403 unless the session's role is `allowed` to do `what`.
pub(super) fn require(session: &Session, allowed: bool, what: &str) -> Result<(), AdminError> {
    if !allowed {
        return Err(AdminError(StatusCode::FORBIDDEN, format!("您的角色（{}）不能{what}", session.user.role.label())));
    }
    Ok(())
}

/// Every staff page: the stylesheet and script by their fingerprinted
/// addresses (`Assets::url`), so a deploy reaches staff at once although
/// static files are cached for a year.
pub(super) fn layout(assets: &Assets, title: &str, session: Option<&Session>, main: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="robots" content="noindex";
                    title { (title) " - 内容管理" }
                    link rel="stylesheet" href=(assets.url("style.css"));
                    script src=(assets.url("admin.js")) defer {}
                }
                body.admin {
                    header.site {
                        div.wrap {
                            a.brand href="/admin" { "内容管理" }
                            @if let Some(session) = session {
                                nav aria-label="管理导航" {
                                    a href="/admin" { "内容" }
                                    a href="/admin/edit?kind=warning" { "写警示" }
                                    a href="/admin/edit?kind=guide" { "写指南" }
                                    a href="/admin/insights" { "查询统计" }
                                    @if session.user.role.can_admin() {
                                        a href="/admin/users" { "用户" }
                                        a href="/admin/tokens" { "接口令牌" }
                                        a href="/admin/kiosks" { "终端" }
                                        a href="/admin/audit" { "操作记录" }
                                    }
                                    form.inline method="post" action="/admin/logout" {
                                        input type="hidden" name="csrf" value=(session.csrf);
                                        button type="submit" { "退出（" (session.user.name) "）" }
                                    }
                                }
                            }
                        }
                    }
                    main #main { div.wrap { h1 { (title) } (main) } }
                }
            }
        }
        .into_string(),
    )
}

// ---- sign-in ----

async fn login_page(State(state): State<AppState>, jar: CookieJar) -> impl IntoResponse {
    let token = publish::store::random_hex(16).unwrap_or_default();
    let cookie =
        Cookie::build((LOGIN_COOKIE, token.clone())).path("/admin").http_only(true).same_site(SameSite::Strict);
    (jar.add(cookie), login_form(&state.assets, &token, None))
}

fn login_form(assets: &Assets, token: &str, message: Option<&str>) -> Html<String> {
    layout(
        assets,
        "登录",
        None,
        html! {
            @if let Some(message) = message { p.error role="alert" { (message) } }
            form.admin-form method="post" action="/admin/login" {
                input type="hidden" name="csrf" value=(token);
                label { "用户名" input name="name" autocomplete="username" required; }
                label { "密码" input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "登录" }
            }
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    super::client::ClientIp(client): super::client::ClientIp,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AdminError> {
    // Sign-ins are throttled per address; one that came over no connection
    // (the router driven directly) counts as `unknown`.
    let address = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let publisher = publisher(&state)?.clone();
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if expected.is_empty() || form.csrf != expected {
        return Err(AdminError(StatusCode::FORBIDDEN, "登录表单已失效，请刷新页面后重试".into()));
    }
    let now = state.clock().utc();
    // A throttled attempt is refused here, without queueing for a hash.
    let wait = publisher.store().login_wait(&form.name, &address, now)?;
    let outcome = if wait.is_zero() {
        let (checker, name, password, from) = (publisher.clone(), form.name.clone(), form.password, address.clone());
        match state.hashing.run(move || checker.store().login(&name, &password, &from, now)).await {
            Ok(outcome) => outcome?,
            Err(busy) => {
                let mut response =
                    (busy.status, login_form(&state.assets, &expected, Some(&busy.message))).into_response();
                WebError::retry_after(busy.status, &mut response);
                return Ok(response);
            }
        }
    } else {
        LoginOutcome::Throttled { wait }
    };
    let (status, message, wait) = match outcome {
        LoginOutcome::Ok(user) => {
            let session = publisher.store().create_session(&user, chrono::Duration::hours(SESSION_HOURS), now)?;
            publisher.store().audit(&user.name, "login", "", &address)?;
            let cookie = Cookie::build((SESSION_COOKIE, session.token.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.secure_cookies);
            // A removal only matches the cookie with the same path.
            let login = Cookie::build(LOGIN_COOKIE).path("/admin").http_only(true).same_site(SameSite::Strict);
            return Ok((jar.add(cookie).remove(login), Redirect::to("/admin")).into_response());
        }
        // A disabled account answers this too, whether or not its password was right.
        LoginOutcome::Wrong => (StatusCode::UNAUTHORIZED, "用户名或密码不正确".to_string(), None),
        LoginOutcome::Throttled { wait } => {
            let message = format!("从您这里登录失败的次数过多，请 {} 后再试", wait_text(wait));
            (StatusCode::TOO_MANY_REQUESTS, message, Some(wait))
        }
    };
    match wait {
        Some(_) => publisher.store().audit_refused_login(&form.name, &address, now)?,
        None => publisher.store().audit(&form.name, "failed_login", "", &address)?,
    }
    let mut response = (status, login_form(&state.assets, &expected, Some(&message))).into_response();
    if let Some(wait) = wait {
        let seconds = wait.as_millis().div_ceil(1000);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(u64::try_from(seconds).unwrap_or(u64::MAX)));
    }
    Ok(response)
}

/// A wait in words: whole seconds under a minute, else whole minutes (rounded up).
fn wait_text(wait: std::time::Duration) -> String {
    let seconds = wait.as_millis().div_ceil(1000);
    if seconds < 60 { format!("{seconds} 秒") } else { format!("{} 分钟", seconds.div_ceil(60)) }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(state): State<AppState>, jar: CookieJar, Form(form): Form<CsrfForm>) -> Response {
    let session = match staff(&state, &jar) {
        Ok(session) => session,
        Err(response) => return *response,
    };
    if let Err(error) = check_csrf(&session, &form.csrf) {
        return error.into_response();
    }
    if let Some(publisher) = &state.publisher {
        let _ = publisher.store().end_session(&session.token);
        let _ = publisher.store().audit(&session.user.name, "logout", "", "");
    }
    let session = Cookie::build(SESSION_COOKIE).path("/").http_only(true).same_site(SameSite::Strict);
    (jar.remove(session), Redirect::to("/admin/login")).into_response()
}

// ---- the list ----

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    q: String,
    /// Only documents with a revision waiting for a publisher.
    #[serde(default)]
    pending: Option<String>,
}

async fn list(State(state): State<AppState>, Signed(session): Signed, Query(params): Query<ListParams>) -> Response {
    let publisher = match publisher(&state) {
        Ok(publisher) => publisher.clone(),
        Err(error) => return error.into_response(),
    };
    let entries = match tokio::task::spawn_blocking(move || publisher.entries()).await {
        Ok(Ok(entries)) => entries,
        Ok(Err(error)) => return AdminError::from(error).into_response(),
        Err(_) => return AdminError(StatusCode::INTERNAL_SERVER_ERROR, "内部错误".into()).into_response(),
    };
    let stage = Stage::parse(&params.stage);
    let pending = params.pending.is_some();
    let needle = params.q.trim();
    let shown: Vec<_> = entries
        .iter()
        .filter(|e| stage.is_none_or(|s| e.stage == s))
        .filter(|e| !pending || e.pending)
        .filter(|e| needle.is_empty() || e.title.contains(needle) || e.id.contains(needle))
        .collect();
    layout(
        &state.assets,
        "内容列表",
        Some(&session),
        html! {
            @let problems = state.publisher.as_ref().map(|p| p.problems()).unwrap_or_default();
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
    )
    .into_response()
}

// ---- the editor ----

#[derive(Deserialize)]
struct EditorParams {
    id: Option<String>,
    #[serde(default)]
    kind: String,
}

async fn editor(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<EditorParams>,
) -> Response {
    let publisher = match publisher(&state) {
        Ok(publisher) => publisher,
        Err(error) => return error.into_response(),
    };
    let (form, title, opened) = match &params.id {
        Some(id) => match publisher.open(id) {
            Ok(Some(opened)) => (EditForm::from_opened(&opened, id, state.clock()), "编辑", Some(opened)),
            Ok(None) => return AdminError(StatusCode::NOT_FOUND, format!("没有找到 {id}")).into_response(),
            Err(error) => return AdminError::from(error).into_response(),
        },
        None => {
            let kind = if params.kind == "guide" { "guide" } else { "warning" };
            (EditForm { kind: kind.into(), regions: "全国".into(), ..EditForm::default() }, "新建", None)
        }
    };
    let vocabulary = publisher.vocabulary();
    editor_page(&state.assets, &session, title, &form, &vocabulary, opened.as_ref(), None).into_response()
}

/// What the editor says about a revision waiting for a publisher; a
/// publisher also sees it against the live text, and can approve or
/// discard it.
fn review_notice(session: &Session, form: &EditForm, opened: &Opened) -> Markup {
    let Some(review) = &opened.review else { return html! {} };
    html! {
        section.review role="status" {
            p { "这篇内容有一份待批准的修改（" (review.author) "，" (review.saved_at) "）。下面显示的是这份修改；网站上仍是原来的文字。" }
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
                    @if !review.outdated { button type="submit" name="action" value="approve" { "批准发布" } }
                    button type="submit" name="action" value="discard" { "放弃这份修改" }
                }
            }
        }
    }
}

fn editor_page(
    assets: &Assets,
    session: &Session,
    title: &str,
    form: &EditForm,
    vocabulary: &[String],
    opened: Option<&Opened>,
    message: Option<&str>,
) -> Html<String> {
    let public = form.stage.is_some_and(|stage| matches!(stage, Stage::Published | Stage::Scheduled | Stage::Expired));
    let is_warning = form.kind != "guide";
    let field = |label: &str, name: &str, value: &str, hint: &str| {
        html! { label { (label) input name=(name) value=(value); @if !hint.is_empty() { small { (hint) } } } }
    };
    layout(
        assets,
        title,
        Some(session),
        html! {
            @if let Some(message) = message { p.error role="alert" { (message) } }
            @if let Some(opened) = opened { (review_notice(session, form, opened)) }
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
                    (field("有效期至（YYYY-MM-DD）", "expires", &form.expires, ""))
                    (field("投放终端（终端编号，逗号分隔）", "kiosks", &form.kiosks, "留空则投放到所属地区的全部终端"))
                    (field("投诉渠道（逗号分隔）", "channels", &form.channels, "留空则显示 12315"))
                    (field("来源链接或说明", "source", &form.source, ""))
                }
                (field("日期（YYYY-MM-DD）", "date", &form.date, "留空则为今天"))
                (field("标签（逗号分隔，取自共享词表）", "tags", &form.tags, ""))
                @if !vocabulary.is_empty() {
                    details { summary { "共享标签词表" } p.small { @for tag in vocabulary { code { (tag) } " " } } }
                }
                (field("地区（逗号分隔）", "regions", &form.regions, ""))
                (field("定时发布时间（YYYY-MM-DD HH:MM，北京时间）", "publish_at", &form.publish_at, "仅在点“定时发布”时使用"))
                label { "正文（Markdown）" textarea #body name="body" rows="18" { (form.body) } }
                div.buttons {
                    button type="submit" name="action" value="draft" { "保存" }
                    @if session.user.role.can_publish() {
                        button type="submit" name="action" value="publish" { "立即发布" }
                        button type="submit" name="action" value="schedule" { "定时发布" }
                        @if !form.id.is_empty() { button type="submit" name="action" value="withdraw" { "撤回" } }
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

/// The editor's fields, as text.
#[derive(Debug, Default, Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    urgent: Option<String>,
    #[serde(default)]
    pinned: Option<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    kiosks: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    publish_at: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
    #[serde(skip)]
    stage: Option<Stage>,
}

fn list_text(items: &[String]) -> String {
    items.join("，")
}

fn list_of(text: &str) -> Vec<String> {
    text.split([',', '，', '、']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

impl EditForm {
    fn from_opened(opened: &Opened, id: &str, clock: &Clock) -> EditForm {
        let (meta, body) = (&opened.document.meta, &opened.document.body);
        EditForm {
            id: id.into(),
            base: opened.fingerprint.clone(),
            kind: if id.starts_with("guides/") { "guide".into() } else { "warning".into() },
            title: meta.title.clone(),
            summary: meta.summary.clone().unwrap_or_default(),
            severity: meta.severity.map(|s| s.as_str().to_string()).unwrap_or_default(),
            urgent: meta.urgent.then(|| "1".into()),
            pinned: meta.pinned.then(|| "1".into()),
            issuer: meta.issuer.clone().unwrap_or_default(),
            date: meta.date.map(|d| d.to_string()).unwrap_or_default(),
            expires: meta.expires.map(|d| d.to_string()).unwrap_or_default(),
            tags: list_text(&meta.tags),
            regions: list_text(&meta.regions),
            kiosks: list_text(&meta.kiosks),
            channels: list_text(&meta.channels),
            source: meta.source.clone().unwrap_or_default(),
            publish_at: meta.publish_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            body: body.trim().to_string(),
            stage: Some(Stage::of(meta, clock.now())),
            ..EditForm::default()
        }
    }

    /// The edit and action the form asks for.
    fn to_edit(&self) -> Result<(Edit, Action), String> {
        let date = |text: &str, name: &str| -> Result<Option<chrono::NaiveDate>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            crate::content::date_format::parse(text)
                .map(Some)
                .ok_or_else(|| format!("{name}“{text}”不是日期，请写成 2026-03-10"))
        };
        let severity = if self.kind == "guide" || self.severity.is_empty() {
            None
        } else {
            Some(Severity::parse(&self.severity).ok_or("级别无效")?)
        };
        let some = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_string());
        let meta = FrontMatter {
            title: self.title.trim().to_string(),
            summary: some(&self.summary),
            severity,
            urgent: self.urgent.is_some(),
            pinned: self.pinned.is_some(),
            issuer: some(&self.issuer),
            date: date(&self.date, "日期")?,
            expires: date(&self.expires, "有效期")?,
            tags: list_of(&self.tags),
            regions: list_of(&self.regions),
            kiosks: list_of(&self.kiosks),
            channels: list_of(&self.channels),
            source: some(&self.source),
            // The state and publish time are the file's: the publisher keeps them.
            ..FrontMatter::default()
        };
        let action = match self.action.as_str() {
            "publish" => Action::Publish,
            "withdraw" => Action::Withdraw,
            "schedule" => Action::Schedule(
                crate::content::date_format::time::parse(&self.publish_at)
                    .ok_or("定时发布需要填写发布时间，例如 2026-12-01 09:00")?,
            ),
            _ => Action::SaveDraft,
        };
        let kind = if self.kind == "guide" { Kind::Guide } else { Kind::Warning };
        let edit = Edit {
            id: some(&self.id),
            kind,
            slug: self.slug.clone(),
            base: self.base.clone(),
            meta,
            body: self.body.replace("\r\n", "\n"),
        };
        Ok((edit, action))
    }
}

async fn save(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<EditForm>) -> Response {
    if let Err(error) = check_csrf(&session, &form.csrf) {
        return error.into_response();
    }
    let publisher = match publisher(&state) {
        Ok(publisher) => publisher.clone(),
        Err(error) => return error.into_response(),
    };
    let vocabulary = publisher.vocabulary();
    let (edit, action) = match form.to_edit() {
        Ok(parsed) => parsed,
        Err(message) => {
            return (
                StatusCode::BAD_REQUEST,
                editor_page(&state.assets, &session, "编辑", &form, &vocabulary, None, Some(&message)),
            )
                .into_response();
        }
    };
    let actor = Actor::staff(&session.user);
    let saved = tokio::task::spawn_blocking(move || publisher.save(&actor, edit, action)).await;
    match saved {
        Ok(Ok(saved)) => Redirect::to(&format!("/admin/edit?id={}", saved.id)).into_response(),
        Ok(Err(error)) => {
            let status = status_of(&error);
            let page = editor_page(&state.assets, &session, "编辑", &form, &vocabulary, None, Some(&error.to_string()));
            (status, page).into_response()
        }
        Err(_) => AdminError(StatusCode::INTERNAL_SERVER_ERROR, "内部错误".into()).into_response(),
    }
}

/// The preview: the body rendered by the public pages' code, citations resolved.
async fn preview(
    State(state): State<AppState>,
    Signed(session): Signed,
    headers: HeaderMap,
    Form(form): Form<EditForm>,
) -> Response {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or(&form.csrf);
    if let Err(error) = check_csrf(&session, token) {
        return error.into_response();
    }
    let publisher = match publisher(&state) {
        Ok(publisher) => publisher.clone(),
        Err(error) => return error.into_response(),
    };
    let mut form = form;
    if form.title.trim().is_empty() {
        form.title = "预览".into();
    }
    let (edit, _) = match form.to_edit() {
        Ok(parsed) => parsed,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Html(html! { p.error { (message) } }.into_string())).into_response();
        }
    };
    let engine = state.engine.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        publisher
            .compose(&Edit { id: None, slug: "preview".into(), ..edit })
            .map(|(_, document)| engine.render(&document, &super::citation_url).html)
    })
    .await;
    match rendered {
        Ok(Ok(html)) => Html(html! { div.document { (trusted(&html)) } }.into_string()).into_response(),
        Ok(Err(error)) => {
            (StatusCode::BAD_REQUEST, Html(html! { p.error { (error.to_string()) } }.into_string())).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

// ---- versions ----

#[derive(Deserialize)]
struct HistoryParams {
    id: String,
    n: Option<i64>,
}

async fn history(
    State(state): State<AppState>,
    Signed(session): Signed,
    Query(params): Query<HistoryParams>,
) -> Response {
    let result = (|| -> Result<Html<String>, AdminError> {
        let publisher = publisher(&state)?;
        let versions = publisher.store().versions(&params.id)?;
        let current = publisher.open(&params.id)?;
        let pending = current.as_ref().is_some_and(|o| o.review.is_some());
        let current_text = current.as_ref().map(|o| o.text.clone()).unwrap_or_default();
        let base = current.as_ref().map(|o| o.fingerprint.clone()).unwrap_or_default();
        let shown = match params.n {
            Some(n) => Some((
                n,
                publisher
                    .store()
                    .version(&params.id, n)?
                    .ok_or_else(|| AdminError(StatusCode::NOT_FOUND, format!("没有版本 {n}")))?,
            )),
            None => None,
        };
        Ok(layout(
            &state.assets,
            "历史版本",
            Some(&session),
            html! {
                p { a href={ "/admin/edit?id=" (params.id) } { "返回编辑 " code { (params.id) } } }
                table.admin-list {
                    thead { tr { th { "版本" } th { "操作" } th { "作者" } th { "时间" } th {} } }
                    tbody {
                        @for v in &versions {
                            tr {
                                td { (v.number) } td { (v.action) } td { (v.author) } td { (v.saved_at) }
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
                        button type="submit" { "恢复为版本 " (n) }
                    }
                }
            },
        ))
    })();
    result.into_response()
}

/// Lines removed from `old` and added in `new`, marked.
fn diff_markup(old: &str, new: &str) -> Markup {
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
struct RestoreForm {
    #[serde(default)]
    csrf: String,
    id: String,
    n: i64,
    #[serde(default)]
    base: String,
}

async fn restore(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<RestoreForm>) -> Response {
    let RestoreForm { csrf, id, n, base } = form;
    publishing_step(&state, &session, &csrf, move |publisher, actor| {
        publisher.restore(actor, &id, n, &base).map(|saved| saved.id)
    })
    .await
}

/// Runs one publishing step as `session`'s user, after the CSRF check and
/// off the async workers, then opens the editor on the document the step
/// returns.
async fn publishing_step(
    state: &AppState,
    session: &Session,
    csrf: &str,
    step: impl FnOnce(&Publisher, &Actor) -> Result<String, PublishError> + Send + 'static,
) -> Response {
    if let Err(error) = check_csrf(session, csrf) {
        return error.into_response();
    }
    let publisher = match publisher(state) {
        Ok(publisher) => publisher.clone(),
        Err(error) => return error.into_response(),
    };
    let actor = Actor::staff(&session.user);
    match tokio::task::spawn_blocking(move || step(&publisher, &actor)).await {
        Ok(Ok(id)) => Redirect::to(&format!("/admin/edit?id={id}")).into_response(),
        Ok(Err(error)) => AdminError::from(error).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    id: String,
    /// The fingerprint of the revision as the publisher saw it.
    #[serde(default)]
    base: String,
    /// approve | discard
    action: String,
}

/// A publisher approves or discards the revision waiting for a document.
async fn review(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<ReviewForm>) -> Response {
    let ReviewForm { csrf, id, base, action } = form;
    publishing_step(&state, &session, &csrf, move |publisher, actor| {
        match action.as_str() {
            "approve" => publisher.approve(actor, &id, &base).map(|_| ()),
            "discard" => publisher.discard(actor, &id, &base),
            _ => Err(PublishError::Invalid("未知操作：应为批准或放弃".into())),
        }
        .map(|()| id)
    })
    .await
}

// ---- users, tokens, audit (admins) ----

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

async fn users(State(state): State<AppState>, Signed(session): Signed) -> Response {
    let result = (|| -> Result<Html<String>, AdminError> {
        require(&session, session.user.role.can_admin(), "管理用户")?;
        let users = publisher(&state)?.store().users()?;
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
                                td { (user.created_at) }
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
    })();
    result.into_response()
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    action: String,
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

async fn user_action(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<UserForm>) -> Response {
    match change_user(&state, &session, form).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(error) => error.into_response(),
    }
}

/// Adds, disables or enables an account as the signed-in admin.
async fn change_user(state: &AppState, session: &Session, form: UserForm) -> Result<(), AdminError> {
    check_csrf(session, &form.csrf)?;
    require(session, session.user.role.can_admin(), "管理用户")?;
    let publisher = publisher(state)?.clone();
    let store = publisher.store();
    match form.action.as_str() {
        "add" => {
            let role: Role = form.role.parse().map_err(|_| AdminError(StatusCode::BAD_REQUEST, "角色无效".into()))?;
            let (adder, name, password) = (publisher.clone(), form.name.clone(), form.password);
            state.hashing.run(move || adder.store().add_user(&name, role, &password)).await??;
            store.audit(&session.user.name, "user.add", &form.name, role.as_str())?;
        }
        "disable" => {
            store.set_disabled(&form.name, true, Some(&session.user))?;
            store.audit(&session.user.name, "user.disable", &form.name, "")?;
        }
        "enable" => {
            store.set_disabled(&form.name, false, Some(&session.user))?;
            store.audit(&session.user.name, "user.enable", &form.name, "")?;
        }
        _ => return Err(AdminError(StatusCode::BAD_REQUEST, "未知操作".into())),
    }
    Ok(())
}

async fn tokens(State(state): State<AppState>, Signed(session): Signed) -> Response {
    token_page(&state, &session, None).into_response()
}

fn token_page(state: &AppState, session: &Session, secret: Option<&str>) -> Result<Html<String>, AdminError> {
    require(session, session.user.role.can_admin(), "管理接口令牌")?;
    let tokens = publisher(state)?.store().tokens()?;
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
                            td { (token.created_by) } td { (token.created_at) }
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
struct TokenForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    name: String,
    id: Option<i64>,
    write: Option<String>,
    publish: Option<String>,
}

async fn token_action(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<TokenForm>) -> Response {
    let result = (|| -> Result<Response, AdminError> {
        check_csrf(&session, &form.csrf)?;
        require(&session, session.user.role.can_admin(), "管理接口令牌")?;
        let store = publisher(&state)?.store();
        match form.action.as_str() {
            "create" => {
                let scopes: Vec<Scope> =
                    [(form.write.is_some(), Scope::WarningsWrite), (form.publish.is_some(), Scope::WarningsPublish)]
                        .into_iter()
                        .filter_map(|(on, scope)| on.then_some(scope))
                        .collect();
                let (info, secret) = store.create_token(&form.name, &scopes, &session.user.name)?;
                store.audit(&session.user.name, "token.create", &info.name, &format!("{}", info.id))?;
                Ok(token_page(&state, &session, Some(&secret))?.into_response())
            }
            "revoke" => {
                let id = form.id.ok_or_else(|| AdminError(StatusCode::BAD_REQUEST, "缺少令牌编号".into()))?;
                store.revoke_token(id)?;
                store.audit(&session.user.name, "token.revoke", &id.to_string(), "")?;
                Ok(Redirect::to("/admin/tokens").into_response())
            }
            _ => Err(AdminError(StatusCode::BAD_REQUEST, "未知操作".into())),
        }
    })();
    result.into_response()
}

async fn kiosks(State(state): State<AppState>, Signed(session): Signed) -> Response {
    let result = (|| -> Result<Html<String>, AdminError> {
        require(&session, session.user.role.can_admin(), "管理终端")?;
        let now = state.clock().utc();
        let kiosks = super::kiosk::kiosk_list(&state);
        Ok(layout(
            &state.assets,
            "终端",
            Some(&session),
            html! {
                p { "终端每 30 秒报到一次；超过 " (super::kiosk::STALE_AFTER.as_secs()) " 秒没有报到即为离线。"
                    "只有配置文件中设置了密钥（secret）的终端才能报到，终端首次打开 /kiosk/编号#key=密钥 即可记住密钥。" }
                table.admin-list {
                    thead { tr { th { "编号" } th { "名称" } th { "状态" } th { "最后报到" } th { "版本" } th { "方向" } th {} } }
                    tbody {
                        @for (id, kiosk) in &kiosks {
                            @let beat = &kiosk.beat;
                            @let age = beat.as_ref().and_then(|b| (now - b.seen).to_std().ok());
                            tr data-kiosk=(id) {
                                td { code { (id) } } td { (kiosk.name) }
                                td.state { @match age {
                                    Some(age) if age <= super::kiosk::STALE_AFTER => "在线",
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
        ))
    })();
    result.into_response()
}

#[derive(Deserialize)]
struct KioskForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

async fn kiosk_action(State(state): State<AppState>, Signed(session): Signed, Form(form): Form<KioskForm>) -> Response {
    let result = (|| -> Result<Response, AdminError> {
        check_csrf(&session, &form.csrf)?;
        require(&session, session.user.role.can_admin(), "管理终端")?;
        super::kiosk::request_reload(&state, &form.id);
        publisher(&state)?.store().audit(&session.user.name, "kiosk.reload", &form.id, "")?;
        Ok(Redirect::to("/admin/kiosks").into_response())
    })();
    result.into_response()
}

async fn audit(State(state): State<AppState>, Signed(session): Signed) -> Response {
    let result = (|| -> Result<Html<String>, AdminError> {
        require(&session, session.user.role.can_admin(), "查看操作记录")?;
        let entries = publisher(&state)?.store().audit_log(500)?;
        Ok(layout(
            &state.assets,
            "操作记录",
            Some(&session),
            html! {
                p { a href="/admin/audit.csv" { "导出 CSV" } }
                table.admin-list {
                    thead { tr { th { "时间" } th { "操作人" } th { "操作" } th { "对象" } th { "说明" } } }
                    tbody { @for e in &entries { tr {
                        td { (e.at) } td { (e.actor) }
                        td { (e.action) @if e.repeats > 1 { "（共 " (e.repeats) " 次）" } }
                        td { (e.target) } td { (e.detail) }
                    } } }
                }
            },
        ))
    })();
    result.into_response()
}

async fn audit_csv(State(state): State<AppState>, Signed(session): Signed) -> Response {
    let result = (|| -> Result<Response, AdminError> {
        require(&session, session.user.role.can_admin(), "导出操作记录")?;
        let csv = publisher(&state)?.store().audit_csv()?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
            ],
            csv,
        )
            .into_response())
    })();
    result.into_response()
}

// ---- the token API ----

/// A warning sent by another system: `{"id"?, "base"?, "action", "publish_at"?, "slug"?, "meta": {front matter}, "body"}`.
/// `meta.state` and `meta.publish_at` are ignored: the action decides them.
#[derive(Deserialize)]
pub(super) struct ApiEdit {
    id: Option<String>,
    #[serde(default)]
    base: String,
    #[serde(default)]
    slug: String,
    /// draft | publish | schedule | withdraw
    action: String,
    publish_at: Option<String>,
    meta: FrontMatter,
    #[serde(default)]
    body: String,
}

/// An error of the token API, bilingual like the public API's.
fn api_error(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
    english: impl Into<String>,
) -> ApiError {
    ApiError(WebError { status, code, message: message.into(), message_en: english.into() })
}

impl From<PublishError> for WebError {
    fn from(error: PublishError) -> WebError {
        let code = match &error {
            PublishError::Conflict | PublishError::PendingOutdated => "conflict",
            PublishError::Invalid(_) => "invalid",
            PublishError::Forbidden(_) => "forbidden",
            PublishError::NotFound(_) => "not_found",
            // Internal details are logged (`status_of`), never sent.
            _ => return WebError { status: status_of(&error), ..WebError::internal() },
        };
        WebError { status: status_of(&error), code, message: error.to_string(), message_en: error.english() }
    }
}

/// Saves, publishes, schedules or withdraws a warning for another system,
/// within the scopes of its API token (`Authorization: Bearer …`).
#[utoipa::path(post, path = "/api/admin/warnings",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"id\"?, \"base\"?, \"action\": \"draft|publish|schedule|withdraw\", \"publish_at\"?, \"slug\"?, \"meta\": {front matter}, \"body\"}`; `meta.state` and `meta.publish_at` are ignored"),
    responses(
        (status = 200, description = "What was saved", body = SavedWarning),
        (status = 400, description = "Not a valid warning, action or time", body = super::error::ErrorBody),
        (status = 401, description = "Missing or unknown token", body = super::error::ErrorBody),
        (status = 403, description = "Outside the token's scopes", body = super::error::ErrorBody),
        (status = 404, description = "Publishing is not enabled, or no such warning", body = super::error::ErrorBody),
        (status = 409, description = "Changed since `base`", body = super::error::ErrorBody),
    ))]
pub(super) async fn api_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: Result<Json<ApiEdit>, JsonRejection>,
) -> Result<Json<SavedWarning>, ApiError> {
    let Some(publisher) = state.publisher.clone() else {
        return Err(api_error(
            StatusCode::NOT_FOUND,
            "not_enabled",
            "本站没有开启内容管理",
            "publishing is not enabled here",
        ));
    };
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let token = publisher.store().check_token(secret).map_err(PublishError::from)?.ok_or_else(|| {
        api_error(StatusCode::UNAUTHORIZED, "unauthorized", "缺少或无效的接口令牌", "missing or invalid API token")
    })?;
    let Json(input) = input.map_err(|rejection| {
        api_error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("请求内容不是有效的警示 JSON：{}", rejection.body_text()),
            format!("the body is not a valid warning: {}", rejection.body_text()),
        )
    })?;
    let action = match (input.action.as_str(), input.publish_at.as_deref()) {
        ("draft", _) => Action::SaveDraft,
        ("publish", _) => Action::Publish,
        ("withdraw", _) => Action::Withdraw,
        ("schedule", Some(at)) => Action::Schedule(crate::content::date_format::time::parse(at).ok_or_else(|| {
            api_error(
                StatusCode::BAD_REQUEST,
                "invalid_time",
                format!("无效的发布时间：{at}"),
                format!("invalid publish_at `{at}`: use 2026-12-01T09:00:00+08:00"),
            )
        })?),
        _ => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_action",
                "action 应为 draft、publish、schedule（需要 publish_at）或 withdraw",
                "action must be draft, publish, schedule (with publish_at) or withdraw",
            ));
        }
    };
    let actor = Actor::token(&token);
    let edit = Edit {
        id: input.id,
        kind: Kind::Warning,
        slug: input.slug,
        base: input.base,
        meta: input.meta,
        body: input.body,
    };
    let saved: Saved = tokio::task::spawn_blocking(move || publisher.save(&actor, edit, action))
        .await
        .map_err(|_| ApiError(WebError::internal()))??;
    Ok(Json(SavedWarning {
        id: saved.id,
        base: saved.fingerprint,
        state: saved.state.as_str(),
        pending: saved.proposed,
    }))
}

/// The answer of `POST /api/admin/warnings`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SavedWarning {
    pub id: String,
    /// The saved file's fingerprint: send it as `base` with the next change.
    pub base: String,
    /// draft | published | scheduled | withdrawn
    pub state: &'static str,
    /// Whether the change waits for a publisher's approval.
    pub pending: bool,
}
