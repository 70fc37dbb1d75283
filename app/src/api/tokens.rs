//! Access tokens at every level: workspace, project and repository tokens
//! (managed by that resource's admins) and personal tokens (managed by
//! their user; system admins may view, edit and revoke them, not create).

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use crate::{
    error::AppError,
    model::{CreatedToken, PolicyView, TokenView},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::CurrentUser,
    ssr::{
        guard,
        request::{client_addr, parts, respond},
        store::{
            policies,
            tokens::{self, NewToken, Owner},
            users, workspaces,
        },
        AppState,
    },
};
#[cfg(feature = "ssr")]
use tokenwarden::{
    permissions::{CreatorAccess, PermissionSet, TokenKind},
    Access,
};

/// A resolved token owner, with the acting user's own access there.
#[cfg(feature = "ssr")]
struct Target {
    owner: Owner,
    scope: String,
    creator: CreatorAccess,
}

/// Where a request points, as the form names it.
#[cfg(feature = "ssr")]
struct Place<'a> {
    kind: &'a str,
    workspace: &'a str,
    project: &'a str,
    repository: &'a str,
    /// For personal tokens: whose (empty: the caller's own).
    user: &'a str,
}

/// Resolves where a request points and checks the user may manage tokens
/// there. `creating` refuses admins acting on another user's personal tokens.
#[cfg(feature = "ssr")]
async fn target(state: &AppState, user: &CurrentUser, place: Place<'_>, creating: bool) -> Result<Target, AppError> {
    let kind = TokenKind::parse(place.kind)
        .ok_or_else(|| AppError::refused("kind", "Token kind must be workspace, project, repository or personal."))?;
    if kind == TokenKind::Personal {
        let for_user = place.user.trim();
        if for_user.is_empty() || for_user.eq_ignore_ascii_case(&user.username) {
            let (w, p, r) = workspaces::best_access(&state.db, user).await?;
            return Ok(Target {
                owner: Owner::Personal { user_id: user.id },
                scope: user.username.clone(),
                creator: CreatorAccess {
                    workspace: w,
                    project: p,
                    repository: r,
                },
            });
        }
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
        return Ok(Target {
            owner: Owner::Personal { user_id },
            scope: for_user.to_lowercase(),
            creator: CreatorAccess {
                workspace: Access::Admin,
                project: Access::Admin,
                repository: Access::Admin,
            },
        });
    }
    let (ws, grants) = workspaces::open(&state.db, user, place.workspace).await?;
    match kind {
        TokenKind::Workspace => {
            if !grants.workspace().can_admin() {
                return Err(AppError::Forbidden);
            }
            let a = grants.workspace();
            Ok(Target {
                owner: Owner::Workspace { workspace_id: ws.id },
                scope: ws.slug,
                creator: CreatorAccess {
                    workspace: a,
                    project: a,
                    repository: a,
                },
            })
        }
        TokenKind::Project => {
            let project_id = workspaces::project_id(&state.db, ws.id, place.project)
                .await?
                .filter(|id| grants.project(*id).can_read())
                .ok_or_else(|| AppError::NotFound("Project".into()))?;
            if !grants.project(project_id).can_admin() {
                return Err(AppError::Forbidden);
            }
            Ok(Target {
                owner: Owner::Project {
                    workspace_id: ws.id,
                    project_id,
                },
                scope: format!("{}/{}", ws.slug, place.project.trim().to_uppercase()),
                creator: CreatorAccess {
                    workspace: grants.workspace(),
                    project: grants.project(project_id),
                    repository: grants.project(project_id),
                },
            })
        }
        _ => {
            let (repository_id, project_id) = workspaces::repository_ids(&state.db, ws.id, place.repository)
                .await?
                .filter(|(r, p)| grants.repository(*p, *r).can_read())
                .ok_or_else(|| AppError::NotFound("Repository".into()))?;
            if !grants.repository(project_id, repository_id).can_admin() {
                return Err(AppError::Forbidden);
            }
            Ok(Target {
                owner: Owner::Repository {
                    workspace_id: ws.id,
                    project_id,
                    repository_id,
                },
                scope: format!("{}/{}", ws.slug, place.repository.trim().to_lowercase()),
                creator: CreatorAccess {
                    workspace: grants.workspace(),
                    project: grants.project(project_id),
                    repository: grants.repository(project_id, repository_id),
                },
            })
        }
    }
}

/// The acting user's access where an existing token belongs, or "not
/// found" when they may not manage it (so its existence is not revealed).
#[cfg(feature = "ssr")]
async fn manageable(state: &AppState, user: &CurrentUser, id: i64) -> Result<(Owner, CreatorAccess), AppError> {
    let not_found = || AppError::NotFound("Token".into());
    let owner = tokens::owner_of(&state.db, id).await?.ok_or_else(not_found)?;
    let all = CreatorAccess {
        workspace: Access::Admin,
        project: Access::Admin,
        repository: Access::Admin,
    };
    let access = match owner {
        Owner::Personal { user_id } if user_id == user.id => {
            let (w, p, r) = workspaces::best_access(&state.db, user).await?;
            Some(CreatorAccess {
                workspace: w,
                project: p,
                repository: r,
            })
        }
        Owner::Personal { .. } => user.is_system_admin.then_some(all),
        Owner::Workspace { workspace_id } => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            g.workspace().can_admin().then_some(all)
        }
        Owner::Project {
            workspace_id,
            project_id,
        } => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            g.project(project_id).can_admin().then_some(CreatorAccess {
                workspace: g.workspace(),
                project: g.project(project_id),
                repository: g.project(project_id),
            })
        }
        Owner::Repository {
            workspace_id,
            project_id,
            repository_id,
        } => {
            let g = workspaces::grants(&state.db, user, workspace_id).await?;
            let r = g.repository(project_id, repository_id);
            r.can_admin().then_some(CreatorAccess {
                workspace: g.workspace(),
                project: g.project(project_id),
                repository: r,
            })
        }
    };
    access.map(|a| (owner, a)).ok_or_else(not_found)
}

/// Builds the permission set from the form's one-level-per-kind fields.
#[cfg(feature = "ssr")]
fn permissions(kind: TokenKind, fields: [&str; 4], creator: CreatorAccess) -> Result<PermissionSet, AppError> {
    let set = PermissionSet::parse(kind, &fields).map_err(|e| AppError::refused("permissions", e))?;
    set.within(creator).map_err(|e| AppError::refused("permissions", e))?;
    Ok(set)
}

#[cfg(feature = "ssr")]
fn expiry_request(
    expiry: &str,
    date: &str,
    utc_offset_minutes: &str,
) -> Result<tokenwarden::expiry::ExpiryRequest, AppError> {
    use tokenwarden::expiry::ExpiryRequest;
    let refuse = |m: &str| AppError::refused("expiry", m);
    match expiry.trim() {
        "never" => Ok(ExpiryRequest::NoExpiry),
        "custom" => {
            let date = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| refuse("Enter the custom expiry date as YYYY-MM-DD."))?;
            let offset = utc_offset_minutes
                .trim()
                .parse()
                .map_err(|_| refuse("The time zone offset must be a whole number of minutes."))?;
            Ok(ExpiryRequest::Date {
                date,
                utc_offset_minutes: offset,
            })
        }
        "" => Err(refuse("Choose when the token expires.")),
        days => days
            .parse()
            .map(ExpiryRequest::Days)
            .map_err(|_| refuse("Choose one of the offered expiry periods.")),
    }
}

/// The policy binding new tokens at this place, for the create form.
#[server(prefix = "/api", endpoint = "token_policy")]
pub async fn token_policy(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
) -> Result<PolicyView, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let t = target(
                &state,
                &user,
                Place {
                    kind: &kind,
                    workspace: &workspace,
                    project: &project,
                    repository: &repository,
                    user: "",
                },
                true,
            )
            .await?;
            let mut conn = state.db.pool.acquire().await?;
            let system = policies::system(&mut conn).await?;
            let workspace_policy = match t.owner.workspace_id() {
                Some(id) => Some(policies::workspace(&mut conn, id).await?),
                None => None,
            };
            let effective = policies::effective(&mut conn, t.owner.workspace_id()).await?;
            Ok(PolicyView {
                system,
                workspace: workspace_policy,
                effective,
                tokens_beyond_policy: Vec::new(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "list_tokens")]
pub async fn list_tokens(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
    #[server(default)] user: String,
) -> Result<Vec<TokenView>, AppError> {
    respond(
        async {
            let (state, me) = guard::signed_in().await?;
            let t = target(
                &state,
                &me,
                Place {
                    kind: &kind,
                    workspace: &workspace,
                    project: &project,
                    repository: &repository,
                    user: &user,
                },
                false,
            )
            .await?;
            tokens::list(&state.db, t.owner).await
        }
        .await,
    )
}

/// Creates a token and returns its secret, this once. `expiry` is a number
/// of days offered by the policy, `custom` (with `expiry_date` and the
/// browser's `utc_offset_minutes`) or `never`.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
    name: String,
    #[server(default)] workspace_permission: String,
    #[server(default)] project_permission: String,
    #[server(default)] repository_permission: String,
    #[server(default)] account_permission: String,
    #[server(default)] expiry: String,
    #[server(default)] expiry_date: String,
    #[server(default)] utc_offset_minutes: String,
) -> Result<CreatedToken, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let parts = parts()?;
            let t = target(&state, &user, Place { kind: &kind, workspace: &workspace, project: &project, repository: &repository, user: "" }, true).await?;
            let name = tokenwarden::validate::display_name("name", &name)?;
            let set = permissions(
                t.owner.kind(),
                [&workspace_permission, &project_permission, &repository_permission, &account_permission],
                t.creator,
            )?;
            let expiry = expiry_request(&expiry, &expiry_date, &utc_offset_minutes)?;
            let addr = client_addr(&parts);
            let created = tokens::create(
                &state.db,
                &state.token_keys,
                state.tokens,
                NewToken { owner: t.owner, scope: t.scope, name, permissions: set, expiry, actor: &user, client_addr: &addr },
            )
            .await?;
            tracing::info!(by = %user.username, token_id = created.token.id, kind = t.owner.kind().as_str(), "token created");
            Ok(created)
        }
        .await,
    )
}

/// Changes a token's name and permissions. Any attempt to change its
/// expiry is refused: once set, it never changes.
#[server(prefix = "/api", endpoint = "update_token")]
pub async fn update_token(
    id: i64,
    name: String,
    #[server(default)] workspace_permission: String,
    #[server(default)] project_permission: String,
    #[server(default)] repository_permission: String,
    #[server(default)] account_permission: String,
    #[server(default)] expiry: Option<String>,
    #[server(default)] expiry_date: Option<String>,
    #[server(default)] expires_at: Option<String>,
) -> Result<TokenView, AppError> {
    respond(
        async {
            if expiry.is_some() || expiry_date.is_some() || expires_at.is_some() {
                return Err(AppError::refused(
                    "expiry",
                    "A token's expiry cannot be changed. Create a new token instead.",
                ));
            }
            let (state, user) = guard::signed_in().await?;
            let parts = parts()?;
            let (owner, access) = manageable(&state, &user, id).await?;
            let name = tokenwarden::validate::display_name("name", &name)?;
            let set = permissions(
                owner.kind(),
                [
                    &workspace_permission,
                    &project_permission,
                    &repository_permission,
                    &account_permission,
                ],
                access,
            )?;
            tokens::update(&state.db, id, &name, &set, &user, &client_addr(&parts)).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenView, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let parts = parts()?;
            manageable(&state, &user, id).await?;
            let revoked = tokens::revoke(&state.db, id, &user, &client_addr(&parts)).await?;
            tracing::info!(by = %user.username, token_id = id, "token revoked");
            Ok(revoked)
        }
        .await,
    )
}
