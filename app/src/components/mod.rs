//! What pages share: the layout and its guards, feedback, dates here; the
//! access-token panel and create form in [`tokens`]; the app-password
//! retirement banner in [`app_password_banner`]; every form's way to call
//! its server function, [`ServerForm`].

mod app_password_banner;
mod expiry_banner;
mod server_form;
pub mod tokens;
pub mod webhooks;

pub use app_password_banner::AppPasswordBanner;
pub use expiry_banner::ExpiryBanner;
pub use server_form::{FormAction, ServerForm};

use crate::{api::auth::Logout, auth::use_auth, error::AppError, model::CurrentUser};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

/// The top bar: product name, navigation for what the user may use, sign out.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let logout = FormAction::<Logout>::new();
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
                                    <ServerForm action=logout>
                                        <button type="submit" class="link">"Sign out"</button>
                                    </ServerForm>
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

/// How a new secret is used, for the lines shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The username Git and HTTP Basic take with it: `x-token-auth` for a
    /// workspace, project or repository token, else the user's own name.
    pub username: String,
    /// `workspace/repository` for the `git clone` line; placeholders where
    /// the secret reaches more than one repository.
    pub repository: String,
    /// Whether it also works as a Bearer token (tokens do, app passwords not).
    pub bearer: bool,
}

/// This page's origin (`https://git.example.com`), from the browser's
/// address bar; empty on the server, which never renders a new secret.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// The example commands for a new secret, with the real host filled in.
/// The secret itself stays out of them (`$TOKEN`), so it lands in neither
/// the shell's history nor a clone's `.git/config`.
pub fn usage_lines(usage: &Usage, origin: &str) -> Vec<String> {
    // "https://host:port" (split at a char, not a substring: less client code).
    let (scheme, host) = match origin.split_once(':') {
        Some((scheme, rest)) => (scheme, rest.trim_start_matches('/')),
        None => ("https", origin),
    };
    let variable = if usage.bearer { "$TOKEN" } else { "$APP_PASSWORD" };
    let auth = if usage.bearer {
        format!("-H \"Authorization: Bearer {variable}\"")
    } else {
        format!("-u \"{}:{variable}\"", usage.username)
    };
    vec![
        format!("curl {auth} {origin}/rest/api/latest/tokens/self"),
        format!(
            "git clone {scheme}://{}@{host}/scm/{}.git",
            usage.username, usage.repository
        ),
    ]
}

/// One secret shown once after it is made: focused, with a copy button,
/// when it expires, how to use it, and a "Done" that closes it for good.
#[component]
pub fn NewSecret(
    /// "Token "deploy" created."
    headline: String,
    secret: tokenwarden::secret::Secret,
    /// The field's accessible name ("New token").
    label: &'static str,
    /// "It expires on Thu 24 Dec 2026 (in 30 days)."
    #[prop(optional)]
    expiry: Option<String>,
    #[prop(optional)] usage: Option<Usage>,
    /// Closes the secret (the parent forgets it).
    on_done: Callback<()>,
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
    // The secret takes the focus, selected, so the next key press copies it
    // rather than pressing "Create" again.
    let field = NodeRef::<leptos::html::Textarea>::new();
    run_when(
        Box::new(move || field.get().is_some()),
        Box::new(move || {
            if let Some(input) = field.get_untracked() {
                let _ = input.focus();
                input.select();
            }
        }),
    );
    let usage = usage.map(|usage| {
        let host = origin();
        let lines = usage_lines(&usage, &host);
        let how = if usage.bearer {
            format!(
                "Send it as a Bearer token, or as the password for Git over HTTPS with the username {}. With the token in $TOKEN:",
                usage.username
            )
        } else {
            format!(
                "Use it as the password for Git over HTTPS and the REST API, with your username {}. With it in $APP_PASSWORD:",
                usage.username
            )
        };
        view! {
            <p>{how}</p>
            <pre class="usage"><code>{lines.join("\n")}</code></pre>
        }
    });
    view! {
        <div class="new-token" role="status">
            <p><strong>{headline}</strong>" Copy it now: you will not see it again."</p>
            <div class="secret-row">
                // A text area, so the whole secret shows, wrapped, even on a phone.
                <textarea class="secret" readonly rows="1" spellcheck="false" aria-label=label node_ref=field>{secret}</textarea>
                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
            {expiry.map(|e| view! { <p>{e}</p> })}
            {usage}
            <button type="button" class="secondary" on:click=move |_| on_done.run(())>"Done"</button>
        </div>
    }
}

/// "2026-05-01 14:03 from 10.0.0.7 (Git)", or "Never": when, from where and
/// through what a token or app password was last used.
#[component]
pub fn LastUse(at: Option<i64>, addr: Option<String>, via: Option<String>) -> impl IntoView {
    match at {
        None => "Never".into_any(),
        Some(at) => {
            let via = match via.as_deref() {
                Some("git") => " (Git)",
                Some("rest") => " (REST)",
                _ => "",
            };
            let from = addr.map(|a| format!(" from {a}")).unwrap_or_default();
            view! { <LocalDate at time=true /> {format!("{from}{via}")} }.into_any()
        }
    }
}

/// The browser event a saved policy raises, so forms elsewhere on the page
/// (the create form beside a workspace's policy) offer the new choices at
/// once, without a reload.
pub const POLICY_SAVED_EVENT: &str = "tokenwarden-policy-saved";

/// Tells the page a policy was saved (a no-op on the server).
pub fn announce_policy_saved() {
    #[cfg(feature = "hydrate")]
    if let (Some(window), Ok(event)) = (web_sys::window(), web_sys::Event::new(POLICY_SAVED_EVENT)) {
        let _ = window.dispatch_event(&event);
    }
}

/// A counter that goes up each time a policy is saved on this page.
pub fn policy_saves() -> ReadSignal<u32> {
    let (saves, set_saves) = signal(0u32);
    let handle = window_event_listener(
        leptos::ev::Custom::<leptos::ev::Event>::new(POLICY_SAVED_EVENT),
        move |_| set_saves.update(|n| *n += 1),
    );
    on_cleanup(move || handle.remove());
    saves
}

/// A wide table's own horizontal scroller: on a phone the table scrolls
/// here, not the page. Focusable, so a keyboard can scroll it, and named
/// for screen readers.
#[component]
pub fn Scroller(label: &'static str, children: Children) -> impl IntoView {
    view! { <div class="scroller" tabindex="0" role="region" aria-label=label>{children()}</div> }
}

/// The signed-in user, for use inside [`SignedIn`].
pub async fn signed_in_user() -> Option<CurrentUser> {
    use_auth().user.await.ok().flatten()
}

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The refusal of server function `path` that sent the browser back to
/// this page: a plain form (one rendered on the server, without client
/// code) posts to its server function, which answers with a redirect back,
/// carrying a refusal in the URL (`__path`, `__err`). Read on the server.
pub fn refusal(path: &str) -> Option<AppError> {
    let query = leptos_router::hooks::use_query_map().read_untracked().clone();
    (query.get("__path").as_deref() == Some(path))
        .then(|| query.get("__err"))
        .flatten()
        .map(|err| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&err))
}

/// Shows the error of an action's last submission, if it failed
/// ([`FormAction::outcome`]: one component for every form's answer type).
#[component]
pub fn ActionError(value: Signal<Option<Result<(), AppError>>>) -> impl IntoView {
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
pub fn ActionResult(value: Signal<Option<Result<(), AppError>>>, done: &'static str) -> impl IntoView {
    move || match value.get() {
        Some(Ok(_)) => Some(view! { <p class="done" role="status">{done}</p> }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
}

/// Once a submission succeeds, the form starts over (its fields back to
/// their defaults, passwords emptied), so a second press cannot repeat it,
/// then `then` runs (to move the focus, reset signals the form shows).
pub fn reset_on_success(
    succeeded: impl Fn() -> bool + 'static,
    form: NodeRef<leptos::html::Form>,
    then: impl Fn() + 'static,
) {
    // Boxed: one effect in the client for every form, not one per form.
    run_when(
        Box::new(succeeded),
        Box::new(move || {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            then();
        }),
    );
}

/// Runs `then` whenever a signal `condition` reads changes and `condition`
/// holds (an effect, so only in the browser). Not generic, so the client
/// carries its code once.
pub fn run_when(condition: Box<dyn Fn() -> bool>, then: Box<dyn Fn()>) {
    Effect::new(move |_| {
        if condition() {
            then();
        }
    });
}

/// An instant as a date (and, on hover or with `time`, the time of day) in
/// the viewer's time zone. The server renders it in UTC; inside an island,
/// once hydrated, it switches to the browser's local time (outside islands
/// it stays in UTC).
#[component]
pub fn LocalDate(at: i64, #[prop(optional)] time: bool) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Formatted by hand: chrono's strftime machinery would add much to the WASM.
    let local = move || chrono::DateTime::from_timestamp(at, 0).map(|d| d.with_timezone(&chrono::Local).naive_local());
    let utc = move || chrono::DateTime::from_timestamp(at, 0).map(|d| d.naive_utc());
    let shown = move || {
        let (moment, zone) = if hydrated.get() { (local(), "") } else { (utc(), " UTC") };
        moment
            .map(|t| {
                if time {
                    format!("{} {}{zone}", t.date(), hh_mm(t.time()))
                } else {
                    format!("{}{zone}", t.date())
                }
            })
            .unwrap_or_default()
    };
    view! {
        <time title=move || if hydrated.get() { local().map(|t| t.time().to_string()).unwrap_or_default() } else { String::new() }>
            {shown}
        </time>
    }
}

fn hh_mm(t: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A Unix-seconds timestamp as a UTC date.
pub fn date(unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map(|d| d.date_naive().to_string())
        .unwrap_or_default()
}
