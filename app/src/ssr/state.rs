//! What every request handler and server function can reach.

use super::{
    app_password_auth::AppPasswordVerifier, last_used::LastUsed, password::Passwords, throttle::LockoutPolicy,
    token_keys::TokenKeys, Db,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub auth: Arc<AuthSettings>,
    pub passwords: Passwords,
    pub token_keys: Arc<TokenKeys>,
    pub tokens: TokenSettings,
    /// When each token was last used, batched (see [`LastUsed`]).
    pub last_used: LastUsed,
    /// Checks legacy app passwords with bounded argon2 work.
    pub app_passwords: AppPasswordVerifier,
    /// Where the bare Git repositories live: `<workspace>/<repository>.git`.
    pub git_root: Arc<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy)]
pub struct TokenSettings {
    /// Most active (unexpired, unrevoked) tokens one owner may have.
    pub max_active_per_owner: i64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            max_active_per_owner: 100,
        }
    }
}

/// How sessions and sign-in behave.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: i64,
    /// A session ends this many seconds after sign-in, active or not.
    pub session_max_secs: i64,
    /// Mark the session cookie `Secure` (and use the `__Host-` name): set
    /// when the public URL is https.
    pub secure_cookies: bool,
    pub lockout: LockoutPolicy,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_idle_secs: 8 * 3600,
            session_max_secs: 7 * 24 * 3600,
            secure_cookies: false,
            lockout: LockoutPolicy::default(),
        }
    }
}
