//! A workspace's projects and repositories, as far as the user may see them.

use crate::resource::server_resource;
use crate::{
    api::workspaces::GetWorkspace,
    components::{ErrorBox, SignedIn},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tokenwarden::Access;

pub(crate) fn workspace_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("workspace").unwrap_or_default())
}

fn access_label(access: Access) -> &'static str {
    match access {
        Access::Admin => "Admin",
        Access::Write => "Write",
        Access::Read => "Read",
        Access::None => "",
    }
}

#[component]
pub fn Workspace() -> impl IntoView {
    let slug = workspace_param();
    let workspace = server_resource(move || slug.get(), |workspace| GetWorkspace { workspace });
    view! {
        <SignedIn>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match workspace.await {
                        Err(error) => view! { <Title text="Workspace" /><ErrorBox error /> }.into_any(),
                        Ok(ws) => view! {
                            <Title text=ws.name.clone() />
                            <div class="page-head">
                                <h1>{ws.name.clone()}</h1>
                                {ws.can_open_settings.then(|| view! {
                                    <a class="button secondary" href=format!("/w/{}/settings", ws.slug)>"Workspace settings"</a>
                                })}
                            </div>
                            {if ws.projects.is_empty() {
                                view! { <p class="muted">"No projects yet."</p> }.into_any()
                            } else {
                                let slug = ws.slug.clone();
                                ws.projects.into_iter().map(|p| {
                                    let tokens_link = p.access.can_admin().then(|| view! {
                                        <a class="side-link" href=format!("/w/{}/projects/{}/access-tokens", slug, p.key)>"Access tokens"</a>
                                    });
                                    let slug = slug.clone();
                                    view! {
                                    <section class="card project">
                                        <h2>{p.name} " " <span class="key">{p.key}</span> <span class="badge">{access_label(p.access)}</span> {tokens_link}</h2>
                                        {if p.repositories.is_empty() {
                                            view! { <p class="muted">"No repositories."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ul class="plain">
                                                    {p.repositories.into_iter().map(|r| {
                                                        let link = r.access.can_admin().then(|| view! {
                                                            <a class="side-link" href=format!("/w/{}/repos/{}/access-tokens", slug, r.slug)>"Access tokens"</a>
                                                        });
                                                        view! {
                                                            <li><strong>{r.name}</strong> <span class="muted">" " {r.slug.clone()}</span> " " <span class="badge">{access_label(r.access)}</span> {link}</li>
                                                        }
                                                    }).collect_view()}
                                                </ul>
                                            }.into_any()
                                        }}
                                    </section>
                                }}).collect_view().into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Transition>
        </SignedIn>
    }
}
