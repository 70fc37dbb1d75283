//! Workspaces, projects, repositories and members, as each user may see
//! and change them.

use super::Postcard;
use crate::{
    error::AppError,
    model::{MemberView, WorkspaceSummary, WorkspaceView},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::guard,
    request::respond,
    store::{
        users,
        workspaces::{self, RoleTarget},
    },
};

#[server(prefix = "/api", endpoint = "list_workspaces", output = Postcard)]
pub async fn list_workspaces() -> Result<Vec<WorkspaceSummary>, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            Ok(workspaces::list_for(&state.db, &user).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_workspace", output = Postcard)]
pub async fn get_workspace(workspace: String) -> Result<WorkspaceView, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let (ws, grants) = workspaces::open(&state.db, &user, &workspace).await?;
            Ok(workspaces::view(&state.db, &ws, &grants).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_project", output = Postcard)]
pub async fn create_project(workspace: String, key: String, name: String) -> Result<(), AppError> {
    respond(
        async {
            use tokenwarden::validate;
            let (state, user, ws) = guard::workspace_admin(&workspace).await?;
            let key = validate::project_key(&key)?;
            let name = validate::display_name("name", &name)?;
            workspaces::create_project(&state.db, ws.id, &key, &name).await?;
            tracing::info!(by = %user.username, workspace = %ws.slug, project = %key, "project created");
            Ok(())
        }
        .await,
    )
}

/// Creates a repository in a project; needs admin on that project.
#[server(prefix = "/api", endpoint = "create_repository", output = Postcard)]
pub async fn create_repository(workspace: String, project: String, slug: String, name: String) -> Result<(), AppError> {
    respond(
        async {
            use tokenwarden::validate;
            let (state, user) = guard::signed_in().await?;
            let (ws, grants) = workspaces::open(&state.db, &user, &workspace).await?;
            let project_id = workspaces::project_id(&state.db, ws.id, &project)
                .await?
                .filter(|id| grants.project(*id).can_read())
                .ok_or_else(|| AppError::invalid("project", "does not exist in this workspace"))?;
            if !grants.project(project_id).can_admin() {
                return Err(AppError::Forbidden);
            }
            let slug = validate::repository_slug(&slug)?;
            let name = validate::display_name("name", &name)?;
            workspaces::create_repository(&state.db, ws.id, project_id, &slug, &name).await?;
            crate::ssr::git_repos::create_for(&state.git_root, &ws.slug, &slug).await;
            tracing::info!(by = %user.username, workspace = %ws.slug, repository = %slug, "repository created");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "list_members", output = Postcard)]
pub async fn list_members(workspace: String) -> Result<Vec<MemberView>, AppError> {
    respond(
        async {
            let (state, _, ws) = guard::workspace_admin(&workspace).await?;
            Ok(workspaces::members(&state.db, ws.id).await?)
        }
        .await,
    )
}

/// Gives a user a role in the workspace. `target` names the project (by
/// key) for a project admin or the repository (by slug) for a repository
/// admin, and is ignored otherwise.
#[server(prefix = "/api", endpoint = "add_member", output = Postcard)]
pub async fn add_member(
    workspace: String,
    username: String,
    role: String,
    #[server(default)] target: String,
) -> Result<(), AppError> {
    respond(
        async {
            use tokenwarden::Role;
            let (state, user, ws) = guard::workspace_admin(&workspace).await?;
            let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "is not a known role"))?;
            let member_id = users::id_by_username(&state.db, &username)
                .await?
                .ok_or_else(|| AppError::invalid("username", format!("'{}' is not a user", username.trim())))?;
            let target = if role.needs_project() {
                let id = workspaces::project_id(&state.db, ws.id, &target)
                    .await?
                    .ok_or_else(|| AppError::invalid("project", "must be a project of this workspace"))?;
                RoleTarget::Project(id)
            } else if role.needs_repository() {
                let (id, _) = workspaces::repository_ids(&state.db, ws.id, &target)
                    .await?
                    .ok_or_else(|| AppError::invalid("repository", "must be a repository of this workspace"))?;
                RoleTarget::Repository(id)
            } else {
                RoleTarget::Workspace
            };
            workspaces::grant(&state.db, ws.id, member_id, role, target).await?;
            tracing::info!(by = %user.username, workspace = %ws.slug, member = %username, role = role.as_str(), "role granted");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "remove_member", output = Postcard)]
pub async fn remove_member(workspace: String, username: String) -> Result<(), AppError> {
    respond(
        async {
            let (state, user, ws) = guard::workspace_admin(&workspace).await?;
            let member_id = users::id_by_username(&state.db, &username)
                .await?
                .ok_or_else(|| AppError::NotFound("Member".into()))?;
            workspaces::remove_member(&state.db, ws.id, member_id).await?;
            tracing::info!(by = %user.username, workspace = %ws.slug, member = %username, "member removed");
            Ok(())
        }
        .await,
    )
}
