//! Applying a tightened policy to the tokens that already exist: each
//! active token beyond its policy gets the policy's limit counted from now,
//! never sooner than the grace period the admin picks (the rules crate's
//! `rotation::applied_expiry`, which the preview runs too).
//!
//! One transaction under the policy lock: the tokens and their policies are
//! read, moved, audited token by token (old and new expiry), their people
//! told at once (an email each, and `policy.applied` to the webhooks), and
//! their warning ladder restarted from the new expiry. Two admins applying
//! at once take turns, and each reads the other's result: every token ends
//! within both policies (or at the grace period, which never shortens).

use super::audit::{self, Entry};
use super::error::*;
use super::ladders::Ladders;
use super::{policies, tokens, warnings, webhooks};
use crate::model::{CurrentUser, TokenView};
use crate::ssr::{db::Db, events::EventBody};
use sqlx::AnyConnection;
use std::collections::HashMap;
use tokenwarden::{policy::EffectivePolicy, rotation::applied_expiry, warnings::Threshold, webhooks::Event};

/// Whose policy is applied: the system's (every token) or a workspace's.
#[derive(Debug, Clone)]
pub enum Scope {
    System,
    Workspace { id: i64, slug: String },
}

impl Scope {
    fn name(&self) -> &str {
        match self {
            Scope::System => "system",
            Scope::Workspace { slug, .. } => slug,
        }
    }
}

/// One token the policy moves.
#[derive(Debug, Clone)]
pub struct Move {
    pub token: TokenView,
    pub workspace_id: Option<i64>,
    pub old_expires_at: Option<i64>,
    pub new_expires_at: i64,
}

/// A token as the plan reads it.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    workspace_id: Option<i64>,
    created_at: i64,
    expires_at: Option<i64>,
    warned_days: Option<i64>,
}

/// What applying would do at `now`: the active tokens (not revoked, not
/// expired, not rotated away) beyond their policy, each with its new expiry.
async fn plan(
    conn: &mut AnyConnection,
    scope: &Scope,
    grace_days: u32,
    now: i64,
) -> Result<Vec<(Candidate, i64)>, StoreError> {
    let (filter, id) = match scope {
        Scope::System => ("$2 = 0", 0),
        Scope::Workspace { id, .. } => ("workspace_id = $2", *id),
    };
    let candidates: Vec<Candidate> = sqlx::query_as(&format!(
        "SELECT id, workspace_id, created_at, expires_at, warned_days FROM access_tokens \
         WHERE revoked_at IS NULL AND rotated_to IS NULL AND (expires_at IS NULL OR expires_at > $1) AND {filter} \
         ORDER BY id"
    ))
    .bind(now)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut policies: HashMap<Option<i64>, EffectivePolicy> = HashMap::new();
    let mut moves = Vec::new();
    for c in candidates {
        let policy = match policies.get(&c.workspace_id) {
            Some(p) => *p,
            None => {
                let p = policies::effective(&mut *conn, c.workspace_id).await?;
                policies.insert(c.workspace_id, p);
                p
            }
        };
        if let Some(new) = applied_expiry(&policy, now, c.expires_at, grace_days) {
            moves.push((c, new));
        }
    }
    Ok(moves)
}

/// The tokens applying would move, and where to (nothing is written).
pub async fn preview(db: &Db, scope: &Scope, grace_days: u32, now: i64) -> Result<Vec<Move>, StoreError> {
    let mut conn = db.pool.acquire().await?;
    let planned = plan(&mut conn, scope, grace_days, now).await?;
    described(&mut conn, planned).await
}

/// The planned moves with their tokens as lists show them (with the new
/// expiry; the old one as planned, read before any write).
async fn described(conn: &mut AnyConnection, planned: Vec<(Candidate, i64)>) -> Result<Vec<Move>, StoreError> {
    let ids: Vec<i64> = planned.iter().map(|(c, _)| c.id).collect();
    let mut views: HashMap<i64, TokenView> = tokens::views(conn, &ids)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(planned
        .into_iter()
        .filter_map(|(c, new)| {
            views.remove(&c.id).map(|mut token| {
                token.expires_at = Some(new);
                Move {
                    token,
                    workspace_id: c.workspace_id,
                    old_expires_at: c.expires_at,
                    new_expires_at: new,
                }
            })
        })
        .collect())
}

/// Applies the policy in force for `scope` to its existing tokens (see the
/// module's documentation); the tokens moved, as they now are.
pub async fn apply(
    db: &Db,
    actor: &CurrentUser,
    client_addr: &str,
    scope: Scope,
    grace_days: u32,
    email: bool,
    now: i64,
) -> Result<Vec<Move>, StoreError> {
    let mut tx = db.pool.begin().await?;
    policies::lock(&mut tx).await?;
    let planned = plan(&mut tx, &scope, grace_days, now).await?;
    let ladders = Ladders::read(&mut tx).await?;
    for (c, new) in &planned {
        let ladder = ladders.for_workspace(c.workspace_id);
        // The email below says it now; the ladder goes on from there.
        let last = c
            .warned_days
            .map(|d| Threshold::from_days(u32::try_from(d).unwrap_or(0)));
        let warned = ladder.due(now, c.created_at, *new, None).or(last);
        let next = ladder.next(now, c.created_at, *new).map(|(_, at)| at);
        sqlx::query("UPDATE access_tokens SET expires_at = $1, warned_days = $2, next_warning_at = $3 WHERE id = $4")
            .bind(new)
            .bind(warned.map(|t| i64::from(t.days())))
            .bind(next)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        let old = c
            .expires_at
            .map(crate::ssr::events::rfc3339)
            .unwrap_or_else(|| "never".into());
        audit::record(
            &mut tx,
            Entry {
                actor: actor.into(),
                client_addr,
                action: "token expiry shortened by policy",
                workspace_id: c.workspace_id,
                token_id: Some(c.id),
                target: format!("token #{}", c.id),
                details: format!(
                    "{} policy applied with {grace_days} days' grace: expires {old} → {}",
                    scope.name(),
                    crate::ssr::events::rfc3339(*new)
                ),
            },
        )
        .await?;
        if email {
            warnings::queue_notice_emails(&mut tx, c.id, warnings::NoticeKey::Applied { expires_at: *new }, now)
                .await?;
        }
    }
    let moved = described(&mut tx, planned).await?;
    // Each workspace's webhooks hear of its tokens; the instance's of all.
    let mut by_workspace: HashMap<Option<i64>, Vec<(TokenView, Option<i64>)>> = HashMap::new();
    for m in &moved {
        by_workspace
            .entry(m.workspace_id)
            .or_default()
            .push((m.token.clone(), m.old_expires_at));
    }
    for (workspace_id, list) in by_workspace {
        let change = format!("{} policy applied with {grace_days} days' grace", scope.name());
        let body = EventBody::applied(scope.name().to_string(), change, &list, now);
        webhooks::enqueue(&mut tx, workspace_id, Event::PolicyApplied, &body, now).await?;
    }
    tx.commit().await?;
    Ok(moved)
}
