//! Access-token management over REST, shaped like Bitbucket Data Center's
//! access-tokens API so its scripts and clients carry over:
//! `GET|PUT /rest/access-tokens/1.0/users/{userSlug}` (list, create: 200
//! with the secret, once) and
//! `GET|POST|DELETE /rest/access-tokens/1.0/users/{userSlug}/{tokenId}`
//! (read, edit only the fields sent, revoke: 204) and
//! `POST …/{tokenId}/rotate` (Tokenwarden's own); the same under `workspaces/{workspace}`,
//! `workspaces/{workspace}/projects/{projectKey}` and
//! `workspaces/{workspace}/projects/{projectKey}/repos/{repositorySlug}`,
//! and Bitbucket's own `projects/{projectKey}` and
//! `projects/{projectKey}/repos/{repositorySlug}` when the key names a
//! project in one workspace the user can see (a 409 naming them when
//! several do). `latest` works for `1.0`. Tokens are Data Center's JSON,
//! with the `user` they act as, and Tokenwarden's own fields beside.
//!
//! One router of four handlers serves every place: it is nested under each
//! place's path, and [`PlacePath`] reads the place from whichever parameters
//! that path has. Each handler's `#[utoipa::path]` documents it once;
//! `docs` copies it to every place.
//!
//! A token cannot manage tokens (a leaked one must not outlive itself): these
//! endpoints take the user's password (HTTP Basic) or a signed-in web session
//! with `X-Atlassian-Token: no-check`. The rules are the web's: the same
//! policy check in the transaction that stores a token, the same limits.

use super::{
    error::RestError,
    extract::{check_version, json_body, Manager},
    page::{Page, PageQuery, Paging},
    schemas::{AmbiguousKey, Conflict, PasswordCall, RotateConflict, TooLarge},
};
use app::{
    error::AppError,
    model::{CreatedToken, TokenView},
    ssr::{
        authz::token_admin::{self, Manageable},
        store::{
            rotation::{self, OverlapChoice, Rotation, SuccessorExpiry},
            tokens::{self, NewToken},
            users, workspaces,
        },
        AppState,
    },
};
use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tokenwarden::{
    permissions::TokenKind,
    place::{Place, PlaceFields},
    requests::{NewTokenBody, RotateTokenBody, UpdateTokenBody},
    scope::Home,
    token::TokenState,
};
use utoipa::{
    openapi::{Object, ObjectBuilder, Type},
    ToSchema,
};

/// Where tokens belong, after `/rest/access-tokens/{version}`, and the kind
/// of token each holds. Parameters are named as Bitbucket Data Center's
/// documentation names them.
pub(crate) const PLACES: [(&str, TokenKind); 6] = [
    ("/users/{userSlug}", TokenKind::Personal),
    ("/workspaces/{workspace}", TokenKind::Workspace),
    ("/workspaces/{workspace}/projects/{projectKey}", TokenKind::Project),
    (
        "/workspaces/{workspace}/projects/{projectKey}/repos/{repositorySlug}",
        TokenKind::Repository,
    ),
    ("/projects/{projectKey}", TokenKind::Project),
    ("/projects/{projectKey}/repos/{repositorySlug}", TokenKind::Repository),
];

/// One token, after a place's path.
pub(crate) const TOKEN: &str = "/{tokenId}";
/// Rotating one token, after a place's path.
pub(crate) const ROTATE: &str = "/{tokenId}/rotate";

/// Every path this API routes (and documents), after
/// `/rest/access-tokens/{version}`.
#[cfg(test)]
pub(crate) fn paths() -> impl Iterator<Item = String> {
    PLACES
        .iter()
        .flat_map(|(place, _)| [place.to_string(), format!("{place}{TOKEN}"), format!("{place}{ROTATE}")])
}

pub fn routes() -> Router<AppState> {
    let one_place = Router::new()
        .route("/", get(list).put(create))
        .route(TOKEN, get(read).post(update).delete(revoke))
        .route(ROTATE, post(rotate));
    PLACES
        .iter()
        .fold(Router::new(), |router, (place, _)| {
            router.nest(&format!("/rest/access-tokens/{{version}}{place}"), one_place.clone())
        })
        .method_not_allowed_fallback(super::error::method_not_allowed)
}

/// The parameters of any of the paths above.
#[derive(Deserialize)]
pub(crate) struct PlacePath {
    version: String,
    #[serde(rename = "userSlug")]
    user: Option<String>,
    workspace: Option<String>,
    #[serde(rename = "projectKey")]
    project: Option<String>,
    #[serde(rename = "repositorySlug")]
    repository: Option<String>,
    #[serde(rename = "tokenId")]
    token: Option<String>,
}

impl PlacePath {
    /// The place the path names. Bitbucket's paths without a workspace name
    /// the one workspace the manager can see that has the project.
    async fn place(&self, state: &AppState, manager: &Manager) -> Result<Place, RestError> {
        check_version(&self.version)?;
        let kind = match (&self.user, &self.project, &self.repository) {
            (Some(_), ..) => "personal",
            (None, _, Some(_)) => "repository",
            (None, Some(_), None) => "project",
            (None, None, None) => "workspace",
        };
        let workspace = match (&self.workspace, &self.project) {
            (Some(workspace), _) => workspace.clone(),
            (None, Some(key)) if self.user.is_none() => workspace_of(state, manager, key).await?,
            (None, _) => String::new(),
        };
        let fields = PlaceFields {
            kind: kind.into(),
            workspace,
            project: self.project.clone().unwrap_or_default(),
            repository: self.repository.clone().unwrap_or_default(),
            user: self.user.clone().unwrap_or_default(),
        };
        Ok(token_admin::place(&fields)?)
    }

    /// The token `{tokenId}` names if the manager may manage it *and* it
    /// belongs at this place, as it is now. A revoked token is not found:
    /// Data Center deletes what it revokes, and its clients (a Terraform
    /// provider refreshing its state, a script checking its clean-up) take
    /// a 404 as "gone"; the web app keeps it listed as history.
    async fn token(&self, state: &AppState, manager: &Manager) -> Result<(TokenView, Manageable), RestError> {
        let place = self.place(state, manager).await?;
        let id: i64 = self
            .token
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|_| RestError::NotFound)?;
        let target = token_admin::target(state, &manager.user, &place, false).await?;
        let manageable = token_admin::manageable(state, &manager.user, id).await?;
        if manageable.home != target.home {
            return Err(RestError::NotFound);
        }
        let view = tokens::find_view(&state.db, id)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(RestError::NotFound)?;
        Ok((view, manageable))
    }
}

/// The workspace of project `key`, for Bitbucket's paths without one: the
/// one workspace the user can see that has such a project.
async fn workspace_of(state: &AppState, manager: &Manager, key: &str) -> Result<String, RestError> {
    let mut visible = Vec::new();
    for slug in workspaces::with_project_key(&state.db, key).await? {
        if workspaces::open(&state.db, &manager.user, &slug).await.is_ok() {
            visible.push(slug);
        }
    }
    match visible.len() {
        0 => Err(RestError::NotFound),
        1 => Ok(visible.remove(0)),
        _ => Err(RestError::Conflict(format!(
            "Project key {} is used in several workspaces you can see ({}); use \
             /rest/access-tokens/1.0/workspaces/{{workspace}}/projects/{}.",
            key.to_uppercase(),
            visible.join(", "),
            key.to_uppercase()
        ))),
    }
}

/// A token as Bitbucket Data Center shows it (times in milliseconds), with
/// Tokenwarden's own fields beside.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManagedToken {
    id: String,
    name: String,
    permissions: Vec<String>,
    created_date: i64,
    /// Absent: the token never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_date: Option<i64>,
    /// Absent: never used.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated: Option<i64>,
    /// Who the token acts as: its owner (a personal token), or the token
    /// itself (a workspace, project or repository token, `SERVICE`).
    user: TokenUser,
    #[schema(schema_with = token_state)]
    state: &'static str,
    /// The secret: only in the answer to a create or a rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// The token this one replaced (a rotation's successor).
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
    /// The token that replaced this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_by: Option<String>,
    /// Once rotated: when it stops working (milliseconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    stops_date: Option<i64>,
}

/// Every state a token can be in, by its label.
fn token_state() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(TokenState::ALL.map(TokenState::label)))
        .build()
}

/// A user as Data Center's `RestApplicationUser` shows one.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenUser {
    name: String,
    slug: String,
    id: i64,
    display_name: String,
    /// A person's; absent for a token acting as itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_address: Option<String>,
    active: bool,
    /// `NORMAL`: a person; `SERVICE`: a workspace, project or repository
    /// token acting as itself (named `@token-<id>`).
    #[serde(rename = "type")]
    #[schema(schema_with = user_type)]
    kind: &'static str,
}

fn user_type() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["NORMAL", "SERVICE"]))
        .build()
}

/// Whose the tokens at one place are: read once per answer.
pub(crate) enum Owner {
    Person(TokenUser),
    Resource,
}

impl Owner {
    pub(crate) async fn of(state: &AppState, home: Home) -> Result<Owner, RestError> {
        match home {
            Home::Resource(_) => Ok(Owner::Resource),
            Home::Personal { user_id } => {
                let user = users::summary(&state.db, user_id).await?.ok_or(RestError::NotFound)?;
                Ok(Owner::Person(TokenUser {
                    name: user.username.clone(),
                    slug: user.username,
                    id: user.id,
                    display_name: user.display_name,
                    email_address: Some(user.email),
                    active: true,
                    kind: "NORMAL",
                }))
            }
        }
    }

    fn user(&self, token: &TokenView, working: bool) -> TokenUser {
        match self {
            Owner::Person(user) => user.clone(),
            Owner::Resource => {
                let name = super::username::of_token(token.id);
                TokenUser {
                    slug: name.clone(),
                    name,
                    id: token.id,
                    display_name: token.name.clone(),
                    email_address: None,
                    active: working,
                    kind: "SERVICE",
                }
            }
        }
    }
}

impl ManagedToken {
    /// `now` in Unix seconds, read once per answer.
    fn of(t: &TokenView, now: i64, owner: &Owner) -> Self {
        let state = t.state(now);
        let working = matches!(state, TokenState::Active | TokenState::ExpiringSoon);
        ManagedToken {
            id: t.id.to_string(),
            name: t.name.clone(),
            permissions: t.permissions.clone(),
            created_date: t.created_at * 1000,
            expiry_date: t.expires_at.map(|at| at * 1000),
            last_authenticated: t.last_used_at.map(|at| at * 1000),
            user: owner.user(t, working),
            state: state.label(),
            token: None,
            replaces: t.rotated_from.map(|id| id.to_string()),
            replaced_by: t.rotated_to.map(|id| id.to_string()),
            stops_date: t.stops_at.map(|at| at * 1000),
        }
    }

    /// A token just made, with its secret: the one time it is sent.
    pub(crate) fn with_secret(created: &CreatedToken, owner: &Owner) -> Self {
        ManagedToken {
            token: Some(created.secret.expose().to_string()),
            ..ManagedToken::of(&created.token, chrono::Utc::now().timestamp(), owner)
        }
    }
}

/// List the tokens here.
#[utoipa::path(
    get,
    path = "/rest/access-tokens/1.0/{place}",
    tag = "Access tokens",
    summary = "List the tokens here (revoked ones are gone, as in Data Center)",
    security(("password" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Page<ManagedToken>),
        PasswordCall,
        (status = 409, response = AmbiguousKey),
    )
)]
pub(crate) async fn list(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
    paging: Paging,
) -> Result<Json<Page<ManagedToken>>, RestError> {
    let place = path.place(&state, &manager).await?;
    let target = token_admin::target(&state, &manager.user, &place, false).await?;
    let owner = Owner::of(&state, target.home).await?;
    let now = chrono::Utc::now().timestamp();
    // Revoked tokens are gone here, as in Data Center (see `PlacePath::token`).
    let values = tokens::list(&state.db, target.home)
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| ManagedToken::of(t, now, &owner))
        .collect();
    Ok(Page::of(values, paging))
}

/// Read one token (never its secret).
#[utoipa::path(
    get,
    path = "/rest/access-tokens/1.0/{place}/{tokenId}",
    tag = "Access tokens",
    summary = "Read one token (never its secret)",
    security(("password" = [])),
    responses(
        (status = 200, description = "The token", body = ManagedToken),
        PasswordCall,
        (status = 409, response = AmbiguousKey),
    )
)]
pub(crate) async fn read(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
) -> Result<Json<ManagedToken>, RestError> {
    let (view, token) = path.token(&state, &manager).await?;
    let owner = Owner::of(&state, token.home).await?;
    Ok(Json(ManagedToken::of(&view, chrono::Utc::now().timestamp(), &owner)))
}

/// Create a token (the place's `New…Token` body).
#[utoipa::path(
    put,
    path = "/rest/access-tokens/1.0/{place}",
    tag = "Access tokens",
    summary = "Create a token; the response carries its secret, once",
    security(("password" = [])),
    responses(
        (status = 200, description = "The token, with `token`: the secret, shown this once (200, as Data Center \
            answers)", body = ManagedToken),
        PasswordCall,
        (status = 409, response = AmbiguousKey),
        (status = 413, response = TooLarge),
    )
)]
pub(crate) async fn create(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
    request: Result<Json<NewTokenBody>, JsonRejection>,
) -> Result<Json<ManagedToken>, RestError> {
    let place = path.place(&state, &manager).await?;
    let target = token_admin::target(&state, &manager.user, &place, true).await?;
    let request = json_body(request, "The body must be a JSON object")?;
    let name = tokenwarden::validate::display_name("name", &request.name).map_err(AppError::Invalid)?;
    let set = token_admin::permissions(target.home.kind(), &request.permissions, target.creator)?;
    let expiry = request.expiry();
    let created = tokens::create(
        &state.db,
        &state.token_keys,
        state.tokens,
        NewToken {
            home: target.home,
            scope: target.scope,
            name,
            permissions: set,
            expiry,
            actor: &manager.user,
            client_addr: &manager.address,
        },
    )
    .await?;
    tracing::info!(by = %manager.user.username, token_id = created.token.id, "token created over REST");
    let owner = Owner::of(&state, target.home).await?;
    Ok(Json(ManagedToken::with_secret(&created, &owner)))
}

/// Edit a token (the place's `…TokenChanges` body).
#[utoipa::path(
    post,
    path = "/rest/access-tokens/1.0/{place}/{tokenId}",
    tag = "Access tokens",
    summary = "Edit a token's name and permissions (never its expiry)",
    security(("password" = [])),
    responses(
        (status = 200, description = "The token as it is now", body = ManagedToken),
        PasswordCall,
        (status = 409, response = Conflict),
        (status = 413, response = TooLarge),
    )
)]
pub(crate) async fn update(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
    request: Result<Json<UpdateTokenBody>, JsonRejection>,
) -> Result<Json<ManagedToken>, RestError> {
    let (current, token) = path.token(&state, &manager).await?;
    let id = current.id;
    let request = json_body(request, "The body must be a JSON object")?;
    if request.expiry_days {
        return Err(AppError::refused(
            "expiryDays",
            "A token's expiry cannot be changed. Create a new token instead.",
        )
        .into());
    }
    let name = match &request.name {
        Some(name) => tokenwarden::validate::display_name("name", name).map_err(AppError::Invalid)?,
        None => current.name.clone(),
    };
    let names = request.permissions.unwrap_or(current.permissions.clone());
    let set = token.permissions(&names)?;
    let updated = tokens::update(&state.db, id, &name, &set, &manager.user, &manager.address).await?;
    let owner = Owner::of(&state, token.home).await?;
    Ok(Json(ManagedToken::of(&updated, chrono::Utc::now().timestamp(), &owner)))
}

#[utoipa::path(
    delete,
    path = "/rest/access-tokens/1.0/{place}/{tokenId}",
    tag = "Access tokens",
    summary = "Revoke a token: it stops working, and is not found here again (the web app keeps it as history)",
    security(("password" = [])),
    responses(
        (status = 204, description = "Revoked: it stops working at once"),
        PasswordCall,
        (status = 409, response = Conflict),
    )
)]
pub(crate) async fn revoke(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
) -> Result<StatusCode, RestError> {
    let (token, _) = path.token(&state, &manager).await?;
    tokens::revoke(&state.db, token.id, &manager.user, &manager.address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate a token (`{"expiryDays"?, "overlap"?}`).
#[utoipa::path(
    post,
    path = "/rest/access-tokens/1.0/{place}/{tokenId}/rotate",
    tag = "Access tokens",
    summary = "Rotate a token: its successor, with the secret shown once; the old one works during the overlap",
    security(("password" = [])),
    responses(
        (status = 201, description = "The successor, with `token`: the secret, shown this once, and `replaces`", body = ManagedToken),
        PasswordCall,
        (status = 409, response = RotateConflict),
        (status = 413, response = TooLarge),
    )
)]
pub(crate) async fn rotate(
    Path(path): Path<PlacePath>,
    State(state): State<AppState>,
    manager: Manager,
    request: Result<Json<RotateTokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<ManagedToken>), RestError> {
    let (view, token) = path.token(&state, &manager).await?;
    let id = view.id;
    token.rotatable_by(&manager.user)?;
    let request = json_body(request, "The body must be a JSON object")?;
    let overlap = match request.overlap().map_err(|e| AppError::refused("overlap", e))? {
        Some(overlap) => OverlapChoice::Chosen(overlap),
        None => OverlapChoice::Default,
    };
    let rotated = rotation::rotate(
        &state.db,
        &state.token_keys,
        Rotation {
            id,
            expiry: SuccessorExpiry::Chosen(request.expiry()),
            overlap,
            actor: (&manager.user).into(),
            client_addr: &manager.address,
        },
    )
    .await?;
    tracing::info!(by = %manager.user.username, token_id = id, successor = rotated.token.id, "token rotated over REST");
    let owner = Owner::of(&state, token.home).await?;
    Ok((StatusCode::CREATED, Json(ManagedToken::with_secret(&rotated, &owner))))
}
