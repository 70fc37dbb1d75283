//! The resource API under `/rest/api/1.0` (`latest` is an alias):
//! workspaces, projects and repositories as a token (or app password, or
//! web session with the anti-CSRF header) may see them, and the calling
//! token's own details. Times are milliseconds since the epoch, as
//! Bitbucket Data Center sends them.
//!
//! Data Center has no workspaces, and its clients know only its own paths
//! (`/projects/{projectKey}/repos/{repositorySlug}`) and shapes. Both are
//! served: the workspace paths, and Data Center's, where a project key
//! names the one workspace the caller can see that has it (a 409 naming
//! them when several do: a script must never act on the wrong one). Its
//! clients also read `application-properties` before anything else, and
//! take their page size from `start`/`limit` (see `super::page`).

use super::tokens::{ManagedToken, Owner};
use super::{
    error::RestError,
    extract::{check_version, json_body, Caller},
    page::{Page, PageQuery, Paging},
    schemas::{self, TokenCall, TokenChange},
};
use app::{
    error::AppError,
    ssr::{
        auth::Principal,
        request::ClientAddr,
        store::{
            audit::Actor,
            ladders,
            rotation::{self, OverlapChoice, Rotation, SuccessorExpiry},
            workspaces::{self, ProjectRow, RepositoryRow},
        },
        AppState,
    },
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tokenwarden::{
    permissions::TokenKind, requests::RotateTokenBody, scope::Resource, validate, warnings::Ladder, Access, Grants,
};
use utoipa::{
    openapi::{Object, ObjectBuilder, Type},
    IntoParams, ToSchema,
};

// Every path after `/rest/api/{version}`: routed below, documented by the
// `#[utoipa::path]` on each handler (a test keeps the two the same). The
// document itself is served beside them (`super::OPENAPI`).
const APPLICATION_PROPERTIES: &str = "/application-properties";
const TOKEN_SELF: &str = "/tokens/self";
pub(crate) const TOKEN_SELF_ROTATE: &str = "/tokens/self/rotate";
const WORKSPACES: &str = "/workspaces";
const WORKSPACE: &str = "/workspaces/{workspace}";
const PROJECTS: &str = "/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "/workspaces/{workspace}/projects/{project}/repos";
const REPOSITORY: &str = "/workspaces/{workspace}/projects/{project}/repos/{repository}";
// Data Center's own paths, without a workspace.
const DC_PROJECTS: &str = "/projects";
const DC_PROJECT: &str = "/projects/{projectKey}";
const DC_REPOSITORIES: &str = "/projects/{projectKey}/repos";
const DC_REPOSITORY: &str = "/projects/{projectKey}/repos/{repositorySlug}";
#[cfg(test)]
pub(crate) const PATHS: [&str; 12] = [
    APPLICATION_PROPERTIES,
    TOKEN_SELF,
    TOKEN_SELF_ROTATE,
    WORKSPACES,
    WORKSPACE,
    PROJECTS,
    REPOSITORIES,
    REPOSITORY,
    DC_PROJECTS,
    DC_PROJECT,
    DC_REPOSITORIES,
    DC_REPOSITORY,
];

pub(crate) fn api(path: &str) -> String {
    format!("/rest/api/{{version}}{path}")
}

pub fn routes() -> Router<AppState> {
    std::sync::LazyLock::force(&STARTED_MS);
    Router::new()
        .route(&api(APPLICATION_PROPERTIES), get(application_properties))
        .route(&api(TOKEN_SELF), get(token_self))
        .route(&api(TOKEN_SELF_ROTATE), post(rotate_self))
        .route(&api(WORKSPACES), get(list_workspaces))
        .route(&api(WORKSPACE), get(get_workspace))
        .route(&api(PROJECTS), get(list_projects))
        .route(&api(REPOSITORIES), get(list_repositories).post(create_repository))
        .route(&api(REPOSITORY), get(get_repository).put(update_repository))
        .route(&api(DC_PROJECTS), get(list_all_projects))
        .route(&api(DC_PROJECT), get(get_project_by_key))
        .route(
            &api(DC_REPOSITORIES),
            get(list_repositories_by_key).post(create_repository_by_key),
        )
        .route(&api(DC_REPOSITORY), get(get_repository_by_key))
        .method_not_allowed_fallback(super::error::method_not_allowed)
}

/// A token's (or app password's) own details, as `tokens/self` shows them.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenDetails {
    id: i64,
    name: String,
    /// `app_password` when the request used a legacy app password; its
    /// permissions are then classic scopes such as `repository:write`.
    #[schema(schema_with = credential_kind)]
    kind: &'static str,
    permissions: Vec<String>,
    /// Milliseconds since the epoch.
    created_date: i64,
    /// Milliseconds since the epoch; null: no expiry.
    expiry_date: Option<i64>,
    /// The next expiry warning still ahead on the warning ladder; null when
    /// none is (no expiry, or every warning sent). Every answer to a token
    /// also carries its expiry in the `Tokenwarden-Token-Expiration` header.
    next_warning: Option<NextWarning>,
}

/// One rung of the warning ladder, as `tokens/self` shows the next one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NextWarning {
    /// Milliseconds since the epoch.
    date: i64,
    /// Days before expiry; 0: the warning at expiry.
    days_before_expiry: u32,
    /// What it will say: "expires in 7 days", "expired".
    message: String,
}

impl NextWarning {
    /// The next warning for a token created at `created_at` that expires at
    /// `expires_at` (Unix seconds), on its ladder.
    fn of(ladder: &Ladder, now: i64, created_at: i64, expires_at: Option<i64>) -> Option<NextWarning> {
        let (threshold, at) = ladder.next(now, created_at, expires_at?)?;
        Some(NextWarning {
            date: at * 1000,
            days_before_expiry: threshold.days(),
            message: threshold.to_string(),
        })
    }
}

/// What `kind` can say: a token's kind, or `app_password`.
fn credential_kind() -> Object {
    let kinds = TokenKind::ALL.map(TokenKind::as_str);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(kinds.into_iter().chain([APP_PASSWORD])))
        .build()
}

const APP_PASSWORD: &str = "app_password";

/// The calling token's own details (never its secret). Times are
/// milliseconds since the epoch, as Bitbucket Data Center sends them. An app
/// password gets its own details too (kind `app_password`, classic scopes),
/// which helps scripts find what still uses one.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/tokens/self",
    tag = "Resources",
    summary = "The calling token's details (never its secret)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The calling token (or app password)", body = TokenDetails),
        TokenCall,
    )
)]
pub(crate) async fn token_self(
    State(state): State<AppState>,
    Path(version): Path<String>,
    caller: Caller,
) -> Result<Json<TokenDetails>, RestError> {
    check_version(&version)?;
    Ok(Json(match caller.principal()?.clone() {
        Principal::Token(token) => TokenDetails {
            // The ladder is read only for a token that expires.
            next_warning: match token.expires_at {
                None => None,
                Some(_) => NextWarning::of(
                    &ladders::ladder_for(&state.db, token.home.workspace_id())
                        .await
                        .map_err(AppError::from)?,
                    chrono::Utc::now().timestamp(),
                    token.created_at,
                    token.expires_at,
                ),
            },
            id: token.id,
            kind: token.kind().as_str(),
            permissions: token.permissions,
            created_date: token.created_at * 1000,
            expiry_date: token.expires_at.map(|at| at * 1000),
            name: token.name,
        },
        Principal::AppPassword(app_password) => TokenDetails {
            id: app_password.id,
            kind: APP_PASSWORD,
            permissions: app_password.scopes.iter().map(|s| s.id().to_string()).collect(),
            created_date: app_password.created_at * 1000,
            expiry_date: None,
            next_warning: None,
            name: app_password.name,
        },
    }))
}

/// The calling token replaces itself: the one thing a token may do to
/// tokens. Its successor (same place, name and permissions; as long-lived
/// as it was, capped by today's policy, or fewer days if `expiryDays` asks)
/// is returned once, with its secret; the calling token keeps working for
/// the system's default overlap, never past its own expiry, then answers
/// 401 `rotated`. A CI job can renew its own credential without a person.
#[utoipa::path(
    post,
    path = "/rest/api/1.0/tokens/self/rotate",
    tag = "Resources",
    summary = "Rotate the calling token: its successor, with the secret shown once",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 201, description = "The successor, with `token`: the secret, shown this once", body = ManagedToken),
        TokenCall,
        TokenChange,
        (status = 409, response = schemas::RotateConflict),
    )
)]
pub(crate) async fn rotate_self(
    State(state): State<AppState>,
    Path(version): Path<String>,
    caller: Caller,
    address: Option<axum::Extension<ClientAddr>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ManagedToken>), RestError> {
    check_version(&version)?;
    let Principal::Token(token) = caller.principal()? else {
        return Err(RestError::Forbidden(
            "App passwords cannot rotate themselves: replace this one with an API token.".into(),
        ));
    };
    let request: RotateTokenBody = if body.iter().all(u8::is_ascii_whitespace) {
        RotateTokenBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::refused("request", format!("The body must be a JSON object: {e}")))?
    };
    if request.overlap.is_some() {
        return Err(AppError::refused(
            "overlap",
            "A token rotating itself always gets the system's default overlap; leave `overlap` out.",
        )
        .into());
    }
    let rotated = rotation::rotate(
        &state.db,
        &state.token_keys,
        Rotation {
            id: token.id,
            expiry: SuccessorExpiry::SameLength {
                asked_days: request.expiry_days,
            },
            overlap: OverlapChoice::Default,
            actor: Actor::Token { id: token.id },
            client_addr: &address.map(|a| a.0 .0.to_string()).unwrap_or_else(|| "unknown".into()),
        },
    )
    .await?;
    tracing::info!(
        token_id = token.id,
        successor = rotated.token.id,
        "token rotated itself"
    );
    let owner = Owner::of(&state, token.home).await?;
    Ok((StatusCode::CREATED, Json(ManagedToken::with_secret(&rotated, &owner))))
}

/// The Data Center release whose REST API these paths and shapes follow:
/// its clients gate features on `version` (the access-token API with
/// `expiryDays` is 7.x and later; some calls change at 8.0).
const DATA_CENTER_VERSION: &str = "8.19.0";
/// That release's build number, in Data Center's form.
const DATA_CENTER_BUILD: &str = "8019000";

/// What Data Center's clients read first, and refuse to start without.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationProperties {
    /// The Bitbucket Data Center REST API level this server speaks, as
    /// dotted numbers (clients compare it to enable features).
    #[schema(example = "8.19.0")]
    version: &'static str,
    build_number: &'static str,
    /// Milliseconds since the epoch, as a string (as Data Center sends it).
    /// Tokenwarden has no build stamp: it sends when this server started.
    build_date: String,
    display_name: &'static str,
    /// Tokenwarden's own version.
    tokenwarden_version: &'static str,
}

/// The server's version and name, as Data Center answers them: no
/// authentication, like Data Center's.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/application-properties",
    tag = "Resources",
    summary = "The server's version and name, as Bitbucket Data Center answers them",
    security(()),
    responses(
        (status = 200, description = "The version Data Center's clients read", body = ApplicationProperties),
        (status = 404, response = schemas::NotFound),
    )
)]
pub(crate) async fn application_properties(
    Path(version): Path<String>,
) -> Result<Json<ApplicationProperties>, RestError> {
    check_version(&version)?;
    Ok(Json(ApplicationProperties {
        version: DATA_CENTER_VERSION,
        build_number: DATA_CENTER_BUILD,
        build_date: STARTED_MS.to_string(),
        display_name: "Tokenwarden",
        tokenwarden_version: env!("CARGO_PKG_VERSION"),
    }))
}

/// When this server process started (milliseconds since the epoch): set
/// when its routes are built.
static STARTED_MS: std::sync::LazyLock<i64> = std::sync::LazyLock::new(|| chrono::Utc::now().timestamp_millis());

#[derive(Serialize, ToSchema)]
pub(crate) struct Workspace {
    slug: String,
    name: String,
}

impl From<&workspaces::Workspace> for Workspace {
    fn from(ws: &workspaces::Workspace) -> Self {
        Workspace {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        }
    }
}

/// A project, as Data Center shows one, with the workspace it is in.
#[derive(Serialize, ToSchema)]
pub(crate) struct Project {
    id: i64,
    key: String,
    name: String,
    /// Always false: nothing here is public.
    public: bool,
    /// Always `NORMAL` (Data Center's personal projects do not exist here).
    #[serde(rename = "type")]
    #[schema(schema_with = normal)]
    kind: &'static str,
    workspace: WorkspaceSlug,
    links: SelfLinks,
}

fn normal() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["NORMAL"]))
        .build()
}

/// A repository, as Data Center shows one, with the workspace it is in
/// and what the caller may do there.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Repository {
    id: i64,
    slug: String,
    name: String,
    /// Always `git`.
    #[schema(schema_with = git)]
    scm_id: &'static str,
    /// Always `AVAILABLE`: a repository exists once created.
    #[schema(schema_with = available)]
    state: &'static str,
    status_message: &'static str,
    /// Always false: there are no forks here.
    forkable: bool,
    /// Always false: nothing here is public.
    public: bool,
    project: Project,
    workspace: WorkspaceSlug,
    /// What the caller may do here.
    #[schema(schema_with = readable_access)]
    access: &'static str,
    links: RepositoryLinks,
}

fn git() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["git"]))
        .build()
}

fn available() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["AVAILABLE"]))
        .build()
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WorkspaceSlug {
    slug: String,
}

/// The resource's page in the web app.
#[derive(Serialize, ToSchema)]
pub(crate) struct SelfLinks {
    #[serde(rename = "self")]
    this: Vec<Href>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Href {
    href: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RepositoryLinks {
    clone: Vec<CloneLink>,
    /// The repository's page in the web app.
    #[serde(rename = "self")]
    this: Vec<Href>,
}

/// Where to clone the repository from (`http`: Git over HTTP(S), at this
/// server's public URL).
#[derive(Serialize, ToSchema)]
pub(crate) struct CloneLink {
    name: &'static str,
    href: String,
}

/// The access a caller who sees a repository can have.
fn readable_access() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([Access::Read, Access::Write, Access::Admin].map(Access::name)))
        .build()
}

/// A workspace with its projects and repositories (all of them: callers
/// filter by access), and the caller's grants there.
struct Layout {
    workspace: workspaces::Workspace,
    projects: Vec<ProjectRow>,
    repositories: Vec<RepositoryRow>,
    grants: Option<Grants>,
}

impl Layout {
    /// The workspace `slug`, as `caller` sees it.
    async fn of(state: &AppState, caller: &Caller, slug: &str) -> Result<Layout, RestError> {
        let workspace = workspaces::find(&state.db, slug).await?.ok_or(RestError::NotFound)?;
        Layout::load(state, caller, workspace).await
    }

    async fn load(state: &AppState, caller: &Caller, workspace: workspaces::Workspace) -> Result<Layout, RestError> {
        let (projects, repositories) = workspaces::layout(&state.db, workspace.id).await?;
        let grants = caller.grants(state, workspace.id).await?;
        Ok(Layout {
            workspace,
            projects,
            repositories,
            grants,
        })
    }

    /// For Data Center's paths: the one workspace the caller can see that
    /// has project `key` (it sees the project, or a repository in it).
    /// Several such workspaces are a 409 naming them.
    async fn by_project_key(state: &AppState, caller: &Caller, key: &str) -> Result<Layout, RestError> {
        let mut seen = Vec::new();
        for slug in workspaces::with_project_key(&state.db, key).await? {
            let layout = Layout::of(state, caller, &slug).await?;
            if layout.project(key).is_ok_and(|(_, p)| layout.sees_project(caller, p)) {
                seen.push(layout);
            }
        }
        match seen.len() {
            0 => Err(RestError::NotFound),
            1 => Ok(seen.remove(0)),
            _ => Err(ambiguous_key(key, seen.iter().map(|l| l.workspace.slug.as_str()))),
        }
    }

    fn access(&self, caller: &Caller, place: Resource) -> Access {
        caller.access(self.grants.as_ref(), place)
    }

    fn require(&self, caller: &Caller, place: Resource, needed: Access, what: &str) -> Result<(), RestError> {
        caller.require(self.grants.as_ref(), place, needed, what)
    }

    fn project_place(&self, project: &ProjectRow) -> Resource {
        Resource::Project {
            workspace_id: self.workspace.id,
            project_id: project.id,
        }
    }

    /// Whether the caller sees the project: reads it, or a repository in it.
    fn sees_project(&self, caller: &Caller, project: &ProjectRow) -> bool {
        self.access(caller, self.project_place(project)).can_read()
            || self
                .repositories
                .iter()
                .filter(|r| r.project_id == project.id)
                .any(|r| self.access(caller, self.repository_place(r)).can_read())
    }

    fn project(&self, key: &str) -> Result<(Resource, &ProjectRow), RestError> {
        let project = self
            .projects
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .ok_or(RestError::NotFound)?;
        Ok((self.project_place(project), project))
    }

    fn repository(&self, project_id: i64, slug: &str) -> Result<(Resource, &RepositoryRow), RestError> {
        let repository = self
            .repositories
            .iter()
            .find(|r| r.project_id == project_id && r.slug.eq_ignore_ascii_case(slug))
            .ok_or(RestError::NotFound)?;
        Ok((self.repository_place(repository), repository))
    }

    fn repository_place(&self, repository: &RepositoryRow) -> Resource {
        Resource::Repository {
            workspace_id: self.workspace.id,
            project_id: repository.project_id,
            repository_id: repository.id,
        }
    }

    fn project_json(&self, base: &str, project: &ProjectRow) -> Project {
        Project {
            id: project.id,
            key: project.key.clone(),
            name: project.name.clone(),
            public: false,
            kind: "NORMAL",
            workspace: WorkspaceSlug {
                slug: self.workspace.slug.clone(),
            },
            links: SelfLinks {
                this: vec![Href {
                    href: format!(
                        "{base}/w/{}/projects/{}/access-tokens",
                        self.workspace.slug, project.key
                    ),
                }],
            },
        }
    }

    /// `repository` of `project`, as the caller with `access` sees it.
    fn repository_json(
        &self,
        base: &str,
        project: &ProjectRow,
        repository: &RepositoryRow,
        access: Access,
    ) -> Repository {
        Repository {
            id: repository.id,
            slug: repository.slug.clone(),
            name: repository.name.clone(),
            scm_id: "git",
            state: "AVAILABLE",
            status_message: "Available",
            forkable: false,
            public: false,
            project: self.project_json(base, project),
            workspace: WorkspaceSlug {
                slug: self.workspace.slug.clone(),
            },
            access: access.name(),
            links: RepositoryLinks {
                clone: vec![CloneLink {
                    name: "http",
                    href: format!("{base}/scm/{}/{}.git", self.workspace.slug, repository.slug),
                }],
                this: vec![Href {
                    href: format!(
                        "{base}/w/{}/repos/{}/access-tokens",
                        self.workspace.slug, repository.slug
                    ),
                }],
            },
        }
    }

    /// The projects the caller reads, in order.
    fn readable_projects<'a>(&'a self, caller: &'a Caller) -> impl Iterator<Item = (&'a ProjectRow, Access)> + 'a {
        self.projects
            .iter()
            .map(|p| (p, self.access(caller, self.project_place(p))))
            .filter(|(_, access)| access.can_read())
    }

    /// The project's repositories the caller reads, as JSON.
    fn readable_repositories(&self, base: &str, caller: &Caller, project: &ProjectRow) -> Vec<Repository> {
        self.repositories
            .iter()
            .filter(|r| r.project_id == project.id)
            .filter_map(|r| {
                let access = self.access(caller, self.repository_place(r));
                access
                    .can_read()
                    .then(|| self.repository_json(base, project, r, access))
            })
            .collect()
    }

    /// Creates a repository in project `key` from a body (Data Center's
    /// `{"name", "scmId"}`, or `{"slug", "name"}`): needs PROJECT_WRITE.
    async fn create_repository(
        &self,
        state: &AppState,
        caller: &Caller,
        key: &str,
        body: Result<Json<NewRepository>, axum::extract::rejection::JsonRejection>,
    ) -> Result<(StatusCode, Json<Repository>), RestError> {
        let (place, project) = self.project(key)?;
        // The caller's rights are checked before the body is read.
        self.require(caller, place, Access::Write, "Creating a repository in this project")?;
        let body = json_body(
            body,
            "Send a JSON object with \"name\" (and \"scmId\": \"git\", or a \"slug\")",
        )?;
        if body.scm_id.as_deref().is_some_and(|scm| scm != "git") {
            return Err(AppError::refused(
                "scmId",
                "Repositories here are Git repositories: send \"scmId\": \"git\".",
            )
            .into());
        }
        if body.public == Some(true) {
            return Err(AppError::refused("public", "Repositories here are never public.").into());
        }
        let name = validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
        let slug = match body.slug.as_deref() {
            Some(slug) => validate::repository_slug(slug),
            None => validate::slug_from_name(&name),
        }
        .map_err(AppError::Invalid)?;
        let id = workspaces::create_repository(&state.db, self.workspace.id, project.id, &slug, &name).await?;
        app::ssr::git_repos::create_for(&state.git_root, &self.workspace.slug, &slug).await;
        tracing::info!(by = %caller.label(), workspace = %self.workspace.slug, %slug, "repository created over REST");
        let repo = RepositoryRow {
            id,
            project_id: project.id,
            slug,
            name,
        };
        let access = self.access(caller, self.repository_place(&repo));
        Ok((
            StatusCode::CREATED,
            Json(self.repository_json(&state.public_url, project, &repo, access)),
        ))
    }

    /// Repository `slug` in project `key`, if the caller reads it.
    fn get_repository(
        &self,
        base: &str,
        caller: &Caller,
        key: &str,
        slug: &str,
    ) -> Result<Json<Repository>, RestError> {
        let (_, project) = self.project(key)?;
        let (place, repo) = self.repository(project.id, slug)?;
        self.require(caller, place, Access::Read, "Reading this repository")?;
        Ok(Json(self.repository_json(
            base,
            project,
            repo,
            self.access(caller, place),
        )))
    }

    /// Project `key`'s repositories the caller reads (404 when it sees none
    /// of the project).
    fn list_repositories(&self, base: &str, caller: &Caller, key: &str) -> Result<Vec<Repository>, RestError> {
        let (_, project) = self.project(key)?;
        if !self.sees_project(caller, project) {
            return Err(RestError::NotFound);
        }
        Ok(self.readable_repositories(base, caller, project))
    }
}

/// The 409 for a project key several visible workspaces have.
fn ambiguous_key<'a>(key: &str, workspaces: impl Iterator<Item = &'a str>) -> RestError {
    let key = key.to_uppercase();
    RestError::Conflict(format!(
        "Project key {key} is used in several workspaces you can see ({}): use \
         /rest/api/1.0/workspaces/{{workspace}}/projects/{key}/… instead.",
        workspaces.collect::<Vec<_>>().join(", ")
    ))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces",
    tag = "Resources",
    summary = "Workspaces the token can read (WORKSPACE_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of workspaces", body = Page<Workspace>),
        (status = 400, response = schemas::Invalid),
        TokenCall,
    )
)]
pub(crate) async fn list_workspaces(
    Path(version): Path<String>,
    State(state): State<AppState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<Workspace>>, RestError> {
    check_version(&version)?;
    let mut values = Vec::new();
    for ws in workspaces::all(&state.db).await? {
        let grants = caller.grants(&state, ws.id).await?;
        if caller
            .access(grants.as_ref(), Resource::Workspace { workspace_id: ws.id })
            .can_read()
        {
            values.push(Workspace::from(&ws));
        }
    }
    Ok(Page::of(values, paging))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}",
    tag = "Resources",
    summary = "One workspace (WORKSPACE_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The workspace", body = Workspace),
        TokenCall,
    )
)]
pub(crate) async fn get_workspace(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Workspace>, RestError> {
    check_version(&version)?;
    let ws = workspaces::find(&state.db, &workspace)
        .await?
        .ok_or(RestError::NotFound)?;
    let grants = caller.grants(&state, ws.id).await?;
    caller.require(
        grants.as_ref(),
        Resource::Workspace { workspace_id: ws.id },
        Access::Read,
        "Reading this workspace",
    )?;
    Ok(Json(Workspace::from(&ws)))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects",
    tag = "Resources",
    summary = "Projects of the workspace the token can read (PROJECT_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of projects", body = Page<Project>),
        (status = 400, response = schemas::Invalid),
        TokenCall,
    )
)]
pub(crate) async fn list_projects(
    Path((version, workspace)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<Project>>, RestError> {
    check_version(&version)?;
    let layout = Layout::of(&state, &caller, &workspace).await?;
    let values = layout
        .readable_projects(&caller)
        .map(|(p, _)| layout.project_json(&state.public_url, p))
        .collect();
    Ok(Page::of(values, paging))
}

/// Data Center's filters on its project list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProjectFilter {
    /// Only projects whose name contains this (any case).
    name: Option<String>,
    /// Only projects where the caller has at least this permission.
    #[param(inline, schema_with = project_permissions)]
    permission: Option<String>,
}

fn project_permissions() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["PROJECT_VIEW", "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN"]))
        .build()
}

/// Every project the caller can read, in every workspace it can see.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/projects",
    tag = "Resources",
    summary = "Projects the token can read, in every workspace (PROJECT_READ), as Data Center lists them",
    security(("bearer" = []), ("tokenBasic" = [])),
    params(PageQuery, ProjectFilter),
    responses(
        (status = 200, description = "A page of projects", body = Page<Project>),
        (status = 400, response = schemas::Invalid),
        TokenCall,
    )
)]
pub(crate) async fn list_all_projects(
    Path(version): Path<String>,
    State(state): State<AppState>,
    caller: Caller,
    paging: Paging,
    filter: Result<Query<ProjectFilter>, QueryRejection>,
) -> Result<Json<Page<Project>>, RestError> {
    check_version(&version)?;
    let Query(filter) = filter.map_err(|e| RestError::Invalid {
        field: "query".into(),
        message: format!("The query string cannot be read: {}", e.body_text()),
    })?;
    let least = match filter.permission.as_deref().map(str::trim) {
        None | Some("PROJECT_VIEW" | "PROJECT_READ") => Access::Read,
        Some("PROJECT_WRITE") => Access::Write,
        Some("PROJECT_ADMIN") => Access::Admin,
        Some(_) => {
            return Err(AppError::refused(
                "permission",
                "Filter by PROJECT_VIEW, PROJECT_READ, PROJECT_WRITE or PROJECT_ADMIN.",
            )
            .into())
        }
    };
    let name = filter.name.as_deref().map(str::trim).unwrap_or_default().to_lowercase();
    let mut values = Vec::new();
    for ws in workspaces::all(&state.db).await? {
        let layout = Layout::load(&state, &caller, ws).await?;
        values.extend(
            layout
                .readable_projects(&caller)
                .filter(|(p, access)| *access >= least && p.name.to_lowercase().contains(&name))
                .map(|(p, _)| layout.project_json(&state.public_url, p)),
        );
    }
    Ok(Page::of(values, paging))
}

/// One project by its key, in the one workspace the caller sees it in.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/projects/{projectKey}",
    tag = "Resources",
    summary = "One project by key (PROJECT_READ); 409 when several workspaces you can see have the key",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 409, response = schemas::AmbiguousKey),
        TokenCall,
    )
)]
pub(crate) async fn get_project_by_key(
    Path((version, key)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Project>, RestError> {
    check_version(&version)?;
    let layout = Layout::by_project_key(&state, &caller, &key).await?;
    let (place, project) = layout.project(&key)?;
    layout.require(&caller, place, Access::Read, "Reading this project")?;
    Ok(Json(layout.project_json(&state.public_url, project)))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos",
    tag = "Resources",
    summary = "Repositories of the project the token can read (REPO_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of repositories", body = Page<Repository>),
        (status = 400, response = schemas::Invalid),
        TokenCall,
    )
)]
pub(crate) async fn list_repositories(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<Repository>>, RestError> {
    check_version(&version)?;
    let layout = Layout::of(&state, &caller, &workspace).await?;
    let values = layout.list_repositories(&state.public_url, &caller, &project)?;
    Ok(Page::of(values, paging))
}

/// Data Center's path to a project's repositories.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/projects/{projectKey}/repos",
    tag = "Resources",
    summary = "Repositories of the project the token can read (REPO_READ), by project key",
    security(("bearer" = []), ("tokenBasic" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of repositories", body = Page<Repository>),
        (status = 400, response = schemas::Invalid),
        (status = 409, response = schemas::AmbiguousKey),
        TokenCall,
    )
)]
pub(crate) async fn list_repositories_by_key(
    Path((version, key)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<Repository>>, RestError> {
    check_version(&version)?;
    let layout = Layout::by_project_key(&state, &caller, &key).await?;
    let values = layout.list_repositories(&state.public_url, &caller, &key)?;
    Ok(Page::of(values, paging))
}

#[utoipa::path(
    get,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos/{repository}",
    tag = "Resources",
    summary = "One repository (REPO_READ)",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The repository", body = Repository),
        TokenCall,
    )
)]
pub(crate) async fn get_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Repository>, RestError> {
    check_version(&version)?;
    let layout = Layout::of(&state, &caller, &workspace).await?;
    layout.get_repository(&state.public_url, &caller, &project, &repository)
}

/// Data Center's path to one repository.
#[utoipa::path(
    get,
    path = "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}",
    tag = "Resources",
    summary = "One repository (REPO_READ), by project key",
    security(("bearer" = []), ("tokenBasic" = [])),
    responses(
        (status = 200, description = "The repository", body = Repository),
        (status = 409, response = schemas::AmbiguousKey),
        TokenCall,
    )
)]
pub(crate) async fn get_repository_by_key(
    Path((version, key, repository)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Repository>, RestError> {
    check_version(&version)?;
    let layout = Layout::by_project_key(&state, &caller, &key).await?;
    layout.get_repository(&state.public_url, &caller, &key, &repository)
}

/// A new repository: Data Center's body (`name`, `scmId`; the slug is made
/// from the name as Data Center makes it), or a name with a slug of one's
/// own. Data Center's other fields (`forkable`, `description`, …) are
/// ignored: there are no forks or descriptions here.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewRepository {
    #[serde(default)]
    #[schema(schema_with = schemas::display_name, required = true)]
    name: String,
    /// Absent: made from the name, as Data Center makes it (`My Repo` → `my-repo`).
    #[schema(schema_with = schemas::repository_slug)]
    slug: Option<String>,
    /// `git`, the only kind there is (may be left out).
    #[schema(schema_with = git)]
    scm_id: Option<String>,
    /// Must be false or absent: nothing here is public.
    public: Option<bool>,
}

/// Creates a repository: needs PROJECT_WRITE on the project.
#[utoipa::path(
    post,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos",
    tag = "Resources",
    summary = "Create a repository (PROJECT_WRITE)",
    security(("bearer" = []), ("tokenBasic" = [])),
    request_body = NewRepository,
    responses(
        (status = 201, description = "The new repository", body = Repository),
        TokenCall,
        TokenChange,
    )
)]
pub(crate) async fn create_repository(
    Path((version, workspace, project)): Path<(String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewRepository>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Repository>), RestError> {
    check_version(&version)?;
    let layout = Layout::of(&state, &caller, &workspace).await?;
    layout.create_repository(&state, &caller, &project, body).await
}

/// Data Center's path to create a repository.
#[utoipa::path(
    post,
    path = "/rest/api/1.0/projects/{projectKey}/repos",
    tag = "Resources",
    summary = "Create a repository (PROJECT_WRITE), by project key",
    security(("bearer" = []), ("tokenBasic" = [])),
    request_body = NewRepository,
    responses(
        (status = 201, description = "The new repository", body = Repository),
        TokenCall,
        TokenChange,
        (status = 409, response = schemas::AmbiguousKey),
    )
)]
pub(crate) async fn create_repository_by_key(
    Path((version, key)): Path<(String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewRepository>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Repository>), RestError> {
    check_version(&version)?;
    let layout = Layout::by_project_key(&state, &caller, &key).await?;
    layout.create_repository(&state, &caller, &key, body).await
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RepositorySettings {
    #[serde(default)]
    #[schema(schema_with = schemas::display_name, required = true)]
    name: String,
}

/// Changes a repository's settings (its name): needs REPO_ADMIN.
#[utoipa::path(
    put,
    path = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos/{repository}",
    tag = "Resources",
    summary = "Change the repository's settings: its name (REPO_ADMIN)",
    security(("bearer" = []), ("tokenBasic" = [])),
    request_body = RepositorySettings,
    responses(
        (status = 200, description = "The repository, renamed", body = Repository),
        TokenCall,
        TokenChange,
    )
)]
pub(crate) async fn update_repository(
    Path((version, workspace, project, repository)): Path<(String, String, String, String)>,
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<RepositorySettings>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Repository>, RestError> {
    check_version(&version)?;
    let layout = Layout::of(&state, &caller, &workspace).await?;
    let (_, project) = layout.project(&project)?;
    let (place, repo) = layout.repository(project.id, &repository)?;
    layout.require(&caller, place, Access::Admin, "Changing this repository's settings")?;
    let body = json_body(body, "Send a JSON object with \"name\"")?;
    let name = validate::display_name("name", &body.name).map_err(AppError::Invalid)?;
    workspaces::rename_repository(&state.db, repo.id, &name).await?;
    let renamed = RepositoryRow { name, ..repo.clone() };
    Ok(Json(layout.repository_json(
        &state.public_url,
        project,
        &renamed,
        layout.access(&caller, place),
    )))
}
