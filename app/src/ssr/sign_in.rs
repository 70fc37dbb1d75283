//! Checking an account's password: web sign-in and HTTP Basic on the
//! token-management API go through this one function, so both get the same
//! throttling (counted before argon2 runs, see `throttle`), the same single
//! answer for unknown accounts and wrong passwords, and the same
//! constant-time verification (against a dummy hash for unknown accounts).

use super::{
    request::client_addr,
    session,
    store::users,
    throttle::{self, Account, Subject},
    AppState,
};
use crate::error::AppError;
use http::request::Parts;
use tokenwarden::{secret::Secret, validate::PASSWORD_MAX_CHARS};

/// No username or email is longer: such input is refused unread.
const MAX_IDENTIFIER_CHARS: usize = 254;

/// The id of the user `identifier` (username or email) names, if
/// `password` is theirs.
pub async fn check_password(
    state: &AppState,
    identifier: &str,
    password: &Secret,
    address: &str,
) -> Result<i64, AppError> {
    let identifier = identifier.trim();
    if identifier.is_empty()
        || identifier.chars().count() > MAX_IDENTIFIER_CHARS
        || password.is_empty()
        || password.expose().chars().count() > PASSWORD_MAX_CHARS
    {
        return Err(AppError::BadCredentials);
    }
    let policy = &state.auth.throttle;
    let found = users::find_for_login(&state.db, identifier).await?;
    let (account, known_address) = match &found {
        Some(user) => (
            Account::User(user.id),
            throttle::known_address(&state.db, policy, user.id, address).await?,
        ),
        None => (Account::Unknown(identifier.to_string()), false),
    };
    let counted = throttle::attempt(
        &state.db,
        policy,
        Subject::Password {
            account,
            address,
            known_address,
        },
    )
    .await?;
    let (user_id, hash) = match found {
        Some(user) => (Some(user.id), Some(user.password_hash)),
        None => (None, None),
    };
    let verified = state.passwords.verify(password.expose().to_string(), hash).await?;
    match (verified, user_id) {
        (true, Some(user_id)) => {
            throttle::succeeded(&state.db, counted).await?;
            throttle::remember_sign_in(&state.db, user_id, address).await?;
            Ok(user_id)
        }
        _ => {
            tracing::warn!(%address, "wrong password or unknown account");
            Err(AppError::BadCredentials)
        }
    }
}

/// Web sign-in, by the sign-in page's form or the `login` server function:
/// the password checked as above, then a new session. Returns the session
/// cookie to set.
pub async fn start_session(
    state: &AppState,
    parts: &Parts,
    identifier: &str,
    password: &Secret,
) -> Result<String, AppError> {
    let address = client_addr(parts);
    let user_id = check_password(state, identifier, password, &address).await?;
    let cookie = session::start(state, user_id, parts).await?;
    tracing::info!(user_id, %address, "signed in");
    Ok(cookie)
}
