//! Reaching the request from inside a server function: state, headers,
//! client address, and answering errors with their HTTP status.

use super::AppState;
use crate::error::AppError;
use axum::extract::ConnectInfo;
use http::{request::Parts, Extensions, HeaderMap, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, SocketAddr};
use tokenwarden::forwarded::TrustedProxies;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the server function context");
        AppError::Internal
    })
}

/// The client's address, worked out once per request (see [`client_ip`])
/// and kept in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address: behind a trusted reverse proxy, the one its
/// `X-Forwarded-For` names (see `tokenwarden::forwarded`); otherwise the
/// socket's peer. Throttling, the audit log, sessions and "last used" all
/// use this.
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if trusted.is_empty() {
        return Some(tokenwarden::forwarded::canonical(peer));
    }
    let forwarded: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    Some(trusted.client(peer, &forwarded))
}

/// The client's address as text, for logs and records.
pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ClientAddr>()
        .map(|ClientAddr(ip)| *ip)
        .or_else(|| client_ip(&parts.headers, &parts.extensions, &TrustedProxies::default()))
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn user_agent(parts: &Parts) -> String {
    parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_default()
}

/// Sets the response status from the error, so callers other than the
/// browser (scripts, tests) can tell a 401 from a 409 without parsing. Not
/// for a plain HTML form's post (one that accepts `text/html`): Leptos
/// answers that with a redirect back to the form's page, carrying the
/// error in the URL, and a status set here would replace the redirect's.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        let plain_form = use_context::<Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
        });
        if let Some(options) = use_context::<ResponseOptions>().filter(|_| !plain_form) {
            options.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
    }
    result
}
