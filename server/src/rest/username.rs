//! `X-AUSERNAME` on every answer to an authenticated REST or Git request:
//! the name of the user the request acted as, as Bitbucket Data Center
//! sends it. Its clients read it to learn who they are (PyPI
//! `bitbucketserver`'s `username`), without a call of their own.
//!
//! A personal token, an app password, a password or a web session act as
//! their user: the username. A workspace, project or repository token acts
//! as no person; like Data Center's token "bot" users it gets a name of its
//! own, `@token-<id>`, which no username can be (usernames start with a
//! letter or digit), so a script cannot mistake it for a person.
//!
//! As with the expiry header (`super::expiration`), the caller is known
//! only once a handler's extractor has authenticated it: the middleware
//! leaves an empty slot, the extractor fills it ([`record`]), the
//! middleware copies it onto the answer.

use axum::{
    extract::Request,
    http::{request::Parts, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::{Arc, OnceLock};

pub const HEADER: HeaderName = HeaderName::from_static("x-ausername");

/// The name a workspace, project or repository token acts under.
pub fn of_token(id: i64) -> String {
    format!("@token-{id}")
}

#[derive(Clone, Default)]
struct Slot(Arc<OnceLock<HeaderValue>>);

/// Notes who the request acts as (the first call wins).
pub fn record(parts: &Parts, name: &str) {
    if let (Some(slot), Ok(value)) = (parts.extensions.get::<Slot>(), HeaderValue::from_str(name)) {
        let _ = slot.0.set(value);
    }
}

/// The middleware for the REST and Git routes.
pub async fn announce(mut request: Request, next: Next) -> Response {
    let slot = Slot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(name) = slot.0.get() {
        response.headers_mut().insert(HEADER, name.clone());
    }
    response
}
