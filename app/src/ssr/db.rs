//! One database handle for both backends. Queries are written once, in SQL
//! that SQLite and PostgreSQL both accept (`$1` placeholders, integer flags,
//! Unix-second timestamps), and run through sqlx's `Any` driver.

use sqlx::AnyPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// The current time as Unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether a write failed because a unique constraint already holds the value.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
