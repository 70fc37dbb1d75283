//! The REST API under `/rest/api/1.0` (`latest` is an alias): JSON,
//! authenticated by access token (`Authorization: Bearer`, or HTTP Basic
//! with the token as password). Errors come back as
//! `{"errors": [{"reason": …, "message": …}]}` with their HTTP status.

use app::ssr::{
    request::client_addr,
    token_auth::{self, TokenAuthError, TokenPrincipal},
    AppState,
};
use axum::{
    extract::{FromRequestParts, Path},
    http::{header::WWW_AUTHENTICATE, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/rest/api/{version}/tokens/self", get(token_self))
}

/// What a REST call can fail with, mapped to a status and a JSON body in one
/// place ([`IntoResponse`]).
#[derive(Debug)]
pub enum RestError {
    Unauthenticated(TokenAuthError),
    NotFound,
    Internal,
}

impl From<TokenAuthError> for RestError {
    fn from(e: TokenAuthError) -> Self {
        match e {
            TokenAuthError::Internal => RestError::Internal,
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

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            RestError::Unauthenticated(e) => {
                let (reason, message, extra) = match e {
                    TokenAuthError::Missing => (
                        "missing",
                        "Authentication required: send an access token as `Authorization: Bearer <token>`, \
                         or as the password of HTTP Basic authentication."
                            .to_string(),
                        None,
                    ),
                    TokenAuthError::Malformed => (
                        "malformed",
                        "The credentials are not a well-formed access token.".to_string(),
                        None,
                    ),
                    TokenAuthError::Unknown => ("unknown", "The access token is not valid.".to_string(), None),
                    TokenAuthError::Expired { at } => (
                        "expired",
                        format!("The access token expired at {}.", rfc3339(*at)),
                        Some(rfc3339(*at)),
                    ),
                    TokenAuthError::Revoked => ("revoked", "The access token has been revoked.".to_string(), None),
                    TokenAuthError::Internal => unreachable!("mapped to RestError::Internal"),
                };
                let mut error = json!({ "reason": reason, "message": message });
                if let Some(at) = extra {
                    error["expired_at"] = json!(at);
                }
                (StatusCode::UNAUTHORIZED, json!({ "errors": [error] }))
            }
            RestError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({ "errors": [{ "reason": "not_found", "message": "No such resource." }] }),
            ),
            RestError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "errors": [{ "reason": "internal", "message": "Something went wrong on the server; try again." }] }),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if let RestError::Unauthenticated(e) = self {
            // Bearer for API clients (RFC 6750), Basic so Git asks for a password.
            let bearer = match e {
                TokenAuthError::Missing => r#"Bearer realm="Tokenwarden""#.to_string(),
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

/// A request authenticated by access token.
pub struct Authenticated(pub TokenPrincipal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = token_auth::authenticate(
            &state.db,
            &state.token_keys,
            &state.last_used,
            &parts.headers,
            &client_addr(parts),
        )
        .await?;
        Ok(Authenticated(principal))
    }
}

/// `1.0`, or `latest` for the newest version.
fn check_version(version: &str) -> Result<(), RestError> {
    match version {
        "1.0" | "latest" => Ok(()),
        _ => Err(RestError::NotFound),
    }
}

/// The calling token's own details (never its secret). Times are
/// milliseconds since the epoch, as Bitbucket Data Center sends them.
async fn token_self(
    Path(version): Path<String>,
    Authenticated(token): Authenticated,
) -> Result<Json<serde_json::Value>, RestError> {
    check_version(&version)?;
    Ok(Json(json!({
        "id": token.id,
        "name": token.name,
        "kind": token.kind().as_str(),
        "permissions": token.permissions,
        "createdDate": token.created_at * 1000,
        "expiryDate": token.expires_at.map(|at| at * 1000),
    })))
}
