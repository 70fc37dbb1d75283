//! Token permissions, named as Bitbucket Data Center names them.
//!
//! A token carries at most one level for each resource kind it can reach:
//! PROJECT_READ/WRITE/ADMIN, REPO_READ/WRITE/ADMIN, and for workspace tokens
//! WORKSPACE_READ/ADMIN; personal tokens may add ACCOUNT_READ. As in
//! Bitbucket Data Center, a token's repository permission is at least its
//! project permission (project write with repository read is refused), and
//! a token can never be granted more than its creator has.

use crate::access::Access;
pub use crate::access::CreatorAccess;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// What a token belongs to, which decides what it can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    Workspace,
    Project,
    Repository,
    /// Acts as its user, never beyond the user's own rights.
    Personal,
}

impl TokenKind {
    pub const ALL: [TokenKind; 4] = [
        TokenKind::Workspace,
        TokenKind::Project,
        TokenKind::Repository,
        TokenKind::Personal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Workspace => "workspace",
            TokenKind::Project => "project",
            TokenKind::Repository => "repository",
            TokenKind::Personal => "personal",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        TokenKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Which permission groups a token of this kind may carry.
    pub fn allows(self, group: Group) -> bool {
        matches!(
            (self, group),
            (
                TokenKind::Workspace,
                Group::Workspace | Group::Project | Group::Repository
            ) | (TokenKind::Project, Group::Project | Group::Repository)
                | (TokenKind::Repository, Group::Repository)
                | (TokenKind::Personal, Group::Project | Group::Repository | Group::Account)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Group {
    Workspace,
    Project,
    Repository,
    Account,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    Read,
    Write,
    Admin,
}

impl Level {
    fn as_access(self) -> Access {
        match self {
            Level::Read => Access::Read,
            Level::Write => Access::Write,
            Level::Admin => Access::Admin,
        }
    }
}

/// One named permission, as it appears in forms and the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    WorkspaceRead,
    WorkspaceAdmin,
    ProjectRead,
    ProjectWrite,
    ProjectAdmin,
    RepoRead,
    RepoWrite,
    RepoAdmin,
    AccountRead,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::WorkspaceRead,
        Permission::WorkspaceAdmin,
        Permission::ProjectRead,
        Permission::ProjectWrite,
        Permission::ProjectAdmin,
        Permission::RepoRead,
        Permission::RepoWrite,
        Permission::RepoAdmin,
        Permission::AccountRead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::WorkspaceRead => "WORKSPACE_READ",
            Permission::WorkspaceAdmin => "WORKSPACE_ADMIN",
            Permission::ProjectRead => "PROJECT_READ",
            Permission::ProjectWrite => "PROJECT_WRITE",
            Permission::ProjectAdmin => "PROJECT_ADMIN",
            Permission::RepoRead => "REPO_READ",
            Permission::RepoWrite => "REPO_WRITE",
            Permission::RepoAdmin => "REPO_ADMIN",
            Permission::AccountRead => "ACCOUNT_READ",
        }
    }

    /// What the permission lets a token do, as lists and forms show it
    /// beside its name: "Repository: write — push, and read".
    pub fn meaning(self) -> &'static str {
        match self {
            Permission::WorkspaceRead => "Workspace: read — read every project and repository in it",
            Permission::WorkspaceAdmin => "Workspace: admin — manage every project and repository, and write",
            Permission::ProjectRead => "Project: read — clone and read every repository in it",
            Permission::ProjectWrite => "Project: write — create repositories, push to every one, and read",
            Permission::ProjectAdmin => "Project: admin — manage the project and its repositories, and write",
            Permission::RepoRead => "Repository: read — clone, fetch and read",
            Permission::RepoWrite => "Repository: write — push, and read",
            Permission::RepoAdmin => "Repository: admin — rename and manage it, and write",
            Permission::AccountRead => "Account: read — your account's details",
        }
    }

    /// The level alone with its meaning, for a select already labelled with
    /// the group: "Write — push, and read".
    pub fn level_meaning(self) -> String {
        let meaning = self.meaning();
        // After "Repository:" (a char pattern: no substring search code in the client).
        let level = meaning.split_once(':').map_or(meaning, |(_, rest)| rest.trim_start());
        let mut level = level.to_string();
        if let Some(first) = level.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        level
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
    }

    pub fn group(self) -> Group {
        match self {
            Permission::WorkspaceRead | Permission::WorkspaceAdmin => Group::Workspace,
            Permission::ProjectRead | Permission::ProjectWrite | Permission::ProjectAdmin => Group::Project,
            Permission::RepoRead | Permission::RepoWrite | Permission::RepoAdmin => Group::Repository,
            Permission::AccountRead => Group::Account,
        }
    }

    pub fn level(self) -> Level {
        match self {
            Permission::WorkspaceRead | Permission::ProjectRead | Permission::RepoRead | Permission::AccountRead => {
                Level::Read
            }
            Permission::ProjectWrite | Permission::RepoWrite => Level::Write,
            Permission::WorkspaceAdmin | Permission::ProjectAdmin | Permission::RepoAdmin => Level::Admin,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A valid combination of permissions for one token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSet {
    pub workspace: Option<Level>,
    pub project: Option<Level>,
    pub repository: Option<Level>,
    pub account_read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PermissionError {
    #[error("Choose at least one permission.")]
    Empty,
    #[error("'{0}' is not a permission.")]
    Unknown(String),
    #[error("{permission} is not available for {kind} tokens.")]
    NotForKind { permission: String, kind: String },
    #[error("Choose one level for each kind of permission, not {first} and {second}.")]
    TwoLevels { first: String, second: String },
    #[error("The repository permission must be at least the project permission ({project} needs {needed} or higher).")]
    RepositoryBelowProject { project: String, needed: String },
    #[error("You cannot give a token {0}: you do not have it yourself.")]
    BeyondCreator(String),
    #[error("This token cannot be given {0}: its owner does not have it (a personal token never claims more than its user may do).")]
    BeyondOwner(String),
}

impl PermissionSet {
    /// Builds and checks a set from permission names (as forms and the REST
    /// API send them) for a token of `kind`.
    pub fn parse<S: AsRef<str>>(kind: TokenKind, names: &[S]) -> Result<PermissionSet, PermissionError> {
        let mut set = PermissionSet::default();
        let mut seen: Vec<Permission> = Vec::new();
        for name in names.iter().map(AsRef::as_ref).filter(|n| !n.trim().is_empty()) {
            let p = Permission::parse(name).ok_or_else(|| PermissionError::Unknown(name.trim().to_string()))?;
            if seen.contains(&p) {
                continue;
            }
            if !kind.allows(p.group()) {
                return Err(PermissionError::NotForKind {
                    permission: p.name().into(),
                    kind: kind.as_str().into(),
                });
            }
            if let Some(other) = seen
                .iter()
                .find(|o| o.group() == p.group() && p.group() != Group::Account)
            {
                return Err(PermissionError::TwoLevels {
                    first: other.name().into(),
                    second: p.name().into(),
                });
            }
            seen.push(p);
            match p.group() {
                Group::Workspace => set.workspace = Some(p.level()),
                Group::Project => set.project = Some(p.level()),
                Group::Repository => set.repository = Some(p.level()),
                Group::Account => set.account_read = true,
            }
        }
        set.check()?;
        Ok(set)
    }

    fn check(&self) -> Result<(), PermissionError> {
        if self.workspace.is_none() && self.project.is_none() && self.repository.is_none() && !self.account_read {
            return Err(PermissionError::Empty);
        }
        if let Some(project) = self.project {
            if self.repository.is_none_or(|repo| repo < project) {
                let name = |group, level| {
                    Permission::ALL
                        .into_iter()
                        .find(|p| p.group() == group && p.level() == level)
                        .unwrap()
                };
                return Err(PermissionError::RepositoryBelowProject {
                    project: name(Group::Project, project).name().into(),
                    needed: name(Group::Repository, project).name().into(),
                });
            }
        }
        Ok(())
    }

    /// The permission names, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        Permission::ALL
            .into_iter()
            .filter(|p| match p.group() {
                Group::Workspace => self.workspace == Some(p.level()),
                Group::Project => self.project == Some(p.level()),
                Group::Repository => self.repository == Some(p.level()),
                Group::Account => self.account_read,
            })
            .map(Permission::name)
            .collect()
    }

    /// Refuses a set that gives more than the creator has: `creator` is the
    /// creator's access to the token's workspace, project and repository
    /// (for a repository token only the repository counts, and so on).
    pub fn within(&self, creator: CreatorAccess) -> Result<(), PermissionError> {
        self.beyond(creator)
            .map_or(Ok(()), |p| Err(PermissionError::BeyondCreator(p)))
    }

    /// Refuses a personal token set that gives more than its owner has now
    /// (`owner`: the owner's best access, whoever is editing the token).
    pub fn within_owner(&self, owner: CreatorAccess) -> Result<(), PermissionError> {
        self.beyond(owner)
            .map_or(Ok(()), |p| Err(PermissionError::BeyondOwner(p)))
    }

    /// The first permission of the set that `has` does not reach.
    fn beyond(&self, available: CreatorAccess) -> Option<String> {
        let checks = [
            (self.workspace, available.workspace, Group::Workspace),
            (self.project, available.project, Group::Project),
            (self.repository, available.repository, Group::Repository),
        ];
        for (wanted, has, group) in checks {
            if let Some(level) = wanted {
                if has < level.as_access() {
                    let p = Permission::ALL
                        .into_iter()
                        .find(|p| p.group() == group && p.level() == level)
                        .unwrap();
                    return Some(p.name().into());
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_permission_says_what_it_does() {
        assert_eq!(Permission::RepoWrite.meaning(), "Repository: write — push, and read");
        assert_eq!(Permission::RepoWrite.level_meaning(), "Write — push, and read");
        for p in Permission::ALL {
            let group = match p.group() {
                Group::Workspace => "Workspace: ",
                Group::Project => "Project: ",
                Group::Repository => "Repository: ",
                Group::Account => "Account: ",
            };
            assert!(p.meaning().starts_with(group), "{}", p.meaning());
            assert!(p.level_meaning().contains(" — "), "{}", p.level_meaning());
        }
    }

    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(p));
        }
        assert_eq!(Permission::parse("repo_read"), Some(Permission::RepoRead));
        assert_eq!(Permission::parse("REPO_DELETE"), None);
    }

    #[test]
    fn repository_permission_must_be_at_least_the_project_permission() {
        let e = PermissionSet::parse(TokenKind::Project, &["PROJECT_WRITE", "REPO_READ"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The repository permission must be at least the project permission (PROJECT_WRITE needs REPO_WRITE or higher)."
        );
        assert!(PermissionSet::parse(TokenKind::Project, &["PROJECT_READ"]).is_err());
        let ok = PermissionSet::parse(TokenKind::Project, &["PROJECT_WRITE", "REPO_ADMIN"]).unwrap();
        assert_eq!(ok.names(), ["PROJECT_WRITE", "REPO_ADMIN"]);
    }

    #[test]
    fn kinds_limit_what_a_token_can_carry() {
        assert!(PermissionSet::parse(TokenKind::Repository, &["REPO_WRITE"]).is_ok());
        assert!(matches!(
            PermissionSet::parse(TokenKind::Repository, &["PROJECT_READ", "REPO_READ"]),
            Err(PermissionError::NotForKind { .. })
        ));
        assert!(PermissionSet::parse(TokenKind::Workspace, &["WORKSPACE_ADMIN"]).is_ok());
        assert!(PermissionSet::parse(TokenKind::Project, &["WORKSPACE_READ", "REPO_READ"]).is_err());
        assert!(PermissionSet::parse(TokenKind::Personal, &["ACCOUNT_READ", "REPO_READ"]).is_ok());
        assert!(PermissionSet::parse(TokenKind::Workspace, &["ACCOUNT_READ"]).is_err());
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(
            PermissionSet::parse::<&str>(TokenKind::Repository, &[]),
            Err(PermissionError::Empty)
        );
        assert_eq!(
            PermissionSet::parse(TokenKind::Repository, &["", " "]),
            Err(PermissionError::Empty)
        );
        assert_eq!(
            PermissionSet::parse(TokenKind::Repository, &["REPO_EVERYTHING"]),
            Err(PermissionError::Unknown("REPO_EVERYTHING".into()))
        );
        assert!(matches!(
            PermissionSet::parse(TokenKind::Repository, &["REPO_READ", "REPO_ADMIN"]),
            Err(PermissionError::TwoLevels { .. })
        ));
        // The same name twice is one permission.
        assert!(PermissionSet::parse(TokenKind::Repository, &["REPO_READ", "repo_read"]).is_ok());
    }

    #[test]
    fn a_token_never_exceeds_its_creator() {
        let member = CreatorAccess {
            workspace: Access::Read,
            project: Access::Read,
            repository: Access::Write,
        };
        let write = PermissionSet::parse(TokenKind::Personal, &["REPO_WRITE"]).unwrap();
        assert!(write.within(member).is_ok());
        let admin = PermissionSet::parse(TokenKind::Personal, &["PROJECT_READ", "REPO_ADMIN"]).unwrap();
        assert_eq!(
            admin.within(member),
            Err(PermissionError::BeyondCreator("REPO_ADMIN".into()))
        );
        let ws = PermissionSet::parse(TokenKind::Workspace, &["WORKSPACE_ADMIN"]).unwrap();
        assert!(ws.within(member).is_err());
        assert_eq!(
            admin.within_owner(member),
            Err(PermissionError::BeyondOwner("REPO_ADMIN".into()))
        );
        assert!(write.within_owner(member).is_ok());
    }
}
