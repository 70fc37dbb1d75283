use crate::resource::server_resource;
use crate::{api::auth::NeedsSetup, auth::use_auth, components::ErrorBox, error::AppError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn Login() -> impl IntoView {
    let auth = use_auth();
    let needed = server_resource(|| (), |_| NeedsSetup {});
    view! {
        <Title text="Sign in" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.user.await, Ok(Some(_)));
                if signed_in {
                    return view! { <Redirect path="/" /> }.into_any();
                }
                if matches!(needed.await, Ok(true)) {
                    return view! { <Redirect path="/setup" /> }.into_any();
                }
                view! {
                    <section class="card narrow">
                        <h1>"Sign in"</h1>
                        <LoginForm />
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// A sign-in the server refused: the page is rendered again with the error
/// and the identifier that was typed (never the password). Provided by the
/// server's handler of the form (`POST /login`).
#[derive(Clone, Debug)]
pub struct SignInRefused {
    pub identifier: String,
    pub error: AppError,
}

/// A plain form, not an island: the sign-in page loads no client, so it is
/// small and usable at once (it is the page a browser always fetches cold).
/// It posts to `/login`; the server answers a good password with the session
/// cookie and a redirect home, a bad one with this page again, the error
/// shown and what was typed kept.
#[component]
fn LoginForm() -> impl IntoView {
    let refused = use_context::<SignInRefused>();
    let identifier = refused.as_ref().map(|r| r.identifier.clone()).unwrap_or_default();
    let focus_password = refused.is_some();
    view! {
        <form method="post" action="/login" class="stack">
            <label>"Username or email" <input name="identifier" autocomplete="username" required value=identifier /></label>
            <label>"Password" <input name="password" type="password" autocomplete="current-password" required autofocus=focus_password /></label>
            {refused.map(|r| view! { <ErrorBox error=r.error /> })}
            <button type="submit">"Sign in"</button>
        </form>
    }
}
