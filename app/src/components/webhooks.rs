//! Webhooks of a workspace (or of the instance): register one, see each
//! one's latest deliveries with the receiver's answer, send one again.
//!
//! Rendered on the server only, with plain HTML forms: no client code. A
//! form posts to its server function, which sends the browser back to this
//! page (Leptos's form redirect); a refusal comes back in the page's URL
//! (`__path`, `__err`) and is shown beside the form that caused it.

use crate::resource::server_resource;
use crate::{
    api::webhooks::{AddWebhook, ListWebhooks, Redeliver, RemoveWebhook},
    components::{refusal, ErrorBox, LocalDate, Scroller},
    model::{DeliveryView, WebhookView},
};
use leptos::{prelude::*, server_fn::ServerFn};
use tokenwarden::webhooks::Event;

/// `workspace` empty: the instance's webhooks (system admins).
#[component]
pub fn WebhooksPanel(workspace: String) -> impl IntoView {
    let list_ws = workspace.clone();
    let hooks = server_resource(
        || (),
        move |_| ListWebhooks {
            workspace: list_ws.clone(),
        },
    );
    let scope = if workspace.is_empty() {
        "every workspace and personal token"
    } else {
        "this workspace's tokens"
    };
    let (hidden_ws, rows_ws) = (workspace.clone(), workspace.clone());
    let add_refused = refusal(AddWebhook::PATH);
    let row_refused = refusal(RemoveWebhook::PATH).or_else(|| refusal(Redeliver::PATH));
    view! {
        <section class="card" id="webhooks">
            <h2>"Webhooks"</h2>
            <p class="hint">{format!("Tokenwarden POSTs JSON about {scope} to each URL, signed in the Tokenwarden-Signature header (sha256=HMAC-SHA-256 of the body with the secret). Failed deliveries are tried again, less and less often, for a day.")}</p>
            <Suspense fallback=|| ()>
                {move || { let workspace = rows_ws.clone(); Suspend::new(async move {
                    match hooks.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No webhooks yet."</p> }.into_any(),
                        Ok(list) => list.into_iter().map(|hook| view! { <Webhook hook workspace=workspace.clone() /> }).collect_view().into_any(),
                    }
                })}}
            </Suspense>
            {row_refused.map(|error| view! { <ErrorBox error /> })}
            <h3>"Add webhook"</h3>
            <form method="post" action=AddWebhook::url() class="stack">
                <input type="hidden" name="workspace" value=hidden_ws />
                <label>"URL" <input name="url" type="url" required placeholder="https://ci.example.com/hooks/tokenwarden" /></label>
                <label>"Secret" <input name="secret" type="password" autocomplete="off" required minlength="16" maxlength="200" /></label>
                <fieldset>
                    <legend>"Events"</legend>
                    {Event::ALL.into_iter().map(|e| view! {
                        <label class="check"><input type="checkbox" name=e.as_str().replace('.', "_") checked=matches!(e, Event::TokenExpiring | Event::TokenExpired) />
                            <code>{e.as_str()}</code>" — "{e.meaning()}</label>
                    }).collect_view()}
                </fieldset>
                {add_refused.map(|error| view! { <ErrorBox error /> })}
                <button type="submit">"Add webhook"</button>
            </form>
        </section>
    }
}

#[component]
fn Webhook(hook: WebhookView, workspace: String) -> impl IntoView {
    let id = hook.id.to_string();
    let label = format!("Deliveries to {}", hook.url);
    let (form_ws, form_id) = (workspace.clone(), id.clone());
    let log = if hook.deliveries.is_empty() {
        view! { <p class="muted">"No deliveries yet."</p> }.into_any()
    } else {
        view! {
            <Scroller label="Deliveries"><table aria-label=label>
                <thead><tr><th>"Event"</th><th>"Queued"</th><th>"Result"</th><th>"Tries"</th><th>"Delivery id"</th><th></th></tr></thead>
                <tbody>
                    {hook.deliveries.into_iter().map(|d| view! { <Delivery d workspace=workspace.clone() webhook=id.clone() /> }).collect_view()}
                </tbody>
            </table></Scroller>
        }.into_any()
    };
    view! {
        <article class="webhook">
            <h3><code>{hook.url.clone()}</code></h3>
            <p class="muted">{hook.events.join(", ")}</p>
            <form method="post" action=RemoveWebhook::url()>
                <input type="hidden" name="workspace" value=form_ws />
                <input type="hidden" name="id" value=form_id />
                <button type="submit" class="danger" aria-label=format!("Remove webhook {}", hook.url)>"Remove"</button>
            </form>
            {log}
        </article>
    }
}

#[component]
fn Delivery(d: DeliveryView, workspace: String, webhook: String) -> impl IntoView {
    let result = match (d.state.as_str(), d.last_status, &d.last_error) {
        ("delivered", Some(status), _) => format!("Delivered ({status})"),
        ("pending", _, None) => "Pending".to_string(),
        (state, Some(status), _) => format!(
            "{} — answered {status}",
            if state == "failed" { "Failed" } else { "Pending" }
        ),
        (state, None, Some(error)) => format!("{} — {error}", if state == "failed" { "Failed" } else { "Pending" }),
        (state, None, None) => state.to_string(),
    };
    view! {
        <tr data-state=d.state.clone()>
            <td><code>{d.event}</code></td>
            <td><LocalDate at=d.created_at time=true /></td>
            <td>{result}</td>
            <td>{d.attempts}</td>
            <td><code>{d.delivery_id}</code></td>
            <td>
                <form method="post" action=Redeliver::url()>
                    <input type="hidden" name="workspace" value=workspace />
                    <input type="hidden" name="webhook" value=webhook />
                    <input type="hidden" name="delivery" value=d.id.to_string() />
                    <button type="submit">"Redeliver"</button>
                </form>
            </td>
        </tr>
    }
}
