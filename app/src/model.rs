//! What server functions send to the browser. Plain data: no secrets, no
//! password hashes, only what the signed-in user may see.

use serde::{Deserialize, Serialize};
use tokenwarden::Access;

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_system_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_system_admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub slug: String,
    pub name: String,
    /// The signed-in user's access to the workspace.
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub access: Access,
    pub repositories: Vec<RepositoryView>,
}

/// A workspace as the signed-in user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceView {
    pub slug: String,
    pub name: String,
    pub access: Access,
    /// Whether the user may open the workspace's settings pages.
    pub can_open_settings: bool,
    pub projects: Vec<ProjectView>,
}

/// One user's roles in a workspace, for the members list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub workspace_admin: bool,
    /// Keys of the projects this member administers.
    pub admin_of_projects: Vec<String>,
    /// Slugs of the repositories this member administers.
    pub admin_of_repositories: Vec<String>,
}
