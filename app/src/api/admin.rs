//! System administration: users and workspaces. System admins only.

use super::Postcard;
use crate::{error::AppError, model::UserSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::guard,
    request::respond,
    store::{users, workspaces},
};

#[server(prefix = "/api", endpoint = "list_users", output = Postcard)]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    respond(
        async {
            let (state, _) = guard::system_admin().await?;
            Ok(users::list(&state.db).await?)
        }
        .await,
    )
}

/// Creates a user. `system_admin` is a checkbox: present ("on") or absent.
#[server(prefix = "/api", endpoint = "create_user", output = Postcard)]
pub async fn create_user(
    username: String,
    email: String,
    display_name: String,
    password: tokenwarden::secret::Secret,
    password_confirmation: tokenwarden::secret::Secret,
    #[server(default)] system_admin: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let (state, admin) = guard::system_admin().await?;
            let user = super::auth::new_user(
                &state,
                &username,
                &email,
                &display_name,
                password,
                &password_confirmation,
                tokenwarden::policy::checked(system_admin.as_deref()),
            )
            .await?;
            users::create(&state.db, &user).await?;
            tracing::info!(by = %admin.username, user = %user.username, system_admin = user.is_system_admin, "user created");
            Ok(())
        }
        .await,
    )
}

/// Creates a workspace and makes `admin_username` its first admin.
#[server(prefix = "/api", endpoint = "create_workspace", output = Postcard)]
pub async fn create_workspace(slug: String, name: String, admin_username: String) -> Result<(), AppError> {
    respond(
        async {
            use tokenwarden::validate;
            let (state, admin) = guard::system_admin().await?;
            let slug = validate::workspace_slug(&slug)?;
            let name = validate::display_name("name", &name)?;
            let admin_username = if admin_username.trim().is_empty() {
                admin.username.clone()
            } else {
                admin_username
            };
            let admin_id = users::id_by_username(&state.db, &admin_username)
                .await?
                .ok_or_else(|| AppError::invalid("admin", format!("'{}' is not a user", admin_username.trim())))?;
            workspaces::create(&state.db, &slug, &name, admin_id, admin.id).await?;
            tracing::info!(by = %admin.username, workspace = %slug, "workspace created");
            Ok(())
        }
        .await,
    )
}
