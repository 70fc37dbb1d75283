//! Opening the database and bringing its schema up to date.

use crate::config::DatabaseConfig;
use app::ssr::{files, Backend, Db};
use sqlx::{any::AnyPoolOptions, AnyConnection, Connection};
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects and migrates. Errors are single sentences fit for the console.
pub async fn open(config: &DatabaseConfig) -> Result<Db, String> {
    sqlx::any::install_default_drivers();
    let (url, backend) = match config {
        DatabaseConfig::Sqlite { path } => {
            // The data directory 0700 and the database file 0600 (SQLite
            // gives its journal files the database file's mode).
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                files::create_private_dir(dir)
                    .map_err(|e| format!("{e}; set TOKENWARDEN_DATA_DIR to a writable directory"))?;
            }
            files::create_private_file(path)?;
            (format!("sqlite://{}?mode=rwc", path.display()), Backend::Sqlite)
        }
        DatabaseConfig::Postgres { url } => (url.clone(), Backend::Postgres),
    };
    // One direct connection first: a pool reports only "timed out", while
    // this says why (refused, unknown host, bad password, missing database).
    let unreachable = |cause: String| {
        format!(
            "cannot reach the database ({}): {}; check that it is running and that DATABASE_URL is right",
            config.describe(),
            one_line(&cause)
        )
    };
    match tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(&url)).await {
        Err(_) => return Err(unreachable("no answer within 5 seconds".into())),
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
    }
    let pool = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| Box::pin(app::ssr::store::prepare_connection(conn, backend)))
        .connect(&url)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&pool).await.map_err(|e| {
        format!(
            "cannot migrate the database ({}): {}",
            config.describe(),
            one_line(&e.to_string())
        )
    })?;
    Ok(Db { pool, backend })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the database answers a trivial query within two seconds.
pub async fn is_reachable(db: &Db) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), app::ssr::store::ping(db)).await,
        Ok(Ok(_))
    )
}
