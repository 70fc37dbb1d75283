//! Expiry policies: the system policy (Administration > Access tokens) and
//! each workspace's (Workspace settings > Access tokens).

use super::Postcard;
use crate::{error::AppError, model::PolicyView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::guard,
    request::{client_addr, parts, respond},
    store::{policies, tokens},
};

#[server(prefix = "/api", endpoint = "get_system_policy", output = Postcard)]
pub async fn get_system_policy() -> Result<PolicyView, AppError> {
    respond(
        async {
            let (state, _) = guard::system_admin().await?;
            let mut conn = state.db.pool.acquire().await?;
            let system = policies::system(&mut conn).await?;
            let effective = tokenwarden::policy::EffectivePolicy::for_personal(system);
            let tokens_beyond_policy = tokens::beyond_policy(&state.db, None, &effective).await?;
            Ok(PolicyView {
                system,
                workspace: None,
                effective,
                tokens_beyond_policy,
                rotation: policies::rotation(&mut conn).await?,
            })
        }
        .await,
    )
}

/// `expiry_required` is a checkbox; `max_days` a whole number from 1 to
/// 3650; `default_days` the preset personal tokens' form pre-selects
/// (absent: 30).
#[server(prefix = "/api", endpoint = "set_system_policy", output = Postcard)]
pub async fn set_system_policy(
    #[server(default)] expiry_required: Option<String>,
    max_days: String,
    #[server(default)] default_days: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = guard::system_admin().await?;
            let policy = tokenwarden::policy::SystemPolicy::from_form(
                expiry_required.as_deref(),
                &max_days,
                default_days.as_deref(),
            )
            .map_err(|e| AppError::refused(e.field(), e))?;
            Ok(policies::set_system(&state.db, &user, &client_addr(&parts()?), policy).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_workspace_policy", output = Postcard)]
pub async fn get_workspace_policy(workspace: String) -> Result<PolicyView, AppError> {
    respond(
        async {
            let (state, _, ws) = guard::workspace_admin(&workspace).await?;
            let mut conn = state.db.pool.acquire().await?;
            let system = policies::system(&mut conn).await?;
            let workspace_policy = policies::workspace(&mut conn, ws.id).await?;
            let effective = tokenwarden::policy::EffectivePolicy::for_workspace(system, workspace_policy);
            let tokens_beyond_policy = tokens::beyond_policy(&state.db, Some(ws.id), &effective).await?;
            Ok(PolicyView {
                system,
                workspace: Some(workspace_policy),
                effective,
                tokens_beyond_policy,
                rotation: policies::rotation(&mut conn).await?,
            })
        }
        .await,
    )
}

/// `max_days` is 90, 180 or 365; `allow_no_expiry` a checkbox;
/// `default_days` the preset the create form pre-selects, within `max_days`
/// (absent: 30).
#[server(prefix = "/api", endpoint = "set_workspace_policy", output = Postcard)]
pub async fn set_workspace_policy(
    workspace: String,
    max_days: String,
    #[server(default)] allow_no_expiry: Option<String>,
    #[server(default)] default_days: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let (state, user, ws) = guard::workspace_admin(&workspace).await?;
            let policy = tokenwarden::policy::WorkspacePolicy::from_form(
                &max_days,
                allow_no_expiry.as_deref(),
                default_days.as_deref(),
            )
            .map_err(|e| AppError::refused(e.field(), e))?;
            Ok(policies::set_workspace(&state.db, &user, &client_addr(&parts()?), ws.id, &ws.slug, policy).await?)
        }
        .await,
    )
}

/// The audit log: a workspace's for its admins; everything for system admins
/// when `workspace` is empty.
#[server(prefix = "/api", endpoint = "audit_log", output = Postcard)]
pub async fn audit_log(#[server(default)] workspace: String) -> Result<Vec<crate::model::AuditEvent>, AppError> {
    respond(
        async {
            let (state, workspace_id) = if workspace.trim().is_empty() {
                (guard::system_admin().await?.0, None)
            } else {
                let (state, _, ws) = guard::workspace_admin(&workspace).await?;
                (state, Some(ws.id))
            };
            Ok(crate::ssr::store::audit::list(&state.db, workspace_id, 200).await?)
        }
        .await,
    )
}

/// Said under the warning days when no SMTP server is configured.
#[cfg(feature = "ssr")]
fn email_note(enabled: bool) -> &'static str {
    if enabled {
        ""
    } else {
        " Email is off: warnings reach webhooks and the banner in the app only (start the server with --smtp-url \
         and --mail-from to email them too)."
    }
}

/// Warning days (and a workspace's time zone): the system's for system
/// admins when `workspace` is empty, else the workspace's additions.
#[server(prefix = "/api", endpoint = "get_warnings", output = Postcard)]
pub async fn get_warnings(#[server(default)] workspace: String) -> Result<crate::model::WarningSettings, AppError> {
    use crate::ssr::store::warnings::{self, WarningsOf};
    respond(
        async {
            let (state, of) = warnings_place(&workspace).await?;
            let (ladders, time_zone) = warnings::settings(&state.db, &of).await?;
            let system = ladders.system.describe_before();
            Ok(match of {
                WarningsOf::System => crate::model::WarningSettings {
                    warning_days: ladders.system.to_string(),
                    note: format!(
                        "Token owners, the admins of where a token lives, and webhooks are warned {system} before \
                         a token expires, and when it expires; workspaces may add days.{}",
                        email_note(state.email_enabled)
                    ),
                    time_zone,
                },
                WarningsOf::Workspace { id, .. } => crate::model::WarningSettings {
                    warning_days: ladders.extra(id).to_string(),
                    note: format!(
                        "Owners, admins and webhooks are warned {system} before a token expires (the system's \
                         days), and when it expires. Add days for this workspace, comma-separated.{}",
                        email_note(state.email_enabled)
                    ),
                    time_zone,
                },
            })
        }
        .await,
    )
}

/// Whose warnings: the system's (system admins, `workspace` empty) or a
/// workspace's (its admins).
#[cfg(feature = "ssr")]
async fn warnings_place(
    workspace: &str,
) -> Result<(crate::ssr::AppState, crate::ssr::store::warnings::WarningsOf), AppError> {
    use crate::ssr::store::warnings::WarningsOf;
    if workspace.trim().is_empty() {
        Ok((guard::system_admin().await?.0, WarningsOf::System))
    } else {
        let (state, _, ws) = guard::workspace_admin(workspace).await?;
        Ok((
            state,
            WarningsOf::Workspace {
                id: ws.id,
                slug: ws.slug,
            },
        ))
    }
}

/// Saves warning days: the system's list (`workspace` empty; system admins)
/// or a workspace's additions, comma-separated ("60, 30, 14, 7, 1"); and a
/// workspace's `time_zone` for warning emails (an IANA name such as
/// Europe/Berlin; empty: UTC; absent: unchanged).
#[server(prefix = "/api", endpoint = "set_warnings", output = Postcard)]
pub async fn set_warnings(
    #[server(default)] workspace: String,
    #[server(default)] warning_days: String,
    #[server(default)] time_zone: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            let (state, of) = warnings_place(&workspace).await?;
            let user = guard::signed_in().await?.1;
            let days = tokenwarden::warnings::Ladder::parse(&warning_days)
                .map_err(|e| AppError::refused("warning_days", e))?;
            let zone =
                match time_zone.as_deref().map(str::trim) {
                    None => None,
                    Some("") => Some("UTC".to_string()),
                    Some(name) => Some(name.parse::<chrono_tz::Tz>().map(|tz| tz.name().to_string()).map_err(
                        |_| {
                            AppError::refused(
                                "time_zone",
                                format!(
                                    "\"{}\" is not a time zone: use a name such as Europe/Berlin or America/New_York.",
                                    name.chars().take(60).collect::<String>()
                                ),
                            )
                        },
                    )?),
                };
            Ok(
                crate::ssr::store::warnings::set(&state.db, &user, &client_addr(&parts()?), of, &days, zone.as_deref())
                    .await?,
            )
        }
        .await,
    )
}

/// The system's rotation rules, for system admins.
#[server(prefix = "/api", endpoint = "get_rotation_policy", output = Postcard)]
pub async fn get_rotation_policy() -> Result<tokenwarden::rotation::RotationPolicy, AppError> {
    respond(
        async {
            let (state, _) = guard::system_admin().await?;
            let mut conn = state.db.pool.acquire().await?;
            Ok(policies::rotation(&mut conn).await?)
        }
        .await,
    )
}

/// Saves the rotation rules: `max_overlap` and `default_overlap` are `none`,
/// `1h`, `1d` or `7d` (the default within the maximum); `revoke_on_reuse` a
/// checkbox.
#[server(prefix = "/api", endpoint = "set_rotation_policy", output = Postcard)]
pub async fn set_rotation_policy(
    max_overlap: String,
    default_overlap: String,
    #[server(default)] revoke_on_reuse: Option<String>,
) -> Result<(), AppError> {
    respond(
        async {
            use tokenwarden::rotation::{RotationError, RotationPolicy};
            let (state, user) = guard::system_admin().await?;
            let revoke = tokenwarden::policy::checked(revoke_on_reuse.as_deref());
            let policy = RotationPolicy::parse(&max_overlap, &default_overlap, revoke).map_err(|e| {
                let field = match e {
                    RotationError::OverlapTooLong { .. } => "default_overlap",
                    _ if tokenwarden::rotation::Overlap::parse(&max_overlap).is_none() => "max_overlap",
                    _ => "default_overlap",
                };
                AppError::refused(field, e)
            })?;
            Ok(policies::set_rotation(&state.db, &user, &client_addr(&parts()?), policy).await?)
        }
        .await,
    )
}

/// Whose policy is applied: the system's (`workspace` empty; system admins)
/// or a workspace's (its admins).
#[cfg(feature = "ssr")]
async fn apply_scope(
    workspace: &str,
) -> Result<
    (
        crate::ssr::AppState,
        crate::model::CurrentUser,
        crate::ssr::store::applying::Scope,
    ),
    AppError,
> {
    use crate::ssr::store::applying::Scope;
    if workspace.trim().is_empty() {
        let (state, user) = guard::system_admin().await?;
        Ok((state, user, Scope::System))
    } else {
        let (state, user, ws) = guard::workspace_admin(workspace).await?;
        Ok((
            state,
            user,
            Scope::Workspace {
                id: ws.id,
                slug: ws.slug,
            },
        ))
    }
}

#[cfg(feature = "ssr")]
fn grace(grace_days: &str) -> Result<u32, AppError> {
    let text = if grace_days.trim().is_empty() { "30" } else { grace_days };
    tokenwarden::rotation::grace_days(text).map_err(|e| AppError::refused("grace_days", e))
}

/// What applying the policy in force to existing tokens would do now: each
/// active token beyond it, with the expiry it would get (the policy's limit
/// from now, never sooner than `grace_days`, 7 to 365; empty: 30).
#[server(prefix = "/api", endpoint = "preview_policy", output = Postcard)]
pub async fn preview_policy(
    #[server(default)] workspace: String,
    #[server(default)] grace_days: String,
) -> Result<crate::model::PolicyPreview, AppError> {
    respond(
        async {
            let (state, _, scope) = apply_scope(&workspace).await?;
            let grace_days = grace(&grace_days)?;
            let now = state.clock.now();
            let moves = crate::ssr::store::applying::preview(&state.db, &scope, grace_days, now).await?;
            Ok(crate::model::PolicyPreview {
                grace_days,
                changes: moves
                    .into_iter()
                    .map(|m| crate::model::PlannedChange {
                        new_expires_at: m.new_expires_at,
                        token: crate::model::TokenView {
                            expires_at: m.old_expires_at,
                            ..m.token
                        },
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Applies the policy in force to existing tokens (see [`preview_policy`]):
/// their expiry moves, their owners and admins are emailed at once, the
/// webhooks get `policy.applied`, and the audit log records each token's
/// old and new expiry.
#[server(prefix = "/api", endpoint = "apply_policy", output = Postcard)]
pub async fn apply_policy(
    #[server(default)] workspace: String,
    #[server(default)] grace_days: String,
) -> Result<usize, AppError> {
    respond(
        async {
            let (state, user, scope) = apply_scope(&workspace).await?;
            let grace_days = grace(&grace_days)?;
            let now = state.clock.now();
            let addr = client_addr(&parts()?);
            let moved = crate::ssr::store::applying::apply(
                &state.db,
                &user,
                &addr,
                scope,
                grace_days,
                state.email_enabled,
                now,
            )
            .await?;
            tracing::info!(by = %user.username, tokens = moved.len(), "policy applied to existing tokens");
            Ok(moved.len())
        }
        .await,
    )
}
