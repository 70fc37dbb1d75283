//! What an access token may do to one resource. Three limits meet:
//! - its reach: a workspace token stays in its workspace, a project token in
//!   its project and that project's repositories, a repository token in its
//!   repository (never a sibling); a personal token goes wherever its user goes;
//! - its permissions for that kind of resource (WORKSPACE_*, PROJECT_*, REPO_*);
//! - for a personal token, its user's own access there *now*: a user who
//!   loses a role takes their tokens' rights with them.

use crate::{
    access::Access,
    permissions::{Group, Level, Permission, PermissionSet},
};

/// Where a token belongs, or a resource sits, by database ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
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

impl Place {
    fn workspace_id(self) -> i64 {
        match self {
            Place::Workspace { workspace_id }
            | Place::Project { workspace_id, .. }
            | Place::Repository { workspace_id, .. } => workspace_id,
        }
    }

    fn group(self) -> Group {
        match self {
            Place::Workspace { .. } => Group::Workspace,
            Place::Project { .. } => Group::Project,
            Place::Repository { .. } => Group::Repository,
        }
    }
}

/// The resource a token belongs to; `None` for a personal token.
pub type Home = Option<Place>;

/// Whether a token that belongs at `home` reaches `target` at all.
pub fn reaches(home: Home, target: Place) -> bool {
    match (home, target) {
        (None, _) => true,
        (Some(Place::Workspace { workspace_id }), t) => t.workspace_id() == workspace_id,
        (Some(Place::Project { project_id, .. }), Place::Project { project_id: p, .. })
        | (Some(Place::Project { project_id, .. }), Place::Repository { project_id: p, .. }) => p == project_id,
        (Some(Place::Repository { repository_id, .. }), Place::Repository { repository_id: r, .. }) => {
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
pub fn token_access(home: Home, permissions: &PermissionSet, target: Place, user_access: Access) -> Access {
    if !reaches(home, target) {
        return Access::None;
    }
    let granted = match target.group() {
        // Personal tokens carry no WORKSPACE_* permission; any project or
        // repository permission lets them see the workspaces around it.
        Group::Workspace if home.is_none() && (permissions.project.is_some() || permissions.repository.is_some()) => {
            Access::Read
        }
        Group::Workspace => level_access(permissions.workspace),
        Group::Project => level_access(permissions.project),
        _ => level_access(permissions.repository),
    };
    match home {
        None => granted.min(user_access),
        Some(_) => granted,
    }
}

/// The permission a token lacks for `needed` on `target`, by its name
/// (REPO_WRITE…), for a 403 that says what is missing.
pub fn needed_permission(target: Place, needed: Access) -> Option<Permission> {
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
    use crate::permissions::TokenKind;

    const WS: i64 = 1;
    const OTHER_WS: i64 = 2;
    fn repo(project_id: i64, repository_id: i64) -> Place {
        Place::Repository {
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
        let home = Some(repo(10, 100));
        let set = perms(TokenKind::Repository, &["REPO_ADMIN"]);
        assert_eq!(token_access(home, &set, repo(10, 100), Access::None), Access::Admin);
        assert_eq!(token_access(home, &set, repo(10, 101), Access::Admin), Access::None);
        let project = Place::Project {
            workspace_id: WS,
            project_id: 10,
        };
        assert_eq!(token_access(home, &set, project, Access::Admin), Access::None);
    }

    #[test]
    fn project_and_workspace_tokens_stay_home() {
        let project_home = Some(Place::Project {
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

        let ws_home = Some(Place::Workspace { workspace_id: WS });
        let set = perms(TokenKind::Workspace, &["WORKSPACE_READ", "REPO_READ"]);
        assert_eq!(token_access(ws_home, &set, repo(11, 110), Access::None), Access::Read);
        let elsewhere = Place::Repository {
            workspace_id: OTHER_WS,
            project_id: 20,
            repository_id: 200,
        };
        assert_eq!(token_access(ws_home, &set, elsewhere, Access::Admin), Access::None);
        // No project permission: projects stay closed even inside the workspace.
        let project = Place::Project {
            workspace_id: WS,
            project_id: 11,
        };
        assert_eq!(token_access(ws_home, &set, project, Access::None), Access::None);
    }

    #[test]
    fn a_personal_token_never_exceeds_its_user_now() {
        let set = perms(TokenKind::Personal, &["REPO_ADMIN"]);
        assert_eq!(token_access(None, &set, repo(10, 100), Access::Admin), Access::Admin);
        // The user was demoted to member: write at most.
        assert_eq!(token_access(None, &set, repo(10, 100), Access::Write), Access::Write);
        // Removed from the workspace: nothing.
        assert_eq!(token_access(None, &set, repo(10, 100), Access::None), Access::None);
        let read_only = perms(TokenKind::Personal, &["REPO_READ"]);
        assert_eq!(
            token_access(None, &read_only, repo(10, 100), Access::Admin),
            Access::Read
        );
    }

    #[test]
    fn a_personal_token_sees_its_users_workspaces_to_read() {
        let ws = Place::Workspace { workspace_id: WS };
        let set = perms(TokenKind::Personal, &["REPO_READ"]);
        assert_eq!(token_access(None, &set, ws, Access::Admin), Access::Read);
        assert_eq!(token_access(None, &set, ws, Access::None), Access::None);
        let account_only = perms(TokenKind::Personal, &["ACCOUNT_READ"]);
        assert_eq!(token_access(None, &account_only, ws, Access::Admin), Access::None);
    }

    #[test]
    fn names_the_missing_permission() {
        assert_eq!(
            needed_permission(repo(1, 1), Access::Write),
            Some(Permission::RepoWrite)
        );
        let project = Place::Project {
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
