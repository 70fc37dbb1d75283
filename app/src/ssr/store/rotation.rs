//! Rotation: replacing a token by a successor in one transaction, and what
//! happens when a rotated-away secret comes back after its overlap.
//!
//! The successor is inserted and the predecessor marked (`rotated_to`,
//! `stops_at`) under the policy lock, with a conditional update: two
//! rotations of one token at once make one successor, and the other is
//! told the token was already rotated. The successor's expiry is resolved
//! against the policy read in that transaction, as creation's is.

use super::audit::{self, Actor, Entry};
use super::error::*;
use super::tokens::{self, announce, HomeRow, Row};
use super::{policies, warnings, webhooks};
use crate::model::CreatedToken;
use crate::ssr::{db::Db, events::EventBody, token_keys::TokenKeys};
use tokenwarden::{
    expiry::{resolve, ExpiryRequest},
    rotation::{self_rotation_expiry, stops_at, Overlap},
    webhooks::Event,
};

/// How the successor's expiry is chosen.
#[derive(Debug, Clone, Copy)]
pub enum SuccessorExpiry {
    /// Chosen again by the rotator, as when creating.
    Chosen(ExpiryRequest),
    /// A token rotating itself: as long as it lived, capped by the policy,
    /// or this many days if fewer.
    SameLength { asked_days: Option<u32> },
}

/// How long the predecessor keeps working.
#[derive(Debug, Clone, Copy)]
pub enum OverlapChoice {
    /// The rotator's choice, checked against the system's maximum.
    Chosen(Overlap),
    /// The system's default overlap (self-rotation, REST without one).
    Default,
}

pub struct Rotation<'a> {
    pub id: i64,
    pub expiry: SuccessorExpiry,
    pub overlap: OverlapChoice,
    pub actor: Actor<'a>,
    pub client_addr: &'a str,
}

/// The predecessor as a rotation reads it.
#[derive(sqlx::FromRow)]
struct Predecessor {
    #[sqlx(flatten)]
    home: HomeRow,
    name: String,
    permissions: String,
    created_at: i64,
    created_by: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    rotated_to: Option<i64>,
}

/// Makes the successor of `rotation.id`; returns it with its secret (shown once).
pub async fn rotate(db: &Db, keys: &TokenKeys, rotation: Rotation<'_>) -> Result<CreatedToken, StoreError> {
    let mut tx = db.pool.begin().await?;
    policies::lock(&mut tx).await?;
    let old: Option<Predecessor> = sqlx::query_as(
        "SELECT kind, workspace_id, project_id, repository_id, user_id, name, permissions, created_at, created_by, \
         expires_at, revoked_at, rotated_to FROM access_tokens WHERE id = $1",
    )
    .bind(rotation.id)
    .fetch_optional(&mut *tx)
    .await?;
    let old = old.ok_or(StoreError::NotFound(Record::Token))?;
    if old.revoked_at.is_some() {
        return Err(StoreError::Revoked(Credential::RotatedToken));
    }
    if old.rotated_to.is_some() {
        return Err(StoreError::AlreadyRotated);
    }
    let home = old.home.home().ok_or(StoreError::Inconsistent)?;
    let now = chrono::Utc::now();
    let policy = policies::effective(&mut tx, home.workspace_id()).await?;
    let expires_at = match rotation.expiry {
        SuccessorExpiry::Chosen(request) => resolve(&policy, now, request).map_err(StoreError::Expiry)?,
        SuccessorExpiry::SameLength { asked_days } => {
            self_rotation_expiry(&policy, now, old.created_at, old.expires_at, asked_days)
                .map_err(StoreError::Rotation)?
        }
    }
    .map(|t| t.timestamp());
    let rules = policies::rotation(&mut tx).await?;
    let overlap = match rotation.overlap {
        OverlapChoice::Chosen(asked) => rules.check(asked).map_err(StoreError::Rotation)?,
        OverlapChoice::Default => rules.default_overlap.min(rules.max_overlap),
    };
    let now = now.timestamp();
    let created_by = match rotation.actor {
        Actor::User(user) => Some(user.id),
        Actor::Token { .. } => old.created_by,
    };
    let (id, secret) = tokens::insert(
        &mut tx,
        keys,
        Row {
            home,
            name: &old.name,
            permissions: &old.permissions,
            created_by,
            now,
            expires_at,
            rotated_from: Some(rotation.id),
        },
    )
    .await?;
    let stops = stops_at(now, overlap, old.expires_at);
    let marked = sqlx::query(
        "UPDATE access_tokens SET rotated_to = $1, stops_at = $2, next_warning_at = NULL \
         WHERE id = $3 AND rotated_to IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(stops)
    .bind(rotation.id)
    .execute(&mut *tx)
    .await?;
    if marked.rows_affected() == 0 {
        return Err(StoreError::AlreadyRotated);
    }
    let workspace_id = home.workspace_id();
    let when = |at: Option<i64>| at.map(crate::ssr::events::rfc3339).unwrap_or_else(|| "never".into());
    audit::record(
        &mut tx,
        Entry {
            actor: rotation.actor,
            client_addr: rotation.client_addr,
            action: "token rotated",
            workspace_id,
            token_id: Some(rotation.id),
            target: format!("token #{} \"{}\"", rotation.id, old.name),
            details: format!(
                "replaced by #{id}; overlap {overlap}, stops at {}; the successor expires {}",
                when(Some(stops)),
                when(expires_at)
            ),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        Entry {
            actor: rotation.actor,
            client_addr: rotation.client_addr,
            action: "token created",
            workspace_id,
            token_id: Some(id),
            target: format!("{} token #{id} \"{}\"", home.kind().as_str(), old.name),
            details: format!(
                "replaces #{}; permissions {}; expires {}",
                rotation.id,
                old.permissions,
                expires_at.map(|t| t.to_string()).unwrap_or_else(|| "never".into())
            ),
        },
    )
    .await?;
    announce(&mut tx, id, workspace_id, Event::TokenRotated, now).await?;
    tx.commit().await?;
    let token = tokens::find_view(db, id).await?.ok_or(StoreError::Inconsistent)?;
    Ok(CreatedToken {
        token,
        secret: tokenwarden::secret::Secret::new(secret.expose()),
    })
}

/// What a rotated-away token presented after its overlap set off.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reuse {
    /// First time seen (later presentations only get the 401).
    pub first: bool,
    /// Successors revoked because the system policy says so.
    pub revoked: Vec<i64>,
}

/// The longest chain of successors followed when revoking.
const MAX_CHAIN: usize = 100;

/// Notes that token `id`, rotated away and past its overlap, was presented
/// at `now`. The first time only: the audit log records it, the owners are
/// told by email (when `email`), webhooks get `token.reuse_detected`, and
/// if the system policy says so every successor is revoked.
pub async fn note_reuse(db: &Db, id: i64, now: i64, email: bool, client_addr: &str) -> Result<Reuse, StoreError> {
    let mut tx = db.pool.begin().await?;
    let first = sqlx::query("UPDATE access_tokens SET reuse_seen_at = $1 WHERE id = $2 AND reuse_seen_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if first.rows_affected() == 0 {
        tx.commit().await?;
        return Ok(Reuse::default());
    }
    let rules = policies::rotation(&mut tx).await?;
    let mut revoked = Vec::new();
    if rules.revoke_on_reuse {
        let mut next: Option<i64> = sqlx::query_scalar("SELECT rotated_to FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        while let Some(successor) = next.filter(|_| revoked.len() < MAX_CHAIN) {
            let done = sqlx::query(
                "UPDATE access_tokens SET revoked_at = $1, next_warning_at = NULL WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(successor)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                revoked.push(successor);
            }
            next = sqlx::query_scalar("SELECT rotated_to FROM access_tokens WHERE id = $1")
                .bind(successor)
                .fetch_one(&mut *tx)
                .await?;
        }
    }
    let view = tokens::views(&mut tx, &[id])
        .await?
        .pop()
        .ok_or(StoreError::Inconsistent)?;
    let workspace_id: Option<i64> = sqlx::query_scalar("SELECT workspace_id FROM access_tokens WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let revoked_list = revoked.iter().map(|r| format!("#{r}")).collect::<Vec<_>>().join(", ");
    audit::record(
        &mut tx,
        Entry {
            actor: Actor::Token { id },
            client_addr,
            action: "rotated token reused",
            workspace_id,
            token_id: Some(id),
            target: format!("token #{id} \"{}\"", view.name),
            details: if revoked.is_empty() {
                "presented after its overlap; refused".into()
            } else {
                format!("presented after its overlap; refused; successors revoked: {revoked_list}")
            },
        },
    )
    .await?;
    if email {
        warnings::queue_notice_emails(&mut tx, id, warnings::NoticeKey::Reuse, now).await?;
    }
    let body = EventBody::reuse(&view, &revoked, now);
    webhooks::enqueue(&mut tx, workspace_id, Event::ReuseDetected, &body, now).await?;
    tx.commit().await?;
    if !revoked.is_empty() {
        tracing::warn!(token_id = id, revoked = %revoked_list, "a rotated-away token was used: successors revoked");
    }
    Ok(Reuse { first: true, revoked })
}
