//! Expiry policies: the system row and one row per workspace that changed
//! the defaults.

use super::audit::{self, Entry};
use super::error::*;
use super::webhooks;
use crate::ssr::events::EventBody;
use crate::{
    model::CurrentUser,
    ssr::db::{now, Db},
};
use sqlx::AnyConnection;
use tokenwarden::policy::{EffectivePolicy, SystemPolicy, WorkspacePolicy};
use tokenwarden::rotation::RotationPolicy;
use tokenwarden::webhooks::Event;

/// Takes the write lock that orders token creation against policy changes:
/// a row lock on the one system row in PostgreSQL, the database write lock
/// in SQLite. Call first in the transaction.
pub async fn lock(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("UPDATE system_policy SET id = id WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// The system row as stored.
#[derive(sqlx::FromRow)]
struct SystemRow {
    expiry_required: i64,
    max_days: i64,
    default_days: i64,
}

/// A workspace's row as stored.
#[derive(sqlx::FromRow)]
struct WorkspaceRow {
    max_days: i64,
    allow_no_expiry: i64,
    default_days: i64,
}

/// A stored policy the rules refuse: a bug or a hand edit, logged and refused.
fn inconsistent(error: tokenwarden::policy::PolicyError, which: &str) -> StoreError {
    tracing::error!(error = %error, policy = which, "stored policy is invalid");
    StoreError::Inconsistent
}

fn days(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

pub async fn system(conn: &mut AnyConnection) -> Result<SystemPolicy, StoreError> {
    let row: SystemRow =
        sqlx::query_as("SELECT expiry_required, max_days, default_days FROM system_policy WHERE id = 1")
            .fetch_one(conn)
            .await?;
    SystemPolicy::new(row.expiry_required != 0, days(row.max_days))
        .and_then(|p| p.with_default_days(days(row.default_days)))
        .map_err(|e| inconsistent(e, "system"))
}

pub async fn workspace(conn: &mut AnyConnection, workspace_id: i64) -> Result<WorkspacePolicy, StoreError> {
    let row: Option<WorkspaceRow> = sqlx::query_as(
        "SELECT max_days, allow_no_expiry, default_days FROM workspace_policies WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(WorkspacePolicy::default()),
        Some(row) => WorkspacePolicy::new(days(row.max_days), row.allow_no_expiry != 0)
            .and_then(|p| p.with_default_days(days(row.default_days)))
            .map_err(|e| inconsistent(e, "workspace")),
    }
}

/// The policy binding new tokens in `workspace_id`, or personal tokens.
pub async fn effective(conn: &mut AnyConnection, workspace_id: Option<i64>) -> Result<EffectivePolicy, StoreError> {
    let system = system(conn).await?;
    Ok(match workspace_id {
        Some(id) => EffectivePolicy::for_workspace(system, workspace(conn, id).await?),
        None => EffectivePolicy::for_personal(system),
    })
}

pub async fn set_system(
    db: &Db,
    actor: &CurrentUser,
    client_addr: &str,
    policy: SystemPolicy,
) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    lock(&mut tx).await?;
    let before = system(&mut tx).await?;
    sqlx::query(
        "UPDATE system_policy SET expiry_required = $1, max_days = $2, default_days = $3, updated_at = $4, \
         updated_by = $5 WHERE id = 1",
    )
    .bind(policy.expiry_required as i64)
    .bind(i64::from(policy.max_days()))
    .bind(i64::from(policy.default_days()))
    .bind(now())
    .bind(actor.id)
    .execute(&mut *tx)
    .await?;
    let describe = |p: SystemPolicy| {
        format!(
            "expiry required: {}, max days: {}, default {} days",
            if p.expiry_required { "yes" } else { "no" },
            p.max_days(),
            p.default_days()
        )
    };
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "system policy changed",
            workspace_id: None,
            token_id: None,
            target: "system".into(),
            details: format!("{} → {}", describe(before), describe(policy)),
        },
    )
    .await?;
    let change = format!("{} → {}", describe(before), describe(policy));
    let body = EventBody::policy("system".into(), change, now());
    webhooks::enqueue(&mut tx, None, Event::PolicyChanged, &body, now()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_workspace(
    db: &Db,
    actor: &CurrentUser,
    client_addr: &str,
    workspace_id: i64,
    workspace_slug: &str,
    policy: WorkspacePolicy,
) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    lock(&mut tx).await?;
    let before = workspace(&mut tx, workspace_id).await?;
    sqlx::query(
        "INSERT INTO workspace_policies (workspace_id, max_days, allow_no_expiry, default_days, updated_at, \
         updated_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET \
         max_days = excluded.max_days, allow_no_expiry = excluded.allow_no_expiry, \
         default_days = excluded.default_days, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(workspace_id)
    .bind(i64::from(policy.max_days()))
    .bind(policy.allow_no_expiry as i64)
    .bind(i64::from(policy.default_days()))
    .bind(now())
    .bind(actor.id)
    .execute(&mut *tx)
    .await?;
    let describe = |p: WorkspacePolicy| {
        format!(
            "max {} days, no expiry {}, default {} days",
            p.max_days(),
            if p.allow_no_expiry { "allowed" } else { "not allowed" },
            p.default_days()
        )
    };
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "workspace policy changed",
            workspace_id: Some(workspace_id),
            token_id: None,
            target: workspace_slug.to_string(),
            details: format!("{} → {}", describe(before), describe(policy)),
        },
    )
    .await?;
    let change = format!("{} → {}", describe(before), describe(policy));
    let body = EventBody::policy(workspace_slug.to_string(), change, now());
    webhooks::enqueue(&mut tx, Some(workspace_id), Event::PolicyChanged, &body, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The system's rotation rules as stored.
#[derive(sqlx::FromRow)]
struct RotationRow {
    max_overlap: String,
    default_overlap: String,
    revoke_on_reuse: i64,
}

/// The system admin's rules for rotation.
pub async fn rotation(conn: &mut AnyConnection) -> Result<RotationPolicy, StoreError> {
    let row: RotationRow =
        sqlx::query_as("SELECT max_overlap, default_overlap, revoke_on_reuse FROM system_policy WHERE id = 1")
            .fetch_one(conn)
            .await?;
    RotationPolicy::parse(&row.max_overlap, &row.default_overlap, row.revoke_on_reuse != 0).map_err(|e| {
        tracing::error!(error = %e, "stored rotation policy is invalid");
        StoreError::Inconsistent
    })
}

pub async fn set_rotation(
    db: &Db,
    actor: &CurrentUser,
    client_addr: &str,
    policy: RotationPolicy,
) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    lock(&mut tx).await?;
    let before = rotation(&mut tx).await?;
    sqlx::query(
        "UPDATE system_policy SET max_overlap = $1, default_overlap = $2, revoke_on_reuse = $3, updated_at = $4, \
         updated_by = $5 WHERE id = 1",
    )
    .bind(policy.max_overlap.value())
    .bind(policy.default_overlap.value())
    .bind(policy.revoke_on_reuse as i64)
    .bind(now())
    .bind(actor.id)
    .execute(&mut *tx)
    .await?;
    let describe = |p: RotationPolicy| {
        format!(
            "longest overlap {}, self-rotation overlap {}, reuse revokes successors: {}",
            p.max_overlap,
            p.default_overlap,
            if p.revoke_on_reuse { "yes" } else { "no" }
        )
    };
    let change = format!("{} → {}", describe(before), describe(policy));
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "rotation policy changed",
            workspace_id: None,
            token_id: None,
            target: "system".into(),
            details: change.clone(),
        },
    )
    .await?;
    let body = EventBody::policy("system".into(), change, now());
    webhooks::enqueue(&mut tx, None, Event::PolicyChanged, &body, now()).await?;
    tx.commit().await?;
    Ok(())
}
