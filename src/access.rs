//! Roles and the access they give.
//!
//! A user's rights inside a workspace come from one workspace membership
//! (admin or member) plus any number of project-admin and repository-admin
//! grants. System administrators can do everything everywhere. Keeping the
//! computation here, pure, means the pages (which hide what a user may not
//! use) and the server (which refuses it) can never disagree.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a user may do with a resource, ordered from nothing to everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Access {
    /// The resource is invisible to the user.
    None,
    /// May see the resource and read its content.
    Read,
    /// May change content (push to a repository, create a repository in a project).
    Write,
    /// May change settings, members and access tokens of the resource.
    Admin,
}

impl Access {
    /// The name the REST API shows (`NONE`, `READ`, `WRITE`, `ADMIN`).
    pub fn name(self) -> &'static str {
        match self {
            Access::None => "NONE",
            Access::Read => "READ",
            Access::Write => "WRITE",
            Access::Admin => "ADMIN",
        }
    }

    pub fn can_read(self) -> bool {
        self >= Access::Read
    }
    pub fn can_write(self) -> bool {
        self >= Access::Write
    }
    pub fn can_admin(self) -> bool {
        self >= Access::Admin
    }
}

/// A role a workspace admin can give to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Administers the workspace and everything in it.
    WorkspaceAdmin,
    /// Administers one project and its repositories.
    ProjectAdmin,
    /// Administers one repository.
    RepositoryAdmin,
    /// Reads every project of the workspace and writes to its repositories.
    Member,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Member,
        Role::RepositoryAdmin,
        Role::ProjectAdmin,
        Role::WorkspaceAdmin,
    ];

    /// The stable identifier used in forms, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::WorkspaceAdmin => "workspace_admin",
            Role::ProjectAdmin => "project_admin",
            Role::RepositoryAdmin => "repository_admin",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::WorkspaceAdmin => "Workspace admin",
            Role::ProjectAdmin => "Project admin",
            Role::RepositoryAdmin => "Repository admin",
            Role::Member => "Member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == s)
    }

    /// Whether granting this role names a project or repository it applies to.
    pub fn needs_project(self) -> bool {
        matches!(self, Role::ProjectAdmin)
    }
    pub fn needs_repository(self) -> bool {
        matches!(self, Role::RepositoryAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Everything that decides one user's access inside one workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    pub system_admin: bool,
    /// `None` when the user is not a member of the workspace at all.
    pub workspace_role: Option<WorkspaceRole>,
    /// Ids of projects (in this workspace) the user administers.
    pub admin_of_projects: Vec<i64>,
    /// Ids of repositories (in this workspace) the user administers.
    pub admin_of_repositories: Vec<i64>,
}

/// The role a workspace membership carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkspaceRole {
    Admin,
    Member,
}

impl WorkspaceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceRole::Admin => "admin",
            WorkspaceRole::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<WorkspaceRole> {
        match s {
            "admin" => Some(WorkspaceRole::Admin),
            "member" => Some(WorkspaceRole::Member),
            _ => None,
        }
    }
}

impl Grants {
    fn is_workspace_admin(&self) -> bool {
        self.system_admin || self.workspace_role == Some(WorkspaceRole::Admin)
    }

    fn is_member(&self) -> bool {
        self.workspace_role.is_some()
    }

    pub fn workspace(&self) -> Access {
        if self.is_workspace_admin() {
            Access::Admin
        } else if self.is_member() {
            Access::Read
        } else {
            Access::None
        }
    }

    pub fn project(&self, project_id: i64) -> Access {
        if self.is_workspace_admin() || self.admin_of_projects.contains(&project_id) {
            Access::Admin
        } else if self.is_member() {
            // Members need to see projects to reach their repositories; creating
            // a repository in a project is for its admins.
            Access::Read
        } else {
            Access::None
        }
    }

    pub fn repository(&self, project_id: i64, repository_id: i64) -> Access {
        if self.project(project_id) == Access::Admin || self.admin_of_repositories.contains(&repository_id) {
            Access::Admin
        } else if self.is_member() {
            Access::Write
        } else {
            Access::None
        }
    }

    /// Whether the user administers anything in the workspace, which gives
    /// them the workspace's settings pages (limited to what they administer).
    pub fn administers_anything(&self) -> bool {
        self.is_workspace_admin() || !self.admin_of_projects.is_empty() || !self.admin_of_repositories.is_empty()
    }
}

/// The creator's own access where a token will reach, per level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatorAccess {
    pub workspace: Access,
    pub project: Access,
    pub repository: Access,
}

/// The roles a user holds across all workspaces: what decides the most a
/// personal token of theirs may carry (it never acts beyond its user's
/// rights where it is used, so its permissions are bounded by the best).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub system_admin: bool,
    /// The role of each workspace membership.
    pub workspace_roles: Vec<WorkspaceRole>,
    pub administers_a_project: bool,
    pub administers_a_repository: bool,
}

impl Standing {
    /// The most access the user has anywhere, per level: what [`Grants`]
    /// gives in the workspace where they hold the most.
    pub fn best_access(&self) -> CreatorAccess {
        if self.system_admin {
            return CreatorAccess {
                workspace: Access::Admin,
                project: Access::Admin,
                repository: Access::Admin,
            };
        }
        let member = !self.workspace_roles.is_empty();
        let workspace_admin = self.workspace_roles.contains(&WorkspaceRole::Admin);
        let pick = |admin: bool, otherwise: Access| match (admin, member) {
            (true, _) => Access::Admin,
            (false, true) => otherwise,
            (false, false) => Access::None,
        };
        let project_admin = workspace_admin || self.administers_a_project;
        CreatorAccess {
            workspace: pick(workspace_admin, Access::Read),
            project: pick(project_admin, Access::Read),
            repository: pick(project_admin || self.administers_a_repository, Access::Write),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Grants {
        Grants {
            workspace_role: Some(WorkspaceRole::Member),
            ..Grants::default()
        }
    }

    #[test]
    fn outsiders_see_nothing() {
        let g = Grants::default();
        assert_eq!(g.workspace(), Access::None);
        assert_eq!(g.project(1), Access::None);
        assert_eq!(g.repository(1, 2), Access::None);
        assert!(!g.administers_anything());
    }

    #[test]
    fn system_admin_administers_everything() {
        let g = Grants {
            system_admin: true,
            ..Grants::default()
        };
        assert_eq!(g.workspace(), Access::Admin);
        assert_eq!(g.project(7), Access::Admin);
        assert_eq!(g.repository(7, 9), Access::Admin);
    }

    #[test]
    fn members_read_projects_and_write_repositories() {
        let g = member();
        assert_eq!(g.workspace(), Access::Read);
        assert_eq!(g.project(1), Access::Read);
        assert_eq!(g.repository(1, 2), Access::Write);
        assert!(!g.administers_anything());
    }

    #[test]
    fn project_admin_reaches_only_that_project_and_its_repositories() {
        let g = Grants {
            admin_of_projects: vec![1],
            ..member()
        };
        assert_eq!(g.project(1), Access::Admin);
        assert_eq!(g.repository(1, 5), Access::Admin);
        assert_eq!(g.project(2), Access::Read);
        assert_eq!(g.repository(2, 6), Access::Write);
        assert_eq!(g.workspace(), Access::Read);
        assert!(g.administers_anything());
    }

    #[test]
    fn repository_admin_reaches_only_that_repository() {
        let g = Grants {
            admin_of_repositories: vec![5],
            ..member()
        };
        assert_eq!(g.repository(1, 5), Access::Admin);
        assert_eq!(g.repository(1, 6), Access::Write);
        assert_eq!(g.project(1), Access::Read);
    }

    #[test]
    fn workspace_admin_administers_all_projects() {
        let g = Grants {
            workspace_role: Some(WorkspaceRole::Admin),
            ..Grants::default()
        };
        assert_eq!(g.project(3), Access::Admin);
        assert_eq!(g.repository(3, 4), Access::Admin);
    }

    #[test]
    fn grants_without_membership_give_nothing_beyond_them() {
        // A stale project grant left after a membership was removed must not
        // make the rest of the workspace visible.
        let g = Grants {
            admin_of_projects: vec![1],
            ..Grants::default()
        };
        assert_eq!(g.project(2), Access::None);
        assert_eq!(g.workspace(), Access::None);
    }

    #[test]
    fn roles_round_trip_through_their_identifiers() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(WorkspaceRole::parse("admin"), Some(WorkspaceRole::Admin));
        assert_eq!(WorkspaceRole::parse("Admin"), None);
    }

    #[test]
    fn access_levels_are_ordered() {
        assert!(Access::Admin.can_write() && Access::Admin.can_read());
        assert!(Access::Write.can_read() && !Access::Write.can_admin());
        assert!(!Access::None.can_read());
    }

    #[test]
    fn best_access_is_the_best_a_grant_gives_anywhere() {
        let member_of = |roles: &[WorkspaceRole]| Standing {
            workspace_roles: roles.to_vec(),
            ..Standing::default()
        };
        let levels = |s: &Standing| {
            let best = s.best_access();
            (best.workspace, best.project, best.repository)
        };
        assert_eq!(levels(&Standing::default()), (Access::None, Access::None, Access::None));
        let member = member_of(&[WorkspaceRole::Member]);
        assert_eq!(levels(&member), (Access::Read, Access::Read, Access::Write));
        let repository_admin = Standing {
            administers_a_repository: true,
            ..member.clone()
        };
        assert_eq!(levels(&repository_admin), (Access::Read, Access::Read, Access::Admin));
        let project_admin = Standing {
            administers_a_project: true,
            ..member.clone()
        };
        assert_eq!(levels(&project_admin), (Access::Read, Access::Admin, Access::Admin));
        let admin_somewhere = member_of(&[WorkspaceRole::Member, WorkspaceRole::Admin]);
        assert_eq!(levels(&admin_somewhere), (Access::Admin, Access::Admin, Access::Admin));
        let system_admin = Standing {
            system_admin: true,
            ..Standing::default()
        };
        assert_eq!(levels(&system_admin), (Access::Admin, Access::Admin, Access::Admin));
        // The same as the grants of one workspace with the same roles.
        let grants = Grants {
            workspace_role: Some(WorkspaceRole::Member),
            admin_of_projects: vec![7],
            ..Grants::default()
        };
        let best = project_admin.best_access();
        assert_eq!(
            (best.workspace, best.project, best.repository),
            (grants.workspace(), grants.project(7), grants.repository(7, 1))
        );
    }
}
