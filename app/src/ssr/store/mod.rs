//! Every SQL statement of the app (beside the migrations), one module per
//! kind of record, rows read into named structs. SQL here must run
//! unchanged on SQLite and PostgreSQL (see `db`).

pub mod app_passwords;
pub mod applying;
pub mod audit;
pub mod error;
pub mod ladders;
pub mod last_used;
pub mod policies;
pub mod rotation;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod warnings;
pub mod webhooks;
pub mod workspaces;

pub use error::StoreError;

/// A trivial query: whether the database answers at all (the health check).
pub async fn ping(db: &crate::ssr::Db) -> Result<(), error::StoreError> {
    sqlx::query("SELECT 1").execute(&db.pool).await?;
    Ok(())
}

/// Settings each new connection needs. SQLite: WAL lets readers proceed
/// during a write; the busy timeout makes concurrent writers wait instead of
/// failing; foreign keys are off unless asked for.
pub async fn prepare_connection(
    conn: &mut sqlx::AnyConnection,
    backend: crate::ssr::Backend,
) -> Result<(), sqlx::Error> {
    if backend == crate::ssr::Backend::Sqlite {
        sqlx::Executor::execute(
            conn,
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
        )
        .await?;
    }
    Ok(())
}
