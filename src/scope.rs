//! What an access token may do to one resource. Three limits meet:
//! - its reach: a workspace token stays in its workspace, a project token in
//!   its project and that project's repositories, a repository token in its
//!   repository (never a sibling); a personal token goes wherever its user goes;
//! - its permissions for that kind of resource (WORKSPACE_*, PROJECT_*, REPO_*);
//! - for a personal token, its user's own access there *now*: a user who
//!   loses a role takes their tokens' rights with them.

use crate::{
    access::Access,
    permissions::{Group, Level, Permission, PermissionSet, TokenKind},
};

/// A workspace, project or repository, by database ids: where a resource
/// sits, or where a (non-personal) token belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Workspace {
        workspace_id: i64,
    },
    Project {
        workspace_id: i64,
        project_id: i64,
    },
    Repository {
        workspace_id: i64,
        project_id: i64,
        repository_id: i64,
    },
}

impl Resource {
    pub fn workspace_id(self) -> i64 {
        match self {
            Resource::Workspace { workspace_id }
            | Resource::Project { workspace_id, .. }
            | Resource::Repository { workspace_id, .. } => workspace_id,
        }
    }

    fn group(self) -> Group {
        match self {
            Resource::Workspace { .. } => Group::Workspace,
            Resource::Project { .. } => Group::Project,
            Resource::Repository { .. } => Group::Repository,
        }
    }
}

/// Where a token belongs, by database ids: a resource, or a user (a
/// personal token). What a place named by a user or a path (`place::Place`)
/// resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Resource(Resource),
    Personal { user_id: i64 },
}

impl Home {
    pub fn kind(self) -> TokenKind {
        match self {
            Home::Resource(Resource::Workspace { .. }) => TokenKind::Workspace,
            Home::Resource(Resource::Project { .. }) => TokenKind::Project,
            Home::Resource(Resource::Repository { .. }) => TokenKind::Repository,
            Home::Personal { .. } => TokenKind::Personal,
        }
    }

    /// The workspace a non-personal token lives in.
    pub fn workspace_id(self) -> Option<i64> {
        match self {
            Home::Resource(r) => Some(r.workspace_id()),
            Home::Personal { .. } => None,
        }
    }
}

/// Whether a token that belongs at `home` reaches `target` at all.
pub fn reaches(home: Home, target: Resource) -> bool {
    let Home::Resource(home) = home else {
        return true;
    };
    match (home, target) {
        (Resource::Workspace { workspace_id }, t) => t.workspace_id() == workspace_id,
        (Resource::Project { project_id, .. }, Resource::Project { project_id: p, .. })
        | (Resource::Project { project_id, .. }, Resource::Repository { project_id: p, .. }) => p == project_id,
        (Resource::Repository { repository_id, .. }, Resource::Repository { repository_id: r, .. }) => {
            r == repository_id
        }
        _ => false,
    }
}

fn level_access(level: Option<Level>) -> Access {
    match level {
        None => Access::None,
        Some(Level::Read) => Access::Read,
        Some(Level::Write) => Access::Write,
        Some(Level::Admin) => Access::Admin,
    }
}

/// The access a token has to `target`. `user_access` is, for a personal
/// token, its user's current access to `target` (ignored for other kinds).
pub fn token_access(home: Home, permissions: &PermissionSet, target: Resource, user_access: Access) -> Access {
    if !reaches(home, target) {
        return Access::None;
    }
    let granted = match target.group() {
        // Personal tokens carry no WORKSPACE_* permission; any project or
        // repository permission lets them see the workspaces around it.
        Group::Workspace
            if matches!(home, Home::Personal { .. })
                && (permissions.project.is_some() || permissions.repository.is_some()) =>
        {
            Access::Read
        }
        Group::Workspace => level_access(permissions.workspace),
        Group::Project => level_access(permissions.project),
        _ => level_access(permissions.repository),
    };
    match home {
        Home::Personal { .. } => granted.min(user_access),
        Home::Resource(_) => granted,
    }
}

/// The permission a token lacks for `needed` on `target`, by its name
/// (REPO_WRITE…), for a 403 that says what is missing.
pub fn needed_permission(target: Resource, needed: Access) -> Option<Permission> {
    let level = match needed {
        Access::None => return None,
        Access::Read => Level::Read,
        Access::Write => Level::Write,
        Access::Admin => Level::Admin,
    };
    let group = target.group();
    Permission::ALL
        .into_iter()
        .find(|p| p.group() == group && p.level() >= level)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: i64 = 1;
    const OTHER_WS: i64 = 2;
    const ME: Home = Home::Personal { user_id: 7 };
    fn repo(project_id: i64, repository_id: i64) -> Resource {
        Resource::Repository {
            workspace_id: WS,
            project_id,
            repository_id,
        }
    }
    fn perms(kind: TokenKind, names: &[&str]) -> PermissionSet {
        PermissionSet::parse(kind, names).unwrap()
    }

    #[test]
    fn a_repository_token_never_reaches_a_sibling() {
        let home = Home::Resource(repo(10, 100));
        let set = perms(TokenKind::Repository, &["REPO_ADMIN"]);
        assert_eq!(token_access(home, &set, repo(10, 100), Access::None), Access::Admin);
        assert_eq!(token_access(home, &set, repo(10, 101), Access::Admin), Access::None);
        let project = Resource::Project {
            workspace_id: WS,
            project_id: 10,
        };
        assert_eq!(token_access(home, &set, project, Access::Admin), Access::None);
    }

    #[test]
    fn project_and_workspace_tokens_stay_home() {
        let project_home = Home::Resource(Resource::Project {
            workspace_id: WS,
            project_id: 10,
        });
        let set = perms(TokenKind::Project, &["PROJECT_READ", "REPO_WRITE"]);
        assert_eq!(
            token_access(project_home, &set, repo(10, 100), Access::None),
            Access::Write
        );
        assert_eq!(
            token_access(project_home, &set, repo(11, 110), Access::None),
            Access::None
        );

        let ws_home = Home::Resource(Resource::Workspace { workspace_id: WS });
        let set = perms(TokenKind::Workspace, &["WORKSPACE_READ", "REPO_READ"]);
        assert_eq!(token_access(ws_home, &set, repo(11, 110), Access::None), Access::Read);
        let elsewhere = Resource::Repository {
            workspace_id: OTHER_WS,
            project_id: 20,
            repository_id: 200,
        };
        assert_eq!(token_access(ws_home, &set, elsewhere, Access::Admin), Access::None);
        // No project permission: projects stay closed even inside the workspace.
        let project = Resource::Project {
            workspace_id: WS,
            project_id: 11,
        };
        assert_eq!(token_access(ws_home, &set, project, Access::None), Access::None);
    }

    #[test]
    fn a_personal_token_never_exceeds_its_user_now() {
        let set = perms(TokenKind::Personal, &["REPO_ADMIN"]);
        assert_eq!(token_access(ME, &set, repo(10, 100), Access::Admin), Access::Admin);
        // The user was demoted to member: write at most.
        assert_eq!(token_access(ME, &set, repo(10, 100), Access::Write), Access::Write);
        // Removed from the workspace: nothing.
        assert_eq!(token_access(ME, &set, repo(10, 100), Access::None), Access::None);
        let read_only = perms(TokenKind::Personal, &["REPO_READ"]);
        assert_eq!(token_access(ME, &read_only, repo(10, 100), Access::Admin), Access::Read);
    }

    #[test]
    fn a_personal_token_sees_its_users_workspaces_to_read() {
        let ws = Resource::Workspace { workspace_id: WS };
        let set = perms(TokenKind::Personal, &["REPO_READ"]);
        assert_eq!(token_access(ME, &set, ws, Access::Admin), Access::Read);
        assert_eq!(token_access(ME, &set, ws, Access::None), Access::None);
        let account_only = perms(TokenKind::Personal, &["ACCOUNT_READ"]);
        assert_eq!(token_access(ME, &account_only, ws, Access::Admin), Access::None);
    }

    #[test]
    fn names_the_missing_permission() {
        assert_eq!(
            needed_permission(repo(1, 1), Access::Write),
            Some(Permission::RepoWrite)
        );
        let project = Resource::Project {
            workspace_id: WS,
            project_id: 1,
        };
        assert_eq!(
            needed_permission(project, Access::Write),
            Some(Permission::ProjectWrite)
        );
        assert_eq!(needed_permission(repo(1, 1), Access::None), None);
    }
}
