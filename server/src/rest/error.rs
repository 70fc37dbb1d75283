//! What a REST (or Git) request can fail with, and its one mapping to an
//! HTTP status, a JSON body `{"errors": [{"reason": …, "message": …}]}` and
//! the headers that go with it (`WWW-Authenticate`, `Retry-After`).

use app::{error::AppError, ssr::auth::AuthError};
use axum::{
    http::{header::WWW_AUTHENTICATE, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// Everything under `/rest/` that no route takes answers in JSON too:
/// a 404 naming the path (scripts must never get the HTML app instead).
pub async fn no_such_endpoint(uri: axum::http::Uri) -> RestError {
    RestError::Status {
        status: StatusCode::NOT_FOUND,
        reason: "not_found",
        message: format!(
            "No REST endpoint at {}; see /rest/api/1.0/openapi.json.",
            uri.path().chars().take(200).collect::<String>()
        ),
    }
}

/// A known path with a method it does not take.
pub async fn method_not_allowed(method: axum::http::Method) -> RestError {
    RestError::Status {
        status: StatusCode::METHOD_NOT_ALLOWED,
        reason: "method_not_allowed",
        message: format!("This endpoint does not take {method}; see /rest/api/1.0/openapi.json."),
    }
}

/// What a REST call can fail with, mapped to a status and a JSON body in one
/// place ([`IntoResponse`]).
#[derive(Debug)]
pub enum RestError {
    Unauthenticated(AuthError),
    /// The token reaches the resource but lacks a permission; the message
    /// names it.
    Forbidden(String),
    NotFound,
    Invalid {
        field: String,
        message: String,
    },
    Conflict(String),
    /// Too many failed attempts: wait this long (429 with `Retry-After`).
    TooManyAttempts {
        message: String,
        retry_after_secs: u64,
    },
    /// Any other refusal, with its status and reason code.
    Status {
        status: StatusCode,
        reason: &'static str,
        message: String,
    },
    Internal,
}

impl From<AppError> for RestError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(_) => RestError::NotFound,
            AppError::Invalid(ref v) => RestError::Invalid {
                field: v.field.clone(),
                message: e.to_string(),
            },
            AppError::Refused { field, message } => RestError::Invalid { field, message },
            AppError::Conflict(message) => RestError::Conflict(message),
            AppError::Forbidden => RestError::Forbidden("You may not do that here.".into()),
            AppError::BadCredentials => RestError::Status {
                status: StatusCode::UNAUTHORIZED,
                reason: "bad_credentials",
                message: e.to_string(),
            },
            AppError::TooManyAttempts { retry_after_secs } => RestError::TooManyAttempts {
                message: e.to_string(),
                retry_after_secs,
            },
            AppError::PayloadTooLarge { .. } => RestError::Status {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                reason: "too_large",
                message: e.to_string(),
            },
            _ => RestError::Internal,
        }
    }
}

impl From<AuthError> for RestError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Internal => RestError::Internal,
            AuthError::Busy => RestError::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                reason: "busy",
                message: describe(&e).1,
            },
            AuthError::Throttled { retry_after_secs } => RestError::TooManyAttempts {
                message: describe(&e).1,
                retry_after_secs,
            },
            other => RestError::Unauthenticated(other),
        }
    }
}

/// RFC 3339 for an instant in Unix seconds.
fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Why a token was refused: a reason code, a sentence, and when it expired.
pub(crate) fn describe(e: &AuthError) -> (&'static str, String, Option<String>) {
    match e {
        AuthError::Missing => (
            "missing",
            "Authentication required: send an access token as `Authorization: Bearer <token>`, \
             or as the password of HTTP Basic authentication."
                .to_string(),
            None,
        ),
        AuthError::Malformed => (
            "malformed",
            "The credentials are not a well-formed access token.".to_string(),
            None,
        ),
        AuthError::Unknown => (
            "unknown",
            "The access token (or app password) is not valid.".to_string(),
            None,
        ),
        AuthError::Expired { at } => (
            "expired",
            format!("The access token expired at {}.", rfc3339(*at)),
            Some(rfc3339(*at)),
        ),
        AuthError::Revoked => ("revoked", "The access token has been revoked.".to_string(), None),
        AuthError::AppPasswordsRetired { on } => (
            "app_password_retired",
            tokenwarden::app_passwords::retired_message(*on),
            None,
        ),
        AuthError::Throttled { retry_after_secs } => (
            "too_many_attempts",
            format!(
                "Too many wrong app passwords for this user from your address: try again in {retry_after_secs} \
                 seconds, or use an API token."
            ),
            None,
        ),
        AuthError::Busy => (
            "busy",
            "Too many app password checks are waiting; try again in a few seconds, or use an API token.".to_string(),
            None,
        ),
        AuthError::Internal => (
            "internal",
            "Something went wrong on the server; try again.".to_string(),
            None,
        ),
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            RestError::Unauthenticated(e) => {
                let (reason, message, extra) = describe(e);
                let mut error = json!({ "reason": reason, "message": message });
                if let Some(at) = extra {
                    error["expired_at"] = json!(at);
                }
                if let AuthError::AppPasswordsRetired { on } = e {
                    error["retired_on"] = json!(on.to_string());
                }
                (StatusCode::UNAUTHORIZED, json!({ "errors": [error] }))
            }
            RestError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                json!({ "errors": [{ "reason": "forbidden", "message": message }] }),
            ),
            RestError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({ "errors": [{ "reason": "not_found", "message": "No such resource, or this token cannot see it." }] }),
            ),
            RestError::Invalid { field, message } => (
                StatusCode::BAD_REQUEST,
                json!({ "errors": [{ "reason": "invalid", "field": field, "message": message }] }),
            ),
            RestError::Conflict(message) => (
                StatusCode::CONFLICT,
                json!({ "errors": [{ "reason": "conflict", "message": message }] }),
            ),
            RestError::TooManyAttempts { message, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "errors": [{ "reason": "too_many_attempts", "message": message }] }),
            ),
            RestError::Status {
                status,
                reason,
                message,
            } => (*status, json!({ "errors": [{ "reason": reason, "message": message }] })),
            RestError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "errors": [{ "reason": "internal", "message": "Something went wrong on the server; try again." }] }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if let RestError::TooManyAttempts { retry_after_secs, .. } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return response;
        }
        if let RestError::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..
        } = self
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let RestError::Status {
            status: StatusCode::UNAUTHORIZED,
            ..
        } = self
        {
            response.headers_mut().append(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="Tokenwarden""#),
            );
        }
        if let RestError::Unauthenticated(e) = self {
            // Bearer for API clients (RFC 6750), Basic so Git asks for a password.
            let bearer = match e {
                AuthError::Missing => r#"Bearer realm="Tokenwarden""#.to_string(),
                _ => r#"Bearer realm="Tokenwarden", error="invalid_token""#.to_string(),
            };
            let headers = response.headers_mut();
            headers.append(WWW_AUTHENTICATE, HeaderValue::from_str(&bearer).expect("ASCII"));
            headers.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="Tokenwarden""#),
            );
        }
        response
    }
}
