//! The REST APIs, by job: [`error`] (what a call can fail with, and its
//! one mapping to HTTP), [`extract`] (who is calling: token, app password,
//! password or session), [`resources`] (`/rest/api/1.0`: workspaces,
//! projects, repositories) and [`tokens`] (`/rest/access-tokens/1.0`:
//! token management shaped like Bitbucket Data Center's). Git uses the
//! first two only.

pub mod error;
pub mod extract;
mod resources;
mod tokens;

pub use error::{method_not_allowed, no_such_endpoint, RestError};

use app::ssr::AppState;
use axum::{
    extract::Path,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// The OpenAPI 3 document of both APIs, served at `/rest/api/{version}/openapi.json`.
const OPENAPI_DOCUMENT: &str = include_str!("openapi.json");
const OPENAPI: &str = "/openapi.json";

/// Both APIs and the document that describes them.
pub fn routes() -> Router<AppState> {
    resources::routes()
        .route(&resources::api(OPENAPI), get(openapi))
        .merge(tokens::routes())
}

async fn openapi(Path(version): Path<String>) -> Result<Response, RestError> {
    extract::check_version(&version)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_DOCUMENT,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_openapi_document_covers_every_route_and_no_other() {
        let doc: Value = serde_json::from_str(OPENAPI_DOCUMENT).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.0.3");
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut routed: Vec<String> = resources::PATHS
            .iter()
            .chain([&OPENAPI])
            .map(|p| format!("/rest/api/1.0{p}"))
            .collect();
        routed.extend(tokens::paths().map(|p| format!("/rest/access-tokens/1.0{p}")));
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }

    /// Each operation declares exactly the parameters its path names, under
    /// those names, and only security schemes the document defines.
    #[test]
    fn the_openapi_document_names_each_path_parameter_as_its_path_does() {
        let doc: Value = serde_json::from_str(OPENAPI_DOCUMENT).unwrap();
        let resolve = |p: &Value| -> Value {
            match p["$ref"].as_str() {
                Some(r) => doc.pointer(&r["#".len()..]).cloned().expect("a $ref that resolves"),
                None => p.clone(),
            }
        };
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let mut in_path: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            in_path.sort();
            for (method, op) in item.as_object().unwrap().iter().filter(|(m, _)| *m != "parameters") {
                let mut declared: Vec<String> = item["parameters"]
                    .as_array()
                    .into_iter()
                    .chain(op["parameters"].as_array())
                    .flatten()
                    .map(resolve)
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_string())
                    .collect();
                declared.sort();
                assert_eq!(declared, in_path, "{method} {path}");
                for requirement in op["security"]
                    .as_array()
                    .expect("each operation says how it authenticates")
                {
                    for scheme in requirement.as_object().unwrap().keys() {
                        assert!(schemes.contains_key(scheme), "{method} {path}: {scheme}");
                    }
                }
            }
        }
    }
}
