//! Slowing down password guessing. Failed sign-ins are recorded in the
//! database (so every app server sharing it sees them) under two subjects:
//! the account name as typed, and the client address. Too many failures for
//! either within the window refuse further attempts until the oldest of
//! them leaves the window, before any password is checked.
//!
//! The account subject is the identifier as typed, not a user id, so
//! unknown names lock exactly like real ones and reveal nothing.

use super::{db::now, Db};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct LockoutPolicy {
    pub window_secs: i64,
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            window_secs: 15 * 60,
            max_failures_per_account: 5,
            max_failures_per_address: 20,
        }
    }
}

fn account_subject(identifier: &str) -> String {
    format!("account:{}", identifier.trim().to_lowercase())
}

fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

/// Seconds until `subject` may try again, if it has used up its failures.
async fn locked_for(db: &Db, subject: &str, max: i64, window: i64) -> Result<Option<u64>, AppError> {
    let now = now();
    let recent: Vec<(i64,)> = sqlx::query_as(
        "SELECT failed_at FROM login_failures WHERE subject = $1 AND failed_at > $2 \
         ORDER BY failed_at DESC LIMIT $3",
    )
    .bind(subject)
    .bind(now - window)
    .bind(max)
    .fetch_all(&db.pool)
    .await?;
    if (recent.len() as i64) < max {
        return Ok(None);
    }
    let oldest = recent.last().map(|r| r.0).unwrap_or(now);
    Ok(Some((oldest + window - now).max(1) as u64))
}

pub async fn check(db: &Db, policy: &LockoutPolicy, identifier: &str, address: &str) -> Result<(), AppError> {
    let by_account = locked_for(
        db,
        &account_subject(identifier),
        policy.max_failures_per_account,
        policy.window_secs,
    )
    .await?;
    let by_address = locked_for(
        db,
        &address_subject(address),
        policy.max_failures_per_address,
        policy.window_secs,
    )
    .await?;
    match by_account.max(by_address) {
        Some(retry_after_secs) => Err(AppError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

pub async fn record_failure(db: &Db, policy: &LockoutPolicy, identifier: &str, address: &str) -> Result<(), AppError> {
    let now = now();
    let mut tx = db.pool.begin().await?;
    for subject in [account_subject(identifier), address_subject(address)] {
        sqlx::query("INSERT INTO login_failures (subject, failed_at) VALUES ($1, $2)")
            .bind(subject)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    // Keep the table small: failures older than the window count for nothing.
    sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
        .bind(now - policy.window_secs)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A successful sign-in forgives the account's failures (not the address's:
/// one valid account must not unlock guessing at others from that address).
pub async fn clear_account(db: &Db, identifier: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_failures WHERE subject = $1")
        .bind(account_subject(identifier))
        .execute(&db.pool)
        .await?;
    Ok(())
}
