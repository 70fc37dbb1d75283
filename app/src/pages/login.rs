use crate::{
    api::auth::{needs_setup, Login},
    auth::use_auth,
    components::{island_ready, ActionError},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn Login() -> impl IntoView {
    let auth = use_auth();
    let needed = Resource::new(|| (), |_| needs_setup());
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

/// The server answers a good password with the session cookie and a redirect
/// home; a bad one is shown in place, keeping what was typed.
#[island]
fn LoginForm() -> impl IntoView {
    island_ready();
    let login = ServerAction::<Login>::new();
    view! {
        <ActionForm action=login attr:class="stack">
            <label>"Username or email" <input name="identifier" autocomplete="username" required /></label>
            <label>"Password" <input name="password" type="password" autocomplete="current-password" required /></label>
            <ActionError value=login.value() />
            <button type="submit">"Sign in"</button>
        </ActionForm>
    }
}
