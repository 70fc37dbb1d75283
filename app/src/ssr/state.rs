//! What every request handler and server function can reach.

use super::{
    auth::app_password::AppPasswordVerifier, last_used::LastUsed, password::Passwords, throttle::ThrottlePolicy,
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
    /// Where webhooks may be sent.
    pub webhooks: super::outbound::WebhookSettings,
    /// Whether warning emails are sent (an SMTP server is configured).
    #[from_ref(skip)]
    pub email_enabled: bool,
    /// The URL users reach the app at (`--public-url`, no trailing `/`):
    /// the REST API's links (clone URLs, pages) start with it, as Data
    /// Center's do.
    #[from_ref(skip)]
    pub public_url: Arc<str>,
    /// The instant tokens are judged at (expiry, rotation's overlap).
    #[from_ref(skip)]
    pub clock: Clock,
    /// The first-run setup code's file (`setup-code` in the data directory),
    /// removed once setup is done.
    #[from_ref(skip)]
    pub setup_code_file: Arc<std::path::PathBuf>,
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
    /// Mark the session cookie `Secure` (and use the `__Host-` name), and
    /// send HSTS: set when the public URL is https.
    pub secure_cookies: bool,
    pub throttle: ThrottlePolicy,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: tokenwarden::forwarded::TrustedProxies,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_idle_secs: 8 * 3600,
            session_max_secs: 7 * 24 * 3600,
            secure_cookies: false,
            throttle: ThrottlePolicy::default(),
            trusted_proxies: Default::default(),
        }
    }
}

/// The instant a token is judged at: the system's clock, which tests may
/// move forward (an overlap or an expiry ending on time without waiting).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_secs: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        super::db::now() + self.ahead_secs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this clock (and every clone) `secs` ahead of the system's.
    pub fn advance(&self, secs: i64) {
        self.ahead_secs.fetch_add(secs, std::sync::atomic::Ordering::Relaxed);
    }
}
