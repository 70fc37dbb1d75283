//! The REST APIs, by job: [`error`] (what a call can fail with, and its
//! one mapping to HTTP), [`extract`] (who is calling: token, app password,
//! password or session), [`resources`] (`/rest/api/1.0`: workspaces,
//! projects, repositories), [`tokens`] (`/rest/access-tokens/1.0`: token
//! management shaped like Bitbucket Data Center's) and [`docs`] (the
//! OpenAPI document, generated from the handlers and their types). Git uses
//! the first two only, and [`expiration`] (the token's expiry on every
//! answer), like every REST route.

mod docs;
pub mod error;
pub mod expiration;
pub mod extract;
mod page;
mod resources;
mod schemas;
mod tokens;
pub mod username;

pub use error::{method_not_allowed, no_such_endpoint, Reason, RestError};

use app::ssr::AppState;
use axum::{
    extract::Path,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

const OPENAPI: &str = "/openapi.json";

/// Both APIs and the document that describes them.
pub fn routes() -> Router<AppState> {
    resources::routes()
        .route(&resources::api(OPENAPI), get(openapi))
        .merge(tokens::routes())
        .layer(axum::middleware::from_fn(expiration::announce))
        .layer(axum::middleware::from_fn(username::announce))
}

/// The OpenAPI document of both APIs.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/openapi.json",
    tag = "Resources",
    summary = "This document",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = Object),
        (status = 404, response = schemas::NotFound),
    )
)]
async fn openapi(Path(version): Path<String>) -> Result<Response, RestError> {
    extract::check_version(&version)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        docs::DOCUMENT.as_str(),
    )
        .into_response())
}
