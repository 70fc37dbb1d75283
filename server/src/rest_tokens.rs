//! Access-token management over REST, shaped like Bitbucket Data Center's
//! access-tokens API so its scripts carry over:
//! `GET|PUT /rest/access-tokens/1.0/users/{user}` (list, create) and
//! `POST|DELETE /rest/access-tokens/1.0/users/{user}/{id}` (edit, revoke); the
//! same under `workspaces/{ws}`, `workspaces/{ws}/projects/{key}` and
//! `workspaces/{ws}/projects/{key}/repos/{slug}`, and Bitbucket's own
//! `projects/{key}` and `projects/{key}/repos/{slug}` when the key names a
//! project in one workspace the user can see. `latest` works for `1.0`.
//!
//! A token cannot manage tokens (a leaked one must not outlive itself): these
//! endpoints take the user's password (HTTP Basic) or a signed-in web session
//! with `X-Atlassian-Token: no-check`. The rules are the web's: the same
//! policy check in the transaction that stores a token, the same limits.

use crate::rest::{anti_csrf_header, check_version, json_body, RestError};
use app::{
    error::AppError,
    model::{CurrentUser, TokenView},
    ssr::{
        request::client_addr,
        session, sign_in,
        store::{
            tokens::{self, NewToken},
            users, workspaces,
        },
        token_admin::{self, Place},
        AppState,
    },
};
use axum::{
    extract::{rejection::JsonRejection, FromRequestParts, Path, State},
    http::{header::AUTHORIZATION, request::Parts, StatusCode},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};
use tokenwarden::{
    credentials::{self, Credentials},
    requests::{NewTokenBody, UpdateTokenBody},
    secret::Secret,
};

/// Every path after `/rest/access-tokens/{version}`, as routed below and
/// documented in `openapi.json` (a test keeps the two the same).
/// Parameters are named as Bitbucket Data Center's documentation names them.
pub(crate) const PATHS: [&str; 12] = [
    "/users/{userSlug}",
    "/users/{userSlug}/{tokenId}",
    "/workspaces/{workspace}",
    "/workspaces/{workspace}/{tokenId}",
    "/workspaces/{workspace}/projects/{projectKey}",
    "/workspaces/{workspace}/projects/{projectKey}/{tokenId}",
    "/workspaces/{workspace}/projects/{projectKey}/repos/{repositorySlug}",
    "/workspaces/{workspace}/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
    "/projects/{projectKey}",
    "/projects/{projectKey}/{tokenId}",
    "/projects/{projectKey}/repos/{repositorySlug}",
    "/projects/{projectKey}/repos/{repositorySlug}/{tokenId}",
];

fn tokens_api(path: &str) -> String {
    format!("/rest/access-tokens/{{version}}{path}")
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&tokens_api(PATHS[0]), get(user_list).put(user_create))
        .route(&tokens_api(PATHS[1]), post(user_update).delete(user_revoke))
        .route(&tokens_api(PATHS[2]), get(ws_list).put(ws_create))
        .route(&tokens_api(PATHS[3]), post(ws_update).delete(ws_revoke))
        .route(&tokens_api(PATHS[4]), get(project_list).put(project_create))
        .route(&tokens_api(PATHS[5]), post(project_update).delete(project_revoke))
        .route(&tokens_api(PATHS[6]), get(repo_list).put(repo_create))
        .route(&tokens_api(PATHS[7]), post(repo_update).delete(repo_revoke))
        .route(&tokens_api(PATHS[8]), get(dc_project_list).put(dc_project_create))
        .route(&tokens_api(PATHS[9]), post(dc_project_update).delete(dc_project_revoke))
        .route(&tokens_api(PATHS[10]), get(dc_repo_list).put(dc_repo_create))
        .route(&tokens_api(PATHS[11]), post(dc_repo_update).delete(dc_repo_revoke))
        .method_not_allowed_fallback(crate::rest::method_not_allowed)
}

/// The workspace of project `key`, for Bitbucket's paths without one: the
/// one workspace the user can see that has such a project.
async fn workspace_of(state: &AppState, manager: &Manager, key: &str) -> Result<String, RestError> {
    let mut visible = Vec::new();
    for slug in workspaces::with_project_key(&state.db, key).await? {
        if workspaces::open(&state.db, &manager.user, &slug).await.is_ok() {
            visible.push(slug);
        }
    }
    match visible.len() {
        0 => Err(RestError::NotFound),
        1 => Ok(visible.remove(0)),
        _ => Err(RestError::Invalid {
            field: "project".into(),
            message: format!(
                "Project key {} is used in several workspaces ({}); use /rest/access-tokens/1.0/workspaces/{{workspace}}/projects/{}.",
                key.to_uppercase(),
                visible.join(", "),
                key.to_uppercase()
            ),
        }),
    }
}

/// The user managing tokens: by password or by web session, never by token.
pub struct Manager {
    user: CurrentUser,
    address: String,
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let address = client_addr(parts);
        let mut authorization = parts.headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = authorization.next() {
            if authorization.next().is_some() {
                return Err(malformed("Send one Authorization header, not several."));
            }
            let (identifier, password) = basic_password(value.as_bytes())?;
            let id = sign_in::check_password(state, &identifier, &password, &address).await?;
            let user = users::current_user(&state.db, id).await?.ok_or(RestError::Internal)?;
            return Ok(Manager { user, address });
        }
        if anti_csrf_header(parts) {
            if let Some(user) = session::current_user(state, parts).await? {
                return Ok(Manager { user, address });
            }
        }
        Err(RestError::Status {
            status: StatusCode::UNAUTHORIZED,
            reason: "missing",
            message: "Managing tokens needs your password (HTTP Basic) or a signed-in session with \
                      `X-Atlassian-Token: no-check`; access tokens cannot manage tokens."
                .into(),
        })
    }
}

fn malformed(message: &str) -> RestError {
    RestError::Status {
        status: StatusCode::UNAUTHORIZED,
        reason: "malformed",
        message: message.into(),
    }
}

/// `Basic` credentials whose password is a password, not an access token.
fn basic_password(header: &[u8]) -> Result<(String, Secret), RestError> {
    let tokens_cannot = || RestError::Status {
        status: StatusCode::FORBIDDEN,
        reason: "token_not_allowed",
        message: "Access tokens cannot manage tokens: use your password (HTTP Basic) or a signed-in session.".into(),
    };
    match credentials::parse(header) {
        Ok(Credentials::Basic { secret, .. }) if tokenwarden::token::check(secret.expose()).is_ok() => {
            Err(tokens_cannot())
        }
        Ok(Credentials::Basic { user, secret }) => Ok((user, secret)),
        Ok(Credentials::Bearer(_)) => Err(tokens_cannot()),
        Err(credentials::Malformed) => Err(malformed(
            "The Authorization header is not HTTP Basic with base64 of `user:password`.",
        )),
    }
}

/// A token as Bitbucket Data Center shows it (times in milliseconds).
fn token_json(t: &TokenView, now: i64) -> Value {
    json!({
        "id": t.id.to_string(),
        "name": t.name,
        "permissions": t.permissions,
        "createdDate": t.created_at * 1000,
        "expiryDate": t.expires_at.map(|at| at * 1000),
        "lastAuthenticated": t.last_used_at.map(|at| at * 1000),
        "state": t.state(now).label(),
    })
}

async fn list(state: &AppState, manager: &Manager, place: Place<'_>) -> Result<Json<Value>, RestError> {
    let target = token_admin::target(state, &manager.user, place, false).await?;
    let now = chrono::Utc::now().timestamp();
    let values: Vec<Value> = tokens::list(&state.db, target.owner)
        .await?
        .iter()
        .map(|t| token_json(t, now))
        .collect();
    Ok(Json(
        json!({ "size": values.len(), "start": 0, "isLastPage": true, "values": values }),
    ))
}

async fn create(
    state: &AppState,
    manager: &Manager,
    place: Place<'_>,
    request: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    let target = token_admin::target(state, &manager.user, place, true).await?;
    let request = json_body(request, "The body must be a JSON object")?;
    let name = tokenwarden::validate::display_name("name", &request.name).map_err(AppError::Invalid)?;
    let set = token_admin::permissions(target.owner.kind(), &request.permissions, target.creator)?;
    let expiry = request.expiry();
    let created = tokens::create(
        &state.db,
        &state.token_keys,
        state.tokens,
        NewToken {
            owner: target.owner,
            scope: target.scope,
            name,
            permissions: set,
            expiry,
            actor: &manager.user,
            client_addr: &manager.address,
        },
    )
    .await?;
    tracing::info!(by = %manager.user.username, token_id = created.token.id, "token created over REST");
    let mut json = token_json(&created.token, chrono::Utc::now().timestamp());
    // The one and only time the secret is sent.
    json["token"] = json!(created.secret.expose());
    Ok((StatusCode::CREATED, Json(json)))
}

/// The token `id` if the manager may manage it *and* it belongs at `place`.
async fn at_place(
    state: &AppState,
    manager: &Manager,
    place: Place<'_>,
    id: &str,
) -> Result<(i64, token_admin::Manageable), RestError> {
    let id: i64 = id.trim().parse().map_err(|_| RestError::NotFound)?;
    let target = token_admin::target(state, &manager.user, place, false).await?;
    let manageable = token_admin::manageable(state, &manager.user, id).await?;
    if manageable.owner != target.owner {
        return Err(RestError::NotFound);
    }
    Ok((id, manageable))
}

async fn update(
    state: &AppState,
    manager: &Manager,
    place: Place<'_>,
    id: &str,
    request: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    let (id, token) = at_place(state, manager, place, id).await?;
    let request = json_body(request, "The body must be a JSON object")?;
    if request.expiry_days {
        return Err(AppError::refused(
            "expiryDays",
            "A token's expiry cannot be changed. Create a new token instead.",
        )
        .into());
    }
    let current = tokens::find_view(&state.db, id).await?.ok_or(RestError::NotFound)?;
    let name = match &request.name {
        Some(name) => tokenwarden::validate::display_name("name", name).map_err(AppError::Invalid)?,
        None => current.name.clone(),
    };
    let names = request.permissions.unwrap_or(current.permissions.clone());
    let set = token.permissions(&names)?;
    let updated = tokens::update(&state.db, id, &name, &set, &manager.user, &manager.address).await?;
    Ok(Json(token_json(&updated, chrono::Utc::now().timestamp())))
}

async fn revoke(state: &AppState, manager: &Manager, place: Place<'_>, id: &str) -> Result<StatusCode, RestError> {
    let (id, _) = at_place(state, manager, place, id).await?;
    tokens::revoke(&state.db, id, &manager.user, &manager.address).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn personal(user: &str) -> Place<'_> {
    Place {
        kind: "personal",
        workspace: "",
        project: "",
        repository: "",
        user,
    }
}

fn workspace(ws: &str) -> Place<'_> {
    Place {
        kind: "workspace",
        workspace: ws,
        project: "",
        repository: "",
        user: "",
    }
}

fn project<'a>(ws: &'a str, key: &'a str) -> Place<'a> {
    Place {
        kind: "project",
        workspace: ws,
        project: key,
        repository: "",
        user: "",
    }
}

fn repository<'a>(ws: &'a str, key: &'a str, slug: &'a str) -> Place<'a> {
    Place {
        kind: "repository",
        workspace: ws,
        project: key,
        repository: slug,
        user: "",
    }
}

async fn user_list(
    Path((v, user)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    list(&s, &m, personal(&user)).await
}
async fn user_create(
    Path((v, user)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    create(&s, &m, personal(&user), b).await
}
async fn user_update(
    Path((v, user, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    update(&s, &m, personal(&user), &id, b).await
}
async fn user_revoke(
    Path((v, user, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    revoke(&s, &m, personal(&user), &id).await
}

async fn ws_list(
    Path((v, ws)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    list(&s, &m, workspace(&ws)).await
}
async fn ws_create(
    Path((v, ws)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    create(&s, &m, workspace(&ws), b).await
}
async fn ws_update(
    Path((v, ws, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    update(&s, &m, workspace(&ws), &id, b).await
}
async fn ws_revoke(
    Path((v, ws, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    revoke(&s, &m, workspace(&ws), &id).await
}

async fn project_list(
    Path((v, ws, key)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    list(&s, &m, project(&ws, &key)).await
}
async fn project_create(
    Path((v, ws, key)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    create(&s, &m, project(&ws, &key), b).await
}
async fn project_update(
    Path((v, ws, key, id)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    update(&s, &m, project(&ws, &key), &id, b).await
}
async fn project_revoke(
    Path((v, ws, key, id)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    revoke(&s, &m, project(&ws, &key), &id).await
}

// The project key is in the path as in Bitbucket's: the repository must be in it.
async fn repo_list(
    Path((v, ws, key, slug)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    list(&s, &m, repository(&ws, &key, &slug)).await
}
async fn repo_create(
    Path((v, ws, key, slug)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    create(&s, &m, repository(&ws, &key, &slug), b).await
}
async fn repo_update(
    Path((v, ws, key, slug, id)): Path<(String, String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    update(&s, &m, repository(&ws, &key, &slug), &id, b).await
}
async fn repo_revoke(
    Path((v, ws, key, slug, id)): Path<(String, String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    revoke(&s, &m, repository(&ws, &key, &slug), &id).await
}

async fn dc_project_list(
    Path((v, key)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    list(&s, &m, project(&ws, &key)).await
}
async fn dc_project_create(
    Path((v, key)): Path<(String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    create(&s, &m, project(&ws, &key), b).await
}
async fn dc_project_update(
    Path((v, key, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    update(&s, &m, project(&ws, &key), &id, b).await
}
async fn dc_project_revoke(
    Path((v, key, id)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    revoke(&s, &m, project(&ws, &key), &id).await
}
async fn dc_repo_list(
    Path((v, key, slug)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    list(&s, &m, repository(&ws, &key, &slug)).await
}
async fn dc_repo_create(
    Path((v, key, slug)): Path<(String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    create(&s, &m, repository(&ws, &key, &slug), b).await
}
async fn dc_repo_update(
    Path((v, key, slug, id)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
    b: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    update(&s, &m, repository(&ws, &key, &slug), &id, b).await
}
async fn dc_repo_revoke(
    Path((v, key, slug, id)): Path<(String, String, String, String)>,
    State(s): State<AppState>,
    m: Manager,
) -> Result<StatusCode, RestError> {
    check_version(&v)?;
    let ws = workspace_of(&s, &m, &key).await?;
    revoke(&s, &m, repository(&ws, &key, &slug), &id).await
}
