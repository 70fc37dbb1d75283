//! Webhooks: a workspace's (its admins) or the whole instance's (system
//! admins, `workspace` empty), their delivery logs and redelivery.

// Server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]

use super::Postcard;
use crate::{error::AppError, model::WebhookView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    authz::guard,
    request::{client_addr, parts, respond},
    store::webhooks,
    AppState,
};

/// Deliveries each webhook's log shows.
#[cfg(feature = "ssr")]
const LOG_LEN: i64 = 20;

/// The caller's right to a workspace's webhooks (or the instance's), and
/// that workspace's id.
#[cfg(feature = "ssr")]
async fn authorize(workspace: &str) -> Result<(AppState, crate::model::CurrentUser, Option<i64>), AppError> {
    if workspace.trim().is_empty() {
        let (state, user) = guard::system_admin().await?;
        Ok((state, user, None))
    } else {
        let (state, user, ws) = guard::workspace_admin(workspace).await?;
        Ok((state, user, Some(ws.id)))
    }
}

/// The caller's right to the webhook `id`, found in the workspace they named.
#[cfg(feature = "ssr")]
async fn authorize_hook(workspace: &str, id: i64) -> Result<(AppState, crate::model::CurrentUser), AppError> {
    let (state, user, workspace_id) = authorize(workspace).await?;
    match webhooks::owner_of(&state.db, id).await? {
        Some(owner) if owner == workspace_id => Ok((state, user)),
        _ => Err(AppError::NotFound("Webhook".into())),
    }
}

#[server(prefix = "/api", endpoint = "list_webhooks", output = Postcard)]
pub async fn list_webhooks(#[server(default)] workspace: String) -> Result<Vec<WebhookView>, AppError> {
    respond(
        async {
            let (state, _, workspace_id) = authorize(&workspace).await?;
            Ok(webhooks::list(&state.db, workspace_id, LOG_LEN).await?)
        }
        .await,
    )
}

/// Registers a webhook: an `https://` URL (refused when it names or
/// resolves to a loopback, private or link-local address, unless the
/// server allows them), a signing secret of 16 to 200 characters, and the
/// events it wants, one checkbox each (`token_expiring`, …).
#[server(prefix = "/api", endpoint = "add_webhook", output = Postcard)]
pub async fn add_webhook(
    #[server(default)] workspace: String,
    url: String,
    secret: String,
    #[server(default)] token_expiring: Option<String>,
    #[server(default)] token_expired: Option<String>,
    #[server(default)] token_created: Option<String>,
    #[server(default)] token_revoked: Option<String>,
    #[server(default)] policy_changed: Option<String>,
    #[server(default)] token_rotated: Option<String>,
    #[server(default)] token_reuse_detected: Option<String>,
    #[server(default)] policy_applied: Option<String>,
) -> Result<(), AppError> {
    use tokenwarden::webhooks::{check_secret, parse_events, Event};
    respond(
        async {
            let (state, user, workspace_id) = authorize(&workspace).await?;
            let url = url.trim();
            state
                .webhooks
                .check_url(url)
                .await
                .map_err(|e| AppError::refused(e.field(), e))?;
            check_secret(&secret).map_err(|e| AppError::refused(e.field(), e))?;
            let picked = [
                (token_expiring, Event::TokenExpiring),
                (token_expired, Event::TokenExpired),
                (token_created, Event::TokenCreated),
                (token_revoked, Event::TokenRevoked),
                (policy_changed, Event::PolicyChanged),
                (token_rotated, Event::TokenRotated),
                (token_reuse_detected, Event::ReuseDetected),
                (policy_applied, Event::PolicyApplied),
            ];
            let events = parse_events(
                picked
                    .iter()
                    .filter(|(box_, _)| tokenwarden::policy::checked(box_.as_deref()))
                    .map(|(_, e)| e.as_str()),
            )
            .map_err(|e| AppError::refused(e.field(), e))?;
            webhooks::create(
                &state.db,
                webhooks::NewWebhook {
                    workspace_id,
                    url,
                    secret: &secret,
                    events: &events,
                    actor: &user,
                    client_addr: &client_addr(&parts()?),
                },
            )
            .await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "remove_webhook", output = Postcard)]
pub async fn remove_webhook(#[server(default)] workspace: String, id: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, user) = authorize_hook(&workspace, id).await?;
            Ok(webhooks::delete(&state.db, id, &user, &client_addr(&parts()?)).await?)
        }
        .await,
    )
}

/// Sends a logged delivery again, now, with the same id and body.
#[server(prefix = "/api", endpoint = "redeliver", output = Postcard)]
pub async fn redeliver(#[server(default)] workspace: String, webhook: i64, delivery: i64) -> Result<(), AppError> {
    respond(
        async {
            let (state, _) = authorize_hook(&workspace, webhook).await?;
            Ok(webhooks::redeliver(&state.db, webhook, delivery, crate::ssr::db::now()).await?)
        }
        .await,
    )
}
