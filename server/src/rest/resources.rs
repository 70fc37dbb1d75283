//! The resource API under `/rest/api/1.0` (`latest` is an alias):
//! workspaces, projects and repositories as a token (or app password, or
//! web session with the anti-CSRF header) may see them, and the calling
//! token's own details. Times are milliseconds since the epoch, as
//! Bitbucket Data Center sends them.

use super::tokens::ManagedToken;
use super::{
    error::RestError,
    extract::{check_version, json_body, Authenticated, Caller},
    page::Page,
    schemas::{self, TokenCall, TokenChange},
};
use app::{
    error::AppError,
    ssr::{
        auth::Principal,
        request::ClientAddr,
        store::{
            audit::Actor,
            ladders,
            rotation::{self, OverlapChoice, Rotation, SuccessorExpiry},
            workspaces::{self, ProjectRow, RepositoryRow},
        },
        AppState,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tokenwarden::{
    permissions::TokenKind, requests::RotateTokenBody, scope::Resource, validate, warnings::Ladder, Access,
};
use utoipa::{
    openapi::{Object, ObjectBuilder, Type},
    ToSchema,
};

// Every path after `/rest/api/{version}`: routed below, documented by the
// `#[utoipa::path]` on each handler (a test keeps the two the same). The
// document itself is served beside them (`super::OPENAPI`).
const TOKEN_SELF: &str = "/tokens/self";
pub(crate) const TOKEN_SELF_ROTATE: &str = "/tokens/self/rotate";
const WORKSPACES: &str = "/workspaces";
const WORKSPACE: &str = "/workspaces/{workspace}";
const PROJECTS: &str = "/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "/workspaces/{workspace}/projects/{project}/repos";
const REPOSITORY: &str = "/workspaces/{workspace}/projects/{project}/repos/{repository}";
#[cfg(test)]
pub(crate) const PATHS: [&str; 7] = [
    TOKEN_SELF,
    TOKEN_SELF_ROTATE,
    WORKSPACES,
    WORKSPACE,
    PROJECTS,
    REPOSITORIES,
    REPOSITORY,
];

pub(crate) fn api(path: &str) -> String {
    format!("/rest/api/{{version}}{path}")
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&api(TOKEN_SELF), get(token_self))
        .route(&api(TOKEN_SELF_ROTATE), post(rotate_self))
        .route(&api(WORKSPACES), get(list_workspaces))
        .route(&api(WORKSPACE), get(get_workspace))
        .route(&api(PROJECTS), get(list_projects))
        .route(&api(REPOSITORIES), get(list_repositories).post(create_repository))
        .route(&api(REPOSITORY), get(get_repository).put(update_repository))
        .method_not_allowed_fallback(super::error::method_not_allowed)
}

/// A token's (or app password's) own details, as `tokens/self` shows them.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenDetails {
    id: i64,
    name: String,
    /// `app_password` when the request used a legacy app password; its
    /// permissions are then classic scopes such as `repository:write`.
    #[schema(schema_with = credential_kind)]
    kind: &'static str,
    permissions: Vec<String>,
    /// Milliseconds since the epoch.
    created_date: i64,
    /// Milliseconds since the epoch; null: no expiry.
    expiry_date: Option<i64>,
    /// The next expiry warning still ahead on the warning ladder; null when
    /// none is (no expiry, or every warning sent). Every answer to a token
    /// also carries its expiry in the `Tokenwarden-Token-Expiration` header.
    next_warning: Option<NextWarning>,
}

/// One rung of the warning ladder, as `tokens/self` shows the next one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NextWarning {
    /// Milliseconds since the epoch.
    date: i64,
    /// Days before expiry; 0: the warning at expiry.
    days_before_expiry: u32,
    /// What it will say: "expires in 7 days", "expired".
    message: String,
}

impl NextWarning {
    /// The next warning for a token created at `created_at` that expires at
    /// `expires_at` (Unix seconds), on its ladder.
    fn of(ladder: &Ladder, now: i64, created_at: i64, expires_at: Option<i64>) -> Option<NextWarning> {
        let (threshold, at) = ladder.next(now, created_at, expires_at?)?;
        Some(NextWarning {
            date: at * 1000,
            days_before_expiry: threshold.days(),
            message: threshold.to_string(),
        })
    }
}

/// What `kind` can say: a token's kind, or `app_password`.
fn credential_kind() -> Object {
    let kinds = TokenKind::ALL.map(TokenKind::as_str);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(kinds.into_iter().chain([APP_PASSWORD])))
        .build()
}

const APP_PASSWORD: &str = "app_password";

/// The calling token's own details (never its secret). Times are
/// milliseconds since the epoch, as Bitbucket Data Center sends them. An app
/// password gets its own details too (kind `app_password`, classic scopes),
/// which helps scripts find what still uses one.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/tokens/self",
    tag = "Resources",
    summary = "The calling token's details (never its secret)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The calling token (or app password)", body = TokenDetails),
        TokenCall,
    )
)]
pub(crate) async fn token_self(
    State(state): State<AppState>,
    Path(version): Path<String>,
    Authenticated(principal): Authenticated,
) -> Result<Json<TokenDetails>, RestError> {
    check_version(&version)?;
    Ok(Json(match principal {
        Principal::Token(token) => TokenDetails {
            // The ladder is read only for a token that expires.
            next_warning: match token.expires_at {
                None => None,
                Some(_) => NextWarning::of(
                    &ladders::ladder_for(&state.db, token.home.workspace_id())
                        .await
                        .map_err(AppError::from)?,
                    chrono::Utc::now().timestamp(),
                    token.created_at,
                    token.expires_at,
                ),
            },
            id: token.id,
            kind: token.kind().as_str(),
            permissions: token.permissions,
            created_date: token.created_at * 1000,
            expiry_date: token.expires_at.map(|at| at * 1000),
            name: token.name,
        },
        Principal::AppPassword(app_password) => TokenDetails {
            id: app_password.id,
            kind: APP_PASSWORD,
            permissions: app_password.scopes.iter().map(|s| s.id().to_string()).collect(),
            created_date: app_password.created_at * 1000,
            expiry_date: None,
            next_warning: None,
            name: app_password.name,
        },
    }))
}

/// The calling token replaces itself: the one thing a token may do to
/// tokens. Its successor (same place, name and permissions; as long-lived
/// as it was, capped by today's policy, or fewer days if `expiryDays` asks)
/// is returned once, with its secret; the calling token keeps working for
/// the system's default overlap, never past its own expiry, then answers
/// 401 `rotated`. A CI job can renew its own credential without a person.
#[utoipa::path(
    post,
    path = "/rest/api/1.0/tokens/self/rotate",
    tag = "Resources",
    summary = "Rotate the calling token: its successor, with the secret shown once",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 201, description = "The successor, with `token`: the secret, shown this once", body = ManagedToken),
        TokenCall,
        TokenChange,
        (status = 409, response = schemas::RotateConflict),
    )
)]
pub(crate) async fn rotate_self(
    State(state): State<AppState>,
    Path(version): Path<String>,
    Authenticated(principal): Authenticated,
    address: Option<axum::Extension<ClientAddr>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ManagedToken>), RestError> {
    check_version(&version)?;
    let Principal::Token(token) = principal else {
        return Err(RestError::Forbidden(
            "App passwords cannot rotate themselves: replace this one with an API token.".into(),
        ));
    };
    let request: RotateTokenBody = if body.iter().all(u8::is_ascii_whitespace) {
        RotateTokenBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::refused("request", format!("The body must be a JSON object: {e}")))?
    };
    if request.overlap.is_some() {
        return Err(AppError::refused(
            "overlap",
            "A token rotating itself always gets the system's default overlap; leave `overlap` out.",
        )
        .into());
    }
    let rotated = rotation::rotate(
        &state.db,
        &state.token_keys,
        Rotation {
            id: token.id,
            expiry: SuccessorExpiry::SameLength {
                asked_days: request.expiry_days,
            },
            overlap: OverlapChoice::Default,
            actor: Actor::Token { id: token.id },
            client_addr: &address.map(|a| a.0 .0.to_string()).unwrap_or_else(|| "unknown".into()),
        },
    )
    .await?;
    tracing::info!(
        token_id = token.id,
        successor = rotated.token.id,
        "token rotated itself"
    );
    Ok((StatusCode::CREATED, Json(ManagedToken::with_secret(&rotated))))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Workspace {
    slug: String,
    name: String,
}

impl From<&workspaces::Workspace> for Workspace {
    fn from(ws: &workspaces::Workspace) -> Self {
        Workspace {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Project {
    id: i64,
    key: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Repository {
    id: i64,
    slug: String,
    name: String,
    project: ProjectKey,
    workspace: WorkspaceSlug,
    /// What the caller may do here.
    #[schema(schema_with = readable_access)]
    access: &'static str,
    links: Links,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectKey {
    key: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WorkspaceSlug {
    slug: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Links {
    clone: Vec<CloneLink>,
}

/// Where to clone the repository from (`http`: Git over HTTPS, relative to this server).
#[derive(Serialize, ToSchema)]
pub(crate) struct CloneLink {
    name: &'static str,
    href: String,
}

/// The access a caller who sees a repository can have.
fn readable_access() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([Access::Read, Access::Write, Access::Admin].map(Access::name)))
        .build()
}

/// The workspace, its projects and repositories (all of them: callers filter by access).
struct Layout {
    workspace: workspaces::Workspace,
    projects: Vec<ProjectRow>,
    repositories: Vec<RepositoryRow>,
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
    fn project(&self, key: &str) -> Result<(Resource, &ProjectRow), RestError> {
        let project = self
            .projects
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .ok_or(RestError::NotFound)?;
        let place = Resource::Project {
            workspace_id: self.workspace.id,
            project_id: project.id,
        };
        Ok((place, project))
    }

    fn repository(&self, project_id: i64, slug: &str) -> Result<(Resource, &RepositoryRow), RestError> {
        let repository = self
            .repositories
            .iter()
            .find(|r| r.project_id == project_id && r.slug.eq_ignore_ascii_case(slug))
            .ok_or(RestError::NotFound)?;
        Ok((self.repository_place(repository), repository))
    }

    fn repository_place(&self, repository: &RepositoryRow) -> Resource {
        Resource::Repository {
            workspace_id: self.workspace.id,
            project_id: repository.project_id,
            repository_id: repository.id,
        }
    }

    fn repository_json(&self, project_key: &str, repository: &RepositoryRow, access: Access) -> Repository {
        Repository {
            id: repository.id,
            slug: repository.slug.clone(),
            name: repository.name.clone(),
            project: ProjectKey {
                key: project_key.into(),
            },
            workspace: WorkspaceSlug {
                slug: self.workspace.slug.clone(),
            },
            access: access.name(),
            links: Links {
                clone: vec![CloneLink {
                    name: "http",
                    href: format!("/scm/{}/{}.git", self.workspace.slug, repository.slug),
                }],
            },
        }
    }
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces",
    tag = "Resources",
    summary = "Workspaces the token can read (WORKSPACE_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "A page of workspaces", body = Page<Workspace>),
        TokenCall,
    )
)]
pub(crate) async fn list_workspaces(
    Path(version): Path<String>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<Workspace>>, RestError> {
    check_version(&version)?;
    let mut values = Vec::new();
    for ws in workspaces::all(&state.db).await? {
        let grants = caller.grants(&state, ws.id).await?;
        if caller
            .access(grants.as_ref(), Resource::Workspace { workspace_id: ws.id })
            .can_read()
        {
            values.push(Workspace::from(&ws));
        }
    }
    Ok(Page::of(values))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}",
    tag = "Resources",
    summary = "One workspace (WORKSPACE_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The workspace", body = Workspace),
        TokenCall,
    )
)]
pub(crate) async fn get_workspace(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Workspace>, RestError> {
    check_version(&version)?;
    let ws = workspaces::find(&state.db, &workspace)
        .await?
        .ok_or(RestError::NotFound)?;
    let grants = caller.grants(&state, ws.id).await?;
    caller.require(
        grants.as_ref(),
        Resource::Workspace { workspace_id: ws.id },
        Access::Read,
        "Reading this workspace",
    )?;
    Ok(Json(Workspace::from(&ws)))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects",
    tag = "Resources",
    summary = "Projects of the workspace the token can read (PROJECT_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "A page of projects", body = Page<Project>),
        TokenCall,
    )
)]
pub(crate) async fn list_projects(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<Project>>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    let values = layout
        .projects
        .iter()
        .filter(|p| {
            let place = Resource::Project {
                workspace_id: layout.workspace.id,
                project_id: p.id,
            };
            caller.access(grants.as_ref(), place).can_read()
        })
        .map(|p| Project {
            id: p.id,
            key: p.key.clone(),
            name: p.name.clone(),
        })
        .collect();
    Ok(Page::of(values))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos",
    tag = "Resources",
    summary = "Repositories of the project the token can read (REPO_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "A page of repositories", body = Page<Repository>),
        TokenCall,
    )
)]
pub(crate) async fn list_repositories(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<Repository>>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, project) = layout.project(&project)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    let values = layout
        .repositories
        .iter()
        .filter(|r| r.project_id == project.id)
        .filter_map(|r| {
            let access = caller.access(grants.as_ref(), layout.repository_place(r));
            access
                .can_read()
                .then(|| layout.repository_json(&project.key, r, access))
        })
        .collect();
    Ok(Page::of(values))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos/{repository}",
    tag = "Resources",
    summary = "One repository (REPO_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The repository", body = Repository),
        TokenCall,
    )
)]
pub(crate) async fn get_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Repository>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, project) = layout.project(&project)?;
    let (place, repo) = layout.repository(project.id, &repository)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(grants.as_ref(), place, Access::Read, "Reading this repository")?;
    Ok(Json(layout.repository_json(
        &project.key,
        repo,
        caller.access(grants.as_ref(), place),
    )))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct NewRepository {
    #[serde(default)]
    #[schema(schema_with = schemas::repository_slug, required = true)]
    slug: String,
    #[serde(default)]
    #[schema(schema_with = schemas::display_name, required = true)]
    name: String,
}

/// Creates a repository: needs PROJECT_WRITE on the project.
#[utoipa::path(
    post,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos",
    tag = "Resources",
    summary = "Create a repository (PROJECT_WRITE)",
    security(("bearer" = []), ("tokenBasic" = [])),
    request_body = NewRepository,
    responses(
        (status = 201, description = "The new repository", body = Repository),
        TokenCall,
        TokenChange,
    )
)]
pub(crate) async fn create_repository(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewRepository>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Repository>), RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (place, project) = layout.project(&project)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(
        grants.as_ref(),
        place,
        Access::Write,
        "Creating a repository in this project",
    )?;
    let body = json_body(body, "Send a JSON object with \"slug\" and \"name\"")?;
    let slug = validate::repository_slug(&body.slug).map_err(AppError::Invalid)?;
    let name = validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    let id = workspaces::create_repository(&state.db, layout.workspace.id, project.id, &slug, &name).await?;
    app::ssr::git_repos::create_for(&state.git_root, &layout.workspace.slug, &slug).await;
    tracing::info!(by = %caller.label(), workspace = %layout.workspace.slug, %slug, "repository created over REST");
    let repo = RepositoryRow {
        id,
        project_id: project.id,
        slug,
        name,
    };
    let access = caller.access(grants.as_ref(), layout.repository_place(&repo));
    Ok((
        StatusCode::CREATED,
        Json(layout.repository_json(&project.key, &repo, access)),
    ))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RepositorySettings {
    #[serde(default)]
    #[schema(schema_with = schemas::display_name, required = true)]
    name: String,
}

/// Changes a repository's settings (its name): needs REPO_ADMIN.
#[utoipa::path(
    put,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos/{repository}",
    tag = "Resources",
    summary = "Change the repository's settings: its name (REPO_ADMIN)",
    security(("bearer" = []), ("tokenBasic" = [])),
    request_body = RepositorySettings,
    responses(
        (status = 200, description = "The repository, renamed", body = Repository),
        TokenCall,
        TokenChange,
    )
)]
pub(crate) async fn update_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<RepositorySettings>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Repository>, RestError> {
    check_version(&version)?;
    let layout = layout(&state, &workspace).await?;
    let (_, project) = layout.project(&project)?;
    let (place, repo) = layout.repository(project.id, &repository)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    caller.require(
        grants.as_ref(),
        place,
        Access::Admin,
        "Changing this repository's settings",
    )?;
    let body = json_body(body, "Send a JSON object with \"name\"")?;
    let name = validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    workspaces::rename_repository(&state.db, repo.id, &name).await?;
    let renamed = RepositoryRow { name, ..repo.clone() };
    Ok(Json(layout.repository_json(
        &project.key,
        &renamed,
        caller.access(grants.as_ref(), place),
    )))
}
