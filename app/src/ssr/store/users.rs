use super::error::*;
use crate::{
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

pub async fn count(db: &Db) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&db.pool).await?;
    Ok(n)
}

/// Whether first-run setup has happened (a marker row, written in the same
/// transaction as the first administrator).
pub async fn is_set_up(db: &Db) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM instance WHERE id = 1")
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// A user as the rest of the app sees them (`SqlUser` → `User`, as
/// Leptos's session example has it).
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    email: String,
    display_name: String,
    /// 0 or 1 (SQLite and PostgreSQL alike).
    is_system_admin: i64,
    created_at: i64,
}

impl UserRow {
    fn current(self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            is_system_admin: self.is_system_admin != 0,
        }
    }

    fn summary(self) -> UserSummary {
        UserSummary {
            id: self.id,
            username: self.username,
            email: self.email,
            display_name: self.display_name,
            is_system_admin: self.is_system_admin != 0,
            created_at: self.created_at,
        }
    }
}

/// The columns of [`UserRow`], as a literal so each query is joined at
/// compile time (`current_user` runs on every signed-in request).
macro_rules! select_user {
    ($rest:literal) => {
        concat!(
            "SELECT id, username, email, display_name, is_system_admin, created_at FROM users ",
            $rest
        )
    };
}

pub async fn current_user(db: &Db, id: i64) -> Result<Option<CurrentUser>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(select_user!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(UserRow::current))
}

/// A user with their email (what the REST API shows of a token's owner).
pub async fn summary(db: &Db, id: i64) -> Result<Option<UserSummary>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(select_user!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(UserRow::summary))
}

/// What checking a password needs of a user.
#[derive(sqlx::FromRow)]
pub struct PasswordRow {
    pub id: i64,
    pub password_hash: String,
}

/// The user whose username or email is `identifier`.
pub async fn find_for_login(db: &Db, identifier: &str) -> Result<Option<PasswordRow>, StoreError> {
    let identifier = identifier.trim().to_lowercase();
    Ok(
        sqlx::query_as("SELECT id, password_hash FROM users WHERE username = $1 OR email = $1")
            .bind(identifier)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Whether `name` is user `id`'s username or email (case-insensitive).
pub async fn is_named(db: &Db, id: i64, name: &str) -> Result<bool, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT username, email FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some_and(|(username, email)| username.eq_ignore_ascii_case(name) || email.eq_ignore_ascii_case(name)))
}

pub async fn id_by_username(db: &Db, username: &str) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn insert(conn: &mut AnyConnection, user: &NewUser) -> Result<i64, StoreError> {
    let taken: Option<(String, String)> =
        sqlx::query_as("SELECT username, email FROM users WHERE username = $1 OR email = $2")
            .bind(&user.username)
            .bind(&user.email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((username, _)) = taken {
        return Err(if username == user.username {
            StoreError::Taken(Unique::Username)
        } else {
            StoreError::Taken(Unique::Email)
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
        Err(e) if is_unique_violation(&e) => Err(StoreError::Taken(Unique::UsernameOrEmail)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(db: &Db, user: &NewUser) -> Result<i64, StoreError> {
    let mut conn = db.pool.acquire().await?;
    insert(&mut conn, user).await
}

/// Stores a setup code's hash (see `ssr::setup_code`).
pub async fn add_setup_code(db: &Db, code_hash: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO setup_codes (code_hash, created_at) VALUES ($1, $2) ON CONFLICT (code_hash) DO NOTHING")
        .bind(code_hash)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether a setup code with this hash was issued (and setup not yet done).
pub async fn setup_code_issued(db: &Db, code_hash: &str) -> Result<bool, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT code_hash FROM setup_codes WHERE code_hash = $1")
        .bind(code_hash)
        .fetch_optional(&db.pool)
        .await?;
    // The lookup matched by equality; compare again in constant time so
    // nothing depends on how the database compares.
    Ok(row.is_some_and(|(stored,)| bool::from(subtle::ConstantTimeEq::ct_eq(stored.as_bytes(), code_hash.as_bytes()))))
}

/// Creates the first system administrator, given a setup code's hash the
/// caller checked with [`setup_code_issued`]. Exactly one caller can ever
/// succeed: the instance marker row has a fixed primary key, so a second
/// concurrent setup fails on it and its transaction rolls back whole; the
/// same transaction spends every setup code.
pub async fn create_first_admin(db: &Db, user: &NewUser, code_hash: &str) -> Result<i64, StoreError> {
    let mut tx = db.pool.begin().await?;
    let marked = sqlx::query("INSERT INTO instance (id, set_up_at) VALUES (1, $1)")
        .bind(now())
        .execute(&mut *tx)
        .await;
    match marked {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(StoreError::SetupDone),
        Err(e) => return Err(e.into()),
    }
    let spent = sqlx::query("DELETE FROM setup_codes WHERE code_hash = $1")
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
    if spent.rows_affected() != 1 {
        return Err(StoreError::SetupCodeNotIssued);
    }
    sqlx::query("DELETE FROM setup_codes").execute(&mut *tx).await?;
    let id = insert(&mut tx, user).await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates a system administrator from the command line. Also marks setup
/// as done, so the web setup page closes and its codes stop working.
pub async fn create_admin_from_cli(db: &Db, user: &NewUser) -> Result<i64, StoreError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("INSERT INTO instance (id, set_up_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM setup_codes").execute(&mut *tx).await?;
    let id = insert(&mut tx, user).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(db: &Db) -> Result<Vec<UserSummary>, StoreError> {
    let rows: Vec<UserRow> = sqlx::query_as(select_user!("ORDER BY username"))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(UserRow::summary).collect())
}
