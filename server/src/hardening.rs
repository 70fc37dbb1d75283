//! What every request passes through before (and after) the app, in one
//! middleware ([`edge`]; one layer costs less than three on the hot path):
//!
//! - the client's address, worked out once (behind trusted proxies, from
//!   `X-Forwarded-For`; see `tokenwarden::forwarded`) for throttling, the
//!   audit log, sessions and "last used";
//! - input screening: server-function forms and REST JSON bodies are read
//!   whole up to [`BODY_LIMIT`] (413 past it, never a 502); a form field
//!   that is not UTF-8 is refused (400), not stored with replacement
//!   characters; and a NUL character is refused wherever it comes (path,
//!   form field, JSON string), and a REST body must be UTF-8: no name, slug or secret of ours has one, and
//!   PostgreSQL cannot store one. Git's bodies (pushes) stream through unread;
//! - security headers: on pages the Content-Security-Policy with the nonce
//!   made here for the request (the render gives it to its inline scripts),
//!   no framing and same-origin referrers; on every
//!   other answer a policy that allows nothing; everywhere no sniffing, HSTS
//!   over https, and `Cache-Control: no-store` on everything but the static
//!   client files, so no signed-in page or new secret lands in a cache;
//! - a server function's refusal for people: the browser's client asks for
//!   postcard (`Accept: application/x-postcard`) and reads refusals in it,
//!   like answers; anyone else (curl, a script) gets the same refusal as
//!   JSON ([`for_people`]).

use crate::rest::{error::Reason, RestError};
use app::{
    error::AppError,
    ssr::{
        request::{client_ip, ClientAddr},
        security::{content_security_policy, PageNonce},
        AppState,
    },
};
use axum::{
    body::{Body, HttpBody as _},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderValue, StatusCode};
use leptos::server_fn::{codec::PostcardEncoding, error::FromServerFnError, ContentType, Decodes};
use std::sync::Arc;
use tokenwarden::forwarded::TrustedProxies;

/// The largest server-function form or REST JSON body: far beyond any
/// real one (a token's name is 100 characters).
pub const BODY_LIMIT: usize = 64 * 1024;
/// A body past [`BODY_LIMIT`] is still read (and dropped) up to this, so
/// the client, which may still be sending, gets to read the 413.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
/// How long a whole body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Which part of the app a path is for: each answers errors in its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// `/api/…`: server functions (`AppError`, in postcard or JSON).
    ServerFunction,
    /// `/rest/…`: the REST APIs (their JSON errors).
    Rest,
    /// The built client's files: may be cached.
    StaticFile,
    /// Pages, Git, health.
    Other,
}

impl Part {
    fn of(path: &str, pkg_dir: &str) -> Part {
        if path.starts_with("/api/") {
            Part::ServerFunction
        } else if path.starts_with("/rest/") {
            Part::Rest
        } else if path == "/favicon.ico"
            || path
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(pkg_dir))
                .is_some_and(|rest| rest.starts_with('/'))
        {
            Part::StaticFile
        } else {
            Part::Other
        }
    }
}

/// What the edge needs to know, taken once from the settings (the whole
/// `AppState` is not cloned per request for it).
#[derive(Debug, Clone)]
pub struct Edge {
    trusted_proxies: TrustedProxies,
    /// The public URL is https: send HSTS.
    https: bool,
    /// Where the built client's files are served (`pkg`).
    pkg_dir: String,
    /// The client's files carry a hash of their content in their names
    /// (`tokenwarden.<hash>.wasm`), so those may be kept for good.
    hashed_files: Option<String>,
}

impl Edge {
    pub fn new(state: &AppState) -> Arc<Edge> {
        Arc::new(Edge {
            trusted_proxies: state.auth.trusted_proxies.clone(),
            https: state.auth.secure_cookies,
            pkg_dir: state.leptos_options.site_pkg_dir.to_string(),
            hashed_files: state
                .leptos_options
                .hash_files
                .then(|| state.leptos_options.output_name.to_string()),
        })
    }
}

pub async fn edge(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    if let Some(ip) = client_ip(request.headers(), request.extensions(), &edge.trusted_proxies) {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    let part = Part::of(request.uri().path(), &edge.pkg_dir);
    // Pages' inline scripts run with this nonce (see `with_security_headers`).
    let nonce = (part == Part::Other).then(PageNonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let cache = (part == Part::StaticFile).then(|| static_cache_control(&edge, request.uri().path()));
    let refusal_as_json = part == Part::ServerFunction && !accepts_postcard(request.headers());
    let screened = if has_nul(request.uri().path()) {
        Err(nul_in_path(part))
    } else if reads_body(part, &request) {
        // Out of line: the body-reading state machine is large, and most
        // requests (GETs) never need it.
        Box::pin(screen_body(part, request)).await
    } else {
        Ok(request)
    };
    let mut response = match screened {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal,
    };
    if refusal_as_json {
        response = for_people(response).await;
    }
    let status = response.status();
    if let Some(cache) = cache {
        let headers = response.headers_mut();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            headers.insert(header::CACHE_CONTROL, cache);
            // The same URL answers brotli, gzip or the file itself, by what
            // the browser accepts: a shared cache must keep them apart.
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        } else {
            // A file that is missing now may be there after the next build.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    with_security_headers(&edge, part, nonce.as_ref(), response)
}

/// How long a browser may keep one of the client's files: a content-hashed
/// name for a year without asking again (a new build has new names), any
/// other name only after checking it is unchanged (`Last-Modified`).
fn static_cache_control(edge: &Edge, path: &str) -> HeaderValue {
    let file = path.rsplit('/').next().unwrap_or_default();
    match &edge.hashed_files {
        Some(output_name) if is_content_hashed(file, output_name) => {
            HeaderValue::from_static("public, max-age=31536000, immutable")
        }
        _ => HeaderValue::from_static("no-cache"),
    }
}

/// Whether `file` is `<output_name>.<hash>.<extension>` as cargo-leptos names
/// the files it hashes: the hash is an MD5 in unpadded base64url (22 characters).
fn is_content_hashed(file: &str, output_name: &str) -> bool {
    let Some((hash, extension)) = file
        .strip_prefix(output_name)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !extension.is_empty()
        && !extension.contains('.')
}

/// A server function's error, as Leptos answers it: [`AppError`] in
/// postcard, which the browser's forms decode and show ([`for_people`]
/// turns it into JSON for anyone else).
fn server_fn_error(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = error.ser();
    (status, [(header::CONTENT_TYPE, PostcardEncoding::CONTENT_TYPE)], body).into_response()
}

/// Whether the caller reads postcard: server_fn's browser client says so in
/// `Accept` (the content type of the answers it decodes).
fn accepts_postcard(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains(PostcardEncoding::CONTENT_TYPE))
}

/// A server function's refusal (a 4xx or 5xx in postcard) as JSON of the
/// same [`AppError`], for a caller that did not ask for postcard; any other
/// answer as it is. Refusals are a few hundred bytes; one that is not
/// readable as an `AppError` is left alone.
async fn for_people(response: Response) -> Response {
    let is_refusal = (response.status().is_client_error() || response.status().is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes() == PostcardEncoding::CONTENT_TYPE.as_bytes());
    if !is_refusal {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let Ok(json) =
        <PostcardEncoding as Decodes<AppError>>::decode(bytes.clone()).map(|error| serde_json::to_vec(&error))
    else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let json = json.unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}

/// `error` in the form the caller reads: `AppError` for server functions
/// (see [`server_fn_error`]), REST's errors for REST, text for everything else.
fn answer(part: Part, error: AppError) -> Response {
    if part == Part::ServerFunction {
        server_fn_error(error)
    } else if part == Part::Rest {
        RestError::from(error).into_response()
    } else {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{error}\n"),
        )
            .into_response()
    }
}

/// Whether the (still percent-encoded) path holds `%00`.
fn has_nul(path: &str) -> bool {
    path.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

fn nul_in_path(part: Part) -> Response {
    if part == Part::Rest {
        // A path with a NUL names nothing.
        return RestError::Status {
            status: StatusCode::NOT_FOUND,
            reason: Reason::NotFound,
            message: "No such resource: the path contains a NUL character.".into(),
        }
        .into_response();
    }
    answer(part, AppError::invalid("path", "must not contain a NUL character"))
}

/// Only forms and JSON bodies are read here (Git's stream through), and
/// only when there is a body at all.
fn reads_body(part: Part, request: &Request) -> bool {
    matches!(part, Part::ServerFunction | Part::Rest) && request.body().size_hint().exact() != Some(0)
}

/// The request with its body read and checked, or the refusal.
async fn screen_body(part: Part, request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, read_body(body)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge)) => {
            let limit_kib = (BODY_LIMIT / 1024) as u64;
            return Err(answer(part, AppError::PayloadTooLarge { limit_kib }));
        }
        Ok(Err(BodyError::Broken)) | Err(_) => {
            return Err(answer(part, AppError::invalid("request", "body did not arrive whole")));
        }
    };
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if part == Part::ServerFunction && form {
        if let Err(problem) = check_form(&bytes) {
            return Err(answer(part, AppError::invalid("request", problem)));
        }
    }
    // JSON is UTF-8 (RFC 8259); a parser skipping a field it does not read
    // would not check, so the whole body is checked here, once.
    if part == Part::Rest && std::str::from_utf8(&bytes).is_err() {
        return Err(answer(part, AppError::invalid("body", "must be UTF-8 text")));
    }
    if part == Part::Rest && json_has_nul(&bytes) {
        let message = "must not contain a NUL character (\\u0000)";
        return Err(answer(part, AppError::invalid("body", message)));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether a JSON body (if it is JSON at all) holds a NUL in any string.
fn json_has_nul(body: &[u8]) -> bool {
    fn walk(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(walk),
            serde_json::Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || walk(v)),
            _ => false,
        }
    }
    !body.is_empty() && serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| walk(&v))
}

enum BodyError {
    TooLarge,
    Broken,
}

/// The body, if it is at most [`BODY_LIMIT`]; a larger one is read to its
/// end (up to [`DRAIN_LIMIT`]) and dropped.
async fn read_body(body: Body) -> Result<Vec<u8>, BodyError> {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let (mut kept, mut seen) = (Vec::new(), 0usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        seen += chunk.len();
        if seen <= BODY_LIMIT {
            kept.extend_from_slice(&chunk);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > BODY_LIMIT {
        return Err(BodyError::TooLarge);
    }
    Ok(kept)
}

/// Whether every name and value of a URL-encoded form decodes to UTF-8
/// text without NUL; if not, what is wrong with which field.
fn check_form(body: &[u8]) -> Result<(), String> {
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let (name, value) = (percent_decode(name), percent_decode(value));
        let shown = || String::from_utf8_lossy(&name).chars().take(40).collect::<String>();
        if std::str::from_utf8(&name).is_err() || std::str::from_utf8(&value).is_err() {
            return Err(format!("field '{}' is not UTF-8 text: send forms as UTF-8", shown()));
        }
        if name.contains(&0) || value.contains(&0) {
            return Err(format!("field '{}' must not contain a NUL character", shown()));
        }
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XY` a
/// byte; a `%` without two hex digits stays as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// A page's CSP, with the nonce its render gave its inline scripts (none
/// for HTML that did not come from a render: then no inline script runs).
fn page_policy(nonce: Option<&PageNonce>) -> HeaderValue {
    HeaderValue::from_str(&content_security_policy(nonce.map(|n| &*n.0))).expect("an ASCII policy")
}

/// Everything that is not a page (JSON, Git, text, the client's files) may
/// run and embed nothing, as OWASP advises for APIs: a short policy on the
/// hot path.
const NOT_A_PAGE_POLICY: HeaderValue = HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'");

fn with_security_headers(edge: &Edge, part: Part, nonce: Option<&PageNonce>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    let page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if page {
        headers.insert(header::CONTENT_SECURITY_POLICY, page_policy(nonce));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else if part != Part::StaticFile {
        headers.insert(header::CONTENT_SECURITY_POLICY, NOT_A_PAGE_POLICY);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if edge.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if part != Part::StaticFile && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `/api/…` that names no server function: a 404 the forms can show.
pub async fn no_such_server_function() -> Response {
    server_fn_error(AppError::NotFound("Server function".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_kept_for_good() {
        let hashed = "tokenwarden.AbCdEfGhIjKlMnOpQrSt-_.wasm";
        assert!(is_content_hashed(hashed, "tokenwarden"));
        for plain in [
            "tokenwarden.wasm",
            "tokenwarden.css",
            "tokenwarden.short.wasm",
            "other.AbCdEfGhIjKlMnOpQrSt-_.wasm",
            "tokenwarden.AbCdEfGhIjKlMnOpQrSt-_.wasm.br",
            "tokenwarden.AbCdEfGhIjKlMnOpQrSt!_.js",
            "tokenwarden.AbCdEfGhIjKlMnOpQrSt-_.",
        ] {
            assert!(!is_content_hashed(plain, "tokenwarden"), "{plain}");
        }
    }

    #[test]
    fn forms_must_be_utf8_without_nul() {
        assert_eq!(check_form(b"name=caf%C3%A9&x=a+b"), Ok(()));
        assert_eq!(check_form(b"name=caf\xc3\xa9"), Ok(()));
        assert!(check_form(b"name=%FF%FE").unwrap_err().contains("'name' is not UTF-8"));
        assert!(check_form(b"ok=1&n%FFme=x").unwrap_err().contains("'n\u{fffd}me'"));
        assert!(check_form(b"workspace=a%00b").unwrap_err().contains("NUL"));
        assert_eq!(check_form(b"a=%&b=%4&c=%zz"), Ok(()));
        assert_eq!(check_form(b""), Ok(()));
        assert_eq!(percent_decode(b"a%2Fb+c%"), b"a/b c%");
    }

    #[test]
    fn parts_and_nuls_are_told_from_the_path() {
        assert_eq!(Part::of("/api/login", "pkg"), Part::ServerFunction);
        assert_eq!(Part::of("/rest/api/1.0/workspaces", "pkg"), Part::Rest);
        assert_eq!(Part::of("/pkg/tokenwarden.wasm", "pkg"), Part::StaticFile);
        assert_eq!(Part::of("/pkgs/x", "pkg"), Part::Other);
        assert_eq!(Part::of("/scm/acme/website.git/info/refs", "pkg"), Part::Other);
        assert!(has_nul("/rest/api/1.0/workspaces/a%00b") && !has_nul("/w/a%0A"));
    }

    #[test]
    fn json_strings_must_not_hold_nul() {
        assert!(json_has_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_has_nul(br#"{"permissions":["REPO_READ","\u0000"]}"#));
        assert!(
            !json_has_nul(br#"{"name":"a\\u0000b"}"#),
            "an escaped backslash is text"
        );
        assert!(!json_has_nul(b"{"));
    }
}
