//! Kiosk mode for mall touch screens: `/kiosk/{id}` shows the warnings in
//! force for the kiosk's region in an attract loop, each with a QR code that
//! opens it on a phone, and a touch search with an on-screen keyboard. The
//! page's script (static/kiosk.js) runs the loop, the idle reset, live
//! updates and the heartbeat.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{DOCTYPE, html};
use serde::{Deserialize, Serialize};

use super::config::KioskConfig;
use super::error::ApiError;
use super::kiosk_loop::{loop_warnings, slide_markup};
use super::views::CATEGORIES;
use super::{AppState, WebError};

/// A kiosk that has not reported for this long is stale.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(120);

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/kiosk/sw.js", get(service_worker))
        .route("/kiosk/{id}", get(page))
        .route("/kiosk/{id}/slides", get(slides))
        .route("/kiosk/{id}/heartbeat", post(heartbeat))
        .route("/kiosk-qr", get(qr))
}

/// What a kiosk last reported.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    pub seen: chrono::DateTime<chrono::Utc>,
    pub version: String,
    pub orientation: String,
    /// An admin asked it to reload.
    pub reload: bool,
}

/// A kiosk's settings: configured, or the defaults for an unknown id.
fn settings(state: &AppState, id: &str) -> KioskConfig {
    let mut config = state.kiosks.get(id).cloned().unwrap_or_default();
    if config.name.is_empty() {
        config.name = id.to_string();
    }
    config.countdown_seconds = config.countdown_seconds.max(20);
    config
}

/// Kiosk ids are short names: letters, digits, `-` and `_`.
pub(super) fn valid_id(id: &str) -> Result<(), WebError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(WebError::not_found());
    }
    Ok(())
}

/// Where QR codes point: the configured public address, else the address
/// this request came to.
fn public_base(config: &KioskConfig, headers: &HeaderMap) -> String {
    match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

/// A QR code of `url` as SVG.
pub(crate) fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
        Err(_) => String::new(),
    }
}

async fn page(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    valid_id(&id)?;
    let config = settings(&state, &id);
    let slides = loop_warnings(&state, &config, &id).await?;
    let base = public_base(&config, &headers);
    let questions: Vec<String> = state.engine.catalog().questions().take(6).map(String::from).collect();
    let keys = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1, user-scalable=no";
                title { "消费维权查询 - " (config.name) }
                link rel="stylesheet" href=(state.assets.url("kiosk.css"));
                script src=(state.assets.url("kiosk.js")) defer {}
            }
            body.kiosk.looping.(config.orientation)
                data-kiosk=(id) data-rotation=(config.rotation_seconds) data-idle=(config.idle_seconds)
                data-countdown=(config.countdown_seconds) data-version=(env!("CARGO_PKG_VERSION"))
                data-orientation=(config.orientation) data-base=(base) {
                header.bar {
                    button.big #home type="button" { "首页" }
                    button.big #back type="button" { "返回" }
                    span.name { "消费维权查询" }
                    button.big #larger type="button" aria-pressed="false" { "大字" }
                }
                p #offline role="status" hidden { "网络暂时中断：正在显示已保存的消费警示，查询暂不可用。投诉咨询请拨打 12315。" }
                section #loop aria-label="消费警示" aria-live="polite" {
                    div #slides { (slide_markup(&slides, &base)) }
                    button.touch #start type="button" { "触摸屏幕查询" }
                }
                // Once a search runs, its results take the place of the
                // keyboard, tiles and questions (#entry); 重新查询 brings them back.
                section #search hidden aria-label="查询" {
                    div.query {
                        div.query-row {
                            output #typed aria-live="polite" { "" }
                            button.big #retype type="button" hidden { "重新查询" }
                        }
                        ul #suggestions role="listbox" aria-label="联想词" {}
                    }
                    div #entry {
                        div #keyboard role="group" aria-label="拼音键盘" {
                            @for row in keys {
                                div.row { @for key in row.chars() { button.key type="button" data-key=(key) { (key.to_ascii_uppercase()) } } }
                            }
                            div.row {
                                button.key.wide type="button" data-key="back" { "删除" }
                                button.key.wide type="button" data-key="clear" { "清空" }
                                button.key.wide.go type="button" data-key="go" { "搜索" }
                            }
                        }
                        div.tiles {
                            @for (label, query) in CATEGORIES { button.tile type="button" data-query=(query) { (label) } }
                        }
                        @if !questions.is_empty() {
                            h2 { "常见问题" }
                            div.questions { @for question in &questions { button.question type="button" data-query=(question) { (question) } } }
                        }
                    }
                    ol #results aria-live="polite" hidden {}
                }
                // The article scrolls; the QR code stays on screen beside it.
                section #doc hidden aria-label="内容" {
                    article #doc-body {}
                    figure.qr {
                        img #doc-qr alt="手机扫码查看全文" width="240" height="240";
                        figcaption { "手机扫码，带走全文" span.call { "投诉举报请拨打 " strong { "12315" } } }
                    }
                }
                div #idle role="alertdialog" aria-labelledby="idle-title" hidden {
                    h2 #idle-title { "还在使用吗？" }
                    p { span #countdown { (config.countdown_seconds) } " 秒后回到首页，清除本次查询。" }
                    button.big #continue type="button" { "继续" }
                }
            }
        }
    };
    Ok(Html(markup.into_string()).into_response())
}

/// The service worker, served under /kiosk/ so that it controls the kiosk pages.
async fn service_worker(State(state): State<AppState>) -> Response {
    match tokio::fs::read_to_string(state.assets.dir.join("kiosk-sw.js")).await {
        Ok(script) => {
            ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], script)
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The loop's slides, for a refresh after a change.
async fn slides(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    valid_id(&id)?;
    let config = settings(&state, &id);
    let slides = loop_warnings(&state, &config, &id).await?;
    let base = public_base(&config, &headers);
    Ok(Html(slide_markup(&slides, &base).into_string()).into_response())
}

#[derive(Deserialize)]
struct QrParams {
    path: String,
    #[serde(default)]
    kiosk: String,
}

/// A QR code of a page of this site, for the kiosk's document view.
async fn qr(
    State(state): State<AppState>,
    Query(params): Query<QrParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !params.path.starts_with("/docs/") || params.path.contains("..") || params.path.len() > 400 {
        return Err(WebError::not_found().into());
    }
    let base = public_base(&settings(&state, &params.kiosk), &headers);
    let svg = qr_svg(&format!("{base}{}", params.path));
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg)
        .into_response())
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    version: String,
    #[serde(default)]
    orientation: String,
}

#[derive(Serialize)]
struct Reply {
    reload: bool,
}

/// A kiosk says it is alive; the answer says whether to reload. Only a
/// configured kiosk with a secret can report, and only with that secret:
/// a forged heartbeat could hide an outage or take an admin's reload
/// request, and unknown ids would pile up in the admin.
async fn heartbeat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(report): Json<Report>,
) -> Response {
    let Some(kiosk) = state.kiosks.get(&id) else {
        return ApiError::from(WebError::not_found()).into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let allowed = kiosk.secret.as_ref().zip(given).is_some_and(|(secret, given)| secret.matches(given));
    if !allowed {
        return ApiError::from(WebError::unauthorized_kiosk()).into_response();
    }
    let mut beats = state.heartbeats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let reload = beats.get(&id).is_some_and(|b| b.reload);
    let version: String = report.version.chars().take(32).collect();
    let orientation: String = report.orientation.chars().take(16).collect();
    beats.insert(id, Heartbeat { seen: state.clock().utc(), version, orientation, reload: false });
    Json(Reply { reload }).into_response()
}

/// A configured kiosk as the admin sees it.
pub(crate) struct KioskStatus {
    pub name: String,
    /// Its last report, if it made one since the server started.
    pub beat: Option<Heartbeat>,
    /// It has a secret, so it can report at all.
    pub can_report: bool,
    /// Its QR codes name a configured public address (`public_url`), not
    /// whatever address the kiosk reached the server by.
    pub has_public_url: bool,
}

/// Every configured kiosk, by id, with what it last reported.
pub(crate) fn kiosk_list(state: &AppState) -> BTreeMap<String, KioskStatus> {
    let beats = state.heartbeats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    state
        .kiosks
        .iter()
        .map(|(id, config)| {
            let status = KioskStatus {
                name: settings(state, id).name,
                beat: beats.get(id).cloned(),
                can_report: config.secret.is_some(),
                has_public_url: config.public_url.as_deref().is_some_and(|url| !url.trim().is_empty()),
            };
            (id.clone(), status)
        })
        .collect()
}

/// Asks kiosk `id` to reload at its next heartbeat.
pub(crate) fn request_reload(state: &AppState, id: &str) {
    let mut beats = state.heartbeats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(beat) = beats.get_mut(id) {
        beat.reload = true;
    }
}
