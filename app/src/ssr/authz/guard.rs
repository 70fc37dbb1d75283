//! Who may call a server function. Each guard reads the session from the
//! request, on the server, and checks one role; every server function starts
//! with one of them, so no action trusts what the browser says about the user.

use crate::ssr::{
    request::{parts, state},
    session,
    store::workspaces::{self, Workspace},
    AppState,
};
use crate::{error::AppError, model::CurrentUser};

/// Any signed-in user (401 otherwise).
pub async fn signed_in() -> Result<(AppState, CurrentUser), AppError> {
    let state = state()?;
    let user = session::require_user(&state, &parts()?).await?;
    Ok((state, user))
}

/// System admins only (403 for everyone else signed in).
pub async fn system_admin() -> Result<(AppState, CurrentUser), AppError> {
    let (state, user) = signed_in().await?;
    if !user.is_system_admin {
        return Err(AppError::Forbidden);
    }
    Ok((state, user))
}

/// Admins of `workspace` only: 404 for a workspace the user cannot see, 403
/// for one they see but do not administer.
pub async fn workspace_admin(workspace: &str) -> Result<(AppState, CurrentUser, Workspace), AppError> {
    let (state, user) = signed_in().await?;
    let (ws, grants) = workspaces::open(&state.db, &user, workspace).await?;
    if !grants.workspace().can_admin() {
        return Err(AppError::Forbidden);
    }
    Ok((state, user, ws))
}
