//! The resource API under `/rest/api/1.0` (`latest` is an alias):
//! workspaces, projects and repositories as a token (or app password, or
//! web session with the anti-CSRF header) may see them, and the calling
//! token's own details. Times are milliseconds since the epoch, as
//! Bitbucket Data Center sends them.

use super::{
    error::RestError,
    extract::{check_version, json_body, Authenticated, Caller},
};
use app::{
    error::AppError,
    ssr::{
        auth::Principal,
        store::workspaces::{self, ProjectRow, RepositoryRow},
        AppState,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tokenwarden::{scope::Resource, Access};

// Every path after `/rest/api/{version}`: routed below, documented in
// `openapi.json` (a test keeps the two the same). The document itself is
// served beside them (`super::OPENAPI`).
const TOKEN_SELF: &str = "/tokens/self";
const WORKSPACES: &str = "/workspaces";
const WORKSPACE: &str = "/workspaces/{workspace}";
const PROJECTS: &str = "/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "/workspaces/{workspace}/projects/{project}/repos";
const REPOSITORY: &str = "/workspaces/{workspace}/projects/{project}/repos/{repository}";
#[cfg(test)]
pub(crate) const PATHS: [&str; 6] = [TOKEN_SELF, WORKSPACES, WORKSPACE, PROJECTS, REPOSITORIES, REPOSITORY];

pub(crate) fn api(path: &str) -> String {
    format!("/rest/api/{{version}}{path}")
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&api(TOKEN_SELF), get(token_self))
        .route(&api(WORKSPACES), get(list_workspaces))
        .route(&api(WORKSPACE), get(get_workspace))
        .route(&api(PROJECTS), get(list_projects))
        .route(&api(REPOSITORIES), get(list_repositories).post(create_repository))
        .route(&api(REPOSITORY), get(get_repository).put(update_repository))
        .method_not_allowed_fallback(super::error::method_not_allowed)
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

/// Bitbucket's page shape, as one page.
fn page(values: Vec<Value>) -> Json<Value> {
    Json(json!({ "size": values.len(), "limit": values.len(), "isLastPage": true, "start": 0, "values": values }))
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

    fn repository_json(&self, project_key: &str, repository: &RepositoryRow, access: Access) -> Value {
        json!({
            "id": repository.id,
            "slug": repository.slug,
            "name": repository.name,
            "project": { "key": project_key },
            "workspace": { "slug": self.workspace.slug },
            "access": access.name(),
            "links": { "clone": [{ "name": "http", "href": format!("/scm/{}/{}.git", self.workspace.slug, repository.slug) }] },
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
            .access(grants.as_ref(), Resource::Workspace { workspace_id: ws.id })
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
        Resource::Workspace { workspace_id: ws.id },
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
        .filter(|p| {
            let place = Resource::Project {
                workspace_id: layout.workspace.id,
                project_id: p.id,
            };
            caller.access(grants.as_ref(), place).can_read()
        })
        .map(|p| json!({ "id": p.id, "key": p.key, "name": p.name }))
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
    let (_, project) = layout.project(&project)?;
    let grants = caller.grants(&state, layout.workspace.id).await?;
    let values: Vec<Value> = layout
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
    Ok(page(values))
}

async fn get_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, RestError> {
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
    let (place, project) = layout.project(&project)?;
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
    let name = tokenwarden::validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    workspaces::rename_repository(&state.db, repo.id, &name).await?;
    let renamed = RepositoryRow { name, ..repo.clone() };
    Ok(Json(layout.repository_json(
        &project.key,
        &renamed,
        caller.access(grants.as_ref(), place),
    )))
}
