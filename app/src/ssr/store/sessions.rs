//! Web sessions: rows keyed by the SHA-256 of the cookie's token (the
//! token itself is never stored).

use super::StoreError;
use crate::ssr::db::Db;

/// A session about to start.
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub now: i64,
    pub expires_at: i64,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

/// A session that has not reached its end.
#[derive(sqlx::FromRow)]
pub struct LiveSession {
    pub id: i64,
    pub user_id: i64,
    pub last_seen_at: i64,
}

pub async fn insert(db: &Db, new: NewSession<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_addr, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.token_hash)
    .bind(new.user_id)
    .bind(new.now)
    .bind(new.now)
    .bind(new.expires_at)
    .bind(new.client_addr)
    .bind(new.user_agent)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The session with this token hash, unless it expired before `now`.
pub async fn find_live(db: &Db, token_hash: &str, now: i64) -> Result<Option<LiveSession>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, user_id, last_seen_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn delete(db: &Db, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete_by_token_hash(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Notes that the session was seen at `now`.
pub async fn touch(db: &Db, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
