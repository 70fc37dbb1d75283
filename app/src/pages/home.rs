//! The signed-in user's workspaces.

use crate::resource::server_resource;
use crate::{
    api::{auth::NeedsSetup, workspaces::ListWorkspaces},
    components::{ErrorBox, SignedIn},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use tokenwarden::Access;

#[component]
pub fn Home() -> impl IntoView {
    let needed = server_resource(|| (), |_| NeedsSetup {});
    view! {
        <Title text="Workspaces" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                if matches!(needed.await, Ok(true)) {
                    view! { <Redirect path="/setup" /> }.into_any()
                } else {
                    view! { <SignedIn><WorkspaceList /></SignedIn> }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkspaceList() -> impl IntoView {
    let workspaces = server_resource(|| (), |_| ListWorkspaces {});
    view! {
        <h1>"Workspaces"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match workspaces.await {
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted">"You are not a member of any workspace yet. Ask a workspace admin to add you."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="cards">
                            {list.into_iter().map(|ws| view! {
                                <li class="card">
                                    <a href=format!("/w/{}", ws.slug)><strong>{ws.name}</strong></a>
                                    <span class="muted">" " {ws.slug.clone()}</span>
                                    {(ws.access == Access::Admin).then(|| view! { <span class="badge">"Admin"</span> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
