//! `Tokenwarden-Token-Expiration` on every REST and Git answer to a request
//! an access token authenticated: when that token stops working (RFC 3339,
//! UTC), or `never`. A script or CI job can log it, or warn on it, from any
//! response it already receives, so an expiry never comes as a surprise.
//!
//! The token is known only once a handler's extractor has authenticated it,
//! after this middleware hands the request on; so the middleware leaves an
//! empty slot in the request, the extractor fills it ([`record`]), and the
//! middleware reads it back onto the answer, whatever the handler answered
//! (a 403 for missing rights carries it too).

use app::ssr::auth::Principal;
use axum::{
    extract::Request,
    http::{request::Parts, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::{Arc, OnceLock};

pub const HEADER: HeaderName = HeaderName::from_static("tokenwarden-token-expiration");

/// Where the authenticating token's expiry waits for the answer.
#[derive(Clone, Default)]
struct Slot(Arc<OnceLock<Option<i64>>>);

/// Notes the expiry of the token `principal` is (app passwords have none
/// of their own: their answers carry no header).
pub fn record(parts: &Parts, principal: &Principal) {
    if let (Some(slot), Principal::Token(token)) = (parts.extensions.get::<Slot>(), principal) {
        // A rotated token stops at the end of its overlap, if that comes first.
        let _ = slot.0.set(token.stops());
    }
}

/// The header's value: `2026-12-24T10:00:00Z`, or `never`.
pub fn value(expires_at: Option<i64>) -> HeaderValue {
    let text = match expires_at.and_then(|at| chrono::DateTime::from_timestamp(at, 0)) {
        Some(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => "never".to_string(),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("never"))
}

/// The middleware for the REST and Git routes.
pub async fn announce(mut request: Request, next: Next) -> Response {
    let slot = Slot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(expires_at) = slot.0.get() {
        response.headers_mut().insert(HEADER, value(*expires_at));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_in_utc_to_the_second_or_never() {
        assert_eq!(value(Some(1_798_106_400)), "2026-12-24T10:00:00Z");
        assert_eq!(value(None), "never");
    }
}
