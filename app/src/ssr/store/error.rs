//! What the store can fail with, in the store's own terms: a value already
//! taken, a row that is not there, a change the data refuses. No wording for
//! people and no form field names here: [`From<StoreError> for AppError`]
//! below is the one place that words them (the REST layer maps `AppError`
//! in its own one place), so a rename on a form never reaches the SQL.

use crate::error::AppError;
use thiserror::Error;
use tokenwarden::{
    app_passwords::Phase, expiry::ExpiryError, permissions::TokenKind, rotation::RotationError, ValidationError,
};

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database failed; details are logged once, where this is mapped.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row breaks an invariant the code relies on (logged where found).
    #[error("stored data is inconsistent")]
    Inconsistent,
    #[error("{0:?} is taken")]
    Taken(Unique),
    #[error("no such {0:?}")]
    NotFound(Record),
    #[error("the {0:?} is revoked")]
    Revoked(Credential),
    /// The change would leave a workspace without an admin.
    #[error("a workspace needs an admin")]
    LastAdmin,
    /// A project or repository role without its project or repository.
    #[error("the role needs a target")]
    RoleNeedsTarget,
    #[error("setup is already complete")]
    SetupDone,
    #[error("the setup code was not issued")]
    SetupCodeNotIssued,
    /// The policy read in the storing transaction refuses the expiry.
    #[error("{0}")]
    Expiry(ExpiryError),
    #[error("{home:?} has {limit} active tokens")]
    TooManyTokens { home: TokenKind, limit: i64 },
    #[error("too many app passwords")]
    TooManyAppPasswords,
    /// The retirement schedule stops new app passwords.
    #[error("app password creation is closed")]
    AppPasswordsClosed(Phase),
    /// The token was rotated already: only its successor can be.
    #[error("the token was already rotated")]
    AlreadyRotated,
    /// A rotation's overlap or expiry, or an applied policy's grace, that
    /// the rules refuse.
    #[error("{0}")]
    Rotation(RotationError),
    /// A retirement schedule that breaks the schedule's rules.
    #[error("{0}")]
    Schedule(ValidationError),
}

/// A value only one record may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    WorkspaceSlug,
    ProjectKey,
    RepositorySlug,
    Username,
    Email,
    /// A concurrent insert took the username or the email first.
    UsernameOrEmail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Token,
    Member,
    Workspace,
    Webhook,
    /// One delivery in a webhook's log.
    Delivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// Revoked already: cannot be revoked again.
    Token,
    /// Revoked: cannot be edited.
    EditedToken,
    /// Revoked: cannot be rotated.
    RotatedToken,
    AppPassword,
}

/// The one wording of every store failure, for forms and (through
/// `AppError`) REST.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        use tokenwarden::app_passwords::{creation_closed_message, MAX_ACTIVE_PER_USER};
        match e {
            StoreError::Database(e) => {
                tracing::error!(error = %e, "database error");
                AppError::Internal
            }
            StoreError::Inconsistent => AppError::Internal,
            StoreError::Taken(what) => match what {
                Unique::WorkspaceSlug => AppError::invalid("slug", "is already used by another workspace"),
                Unique::ProjectKey => AppError::invalid("key", "is already used by another project in this workspace"),
                Unique::RepositorySlug => {
                    AppError::invalid("slug", "is already used by another repository in this workspace")
                }
                Unique::Username => AppError::invalid("username", "is already taken"),
                Unique::Email => AppError::invalid("email", "is already used by another account"),
                Unique::UsernameOrEmail => AppError::invalid("username", "or email is already taken"),
            },
            StoreError::NotFound(record) => AppError::NotFound(
                match record {
                    Record::Token => "Token",
                    Record::Member => "Member",
                    Record::Workspace => "Workspace",
                    Record::Webhook => "Webhook",
                    Record::Delivery => "Delivery",
                }
                .into(),
            ),
            StoreError::Revoked(Credential::Token) => AppError::Conflict("This token is already revoked.".into()),
            StoreError::Revoked(Credential::EditedToken) => {
                AppError::Conflict("A revoked token cannot be edited.".into())
            }
            StoreError::Revoked(Credential::RotatedToken) => {
                AppError::Conflict("A revoked token cannot be rotated: create a new token instead.".into())
            }
            StoreError::AlreadyRotated => {
                AppError::Conflict("This token was already rotated: rotate its successor instead.".into())
            }
            StoreError::Rotation(e) => AppError::refused(
                match e {
                    RotationError::UnknownOverlap | RotationError::OverlapTooLong { .. } => "overlap",
                    RotationError::DaysOutOfRange { .. } => "expiryDays",
                    RotationError::Expiry(_) => "expiry",
                    RotationError::GraceOutOfRange => "grace_days",
                },
                e,
            ),
            StoreError::Revoked(Credential::AppPassword) => {
                AppError::Conflict("This app password is already revoked.".into())
            }
            StoreError::LastAdmin => {
                AppError::Conflict("A workspace needs at least one admin: make someone else admin first.".into())
            }
            StoreError::RoleNeedsTarget => {
                AppError::invalid("target", "must name a project or repository for this role")
            }
            StoreError::SetupDone => AppError::Conflict("Setup is already complete: sign in instead.".into()),
            StoreError::SetupCodeNotIssued => AppError::invalid(
                "setup code",
                "is not the one the server printed when it started (it is also in the file setup-code in its data \
                 directory)",
            ),
            StoreError::Expiry(e) => AppError::refused("expiry", e),
            StoreError::TooManyTokens { home, limit } => AppError::refused(
                "tokens",
                format!(
                    "This {} already has {limit} active tokens, the most allowed. Revoke one you no longer use first.",
                    match home {
                        TokenKind::Personal => "account",
                        other => other.as_str(),
                    },
                ),
            ),
            StoreError::TooManyAppPasswords => AppError::refused(
                "app_passwords",
                format!(
                    "You already have {MAX_ACTIVE_PER_USER} app passwords, the most allowed. Revoke one, or better, \
                     use an API token."
                ),
            ),
            StoreError::AppPasswordsClosed(phase) => match creation_closed_message(phase) {
                Some(message) => AppError::refused("app_passwords", message),
                None => AppError::Internal,
            },
            StoreError::Schedule(e) => AppError::refused(&e.field, e.message),
        }
    }
}

/// A pool or transaction failure outside a store function (a transaction
/// the throttle holds across its decision): the same as any database error.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e).into()
    }
}
