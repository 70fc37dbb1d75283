//! Throttle buckets, and the addresses each account has signed in from.
//! The rules (what counts, how long to wait) are in `ssr::throttle`.

use super::StoreError;
use crate::ssr::db::Db;
use sqlx::AnyConnection;

/// One bucket as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Bucket {
    pub failures: i64,
    pub last_at: i64,
    pub next_at: i64,
}

/// Reads `bucket` (an empty one if it is new) and holds its row lock until
/// the transaction ends: a row lock in PostgreSQL, the write lock in
/// SQLite. Callers lock several buckets in sorted order, so two attempts
/// never wait on each other in a circle.
pub async fn lock(conn: &mut AnyConnection, bucket: &str) -> Result<Bucket, StoreError> {
    Ok(sqlx::query_as(
        "INSERT INTO throttle_buckets (bucket, failures, last_at, next_at) VALUES ($1, 0, 0, 0) \
         ON CONFLICT (bucket) DO UPDATE SET failures = throttle_buckets.failures \
         RETURNING failures, last_at, next_at",
    )
    .bind(bucket)
    .fetch_one(conn)
    .await?)
}

/// The latest `next_at` of `buckets`, read without locking: a cheap first
/// look (a refusal needs no write), never the decision itself.
pub async fn latest_next_at(db: &Db, buckets: &[String]) -> Result<i64, StoreError> {
    let mut latest = 0;
    for bucket in buckets {
        let row: Option<(i64,)> = sqlx::query_as("SELECT next_at FROM throttle_buckets WHERE bucket = $1")
            .bind(bucket)
            .fetch_optional(&db.pool)
            .await?;
        latest = latest.max(row.map_or(0, |r| r.0));
    }
    Ok(latest)
}

pub async fn store(conn: &mut AnyConnection, bucket: &str, state: &Bucket) -> Result<(), StoreError> {
    sqlx::query("UPDATE throttle_buckets SET failures = $1, last_at = $2, next_at = $3 WHERE bucket = $4")
        .bind(state.failures)
        .bind(state.last_at)
        .bind(state.next_at)
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, bucket: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM throttle_buckets WHERE bucket = $1")
        .bind(bucket)
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops buckets whose last attempt was before `before` and that hold no
/// one back any more.
pub async fn forget_before(db: &Db, before: i64, now: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM throttle_buckets WHERE last_at < $1 AND next_at <= $2")
        .bind(before)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Whether `user_id` signed in from `address` at or after `since`.
pub async fn signed_in_from(db: &Db, user_id: i64, address: &str, since: i64) -> Result<bool, StoreError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT last_at FROM sign_in_addresses WHERE user_id = $1 AND address = $2 AND last_at >= $3")
            .bind(user_id)
            .bind(address)
            .bind(since)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

pub async fn remember_sign_in(db: &Db, user_id: i64, address: &str, at: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sign_in_addresses (user_id, address, last_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, address) DO UPDATE SET last_at = excluded.last_at",
    )
    .bind(user_id)
    .bind(address)
    .bind(at)
    .execute(&db.pool)
    .await?;
    Ok(())
}
