//! Pages only, one module per page (or, for app passwords, per screen);
//! what several pages share is in `components`.

mod access_tokens;
mod admin;
mod app_passwords;
mod home;
mod login;
mod not_found;
mod setup;
mod workspace;
mod workspace_settings;

pub use access_tokens::{
    PersonalAccessTokens, ProjectAccessTokens, RepositoryAccessTokens, SystemAccessTokens, UserAccessTokens,
    WorkspaceAccessTokens,
};
pub use admin::Admin;
pub use app_passwords::{AppPasswordMigrationPage, AppPasswords, ReplaceAppPasswordPage};
pub use home::Home;
pub use login::{Login, SignInRefused};
pub use not_found::NotFound;
pub use setup::Setup;
pub use workspace::Workspace;
pub use workspace_settings::WorkspaceSettings;
