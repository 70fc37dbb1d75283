//! Every server function, grouped by subject. Each one authenticates and
//! authorizes on the server: nothing the browser says about who the user
//! is or what they may do is trusted.

pub mod admin;
pub mod app_passwords;
pub mod auth;
pub mod policies;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;
