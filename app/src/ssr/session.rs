//! Database-backed sessions, so several app servers can share them.
//!
//! The browser holds a random 256-bit token in an HttpOnly, SameSite=Lax
//! cookie; the database holds only its SHA-256, so a leaked database does
//! not yield usable sessions. A session ends after `session_idle_secs`
//! without a request, `session_max_secs` after sign-in, or at sign-out.

use super::{
    db::now,
    store::{
        sessions::{self, NewSession},
        users,
    },
    AppState, AuthSettings, Db,
};
use crate::{error::AppError, model::CurrentUser};
use cookie::{Cookie, SameSite};
use http::{header, request::Parts};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Cookie name over plain http (local use, tests).
const COOKIE: &str = "tokenwarden_session";
/// Over https the `__Host-` prefix makes browsers insist on Secure, Path=/
/// and no Domain, so no sibling subdomain can plant or read it.
const SECURE_COOKIE: &str = "__Host-tokenwarden_session";

/// How stale `last_seen_at` may get before a request refreshes it: limits
/// writes to one per session per minute.
const TOUCH_AFTER_SECS: i64 = 60;

fn cookie_name(settings: &AuthSettings) -> &'static str {
    if settings.secure_cookies {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn build_cookie(settings: &AuthSettings, value: String, max_age_secs: i64) -> String {
    Cookie::build((cookie_name(settings), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// The session token the request carries, if any.
fn token_from(parts: &Parts, settings: &AuthSettings) -> Option<String> {
    let name = cookie_name(settings);
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Starts a session for `user_id`, returning the `Set-Cookie` header value.
pub async fn start(state: &AppState, user_id: i64, parts: &Parts) -> Result<String, AppError> {
    let token = new_token();
    let now = now();
    sessions::insert(
        &state.db,
        NewSession {
            token_hash: &hash_token(&token),
            user_id,
            now,
            expires_at: now + state.auth.session_max_secs,
            client_addr: &super::request::client_addr(parts),
            user_agent: &super::request::user_agent(parts),
        },
    )
    .await?;
    Ok(build_cookie(&state.auth, token, state.auth.session_max_secs))
}

/// The user the request's session belongs to, or `None` when there is no
/// session or it has ended.
pub async fn current_user(state: &AppState, parts: &Parts) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = token_from(parts, &state.auth) else {
        return Ok(None);
    };
    lookup(&state.db, &state.auth, &token).await
}

async fn lookup(db: &Db, settings: &AuthSettings, token: &str) -> Result<Option<CurrentUser>, AppError> {
    let Some(session) = sessions::find_live(db, &hash_token(token), now()).await? else {
        return Ok(None);
    };
    let now = now();
    if now - session.last_seen_at >= settings.session_idle_secs {
        sessions::delete(db, session.id).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_AFTER_SECS {
        sessions::touch(db, session.id, now).await?;
    }
    Ok(users::current_user(db, session.user_id).await?)
}

/// Ends the request's session (if any) and returns a `Set-Cookie` value
/// that removes the cookie from the browser.
pub async fn end(state: &AppState, parts: &Parts) -> Result<String, AppError> {
    if let Some(token) = token_from(parts, &state.auth) {
        sessions::delete_by_token_hash(&state.db, &hash_token(&token)).await?;
    }
    Ok(build_cookie(&state.auth, String::new(), 0))
}

/// Requires a signed-in user.
pub async fn require_user(state: &AppState, parts: &Parts) -> Result<CurrentUser, AppError> {
    current_user(state, parts).await?.ok_or(AppError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let plain = build_cookie(&AuthSettings::default(), "abc".into(), 60);
        assert!(plain.starts_with("tokenwarden_session=abc"), "{plain}");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax") && plain.contains("Path=/"));
        assert!(!plain.contains("Secure"));
        let secure = build_cookie(
            &AuthSettings {
                secure_cookies: true,
                ..AuthSettings::default()
            },
            "abc".into(),
            60,
        );
        assert!(
            secure.starts_with("__Host-tokenwarden_session=abc") && secure.contains("Secure"),
            "{secure}"
        );
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
