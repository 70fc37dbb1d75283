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

/// An access token as lists show it. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub kind: tokenwarden::permissions::TokenKind,
    pub name: String,
    /// Permission names, e.g. `REPO_READ`.
    pub permissions: Vec<String>,
    /// Where the token reaches, e.g. `acme/WEB/website`, or the user's name.
    pub scope: String,
    pub created_at: i64,
    pub created_by: Option<String>,
    /// A workspace, project or repository token whose creator is no longer
    /// a member of its workspace: it keeps working (it belongs to the
    /// resource), and admins may want to review it.
    pub creator_left: bool,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_addr: Option<String>,
    /// `rest` or `git`.
    pub last_used_via: Option<String>,
    pub revoked_at: Option<i64>,
    /// Rotation: the token that replaced this one, the one it replaced,
    /// and when this one stops (the end of its overlap).
    pub rotated_to: Option<i64>,
    pub rotated_from: Option<i64>,
    pub stops_at: Option<i64>,
}

impl TokenView {
    /// The page that lists the token, where it can be replaced (a path).
    pub fn page(&self) -> String {
        use tokenwarden::permissions::TokenKind;
        let mut parts = self.scope.split('/');
        let (ws, second, third) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
        match (self.kind, second, third) {
            (TokenKind::Workspace, _, _) => format!("/w/{ws}/settings/access-tokens"),
            (TokenKind::Project, Some(project), _) => format!("/w/{ws}/projects/{project}/access-tokens"),
            (TokenKind::Repository, _, Some(repository)) => format!("/w/{ws}/repos/{repository}/access-tokens"),
            _ => "/account/access-tokens".into(),
        }
    }

    pub fn state(&self, now: i64) -> tokenwarden::token::TokenState {
        tokenwarden::token::TokenState::of(
            now,
            self.created_at,
            self.expires_at,
            self.revoked_at.is_some(),
            self.stops_at,
        )
    }
}

/// The answer to creating a token: the only time its secret is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: tokenwarden::secret::Secret,
}

/// The policies that bind new tokens in one place, for the create form and
/// the policy pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub system: tokenwarden::policy::SystemPolicy,
    /// `None` for personal tokens.
    pub workspace: Option<tokenwarden::policy::WorkspacePolicy>,
    pub effective: tokenwarden::policy::EffectivePolicy,
    /// Active tokens, already created, that the current policy would not allow now.
    pub tokens_beyond_policy: Vec<TokenView>,
    /// The system's rotation rules (the longest overlap a rotator may pick).
    pub rotation: tokenwarden::rotation::RotationPolicy,
}

/// What applying a policy to existing tokens would do now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyPreview {
    pub grace_days: u32,
    /// Each token that would move: as it is, and its new expiry.
    pub changes: Vec<PlannedChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub token: TokenView,
    pub new_expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub client_addr: String,
}

/// A legacy app password as lists show it. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPasswordView {
    pub id: i64,
    pub name: String,
    /// Classic scope identifiers, e.g. `repository:write`.
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_addr: Option<String>,
    /// `rest` or `git`.
    pub last_used_via: Option<String>,
    pub revoked_at: Option<i64>,
}

impl AppPasswordView {
    pub fn classic_scopes(&self) -> Vec<tokenwarden::app_passwords::ClassicScope> {
        self.scopes
            .iter()
            .filter_map(|s| tokenwarden::app_passwords::ClassicScope::parse(s))
            .collect()
    }
}

/// The answer to creating an app password: the only time it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAppPassword {
    pub app_password: AppPasswordView,
    /// Its user's name, which Git and HTTP Basic take with it.
    pub username: String,
    pub secret: tokenwarden::secret::Secret,
}

/// A user's app passwords and where their retirement stands, in words: the
/// browser gets sentences and dates as text (no date parsing in the client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPasswordsOverview {
    /// Why no app password can be created now, if so.
    pub creation_closed: Option<String>,
    /// While creation is open: the cutoff, if one is set (YYYY-MM-DD).
    pub cutoff_on: Option<String>,
    /// Past the cutoff: none of them works.
    pub retired: bool,
    pub app_passwords: Vec<AppPasswordView>,
}

/// One active app password on the admins' migration dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRow {
    pub owner_username: String,
    pub owner_display_name: String,
    pub app_password: AppPasswordView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationDashboard {
    pub schedule: tokenwarden::app_passwords::Schedule,
    pub phase: tokenwarden::app_passwords::Phase,
    /// Whole days until the cutoff, if one is set.
    pub days_left: Option<i64>,
    pub active: Vec<MigrationRow>,
}

/// The banner a user sees while they still have app passwords after creation
/// has closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetirementNotice {
    pub active: i64,
    pub phase: tokenwarden::app_passwords::Phase,
}

/// Warning settings as their form shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningSettings {
    /// The system's days, or a workspace's additions ("60,30,14,7,1").
    pub warning_days: String,
    /// Who is warned and when, and whether email is off, in words.
    pub note: String,
    /// A workspace's time zone for warning emails (`None` for the system).
    pub time_zone: Option<String>,
}

/// A registered webhook as its admins see it. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// Event names, e.g. `token.expiring`.
    pub events: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of one event to one webhook, with its latest try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    /// Sent as `Tokenwarden-Delivery`.
    pub delivery_id: String,
    pub event: String,
    pub created_at: i64,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    /// The receiver's HTTP status, when it answered.
    pub last_status: Option<i64>,
    /// Why the latest try failed, when it did.
    pub last_error: Option<String>,
    /// When the next try is due, while pending.
    pub next_attempt_at: Option<i64>,
}

/// Tokens the signed-in user is warned about (theirs, or at places they
/// administer) that expire soon, for the banner on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringNotice {
    pub count: i64,
    /// The one expiring first.
    pub first_name: String,
    pub first_expires_at: i64,
    /// Where to replace it.
    pub first_link: String,
}
