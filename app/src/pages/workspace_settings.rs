//! Workspace settings: projects, repositories and members, each shown only
//! to those who may change it.

use super::workspace::workspace_param;
use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::workspaces::{AddMember, CreateProject, CreateRepository, GetWorkspace, ListMembers, RemoveMember},
    components::{ActionError, ActionResult, ErrorBox, FormAction, Scroller, ServerForm, SignedIn},
    model::WorkspaceView,
};
use leptos::prelude::*;
use leptos_meta::Title;
use tokenwarden::validate::{NAME_MAX_CHARS, PROJECT_KEY_MAX_CHARS, REPOSITORY_SLUG_MAX_CHARS, USERNAME_MAX_CHARS};
use tokenwarden::Role;

#[component]
pub fn WorkspaceSettings() -> impl IntoView {
    let slug = workspace_param();
    let workspace = server_resource(move || slug.get(), |workspace| GetWorkspace { workspace });
    view! {
        <SignedIn>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match workspace.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(ws) if !ws.can_open_settings => view! {
                            <Title text="Workspace settings" />
                            <p class="error" role="alert">"You don't have permission to change this workspace's settings."</p>
                        }.into_any(),
                        Ok(ws) => view! {
                            <Title text=format!("{} settings", ws.name) />
                            <div class="page-head">
                                <h1>{ws.name.clone()} " settings"</h1>
                                <span>
                                    {ws.access.can_admin().then(|| view! { <a class="button secondary" href=format!("/w/{}/settings/access-tokens", ws.slug)>"Access tokens"</a> })}
                                    " "
                                    <a href=format!("/w/{}", ws.slug)>"Back to workspace"</a>
                                </span>
                            </div>
                            <ProjectsPanel workspace=ws.slug.clone() />
                            {ws.access.can_admin().then(|| view! { <MembersPanel workspace=ws.slug.clone() targets=member_targets(&ws) /> })}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </SignedIn>
    }
}

island! {
/// An island: creating a project or repository refreshes the lists in place.
/// (Islands sit side by side: a resource inside another resource's view
/// does not hydrate in an island.)
fn ProjectsPanel(workspace: String) -> impl IntoView {
    let create_project = FormAction::<CreateProject>::new();
    let create_repository = FormAction::<CreateRepository>::new();
    let ws = server_resource(
        move || (create_project.version().get(), create_repository.version().get()),
        move |_| GetWorkspace { workspace: workspace.clone() },
    );
    view! {
        <div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match ws.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(ws) => view! { <Projects ws create_project create_repository /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
}

/// What a member can be made admin of: each project and repository, as the
/// role form's (value, label) options.
fn member_targets(ws: &WorkspaceView) -> Vec<(String, String)> {
    ws.projects
        .iter()
        .flat_map(|p| {
            std::iter::once((p.key.clone(), format!("Project {} ({})", p.name, p.key))).chain(
                p.repositories
                    .iter()
                    .map(|r| (r.slug.clone(), format!("Repository {} ({})", r.name, r.slug))),
            )
        })
        .collect()
}

#[component]
fn Projects(
    ws: WorkspaceView,
    create_project: FormAction<CreateProject>,
    create_repository: FormAction<CreateRepository>,
) -> impl IntoView {
    let administered: Vec<_> = ws.projects.iter().filter(|p| p.access.can_admin()).cloned().collect();
    let slug = ws.slug.clone();
    view! {
        <section class="card">
            <h2>"Projects and repositories"</h2>
            {ws.access.can_admin().then(|| {
                let slug = slug.clone();
                view! {
                    <h3>"Create project"</h3>
                    <ServerForm action=create_project attr:class="grid-form">
                        <input type="hidden" name="workspace" value=slug />
                        <label>"Key" <input name="key" required maxlength=PROJECT_KEY_MAX_CHARS placeholder="WEB" /></label>
                        <label>"Name" <input name="name" required maxlength=NAME_MAX_CHARS placeholder="Website" /></label>
                        <ActionResult value=create_project.outcome() done="Project created." />
                        <button type="submit">"Create project"</button>
                    </ServerForm>
                }
            })}
            {(!administered.is_empty()).then(|| view! {
                <h3>"Create repository"</h3>
                <ServerForm action=create_repository attr:class="grid-form">
                    <input type="hidden" name="workspace" value=slug.clone() />
                    <label>"Project"
                        <select name="project">
                            {administered.into_iter().map(|p| { let label = format!("{} ({})", p.name, p.key); view! { <option value=p.key>{label}</option> } }).collect_view()}
                        </select>
                    </label>
                    <label>"Name" <input name="name" required maxlength=NAME_MAX_CHARS placeholder="Website" /></label>
                    <label>"Slug" <input name="slug" required maxlength=REPOSITORY_SLUG_MAX_CHARS placeholder="website" /></label>
                    <ActionResult value=create_repository.outcome() done="Repository created." />
                    <button type="submit">"Create repository"</button>
                </ServerForm>
            })}
        </section>
    }
}

island! {
fn MembersPanel(workspace: String, targets: Vec<(String, String)>) -> impl IntoView {
    let add = FormAction::<AddMember>::new();
    let remove = FormAction::<RemoveMember>::new();
    let slug = workspace.clone();
    let members = server_resource(
        move || (add.version().get(), remove.version().get()),
        move |_| ListMembers { workspace: slug.clone() },
    );
    let workspace_for_rows = workspace.clone();
    view! {
        <section class="card">
            <h2>"Members"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let workspace = workspace_for_rows.clone();
                    Suspend::new(async move {
                        match members.await {
                            Err(error) => view! { <ErrorBox error /> }.into_any(),
                            Ok(list) => view! {
                                <Scroller label="Members"><table>
                                    <thead><tr><th>"User"</th><th>"Roles"</th><th></th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|m| {
                                            let mut roles = vec![if m.workspace_admin { "Workspace admin".to_string() } else { "Member".to_string() }];
                                            roles.extend(m.admin_of_projects.iter().map(|k| format!("Project admin of {k}")));
                                            roles.extend(m.admin_of_repositories.iter().map(|s| format!("Repository admin of {s}")));
                                            let workspace = workspace.clone();
                                            view! {
                                                <tr>
                                                    <td>{m.display_name} <span class="muted">" " {m.username.clone()}</span></td>
                                                    <td>{roles.join(", ")}</td>
                                                    <td>
                                                        <ServerForm action=remove>
                                                            <input type="hidden" name="workspace" value=workspace />
                                                            <input type="hidden" name="username" value=m.username />
                                                            <button type="submit" class="link danger">"Remove"</button>
                                                        </ServerForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></Scroller>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
            <ActionError value=remove.outcome() />
            <h3>"Add member or give a role"</h3>
            <ServerForm action=add attr:class="grid-form">
                <input type="hidden" name="workspace" value=workspace />
                <label>"Username" <input name="username" required maxlength=USERNAME_MAX_CHARS /></label>
                <label>"Role"
                    <select name="role">
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Project or repository (for project and repository admins)"
                    <select name="target">
                        <option value="">"—"</option>
                        {targets.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                    </select>
                </label>
                <ActionResult value=add.outcome() done="Role given." />
                <button type="submit">"Save"</button>
            </ServerForm>
        </section>
    }
}
}
