//! Access tokens at every level: one panel (list, create, edit, revoke)
//! used on the workspace, project, repository and personal pages.
//!
//! The expiry options are computed in the browser from the policy with
//! `tokenwarden::expiry::choices`, the same code the server runs when it
//! stores the token: a disallowed option is disabled, with its reason, the
//! moment the form renders or changes, with no request. When a policy is
//! saved elsewhere on the page the form fetches the new one and offers its
//! choices at once ([`policy_saves`]).

use crate::island::island;
use crate::resource::server_resource;
use crate::{
    api::tokens::{CreateToken, ListTokens, RevokeToken, TokenPolicy, UpdateToken},
    components::{
        policy_saves, reset_on_success, ActionError, ErrorBox, FormAction, LastUse, LocalDate, NewSecret, Scroller,
        ServerForm, Usage,
    },
    model::{CreatedToken, PolicyView, TokenView},
};
use leptos::prelude::*;
use tokenwarden::validate::NAME_MAX_CHARS;
use tokenwarden::{
    expiry::{choices, day_label, ExpiryChoice},
    permissions::{Group, Permission, TokenKind},
    place::Place,
    rotation::Overlap,
    token::TokenState,
};

/// The token whose successor the create form is making (id and name), if any.
type Rotating = RwSignal<Option<(i64, String)>>;

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// "in 12 days", "expired 3 days ago".
pub fn relative(now: i64, at: i64) -> String {
    let days = (at - now) as f64 / 86_400.0;
    let whole = days.abs().round() as i64;
    let unit = |n: i64| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    match (days >= 0.0, whole) {
        (true, 0) => "today".into(),
        (true, n) => format!("in {}", unit(n)),
        (false, 0) => "expired today".into(),
        (false, n) => format!("expired {} ago", unit(n)),
    }
}

/// Names in the reader's order: the browser's collation (locale-aware, and
/// no Unicode case tables in the WASM); the server, which never sorts by
/// name before hydration, folds case.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    #[cfg(feature = "hydrate")]
    {
        js_sys::JsString::from(a)
            .locale_compare(b, &js_sys::Array::new(), &js_sys::Object::new())
            .cmp(&0)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

/// The browser's offset from UTC in minutes (0 while rendering on the server).
fn browser_utc_offset_minutes() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        chrono::Local::now().offset().local_minus_utc() / 60
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

island! {
/// An island: everything here runs in the browser too.
pub fn TokensPanel(
    place: Place,
    can_create: bool,
    /// The list's first filter: `all`, `active`, `expiring`, `expired` or `revoked`.
    show: String,
) -> impl IntoView {
    let create = FormAction::<CreateToken>::new();
    let update = FormAction::<UpdateToken>::new();
    let revoke = FormAction::<RevokeToken>::new();
    let list_place = place.clone();
    let tokens = server_resource(
        move || (create.version().get(), update.version().get(), revoke.version().get()),
        move |_| {
            let p = list_place.fields();
            ListTokens { kind: p.kind, workspace: p.workspace, project: p.project, repository: p.repository, user: p.user }
        },
    );
    let rotating: Rotating = RwSignal::new(None);
    let state_filter = RwSignal::new(show);
    let sort = RwSignal::new(String::from("created"));
    let kind = place.kind();
    let heading = match kind {
        TokenKind::Workspace => "Workspace tokens",
        TokenKind::Project => "Project tokens",
        TokenKind::Repository => "Repository tokens",
        TokenKind::Personal => "Tokens",
    };
    view! {
        <section class="card" id="tokens">
            <h2>{heading}</h2>
            {(kind != TokenKind::Personal).then(|| view! {
                <p class="hint">"These tokens belong to the "{kind.as_str()}", not to whoever made them: they keep working when their creator leaves the workspace or loses a role, until they expire or are revoked. Tokens whose creator is no longer a member are marked, so you can review them."</p>
            })}
            {can_create.then(|| view! { <CreateTokenForm place=place.clone() create rotating /> })}
            <div class="list-controls">
                <label>"Show"
                    <select on:change=move |ev| state_filter.set(event_target_value(&ev)) prop:value=move || state_filter.get()>
                        <option value="all">"All"</option>
                        <option value="active">"Active"</option>
                        <option value="expiring">"Expiring soon"</option>
                        <option value="expired">"Expired"</option>
                        <option value="revoked">"Revoked"</option>
                        <option value="rotated">"Rotated"</option>
                    </select>
                </label>
                <label>"Sort by"
                    <select on:change=move |ev| sort.set(event_target_value(&ev)) prop:value=move || sort.get()>
                        <option value="created">"Newest"</option>
                        <option value="expires">"Expires soonest"</option>
                        <option value="name">"Name"</option>
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(list) => {
                            let now = now_secs();
                            let mut list: Vec<TokenView> = list
                                .into_iter()
                                .filter(|t| match (state_filter.get().as_str(), t.state(now)) {
                                    ("active", s) => s == TokenState::Active,
                                    ("expiring", s) => s == TokenState::ExpiringSoon,
                                    ("expired", s) => s == TokenState::Expired,
                                    ("revoked", s) => s == TokenState::Revoked,
                                    ("rotated", s) => s == TokenState::Rotated,
                                    _ => true,
                                })
                                .collect();
                            match sort.get().as_str() {
                                "expires" => list.sort_by_key(|t| t.expires_at.unwrap_or(i64::MAX)),
                                "name" => list.sort_by(|a, b| by_name(&a.name, &b.name)),
                                _ => {}
                            }
                            if list.is_empty() {
                                return view! { <p class="muted">"No tokens to show."</p> }.into_any();
                            }
                            view! {
                                <Scroller label="Tokens"><table class="tokens">
                                    <thead><tr>
                                        <th>"Name"</th><th>"Permissions"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th>"State"</th><th></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|t| view! { <TokenRow token=t kind now update revoke rotating=can_create.then_some(rotating) /> }).collect_view()}
                                    </tbody>
                                </table></Scroller>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <ActionError value=update.outcome() />
            <ActionError value=revoke.outcome() />
        </section>
    }
}
}

#[component]
fn TokenRow(
    token: TokenView,
    kind: TokenKind,
    now: i64,
    update: FormAction<UpdateToken>,
    revoke: FormAction<RevokeToken>,
    /// Where a rotation starts (the create form), where tokens may be made.
    rotating: Option<Rotating>,
) -> impl IntoView {
    let state = token.state(now);
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let expires_at = token.expires_at;
    let expires_cell = move || match expires_at {
        Some(at) => view! { <LocalDate at /> {format!(" ({})", relative(now, at))} }.into_any(),
        None => "Never".into_any(),
    };
    let expires = match token.expires_at {
        Some(at) => relative(now, at),
        None => "never".into(),
    };
    let last_used =
        view! { <LastUse at=token.last_used_at addr=token.last_used_addr.clone() via=token.last_used_via.clone() /> };
    let state_class = match state {
        TokenState::Active => "state active",
        TokenState::ExpiringSoon => "state expiring",
        TokenState::Expired => "state expired",
        TokenState::Revoked => "state revoked",
        TokenState::Rotated => "state rotated",
    };
    let id = token.id.to_string();
    let (id_edit, id_revoke) = (id.clone(), id.clone());
    let name = token.name.clone();
    let permissions = token.permissions.clone();
    let expires_read_only = expires.clone();
    let live = state != TokenState::Revoked;
    // Old and new point at each other; the old one says when it stops.
    let rotation = view! {
        {token.rotated_from.map(|from| view! { <br /><a class="muted" href=format!("#token-{from}")>{format!("replaces #{from}")}</a> })}
        {token.rotated_to.map(|to| view! { <br /><a class="muted" href=format!("#token-{to}")>{format!("replaced by #{to}")}</a> })}
    };
    let stops = token.stops_at.filter(|_| state.works()).map(|at| {
        view! {
            <span class="badge rotated">"Rotated — stops at " <LocalDate at time=true /></span>
        }
    });
    // Working or expired (a renewal), and not replaced already.
    let rotate = rotating.filter(|_| (state.works() || state == TokenState::Expired) && token.rotated_to.is_none());
    let rotate_with = (token.id, token.name.clone());
    view! {
        <tr id=format!("token-{}", token.id) data-token=token.name.clone()>
            <td>{token.name.clone()} <span class="muted">{format!(" #{}", token.id)}</span> {rotation}</td>
            <td class="perms"><PermissionList names=token.permissions.clone() /></td>
            <td>
                <LocalDate at=token.created_at /> {token.created_by.map(|by| format!(" by {by}"))}
                {token.creator_left.then(|| view! { <span class="badge left" title="The creator is no longer a member of this workspace; the token keeps working until it expires or is revoked.">"creator no longer a member"</span> })}
            </td>
            <td>{expires_cell}</td>
            <td>{last_used}</td>
            <td><span class=state_class>{state.label()}</span> {stops}</td>
            <td class="actions">
                {rotate.map(|rotating| view! {
                    <button type="button" class="link" aria-label=format!("Rotate {}", token.name) on:click=move |_| rotating.set(Some(rotate_with.clone()))>"Rotate"</button>
                    " "
                })}
                {live.then(|| view! {
                    <button type="button" class="link" aria-label=format!("Edit {}", token.name) on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                    " "
                    <button type="button" class="link danger" aria-label=format!("Revoke {}", token.name) on:click=move |_| confirming.set(true)>"Revoke"</button>
                })}
            </td>
        </tr>
        {move || {
            let (id, name, permissions, expires) = (id_edit.clone(), name.clone(), permissions.clone(), expires_read_only.clone());
            editing.get().then(move || view! {
            <tr class="subrow"><td colspan="7">
                // Saving refetches the list, which closes this form.
                <ServerForm action=update attr:class="grid-form">
                    <input type="hidden" name="id" value=id />
                    <label>"Name" <input name="name" required maxlength=NAME_MAX_CHARS value=name /></label>
                    <PermissionFields kind selected=permissions />
                    <p class="read-only">"Expiry: " {expires} " — it cannot be changed."</p>
                    <button type="submit">"Save changes"</button>
                </ServerForm>
            </td></tr>
        })}}
        {move || {
            let id = id_revoke.clone();
            confirming.get().then(move || view! {
            <tr class="subrow"><td colspan="7">
                <ServerForm action=revoke attr:class="confirm">
                    <input type="hidden" name="id" value=id />
                    <span>"Revoke this token? Anything using it stops working at once."</span>
                    <button type="submit" class="danger">"Revoke token"</button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </ServerForm>
            </td></tr>
        })}}
    }
}

/// A token's permissions, each with what it lets the token do, and its
/// name as the REST API takes it.
#[component]
fn PermissionList(names: Vec<String>) -> impl IntoView {
    view! {
        <ul class="perm-list">
            {names.into_iter().map(|name| {
                let meaning = Permission::parse(&name).map(|p| p.meaning());
                view! { <li>{meaning.map(|m| format!("{m} "))}<code>{name}</code></li> }
            }).collect_view()}
        </ul>
    }
}

/// One select per permission kind the token may carry.
#[component]
fn PermissionFields(kind: TokenKind, #[prop(default = vec![])] selected: Vec<String>) -> impl IntoView {
    let groups: [(Group, &str, &str); 4] = [
        (Group::Workspace, "workspace_permission", "Workspace"),
        (Group::Project, "project_permission", "Project"),
        (Group::Repository, "repository_permission", "Repository"),
        (Group::Account, "account_permission", "Account"),
    ];
    let fresh = selected.is_empty();
    groups
        .into_iter()
        .filter(|(g, _, _)| kind.allows(*g))
        .map(|(group, field, label)| {
            let options: Vec<Permission> = Permission::ALL.into_iter().filter(|p| p.group() == group).collect();
            let current = selected
                .iter()
                .find(|s| options.iter().any(|p| p.name() == s.as_str()))
                .cloned()
                .unwrap_or_else(|| {
                    // New tokens start with read access where it is required.
                    let default = fresh
                        && (group == Group::Repository || (group == Group::Workspace && kind == TokenKind::Workspace));
                    if default {
                        options[0].name().to_string()
                    } else {
                        String::new()
                    }
                });
            view! {
                <label>{format!("{label} permission")}
                    <select name=field>
                        <option value="" selected=current.is_empty()>"None"</option>
                        {options.into_iter().map(|p| {
                            let selected = current == p.name();
                            view! { <option value=p.name() selected=selected>{p.level_meaning()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        })
        .collect_view()
}

#[component]
fn CreateTokenForm(place: Place, create: FormAction<CreateToken>, rotating: Rotating) -> impl IntoView {
    let policy_place = place.clone();
    // Refetched when a policy is saved on this page: the choices follow it.
    let saves = policy_saves();
    let policy = server_resource(
        move || saves.get(),
        move |_| {
            let p = policy_place.fields();
            TokenPolicy {
                kind: p.kind,
                workspace: p.workspace,
                project: p.project,
                repository: p.repository,
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                let place = place.clone();
                Suspend::new(async move {
                    match policy.await {
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                        Ok(policy) => view! { <CreateTokenFields place policy create rotating /> }.into_any(),
                    }
                })
            }}
        </Transition>
        {move || create.value().and_then(Result::ok).map(|created| view! {
            <NewTokenSecret created on_done=Callback::new(move |_| create.clear()) />
        })}
    }
}

/// Values a create form starts with (the app password replacement flow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    pub name: String,
    pub permissions: Vec<String>,
}

#[component]
pub(crate) fn CreateTokenFields(
    place: Place,
    policy: PolicyView,
    create: FormAction<CreateToken>,
    #[prop(optional)] prefill: Prefill,
    #[prop(default = "Create access token")] title: &'static str,
    /// Set by a row's Rotate: the form then makes that token's successor
    /// (same name, place and permissions), with an overlap to pick.
    #[prop(optional)]
    rotating: Option<Rotating>,
) -> impl IntoView {
    let effective = policy.effective;
    // The browser's clock and time zone; both re-read when the form renders.
    let offset = RwSignal::new(0i32);
    Effect::new(move |_| offset.set(browser_utc_offset_minutes()));
    let options = Memo::new(move |_| choices(&effective, chrono::Utc::now(), offset.get()));
    let default = move || {
        options
            .with_untracked(|c| c.default_choice())
            .map(|c| c.value())
            .unwrap_or_default()
    };
    let selected = RwSignal::new(default());
    let rotating = rotating.unwrap_or_else(|| RwSignal::new(None));
    let is_rotating = move || rotating.with(Option::is_some);
    // Made: the form starts over (name, permissions, the default expiry), so
    // a second press of Create cannot make a twin; the secret takes focus.
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(
        move || create.succeeded(),
        form,
        move || {
            selected.set(default());
            rotating.set(None);
        },
    );
    // A rotation starts from a row below: bring the form into view.
    Effect::new(move |_| {
        if let (true, Some(form)) = (is_rotating(), form.get()) {
            form.scroll_into_view();
        }
    });
    let max = policy.rotation.max_overlap;
    let chosen = policy.rotation.default_overlap.min(max);
    let limit_note = format!(
        "Tokens here can last at most {} days ({}){}.",
        effective.max_days,
        effective.max_days_source,
        if effective.allows_no_expiry() {
            "; \"No expiry\" is allowed"
        } else {
            ""
        }
    );
    let kind = place.kind();
    let fields = place.fields();
    view! {
        <details class="create" open>
            <summary>{move || match rotating.get() {
                Some((id, name)) => format!("Rotate \"{name}\" (#{id})"),
                None => title.to_string(),
            }}</summary>
            <ServerForm action=create node_ref=form attr:class="stack">
                <input type="hidden" name="kind" value=fields.kind />
                <input type="hidden" name="workspace" value=fields.workspace />
                <input type="hidden" name="project" value=fields.project />
                <input type="hidden" name="repository" value=fields.repository />
                <input type="hidden" name="rotates" prop:value=move || rotating.get().map(|(id, _)| id.to_string()).unwrap_or_default() />
                <div class="stack" hidden=is_rotating>
                    <label>"Name" <input name="name" required=move || !is_rotating() maxlength=NAME_MAX_CHARS placeholder="CI deploy" value=prefill.name /></label>
                    <div class="grid-form"><PermissionFields kind selected=prefill.permissions /></div>
                </div>
                <fieldset class="expiry">
                    <legend>"Expiry"</legend>
                    <p class="hint">{limit_note}</p>
                    {move || options.get().options.into_iter().map(|option| {
                        let value = option.choice.value();
                        let reason = option.unavailable.map(|u| u.to_string());
                        let disabled = reason.is_some();
                        let v = value.clone();
                        let checked = value.clone();
                        view! {
                            <label class="choice" class:disabled=disabled>
                                <input type="radio" name="expiry" value=value.clone() disabled=disabled
                                    prop:checked=move || selected.get() == checked
                                    on:change=move |_| selected.set(v.clone()) />
                                {option.label()}
                                {reason.map(|r| view! { <span class="reason">{r}</span> })}
                            </label>
                        }
                    }).collect_view()}
                    <Show when=move || selected.get() == ExpiryChoice::CustomDate.value()>
                        {move || {
                            let range = options.get().date_range;
                            let min = range.map(|(a, _)| a.to_string()).unwrap_or_default();
                            let max = range.map(|(_, b)| b.to_string()).unwrap_or_default();
                            let rule = range.map(|(_, last)| format!(
                                "The token expires at the end of the chosen day; on {}, the last day allowed, at the {}-day limit to the minute.",
                                day_label(last),
                                effective.max_days
                            ));
                            view! {
                                <label>"Expires at the end of" <input type="date" name="expiry_date" required min=min.clone() max=max value=min /></label>
                                <p class="hint">{rule}</p>
                            }
                        }}
                    </Show>
                    <input type="hidden" name="utc_offset_minutes" prop:value=move || offset.get().to_string() />
                </fieldset>
                {move || is_rotating().then(|| view! {
                    <p class="hint">"The successor gets a new secret, shown once, with this token's name, place and permissions. The old token keeps working during the overlap (never past its own expiry), so you can replace it everywhere first."</p>
                    <fieldset class="expiry">
                        <legend>"Overlap"</legend>
                        {Overlap::options(max).map(|(overlap, allowed)| view! {
                            <label class="choice" class:disabled=!allowed>
                                <input type="radio" name="overlap" value=overlap.value() disabled=!allowed checked=overlap == chosen />
                                {overlap.label()}
                                {(!allowed).then(|| view! { <span class="reason">"Longer than the system policy allows"</span> })}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <button type="button" class="secondary" on:click=move |_| rotating.set(None)>"Cancel rotation"</button>
                })}
                <ActionError value=create.outcome() />
                <button type="submit">{move || if is_rotating() { "Rotate token" } else { "Create" }}</button>
            </ServerForm>
        </details>
    }
}

/// How a token is used: Git's username and the repository path its
/// `git clone` line names (`scope` is where it reaches: `ws/PROJ/repo`,
/// `ws/PROJ`, `ws`, or a personal token's user).
pub(crate) fn token_usage(kind: TokenKind, scope: &str) -> Usage {
    let workspace = scope.split('/').next().unwrap_or_default();
    let (username, repository) = match kind {
        TokenKind::Personal => (scope.to_string(), "<workspace>/<repository>".to_string()),
        TokenKind::Repository => (
            "x-token-auth".to_string(),
            format!("{workspace}/{}", scope.rsplit('/').next().unwrap_or_default()),
        ),
        TokenKind::Project | TokenKind::Workspace => ("x-token-auth".to_string(), format!("{workspace}/<repository>")),
    };
    Usage {
        username,
        repository,
        bearer: true,
    }
}

#[component]
pub(crate) fn NewTokenSecret(created: CreatedToken, on_done: Callback<()>) -> impl IntoView {
    let token = &created.token;
    let expiry = match token.expires_at {
        Some(at) => {
            let day = chrono::DateTime::from_timestamp(at, 0)
                .map(|d| day_label(d.with_timezone(&chrono::Local).date_naive()))
                .unwrap_or_default();
            format!("It expires on {day} ({}).", relative(now_secs(), at))
        }
        None => "It never expires.".to_string(),
    };
    let usage = token_usage(token.kind, &token.scope);
    let headline = match token.rotated_from {
        Some(old) => format!(
            "Token \"{}\" rotated: this is its successor (#{}, replacing #{old}).",
            token.name, token.id
        ),
        None => format!("Token \"{}\" created.", token.name),
    };
    view! {
        <NewSecret headline=headline secret=created.secret label="New token" expiry usage on_done />
    }
}
