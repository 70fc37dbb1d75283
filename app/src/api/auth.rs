//! First-run setup, sign-in and sign-out.

use super::Postcard;
use crate::{error::AppError, model::CurrentUser};
use leptos::prelude::*;
use tokenwarden::secret::Secret;

#[cfg(feature = "ssr")]
use crate::ssr::{
    request::{client_addr, parts, respond, state},
    session, setup_code, sign_in,
    store::users::{self, NewUser},
    throttle::{self, Subject},
};

#[server(prefix = "/api", endpoint = "current_user", output = Postcard)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    respond(async { session::current_user(&state()?, &parts()?).await }.await)
}

/// Whether the instance still needs its first administrator.
#[server(prefix = "/api", endpoint = "needs_setup", output = Postcard)]
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
    password: Secret,
    password_confirmation: &Secret,
    is_system_admin: bool,
) -> Result<NewUser, AppError> {
    use tokenwarden::validate;
    let username = validate::username(username)?;
    let email = validate::email(email)?;
    let display_name = validate::display_name("display name", display_name)?;
    validate::new_password(password.expose(), &username)?;
    if &password != password_confirmation {
        return Err(AppError::invalid(
            "password confirmation",
            "does not match the password",
        ));
    }
    Ok(NewUser {
        username,
        email,
        display_name,
        password_hash: state.passwords.hash(password.into_exposed()).await?,
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

/// Creates the first system administrator and signs them in. Needs the
/// one-time setup code the server printed at startup; refused once any
/// administrator exists.
#[server(prefix = "/api", endpoint = "setup", output = Postcard)]
pub async fn setup(
    setup_code: Secret,
    username: String,
    email: String,
    display_name: String,
    password: Secret,
    password_confirmation: Secret,
) -> Result<(), AppError> {
    respond(
        async {
            let state = state()?;
            let parts = parts()?;
            if users::is_set_up(&state.db).await? {
                return Err(AppError::Conflict("Setup is already complete: sign in instead.".into()));
            }
            // Guessing the code is slowed like guessing a password.
            let address = client_addr(&parts);
            let counted = throttle::attempt(
                &state.db,
                &state.auth.throttle,
                Subject::SetupCode { address: &address },
            )
            .await?;
            let code_hash = setup_code::hash(setup_code.expose());
            if !users::setup_code_issued(&state.db, &code_hash).await? {
                tracing::warn!(%address, "wrong setup code");
                return Err(crate::ssr::store::StoreError::SetupCodeNotIssued.into());
            }
            throttle::succeeded(&state.db, counted).await?;
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
            let id = users::create_first_admin(&state.db, &user, &code_hash).await?;
            setup_code::remove_file(&state.setup_code_file);
            tracing::info!(user = %user.username, "first system administrator created");
            let cookie = session::start(&state, id, &parts).await?;
            set_cookie_and_redirect(cookie, "/");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "login", output = Postcard)]
pub async fn login(identifier: String, password: Secret) -> Result<(), AppError> {
    respond(
        async {
            let cookie = sign_in::start_session(&state()?, &parts()?, &identifier, &password).await?;
            set_cookie_and_redirect(cookie, "/");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "logout", output = Postcard)]
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
