//! What pages share: the layout and its guards, feedback, dates here; the
//! access-token panel and create form in [`tokens`]; the app-password
//! retirement banner in [`app_password_banner`].

mod app_password_banner;
pub mod tokens;

pub use app_password_banner::AppPasswordBanner;

use crate::{api::auth::Logout, auth::use_auth, error::AppError, model::CurrentUser};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

/// The top bar: product name, navigation for what the user may use, sign out.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Tokenwarden"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) => {
                            view! {
                                <nav aria-label="Main">
                                    <A href="/">"Workspaces"</A>
                                    <A href="/account/access-tokens">"Access tokens"</A>
                                    <A href="/account/app-passwords">"App passwords"</A>
                                    <Show when=move || user.is_system_admin>
                                        <A href="/admin">"Administration"</A>
                                    </Show>
                                </nav>
                                <div class="session">
                                    <span class="who" title=user.username.clone()>{user.display_name.clone()}</span>
                                    // A plain form (no island): the server signs out and redirects.
                                    <ActionForm action=logout>
                                        <button type="submit" class="link">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

/// Renders `children` for a signed-in user and redirects anyone else to the
/// sign-in page. Only a convenience: every server function checks again.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(_)) => children().into_any(),
                            Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

/// Renders `children` for a signed-in system admin; anyone else signed in
/// sees why not (and signed-out visitors go to sign-in). A convenience
/// only: the server functions behind the page check again.
#[component]
pub fn SystemAdminOnly(title: &'static str, children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) if user.is_system_admin => children().into_any(),
                        Ok(Some(_)) => view! {
                            <section class="card narrow">
                                <h1>{title}</h1>
                                <p class="error" role="alert">"You don't have permission to view this page. Only system administrators can."</p>
                            </section>
                        }
                        .into_any(),
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// One secret shown once after it is made, with a copy button.
#[component]
pub fn NewSecret(
    /// "Token "deploy" created."
    headline: String,
    /// What to do with it, after "Copy it now: you will not see it again."
    #[prop(default = "")]
    how: &'static str,
    secret: tokenwarden::secret::Secret,
    /// The field's accessible name ("New token").
    label: &'static str,
) -> impl IntoView {
    let secret = secret.into_exposed();
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let to_copy = secret.clone();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&to_copy);
        }
        copied.set(true);
    };
    view! {
        <div class="new-token" role="status">
            <p><strong>{headline}</strong>" Copy it now: you will not see it again. "{how}</p>
            <div class="secret-row">
                <input class="secret" readonly value=secret aria-label=label />
                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
        </div>
    }
}

/// The signed-in user, for use inside [`SignedIn`].
pub async fn signed_in_user() -> Option<CurrentUser> {
    use_auth().user.await.ok().flatten()
}

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// Shows the error of an action's last submission, if it failed.
#[component]
pub fn ActionError<T>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || {
        value
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorBox error /> })
    }
}

/// The outcome of an action's last submission: its error, or `done` when
/// it succeeded (so a form that clears nothing still visibly did something).
#[component]
pub fn ActionResult<T>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>, done: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Ok(_)) => Some(view! { <p class="done" role="status">{done}</p> }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
}

/// Counts this island on `<body data-islands-ready>` once it has hydrated,
/// so browser tests can wait for every island on a page.
pub fn island_ready() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let ready = body
                .get_attribute("data-islands-ready")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            let _ = body.set_attribute("data-islands-ready", &(ready + 1).to_string());
        }
    });
}

/// An instant as a date (and, on hover, time) in the viewer's time zone.
/// The server renders it in UTC; inside an island, once hydrated, it switches
/// to the browser's local time (outside islands it stays in UTC).
#[component]
pub fn LocalDate(at: i64) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Formatted by hand: chrono's strftime machinery would add much to the WASM.
    let local = move || chrono::DateTime::from_timestamp(at, 0).map(|d| d.with_timezone(&chrono::Local).naive_local());
    view! {
        <time title=move || if hydrated.get() { local().map(|t| t.time().to_string()).unwrap_or_default() } else { String::new() }>
            {move || if hydrated.get() { local().map(|t| t.date().to_string()).unwrap_or_default() } else { format!("{} UTC", date(at)) }}
        </time>
    }
}

/// A Unix-seconds timestamp as a UTC date.
pub fn date(unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map(|d| d.date_naive().to_string())
        .unwrap_or_default()
}
