//! Access tokens: create (policy re-checked in the same transaction),
//! list, edit name and permissions, revoke.

use super::error::*;
use super::{
    audit::{self, Entry},
    ladders, policies, webhooks,
};
use crate::ssr::events::EventBody;
use crate::{
    model::{CreatedToken, CurrentUser, TokenView},
    ssr::{
        db::{now, Db},
        token_keys::TokenKeys,
        TokenSettings,
    },
};
use rand::RngCore;
use sqlx::AnyConnection;
use tokenwarden::webhooks::Event;
use tokenwarden::{
    expiry::{resolve, ExpiryRequest},
    permissions::{PermissionSet, TokenKind},
    policy::EffectivePolicy,
    scope::{Home, Resource},
    token::{PlainToken, SECRET_BYTES},
};

/// The `WHERE` condition selecting the tokens that belong at `home` (alias
/// `t`), with its id.
fn belonging_to(home: Home) -> (&'static str, i64) {
    match home {
        Home::Resource(Resource::Workspace { workspace_id }) => {
            ("t.kind = 'workspace' AND t.workspace_id = $1", workspace_id)
        }
        Home::Resource(Resource::Project { project_id, .. }) => {
            ("t.kind = 'project' AND t.project_id = $1", project_id)
        }
        Home::Resource(Resource::Repository { repository_id, .. }) => {
            ("t.kind = 'repository' AND t.repository_id = $1", repository_id)
        }
        Home::Personal { user_id } => ("t.kind = 'personal' AND t.user_id = $1", user_id),
    }
}

/// Where a token belongs, as its row stores it.
#[derive(sqlx::FromRow)]
pub(super) struct HomeRow {
    kind: String,
    workspace_id: Option<i64>,
    project_id: Option<i64>,
    repository_id: Option<i64>,
    user_id: Option<i64>,
}

impl HomeRow {
    pub(super) fn of(home: Home) -> HomeRow {
        let mut row = HomeRow {
            kind: home.kind().as_str().to_string(),
            workspace_id: home.workspace_id(),
            project_id: None,
            repository_id: None,
            user_id: None,
        };
        match home {
            Home::Resource(Resource::Workspace { .. }) => {}
            Home::Resource(Resource::Project { project_id, .. }) => row.project_id = Some(project_id),
            Home::Resource(Resource::Repository {
                project_id,
                repository_id,
                ..
            }) => {
                row.project_id = Some(project_id);
                row.repository_id = Some(repository_id);
            }
            Home::Personal { user_id } => row.user_id = Some(user_id),
        }
        row
    }

    /// `None` for a row whose columns do not fit its kind.
    pub(super) fn home(&self) -> Option<Home> {
        Some(match TokenKind::parse(&self.kind)? {
            TokenKind::Workspace => Home::Resource(Resource::Workspace {
                workspace_id: self.workspace_id?,
            }),
            TokenKind::Project => Home::Resource(Resource::Project {
                workspace_id: self.workspace_id?,
                project_id: self.project_id?,
            }),
            TokenKind::Repository => Home::Resource(Resource::Repository {
                workspace_id: self.workspace_id?,
                project_id: self.project_id?,
                repository_id: self.repository_id?,
            }),
            TokenKind::Personal => Home::Personal { user_id: self.user_id? },
        })
    }
}

pub struct NewToken<'a> {
    pub home: Home,
    /// Where the token reaches, for the audit log (`acme/WEB/website`).
    pub scope: String,
    pub name: String,
    pub permissions: PermissionSet,
    pub expiry: ExpiryRequest,
    pub actor: &'a CurrentUser,
    pub client_addr: &'a str,
}

/// A token's row as [`insert`] writes it.
pub(super) struct Row<'a> {
    pub home: Home,
    pub name: &'a str,
    /// Space-separated names.
    pub permissions: &'a str,
    pub created_by: Option<i64>,
    pub now: i64,
    pub expires_at: Option<i64>,
    /// The token this one replaces (a rotation).
    pub rotated_from: Option<i64>,
}

/// Makes a secret and stores the token with its keyed hash, on the warning
/// ladder from its first check; returns its id and the secret (shown once).
pub(super) async fn insert(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    row: Row<'_>,
) -> Result<(i64, PlainToken), StoreError> {
    let mut random = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let secret = PlainToken::new(row.home.kind(), random);
    let hashed = keys.hash(&secret);
    let columns = HomeRow::of(row.home);
    let ladder = ladders::Ladders::read(&mut *conn)
        .await?
        .for_workspace(columns.workspace_id);
    let first_check = ladders::first_check(&ladder, row.now, row.expires_at);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO access_tokens (kind, workspace_id, project_id, repository_id, user_id, name, permissions, \
         token_hash, key_id, created_by, created_at, expires_at, next_warning_at, rotated_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(&columns.kind)
    .bind(columns.workspace_id)
    .bind(columns.project_id)
    .bind(columns.repository_id)
    .bind(columns.user_id)
    .bind(row.name)
    .bind(row.permissions)
    .bind(&hashed.hash)
    .bind(&hashed.key_id)
    .bind(row.created_by)
    .bind(row.now)
    .bind(row.expires_at)
    .bind(first_check)
    .bind(row.rotated_from)
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, secret))
}

/// Creates a token. The policy is read and the expiry resolved inside the
/// transaction that inserts it, after taking the policy lock: a forged
/// request or a policy tightened a moment earlier cannot get a token beyond
/// the policy in force when it is stored.
pub async fn create(
    db: &Db,
    keys: &TokenKeys,
    settings: TokenSettings,
    new: NewToken<'_>,
) -> Result<CreatedToken, StoreError> {
    let mut tx = db.pool.begin().await?;
    policies::lock(&mut tx).await?;
    let policy = policies::effective(&mut tx, new.home.workspace_id()).await?;
    let now = chrono::Utc::now();
    let expires_at = resolve(&policy, now, new.expiry)
        .map_err(StoreError::Expiry)?
        .map(|t| t.timestamp());

    let (filter, owner_id) = belonging_to(new.home);
    let (active,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM access_tokens t WHERE {filter} AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) AND (t.stops_at IS NULL OR t.stops_at > $2)"
    ))
    .bind(owner_id)
    .bind(now.timestamp())
    .fetch_one(&mut *tx)
    .await?;
    if active >= settings.max_active_per_owner {
        return Err(StoreError::TooManyTokens {
            home: new.home.kind(),
            limit: settings.max_active_per_owner,
        });
    }

    let permissions = new.permissions.names().join(" ");
    let (id, secret) = insert(
        &mut tx,
        keys,
        Row {
            home: new.home,
            name: &new.name,
            permissions: &permissions,
            created_by: Some(new.actor.id),
            now: now.timestamp(),
            expires_at,
            rotated_from: None,
        },
    )
    .await?;
    let columns = HomeRow::of(new.home);
    announce(&mut tx, id, columns.workspace_id, Event::TokenCreated, now.timestamp()).await?;
    audit::record(
        &mut tx,
        Entry {
            actor: new.actor.into(),
            client_addr: new.client_addr,
            action: "token created",
            workspace_id: columns.workspace_id,
            token_id: Some(id),
            target: format!(
                "{} token #{id} \"{}\" on {}",
                new.home.kind().as_str(),
                new.name,
                new.scope
            ),
            details: format!(
                "permissions {permissions}; expires {}",
                expires_at.map(|t| t.to_string()).unwrap_or_else(|| "never".into())
            ),
        },
    )
    .await?;
    tx.commit().await?;
    let token = find_view(db, id).await?.ok_or(StoreError::Inconsistent)?;
    Ok(CreatedToken {
        token,
        secret: tokenwarden::secret::Secret::new(secret.expose()),
    })
}

const VIEW_SELECT: &str = "SELECT t.id, t.kind, t.name, t.permissions, w.slug AS workspace, p.key AS project, \
     r.slug AS repository, u.username AS owner, t.created_at, c.username AS created_by, \
     CASE WHEN t.kind <> 'personal' AND c.id IS NOT NULL AND c.is_system_admin = 0 AND NOT EXISTS \
       (SELECT 1 FROM workspace_members m WHERE m.workspace_id = t.workspace_id AND m.user_id = c.id) \
       THEN 1 ELSE 0 END AS creator_left, \
     t.expires_at, t.last_used_at, t.last_used_addr, t.last_used_via, t.revoked_at, \
     t.rotated_to, t.rotated_from, t.stops_at \
     FROM access_tokens t \
     LEFT JOIN workspaces w ON w.id = t.workspace_id \
     LEFT JOIN projects p ON p.id = t.project_id \
     LEFT JOIN repositories r ON r.id = t.repository_id \
     LEFT JOIN users u ON u.id = t.user_id \
     LEFT JOIN users c ON c.id = t.created_by";

/// A token as lists show it, with the names of where it belongs.
#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    kind: String,
    name: String,
    permissions: String,
    workspace: Option<String>,
    project: Option<String>,
    repository: Option<String>,
    /// A personal token's user.
    owner: Option<String>,
    created_at: i64,
    created_by: Option<String>,
    creator_left: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    last_used_addr: Option<String>,
    last_used_via: Option<String>,
    revoked_at: Option<i64>,
    rotated_to: Option<i64>,
    rotated_from: Option<i64>,
    stops_at: Option<i64>,
}

impl ViewRow {
    fn view(self) -> Result<TokenView, StoreError> {
        let scope = match (self.workspace, self.project, self.repository, self.owner) {
            (_, _, _, Some(user)) => user,
            (Some(ws), Some(p), Some(r), _) => format!("{ws}/{p}/{r}"),
            (Some(ws), Some(p), None, _) => format!("{ws}/{p}"),
            (Some(ws), None, _, _) => ws,
            _ => String::new(),
        };
        let kind = TokenKind::parse(&self.kind).ok_or_else(|| {
            tracing::error!(token_id = self.id, kind = %self.kind, "stored token has an unknown kind");
            StoreError::Inconsistent
        })?;
        Ok(TokenView {
            id: self.id,
            kind,
            name: self.name,
            permissions: self.permissions.split_whitespace().map(String::from).collect(),
            scope,
            created_at: self.created_at,
            created_by: self.created_by,
            creator_left: self.creator_left != 0,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            last_used_addr: self.last_used_addr,
            last_used_via: self.last_used_via,
            revoked_at: self.revoked_at,
            rotated_to: self.rotated_to,
            rotated_from: self.rotated_from,
            stops_at: self.stops_at,
        })
    }
}

/// Queues `event` about token `id` (of `workspace_id`) for the webhooks
/// that want it, in the caller's transaction.
pub(super) async fn announce(
    conn: &mut AnyConnection,
    id: i64,
    workspace_id: Option<i64>,
    event: Event,
    now: i64,
) -> Result<(), StoreError> {
    let subscriptions = webhooks::subscriptions(&mut *conn).await?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    for view in views(&mut *conn, &[id]).await? {
        let body = EventBody::token(event, &view, now);
        webhooks::enqueue_to(&mut *conn, &subscriptions, workspace_id, event, &body, now).await?;
    }
    Ok(())
}

/// The tokens with these ids, in the caller's transaction (any order).
pub(super) async fn views(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<TokenView>, StoreError> {
    let mut all = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{VIEW_SELECT} WHERE t.id IN ({})", list.join(", "));
        let mut query = sqlx::query_as::<_, ViewRow>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            all.push(row.view()?);
        }
    }
    Ok(all)
}

pub async fn find_view(db: &Db, id: i64) -> Result<Option<TokenView>, StoreError> {
    let row: Option<ViewRow> = sqlx::query_as(&format!("{VIEW_SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(ViewRow::view).transpose()
}

/// The tokens that belong at `home`, newest first, revoked ones included.
pub async fn list(db: &Db, home: Home) -> Result<Vec<TokenView>, StoreError> {
    let (filter, id) = belonging_to(home);
    list_where(db, filter, &[id]).await
}

/// Active tokens the policy would not allow if they were created now: no
/// expiry where one is required, or expiring later than the longest allowed
/// (not those already rotated away: their successors follow the policy).
/// Only the workspace's tokens when `workspace_id` is given; else every
/// token, measured against the system policy.
pub async fn beyond_policy(
    db: &Db,
    workspace_id: Option<i64>,
    policy: &EffectivePolicy,
) -> Result<Vec<TokenView>, StoreError> {
    let now = now();
    let latest = now + i64::from(policy.max_days) * 86_400;
    let no_expiry_counts = !policy.allows_no_expiry() as i64;
    list_where(
        db,
        "t.revoked_at IS NULL AND t.rotated_to IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1) \
         AND ((t.expires_at IS NULL AND $2 = 1) OR t.expires_at > $3) AND ($4 = 0 OR t.workspace_id = $5)",
        &[
            now,
            no_expiry_counts,
            latest,
            workspace_id.is_some() as i64,
            workspace_id.unwrap_or(0),
        ],
    )
    .await
}

/// Tokens matching `condition` (on alias `t`, parameters `$1`… bound from
/// `params` in order), newest first.
async fn list_where(db: &Db, condition: &str, params: &[i64]) -> Result<Vec<TokenView>, StoreError> {
    let sql = format!("{VIEW_SELECT} WHERE {condition} ORDER BY t.created_at DESC, t.id DESC");
    let mut query = sqlx::query_as::<_, ViewRow>(&sql);
    for p in params {
        query = query.bind(*p);
    }
    query
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(ViewRow::view)
        .collect()
}

/// Where a token belongs, for authorizing changes to it.
pub async fn home_of(db: &Db, id: i64) -> Result<Option<Home>, StoreError> {
    let row: Option<HomeRow> = sqlx::query_as(
        "SELECT kind, workspace_id, project_id, repository_id, user_id FROM access_tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().and_then(HomeRow::home))
}

/// A token as authentication reads it: found by its keyed hash.
#[derive(sqlx::FromRow)]
struct CredentialRow {
    id: i64,
    #[sqlx(flatten)]
    home: HomeRow,
    name: String,
    permissions: String,
    token_hash: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    rotated_to: Option<i64>,
    stops_at: Option<i64>,
    created_by: Option<i64>,
}

/// A stored token, as the request that presents it needs it.
pub struct StoredToken {
    pub id: i64,
    pub home: Home,
    pub name: String,
    pub permissions: Vec<String>,
    /// The keyed hash the row was found by, to compare in constant time.
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Set once rotated: its successor, and when it stops.
    pub rotated_to: Option<i64>,
    pub stops_at: Option<i64>,
    pub created_by: Option<i64>,
}

/// The token whose keyed hash is `hash` (one indexed lookup).
pub async fn find_by_hash(db: &Db, hash: &str) -> Result<Option<StoredToken>, StoreError> {
    let row: Option<CredentialRow> = sqlx::query_as(
        "SELECT id, kind, name, permissions, workspace_id, project_id, repository_id, user_id, \
         token_hash, created_at, expires_at, revoked_at, rotated_to, stops_at, created_by \
         FROM access_tokens WHERE token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let home = row.home.home().ok_or_else(|| {
        tracing::error!(token_id = row.id, kind = %row.home.kind, "stored token's place does not fit its kind");
        StoreError::Inconsistent
    })?;
    Ok(Some(StoredToken {
        id: row.id,
        home,
        name: row.name,
        permissions: row.permissions.split_whitespace().map(String::from).collect(),
        token_hash: row.token_hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        rotated_to: row.rotated_to,
        stops_at: row.stops_at,
        created_by: row.created_by,
    }))
}

/// Changes name and permissions; the expiry never changes.
pub async fn update(
    db: &Db,
    id: i64,
    name: &str,
    permissions: &PermissionSet,
    actor: &CurrentUser,
    client_addr: &str,
) -> Result<TokenView, StoreError> {
    let mut tx = db.pool.begin().await?;
    // Write first: the token's row lock (PostgreSQL) or the write lock
    // (SQLite, which cannot turn a transaction that has read into one that
    // writes once another connection has written meanwhile).
    sqlx::query("UPDATE access_tokens SET name = name WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    /// What an edit changes, and what it needs to know.
    #[derive(sqlx::FromRow)]
    struct Before {
        name: String,
        permissions: String,
        revoked_at: Option<i64>,
        workspace_id: Option<i64>,
    }
    let before: Option<Before> =
        sqlx::query_as("SELECT name, permissions, revoked_at, workspace_id FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(Before {
        name: old_name,
        permissions: old_permissions,
        revoked_at,
        workspace_id,
    }) = before
    else {
        return Err(StoreError::NotFound(Record::Token));
    };
    if revoked_at.is_some() {
        return Err(StoreError::Revoked(Credential::EditedToken));
    }
    let names = permissions.names().join(" ");
    sqlx::query("UPDATE access_tokens SET name = $1, permissions = $2 WHERE id = $3")
        .bind(name)
        .bind(&names)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "token edited",
            workspace_id,
            token_id: Some(id),
            target: format!("token #{id}"),
            details: format!("name \"{old_name}\" → \"{name}\"; permissions {old_permissions} → {names}"),
        },
    )
    .await?;
    tx.commit().await?;
    find_view(db, id).await?.ok_or(StoreError::Inconsistent)
}

pub async fn revoke(db: &Db, id: i64, actor: &CurrentUser, client_addr: &str) -> Result<TokenView, StoreError> {
    let mut tx = db.pool.begin().await?;
    let revoked = sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1, revoked_by = $2, next_warning_at = NULL \
             WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(actor.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if revoked.rows_affected() == 0 {
        return Err(StoreError::Revoked(Credential::Token));
    }
    let (name, workspace_id): (String, Option<i64>) =
        sqlx::query_as("SELECT name, workspace_id FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "token revoked",
            workspace_id,
            token_id: Some(id),
            target: format!("token #{id} \"{name}\""),
            details: String::new(),
        },
    )
    .await?;
    announce(&mut tx, id, workspace_id, Event::TokenRevoked, now()).await?;
    tx.commit().await?;
    find_view(db, id).await?.ok_or(StoreError::Inconsistent)
}
