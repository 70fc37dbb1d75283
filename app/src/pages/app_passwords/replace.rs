//! Personal settings > App passwords > Replace with API token: create the
//! token prefilled from the app password's scopes, then revoke the app
//! password, as two steps of one screen.

use super::{scope_labels, API_TOKENS};
use crate::components::LastUse;
use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::{
        app_passwords::{MyAppPasswords, RevokeAppPassword},
        tokens::{CreateToken, TokenPolicy},
    },
    components::{
        tokens::{CreateTokenFields, NewTokenSecret, Prefill},
        ActionError, ErrorBox, FormAction, ServerForm, SignedIn,
    },
    model::PolicyView,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tokenwarden::{app_passwords::nearest_token_permissions, place::Place};

/// Personal settings > App passwords > Replace with API token.
#[component]
pub fn ReplaceAppPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    view! {
        <Title text="Replace app password" />
        <SignedIn>
            <div class="page-head">
                <h1>"Replace an app password with an API token"</h1>
                <a href="/account/app-passwords">"Back to app passwords"</a>
            </div>
            {move || match id() {
                Some(id) => view! { <ReplaceAppPassword id /> }.into_any(),
                None => view! { <p class="error" role="alert">"App password not found."</p> }.into_any(),
            }}
        </SignedIn>
    }
}

/// Loads the app password and the policy on the server; only the two steps
/// below are an island.
#[component]
fn ReplaceAppPassword(id: i64) -> impl IntoView {
    let mine = server_resource(|| (), |_| MyAppPasswords {});
    let policy = server_resource(
        || (),
        |_| TokenPolicy {
            kind: "personal".into(),
            workspace: String::new(),
            project: String::new(),
            repository: String::new(),
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (mine, policy) = (mine.await, policy.await);
                let (mine, policy) = match (mine, policy) {
                    (Ok(mine), Ok(policy)) => (mine, policy),
                    (Err(error), _) | (_, Err(error)) => return view! { <ErrorBox error /> }.into_any(),
                };
                let Some(app_password) = mine.app_passwords.into_iter().find(|a| a.id == id) else {
                    return view! { <p class="error" role="alert">"App password not found."</p> }.into_any();
                };
                if app_password.revoked_at.is_some() {
                    return view! {
                        <p class="notice">"This app password is already revoked. " <a href=API_TOKENS>"Your API tokens"</a></p>
                    }.into_any();
                }
                let equivalent = nearest_token_permissions(&app_password.classic_scopes());
                let dropped: Vec<&str> = equivalent.dropped.iter().map(|s| s.label()).collect();
                let permissions: Vec<String> = equivalent.permissions.names().into_iter().map(String::from).collect();
                view! {
                    <section class="card">
                        <h2>{format!("App password \"{}\"", app_password.name)}</h2>
                        <p>"Permissions: " {scope_labels(&app_password)} ". Last used: " <LastUse at=app_password.last_used_at addr=app_password.last_used_addr.clone() via=app_password.last_used_via.clone() /></p>
                        <p class="hint">
                            "The API token below starts with the nearest permissions ("
                            {if permissions.is_empty() { "none map: choose some".to_string() } else { permissions.join(", ") }}
                            ") and an expiry the policy allows. It acts as you, never beyond your own rights."
                            {(!dropped.is_empty()).then(|| format!(
                                " Not carried over: {} (API tokens cannot change account details; any project or repository permission lets the token see your workspaces).",
                                dropped.join(", ")
                            ))}
                        </p>
                    </section>
                    <ReplaceSteps id name=app_password.name.clone() permissions policy />
                }.into_any()
            })}
        </Suspense>
    }
}

island! {
/// 1. create the API token (pre-filled), 2. revoke the app password.
fn ReplaceSteps(id: i64, name: String, permissions: Vec<String>, policy: PolicyView) -> impl IntoView {
    let create = FormAction::<CreateToken>::new();
    let revoke = FormAction::<RevokeAppPassword>::new();
    let created = move || create.value().and_then(Result::ok);
    // "Done" hides the secret; step 2 stays.
    let secret_open = RwSignal::new(true);
    let revoked = move || revoke.succeeded();
    let prefill = Prefill {
        name: name.clone(),
        permissions,
    };
    let place = Place::mine();
    let question = StoredValue::new(format!(
        "Revoke app password \"{name}\"? Anything still using it stops working at once."
    ));
    view! {
        <section class="card">
            <Show when=move || created().is_none() fallback=|| ()>
                <CreateTokenFields place=place.clone() policy=policy.clone() create prefill=prefill.clone() title="1. Create the API token" />
            </Show>
            {move || created().map(|created| view! {
                {move || secret_open.get().then(|| view! {
                    <NewTokenSecret created=created.clone() on_done=Callback::new(move |_| secret_open.set(false)) />
                })}
                <h3>"2. Put the token where the app password was, then revoke the app password"</h3>
            })}
            <Show when=move || created().is_some() && !revoked() fallback=|| ()>
                <ServerForm action=revoke attr:class="confirm">
                    <input type="hidden" name="id" value=id />
                    <span>{question.get_value()}</span>
                    <button type="submit" class="danger">"Revoke app password"</button>
                </ServerForm>
            </Show>
            <ActionError value=revoke.outcome() />
            <Show when=revoked fallback=|| ()>
                <p class="done" role="status">"Done: the app password is revoked and its API token is ready. "
                    <a href=API_TOKENS>"See your API tokens"</a></p>
            </Show>
        </section>
    }
}
}
