//! First-run setup, sign-in and sign-out.

use crate::{error::AppError, model::CurrentUser};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    request::{parts, respond, state},
    session,
    store::users::{self, NewUser},
    throttle,
};

#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    respond(async { session::current_user(&state()?, &parts()?).await }.await)
}

/// Whether the instance still needs its first administrator.
#[server(prefix = "/api", endpoint = "needs_setup")]
pub async fn needs_setup() -> Result<bool, AppError> {
    respond(async { Ok(!users::is_set_up(&state()?.db).await?) }.await)
}

/// Validates a new account's fields the same way everywhere and hashes its password.
#[cfg(feature = "ssr")]
pub(crate) async fn new_user(
    state: &crate::ssr::AppState,
    username: &str,
    email: &str,
    display_name: &str,
    password: String,
    password_confirmation: &str,
    is_system_admin: bool,
) -> Result<NewUser, AppError> {
    use tokenwarden::validate;
    let username = validate::username(username)?;
    let email = validate::email(email)?;
    let display_name = validate::display_name("display name", display_name)?;
    validate::new_password(&password, &username)?;
    if password != password_confirmation {
        return Err(AppError::invalid(
            "password confirmation",
            "does not match the password",
        ));
    }
    Ok(NewUser {
        username,
        email,
        display_name,
        password_hash: state.passwords.hash(password).await?,
        is_system_admin,
    })
}

#[cfg(feature = "ssr")]
fn set_cookie_and_redirect(cookie: String, to: &str) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
    leptos_axum::redirect(to);
}

/// Creates the first system administrator and signs them in. Refused once
/// any administrator exists.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn setup(
    username: String,
    email: String,
    display_name: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    respond(
        async {
            let state = state()?;
            if users::is_set_up(&state.db).await? {
                return Err(AppError::Conflict("Setup is already complete: sign in instead.".into()));
            }
            let user = new_user(
                &state,
                &username,
                &email,
                &display_name,
                password,
                &password_confirmation,
                true,
            )
            .await?;
            let id = users::create_first_admin(&state.db, &user).await?;
            tracing::info!(user = %user.username, "first system administrator created");
            let cookie = session::start(&state, id, &parts()?).await?;
            set_cookie_and_redirect(cookie, "/");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(identifier: String, password: String) -> Result<(), AppError> {
    respond(
        async {
            let state = state()?;
            let parts = parts()?;
            let address = crate::ssr::request::client_addr(&parts);
            if identifier.trim().is_empty() || password.is_empty() {
                return Err(AppError::BadCredentials);
            }
            if password.chars().count() > tokenwarden::validate::PASSWORD_MAX_CHARS {
                return Err(AppError::BadCredentials);
            }
            throttle::check(&state.db, &state.auth.lockout, &identifier, &address).await?;
            let found = users::find_for_login(&state.db, &identifier).await?;
            let (user_id, hash) = match found {
                Some((id, hash)) => (Some(id), Some(hash)),
                None => (None, None),
            };
            let verified = state.passwords.verify(password, hash).await?;
            match (verified, user_id) {
                (true, Some(user_id)) => {
                    throttle::clear_account(&state.db, &identifier).await?;
                    let cookie = session::start(&state, user_id, &parts).await?;
                    tracing::info!(user_id, %address, "signed in");
                    set_cookie_and_redirect(cookie, "/");
                    Ok(())
                }
                _ => {
                    throttle::record_failure(&state.db, &state.auth.lockout, &identifier, &address).await?;
                    tracing::warn!(%address, "failed sign-in");
                    Err(AppError::BadCredentials)
                }
            }
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    respond(
        async {
            let cookie = session::end(&state()?, &parts()?).await?;
            set_cookie_and_redirect(cookie, "/login");
            Ok(())
        }
        .await,
    )
}
