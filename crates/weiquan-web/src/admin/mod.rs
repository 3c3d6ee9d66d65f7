//! The staff admin at /admin: sign-in ([`auth`]), the list of warnings and
//! guides by stage, the editor with live preview and versions ([`editor`]),
//! users, API tokens, kiosks and the audit log ([`accounts`]); and the
//! token-authenticated JSON endpoint for other systems ([`api`]).
//!
//! This module holds what they share: the error page, the session and role
//! extractors, the CSRF-checked form, the one way to the store off the
//! async workers ([`blocking`]) and the layout. Handlers extract, call the
//! publisher and map the result.

mod accounts;
mod api;
mod auth;
mod editor;
mod history;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub(super) use api::{__path_api_save, SavedWarning, api_save};

use super::error::WebError;
use super::{AppState, Assets};
use weiquan_publish::db::database::Fault;
use weiquan_publish::publish::{self, PublishError, Publisher, Session};

/// The session cookie.
const SESSION_COOKIE: &str = "wq_session";

/// The staff routes, without their layers: [`web::app`](super::app) merges
/// them with the other staff pages and puts them all behind [`layered`].
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(editor::list))
        .route("/admin/login", get(auth::login_page).post(auth::login))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/edit", get(editor::editor))
        .route("/admin/save", post(editor::save))
        .route("/admin/preview", post(editor::preview))
        .route("/admin/history", get(history::history))
        .route("/admin/restore", post(history::restore))
        .route("/admin/review", post(history::review))
        .route("/admin/users", get(accounts::users).post(accounts::user_action))
        .route("/admin/tokens", get(accounts::tokens).post(accounts::token_action))
        .route("/admin/kiosks", get(accounts::kiosks).post(accounts::kiosk_action))
        .route("/admin/audit", get(accounts::audit))
        .route("/admin/audit.csv", get(accounts::audit_csv))
        .route("/api/admin/warnings", post(api_save))
}

/// Puts staff routes behind the staff layers: a refused or failed request
/// ([`AdminError`]) gets a page in the admin layout, with the site's
/// fingerprinted assets from `state`, and nothing is cached.
pub(crate) fn layered(state: &AppState, routes: Router<AppState>) -> Router<AppState> {
    routes.layer(axum::middleware::map_response_with_state(state.clone(), error_page)).layer(
        axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }),
    )
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
pub(crate) struct AdminError(pub StatusCode, pub String);

impl AdminError {
    /// 400: the request is the asker's to fix.
    fn bad_request(message: impl Into<String>) -> AdminError {
        AdminError(StatusCode::BAD_REQUEST, message.into())
    }

    /// 404.
    fn not_found(message: impl Into<String>) -> AdminError {
        AdminError(StatusCode::NOT_FOUND, message.into())
    }

    /// 500, with nothing of the cause.
    fn internal() -> AdminError {
        AdminError(StatusCode::INTERNAL_SERVER_ERROR, "内部错误".into())
    }
}

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
        if matches!(&error, PublishError::Store(store) if store.is_unavailable()) {
            tracing::warn!(%error, "the staff database is unavailable");
            return WebError::database_unavailable().into();
        }
        AdminError(status_of(&error), error.to_string())
    }
}

impl From<publish::StoreError> for AdminError {
    /// A refused request (bad name, weak password …) is the asker's to fix:
    /// 400 with the reason. Anything else is a fault.
    fn from(error: publish::StoreError) -> AdminError {
        match error.refusal() {
            Some(reason) => AdminError::bad_request(reason),
            None => PublishError::from(error).into(),
        }
    }
}

impl From<WebError> for AdminError {
    fn from(error: WebError) -> AdminError {
        AdminError(error.status, error.message)
    }
}

fn publisher(state: &AppState) -> Result<Arc<Publisher>, AdminError> {
    state.publisher.clone().ok_or_else(|| AdminError::not_found("本站没有开启内容管理"))
}

/// Runs `work` with the publisher on the blocking pool. Every store call
/// (SQLite), file write and password hash (argon2) of the staff side goes
/// through here, so none holds an async worker; password work holds one of
/// the hashing permits ([`super::hashing::Hashing::permit`]) while it runs.
async fn blocking<T, E>(
    state: &AppState,
    work: impl FnOnce(&Publisher) -> Result<T, E> + Send + 'static,
) -> Result<T, AdminError>
where
    T: Send + 'static,
    E: Into<AdminError> + Send + 'static,
{
    let publisher = publisher(state)?;
    tokio::task::spawn_blocking(move || work(&publisher)).await.map_err(|_| AdminError::internal())?.map_err(Into::into)
}

/// A signed-in staff member; others are sent to the sign-in page. The
/// session is looked up once a request: the extractors after this one find
/// it in the request's extensions.
#[derive(Clone)]
pub(crate) struct Signed(pub Session);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        if let Some(signed) = parts.extensions.get::<Signed>() {
            return Ok(signed.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
        let now = state.clock().utc();
        match blocking(state, move |publisher| publisher.store().session(&token, now)).await {
            Ok(Some(session)) => {
                parts.extensions.insert(Signed(session.clone()));
                Ok(Signed(session))
            }
            Ok(None) => Err(Redirect::to("/admin/login").into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// A signed-in admin; other staff are refused with 403.
pub(crate) struct Admin(pub Session);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, Response> {
        let Signed(session) = Signed::from_request_parts(parts, state).await?;
        if !session.user.role.can_admin() {
            let role = session.user.role.label();
            return Err(
                AdminError(StatusCode::FORBIDDEN, format!("您的角色（{role}）不能使用管理员功能")).into_response()
            );
        }
        Ok(Admin(session))
    }
}

/// The anti-forgery token a staff form posts.
#[derive(Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in staff member that carries their session's
/// CSRF token: in its `csrf` field, or (from the editor's script) in an
/// `X-CSRF-Token` header. Others are sent to sign in, or refused with 403.
pub(crate) struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<CsrfForm<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let Signed(session) = Signed::from_request_parts(&mut parts, state).await?;
        let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(String::from);
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let is_form = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        });
        if !is_form {
            let message = "表单格式不对：应为 application/x-www-form-urlencoded";
            return Err(AdminError(StatusCode::UNSUPPORTED_MEDIA_TYPE, message.into()).into_response());
        }
        // serde_html_form, not `Form`: a field sent several times (the
        // editor's kiosk checkboxes) fills a list.
        let form = serde_html_form::from_bytes::<T>(&bytes).map_err(|error| {
            AdminError(StatusCode::UNPROCESSABLE_ENTITY, format!("表单无效：{error}")).into_response()
        })?;
        let token = header
            .or_else(|| serde_html_form::from_bytes::<Csrf>(&bytes).ok().map(|field| field.csrf))
            .unwrap_or_default();
        if token.is_empty() || token != session.csrf {
            let message = "表单已失效（缺少或错误的安全令牌），请刷新页面后重试";
            return Err(AdminError(StatusCode::FORBIDDEN, message.into()).into_response());
        }
        Ok(CsrfForm(form))
    }
}

/// An instant the store keeps (UTC, RFC 3339) as staff read it: in the
/// configured zone, to the minute (`2026-12-01 07:33`). Text that is no
/// instant is shown as it is.
pub(super) fn local_time(clock: &weiquan_core::clock::Clock, stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .map_or_else(|_| stamp.to_string(), |at| at.with_timezone(&clock.zone()).format("%Y-%m-%d %H:%M").to_string())
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
