//! Refusing cross-site state changes (CSRF).
//!
//! Server functions are plain POSTs that a hostile page could aim at us
//! with the user's cookie. Browsers label every request with where it came
//! from: `Sec-Fetch-Site`, and `Origin` on POSTs. A state-changing request
//! is let through only if it comes from our own origin, or carries neither
//! header (then it is not from a browser, and has no ambient cookie to
//! abuse). The session cookie's SameSite=Lax is a second line of defence.

use axum::{
    body::Body,
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, Method, StatusCode};

pub async fn refuse_cross_site(request: Request<Body>, next: Next) -> Response {
    if is_safe(request.method()) || is_same_origin(&request) {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), "refused a cross-site request");
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Cross-site request refused: this action must be sent from Tokenwarden's own pages.",
        )
            .into_response()
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn header(request: &Request<Body>, name: header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn is_same_origin(request: &Request<Body>) -> bool {
    match header(request, header::HeaderName::from_static("sec-fetch-site")) {
        // "none" is a user typing the URL or using a bookmark.
        Some("same-origin") | Some("none") => return true,
        Some(_) => return false,
        None => {}
    }
    match header(request, header::ORIGIN) {
        None => true,
        Some(origin) => {
            let host = header(request, header::HOST).unwrap_or_default();
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<Body> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri("/api/logout")
            .header("host", "127.0.0.1:3000");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn same_origin_browsers_pass() {
        assert!(is_same_origin(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(is_same_origin(&post(&[("origin", "http://127.0.0.1:3000")])));
    }

    #[test]
    fn other_sites_are_refused() {
        assert!(!is_same_origin(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_same_origin(&post(&[("sec-fetch-site", "same-site")])));
        assert!(!is_same_origin(&post(&[("origin", "https://evil.example")])));
        assert!(!is_same_origin(&post(&[("origin", "null")])));
    }

    #[test]
    fn non_browser_clients_pass() {
        assert!(is_same_origin(&post(&[])));
    }
}
