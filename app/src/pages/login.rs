use crate::{api::auth::needs_setup, auth::use_auth, components::ActionError};
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
                        <ActionForm action=auth.login attr:class="stack">
                            <label>"Username or email" <input name="identifier" autocomplete="username" required /></label>
                            <label>"Password" <input name="password" type="password" autocomplete="current-password" required /></label>
                            <ActionError value=auth.login.value() />
                            <button type="submit">"Sign in"</button>
                        </ActionForm>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
