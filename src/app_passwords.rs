//! Legacy app passwords and their retirement in favour of API tokens.
//!
//! An app password is a user's credential with Bitbucket Cloud's classic
//! scopes ("Repositories: Write", …), used as the password of HTTP Basic
//! authentication with the username. A system admin retires them on a
//! [`Schedule`]: first creation closes, then, on the cutoff date, every app
//! password stops working. The dates are whole days in UTC: a date takes
//! effect at 00:00 UTC.
//!
//! "Replace with API token" pre-fills a personal API token with
//! [`nearest_token_permissions`]; an app password's own rights are the same
//! set, so the replacement can do what the app password did, no more.

use crate::{
    permissions::{Level, Permission, PermissionSet},
    validate::ValidationError,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Random bytes in an app password: 192 bits, as in access tokens.
pub const SECRET_BYTES: usize = crate::token::SECRET_BYTES;
/// App passwords start like Bitbucket Cloud's, so secret scanners know them.
pub const PREFIX: &str = "ATBB";

/// An app password in the clear: shown once to its creator, then only its
/// argon2id hash is kept. `Debug` hides it and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainAppPassword(String);

impl PlainAppPassword {
    pub fn new(random: [u8; SECRET_BYTES]) -> PlainAppPassword {
        PlainAppPassword(format!(
            "{PREFIX}{}",
            crate::token::base62(&random, crate::token::BODY_LEN)
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainAppPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainAppPassword({PREFIX}…)")
    }
}

/// Most active app passwords one user may have: each is a candidate an
/// argon2 verification may have to try, so the number bounds the work.
pub const MAX_ACTIVE_PER_USER: usize = 10;

/// A classic app-password scope, with Bitbucket Cloud's identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClassicScope {
    Account,
    AccountWrite,
    WorkspaceMembership,
    ProjectRead,
    ProjectWrite,
    ProjectAdmin,
    RepositoryRead,
    RepositoryWrite,
    RepositoryAdmin,
}

impl ClassicScope {
    pub const ALL: [ClassicScope; 9] = [
        ClassicScope::Account,
        ClassicScope::AccountWrite,
        ClassicScope::WorkspaceMembership,
        ClassicScope::ProjectRead,
        ClassicScope::ProjectWrite,
        ClassicScope::ProjectAdmin,
        ClassicScope::RepositoryRead,
        ClassicScope::RepositoryWrite,
        ClassicScope::RepositoryAdmin,
    ];

    /// The identifier stored and sent by forms and the REST API.
    pub fn id(self) -> &'static str {
        match self {
            ClassicScope::Account => "account",
            ClassicScope::AccountWrite => "account:write",
            ClassicScope::WorkspaceMembership => "team",
            ClassicScope::ProjectRead => "project",
            ClassicScope::ProjectWrite => "project:write",
            ClassicScope::ProjectAdmin => "project:admin",
            ClassicScope::RepositoryRead => "repository",
            ClassicScope::RepositoryWrite => "repository:write",
            ClassicScope::RepositoryAdmin => "repository:admin",
        }
    }

    /// The label the create form shows ("Repositories: Write").
    pub fn label(self) -> &'static str {
        match self {
            ClassicScope::Account => "Account: Read",
            ClassicScope::AccountWrite => "Account: Write",
            ClassicScope::WorkspaceMembership => "Workspace membership: Read",
            ClassicScope::ProjectRead => "Projects: Read",
            ClassicScope::ProjectWrite => "Projects: Write",
            ClassicScope::ProjectAdmin => "Projects: Admin",
            ClassicScope::RepositoryRead => "Repositories: Read",
            ClassicScope::RepositoryWrite => "Repositories: Write",
            ClassicScope::RepositoryAdmin => "Repositories: Admin",
        }
    }

    pub fn parse(s: &str) -> Option<ClassicScope> {
        let s = s.trim();
        ClassicScope::ALL.into_iter().find(|c| c.id().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for ClassicScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Reads scope identifiers (blank ones ignored, repeats merged) into a
/// sorted set; at least one is required.
pub fn parse_scopes<S: AsRef<str>>(ids: &[S]) -> Result<Vec<ClassicScope>, ValidationError> {
    let mut scopes = Vec::new();
    for id in ids.iter().map(AsRef::as_ref).filter(|s| !s.trim().is_empty()) {
        let scope = ClassicScope::parse(id).ok_or_else(|| {
            ValidationError::new("scopes", format!("'{}' is not an app password permission.", id.trim()))
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(ValidationError::new("scopes", "Choose at least one permission."));
    }
    scopes.sort();
    Ok(scopes)
}

/// What an API token can and cannot carry over from an app password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivalent {
    /// The nearest personal-token permissions (possibly none).
    pub permissions: PermissionSet,
    /// Scopes with no API-token equivalent: tokens cannot change account
    /// details, and workspace membership comes with any project or
    /// repository permission.
    pub dropped: Vec<ClassicScope>,
}

/// The nearest personal API token permissions to a set of classic scopes:
/// the highest project and repository levels chosen (the repository level
/// raised to the project's, as tokens require), and ACCOUNT_READ for
/// "Account: Read".
pub fn nearest_token_permissions(scopes: &[ClassicScope]) -> Equivalent {
    let highest = |candidates: [(ClassicScope, Level); 3]| {
        candidates
            .into_iter()
            .filter(|(s, _)| scopes.contains(s))
            .map(|(_, level)| level)
            .max()
    };
    let project = highest([
        (ClassicScope::ProjectRead, Level::Read),
        (ClassicScope::ProjectWrite, Level::Write),
        (ClassicScope::ProjectAdmin, Level::Admin),
    ]);
    let repository = highest([
        (ClassicScope::RepositoryRead, Level::Read),
        (ClassicScope::RepositoryWrite, Level::Write),
        (ClassicScope::RepositoryAdmin, Level::Admin),
    ]);
    let repository = match (project, repository) {
        (Some(p), Some(r)) => Some(p.max(r)),
        (p, r) => p.or(r),
    };
    let dropped = scopes
        .iter()
        .copied()
        .filter(|s| matches!(s, ClassicScope::AccountWrite | ClassicScope::WorkspaceMembership))
        .collect();
    Equivalent {
        permissions: PermissionSet {
            workspace: None,
            project,
            repository,
            account_read: scopes.contains(&ClassicScope::Account),
        },
        dropped,
    }
}

/// The permission names of the nearest API token, as the create form takes them.
pub fn nearest_token_permission_names(scopes: &[ClassicScope]) -> Vec<&'static str> {
    let names = nearest_token_permissions(scopes).permissions.names();
    debug_assert!(names.iter().all(|n| Permission::parse(n).is_some()));
    names
}

/// When app passwords stop being created, and when they stop working.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// From this day (00:00 UTC) no new app passwords can be created.
    pub creation_closes_on: Option<NaiveDate>,
    /// From this day (00:00 UTC) no app password works.
    pub cutoff_on: Option<NaiveDate>,
}

/// Where the retirement stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// App passwords can be created and used.
    Open,
    /// Existing app passwords work (until `cutoff_on`, if set); no new ones.
    CreationClosed { cutoff_on: Option<NaiveDate> },
    /// No app password works.
    Retired { on: NaiveDate },
}

impl Schedule {
    /// Checks an admin's dates: the cutoff cannot come before creation closes.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let (Some(closes), Some(cutoff)) = (self.creation_closes_on, self.cutoff_on) {
            if cutoff < closes {
                return Err(ValidationError::new(
                    "cutoff_on",
                    format!("The cutoff ({cutoff}) cannot be before creation closes ({closes})."),
                ));
            }
        }
        Ok(())
    }

    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        let today = now.date_naive();
        match (self.creation_closes_on, self.cutoff_on) {
            (_, Some(cutoff)) if today >= cutoff => Phase::Retired { on: cutoff },
            // Nothing can be created once nothing could be used.
            (Some(closes), cutoff) if today >= closes => Phase::CreationClosed { cutoff_on: cutoff },
            _ => Phase::Open,
        }
    }

    pub fn creation_open(&self, now: DateTime<Utc>) -> bool {
        self.phase(now) == Phase::Open
    }

    /// Whole days from today (UTC) until the cutoff; 0 once it has come.
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.cutoff_on
            .map(|cutoff| (cutoff - now.date_naive()).num_days().max(0))
    }
}

/// What REST and Git answer an app password after the cutoff.
pub fn retired_message(on: NaiveDate) -> String {
    format!(
        "App passwords were retired on {on}: they no longer work. Create an API token in Personal settings \
         (Access tokens, /account/access-tokens) and use it in place of the app password."
    )
}

/// Why creation is refused once it has closed.
pub fn creation_closed_message(phase: Phase) -> Option<String> {
    match phase {
        Phase::Open => None,
        Phase::CreationClosed {
            cutoff_on: Some(cutoff),
        } => Some(format!(
            "App passwords can no longer be created: use an API token instead. Existing app passwords stop \
             working on {cutoff}."
        )),
        Phase::CreationClosed { cutoff_on: None } => {
            Some("App passwords can no longer be created: use an API token instead.".to_string())
        }
        Phase::Retired { on } => Some(retired_message(on)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn app_passwords_are_random_prefixed_and_never_printed() {
        let a = PlainAppPassword::new([1; SECRET_BYTES]);
        assert!(a.expose().starts_with("ATBB"));
        assert_eq!(a.expose().len(), 4 + 33);
        assert_ne!(a, PlainAppPassword::new([2; SECRET_BYTES]));
        assert_eq!(format!("{a:?}"), "PlainAppPassword(ATBB…)");
        // Never mistaken for an access token.
        assert!(crate::token::check(a.expose()).is_err());
    }

    #[test]
    fn scopes_round_trip_and_bad_ones_are_named() {
        for s in ClassicScope::ALL {
            assert_eq!(ClassicScope::parse(s.id()), Some(s));
        }
        assert_eq!(
            parse_scopes(&["repository:write", "", "repository:write", "account"]).unwrap(),
            [ClassicScope::Account, ClassicScope::RepositoryWrite]
        );
        assert_eq!(
            parse_scopes::<&str>(&[]).unwrap_err().message,
            "Choose at least one permission."
        );
        let e = parse_scopes(&["repository:delete"]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("scopes", "'repository:delete' is not an app password permission.")
        );
    }

    #[test]
    fn nearest_permissions_keep_levels_and_the_repository_at_least_the_project() {
        use ClassicScope::*;
        let eq = nearest_token_permissions(&[RepositoryRead, RepositoryWrite]);
        assert_eq!(eq.permissions.names(), ["REPO_WRITE"]);
        assert!(eq.dropped.is_empty());
        let eq = nearest_token_permissions(&[ProjectWrite, RepositoryRead, Account, AccountWrite, WorkspaceMembership]);
        assert_eq!(eq.permissions.names(), ["PROJECT_WRITE", "REPO_WRITE", "ACCOUNT_READ"]);
        assert_eq!(eq.dropped, [AccountWrite, WorkspaceMembership]);
        // Valid as a personal token whenever something maps.
        assert!(PermissionSet::parse(crate::permissions::TokenKind::Personal, &eq.permissions.names()).is_ok());
        assert!(nearest_token_permissions(&[AccountWrite])
            .permissions
            .names()
            .is_empty());
        assert_eq!(
            nearest_token_permission_names(&[ProjectAdmin]),
            ["PROJECT_ADMIN", "REPO_ADMIN"]
        );
    }

    #[test]
    fn no_dates_means_app_passwords_behave_as_ever() {
        let s = Schedule::default();
        assert_eq!(s.phase(at("2030-01-01T00:00:00Z")), Phase::Open);
        assert_eq!(s.days_left(at("2030-01-01T00:00:00Z")), None);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn creation_closes_then_the_cutoff_retires_them_at_midnight_utc() {
        let s = Schedule {
            creation_closes_on: Some(day("2025-09-09")),
            cutoff_on: Some(day("2026-06-09")),
        };
        assert_eq!(s.phase(at("2025-09-08T23:59:59Z")), Phase::Open);
        assert!(s.creation_open(at("2025-09-08T23:59:59Z")));
        assert_eq!(
            s.phase(at("2025-09-09T00:00:00Z")),
            Phase::CreationClosed {
                cutoff_on: Some(day("2026-06-09"))
            }
        );
        assert_eq!(s.days_left(at("2026-06-07T12:00:00Z")), Some(2));
        assert_eq!(
            s.phase(at("2026-06-08T23:59:59Z")),
            Phase::CreationClosed {
                cutoff_on: Some(day("2026-06-09"))
            }
        );
        assert_eq!(
            s.phase(at("2026-06-09T00:00:00Z")),
            Phase::Retired { on: day("2026-06-09") }
        );
        assert_eq!(s.days_left(at("2026-07-01T00:00:00Z")), Some(0));
        // A cutoff alone also closes creation (as retirement).
        let cutoff_only = Schedule {
            creation_closes_on: None,
            cutoff_on: Some(day("2026-06-09")),
        };
        assert_eq!(cutoff_only.phase(at("2026-01-01T00:00:00Z")), Phase::Open);
        assert!(!cutoff_only.creation_open(at("2026-06-09T00:00:00Z")));
    }

    #[test]
    fn the_cutoff_cannot_come_before_creation_closes() {
        let s = Schedule {
            creation_closes_on: Some(day("2026-06-09")),
            cutoff_on: Some(day("2026-06-08")),
        };
        let e = s.validate().unwrap_err();
        assert_eq!(e.field, "cutoff_on");
        assert_eq!(
            e.message,
            "The cutoff (2026-06-08) cannot be before creation closes (2026-06-09)."
        );
        let same_day = Schedule {
            cutoff_on: Some(day("2026-06-09")),
            ..s
        };
        assert!(same_day.validate().is_ok());
    }

    #[test]
    fn messages_name_the_date_and_the_way_out() {
        let m = retired_message(day("2026-06-09"));
        assert!(m.contains("retired on 2026-06-09") && m.contains("API token"), "{m}");
        assert_eq!(creation_closed_message(Phase::Open), None);
        assert!(creation_closed_message(Phase::CreationClosed {
            cutoff_on: Some(day("2026-06-09"))
        })
        .unwrap()
        .contains("stop working on 2026-06-09"));
    }
}
