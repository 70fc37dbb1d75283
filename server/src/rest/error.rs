//! What a REST (or Git) request can fail with, and its one mapping to an
//! HTTP status, a JSON body and the headers that go with it
//! (`WWW-Authenticate`, `Retry-After`). The body is Bitbucket Data
//! Center's, `{"errors": [{"context", "message", "exceptionName"}]}`, so
//! its clients read our refusals as they read its own, with Tokenwarden's
//! `reason` (and `field`, `expired_at`, `retired_on`) alongside for scripts
//! to branch on. Like Data Center, every refusal is
//! `application/json;charset=UTF-8`.

use app::{
    error::AppError,
    ssr::{auth::AuthError, store::StoreError},
};
use axum::{
    http::{header::WWW_AUTHENTICATE, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything under `/rest/` that no route takes answers in JSON too:
/// a 404 naming the path (scripts must never get the HTML app instead).
pub async fn no_such_endpoint(uri: axum::http::Uri) -> RestError {
    RestError::Status {
        status: StatusCode::NOT_FOUND,
        reason: Reason::NotFound,
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
        reason: Reason::MethodNotAllowed,
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
        reason: Reason,
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
                reason: Reason::BadCredentials,
                message: e.to_string(),
            },
            AppError::TooManyAttempts { retry_after_secs } => RestError::TooManyAttempts {
                message: e.to_string(),
                retry_after_secs,
            },
            AppError::PayloadTooLarge { .. } => RestError::Status {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                reason: Reason::TooLarge,
                message: e.to_string(),
            },
            _ => RestError::Internal,
        }
    }
}

/// The store's failures, worded as the app words them (once, in
/// `store::error`), then mapped as above.
impl From<StoreError> for RestError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AuthError> for RestError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Internal => RestError::Internal,
            AuthError::Busy => RestError::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                reason: Reason::Busy,
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
pub(crate) fn describe(e: &AuthError) -> (Reason, String, Option<String>) {
    match e {
        AuthError::Missing => (
            Reason::Missing,
            "Authentication required: send an access token as `Authorization: Bearer <token>`, \
             or as the password of HTTP Basic authentication."
                .to_string(),
            None,
        ),
        AuthError::Malformed => (
            Reason::Malformed,
            "The credentials are not a well-formed access token.".to_string(),
            None,
        ),
        AuthError::Unknown => (
            Reason::Unknown,
            "The access token (or app password) is not valid.".to_string(),
            None,
        ),
        AuthError::Expired { at } => (
            Reason::Expired,
            format!("The access token expired at {}.", rfc3339(*at)),
            Some(rfc3339(*at)),
        ),
        AuthError::Revoked => (Reason::Revoked, "The access token has been revoked.".to_string(), None),
        AuthError::Rotated { at } => (
            Reason::Rotated,
            format!(
                "The access token was rotated: its successor replaced it, and it stopped working at {}. \
                 Use the new token.",
                rfc3339(*at)
            ),
            Some(rfc3339(*at)),
        ),
        AuthError::AppPasswordsRetired { on } => (
            Reason::AppPasswordRetired,
            tokenwarden::app_passwords::retired_message(*on),
            None,
        ),
        AuthError::Throttled { retry_after_secs } => (
            Reason::TooManyAttempts,
            format!(
                "Too many wrong app passwords for this user from your address: try again in {retry_after_secs} \
                 seconds, or use an API token."
            ),
            None,
        ),
        AuthError::Busy => (
            Reason::Busy,
            "Too many app password checks are waiting; try again in a few seconds, or use an API token.".to_string(),
            None,
        ),
        AuthError::Internal => (
            Reason::Internal,
            "Something went wrong on the server; try again.".to_string(),
            None,
        ),
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            RestError::Unauthenticated(e) => {
                let (reason, message, expired_at) = describe(e);
                let retired_on = match e {
                    AuthError::AppPasswordsRetired { on } => Some(on.to_string()),
                    _ => None,
                };
                (
                    StatusCode::UNAUTHORIZED,
                    ErrorDetail {
                        expired_at,
                        retired_on,
                        ..ErrorDetail::new(reason, message)
                    },
                )
            }
            RestError::Forbidden(message) => (StatusCode::FORBIDDEN, ErrorDetail::new(Reason::Forbidden, message)),
            RestError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorDetail::new(Reason::NotFound, "No such resource, or this token cannot see it."),
            ),
            RestError::Invalid { field, message } => (
                StatusCode::BAD_REQUEST,
                ErrorDetail {
                    context: Some(field.clone()),
                    field: Some(field.clone()),
                    ..ErrorDetail::new(Reason::Invalid, message)
                },
            ),
            RestError::Conflict(message) => (StatusCode::CONFLICT, ErrorDetail::new(Reason::Conflict, message)),
            RestError::TooManyAttempts { message, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorDetail::new(Reason::TooManyAttempts, message),
            ),
            RestError::Status {
                status,
                reason,
                message,
            } => (*status, ErrorDetail::new(*reason, message)),
            RestError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorDetail::new(Reason::Internal, "Something went wrong on the server; try again."),
            ),
        };
        let body = Errors { errors: vec![error] };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
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

/// What Data Center's refusals are sent as (its clients accept it; some
/// check for it).
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// The body of every refusal, as Bitbucket Data Center shapes it:
/// `{"errors": [{"context", "message", "exceptionName", "reason", …}]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Errors {
    pub errors: Vec<ErrorDetail>,
}

/// One reason a call was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The field that is wrong, or null (Data Center's `context`).
    pub context: Option<String>,
    pub message: String,
    /// The Data Center exception class for the same refusal, where Data
    /// Center has one (`com.atlassian.bitbucket.NoSuchEntityException`);
    /// else Tokenwarden's own (`io.tokenwarden.…`).
    #[serde(rename = "exceptionName")]
    #[schema(schema_with = exception_names)]
    pub exception_name: &'static str,
    /// Why, for scripts to branch on (Tokenwarden's).
    pub reason: Reason,
    /// The field that is wrong (reason `invalid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When the token expired (reason `expired`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub expired_at: Option<String>,
    /// When app passwords were retired (reason `app_password_retired`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub retired_on: Option<String>,
}

impl ErrorDetail {
    fn new(reason: Reason, message: impl Into<String>) -> Self {
        ErrorDetail {
            context: None,
            message: message.into(),
            exception_name: reason.exception_name(),
            reason,
            field: None,
            expired_at: None,
            retired_on: None,
        }
    }
}

/// Every `exceptionName` a refusal can carry.
fn exception_names() -> utoipa::openapi::Object {
    let mut names: Vec<&str> = Reason::ALL.iter().map(|r| r.exception_name()).collect();
    names.sort_unstable();
    names.dedup();
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(names))
        .build()
}

impl Reason {
    const ALL: [Reason; 18] = [
        Reason::Missing,
        Reason::Malformed,
        Reason::Unknown,
        Reason::Expired,
        Reason::Revoked,
        Reason::Rotated,
        Reason::Forbidden,
        Reason::NotFound,
        Reason::Invalid,
        Reason::Conflict,
        Reason::Internal,
        Reason::BadCredentials,
        Reason::TooManyAttempts,
        Reason::TokenNotAllowed,
        Reason::AppPasswordRetired,
        Reason::Busy,
        Reason::TooLarge,
        Reason::MethodNotAllowed,
    ];

    /// The exception Data Center names for the same refusal, so scripts
    /// that branch on `exceptionName` keep working; Tokenwarden's own name
    /// where Data Center has no such refusal.
    pub fn exception_name(self) -> &'static str {
        match self {
            Reason::Missing | Reason::Forbidden | Reason::TokenNotAllowed => {
                "com.atlassian.bitbucket.AuthorisationException"
            }
            Reason::Malformed | Reason::Unknown | Reason::BadCredentials => {
                "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
            }
            Reason::Expired | Reason::Revoked | Reason::Rotated | Reason::AppPasswordRetired => {
                "com.atlassian.bitbucket.auth.AuthenticationException"
            }
            Reason::NotFound => "com.atlassian.bitbucket.NoSuchEntityException",
            Reason::Invalid => "com.atlassian.bitbucket.validation.ArgumentValidationException",
            Reason::Busy => "com.atlassian.bitbucket.throttle.ResourceBusyException",
            Reason::Internal => "com.atlassian.bitbucket.ServiceException",
            Reason::Conflict => "io.tokenwarden.ConflictException",
            Reason::TooManyAttempts => "io.tokenwarden.TooManyAttemptsException",
            Reason::TooLarge => "io.tokenwarden.PayloadTooLargeException",
            Reason::MethodNotAllowed => "io.tokenwarden.MethodNotAllowedException",
        }
    }
}

/// Why a call was refused, for scripts to branch on (the message is for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Missing,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    /// A rotated-away token after its overlap.
    Rotated,
    Forbidden,
    NotFound,
    Invalid,
    Conflict,
    Internal,
    BadCredentials,
    TooManyAttempts,
    TokenNotAllowed,
    AppPasswordRetired,
    Busy,
    TooLarge,
    MethodNotAllowed,
}
