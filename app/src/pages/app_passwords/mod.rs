//! Legacy app passwords, one module per screen: Personal settings > App
//! passwords (here: list, create while creation is open, revoke),
//! [`replace`] ("Replace with API token") and [`migration`] (the admins'
//! dashboard with the retirement schedule).

mod migration;
mod replace;

pub use migration::AppPasswordMigrationPage;
pub use replace::ReplaceAppPasswordPage;

use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::app_passwords::{CreateAppPassword, MyAppPasswords, RevokeAppPassword},
    components::{
        reset_on_success, ActionError, ErrorBox, FormAction, LastUse, LocalDate, NewSecret, Scroller, ServerForm,
        SignedIn, Usage,
    },
    model::{AppPasswordView, CreatedAppPassword},
};
use leptos::prelude::*;
use leptos_meta::Title;
use tokenwarden::app_passwords::ClassicScope;
use tokenwarden::validate::NAME_MAX_CHARS;

const API_TOKENS: &str = "/account/access-tokens";

fn scope_labels(app_password: &AppPasswordView) -> String {
    app_password
        .classic_scopes()
        .into_iter()
        .map(ClassicScope::label)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Personal settings > App passwords.
#[component]
pub fn AppPasswords() -> impl IntoView {
    view! {
        <Title text="App passwords" />
        <SignedIn>
            <h1>"App passwords"</h1>
            <p class="muted">
                "App passwords are being retired in favour of API tokens, which can expire and have modern permissions. "
                <a href=API_TOKENS>"Create an API token"</a> " for new integrations."
            </p>
            <AppPasswordsPanel />
        </SignedIn>
    }
}

island! {
fn AppPasswordsPanel() -> impl IntoView {
    let create = FormAction::<CreateAppPassword>::new();
    let revoke = FormAction::<RevokeAppPassword>::new();
    let mine = server_resource(
        move || (create.version().get(), revoke.version().get()),
        |_| MyAppPasswords {},
    );
    view! {
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mine.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(mine) => {
                            let closed = mine.creation_closed;
                            let cutoff = mine.cutoff_on;
                            view! {
                                {match closed {
                                    Some(message) => view! {
                                        <p class="notice" role="note">{message} " " <a href=API_TOKENS>"Create an API token"</a></p>
                                    }.into_any(),
                                    None => view! { <CreateAppPasswordForm create /> }.into_any(),
                                }}
                                {cutoff.map(|c| view! { <p class="hint">{format!("App passwords stop working on {c} (00:00 UTC).")}</p> })}
                                <AppPasswordList app_passwords=mine.app_passwords retired=mine.retired revoke />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            {move || create.value().and_then(Result::ok).map(|created| view! {
                <NewAppPassword created on_done=Callback::new(move |_| create.clear()) />
            })}
            <ActionError value=revoke.outcome() />
        </section>
    }
}
}

#[component]
fn CreateAppPasswordForm(create: FormAction<CreateAppPassword>) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(move || create.succeeded(), form, || ());
    // One select per group: choosing Write includes Read, as in Bitbucket.
    let groups: [(&str, &str, &[ClassicScope]); 4] = [
        (
            "account",
            "Account",
            &[ClassicScope::Account, ClassicScope::AccountWrite],
        ),
        (
            "membership",
            "Workspace membership",
            &[ClassicScope::WorkspaceMembership],
        ),
        (
            "projects",
            "Projects",
            &[
                ClassicScope::ProjectRead,
                ClassicScope::ProjectWrite,
                ClassicScope::ProjectAdmin,
            ],
        ),
        (
            "repositories",
            "Repositories",
            &[
                ClassicScope::RepositoryRead,
                ClassicScope::RepositoryWrite,
                ClassicScope::RepositoryAdmin,
            ],
        ),
    ];
    view! {
        <details class="create" open>
            <summary>"Create app password"</summary>
            <ServerForm action=create node_ref=form attr:class="stack">
                <label>"Label" <input name="name" required maxlength=NAME_MAX_CHARS placeholder="Build server" /></label>
                <div class="grid-form">
                    {groups.into_iter().map(|(field, label, scopes)| view! {
                        <label>{label}
                            <select name=field>
                                <option value="">"None"</option>
                                {scopes.iter().map(|s| {
                                    let level = s.label().split(": ").nth(1).unwrap_or(s.label()).to_string();
                                    view! { <option value=s.id()>{level}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }).collect_view()}
                </div>
                <ActionError value=create.outcome() />
                <button type="submit">"Create"</button>
            </ServerForm>
        </details>
    }
}

#[component]
fn NewAppPassword(created: CreatedAppPassword, on_done: Callback<()>) -> impl IntoView {
    let usage = Usage {
        username: created.username,
        repository: "<workspace>/<repository>".into(),
        bearer: false,
    };
    view! {
        <NewSecret
            headline=format!("App password \"{}\" created.", created.app_password.name)
            secret=created.secret
            label="New app password"
            expiry="It does not expire, but stops working when app passwords are retired.".to_string()
            usage
            on_done
        />
    }
}

/// "Active", "Retired" (after the cutoff) or "Revoked", as a badge.
fn state_label(active: bool, retired: bool) -> impl IntoView {
    let (class, label) = match (active, retired) {
        (true, false) => ("state active", "Active"),
        (true, true) => ("state expired", "Retired"),
        (false, _) => ("state revoked", "Revoked"),
    };
    view! { <span class=class>{label}</span> }
}

#[component]
fn AppPasswordList(
    app_passwords: Vec<AppPasswordView>,
    /// After the cutoff: unrevoked ones no longer work.
    retired: bool,
    revoke: FormAction<RevokeAppPassword>,
) -> impl IntoView {
    if app_passwords.is_empty() {
        return view! { <p class="muted">"You have no app passwords."</p> }.into_any();
    }
    view! {
        <Scroller label="App passwords"><table class="tokens">
            <thead><tr><th>"Label"</th><th>"Permissions"</th><th>"Created"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
            <tbody>
                {app_passwords.into_iter().map(|a| {
                    let active = a.revoked_at.is_none();
                    let id = a.id;
                    view! {
                        <tr data-app-password=a.name.clone()>
                            <td>{a.name.clone()}</td>
                            <td class="perms">{scope_labels(&a)}</td>
                            <td><LocalDate at=a.created_at /></td>
                            <td><LastUse at=a.last_used_at addr=a.last_used_addr.clone() via=a.last_used_via.clone() /></td>
                            <td>{state_label(active, retired)}</td>
                            <td class="actions">
                                {active.then(|| view! {
                                    <a href=format!("/account/app-passwords/{id}/replace")>"Replace with API token"</a>
                                    // The confirmation is plain HTML: no state per row.
                                    <details class="confirm-revoke">
                                        <summary class="link danger">"Revoke"</summary>
                                        <ServerForm action=revoke attr:class="confirm">
                                            <input type="hidden" name="id" value=id />
                                            <span>"Anything using it stops working at once."</span>
                                            <button type="submit" class="danger">"Revoke app password"</button>
                                        </ServerForm>
                                    </details>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></Scroller>
    }
    .into_any()
}
