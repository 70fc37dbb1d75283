//! "Last used" columns of tokens and app passwords, written in batches
//! (see `ssr::last_used` for when and why).

use super::StoreError;
use crate::ssr::db::Db;

/// Whose row a use goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsedBy {
    Token(i64),
    AppPassword(i64),
}

/// One use to write.
pub struct UseRow<'a> {
    pub by: UsedBy,
    pub at: i64,
    pub addr: &'a str,
    /// `rest` or `git`.
    pub via: &'a str,
}

/// What became of a use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Yes,
    /// Not written; the row holds this use time (another app server wrote
    /// in the last minute, or a later use is stored).
    No {
        stored: Option<i64>,
    },
    /// The credential is gone.
    Gone,
}

/// One transaction for the batch, at `now` (Unix seconds). A row written in
/// the last minute is left alone unless `whatever_the_minute`; a use never
/// replaces a later one (another app server may have written it).
pub async fn write(
    db: &Db,
    uses: &[UseRow<'_>],
    now: i64,
    whatever_the_minute: bool,
) -> Result<Vec<Written>, StoreError> {
    let minute = if whatever_the_minute {
        ""
    } else {
        " AND (last_used_written_at IS NULL OR last_used_written_at <= $5 - 60)"
    };
    let mut outcomes = Vec::with_capacity(uses.len());
    let mut tx = db.pool.begin().await?;
    for used in uses {
        let (table, id) = match used.by {
            UsedBy::Token(id) => ("access_tokens", id),
            UsedBy::AppPassword(id) => ("app_passwords", id),
        };
        let result = sqlx::query(&format!(
            "UPDATE {table} SET last_used_at = $1, last_used_addr = $2, last_used_via = $3, \
             last_used_written_at = $5 WHERE id = $4 AND (last_used_at IS NULL OR last_used_at <= $1){minute}"
        ))
        .bind(used.at)
        .bind(used.addr)
        .bind(used.via)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() == 1 {
            outcomes.push(Written::Yes);
            continue;
        }
        let stored: Option<(Option<i64>,)> = sqlx::query_as(&format!("SELECT last_used_at FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        outcomes.push(match stored {
            Some((stored,)) => Written::No { stored },
            None => Written::Gone,
        });
    }
    tx.commit().await?;
    Ok(outcomes)
}
