//! Who may manage which tokens, shared by the web's server functions and
//! the REST API: resolving where a token belongs (with the acting user's own
//! access there), checking the acting user may manage an existing token, and
//! reading permissions and expiry from a request.

use crate::{
    error::AppError,
    model::CurrentUser,
    ssr::{
        store::{tokens, users, workspaces},
        AppState,
    },
};
use tokenwarden::{
    permissions::{CreatorAccess, PermissionSet, TokenKind},
    place::{Place, PlaceFields},
    scope::{Home, Resource},
    Access,
};

/// A place resolved to its ids, with the acting user's own access there.
pub struct Target {
    pub home: Home,
    /// Where the tokens reach, for the audit log (`acme/WEB/website`).
    pub scope: String,
    pub creator: CreatorAccess,
}

/// Reads a place from a form's or a path's fields (a 400 on the field
/// `kind` for an unknown kind).
pub fn place(fields: &PlaceFields) -> Result<Place, AppError> {
    Place::parse(fields).map_err(|e| AppError::refused(&e.field, e.message))
}

/// Resolves `place` and checks the user may manage tokens there.
/// `creating` refuses admins acting on another user's personal tokens.
pub async fn target(state: &AppState, user: &CurrentUser, place: &Place, creating: bool) -> Result<Target, AppError> {
    let (workspace, project, repository) = match place {
        Place::Personal { user: for_user } => return personal(state, user, for_user.as_deref(), creating).await,
        Place::Workspace { workspace } => (workspace, None, None),
        Place::Project { workspace, project } => (workspace, Some(project), None),
        Place::Repository {
            workspace,
            project,
            repository,
        } => (workspace, project.as_ref(), Some(repository)),
    };
    let (ws, grants) = workspaces::open(&state.db, user, workspace).await?;
    match (project, repository) {
        (None, None) => {
            if !grants.workspace().can_admin() {
                return Err(AppError::Forbidden);
            }
            let a = grants.workspace();
            Ok(Target {
                home: Home::Resource(Resource::Workspace { workspace_id: ws.id }),
                scope: ws.slug,
                creator: CreatorAccess {
                    workspace: a,
                    project: a,
                    repository: a,
                },
            })
        }
        (Some(project), None) => {
            let project_id = workspaces::project_id(&state.db, ws.id, project)
                .await?
                .filter(|id| grants.project(*id).can_read())
                .ok_or_else(|| AppError::NotFound("Project".into()))?;
            if !grants.project(project_id).can_admin() {
                return Err(AppError::Forbidden);
            }
            Ok(Target {
                home: Home::Resource(Resource::Project {
                    workspace_id: ws.id,
                    project_id,
                }),
                scope: format!("{}/{}", ws.slug, project.to_uppercase()),
                creator: CreatorAccess {
                    workspace: grants.workspace(),
                    project: grants.project(project_id),
                    repository: grants.project(project_id),
                },
            })
        }
        (project, Some(repository)) => {
            let (repository_id, project_id) = workspaces::repository_ids(&state.db, ws.id, repository)
                .await?
                .filter(|(r, p)| grants.repository(*p, *r).can_read())
                .ok_or_else(|| AppError::NotFound("Repository".into()))?;
            // A path naming the project too (Bitbucket's) must name the right one.
            if let Some(project) = project {
                if workspaces::project_id(&state.db, ws.id, project).await? != Some(project_id) {
                    return Err(AppError::NotFound("Repository".into()));
                }
            }
            if !grants.repository(project_id, repository_id).can_admin() {
                return Err(AppError::Forbidden);
            }
            Ok(Target {
                home: Home::Resource(Resource::Repository {
                    workspace_id: ws.id,
                    project_id,
                    repository_id,
                }),
                scope: format!("{}/{}", ws.slug, repository.to_lowercase()),
                creator: CreatorAccess {
                    workspace: grants.workspace(),
                    project: grants.project(project_id),
                    repository: grants.repository(project_id, repository_id),
                },
            })
        }
    }
}

/// Personal tokens: the user's own, or (system admins, never to create)
/// another user's.
async fn personal(
    state: &AppState,
    user: &CurrentUser,
    for_user: Option<&str>,
    creating: bool,
) -> Result<Target, AppError> {
    let for_user = for_user.filter(|u| !u.eq_ignore_ascii_case(&user.username));
    let Some(for_user) = for_user else {
        return Ok(Target {
            home: Home::Personal { user_id: user.id },
            scope: user.username.clone(),
            creator: workspaces::standing(&state.db, user).await?.best_access(),
        });
    };
    if !user.is_system_admin {
        return Err(AppError::Forbidden);
    }
    if creating {
        return Err(AppError::refused(
            "user",
            "Administrators cannot create tokens for other users.",
        ));
    }
    let user_id = users::id_by_username(&state.db, for_user)
        .await?
        .ok_or_else(|| AppError::NotFound("User".into()))?;
    Ok(Target {
        home: Home::Personal { user_id },
        scope: for_user.to_lowercase(),
        creator: CreatorAccess {
            workspace: Access::Admin,
            project: Access::Admin,
            repository: Access::Admin,
        },
    })
}

/// An existing token the acting user may manage, and what it may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manageable {
    pub home: Home,
    limit: Limit,
}

/// Whose rights bound an edited token's permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// The acting user's, where the token belongs.
    Actor(CreatorAccess),
    /// A personal token's owner's, now (whoever edits it).
    TokenOwner(CreatorAccess),
}

impl Manageable {
    /// Whether `user` may rotate the token: anyone who manages it, except
    /// an admin on another user's personal token (the new secret would be
    /// that user's credential, which admins never create).
    pub fn rotatable_by(&self, user: &CurrentUser) -> Result<(), AppError> {
        match self.home {
            Home::Personal { user_id } if user_id != user.id => Err(AppError::refused(
                "user",
                "Administrators cannot rotate other users' personal tokens: the new secret would be theirs. \
                 Revoke the token instead, and let its owner create a new one.",
            )),
            _ => Ok(()),
        }
    }

    /// The permission set from permission names, within what the token may have.
    pub fn permissions<S: AsRef<str>>(&self, fields: &[S]) -> Result<PermissionSet, AppError> {
        let set = PermissionSet::parse(self.home.kind(), fields).map_err(|e| AppError::refused("permissions", e))?;
        match self.limit {
            Limit::Actor(rights) => set.within(rights),
            Limit::TokenOwner(rights) => set.within_owner(rights),
        }
        .map_err(|e| AppError::refused("permissions", e))?;
        Ok(set)
    }
}

/// What may be given to a token that belongs where the acting user may
/// manage it, or "not found" when they may not manage it (so its existence
/// is not revealed). For a personal token that is its *owner's* rights now,
/// whoever edits it: a system admin editing a member's token cannot make it
/// claim more than the member has.
pub async fn manageable(state: &AppState, user: &CurrentUser, id: i64) -> Result<Manageable, AppError> {
    let not_found = || AppError::NotFound("Token".into());
    let home = tokens::home_of(&state.db, id).await?.ok_or_else(not_found)?;
    let all = CreatorAccess {
        workspace: Access::Admin,
        project: Access::Admin,
        repository: Access::Admin,
    };
    let limit = match home {
        Home::Personal { user_id } if user_id == user.id => {
            Some(Limit::Actor(workspaces::standing(&state.db, user).await?.best_access()))
        }
        Home::Personal { user_id } if user.is_system_admin => {
            let owner_user = users::current_user(&state.db, user_id).await?.ok_or_else(not_found)?;
            Some(Limit::TokenOwner(
                workspaces::standing(&state.db, &owner_user).await?.best_access(),
            ))
        }
        Home::Personal { .. } => None,
        Home::Resource(Resource::Workspace { workspace_id }) => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            g.workspace().can_admin().then_some(Limit::Actor(all))
        }
        Home::Resource(Resource::Project {
            workspace_id,
            project_id,
        }) => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            g.project(project_id).can_admin().then_some(Limit::Actor(CreatorAccess {
                workspace: g.workspace(),
                project: g.project(project_id),
                repository: g.project(project_id),
            }))
        }
        Home::Resource(Resource::Repository {
            workspace_id,
            project_id,
            repository_id,
        }) => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            let r = g.repository(project_id, repository_id);
            r.can_admin().then_some(Limit::Actor(CreatorAccess {
                workspace: g.workspace(),
                project: g.project(project_id),
                repository: r,
            }))
        }
    };
    limit.map(|limit| Manageable { home, limit }).ok_or_else(not_found)
}

/// Builds the permission set from permission names (the form's one field per
/// kind, or the REST API's list) and checks it is within `creator`'s access.
pub fn permissions<S: AsRef<str>>(
    kind: TokenKind,
    fields: &[S],
    creator: CreatorAccess,
) -> Result<PermissionSet, AppError> {
    let set = PermissionSet::parse(kind, fields).map_err(|e| AppError::refused("permissions", e))?;
    set.within(creator).map_err(|e| AppError::refused("permissions", e))?;
    Ok(set)
}
