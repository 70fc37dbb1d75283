//! The sign-in page's form, posted without any client code: the page that
//! a browser always fetches cold loads no WASM (its form is not an island).
//! A good password gets the session cookie and a redirect home (303); a bad
//! one gets the sign-in page again, rendered here with the error and the
//! identifier that was typed, under the error's status (401, or 429 while
//! throttled). The same checks as the `login` server function run
//! (`app::ssr::sign_in::start_session`); cross-site posts are refused before
//! this runs (`csrf`).

use app::{pages::SignInRefused, shell, ssr::AppState};
use axum::{
    body::Body,
    extract::{FromRequest, Request},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use leptos::prelude::provide_context;
use serde::Deserialize;
use tokenwarden::secret::Secret;

/// What the form posts.
#[derive(Deserialize)]
pub struct SignInForm {
    identifier: String,
    password: Secret,
}

/// Handles `POST /login`. `page_context` is what every page renders with
/// (the nonce, the client's files).
pub async fn submit(
    state: AppState,
    page_context: impl Fn() + Clone + Send + Sync + 'static,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    // A body that is not the form gets axum's 4xx (415, 422) and its reason.
    let form = match Form::<SignInForm>::from_request(Request::from_parts(parts.clone(), body), &state).await {
        Ok(Form(form)) => form,
        Err(rejection) => return rejection.into_response(),
    };
    match app::ssr::sign_in::start_session(&state, &parts, &form.identifier, &form.password).await {
        Ok(cookie) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/".to_string()), (header::SET_COOKIE, cookie)],
        )
            .into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let refused = SignInRefused {
                identifier: form.identifier,
                error,
            };
            let options = state.leptos_options.clone();
            let render = leptos_axum::render_app_async_with_context(
                move || {
                    provide_context(state.clone());
                    page_context();
                    provide_context(refused.clone());
                },
                move || shell(options.clone()),
            );
            let mut page = render(Request::from_parts(parts, Body::empty())).await;
            *page.status_mut() = status;
            page
        }
    }
}
