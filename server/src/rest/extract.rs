//! Who is calling a REST or Git endpoint, read from the request once: a
//! token or app password ([`Authenticated`], and the [`Caller`] it acts as,
//! with its rights), or, for the token-management API, a person by password
//! or web session ([`Manager`]). Plus the small readers every handler
//! shares: the API version in the path, a JSON body.

use super::error::{Reason, RestError};
use app::{
    model::CurrentUser,
    ssr::{
        auth::{self, AuthError, Principal},
        last_used::Channel,
        request::client_addr,
        session, sign_in,
        store::{users, workspaces},
        AppState,
    },
};
use axum::{
    extract::FromRequestParts,
    http::{header::AUTHORIZATION, request::Parts, StatusCode},
    Json,
};
use tokenwarden::{
    credentials::{self, Credentials},
    permissions::{Level, PermissionSet},
    scope::{self, Home, Resource},
    secret::Secret,
    Access, Grants,
};

/// A REST request authenticated by access token or app password.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = auth::authenticate(state, &parts.headers, &client_addr(parts), Channel::Rest).await?;
        super::expiration::record(parts, &principal);
        Ok(Authenticated(principal))
    }
}

/// `1.0`, or `latest` for the newest version.
pub fn check_version(version: &str) -> Result<(), RestError> {
    match version {
        "1.0" | "latest" => Ok(()),
        _ => Err(RestError::NotFound),
    }
}

/// A token and, for a personal token or an app password, its user as they
/// are now.
pub(crate) struct Caller {
    /// `None` for a web session (with the anti-CSRF header): the user acts
    /// with their own rights.
    pub(crate) principal: Option<Principal>,
    home: Home,
    permissions: PermissionSet,
    user: Option<CurrentUser>,
}

impl Caller {
    pub(crate) async fn load(state: &AppState, principal: Principal) -> Result<Caller, RestError> {
        let token = match principal {
            Principal::Token(token) => token,
            Principal::AppPassword(ref app_password) => {
                // Its user's rights, within the nearest token permissions to
                // its classic scopes (what its replacement token would get).
                let permissions =
                    tokenwarden::app_passwords::nearest_token_permissions(&app_password.scopes).permissions;
                let user = users::current_user(&state.db, app_password.user_id)
                    .await?
                    .ok_or(RestError::Unauthenticated(AuthError::Unknown))?;
                return Ok(Caller {
                    home: Home::Personal {
                        user_id: app_password.user_id,
                    },
                    principal: Some(principal),
                    permissions,
                    user: Some(user),
                });
            }
        };
        let permissions = PermissionSet::parse(token.kind(), &token.permissions).map_err(|_| RestError::Internal)?;
        let user = match token.home {
            Home::Resource(_) => None,
            Home::Personal { user_id } => Some(
                users::current_user(&state.db, user_id)
                    .await?
                    .ok_or(RestError::Unauthenticated(AuthError::Unknown))?,
            ),
        };
        Ok(Caller {
            home: token.home,
            principal: Some(Principal::Token(token)),
            permissions,
            user,
        })
    }

    /// Who is calling, for logs and Git's `REMOTE_USER`: `token-12`,
    /// `app-password-3` or `user-7` (a web session). Never a secret.
    pub(crate) fn label(&self) -> String {
        match (&self.principal, &self.user) {
            (Some(Principal::Token(t)), _) => format!("token-{}", t.id),
            (Some(Principal::AppPassword(a)), _) => format!("app-password-{}", a.id),
            (None, Some(user)) => format!("user-{}", user.id),
            (None, None) => "anonymous".to_string(),
        }
    }

    /// The name the request acts under (`X-AUSERNAME`): the user's, or a
    /// workspace, project or repository token's own (see `super::username`).
    pub(crate) fn username(&self) -> String {
        match (&self.user, &self.principal) {
            (Some(user), _) => user.username.clone(),
            (None, Some(Principal::Token(token))) => super::username::of_token(token.id),
            (None, _) => self.label(),
        }
    }

    /// The calling token or app password: `None` for a web session, which
    /// is refused as unauthenticated where only a token will do.
    pub(crate) fn principal(&self) -> Result<&Principal, RestError> {
        self.principal
            .as_ref()
            .ok_or(RestError::Unauthenticated(AuthError::Missing))
    }

    /// A signed-in web user: everything their roles allow, nothing more.
    fn session(user: CurrentUser) -> Caller {
        Caller {
            principal: None,
            home: Home::Personal { user_id: user.id },
            permissions: PermissionSet {
                workspace: Some(Level::Admin),
                project: Some(Level::Admin),
                repository: Some(Level::Admin),
                account_read: true,
            },
            user: Some(user),
        }
    }

    /// The user's grants in a workspace (personal tokens only).
    pub(crate) async fn grants(&self, state: &AppState, workspace_id: i64) -> Result<Option<Grants>, RestError> {
        match &self.user {
            Some(user) => Ok(Some(workspaces::grants(&state.db, user, workspace_id).await?)),
            None => Ok(None),
        }
    }

    pub(crate) fn access(&self, grants: Option<&Grants>, place: Resource) -> Access {
        let user_access = grants.map_or(Access::None, |g| match place {
            Resource::Workspace { .. } => g.workspace(),
            Resource::Project { project_id, .. } => g.project(project_id),
            Resource::Repository {
                project_id,
                repository_id,
                ..
            } => g.repository(project_id, repository_id),
        });
        scope::token_access(self.home, &self.permissions, place, user_access)
    }

    /// 404 when the token cannot see `place` at all (its existence stays
    /// hidden), 403 naming the permission when it sees but may not do this.
    pub(crate) fn require(
        &self,
        grants: Option<&Grants>,
        place: Resource,
        needed: Access,
        what: &str,
    ) -> Result<(), RestError> {
        let has = self.access(grants, place);
        if has >= needed {
            return Ok(());
        }
        if !has.can_read() {
            return Err(RestError::NotFound);
        }
        let permission = scope::needed_permission(place, needed)
            .map(|p| p.name())
            .unwrap_or("more access");
        let whose = match (&self.principal, &self.user) {
            (Some(Principal::AppPassword(_)), _) => "this app password and its user",
            (_, Some(_)) => "this token and its user",
            _ => "this token",
        };
        Err(RestError::Forbidden(format!(
            "{what} needs {permission}, which {whose} do not have."
        )))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // A web session counts only with the anti-CSRF header, which a page
        // on another site cannot send (the header Bitbucket uses), and only
        // when no token is presented.
        if anti_csrf_header(parts) && !parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            if let Some(user) = session::current_user(state, parts).await? {
                let caller = Caller::session(user);
                super::username::record(parts, &caller.username());
                return Ok(caller);
            }
        }
        let Authenticated(principal) = Authenticated::from_request_parts(parts, state).await?;
        let caller = Caller::load(state, principal).await?;
        super::username::record(parts, &caller.username());
        Ok(caller)
    }
}

/// The header that lets a web session call the REST API.
const ANTI_CSRF_HEADER: &str = "x-atlassian-token";

/// Whether the request carries `X-Atlassian-Token: no-check`, which a page
/// on another site cannot send.
pub(crate) fn anti_csrf_header(parts: &Parts) -> bool {
    parts
        .headers
        .get(ANTI_CSRF_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"no-check"))
}

/// A JSON request body, or a 400 on the field `body` saying what to send.
pub(crate) fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    expected: &str,
) -> Result<T, RestError> {
    body.map(|Json(b)| b).map_err(|e| RestError::Invalid {
        field: "body".into(),
        message: format!("{expected}: {}", e.body_text()),
    })
}

/// The user managing tokens: by password or by web session, never by token.
pub struct Manager {
    pub(crate) user: CurrentUser,
    pub(crate) address: String,
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let address = client_addr(parts);
        let mut authorization = parts.headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = authorization.next() {
            if authorization.next().is_some() {
                return Err(malformed("Send one Authorization header, not several."));
            }
            let (identifier, password) = basic_password(value.as_bytes())?;
            let id = sign_in::check_password(state, &identifier, &password, &address).await?;
            let user = users::current_user(&state.db, id).await?.ok_or(RestError::Internal)?;
            super::username::record(parts, &user.username);
            return Ok(Manager { user, address });
        }
        if anti_csrf_header(parts) {
            if let Some(user) = session::current_user(state, parts).await? {
                super::username::record(parts, &user.username);
                return Ok(Manager { user, address });
            }
        }
        Err(RestError::Status {
            status: StatusCode::UNAUTHORIZED,
            reason: Reason::Missing,
            message: "Managing tokens needs your password (HTTP Basic) or a signed-in session with \
                      `X-Atlassian-Token: no-check`; access tokens cannot manage tokens."
                .into(),
        })
    }
}

fn malformed(message: &str) -> RestError {
    RestError::Status {
        status: StatusCode::UNAUTHORIZED,
        reason: Reason::Malformed,
        message: message.into(),
    }
}

/// `Basic` credentials whose password is a password, not an access token.
fn basic_password(header: &[u8]) -> Result<(String, Secret), RestError> {
    let tokens_cannot = || RestError::Status {
        status: StatusCode::FORBIDDEN,
        reason: Reason::TokenNotAllowed,
        message: "Access tokens cannot manage tokens: use your password (HTTP Basic) or a signed-in session.".into(),
    };
    match credentials::parse(header) {
        Ok(Credentials::Basic { secret, .. }) if tokenwarden::token::check(secret.expose()).is_ok() => {
            Err(tokens_cannot())
        }
        Ok(Credentials::Basic { user, secret }) => Ok((user, secret)),
        Ok(Credentials::Bearer(_)) => Err(tokens_cannot()),
        Err(credentials::Malformed) => Err(malformed(
            "The Authorization header is not HTTP Basic with base64 of `user:password`.",
        )),
    }
}
