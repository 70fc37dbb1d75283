//! Administration > App passwords: the retirement schedule and the
//! migration dashboard (who still uses app passwords, and from where).

use super::scope_labels;
use crate::components::LastUse;
use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::app_passwords::{AppPasswordDashboard, RevokeAppPassword, SetAppPasswordSchedule},
    components::{ActionResult, ErrorBox, FormAction, LocalDate, Scroller, ServerForm, SystemAdminOnly},
};
use leptos::prelude::*;
use leptos_meta::Title;
use tokenwarden::app_passwords::{retired_message, Phase};

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
    let revoke = FormAction::<RevokeAppPassword>::new();
    let dashboard = server_resource(|| (), |_| AppPasswordDashboard {});
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
                                <Scroller label="App passwords in use"><table class="tokens">
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
                                                    <td class="last-used"><LastUse at=row.app_password.last_used_at addr=row.app_password.last_used_addr.clone() via=row.app_password.last_used_via.clone() /></td>
                                                    <td>{days_left.map(|n| n.to_string()).unwrap_or_else(|| "No cutoff".into())}</td>
                                                    <td class="actions">
                                                        <ServerForm action=revoke>
                                                            <input type="hidden" name="id" value=id />
                                                            <button type="submit" class="link danger">"Revoke"</button>
                                                        </ServerForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></Scroller>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

island! {
fn ScheduleForm(creation_closes_on: String, cutoff_on: String) -> impl IntoView {
    let save = FormAction::<SetAppPasswordSchedule>::new();
    // The status line and the days left above come from the server: reload.
    Effect::new(move |_| {
        if save.succeeded() {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        }
    });
    view! {
        <ServerForm action=save attr:class="grid-form">
            <label>"Creation closes on"
                <input type="date" name="creation_closes_on" value=creation_closes_on />
            </label>
            <label>"Cutoff: app passwords stop working on"
                <input type="date" name="cutoff_on" value=cutoff_on />
            </label>
            <button type="submit">"Save schedule"</button>
        </ServerForm>
        <p class="hint">"Dates take effect at 00:00 UTC. Leave a date empty for no date. The cutoff cannot come before creation closes."</p>
        <ActionResult value=save.outcome() done="Schedule saved." />
    }
}
}
