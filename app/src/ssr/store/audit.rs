//! The audit log: who did what, when, from where. Written in the same
//! transaction as the change it records, so neither exists without the other.

use super::error::*;
use crate::{
    model::{AuditEvent, CurrentUser},
    ssr::db::{now, Db},
};
use sqlx::AnyConnection;

/// Who made a change: a signed-in user, or a token acting on itself (a
/// self-rotation, the one change a token may make).
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    User(&'a CurrentUser),
    Token { id: i64 },
}

impl<'a> From<&'a CurrentUser> for Actor<'a> {
    fn from(user: &'a CurrentUser) -> Self {
        Actor::User(user)
    }
}

pub struct Entry<'a> {
    pub actor: Actor<'a>,
    pub client_addr: &'a str,
    pub action: &'a str,
    pub workspace_id: Option<i64>,
    /// The token the change is about, if any.
    pub token_id: Option<i64>,
    pub target: String,
    pub details: String,
}

pub async fn record(conn: &mut AnyConnection, entry: Entry<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor, action, workspace_id, token_id, target, details, client_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(now())
    .bind(match entry.actor {
        Actor::User(user) => Some(user.id),
        Actor::Token { .. } => None,
    })
    .bind(match entry.actor {
        Actor::User(user) => user.username.clone(),
        Actor::Token { id } => format!("token #{id}"),
    })
    .bind(entry.action)
    .bind(entry.workspace_id)
    .bind(entry.token_id)
    .bind(entry.target)
    .bind(entry.details)
    .bind(entry.client_addr)
    .execute(conn)
    .await?;
    Ok(())
}

/// One audit event as stored.
#[derive(sqlx::FromRow)]
struct EventRow {
    at: i64,
    actor: String,
    action: String,
    target: String,
    details: String,
    client_addr: String,
}

/// The newest events first; only a workspace's when `workspace_id` is given.
pub async fn list(db: &Db, workspace_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>, StoreError> {
    let rows: Vec<EventRow> =
        match workspace_id {
            Some(id) => {
                sqlx::query_as(
                    "SELECT at, actor, action, target, details, client_addr FROM audit_events \
             WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(id)
                .bind(limit)
                .fetch_all(&db.pool)
                .await?
            }
            None => sqlx::query_as(
                "SELECT at, actor, action, target, details, client_addr FROM audit_events ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&db.pool)
            .await?,
        };
    Ok(rows
        .into_iter()
        .map(|row| AuditEvent {
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            details: row.details,
            client_addr: row.client_addr,
        })
        .collect())
}
