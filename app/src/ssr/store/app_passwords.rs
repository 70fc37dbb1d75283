//! Legacy app passwords and their retirement schedule.
//!
//! Creation re-reads the schedule inside the transaction that inserts, after
//! taking the schedule row's lock (which every schedule change also takes),
//! so no app password is created once creation has closed.

use super::{
    audit::{self, Entry},
    error::{Credential, StoreError},
};
use crate::{
    model::{AppPasswordView, CurrentUser, MigrationRow},
    ssr::db::{now, Db},
};
use chrono::NaiveDate;
use sqlx::AnyConnection;
use tokenwarden::app_passwords::{ClassicScope, Phase, Schedule, MAX_ACTIVE_PER_USER};

fn date(column: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    column
        .map(|d| {
            d.parse().map_err(|e| {
                tracing::error!(error = %e, "stored app password schedule date is invalid");
                StoreError::Inconsistent
            })
        })
        .transpose()
}

async fn read_schedule(conn: &mut AnyConnection) -> Result<Schedule, StoreError> {
    let (closes, cutoff): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT creation_closes_on, cutoff_on FROM app_password_schedule WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(Schedule {
        creation_closes_on: date(closes)?,
        cutoff_on: date(cutoff)?,
    })
}

pub async fn schedule(db: &Db) -> Result<Schedule, StoreError> {
    let mut conn = db.pool.acquire().await?;
    read_schedule(&mut conn).await
}

/// Sets both dates (validated), with an audit entry.
pub async fn set_schedule(
    db: &Db,
    schedule: Schedule,
    actor: &CurrentUser,
    client_addr: &str,
) -> Result<(), StoreError> {
    schedule.validate().map_err(StoreError::Schedule)?;
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE app_password_schedule SET creation_closes_on = $1, cutoff_on = $2, updated_at = $3, updated_by = $4 \
         WHERE id = 1",
    )
    .bind(schedule.creation_closes_on.map(|d| d.to_string()))
    .bind(schedule.cutoff_on.map(|d| d.to_string()))
    .bind(now())
    .bind(actor.id)
    .execute(&mut *tx)
    .await?;
    let shown = |d: Option<NaiveDate>| d.map_or_else(|| "not set".to_string(), |d| d.to_string());
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "app password schedule changed",
            workspace_id: None,
            token_id: None,
            target: "app passwords".into(),
            details: format!(
                "creation closes {}; cutoff {}",
                shown(schedule.creation_closes_on),
                shown(schedule.cutoff_on)
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub struct NewAppPassword<'a> {
    pub user: &'a CurrentUser,
    pub name: String,
    pub scopes: Vec<ClassicScope>,
    /// The argon2id hash, computed before the transaction (it is slow).
    pub password_hash: String,
    pub client_addr: &'a str,
}

pub async fn create(db: &Db, new: NewAppPassword<'_>) -> Result<AppPasswordView, StoreError> {
    let mut tx = db.pool.begin().await?;
    // The schedule row's lock: a schedule change cannot slip in between.
    sqlx::query("UPDATE app_password_schedule SET id = id WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let schedule = read_schedule(&mut tx).await?;
    let phase = schedule.phase(chrono::Utc::now());
    if phase != Phase::Open {
        return Err(StoreError::AppPasswordsClosed(phase));
    }
    let (active,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM app_passwords WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(new.user.id)
            .fetch_one(&mut *tx)
            .await?;
    if active >= MAX_ACTIVE_PER_USER as i64 {
        return Err(StoreError::TooManyAppPasswords);
    }
    let scopes = new.scopes.iter().map(|s| s.id()).collect::<Vec<_>>().join(" ");
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO app_passwords (user_id, name, scopes, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(new.user.id)
    .bind(&new.name)
    .bind(&scopes)
    .bind(&new.password_hash)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Entry {
            actor: new.user.into(),
            client_addr: new.client_addr,
            action: "app password created",
            workspace_id: None,
            token_id: None,
            target: format!("app password #{id} \"{}\" of {}", new.name, new.user.username),
            details: format!("permissions {scopes}"),
        },
    )
    .await?;
    tx.commit().await?;
    find(db, id)
        .await?
        .map(|(_, view)| view)
        .ok_or(StoreError::Inconsistent)
}

/// Every listing reads the same columns, with the owner's names.
const SELECT: &str = "SELECT a.user_id, u.username, u.display_name, a.id, a.name, a.scopes, a.created_at, \
     a.last_used_at, a.last_used_addr, a.last_used_via, a.revoked_at \
     FROM app_passwords a JOIN users u ON u.id = a.user_id";

#[derive(sqlx::FromRow)]
struct Row {
    user_id: i64,
    username: String,
    display_name: String,
    id: i64,
    name: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    last_used_addr: Option<String>,
    last_used_via: Option<String>,
    revoked_at: Option<i64>,
}

impl Row {
    fn view(self) -> AppPasswordView {
        AppPasswordView {
            id: self.id,
            name: self.name,
            scopes: self.scopes.split_whitespace().map(String::from).collect(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            last_used_addr: self.last_used_addr,
            last_used_via: self.last_used_via,
            revoked_at: self.revoked_at,
        }
    }
}

/// An app password and its owner's id.
pub async fn find(db: &Db, id: i64) -> Result<Option<(i64, AppPasswordView)>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| (r.user_id, r.view())))
}

/// A user's app passwords, active ones first, newest first.
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<AppPasswordView>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.user_id = $1 ORDER BY CASE WHEN a.revoked_at IS NULL THEN 0 ELSE 1 END, a.id DESC"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Row::view).collect())
}

/// Every active app password, with its owner, for the migration dashboard.
pub async fn list_active(db: &Db) -> Result<Vec<MigrationRow>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.revoked_at IS NULL ORDER BY u.username, a.id"
    ))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MigrationRow {
            owner_username: r.username.clone(),
            owner_display_name: r.display_name.clone(),
            app_password: r.view(),
        })
        .collect())
}

pub async fn count_active_for_user(db: &Db, user_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM app_passwords WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}

/// Revokes an app password of `owner_id` (the caller has checked who may).
/// Revoking twice is a conflict, not a second revocation.
pub async fn revoke(
    db: &Db,
    id: i64,
    owner_id: i64,
    actor: &CurrentUser,
    client_addr: &str,
) -> Result<AppPasswordView, StoreError> {
    let mut tx = db.pool.begin().await?;
    let result = sqlx::query(
        "UPDATE app_passwords SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND user_id = $4 \
         AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(actor.id)
    .bind(id)
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StoreError::Revoked(Credential::AppPassword));
    }
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "app password revoked",
            workspace_id: None,
            token_id: None,
            target: format!("app password #{id}"),
            details: String::new(),
        },
    )
    .await?;
    tx.commit().await?;
    find(db, id)
        .await?
        .map(|(_, view)| view)
        .ok_or(StoreError::Inconsistent)
}

/// What verifying a presented app password needs: the user's active app
/// passwords, most recently used first (the likeliest match is tried first).
#[derive(sqlx::FromRow)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub scopes: String,
    pub password_hash: String,
    pub created_at: i64,
}

pub async fn candidates(db: &Db, user_id: i64) -> Result<Vec<Candidate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, scopes, password_hash, created_at FROM app_passwords \
         WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY COALESCE(last_used_at, created_at) DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(MAX_ACTIVE_PER_USER as i64)
    .fetch_all(&db.pool)
    .await?)
}
