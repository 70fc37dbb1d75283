//! The REST API under `/rest/api/1.0` (`latest` is an alias): JSON,
//! authenticated by access token (`Authorization: Bearer`, or HTTP Basic
//! with the token as password) or, until they are retired, by a legacy app
//! password (HTTP Basic with the username). Errors come back as
//! `{"errors": [{"reason": …, "message": …}]}` with their HTTP status.

use app::{
    error::AppError,
    model::CurrentUser,
    ssr::{
        last_used::Channel,
        request::client_addr,
        session,
        store::{tokens::Owner, users, workspaces},
        token_auth::{self, Principal, TokenAuthError},
        AppState,
    },
};
use axum::{
    extract::{FromRequestParts, Path, State},
    http::{header::WWW_AUTHENTICATE, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tokenwarden::{
    permissions::{Level, PermissionSet},
    scope::{self, Place},
    Access, Grants,
};

// Every path after `/rest/api/{version}`: routed below, documented in
// `openapi.json` (a test keeps the two the same).
const TOKEN_SELF: &str = "/tokens/self";
const WORKSPACES: &str = "/workspaces";
const WORKSPACE: &str = "/workspaces/{workspace}";
const PROJECTS: &str = "/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "/workspaces/{workspace}/projects/{project}/repos";
const REPOSITORY: &str = "/workspaces/{workspace}/projects/{project}/repos/{repository}";
const OPENAPI: &str = "/openapi.json";
#[cfg(test)]
const PATHS: [&str; 7] = [
    TOKEN_SELF,
    WORKSPACES,
    WORKSPACE,
    PROJECTS,
    REPOSITORIES,
    REPOSITORY,
    OPENAPI,
];

/// The OpenAPI 3 document of this API.
const OPENAPI_DOCUMENT: &str = include_str!("openapi.json");

fn api(path: &str) -> String {
    format!("/rest/api/{{version}}{path}")
}

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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&api(TOKEN_SELF), get(token_self))
        .route(&api(WORKSPACES), get(list_workspaces))
        .route(&api(WORKSPACE), get(get_workspace))
        .route(&api(PROJECTS), get(list_projects))
        .route(&api(REPOSITORIES), get(list_repositories).post(create_repository))
        .route(&api(REPOSITORY), get(get_repository).put(update_repository))
        .route(&api(OPENAPI), get(openapi))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn openapi(Path(version): Path<String>) -> Result<Response, RestError> {
    check_version(&version)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_DOCUMENT,
    )
        .into_response())
}

/// What a REST call can fail with, mapped to a status and a JSON body in one
/// place ([`IntoResponse`]).
#[derive(Debug)]
pub enum RestError {
    Unauthenticated(TokenAuthError),
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

impl From<TokenAuthError> for RestError {
    fn from(e: TokenAuthError) -> Self {
        match e {
            TokenAuthError::Internal => RestError::Internal,
            TokenAuthError::Busy => RestError::Status {
                status: StatusCode::SERVICE_UNAVAILABLE,
                reason: "busy",
                message: describe(&e).1,
            },
            TokenAuthError::Throttled { retry_after_secs } => RestError::TooManyAttempts {
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
pub(crate) fn describe(e: &TokenAuthError) -> (&'static str, String, Option<String>) {
    match e {
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
        TokenAuthError::Unknown => (
            "unknown",
            "The access token (or app password) is not valid.".to_string(),
            None,
        ),
        TokenAuthError::Expired { at } => (
            "expired",
            format!("The access token expired at {}.", rfc3339(*at)),
            Some(rfc3339(*at)),
        ),
        TokenAuthError::Revoked => ("revoked", "The access token has been revoked.".to_string(), None),
        TokenAuthError::AppPasswordsRetired { on } => (
            "app_password_retired",
            tokenwarden::app_passwords::retired_message(*on),
            None,
        ),
        TokenAuthError::Throttled { retry_after_secs } => (
            "too_many_attempts",
            format!(
                "Too many wrong app passwords for this user from your address: try again in {retry_after_secs} \
                 seconds, or use an API token."
            ),
            None,
        ),
        TokenAuthError::Busy => (
            "busy",
            "Too many app password checks are waiting; try again in a few seconds, or use an API token.".to_string(),
            None,
        ),
        TokenAuthError::Internal => (
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
                if let TokenAuthError::AppPasswordsRetired { on } = e {
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

/// A REST request authenticated by access token or app password.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = token_auth::authenticate(state, &parts.headers, &client_addr(parts), Channel::Rest).await?;
        Ok(Authenticated(principal))
    }
}

/// `1.0`, or `latest` for the newest version.
pub(crate) fn check_version(version: &str) -> Result<(), RestError> {
    match version {
        "1.0" | "latest" => Ok(()),
        _ => Err(RestError::NotFound),
    }
}

/// The calling token's own details (never its secret). Times are
/// milliseconds since the epoch, as Bitbucket Data Center sends them. An app
/// password gets its own details too (kind `app_password`, classic scopes),
/// which helps scripts find what still uses one.
async fn token_self(
    Path(version): Path<String>,
    Authenticated(principal): Authenticated,
) -> Result<Json<serde_json::Value>, RestError> {
    check_version(&version)?;
    Ok(Json(match principal {
        Principal::Token(token) => json!({
            "id": token.id,
            "name": token.name,
            "kind": token.kind().as_str(),
            "permissions": token.permissions,
            "createdDate": token.created_at * 1000,
            "expiryDate": token.expires_at.map(|at| at * 1000),
        }),
        Principal::AppPassword(app_password) => json!({
            "id": app_password.id,
            "name": app_password.name,
            "kind": "app_password",
            "permissions": app_password.scopes.iter().map(|s| s.id()).collect::<Vec<_>>(),
            "createdDate": app_password.created_at * 1000,
            "expiryDate": null,
        }),
    }))
}

/// A token and, for a personal token or an app password, its user as they
/// are now.
pub(crate) struct Caller {
    /// `None` for a web session (with the anti-CSRF header): the user acts
    /// with their own rights.
    pub(crate) principal: Option<Principal>,
    home: scope::Home,
    permissions: PermissionSet,
    user: Option<CurrentUser>,
}

impl Caller {
    pub(crate) async fn load(state: &AppState, principal: Principal) -> Result<Caller, RestError> {
        let token = match principal {
            Principal::Token(token) => token,
            Principal::AppPassword(ref app_password) => {
                // Its user's rights, within the nearest token permissions to
                // its classic scopes (what its replacement token would get).
                let permissions =
                    tokenwarden::app_passwords::nearest_token_permissions(&app_password.scopes).permissions;
                let user = users::current_user(&state.db, app_password.user_id)
                    .await?
                    .ok_or(RestError::Unauthenticated(TokenAuthError::Unknown))?;
                return Ok(Caller {
                    principal: Some(principal),
                    home: None,
                    permissions,
                    user: Some(user),
                });
            }
        };
        let permissions = PermissionSet::parse(token.kind(), &token.permissions).map_err(|_| RestError::Internal)?;
        let (home, user) = match token.owner {
            Owner::Workspace { workspace_id } => (Some(Place::Workspace { workspace_id }), None),
            Owner::Project {
                workspace_id,
                project_id,
            } => (
                Some(Place::Project {
                    workspace_id,
                    project_id,
                }),
                None,
            ),
            Owner::Repository {
                workspace_id,
                project_id,
                repository_id,
            } => (
                Some(Place::Repository {
                    workspace_id,
                    project_id,
                    repository_id,
                }),
                None,
            ),
            Owner::Personal { user_id } => {
                let user = users::current_user(&state.db, user_id).await?;
                (
                    None,
                    Some(user.ok_or(RestError::Unauthenticated(TokenAuthError::Unknown))?),
                )
            }
        };
        Ok(Caller {
            principal: Some(Principal::Token(token)),
            home,
            permissions,
            user,
        })
    }

    /// Who is calling, for logs and Git's `REMOTE_USER`: `token-12`,
    /// `app-password-3` or `user-7` (a web session). Never a secret.
    pub(crate) fn label(&self) -> String {
        match (&self.principal, &self.user) {
            (Some(Principal::Token(t)), _) => format!("token-{}", t.id),
            (Some(Principal::AppPassword(a)), _) => format!("app-password-{}", a.id),
            (None, Some(user)) => format!("user-{}", user.id),
            (None, None) => "anonymous".to_string(),
        }
    }

    /// A signed-in web user: everything their roles allow, nothing more.
    fn session(user: CurrentUser) -> Caller {
        Caller {
            principal: None,
            home: None,
            permissions: PermissionSet {
                workspace: Some(Level::Admin),
                project: Some(Level::Admin),
                repository: Some(Level::Admin),
                account_read: true,
            },
            user: Some(user),
        }
    }

    /// The user's grants in a workspace (personal tokens only).
    pub(crate) async fn grants(&self, state: &AppState, workspace_id: i64) -> Result<Option<Grants>, RestError> {
        match &self.user {
            Some(user) => Ok(Some(workspaces::grants(&state.db, user, workspace_id).await?)),
            None => Ok(None),
        }
    }

    pub(crate) fn access(&self, grants: Option<&Grants>, place: Place) -> Access {
        let user_access = grants.map_or(Access::None, |g| match place {
            Place::Workspace { .. } => g.workspace(),
            Place::Project { project_id, .. } => g.project(project_id),
            Place::Repository {
                project_id,
                repository_id,
                ..
            } => g.repository(project_id, repository_id),
        });
        scope::token_access(self.home, &self.permissions, place, user_access)
    }

    /// 404 when the token cannot see `place` at all (its existence stays
    /// hidden), 403 naming the permission when it sees but may not do this.
    pub(crate) fn require(
        &self,
        grants: Option<&Grants>,
        place: Place,
        needed: Access,
        what: &str,
    ) -> Result<(), RestError> {
        let has = self.access(grants, place);
        if has >= needed {
            return Ok(());
        }
        if !has.can_read() {
            return Err(RestError::NotFound);
        }
        let permission = scope::needed_permission(place, needed)
            .map(|p| p.name())
            .unwrap_or("more access");
        let whose = match (&self.principal, &self.user) {
            (Some(Principal::AppPassword(_)), _) => "this app password and its user",
            (_, Some(_)) => "this token and its user",
            _ => "this token",
        };
        Err(RestError::Forbidden(format!(
            "{what} needs {permission}, which {whose} do not have."
        )))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // A web session counts only with the anti-CSRF header, which a page
        // on another site cannot send (the header Bitbucket uses), and only
        // when no token is presented.
        if anti_csrf_header(parts) && !parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            if let Some(user) = session::current_user(state, parts).await? {
                return Ok(Caller::session(user));
            }
        }
        let Authenticated(principal) = Authenticated::from_request_parts(parts, state).await?;
        Caller::load(state, principal).await
    }
}

/// The header that lets a web session call the REST API.
const ANTI_CSRF_HEADER: &str = "x-atlassian-token";

/// Whether the request carries `X-Atlassian-Token: no-check`, which a page
/// on another site cannot send.
pub(crate) fn anti_csrf_header(parts: &Parts) -> bool {
    parts
        .headers
        .get(ANTI_CSRF_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"no-check"))
}

/// A JSON request body, or a 400 on the field `body` saying what to send.
pub(crate) fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    expected: &str,
) -> Result<T, RestError> {
    body.map(|Json(b)| b).map_err(|e| RestError::Invalid {
        field: "body".into(),
        message: format!("{expected}: {}", e.body_text()),
    })
}

/// Bitbucket's page shape, as one page.
fn page(values: Vec<Value>) -> Json<Value> {
    Json(json!({ "size": values.len(), "limit": values.len(), "isLastPage": true, "start": 0, "values": values }))
}

/// The workspace, its projects and repositories (all of them: callers filter by access).
struct Layout {
    workspace: workspaces::Workspace,
    projects: Vec<(i64, String, String)>,
    repositories: Vec<(i64, i64, String, String)>,
}

async fn layout(state: &AppState, slug: &str) -> Result<Layout, RestError> {
    let workspace = workspaces::find(&state.db, slug).await?.ok_or(RestError::NotFound)?;
    let (projects, repositories) = workspaces::layout(&state.db, workspace.id).await?;
    Ok(Layout {
        workspace,
        projects,
        repositories,
    })
}

impl Layout {
    fn project(&self, key: &str) -> Result<(Place, &(i64, String, String)), RestError> {
        let project = self
            .projects
            .iter()
            .find(|(_, k, _)| k.eq_ignore_ascii_case(key))
            .ok_or(RestError::NotFound)?;
        Ok((
            Place::Project {
                workspace_id: self.workspace.id,
                project_id: project.0,
            },
            project,
        ))
    }

    fn repository(&self, project_id: i64, slug: &str) -> Result<(Place, &(i64, i64, String, String)), RestError> {
        let repository = self
            .repositories
            .iter()
            .find(|(_, pid, s, _)| *pid == project_id && s.eq_ignore_ascii_case(slug))
            .ok_or(RestError::NotFound)?;
        Ok((self.repository_place(repository), repository))
    }

    fn repository_place(&self, repository: &(i64, i64, String, String)) -> Place {
        Place::Repository {
            workspace_id: self.workspace.id,
            project_id: repository.1,
            repository_id: repository.0,
        }
    }

    fn repository_json(&self, project_key: &str, repository: &(i64, i64, String, String), access: Access) -> Value {
        json!({
            "id": repository.0,
            "slug": repository.2,
            "name": repository.3,
            "project": { "key": project_key },
            "workspace": { "slug": self.workspace.slug },
            "access": format!("{access:?}").to_uppercase(),
            "links": { "clone": [{ "name": "http", "href": format!("/scm/{}/{}.git", self.workspace.slug, repository.2) }] },
        })
    }
}

fn workspace_json(ws: &workspaces::Workspace) -> Value {
    json!({ "slug": ws.slug, "name": ws.name })
}

async fn list_workspaces(
    Path(version): Path<String>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let mut values = Vec::new();
    for ws in workspaces::all(&state.db).await? {
        let grants = caller.grants(&state, ws.id).await?;
        if caller
            .access(grants.as_ref(), Place::Workspace { workspace_id: ws.id })
            .can_read()
        {
            values.push(workspace_json(&ws));
        }
    }
    Ok(page(values))
}

async fn get_workspace(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let ws = workspaces::find(&state.db, &workspace)
        .await?
        .ok_or(RestError::NotFound)?;
    let grants = caller.grants(&state, ws.id).await?;
    caller.require(
        grants.as_ref(),
        Place::Workspace { workspace_id: ws.id },
        Access::Read,
        "Reading this workspace",
    )?;
    Ok(Json(workspace_json(&ws)))
}

async fn list_projects(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    let values = layout
        .projects
        .iter()
        .filter(|(id, _, _)| {
            let place = Place::Project {
                workspace_id: layout.workspace.id,
                project_id: *id,
            };
            caller.access(grants.as_ref(), place).can_read()
        })
        .map(|(id, key, name)| json!({ "id": id, "key": key, "name": name }))
        .collect();
    Ok(page(values))
}

async fn list_repositories(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, (project_id, key, _)) = layout.project(&project)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    let values: Vec<Value> = layout
        .repositories
        .iter()
        .filter(|r| r.1 == *project_id)
        .filter_map(|r| {
            let access = caller.access(grants.as_ref(), layout.repository_place(r));
            access.can_read().then(|| layout.repository_json(key, r, access))
        })
        .collect();
    Ok(page(values))
}

async fn get_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, (project_id, key, _)) = layout.project(&project)?;
    let (place, repo) = layout.repository(*project_id, &repository)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(grants.as_ref(), place, Access::Read, "Reading this repository")?;
    Ok(Json(layout.repository_json(
        key,
        repo,
        caller.access(grants.as_ref(), place),
    )))
}

#[derive(Deserialize)]
struct NewRepository {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

/// Creates a repository: needs PROJECT_WRITE on the project.
async fn create_repository(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewRepository>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (place, (project_id, key, _)) = layout.project(&project)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(
        grants.as_ref(),
        place,
        Access::Write,
        "Creating a repository in this project",
    )?;
    let body = json_body(body, "Send a JSON object with \"slug\" and \"name\"")?;
    let slug = tokenwarden::validate::repository_slug(&body.slug).map_err(AppError::Invalid)?;
    let name = tokenwarden::validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    let id = workspaces::create_repository(&state.db, layout.workspace.id, *project_id, &slug, &name).await?;
    app::ssr::git_repos::create_for(&state.git_root, &layout.workspace.slug, &slug).await;
    tracing::info!(by = %caller.label(), workspace = %layout.workspace.slug, %slug, "repository created over REST");
    let repo = (id, *project_id, slug, name);
    let access = caller.access(grants.as_ref(), layout.repository_place(&repo));
    Ok((StatusCode::CREATED, Json(layout.repository_json(key, &repo, access))))
}

#[derive(Deserialize)]
struct RepositorySettings {
    #[serde(default)]
    name: String,
}

/// Changes a repository's settings (its name): needs REPO_ADMIN.
async fn update_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<RepositorySettings>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, (project_id, key, _)) = layout.project(&project)?;
    let (place, repo) = layout.repository(*project_id, &repository)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(
        grants.as_ref(),
        place,
        Access::Admin,
        "Changing this repository's settings",
    )?;
    let body = json_body(body, "Send a JSON object with \"name\"")?;
    let name = tokenwarden::validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    workspaces::rename_repository(&state.db, repo.0, &name).await?;
    let renamed = (repo.0, repo.1, repo.2.clone(), name);
    Ok(Json(layout.repository_json(
        key,
        &renamed,
        caller.access(grants.as_ref(), place),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_covers_every_route_and_no_other() {
        let doc: Value = serde_json::from_str(OPENAPI_DOCUMENT).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.0.3");
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut routed: Vec<String> = PATHS.iter().map(|p| format!("/rest/api/1.0{p}")).collect();
        routed.extend(
            crate::rest_tokens::PATHS
                .iter()
                .map(|p| format!("/rest/access-tokens/1.0{p}")),
        );
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
