//! Administration: users and workspaces (system admins only).

use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::{
        admin::{CreateUser, CreateWorkspace, ListUsers},
        workspaces::ListWorkspaces,
    },
    components::{date, reset_on_success, ActionResult, ErrorBox, FormAction, Scroller, ServerForm, SystemAdminOnly},
};
use leptos::prelude::*;
use leptos_meta::Title;
use tokenwarden::validate::{
    EMAIL_MAX_CHARS, NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, USERNAME_MAX_CHARS, USERNAME_MIN_CHARS,
    WORKSPACE_SLUG_MAX_CHARS, WORKSPACE_SLUG_MIN_CHARS,
};

#[component]
pub fn Admin() -> impl IntoView {
    view! {
        <Title text="Administration" />
        <SystemAdminOnly title="Administration">
            <div class="page-head">
                <h1>"Administration"</h1>
                <div class="actions">
                    <a class="button secondary" href="/admin/access-tokens">"Access token policy and audit log"</a>
                    " "
                    <a class="button secondary" href="/admin/app-passwords">"App password retirement"</a>
                </div>
            </div>
            <Users />
            <Workspaces />
        </SystemAdminOnly>
    }
}

island! {
fn Users() -> impl IntoView {
    let create = FormAction::<CreateUser>::new();
    let users = server_resource(move || create.version().get(), |_| ListUsers {});
    // Created: the form empties (both passwords too) and the focus goes
    // back to Username, for the next one.
    let (form, username) = (
        NodeRef::<leptos::html::Form>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    reset_on_success(
        move || create.succeeded(),
        form,
        move || {
            if let Some(input) = username.get_untracked() {
                let _ = input.focus();
            }
        },
    );
    view! {
        <section class="card">
            <h2>"Users"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(users) => view! {
                            <Scroller label="Users"><table>
                                <thead><tr><th>"Username"</th><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Created"</th><th></th></tr></thead>
                                <tbody>
                                    {users.into_iter().map(|u| view! {
                                        <tr>
                                            <td>{u.username.clone()}</td>
                                            <td>{u.display_name}</td>
                                            <td>{u.email}</td>
                                            <td>{if u.is_system_admin { "System admin" } else { "User" }}</td>
                                            <td>{date(u.created_at)}</td>
                                            <td><a href=format!("/admin/users/{}/access-tokens", u.username)>"Access tokens"</a></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></Scroller>
                        }.into_any(),
                    }
                })}
            </Transition>
            <h3>"Create user"</h3>
            <ServerForm action=create node_ref=form attr:class="grid-form">
                <label>"Username" <input name="username" node_ref=username required minlength=USERNAME_MIN_CHARS maxlength=USERNAME_MAX_CHARS /></label>
                <label>"Email" <input name="email" type="email" required maxlength=EMAIL_MAX_CHARS /></label>
                <label>"Full name" <input name="display_name" required maxlength=NAME_MAX_CHARS /></label>
                <label>"Password" <input name="password" type="password" autocomplete="new-password" required minlength=PASSWORD_MIN_CHARS maxlength=PASSWORD_MAX_CHARS /></label>
                <label>"Confirm password" <input name="password_confirmation" type="password" autocomplete="new-password" required minlength=PASSWORD_MIN_CHARS maxlength=PASSWORD_MAX_CHARS /></label>
                <label class="check"><input name="system_admin" type="checkbox" /> "System administrator"</label>
                <ActionResult value=create.outcome() done="User created." />
                <button type="submit">"Create user"</button>
            </ServerForm>
        </section>
    }
}
}

island! {
fn Workspaces() -> impl IntoView {
    let create = FormAction::<CreateWorkspace>::new();
    let workspaces = server_resource(move || create.version().get(), |_| ListWorkspaces {});
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(move || create.succeeded(), form, || ());
    view! {
        <section class="card">
            <h2>"Workspaces"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match workspaces.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain">
                                {list.into_iter().map(|ws| view! {
                                    <li><a href=format!("/w/{}", ws.slug)>{ws.name}</a> <span class="muted">" " {ws.slug.clone()}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            <h3>"Create workspace"</h3>
            <ServerForm action=create node_ref=form attr:class="grid-form">
                <label>"Name" <input name="name" required maxlength=NAME_MAX_CHARS /></label>
                <label>"Slug (used in URLs)" <input name="slug" required minlength=WORKSPACE_SLUG_MIN_CHARS maxlength=WORKSPACE_SLUG_MAX_CHARS pattern="[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9]" /></label>
                <label>"Workspace admin (username; empty for you)" <input name="admin_username" /></label>
                <ActionResult value=create.outcome() done="Workspace created." />
                <button type="submit">"Create workspace"</button>
            </ServerForm>
        </section>
    }
}
}
