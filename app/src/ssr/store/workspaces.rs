//! Workspaces, projects, repositories and the roles users hold in them.

use super::error::*;
use crate::{
    model::{CurrentUser, MemberView, ProjectView, RepositoryView, WorkspaceSummary, WorkspaceView},
    ssr::db::{is_unique_violation, now, Db},
};
use tokenwarden::{
    access::{Standing, WorkspaceRole},
    Access, Grants, Role,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

pub async fn find(db: &Db, slug: &str) -> Result<Option<Workspace>, StoreError> {
    Ok(sqlx::query_as("SELECT id, slug, name FROM workspaces WHERE slug = $1")
        .bind(slug.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?)
}

/// Creates a workspace with `admin_id` as its first admin, in one transaction.
pub async fn create(db: &Db, slug: &str, name: &str, admin_id: i64, created_by: i64) -> Result<i64, StoreError> {
    let mut tx = db.pool.begin().await?;
    let inserted: Result<(i64,), _> = sqlx::query_as(
        "INSERT INTO workspaces (slug, name, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(now())
    .bind(created_by)
    .fetch_one(&mut *tx)
    .await;
    let (id,) = match inserted {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => return Err(StoreError::Taken(Unique::WorkspaceSlug)),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'admin', $3)")
        .bind(id)
        .bind(admin_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Everything that decides `user`'s access inside workspace `workspace_id`.
pub async fn grants(db: &Db, user: &CurrentUser, workspace_id: i64) -> Result<Grants, StoreError> {
    let membership: Option<(String,)> =
        sqlx::query_as("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user.id)
            .fetch_optional(&db.pool)
            .await?;
    let projects: Vec<(i64,)> = sqlx::query_as(
        "SELECT pa.project_id FROM project_admins pa JOIN projects p ON p.id = pa.project_id \
         WHERE p.workspace_id = $1 AND pa.user_id = $2",
    )
    .bind(workspace_id)
    .bind(user.id)
    .fetch_all(&db.pool)
    .await?;
    let repositories: Vec<(i64,)> = sqlx::query_as(
        "SELECT ra.repository_id FROM repository_admins ra JOIN repositories r ON r.id = ra.repository_id \
         WHERE r.workspace_id = $1 AND ra.user_id = $2",
    )
    .bind(workspace_id)
    .bind(user.id)
    .fetch_all(&db.pool)
    .await?;
    Ok(Grants {
        system_admin: user.is_system_admin,
        workspace_role: membership.and_then(|(role,)| WorkspaceRole::parse(&role)),
        admin_of_projects: projects.into_iter().map(|r| r.0).collect(),
        admin_of_repositories: repositories.into_iter().map(|r| r.0).collect(),
    })
}

/// The workspaces `user` can see: all of them for system admins, else those
/// they are a member of.
pub async fn list_for(db: &Db, user: &CurrentUser) -> Result<Vec<WorkspaceSummary>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = if user.is_system_admin {
        sqlx::query_as(
            "SELECT w.slug, w.name, m.role FROM workspaces w \
             LEFT JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $1 ORDER BY w.name",
        )
        .bind(user.id)
        .fetch_all(&db.pool)
        .await?
    } else {
        sqlx::query_as(
            "SELECT w.slug, w.name, m.role FROM workspaces w \
             JOIN workspace_members m ON m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY w.name",
        )
        .bind(user.id)
        .fetch_all(&db.pool)
        .await?
    };
    Ok(rows
        .into_iter()
        .map(|(slug, name, role)| {
            let grants = Grants {
                system_admin: user.is_system_admin,
                workspace_role: role.as_deref().and_then(WorkspaceRole::parse),
                ..Grants::default()
            };
            WorkspaceSummary {
                slug,
                name,
                access: grants.workspace(),
            }
        })
        .collect())
}

/// Every workspace, by slug.
pub async fn all(db: &Db) -> Result<Vec<Workspace>, StoreError> {
    Ok(sqlx::query_as("SELECT id, slug, name FROM workspaces ORDER BY slug")
        .fetch_all(&db.pool)
        .await?)
}

/// A project, as the REST API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: i64,
    pub key: String,
    pub name: String,
}

/// A repository, as the REST API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RepositoryRow {
    pub id: i64,
    pub project_id: i64,
    pub slug: String,
    pub name: String,
}

/// A workspace's projects by key and repositories by slug, whoever asks.
pub async fn layout(db: &Db, workspace_id: i64) -> Result<(Vec<ProjectRow>, Vec<RepositoryRow>), StoreError> {
    let projects = sqlx::query_as("SELECT id, key, name FROM projects WHERE workspace_id = $1 ORDER BY key")
        .bind(workspace_id)
        .fetch_all(&db.pool)
        .await?;
    let repositories =
        sqlx::query_as("SELECT id, project_id, slug, name FROM repositories WHERE workspace_id = $1 ORDER BY slug")
            .bind(workspace_id)
            .fetch_all(&db.pool)
            .await?;
    Ok((projects, repositories))
}

/// The slugs of the workspaces that have a project with this key.
pub async fn with_project_key(db: &Db, key: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT w.slug FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE p.key = $1 ORDER BY w.slug",
    )
    .bind(key.trim().to_uppercase())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(slug,)| slug).collect())
}

/// Renames a repository (its slug, used in URLs, stays).
pub async fn rename_repository(db: &Db, repository_id: i64, name: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE repositories SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(repository_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The workspace as `grants` let its holder see it.
pub async fn view(db: &Db, workspace: &Workspace, grants: &Grants) -> Result<WorkspaceView, StoreError> {
    let (projects, repositories) = layout(db, workspace.id).await?;
    let projects = projects
        .into_iter()
        .filter(|p| grants.project(p.id).can_read())
        .map(|p| ProjectView {
            id: p.id,
            access: grants.project(p.id),
            repositories: repositories
                .iter()
                .filter(|r| r.project_id == p.id && grants.repository(p.id, r.id).can_read())
                .map(|r| RepositoryView {
                    id: r.id,
                    slug: r.slug.clone(),
                    name: r.name.clone(),
                    access: grants.repository(p.id, r.id),
                })
                .collect(),
            key: p.key,
            name: p.name,
        })
        .collect();
    Ok(WorkspaceView {
        slug: workspace.slug.clone(),
        name: workspace.name.clone(),
        access: grants.workspace(),
        can_open_settings: grants.administers_anything(),
        projects,
    })
}

pub async fn project_id(db: &Db, workspace_id: i64, key: &str) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM projects WHERE workspace_id = $1 AND key = $2")
        .bind(workspace_id)
        .bind(key.trim().to_uppercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// The repository's id and its project's id.
pub async fn repository_ids(db: &Db, workspace_id: i64, slug: &str) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, project_id FROM repositories WHERE workspace_id = $1 AND slug = $2")
            .bind(workspace_id)
            .bind(slug.trim().to_lowercase())
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn create_project(db: &Db, workspace_id: i64, key: &str, name: &str) -> Result<i64, StoreError> {
    let inserted: Result<(i64,), _> = sqlx::query_as(
        "INSERT INTO projects (workspace_id, key, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(workspace_id)
    .bind(key)
    .bind(name)
    .bind(now())
    .fetch_one(&db.pool)
    .await;
    match inserted {
        Ok((id,)) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Taken(Unique::ProjectKey)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_repository(
    db: &Db,
    workspace_id: i64,
    project_id: i64,
    slug: &str,
    name: &str,
) -> Result<i64, StoreError> {
    let inserted: Result<(i64,), _> = sqlx::query_as(
        "INSERT INTO repositories (workspace_id, project_id, slug, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(workspace_id)
    .bind(project_id)
    .bind(slug)
    .bind(name)
    .bind(now())
    .fetch_one(&db.pool)
    .await;
    match inserted {
        Ok((id,)) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Taken(Unique::RepositorySlug)),
        Err(e) => Err(e.into()),
    }
}

pub async fn members(db: &Db, workspace_id: i64) -> Result<Vec<MemberView>, StoreError> {
    /// A member and the role of their membership.
    #[derive(sqlx::FromRow)]
    struct MemberRow {
        user_id: i64,
        username: String,
        display_name: String,
        role: String,
    }
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.username, u.display_name, m.role FROM workspace_members m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.username",
    )
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    let project_grants: Vec<(i64, String)> = sqlx::query_as(
        "SELECT pa.user_id, p.key FROM project_admins pa JOIN projects p ON p.id = pa.project_id \
         WHERE p.workspace_id = $1 ORDER BY p.key",
    )
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    let repository_grants: Vec<(i64, String)> = sqlx::query_as(
        "SELECT ra.user_id, r.slug FROM repository_admins ra JOIN repositories r ON r.id = ra.repository_id \
         WHERE r.workspace_id = $1 ORDER BY r.slug",
    )
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| MemberView {
            user_id: row.user_id,
            workspace_admin: WorkspaceRole::parse(&row.role) == Some(WorkspaceRole::Admin),
            admin_of_projects: project_grants
                .iter()
                .filter(|g| g.0 == row.user_id)
                .map(|g| g.1.clone())
                .collect(),
            admin_of_repositories: repository_grants
                .iter()
                .filter(|g| g.0 == row.user_id)
                .map(|g| g.1.clone())
                .collect(),
            username: row.username,
            display_name: row.display_name,
        })
        .collect())
}

/// Where a granted role applies.
pub enum RoleTarget {
    Workspace,
    Project(i64),
    Repository(i64),
}

/// Takes the workspace's row lock (the write lock in SQLite) first in a
/// transaction that changes its members: two changes cannot both see the
/// other admin and leave the workspace with none, and SQLite never has to
/// turn a reading transaction into a writing one (which fails at once).
async fn lock_workspace(tx: &mut sqlx::AnyConnection, workspace_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(workspace_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Gives `user_id` a role in the workspace, making them a member first if
/// they are not one. All in one transaction.
pub async fn grant(db: &Db, workspace_id: i64, user_id: i64, role: Role, target: RoleTarget) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    lock_workspace(&mut tx, workspace_id).await?;
    let now = now();
    match role {
        Role::WorkspaceAdmin | Role::Member => {
            let new_role = if role == Role::WorkspaceAdmin {
                WorkspaceRole::Admin
            } else {
                WorkspaceRole::Member
            };
            if new_role == WorkspaceRole::Member {
                refuse_removing_last_admin(&mut tx, workspace_id, user_id).await?;
            }
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(workspace_id)
            .bind(user_id)
            .bind(new_role.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Role::ProjectAdmin | Role::RepositoryAdmin => {
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'member', $3) \
                 ON CONFLICT (workspace_id, user_id) DO NOTHING",
            )
            .bind(workspace_id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let (sql, id) = match target {
                RoleTarget::Project(id) => (
                    "INSERT INTO project_admins (project_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    id,
                ),
                RoleTarget::Repository(id) => (
                    "INSERT INTO repository_admins (repository_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    id,
                ),
                RoleTarget::Workspace => return Err(StoreError::RoleNeedsTarget),
            };
            sqlx::query(sql)
                .bind(id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn refuse_removing_last_admin(
    tx: &mut sqlx::AnyConnection,
    workspace_id: i64,
    user_id: i64,
) -> Result<(), StoreError> {
    let admins: Vec<(i64,)> =
        sqlx::query_as("SELECT user_id FROM workspace_members WHERE workspace_id = $1 AND role = 'admin'")
            .bind(workspace_id)
            .fetch_all(&mut *tx)
            .await?;
    if admins.len() == 1 && admins[0].0 == user_id {
        return Err(StoreError::LastAdmin);
    }
    Ok(())
}

/// Removes `user_id` from the workspace with every role they held in it.
pub async fn remove_member(db: &Db, workspace_id: i64, user_id: i64) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    lock_workspace(&mut tx, workspace_id).await?;
    refuse_removing_last_admin(&mut tx, workspace_id, user_id).await?;
    sqlx::query("DELETE FROM project_admins WHERE user_id = $1 AND project_id IN (SELECT id FROM projects WHERE workspace_id = $2)")
        .bind(user_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM repository_admins WHERE user_id = $1 AND repository_id IN (SELECT id FROM repositories WHERE workspace_id = $2)",
    )
    .bind(user_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    let removed = sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(StoreError::NotFound(Record::Member));
    }
    tx.commit().await?;
    Ok(())
}

/// Access `user` has to the workspace `slug`, with the workspace. A
/// workspace the user cannot see is reported as not found, so its
/// existence is not revealed.
pub async fn open(db: &Db, user: &CurrentUser, slug: &str) -> Result<(Workspace, Grants), StoreError> {
    let not_found = || StoreError::NotFound(Record::Workspace);
    let workspace = find(db, slug).await?.ok_or_else(not_found)?;
    let grants = grants(db, user, workspace.id).await?;
    if grants.workspace() == Access::None {
        return Err(not_found());
    }
    Ok((workspace, grants))
}

/// The roles `user` holds across all workspaces, from which
/// [`Standing::best_access`] decides the most a personal token may carry.
pub async fn standing(db: &Db, user: &CurrentUser) -> Result<Standing, StoreError> {
    let roles: Vec<(String,)> = sqlx::query_as("SELECT role FROM workspace_members WHERE user_id = $1")
        .bind(user.id)
        .fetch_all(&db.pool)
        .await?;
    let (projects,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM project_admins WHERE user_id = $1")
        .bind(user.id)
        .fetch_one(&db.pool)
        .await?;
    let (repositories,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM repository_admins WHERE user_id = $1")
        .bind(user.id)
        .fetch_one(&db.pool)
        .await?;
    Ok(Standing {
        system_admin: user.is_system_admin,
        workspace_roles: roles.iter().filter_map(|(role,)| WorkspaceRole::parse(role)).collect(),
        administers_a_project: projects > 0,
        administers_a_repository: repositories > 0,
    })
}
