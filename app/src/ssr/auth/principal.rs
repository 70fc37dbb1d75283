//! Who a request authenticated as, and why it was not: the types both
//! verifications (token and app password) produce, and nothing else, so each
//! depends on this module only.

use crate::error::AppError;
use crate::ssr::store::StoreError;
use tokenwarden::{app_passwords::ClassicScope, permissions::TokenKind, scope::Home};

/// The user name Basic authentication takes for workspace, project and
/// repository tokens (as Bitbucket Cloud has it for Git).
pub const RESOURCE_TOKEN_USER: &str = "x-token-auth";

/// Why a request was not authenticated. Malformed and unknown tokens say
/// nothing more; an expired or revoked one (whose holder has the secret)
/// says so, and when it expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Malformed,
    Unknown,
    Expired {
        at: i64,
    },
    Revoked,
    /// Replaced by a successor, and its overlap ended at `at`.
    Rotated {
        at: i64,
    },
    /// An app password after the cutoff the admin set.
    AppPasswordsRetired {
        on: chrono::NaiveDate,
    },
    /// Every app password worker stayed busy: try again (503).
    Busy,
    /// Too many wrong app passwords for this user from this address: try
    /// again after this many seconds (429).
    Throttled {
        retry_after_secs: u64,
    },
    /// The database failed: not the caller's fault (500, not 401).
    Internal,
}

impl From<AppError> for AuthError {
    fn from(_: AppError) -> Self {
        AuthError::Internal
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        // Logged as the app's errors are, then refused without detail.
        AppError::from(e).into()
    }
}

/// The token a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPrincipal {
    pub id: i64,
    pub home: Home,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Its successor, once rotated (it works until its overlap ends).
    pub rotated_to: Option<i64>,
    /// When its overlap ends, once rotated.
    pub stops_at: Option<i64>,
}

impl TokenPrincipal {
    /// When it stops working: its expiry, or the end of its overlap once
    /// rotated, whichever comes first (`None`: never).
    pub fn stops(&self) -> Option<i64> {
        match (self.expires_at, self.stops_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn kind(&self) -> TokenKind {
        self.home.kind()
    }
}

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Token(TokenPrincipal),
    /// A legacy app password: acts as its user, within its classic scopes.
    AppPassword(AppPasswordPrincipal),
}

/// The app password a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordPrincipal {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<ClassicScope>,
    pub created_at: i64,
}
