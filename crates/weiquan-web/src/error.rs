//! The web layer's one error type, and the one place it becomes a response:
//! JSON `{"error": {"code", "message", "message_en"}}` for the API, an HTML
//! page for the website. Internal details are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use weiquan_core::search;

/// What went wrong, with a stable machine code and messages in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
}

impl WebError {
    pub fn bad_request(code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> WebError {
        WebError { status: StatusCode::BAD_REQUEST, code, message: message.into(), message_en: message_en.into() }
    }

    pub fn not_found() -> WebError {
        WebError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "没有找到这个页面或文档".into(),
            message_en: "no such page or document".into(),
        }
    }

    /// 503: the shared staff database cannot be reached just now.
    pub fn database_unavailable() -> WebError {
        WebError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "database_unavailable",
            message: "数据库暂时无法连接，请稍后再试".into(),
            message_en: "the database cannot be reached just now, try again shortly".into(),
        }
    }

    pub fn busy() -> WebError {
        WebError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            message: "访问人数较多，请稍后再试".into(),
            message_en: "too many requests at once, try again shortly".into(),
        }
    }

    pub fn rate_limited() -> WebError {
        WebError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: "查询太频繁了，请稍等几秒再试".into(),
            message_en: "too many searches from this address, wait a few seconds".into(),
        }
    }

    /// One client address already holds its share of searches running or
    /// event streams open.
    pub fn too_many_at_once() -> WebError {
        WebError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_at_once",
            message: "同一网络同时进行的查询或连接太多，请稍后再试".into(),
            message_en: "too many searches or streams at once from this address, try again shortly".into(),
        }
    }

    /// A kiosk heartbeat without its kiosk's secret.
    pub fn unauthorized_kiosk() -> WebError {
        WebError {
            status: StatusCode::UNAUTHORIZED,
            code: "kiosk_unauthorized",
            message: "终端密钥不正确，请按说明重新设置终端地址".into(),
            message_en: "wrong or missing kiosk secret: open the kiosk at its address with #key=".into(),
        }
    }

    /// Busy and rate-limited answers say when to try again, as JSON or page.
    pub fn retry_after(status: StatusCode, response: &mut Response) {
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
    }

    pub fn internal() -> WebError {
        WebError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "服务器内部错误，请稍后再试".into(),
            message_en: "internal error, try again later".into(),
        }
    }
}

impl From<search::Error> for WebError {
    fn from(error: search::Error) -> WebError {
        match error {
            search::Error::InvalidRequest(message) => {
                WebError::bad_request("invalid_parameter", format!("参数有误：{message}"), message)
            }
            other => {
                tracing::error!(error = %other, "search failed");
                WebError::internal()
            }
        }
    }
}

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable machine code: invalid_parameter, not_found, busy, rate_limited,
    /// too_many_at_once, internal.
    pub code: String,
    /// Chinese.
    pub message: String,
    /// English.
    pub message_en: String,
}

/// An error answered as JSON.
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(error: E) -> ApiError {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let WebError { status, code, message, message_en } = self.0;
        let body = ErrorBody { error: ErrorDetail { code: code.into(), message, message_en } };
        let mut response = (status, Json(body)).into_response();
        WebError::retry_after(status, &mut response);
        response
    }
}
