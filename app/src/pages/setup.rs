//! First run: create the first system administrator.

use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::auth::{NeedsSetup, Setup},
    components::{ActionError, ErrorBox, FormAction, ServerForm},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use tokenwarden::validate::{
    EMAIL_MAX_CHARS, NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USERNAME_MAX_CHARS, USERNAME_MIN_CHARS,
};

#[component]
pub fn Setup() -> impl IntoView {
    let needed = server_resource(|| (), |_| NeedsSetup {});
    view! {
        <Title text="Set up" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match needed.await {
                    Ok(false) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                    Ok(true) => view! {
                        <section class="card narrow">
                            <h1>"Welcome to Tokenwarden"</h1>
                            <p>"Create the first system administrator. You will be signed in as this user."</p>
                            <p class="hint">"To prove you run this server, enter the setup code it printed when it started. It is also in the file "<code>"setup-code"</code>" in its data directory."</p>
                            <SetupForm />
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

island! {
/// Creates the first administrator; the server signs them in and redirects
/// home, or the error is shown in place, keeping what was typed.
fn SetupForm() -> impl IntoView {
    let setup = FormAction::<Setup>::new();
    view! {
        <ServerForm action=setup attr:class="stack">
            <label>"Setup code" <input name="setup_code" autocomplete="one-time-code" required spellcheck="false" placeholder="XXXX-XXXX-XXXX-XXXX" /></label>
            <label>"Username" <input name="username" autocomplete="username" required minlength=USERNAME_MIN_CHARS maxlength=USERNAME_MAX_CHARS /></label>
            <label>"Email" <input name="email" type="email" autocomplete="email" required maxlength=EMAIL_MAX_CHARS /></label>
            <label>"Full name" <input name="display_name" autocomplete="name" required maxlength=NAME_MAX_CHARS /></label>
            <label>"Password" <input name="password" type="password" autocomplete="new-password" required minlength=PASSWORD_MIN_CHARS maxlength=PASSWORD_MAX_CHARS /></label>
            <label>"Confirm password" <input name="password_confirmation" type="password" autocomplete="new-password" required minlength=PASSWORD_MIN_CHARS maxlength=PASSWORD_MAX_CHARS /></label>
            <p class="hint">"At least 12 characters. A passphrase of a few words is easiest."</p>
            <ActionError value=setup.outcome() />
            <button type="submit">"Create administrator"</button>
        </ServerForm>
    }
}
}
