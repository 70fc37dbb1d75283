//! Authenticating a request by access token: the hot path of every REST and
//! Git call. (HTTP Basic with a password that is not a token goes to the
//! legacy app passwords, see `app_password_auth`.) In order: the token's shape and checksum (malformed input
//! never reaches the database), one indexed lookup by its keyed hash, a
//! constant-time comparison, then its state against the current instant. No
//! slow hash: tokens carry 192 random bits, so HMAC-SHA-256 is enough.
//!
//! Nothing is cached: a revoked or expired token fails on its next request,
//! whichever app server answers it.

use super::{
    app_password_auth::AppPasswordPrincipal,
    db::now,
    last_used::{Channel, Credential},
    store::tokens::Owner,
    AppState, Db,
};
use crate::error::AppError;
use http::{header::AUTHORIZATION, HeaderMap};
use subtle::ConstantTimeEq;
use tokenwarden::{
    credentials::{self, Credentials},
    permissions::TokenKind,
    token,
};

/// The user name Basic authentication takes for workspace, project and
/// repository tokens (as Bitbucket Cloud has it for Git).
pub const RESOURCE_TOKEN_USER: &str = "x-token-auth";

/// Why a request was not authenticated. Malformed and unknown tokens say
/// nothing more; an expired or revoked one (whose holder has the secret)
/// says so, and when it expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAuthError {
    Missing,
    Malformed,
    Unknown,
    Expired {
        at: i64,
    },
    Revoked,
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

impl From<AppError> for TokenAuthError {
    fn from(_: AppError) -> Self {
        TokenAuthError::Internal
    }
}

/// The token a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPrincipal {
    pub id: i64,
    pub owner: Owner,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl TokenPrincipal {
    pub fn kind(&self) -> TokenKind {
        self.owner.kind()
    }
}

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Token(TokenPrincipal),
    /// A legacy app password: acts as its user, within its classic scopes.
    AppPassword(AppPasswordPrincipal),
}

/// The request's one `Authorization` header, read (several are refused:
/// which one counts would be ambiguous).
fn credentials(headers: &HeaderMap) -> Result<Credentials, TokenAuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(TokenAuthError::Missing)?;
    if values.next().is_some() {
        return Err(TokenAuthError::Malformed);
    }
    credentials::parse(value.as_bytes()).map_err(|_| TokenAuthError::Malformed)
}

type TokenRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

/// Authenticates the request's `Authorization` header at this instant:
/// Bearer, or Basic with a token as password; Basic with anything else is an
/// app password. Notes the credential as used `via` REST or Git.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client_addr: &str,
    via: Channel,
) -> Result<Principal, TokenAuthError> {
    let credentials = credentials(headers)?;
    let secret = credentials.secret().expose();
    let kind = match (token::check(secret), &credentials) {
        (Ok(kind), _) => kind,
        // Not a token at all: a legacy app password, if the user is a person.
        (Err(token::TokenFormatError::UnknownPrefix), Credentials::Basic { user, secret })
            if user != RESOURCE_TOKEN_USER =>
        {
            return state
                .app_passwords
                .authenticate(&state.db, &state.last_used, user, secret.expose(), client_addr, via)
                .await
                .map(Principal::AppPassword);
        }
        (Err(_), _) => return Err(TokenAuthError::Malformed),
    };
    let (db, keys) = (&state.db, &state.token_keys);

    // One lookup per key in the ring (one, until a rotation), newest first.
    let mut found: Option<TokenRow> = None;
    for candidate in keys.candidates(secret) {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, kind, name, permissions, workspace_id, project_id, repository_id, user_id, \
             token_hash, created_at, expires_at, revoked_at FROM access_tokens WHERE token_hash = $1",
        )
        .bind(&candidate.hash)
        .fetch_optional(&db.pool)
        .await
        .map_err(AppError::from)?;
        if let Some(row) = row {
            // The lookup matched by equality; compare again in constant time
            // so nothing downstream depends on how the database compares.
            if bool::from(row.8.as_bytes().ct_eq(candidate.hash.as_bytes())) {
                found = Some(row);
                break;
            }
        }
    }
    let (
        id,
        stored_kind,
        name,
        permissions,
        workspace_id,
        project_id,
        repository_id,
        user_id,
        _,
        created_at,
        expires_at,
        revoked_at,
    ) = found.ok_or(TokenAuthError::Unknown)?;
    let owner =
        owner(&stored_kind, workspace_id, project_id, repository_id, user_id).ok_or(TokenAuthError::Internal)?;
    if owner.kind() != kind {
        // A valid checksum with another kind's prefix cannot be ours.
        return Err(TokenAuthError::Unknown);
    }
    if let Credentials::Basic { user, .. } = &credentials {
        if !basic_user_matches(db, owner, user).await? {
            return Err(TokenAuthError::Unknown);
        }
    }
    if revoked_at.is_some() {
        return Err(TokenAuthError::Revoked);
    }
    let now = now();
    if let Some(at) = expires_at.filter(|&at| at <= now) {
        return Err(TokenAuthError::Expired { at });
    }
    state.last_used.note(Credential::Token(id), now, client_addr, via);
    Ok(Principal::Token(TokenPrincipal {
        id,
        owner,
        name,
        permissions: permissions.split_whitespace().map(String::from).collect(),
        created_at,
        expires_at,
    }))
}

fn owner(
    kind: &str,
    workspace_id: Option<i64>,
    project_id: Option<i64>,
    repository_id: Option<i64>,
    user_id: Option<i64>,
) -> Option<Owner> {
    Some(match TokenKind::parse(kind)? {
        TokenKind::Workspace => Owner::Workspace {
            workspace_id: workspace_id?,
        },
        TokenKind::Project => Owner::Project {
            workspace_id: workspace_id?,
            project_id: project_id?,
        },
        TokenKind::Repository => Owner::Repository {
            workspace_id: workspace_id?,
            project_id: project_id?,
            repository_id: repository_id?,
        },
        TokenKind::Personal => Owner::Personal { user_id: user_id? },
    })
}

/// Basic's user name must fit the token: `x-token-auth` for a resource token,
/// the owner's username or email for a personal one.
async fn basic_user_matches(db: &Db, owner: Owner, user: &str) -> Result<bool, TokenAuthError> {
    match owner {
        Owner::Personal { user_id } => {
            let row: Option<(String, String)> = sqlx::query_as("SELECT username, email FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&db.pool)
                .await
                .map_err(AppError::from)?;
            Ok(row.is_some_and(|(username, email)| {
                username.eq_ignore_ascii_case(user) || email.eq_ignore_ascii_case(user)
            }))
        }
        _ => Ok(user == RESOURCE_TOKEN_USER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn one_header_is_read_and_two_are_refused() {
        assert!(matches!(
            credentials(&headers(&["Bearer abc"])),
            Ok(Credentials::Bearer(_))
        ));
        assert_eq!(credentials(&HeaderMap::new()), Err(TokenAuthError::Missing));
        assert_eq!(credentials(&headers(&["Digest abc"])), Err(TokenAuthError::Malformed));
        assert_eq!(
            credentials(&headers(&["Bearer abc", "Bearer def"])),
            Err(TokenAuthError::Malformed)
        );
    }
}
