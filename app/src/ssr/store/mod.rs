//! Every SQL statement of the app (beside the migrations), one module per
//! kind of record, rows read into named structs. SQL here must run
//! unchanged on SQLite and PostgreSQL (see `db`).

pub mod app_passwords;
pub mod audit;
pub mod last_used;
pub mod policies;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod workspaces;

/// A trivial query: whether the database answers at all (the health check).
pub async fn ping(db: &crate::ssr::Db) -> Result<(), crate::error::AppError> {
    sqlx::query("SELECT 1").execute(&db.pool).await?;
    Ok(())
}
