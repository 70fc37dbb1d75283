//! Legacy app passwords: Personal settings > App passwords (list, create
//! while creation is open, revoke), the "Replace with API token" flow, and
//! the admins' migration dashboard with the retirement schedule.

use super::tokens::{CreateTokenFields, NewTokenSecret, Prefill};
use crate::{
    api::{
        app_passwords::{
            app_password_dashboard, app_password_notice, my_app_passwords, CreateAppPassword, RevokeAppPassword,
            SetAppPasswordSchedule,
        },
        tokens::{token_policy, CreateToken},
    },
    components::{island_ready, ActionError, ActionResult, ErrorBox, LocalDate, NewSecret, SignedIn, SystemAdminOnly},
    model::{AppPasswordView, CreatedAppPassword, PolicyView},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tokenwarden::app_passwords::{nearest_token_permissions, retired_message, ClassicScope, Phase};
use tokenwarden::place::Place;
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

/// "2026-05-01 from 10.0.0.7 (Git)", or "Never".
#[component]
fn LastUse(app_password: AppPasswordView) -> impl IntoView {
    match app_password.last_used_at {
        None => "Never".into_any(),
        Some(at) => {
            let via = match app_password.last_used_via.as_deref() {
                Some("git") => " (Git)",
                Some("rest") => " (REST)",
                _ => "",
            };
            let from = app_password
                .last_used_addr
                .map(|a| format!(" from {a}"))
                .unwrap_or_default();
            view! { <LocalDate at /> {format!("{from}{via}")} }.into_any()
        }
    }
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

#[island]
fn AppPasswordsPanel() -> impl IntoView {
    island_ready();
    let create = ServerAction::<CreateAppPassword>::new();
    let revoke = ServerAction::<RevokeAppPassword>::new();
    let mine = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| my_app_passwords(),
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
            {move || create.value().get().and_then(Result::ok).map(|created| view! { <NewAppPassword created /> })}
            <ActionError value=revoke.value() />
        </section>
    }
}

#[component]
fn CreateAppPasswordForm(create: ServerAction<CreateAppPassword>) -> impl IntoView {
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
            <ActionForm action=create attr:class="stack">
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
                <ActionError value=create.value() />
                <button type="submit">"Create"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn NewAppPassword(created: CreatedAppPassword) -> impl IntoView {
    view! {
        <NewSecret
            headline=format!("App password \"{}\" created.", created.app_password.name)
            how="Use it with your username for the REST API and Git."
            secret=created.secret
            label="New app password"
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
    revoke: ServerAction<RevokeAppPassword>,
) -> impl IntoView {
    if app_passwords.is_empty() {
        return view! { <p class="muted">"You have no app passwords."</p> }.into_any();
    }
    view! {
        <table class="tokens">
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
                            <td><LastUse app_password=a.clone() /></td>
                            <td>{state_label(active, retired)}</td>
                            <td class="actions">
                                {active.then(|| view! {
                                    <a href=format!("/account/app-passwords/{id}/replace")>"Replace with API token"</a>
                                    // The confirmation is plain HTML: no state per row.
                                    <details class="confirm-revoke">
                                        <summary class="link danger">"Revoke"</summary>
                                        <ActionForm action=revoke attr:class="confirm">
                                            <input type="hidden" name="id" value=id />
                                            <span>"Anything using it stops working at once."</span>
                                            <button type="submit" class="danger">"Revoke app password"</button>
                                        </ActionForm>
                                    </details>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

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
    let mine = Resource::new(|| (), |_| my_app_passwords());
    let policy = Resource::new(
        || (),
        |_| token_policy("personal".into(), String::new(), String::new(), String::new()),
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
                        <p>"Permissions: " {scope_labels(&app_password)} ". Last used: " <LastUse app_password=app_password.clone() /></p>
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

/// 1. create the API token (pre-filled), 2. revoke the app password.
#[island]
fn ReplaceSteps(id: i64, name: String, permissions: Vec<String>, policy: PolicyView) -> impl IntoView {
    island_ready();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeAppPassword>::new();
    let created = move || create.value().get().and_then(Result::ok);
    let revoked = move || revoke.value().get().is_some_and(|r| r.is_ok());
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
                <NewTokenSecret created />
                <h3>"2. Put the token where the app password was, then revoke the app password"</h3>
            })}
            <Show when=move || created().is_some() && !revoked() fallback=|| ()>
                <ActionForm action=revoke attr:class="confirm">
                    <input type="hidden" name="id" value=id />
                    <span>{question.get_value()}</span>
                    <button type="submit" class="danger">"Revoke app password"</button>
                </ActionForm>
            </Show>
            <ActionError value=revoke.value() />
            <Show when=revoked fallback=|| ()>
                <p class="done" role="status">"Done: the app password is revoked and its API token is ready. "
                    <a href=API_TOKENS>"See your API tokens"</a></p>
            </Show>
        </section>
    }
}

/// Administration > App passwords: the schedule and the migration dashboard.
#[component]
pub fn AppPasswordMigrationPage() -> impl IntoView {
    view! {
        <Title text="App password retirement" />
        <SystemAdminOnly title="App password retirement">
            <div class="page-head">
                <h1>"App password retirement"</h1>
                <a href="/admin">"Back to administration"</a>
            </div>
            <AppPasswordMigration />
        </SystemAdminOnly>
    }
}

/// Rendered on the server: only the schedule form is an island (a saved
/// schedule reloads the page); revoking is a plain form post.
#[component]
fn AppPasswordMigration() -> impl IntoView {
    let revoke = ServerAction::<RevokeAppPassword>::new();
    let dashboard = Resource::new(|| (), |_| app_password_dashboard());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = match dashboard.await {
                    Ok(d) => d,
                    Err(error) => return view! { <ErrorBox error /> }.into_any(),
                };
                let status = match d.phase {
                    Phase::Open => "App passwords can be created and used.".to_string(),
                    Phase::CreationClosed { cutoff_on: Some(c) } => format!(
                        "Creation is closed. Existing app passwords stop working on {c} ({} days left).",
                        d.days_left.unwrap_or(0)
                    ),
                    Phase::CreationClosed { cutoff_on: None } => {
                        "Creation is closed. Existing app passwords keep working (no cutoff set).".to_string()
                    }
                    Phase::Retired { on } => retired_message(on),
                };
                let shown = |date: Option<chrono::NaiveDate>| date.map(|d| d.to_string()).unwrap_or_default();
                let (closes, cutoff) = (shown(d.schedule.creation_closes_on), shown(d.schedule.cutoff_on));
                let days_left = d.days_left;
                view! {
                    <section class="card">
                        <h2>"Schedule"</h2>
                        <p class="status">{status}</p>
                        <ScheduleForm creation_closes_on=closes cutoff_on=cutoff />
                    </section>
                    <section class="card">
                        <h2>{format!("Active app passwords ({})", d.active.len())}</h2>
                        {if d.active.is_empty() {
                            view! { <p class="muted">"No active app passwords: nothing left to migrate."</p> }.into_any()
                        } else {
                            view! {
                                <table class="tokens">
                                    <thead><tr><th>"Owner"</th><th>"Label"</th><th>"Permissions"</th><th>"Created"</th><th>"Last used"</th><th>"Days left"</th><th></th></tr></thead>
                                    <tbody>
                                        {d.active.into_iter().map(|row| {
                                            let id = row.app_password.id;
                                            view! {
                                                <tr data-app-password=row.app_password.name.clone() data-owner=row.owner_username.clone()>
                                                    <td title=row.owner_username.clone()>{row.owner_display_name.clone()} " (" {row.owner_username.clone()} ")"</td>
                                                    <td>{row.app_password.name.clone()}</td>
                                                    <td class="perms">{scope_labels(&row.app_password)}</td>
                                                    <td><LocalDate at=row.app_password.created_at /></td>
                                                    <td class="last-used"><LastUse app_password=row.app_password.clone() /></td>
                                                    <td>{days_left.map(|n| n.to_string()).unwrap_or_else(|| "No cutoff".into())}</td>
                                                    <td class="actions">
                                                        <ActionForm action=revoke>
                                                            <input type="hidden" name="id" value=id />
                                                            <button type="submit" class="link danger">"Revoke"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[island]
fn ScheduleForm(creation_closes_on: String, cutoff_on: String) -> impl IntoView {
    island_ready();
    let save = ServerAction::<SetAppPasswordSchedule>::new();
    // The status line and the days left above come from the server: reload.
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        }
    });
    view! {
        <ActionForm action=save attr:class="grid-form">
            <label>"Creation closes on"
                <input type="date" name="creation_closes_on" value=creation_closes_on />
            </label>
            <label>"Cutoff: app passwords stop working on"
                <input type="date" name="cutoff_on" value=cutoff_on />
            </label>
            <button type="submit">"Save schedule"</button>
        </ActionForm>
        <p class="hint">"Dates take effect at 00:00 UTC. Leave a date empty for no date. The cutoff cannot come before creation closes."</p>
        <ActionResult value=save.value() done="Schedule saved." />
    }
}

/// The banner on every page while the signed-in user still has app passwords
/// after creation has closed. Rendered on the server only.
#[component]
pub fn AppPasswordBanner() -> impl IntoView {
    let notice = Resource::new(|| (), |_| app_password_notice());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let notice = notice.await.ok().flatten()?;
                let count = if notice.active == 1 { "1 app password".to_string() } else { format!("{} app passwords", notice.active) };
                let message = match notice.phase {
                    Phase::Retired { on } => format!("App passwords were retired on {on} and no longer work; you still have {count}."),
                    Phase::CreationClosed { cutoff_on: Some(c) } => format!("You still use {count}. App passwords stop working on {c}."),
                    _ => format!("You still use {count}. App passwords are being retired."),
                };
                Some(view! {
                    <div class="banner" role="alert">
                        {message} " " <a href="/account/app-passwords">"Replace them with API tokens"</a>
                    </div>
                })
            })}
        </Suspense>
    }
}
