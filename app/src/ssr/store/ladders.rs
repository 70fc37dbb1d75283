//! The warning ladders as stored: the system's days (`system_policy`) and
//! each workspace's additions (`workspaces`), read by token creation (a new
//! token's first look) and by the sweep. Apart from both so that neither
//! depends on the other.

use super::error::*;
use crate::ssr::db::Db;
use sqlx::AnyConnection;
use std::collections::HashMap;
use tokenwarden::warnings::Ladder;

const DAY: i64 = 86_400;

/// The system's ladder and each workspace's additions.
pub struct Ladders {
    pub system: Ladder,
    extra: HashMap<i64, Ladder>,
}

fn stored_ladder(text: &str, which: &str) -> Result<Ladder, StoreError> {
    Ladder::parse(text).map_err(|e| {
        tracing::error!(error = %e, ladder = which, "stored warning days are invalid");
        StoreError::Inconsistent
    })
}

impl Ladders {
    pub async fn read(conn: &mut AnyConnection) -> Result<Ladders, StoreError> {
        let (system,): (String,) = sqlx::query_as("SELECT warning_days FROM system_policy WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, extra_warning_days FROM workspaces WHERE extra_warning_days <> ''")
                .fetch_all(&mut *conn)
                .await?;
        let mut extra = HashMap::new();
        for (id, text) in rows {
            extra.insert(id, stored_ladder(&text, "workspace")?);
        }
        Ok(Ladders {
            system: stored_ladder(&system, "system")?,
            extra,
        })
    }

    /// The ladder a token follows: the system's, plus its workspace's.
    pub fn for_workspace(&self, workspace_id: Option<i64>) -> Ladder {
        match workspace_id.and_then(|id| self.extra.get(&id)) {
            Some(more) => self.system.with(more),
            None => self.system.clone(),
        }
    }

    /// A workspace's own additions (empty when it has none).
    pub fn extra(&self, workspace_id: i64) -> Ladder {
        self.extra
            .get(&workspace_id)
            .cloned()
            .unwrap_or_else(|| Ladder::new([]).expect("empty"))
    }

    /// The most days before expiry any ladder warns at.
    fn longest(&self) -> u32 {
        self.extra
            .values()
            .chain([&self.system])
            .filter_map(|l| l.days().first().copied())
            .max()
            .unwrap_or(0)
    }
}

/// The ladder tokens of `workspace_id` (personal tokens: `None`) follow.
pub async fn ladder_for(db: &Db, workspace_id: Option<i64>) -> Result<Ladder, StoreError> {
    let mut conn = db.pool.acquire().await?;
    Ok(Ladders::read(&mut conn).await?.for_workspace(workspace_id))
}

/// When the sweep should first look at a new token: its first threshold
/// after creation (`None` without an expiry).
pub fn first_check(ladder: &Ladder, created_at: i64, expires_at: Option<i64>) -> Option<i64> {
    let expires_at = expires_at?;
    ladder.next(created_at, created_at, expires_at).map(|(_, at)| at)
}

/// After the ladders changed: tokens look again from the earliest any
/// threshold could fall, so existing tokens follow the current ladder
/// (a sweep that finds nothing due just sets the next look).
pub(super) async fn ladders_changed(
    conn: &mut AnyConnection,
    workspace_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let longest = i64::from(Ladders::read(&mut *conn).await?.longest());
    sqlx::query(
        "UPDATE access_tokens SET next_warning_at = expires_at - $1 WHERE revoked_at IS NULL \
         AND expires_at IS NOT NULL AND expires_at > $2 AND ($3 = 0 OR workspace_id = $4)",
    )
    .bind(longest * DAY)
    .bind(now)
    .bind(workspace_id.is_some() as i64)
    .bind(workspace_id.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}
