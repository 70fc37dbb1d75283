use crate::{
    error::AppError,
    model::{CurrentUser, UserSummary},
    ssr::db::{is_unique_violation, now, Db},
};
use sqlx::AnyConnection;

/// A user about to be stored; the password is already hashed.
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_system_admin: bool,
}

pub async fn count(db: &Db) -> Result<i64, AppError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&db.pool).await?;
    Ok(n)
}

/// Whether first-run setup has happened (a marker row, written in the same
/// transaction as the first administrator).
pub async fn is_set_up(db: &Db) -> Result<bool, AppError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM instance WHERE id = 1")
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

pub async fn current_user(db: &Db, id: i64) -> Result<Option<CurrentUser>, AppError> {
    let row: Option<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, username, display_name, is_system_admin FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(id, username, display_name, admin)| CurrentUser {
        id,
        username,
        display_name,
        is_system_admin: admin != 0,
    }))
}

/// The id and password hash of the user whose username or email is `identifier`.
pub async fn find_for_login(db: &Db, identifier: &str) -> Result<Option<(i64, String)>, AppError> {
    let identifier = identifier.trim().to_lowercase();
    Ok(
        sqlx::query_as("SELECT id, password_hash FROM users WHERE username = $1 OR email = $1")
            .bind(identifier)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn id_by_username(db: &Db, username: &str) -> Result<Option<i64>, AppError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn insert(conn: &mut AnyConnection, user: &NewUser) -> Result<i64, AppError> {
    let taken: Option<(String, String)> =
        sqlx::query_as("SELECT username, email FROM users WHERE username = $1 OR email = $2")
            .bind(&user.username)
            .bind(&user.email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((username, _)) = taken {
        return Err(if username == user.username {
            AppError::invalid("username", "is already taken")
        } else {
            AppError::invalid("email", "is already used by another account")
        });
    }
    let result: Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO users (username, email, display_name, password_hash, is_system_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.password_hash)
    .bind(user.is_system_admin as i64)
    .bind(now())
    .fetch_one(&mut *conn)
    .await;
    match result {
        Ok((id,)) => Ok(id),
        // Lost a race with a concurrent insert of the same name.
        Err(e) if is_unique_violation(&e) => Err(AppError::invalid("username", "or email is already taken")),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(db: &Db, user: &NewUser) -> Result<i64, AppError> {
    let mut conn = db.pool.acquire().await?;
    insert(&mut conn, user).await
}

/// Creates the first system administrator. Exactly one caller can ever
/// succeed: the instance marker row has a fixed primary key, so a second
/// concurrent setup fails on it and its transaction rolls back whole.
pub async fn create_first_admin(db: &Db, user: &NewUser) -> Result<i64, AppError> {
    let mut tx = db.pool.begin().await?;
    let marked = sqlx::query("INSERT INTO instance (id, set_up_at) VALUES (1, $1)")
        .bind(now())
        .execute(&mut *tx)
        .await;
    match marked {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict("Setup is already complete: sign in instead.".into()))
        }
        Err(e) => return Err(e.into()),
    }
    let id = insert(&mut tx, user).await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates a system administrator from the command line. Also marks setup
/// as done, so the web setup page closes.
pub async fn create_admin_from_cli(db: &Db, user: &NewUser) -> Result<i64, AppError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("INSERT INTO instance (id, set_up_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(now())
        .execute(&mut *tx)
        .await?;
    let id = insert(&mut tx, user).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(db: &Db) -> Result<Vec<UserSummary>, AppError> {
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, username, email, display_name, is_system_admin, created_at FROM users ORDER BY username",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, email, display_name, admin, created_at)| UserSummary {
            id,
            username,
            email,
            display_name,
            is_system_admin: admin != 0,
            created_at,
        })
        .collect())
}
