//! Access tokens at every level: workspace, project and repository tokens
//! (managed by that resource's admins) and personal tokens (managed by
//! their user; system admins may view, edit and revoke them, not create).

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use super::Postcard;
use crate::{
    error::AppError,
    model::{CreatedToken, PolicyView, TokenView},
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use tokenwarden::place::PlaceFields;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::{
        guard,
        token_admin::{manageable, permissions, place, target},
    },
    request::{client_addr, parts, respond},
    store::{
        policies,
        tokens::{self, NewToken},
    },
};

/// The policy binding new tokens at this place, for the create form.
#[server(prefix = "/api", endpoint = "token_policy", output = Postcard)]
pub async fn token_policy(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
) -> Result<PolicyView, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let place = place(&PlaceFields {
                kind,
                workspace,
                project,
                repository,
                user: String::new(),
            })?;
            let t = target(&state, &user, &place, true).await?;
            let mut conn = state.db.pool.acquire().await?;
            let system = policies::system(&mut conn).await?;
            let workspace_policy = match t.home.workspace_id() {
                Some(id) => Some(policies::workspace(&mut conn, id).await?),
                None => None,
            };
            let effective = policies::effective(&mut conn, t.home.workspace_id()).await?;
            Ok(PolicyView {
                system,
                workspace: workspace_policy,
                effective,
                tokens_beyond_policy: Vec::new(),
                rotation: policies::rotation(&mut conn).await?,
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "list_tokens", output = Postcard)]
pub async fn list_tokens(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
    #[server(default)] user: String,
) -> Result<Vec<TokenView>, AppError> {
    respond(
        tokens_at(PlaceFields {
            kind,
            workspace,
            project,
            repository,
            user,
        })
        .await,
    )
}

/// The tokens at a place the signed-in user may see, newest first.
#[cfg(feature = "ssr")]
async fn tokens_at(fields: PlaceFields) -> Result<Vec<TokenView>, AppError> {
    let (state, me) = guard::signed_in().await?;
    let t = target(&state, &me, &place(&fields)?, false).await?;
    Ok(tokens::list(&state.db, t.home).await?)
}

/// How many tokens at a place are expiring soon (the rules crate's
/// `TokenState::ExpiringSoon`), for the count beside the list.
#[server(prefix = "/api", endpoint = "count_expiring", output = Postcard)]
pub async fn count_expiring(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
) -> Result<usize, AppError> {
    respond(
        async {
            let now = crate::ssr::db::now();
            let fields = PlaceFields {
                kind,
                workspace,
                project,
                repository,
                user: String::new(),
            };
            Ok(tokens_at(fields)
                .await?
                .iter()
                .filter(|t| t.state(now) == tokenwarden::token::TokenState::ExpiringSoon)
                .count())
        }
        .await,
    )
}

/// The banner's notice: tokens the signed-in user is warned about that
/// expire within 7 days (`None`: none, or signed out).
#[server(prefix = "/api", endpoint = "expiring_notice", output = Postcard)]
pub async fn expiring_notice() -> Result<Option<crate::model::ExpiringNotice>, AppError> {
    respond(
        async {
            let Ok((state, me)) = guard::signed_in().await else {
                return Ok(None);
            };
            let now = crate::ssr::db::now();
            let found = crate::ssr::store::warnings::expiring_for(&state.db, me.id, now, now + 7 * 86_400).await?;
            Ok(found.map(|(count, first)| crate::ssr::store::warnings::notice(count, first)))
        }
        .await,
    )
}

/// Creates a token and returns its secret, this once. `expiry` is a number
/// of days offered by the policy, `custom` (with `expiry_date` and the
/// browser's `utc_offset_minutes`) or `never`.
///
/// With `rotates` (a token's id at this place), the token made is that
/// token's successor instead: a new secret with its name and permissions
/// (the form's are ignored), the expiry chosen again under today's policy,
/// and the old token working for `overlap` (`none`, `1h`, `1d` or `7d`,
/// within the system's longest), never past its own expiry.
#[server(prefix = "/api", endpoint = "create_token", output = Postcard)]
pub async fn create_token(
    kind: String,
    #[server(default)] workspace: String,
    #[server(default)] project: String,
    #[server(default)] repository: String,
    #[server(default)] name: String,
    #[server(default)] workspace_permission: String,
    #[server(default)] project_permission: String,
    #[server(default)] repository_permission: String,
    #[server(default)] account_permission: String,
    #[server(default)] expiry: String,
    #[server(default)] expiry_date: String,
    #[server(default)] utc_offset_minutes: String,
    #[server(default)] rotates: String,
    #[server(default)] overlap: String,
) -> Result<CreatedToken, AppError> {
    respond(
        async {
            let (state, user) = guard::signed_in().await?;
            let parts = parts()?;
            let place = place(&PlaceFields { kind, workspace, project, repository, user: String::new() })?;
            let t = target(&state, &user, &place, true).await?;
            let expiry = tokenwarden::expiry::ExpiryRequest::from_form(&expiry, &expiry_date, &utc_offset_minutes)
                .map_err(|e| AppError::refused(&e.field, e.message))?;
            if !rotates.trim().is_empty() {
                return rotate(&state, &user, &client_addr(&parts), t.home, &rotates, expiry, &overlap).await;
            }
            let name = tokenwarden::validate::display_name("name", &name)?;
            let set = permissions(
                t.home.kind(),
                &[&workspace_permission, &project_permission, &repository_permission, &account_permission],
                t.creator,
            )?;
            let addr = client_addr(&parts);
            let created = tokens::create(
                &state.db,
                &state.token_keys,
                state.tokens,
                NewToken { home: t.home, scope: t.scope, name, permissions: set, expiry, actor: &user, client_addr: &addr },
            )
            .await?;
            tracing::info!(by = %user.username, token_id = created.token.id, kind = t.home.kind().as_str(), "token created");
            Ok(created)
        }
        .await,
    )
}

/// Changes a token's name and permissions. Any attempt to change its
/// expiry is refused: once set, it never changes.
#[server(prefix = "/api", endpoint = "update_token", output = Postcard)]
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
            let token = manageable(&state, &user, id).await?;
            let name = tokenwarden::validate::display_name("name", &name)?;
            let set = token.permissions(&[
                &workspace_permission,
                &project_permission,
                &repository_permission,
                &account_permission,
            ])?;
            Ok(tokens::update(&state.db, id, &name, &set, &user, &client_addr(&parts)).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "revoke_token", output = Postcard)]
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

/// [`create_token`] with `rotates`: the successor of token `rotates`, which
/// must belong at `home` (the form's place) and be the user's to rotate.
#[cfg(feature = "ssr")]
async fn rotate(
    state: &crate::ssr::AppState,
    user: &crate::model::CurrentUser,
    client_addr: &str,
    home: tokenwarden::scope::Home,
    rotates: &str,
    expiry: tokenwarden::expiry::ExpiryRequest,
    overlap: &str,
) -> Result<CreatedToken, AppError> {
    use crate::ssr::store::rotation::{rotate, OverlapChoice, Rotation, SuccessorExpiry};
    use tokenwarden::rotation::{Overlap, RotationError};
    let id: i64 = rotates.trim().parse().map_err(|_| AppError::NotFound("Token".into()))?;
    let token = manageable(state, user, id).await?;
    if token.home != home {
        return Err(AppError::NotFound("Token".into()));
    }
    token.rotatable_by(user)?;
    let overlap = Overlap::parse(overlap).ok_or_else(|| AppError::refused("overlap", RotationError::UnknownOverlap))?;
    let rotated = rotate(
        &state.db,
        &state.token_keys,
        Rotation {
            id,
            expiry: SuccessorExpiry::Chosen(expiry),
            overlap: OverlapChoice::Chosen(overlap),
            actor: user.into(),
            client_addr,
        },
    )
    .await?;
    tracing::info!(by = %user.username, token_id = id, successor = rotated.token.id, "token rotated");
    Ok(rotated)
}
