//! Verifying an access token: the hot path of every REST and Git call. In
//! order: the token's shape and checksum (checked before this, so malformed
//! input never reaches the database), one indexed lookup by its keyed hash,
//! a constant-time comparison, then its state against the current instant.
//! No slow hash: tokens carry 192 random bits, so HMAC-SHA-256 is enough.
//!
//! Nothing is cached: a revoked or expired token fails on its next request,
//! whichever app server answers it.

use super::principal::{AuthError, TokenPrincipal, RESOURCE_TOKEN_USER};
use crate::ssr::{
    last_used::{Channel, Credential},
    store::{rotation, tokens, users},
    AppState, Db,
};
use subtle::ConstantTimeEq;
use tokenwarden::{credentials::Credentials, permissions::TokenKind, scope::Home, token::TokenState};

/// Verifies `credentials`, whose secret is well formed for a token of
/// `kind`, and notes the token as used `via` REST or Git.
pub async fn verify(
    state: &AppState,
    credentials: &Credentials,
    kind: TokenKind,
    client_addr: &str,
    via: Channel,
) -> Result<TokenPrincipal, AuthError> {
    let secret = credentials.secret().expose();
    let (db, keys) = (&state.db, &state.token_keys);

    // One lookup per key in the ring (one, until a rotation), newest first.
    let mut found = None;
    for candidate in keys.candidates(secret) {
        if let Some(stored) = tokens::find_by_hash(db, &candidate.hash).await? {
            // The lookup matched by equality; compare again in constant time
            // so nothing downstream depends on how the database compares.
            if bool::from(stored.token_hash.as_bytes().ct_eq(candidate.hash.as_bytes())) {
                found = Some(stored);
                break;
            }
        }
    }
    let stored = found.ok_or(AuthError::Unknown)?;
    if stored.home.kind() != kind {
        // A valid checksum with another kind's prefix cannot be ours.
        return Err(AuthError::Unknown);
    }
    if let Credentials::Basic { user, .. } = credentials {
        if !basic_user_matches(db, stored.home, user).await? {
            return Err(AuthError::Unknown);
        }
    }
    if stored.revoked_at.is_some() {
        return Err(AuthError::Revoked);
    }
    let now = state.clock.now();
    match TokenState::of(now, stored.created_at, stored.expires_at, false, stored.stops_at) {
        TokenState::Rotated => {
            let at = stored.stops_at.unwrap_or(now);
            // A rotated-away secret after its overlap: refused, and the first
            // time told (and the successors revoked, if the policy says so).
            // A failure to note it is logged; the answer is the 401 all the same.
            if let Err(e) = rotation::note_reuse(db, stored.id, now, state.email_enabled, client_addr).await {
                tracing::error!(token_id = stored.id, error = %e, "could not record the reuse of a rotated token");
            }
            return Err(AuthError::Rotated { at });
        }
        TokenState::Expired => {
            return Err(AuthError::Expired {
                at: stored.expires_at.unwrap_or(now),
            })
        }
        _ => {}
    }
    state
        .last_used
        .note(Credential::Token(stored.id), now, client_addr, via);
    Ok(TokenPrincipal {
        id: stored.id,
        home: stored.home,
        name: stored.name,
        permissions: stored.permissions,
        created_at: stored.created_at,
        expires_at: stored.expires_at,
        rotated_to: stored.rotated_to,
        stops_at: stored.stops_at,
    })
}

/// Basic's user name must fit the token: `x-token-auth` for a resource token,
/// the owner's username or email for a personal one.
async fn basic_user_matches(db: &Db, home: Home, user: &str) -> Result<bool, AuthError> {
    match home {
        Home::Personal { user_id } => Ok(users::is_named(db, user_id, user).await?),
        Home::Resource(_) => Ok(user == RESOURCE_TOKEN_USER),
    }
}
