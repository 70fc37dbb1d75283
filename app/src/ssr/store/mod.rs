//! Queries, one module per kind of record. SQL here must run unchanged on
//! SQLite and PostgreSQL (see `db`).

pub mod app_passwords;
pub mod audit;
pub mod policies;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod workspaces;
