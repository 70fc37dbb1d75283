//! Pages for access tokens and their policies at each level.

use crate::components::{
    tokens::{relative, TokensPanel},
    webhooks::WebhooksPanel,
};
use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::policies::{ApplyPolicy, GetRotationPolicy, GetWarnings, PreviewPolicy, SetRotationPolicy, SetWarnings},
    api::policies::{AuditLog, GetSystemPolicy, GetWorkspacePolicy, SetSystemPolicy, SetWorkspacePolicy},
    api::tokens::CountExpiring,
    components::{
        announce_policy_saved, refusal, run_when, ActionResult, ErrorBox, FormAction, LocalDate, Scroller, ServerForm,
        SignedIn, SystemAdminOnly,
    },
    model::{AuditEvent, PolicyView, TokenView},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tokenwarden::{
    place::Place,
    policy::{default_options, WORKSPACE_MAX_DAYS_OPTIONS},
    rotation::{Overlap, DEFAULT_GRACE_DAYS, MAX_GRACE_DAYS, MIN_GRACE_DAYS},
};

fn param(name: &'static str) -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get(name).unwrap_or_default())
}

/// Which tokens the list starts showing (`?show=expiring`, from the count);
/// `all` for anything else. Read on the server.
fn shown() -> String {
    let show = leptos_router::hooks::use_query_map().read_untracked().get("show");
    match show.as_deref() {
        Some(s @ ("active" | "expiring" | "expired" | "revoked" | "rotated")) => s.to_string(),
        _ => "all".to_string(),
    }
}

/// When warnings go out: the system's days (`workspace` empty) or a
/// workspace's additions and its time zone. A plain form, rendered on the
/// server (no client code); a refusal comes back with the page.
#[component]
fn WarningsForm(workspace: String) -> impl IntoView {
    let ws = workspace.clone();
    let settings = server_resource(|| (), move |_| GetWarnings { workspace: ws.clone() });
    let refused = refusal(SetWarnings::PATH);
    let (label, hidden) = if workspace.is_empty() {
        ("Warn this many days before expiry", String::new())
    } else {
        ("Also warn this many days before expiry", workspace)
    };
    view! {
        <section class="card" id="warnings">
            <h2>"Warnings before expiry"</h2>
            <Suspense fallback=|| ()>
                {move || { let (hidden, refused) = (hidden.clone(), refused.clone()); Suspend::new(async move {
                    let settings = match settings.await {
                        Ok(s) => s,
                        Err(error) => return view! { <ErrorBox error /> }.into_any(),
                    };
                    view! {
                        <form method="post" action=SetWarnings::url() class="stack">
                            <input type="hidden" name="workspace" value=hidden />
                            <label>{label} <input name="warning_days" value=settings.warning_days /></label>
                            <p class="hint">{settings.note}</p>
                            {settings.time_zone.map(|zone| view! {
                                <label>"Time zone of warning emails" <input name="time_zone" value=zone placeholder="Europe/Berlin" /></label>
                            })}
                            {refused.map(|error| view! { <ErrorBox error /> })}
                            <button type="submit">"Save warnings"</button>
                        </form>
                    }.into_any()
                })}}
            </Suspense>
        </section>
    }
}

/// The system's rotation rules: the longest overlap a rotator may pick, the
/// overlap when none is picked (a token rotating itself), and whether a
/// rotated-away token used after its overlap revokes its successors. A
/// plain form, rendered on the server (no client code).
#[component]
fn RotationForm() -> impl IntoView {
    let rules = server_resource(|| (), |_| GetRotationPolicy {});
    let refused = refusal(SetRotationPolicy::PATH);
    let select = |name: &'static str, chosen: Overlap| {
        view! {
            <select name=name>
                {Overlap::ALL.into_iter().map(|o| view! {
                    <option value=o.value() selected=o == chosen>{o.label()}</option>
                }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="card" id="rotation">
            <h2>"Rotation"</h2>
            <Suspense fallback=|| ()>
                {move || { let refused = refused.clone(); Suspend::new(async move {
                    let rules = match rules.await {
                        Ok(r) => r,
                        Err(error) => return view! { <ErrorBox error /> }.into_any(),
                    };
                    view! {
                        <form method="post" action=SetRotationPolicy::url() class="stack">
                            <p class="hint">"Rotating a token gives it a successor with a new secret; the old one keeps working during the overlap its rotator picks, never past its own expiry."</p>
                            <label>"Longest overlap" {select("max_overlap", rules.max_overlap)}</label>
                            <label>"Overlap when none is picked (a token rotating itself)" {select("default_overlap", rules.default_overlap)}</label>
                            <label class="check"><input type="checkbox" name="revoke_on_reuse" checked=rules.revoke_on_reuse />"A rotated-away token used after its overlap revokes its successors (a leaked, already-rotated secret is a sign of theft)"</label>
                            {refused.map(|error| view! { <ErrorBox error /> })}
                            <button type="submit">"Save rotation rules"</button>
                        </form>
                    }.into_any()
                })}}
            </Suspense>
        </section>
    }
}

/// Applying the policy to the tokens that already exist: the tokens beyond
/// it and the date each would get, then Apply. Plain forms, rendered on the
/// server (no client code): Preview reloads the page with `?grace=N`, Apply
/// posts and comes back to it.
#[component]
fn ApplyPolicyForm(workspace: String) -> impl IntoView {
    let asked = leptos_router::hooks::use_query_map().read_untracked().get("grace");
    let grace = asked.clone().unwrap_or_else(|| DEFAULT_GRACE_DAYS.to_string());
    let ws = workspace.clone();
    let preview = server_resource(
        || (),
        move |_| PreviewPolicy {
            workspace: ws.clone(),
            grace_days: asked.clone().unwrap_or_default(),
        },
    );
    let refused = refusal(ApplyPolicy::PATH);
    view! {
        <section class="card" id="apply">
            <h2>"Apply the policy to existing tokens"</h2>
            <p class="hint">"Tokens made before a policy was tightened keep their expiry unless you apply it. Applying moves each active token beyond the policy to the policy's limit counted from now, but never sooner than the grace period. Owners and admins are emailed at once, webhooks get policy.applied, and the audit log records each token's old and new expiry."</p>
            <form method="get" action="#apply" class="grid-form">
                <label>"Grace period in days (7 to 365)" <input type="number" name="grace" min=MIN_GRACE_DAYS max=MAX_GRACE_DAYS required value=grace /></label>
                <button type="submit" class="secondary">"Preview"</button>
            </form>
            {refused.map(|error| view! { <ErrorBox error /> })}
            <Suspense fallback=|| ()>
                {move || { let workspace = workspace.clone(); Suspend::new(async move {
                    let preview = match preview.await {
                        Ok(p) => p,
                        Err(error) => return view! { <ErrorBox error /> }.into_any(),
                    };
                    if preview.changes.is_empty() {
                        return view! { <p class="muted" data-test="apply-nothing">"Every active token is within the policy: applying it would change nothing."</p> }.into_any();
                    }
                    let n = preview.changes.len();
                    view! {
                        <Scroller label="Tokens the policy would move"><table data-test="apply-preview">
                            <thead><tr><th>"Name"</th><th>"Where"</th><th>"Expires now"</th><th>"Would expire"</th></tr></thead>
                            <tbody>
                                {preview.changes.into_iter().map(|c| view! {
                                    <tr data-token=c.token.name.clone()>
                                        <td>{c.token.name.clone()}</td>
                                        <td>{format!("{} {}", c.token.kind.as_str(), c.token.scope)}</td>
                                        <td>{match c.token.expires_at { Some(at) => view! { <LocalDate at time=true /> }.into_any(), None => "Never".into_any() }}</td>
                                        <td><LocalDate at=c.new_expires_at time=true /></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></Scroller>
                        <form method="post" action=ApplyPolicy::url() class="stack">
                            <input type="hidden" name="workspace" value=workspace />
                            <input type="hidden" name="grace_days" value=preview.grace_days.to_string() />
                            <button type="submit" class="danger">{format!("Apply to {n} token{}", if n == 1 { "" } else { "s" })}</button>
                        </form>
                    }.into_any()
                })}}
            </Suspense>
        </section>
    }
}

/// "Expiring soon: N" beside a token list's heading, linking to the list
/// filtered to them. Rendered on the server.
#[component]
fn ExpiringCount(place: Place) -> impl IntoView {
    let fields = place.fields();
    let count = server_resource(
        || (),
        move |_| {
            let f = fields.clone();
            CountExpiring {
                kind: f.kind,
                workspace: f.workspace,
                project: f.project,
                repository: f.repository,
            }
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let n = count.await.ok()?;
                Some(view! { <a class="expiring-count" href="?show=expiring#tokens" data-test="expiring-count">{format!("Expiring soon: {n}")}</a> })
            })}
        </Suspense>
    }
}

/// The "Pre-selected expiry" select of a policy form: the presets, those
/// beyond `max_days` disabled with the reason (the same rule the server
/// checks), following the maximum as it is edited, without a request.
#[component]
fn DefaultExpirySelect(
    /// `None`: nothing bounds the default.
    #[prop(into)]
    max_days: Signal<Option<u32>>,
    initial: u32,
) -> impl IntoView {
    let chosen = RwSignal::new(initial);
    // A maximum below the choice moves it down to the longest preset allowed.
    run_when(
        Box::new(move || {
            let max = max_days.get();
            !default_options(max).any(|(days, ok)| ok && days == chosen.get_untracked())
        }),
        Box::new(move || {
            let current = chosen.get_untracked();
            let fallback = default_options(max_days.get_untracked())
                .filter(|&(days, ok)| ok && days < current)
                .last();
            if let Some((days, _)) = fallback {
                chosen.set(days);
            }
        }),
    );
    view! {
        <label>"Pre-selected expiry for new tokens"
            <select name="default_days" on:change=move |ev| {
                if let Ok(days) = event_target_value(&ev).parse() { chosen.set(days) }
            }>
                {move || default_options(max_days.get()).map(|(days, allowed)| {
                    let label = if allowed { format!("{days} days") } else { format!("{days} days — longer than allowed") };
                    view! { <option value=days.to_string() disabled=!allowed selected=move || chosen.get() == days>{label}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// How many existing tokens exceed the policy, linking to their list.
fn beyond_note(policy: &PolicyView) -> Option<impl IntoView> {
    let n = policy.tokens_beyond_policy.len();
    (n > 0).then(|| {
        view! {
            <p class="warning">
                {format!("{n} active token{} would not be allowed under this policy if created now. ", if n == 1 { "" } else { "s" })}
                "Existing tokens keep their expiry unless the policy is "
                <a href="#apply">"applied to them"</a>
                ": "
                <a href="#beyond">"review them"</a>
                "."
            </p>
        }
    })
}

/// The tokens a policy's note links to.
#[component]
fn BeyondPolicy(tokens: Vec<TokenView>) -> impl IntoView {
    (!tokens.is_empty()).then(|| {
        let now = chrono::Utc::now().timestamp();
        view! {
            <section class="card" id="beyond">
                <h2>"Active tokens beyond this policy"</h2>
                <Scroller label="Active tokens beyond this policy"><table>
                    <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Where"</th><th>"Expires"</th></tr></thead>
                    <tbody>
                        {tokens.into_iter().map(|t| view! {
                            <tr>
                                <td>{t.name}</td>
                                <td>{t.kind.as_str()}</td>
                                <td>{t.scope}</td>
                                <td>{match t.expires_at { Some(at) => view! { <LocalDate at /> {format!(" ({})", relative(now, at))} }.into_any(), None => "Never".into_any() }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></Scroller>
            </section>
        }
    })
}

/// The audit log as a table, newest first.
#[component]
fn AuditTable(events: Vec<AuditEvent>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Audit log"</h2>
            {if events.is_empty() {
                view! { <p class="muted">"Nothing recorded yet."</p> }.into_any()
            } else {
                view! {
                    <Scroller label="Audit log"><table>
                        <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Details"</th><th>"From"</th></tr></thead>
                        <tbody>
                            {events.into_iter().map(|e| view! {
                                <tr><td><LocalDate at=e.at /></td><td>{e.actor}</td><td>{e.action}</td><td>{e.target}</td><td>{e.details}</td><td>{e.client_addr}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table></Scroller>
                }.into_any()
            }}
        </section>
    }
}

/// Workspace settings > Access tokens: the workspace policy and workspace tokens.
#[component]
pub fn WorkspaceAccessTokens() -> impl IntoView {
    let workspace = param("workspace");
    view! {
        <Title text="Workspace access tokens" />
        <SignedIn>
            {move || {
                let ws = workspace.get();
                view! {
                    <div class="page-head">
                        <h1>{format!("Access tokens of workspace {ws}")}</h1>
                        <ExpiringCount place=Place::Workspace { workspace: ws.clone() } />
                        <a href=format!("/w/{ws}/settings")>"Back to workspace settings"</a>
                    </div>
                    <WorkspacePolicyForm workspace=ws.clone() />
                    <ApplyPolicyForm workspace=ws.clone() />
                    <WarningsForm workspace=ws.clone() />
                    <TokensPanel place=Place::Workspace { workspace: ws.clone() } can_create=true show=shown() />
                    <WebhooksPanel workspace=ws.clone() />
                    <WorkspaceAudit workspace=ws />
                }
            }}
        </SignedIn>
    }
}

island! {
fn WorkspacePolicyForm(workspace: String) -> impl IntoView {
    let save = FormAction::<SetWorkspacePolicy>::new();
    let ws = workspace.clone();
    let policy = server_resource(move || save.version().get(), move |_| GetWorkspacePolicy { workspace: ws.clone() });
    run_when(
        Box::new(move || save.succeeded()),
        Box::new(announce_policy_saved),
    );
    view! {
        <section class="card" id="policy">
            <h2>"Access token expiry"</h2>
            <Transition fallback=|| ()>
                {move || {
                    let workspace = workspace.clone();
                    Suspend::new(async move {
                        let policy = match policy.await {
                            Ok(p) => p,
                            Err(error) => return view! { <ErrorBox error /> }.into_any(),
                        };
                        let current = policy.workspace.unwrap_or_default();
                        let (note, beyond) = (beyond_note(&policy), policy.tokens_beyond_policy.clone());
                        let system_note = policy.system.expiry_required.then(|| format!(
                            "The system policy requires an expiry within {} days; the stricter of the two applies.",
                            policy.system.max_days()
                        ));
                        let max_days = RwSignal::new(current.max_days());
                        view! {
                            <ServerForm action=save attr:class="stack">
                                <input type="hidden" name="workspace" value=workspace />
                                <fieldset>
                                    <legend>"Longest expiry allowed for new tokens"</legend>
                                    {WORKSPACE_MAX_DAYS_OPTIONS.into_iter().map(|days| view! {
                                        <label class="choice"><input type="radio" name="max_days" value=days.to_string() checked=current.max_days() == days on:change=move |_| max_days.set(days) />{format!("{days} days")}</label>
                                    }).collect_view()}
                                </fieldset>
                                <DefaultExpirySelect max_days=Signal::derive(move || Some(max_days.get())) initial=current.default_days() />
                                <label class="check"><input type="checkbox" name="allow_no_expiry" checked=current.allow_no_expiry />"Allow \"No expiry\""</label>
                                <p class="hint">"Applies to every new workspace, project and repository token in this workspace."</p>
                                {system_note.map(|n| view! { <p class="hint">{n}</p> })}
                                {note}
                                <ActionResult value=save.outcome() done="Policy saved." />
                                <button type="submit">"Save policy"</button>
                            </ServerForm>
                            <BeyondPolicy tokens=beyond />
                        }.into_any()
                    })
                }}
            </Transition>
        </section>
    }
}
}

#[component]
pub fn ProjectAccessTokens() -> impl IntoView {
    let (workspace, project) = (param("workspace"), param("project"));
    view! {
        <Title text="Project access tokens" />
        <SignedIn>
            {move || {
                let (ws, key) = (workspace.get(), project.get());
                view! {
                    <div class="page-head">
                        <h1>{format!("Access tokens of project {key}")}</h1>
                        <ExpiringCount place=Place::Project { workspace: ws.clone(), project: key.clone() } />
                        <a href=format!("/w/{ws}")>"Back to workspace"</a>
                    </div>
                    <TokensPanel place=Place::Project { workspace: ws, project: key } can_create=true show=shown() />
                }
            }}
        </SignedIn>
    }
}

#[component]
pub fn RepositoryAccessTokens() -> impl IntoView {
    let (workspace, repository) = (param("workspace"), param("repository"));
    view! {
        <Title text="Repository access tokens" />
        <SignedIn>
            {move || {
                let (ws, slug) = (workspace.get(), repository.get());
                view! {
                    <div class="page-head">
                        <h1>{format!("Access tokens of repository {slug}")}</h1>
                        <ExpiringCount place=Place::Repository { workspace: ws.clone(), project: None, repository: slug.clone() } />
                        <a href=format!("/w/{ws}")>"Back to workspace"</a>
                    </div>
                    <TokensPanel place=Place::Repository { workspace: ws, project: None, repository: slug } can_create=true show=shown() />
                }
            }}
        </SignedIn>
    }
}

/// Personal settings > Access tokens.
#[component]
pub fn PersonalAccessTokens() -> impl IntoView {
    view! {
        <Title text="Personal access tokens" />
        <SignedIn>
            <h1>"Personal access tokens"</h1>
            <p class="muted">"Personal tokens act as you, never beyond your own rights, in place of your password for the REST API and Git over HTTPS."</p>
            <TokensPanel place=Place::mine() can_create=true show=shown() />
        </SignedIn>
    }
}

/// Administration > Users > user > Access tokens.
#[component]
pub fn UserAccessTokens() -> impl IntoView {
    let user = param("user");
    view! {
        <Title text="User access tokens" />
        <SignedIn>
            {move || {
                let username = user.get();
                view! {
                    <div class="page-head">
                        <h1>{format!("Access tokens of {username}")}</h1>
                        <a href="/admin">"Back to administration"</a>
                    </div>
                    <TokensPanel place=Place::Personal { user: Some(username) } can_create=false show=shown() />
                }
            }}
        </SignedIn>
    }
}

/// Administration > Access tokens: the system policy and the audit log.
#[component]
pub fn SystemAccessTokens() -> impl IntoView {
    view! {
        <Title text="Access token policy" />
        <SystemAdminOnly title="Access tokens">
            <h1>"Access tokens"</h1>
            <SystemPolicyPanel />
            <ApplyPolicyForm workspace=String::new() />
            <WarningsForm workspace=String::new() />
            <RotationForm />
            <WebhooksPanel workspace=String::new() />
        </SystemAdminOnly>
    }
}

island! {
/// The policy form and the audit log, which shows each change as it is saved.
fn SystemPolicyPanel() -> impl IntoView {
    let save = FormAction::<SetSystemPolicy>::new();
    let policy = server_resource(move || save.version().get(), |_| GetSystemPolicy {});
    let events = server_resource(move || save.version().get(), |_| AuditLog { workspace: String::new() });
    run_when(
        Box::new(move || save.succeeded()),
        Box::new(announce_policy_saved),
    );
    view! {
        <div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let policy = match policy.await {
                    Ok(p) => p,
                    Err(error) => return view! { <ErrorBox error /> }.into_any(),
                };
                let events = events.await.unwrap_or_default();
                let (note, beyond) = (beyond_note(&policy), policy.tokens_beyond_policy.clone());
                // What bounds the default while the admin edits the form.
                let required = RwSignal::new(policy.system.expiry_required);
                let max_days = RwSignal::new(policy.system.max_days());
                let bound = Signal::derive(move || required.get().then(|| max_days.get()));
                view! {
                    <section class="card">
                        <h2>"System expiry policy"</h2>
                        <ServerForm action=save attr:class="stack">
                            <label class="check"><input type="checkbox" name="expiry_required" checked=policy.system.expiry_required on:change=move |ev| required.set(event_target_checked(&ev)) />"Expiry required"</label>
                            <label>"Max days until expiry" <input type="number" name="max_days" min="1" max="3650" required value=policy.system.max_days().to_string()
                                on:input=move |ev| if let Ok(days) = event_target_value(&ev).trim().parse() { max_days.set(days) } /></label>
                            <DefaultExpirySelect max_days=bound initial=policy.system.default_days() />
                            <p class="hint">"The pre-selected expiry applies to personal tokens; each workspace sets its own."</p>
                            <p class="hint">"When expiry is required it bounds every new token: personal tokens, and every workspace's tokens together with its own policy."</p>
                            {note}
                            <ActionResult value=save.outcome() done="Policy saved." />
                            <button type="submit">"Save"</button>
                        </ServerForm>
                    </section>
                    <BeyondPolicy tokens=beyond />
                    <AuditTable events />
                }.into_any()
            })}
        </Transition>
        </div>
    }
}
}

#[component]
fn WorkspaceAudit(workspace: String) -> impl IntoView {
    let events = server_resource(
        || (),
        move |_| AuditLog {
            workspace: workspace.clone(),
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(events) => view! { <AuditTable events /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
