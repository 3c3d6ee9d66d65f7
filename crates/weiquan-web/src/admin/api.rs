//! The token API: other systems save, publish, schedule or withdraw
//! warnings at `POST /api/admin/warnings`, within their token's scopes.
//! Errors are the public API's ([`ApiError`]), bilingual.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::{AdminError, blocking};
use crate::AppState;
use crate::error::{ApiError, ErrorBody, WebError};
use weiquan_core::content::{FrontMatter, Kind};
use weiquan_publish::db::database::Fault;
use weiquan_publish::publish::{Action, Actor, Edit, PublishError, Publisher, Saved};

/// A warning sent by another system: `{"id"?, "base"?, "action", "publish_at"?, "slug"?, "meta": {front matter}, "body"}`.
/// `meta.state` and `meta.publish_at` are ignored: the action decides them.
#[derive(Deserialize)]
pub(crate) struct ApiEdit {
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
        if matches!(&error, PublishError::Store(store) if store.is_unavailable()) {
            tracing::warn!(%error, "the staff database is unavailable");
            return WebError::database_unavailable();
        }
        let code = match &error {
            PublishError::Conflict | PublishError::PendingOutdated => "conflict",
            PublishError::Invalid(_) => "invalid",
            PublishError::Forbidden(_) => "forbidden",
            PublishError::NotFound(_) => "not_found",
            // Internal details are logged (`status_of`), never sent.
            _ => return WebError { status: super::status_of(&error), ..WebError::internal() },
        };
        WebError { status: super::status_of(&error), code, message: error.to_string(), message_en: error.english() }
    }
}

/// Saves, publishes, schedules or withdraws a warning for another system,
/// within the scopes of its API token (`Authorization: Bearer …`).
#[utoipa::path(post, path = "/api/admin/warnings",
    request_body(content = Object, content_type = "application/json",
        description = "`{\"id\"?, \"base\"?, \"action\": \"draft|publish|schedule|withdraw\", \"publish_at\"?, \"slug\"?, \"meta\": {front matter}, \"body\"}`; `meta.state` and `meta.publish_at` are ignored"),
    responses(
        (status = 200, description = "What was saved", body = SavedWarning),
        (status = 400, description = "Not a valid warning, action or time", body = ErrorBody),
        (status = 401, description = "Missing or unknown token", body = ErrorBody),
        (status = 403, description = "Outside the token's scopes", body = ErrorBody),
        (status = 404, description = "Publishing is not enabled, or no such warning", body = ErrorBody),
        (status = 409, description = "Changed since `base`", body = ErrorBody),
    ))]
pub(crate) async fn api_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: Result<Json<ApiEdit>, JsonRejection>,
) -> Result<Json<SavedWarning>, ApiError> {
    if state.publisher.is_none() {
        return Err(api_error(
            StatusCode::NOT_FOUND,
            "not_enabled",
            "本站没有开启内容管理",
            "publishing is not enabled here",
        ));
    }
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let request = input
        .map_err(|rejection| {
            api_error(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("请求内容不是有效的警示 JSON：{}", rejection.body_text()),
                format!("the body is not a valid warning: {}", rejection.body_text()),
            )
        })
        .and_then(|Json(input)| edit_of(input));
    let saved = blocking(&state, move |publisher| Ok::<_, AdminError>(save_as_token(publisher, &secret, request)))
        .await
        .map_err(|_| ApiError(WebError::internal()))??;
    Ok(Json(SavedWarning {
        id: saved.id,
        base: saved.fingerprint,
        state: saved.state.as_str(),
        pending: saved.proposed,
    }))
}

/// The edit and action a request asks for.
fn edit_of(input: ApiEdit) -> Result<(Edit, Action), ApiError> {
    let action = match (input.action.as_str(), input.publish_at.as_deref()) {
        ("draft", _) => Action::SaveDraft,
        ("publish", _) => Action::Publish,
        ("withdraw", _) => Action::Withdraw,
        ("schedule", Some(at)) => {
            Action::Schedule(weiquan_core::content::date_format::time::parse(at).ok_or_else(|| {
                api_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_time",
                    format!("无效的发布时间：{at}"),
                    format!("invalid publish_at `{at}`: use 2026-12-01T09:00:00+08:00"),
                )
            })?)
        }
        _ => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_action",
                "action 应为 draft、publish、schedule（需要 publish_at）或 withdraw",
                "action must be draft, publish, schedule (with publish_at) or withdraw",
            ));
        }
    };
    let edit = Edit {
        id: input.id,
        kind: Kind::Warning,
        slug: input.slug,
        base: input.base,
        meta: input.meta,
        body: input.body,
    };
    Ok((edit, action))
}

/// Saves `request` as the token whose secret is `secret`: an unknown token
/// is refused before the request is looked at.
fn save_as_token(
    publisher: &Publisher,
    secret: &str,
    request: Result<(Edit, Action), ApiError>,
) -> Result<Saved, ApiError> {
    let token = publisher.store().check_token(secret).map_err(PublishError::from)?.ok_or_else(|| {
        api_error(StatusCode::UNAUTHORIZED, "unauthorized", "缺少或无效的接口令牌", "missing or invalid API token")
    })?;
    let (edit, action) = request?;
    Ok(publisher.save(&Actor::token(&token), edit, action)?)
}

/// The answer of `POST /api/admin/warnings`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct SavedWarning {
    pub id: String,
    /// The saved file's fingerprint: send it as `base` with the next change.
    pub base: String,
    /// draft | published | scheduled | withdrawn
    pub state: &'static str,
    /// Whether the change waits for a publisher's approval.
    pub pending: bool,
}
