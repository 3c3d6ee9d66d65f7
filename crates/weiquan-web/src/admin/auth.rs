//! Signing in and out: the sign-in form, tied to the browser that asked for
//! it, throttled per account and address; sessions in a cookie.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::html;
use serde::Deserialize;

use super::{AdminError, Csrf, CsrfForm, SESSION_COOKIE, Signed, blocking, layout};
use crate::client::ClientIp;
use crate::{AppState, Assets, WebError};
use weiquan_publish::publish::{self, LoginOutcome};

/// The cookie that ties the sign-in form to the browser that asked for it.
const LOGIN_COOKIE: &str = "wq_login";
/// How long a session lasts.
const SESSION_HOURS: i64 = 8;

pub(super) async fn login_page(State(state): State<AppState>, jar: CookieJar) -> impl IntoResponse {
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
pub(super) struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AdminError> {
    // Sign-ins are throttled per address; one that came over no connection
    // (the router driven directly) counts as `unknown`.
    let address = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if expected.is_empty() || form.csrf != expected {
        return Err(AdminError(StatusCode::FORBIDDEN, "登录表单已失效，请刷新页面后重试".into()));
    }
    let now = state.clock().utc();
    // A throttled attempt is refused here, without queueing for a hash.
    let (name, from) = (form.name.clone(), address.clone());
    let wait = blocking(&state, move |publisher| publisher.store().login_wait(&name, &from, now)).await?;
    let outcome = if wait.is_zero() {
        let permit = match state.hashing.permit().await {
            Ok(permit) => permit,
            Err(busy) => {
                let mut response =
                    (busy.status, login_form(&state.assets, &expected, Some(&busy.message))).into_response();
                WebError::retry_after(busy.status, &mut response);
                return Ok(response);
            }
        };
        let (name, password, from) = (form.name.clone(), form.password, address.clone());
        blocking(&state, move |publisher| {
            let _permit = permit;
            publisher.store().login(&name, &password, &from, now)
        })
        .await?
    } else {
        LoginOutcome::Throttled { wait }
    };
    let (status, message, wait) = match outcome {
        LoginOutcome::Ok(user) => {
            let session = blocking(&state, move |publisher| {
                publisher.store().create_session(&user, chrono::Duration::hours(SESSION_HOURS), now, &address)
            })
            .await?;
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
    // A wrong password is in the audit log already, with the failure it counts.
    if wait.is_some() {
        let name = form.name;
        blocking(&state, move |publisher| publisher.store().audit_refused_login(&name, &address, now)).await?;
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

pub(super) async fn logout(
    State(state): State<AppState>,
    Signed(session): Signed,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Csrf>,
) -> impl IntoResponse {
    // Signed out whatever the store answers.
    let _ = blocking(&state, move |publisher| publisher.store().end_session(&session)).await;
    let session = Cookie::build(SESSION_COOKIE).path("/").http_only(true).same_site(SameSite::Strict);
    (jar.remove(session), Redirect::to("/admin/login"))
}
