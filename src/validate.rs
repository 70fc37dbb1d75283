//! Input validation shared by forms in the browser and the server functions
//! that re-check everything they receive.
//!
//! Each validator returns the normalized value (trimmed, lower-cased where
//! case does not matter) so that both sides store and compare the same thing.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A field that failed validation and why, in words fit to show a user.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Usernames: 2–40 characters.
pub const USERNAME_MIN_CHARS: usize = 2;
pub const USERNAME_MAX_CHARS: usize = 40;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Display names and the names of tokens, workspaces, projects and
/// repositories.
pub const NAME_MAX_CHARS: usize = 100;
/// Workspace slugs: 2–50 characters.
pub const WORKSPACE_SLUG_MIN_CHARS: usize = 2;
pub const WORKSPACE_SLUG_MAX_CHARS: usize = 50;
/// Repository slugs: at most 62 characters.
pub const REPOSITORY_SLUG_MAX_CHARS: usize = 62;
/// Project keys: at most 128 characters.
pub const PROJECT_KEY_MAX_CHARS: usize = 128;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask 12).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted: bounds the work one sign-in attempt can cause.
pub const PASSWORD_MAX_CHARS: usize = 256;

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n < min {
        return Err(ValidationError::new(
            field,
            if min == 1 {
                "is required".to_string()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if n > max {
        return Err(ValidationError::new(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// Usernames: 2–40 characters, lower-case letters, digits, `.`, `_` and `-`,
/// starting with a letter or digit. Lower-cased so sign-in is case-insensitive.
pub fn username(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_ascii_lowercase();
    check_len("username", &value, USERNAME_MIN_CHARS, USERNAME_MAX_CHARS)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ValidationError::new(
            "username",
            "may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::new("username", "must start with a letter or digit"));
    }
    Ok(value)
}

/// Email addresses: one `@` with something on both sides and a dot in the
/// domain. Deliverability is not our business; shape and length are.
pub fn email(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_lowercase();
    check_len("email", &value, 1, EMAIL_MAX_CHARS)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !valid {
        return Err(ValidationError::new(
            "email",
            "must be an address like name@example.com",
        ));
    }
    Ok(value)
}

/// Display names and resource names: 1–100 printable characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_string();
    check_len(field, &value, 1, NAME_MAX_CHARS)?;
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(value)
}

/// Passwords are taken as typed (no trimming): 12–256 characters, not all
/// the same character, and not the username.
pub fn new_password(password: &str, username: &str) -> Result<(), ValidationError> {
    check_len("password", password, PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS)?;
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(ValidationError::new("password", "must not repeat one character"));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(ValidationError::new("password", "must not contain the username"));
    }
    Ok(())
}

/// Workspace slugs appear in URLs and Git remotes: 2–50 characters of
/// lower-case letters, digits and `-`, not starting or ending with `-`.
pub fn workspace_slug(raw: &str) -> Result<String, ValidationError> {
    slug("slug", raw, WORKSPACE_SLUG_MIN_CHARS, WORKSPACE_SLUG_MAX_CHARS)
}

/// Repository slugs: like workspace slugs, but `.` and `_` are allowed too
/// (as in Git hosting), and `.git` is not a valid ending.
pub fn repository_slug(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_ascii_lowercase();
    check_len("slug", &value, 1, REPOSITORY_SLUG_MAX_CHARS)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
    {
        return Err(ValidationError::new(
            "slug",
            "may contain only lower-case letters, digits, '-', '.' and '_'",
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::new("slug", "must start with a letter or digit"));
    }
    if value.ends_with(".git") || value.contains("..") {
        return Err(ValidationError::new("slug", "must not end in '.git' or contain '..'"));
    }
    Ok(value)
}

/// The slug Bitbucket Data Center derives from a new repository's name
/// when none is sent (`"My Repo"` → `my-repo`): lower case, every run of
/// other characters (spaces, punctuation, non-ASCII) one `-`, trimmed to a
/// letter or digit at the start, no `..`, no `.git` ending, at most
/// [`REPOSITORY_SLUG_MAX_CHARS`]. A name with no letter or digit has no
/// slug: an error on `name`.
pub fn slug_from_name(name: &str) -> Result<String, ValidationError> {
    let mut slug = String::with_capacity(name.len());
    for c in name.trim().chars() {
        let c = c.to_ascii_lowercase();
        let kept = c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_');
        match (kept, slug.chars().last()) {
            (true, Some('.')) if c == '.' => {}
            (true, _) => slug.push(c),
            (false, Some('-') | None) => {}
            (false, _) => slug.push('-'),
        }
    }
    let mut slug: String = slug
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(REPOSITORY_SLUG_MAX_CHARS)
        .collect();
    loop {
        let trimmed = slug.trim_end_matches(['-', '.']);
        let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
        if trimmed.len() == slug.len() {
            break;
        }
        slug.truncate(trimmed.len());
    }
    if slug.is_empty() {
        return Err(ValidationError::new(
            "name",
            "needs a letter or digit: the repository's slug is made from it",
        ));
    }
    repository_slug(&slug)
}

fn slug(field: &str, raw: &str, min: usize, max: usize) -> Result<String, ValidationError> {
    let value = raw.trim().to_ascii_lowercase();
    check_len(field, &value, min, max)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ValidationError::new(
            field,
            "may contain only lower-case letters, digits and '-'",
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(ValidationError::new(field, "must not start or end with '-'"));
    }
    Ok(value)
}

/// Project keys, as in Bitbucket: upper-case letters, digits and `_`,
/// starting with a letter, at most 128 characters. Upper-cased on input.
pub fn project_key(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_ascii_uppercase();
    check_len("key", &value, 1, PROJECT_KEY_MAX_CHARS)?;
    if !value.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(ValidationError::new("key", "must start with a letter"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ValidationError::new("key", "may contain only letters, digits and '_'"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(username("  Alice.B ").unwrap(), "alice.b");
        assert!(username("a").is_err());
        assert!(username("-alice").is_err());
        assert!(username("al ice").is_err());
        assert!(username("alice@x").is_err());
        assert_eq!(username(&"a".repeat(41)).unwrap_err().field, "username");
    }

    #[test]
    fn emails_need_a_domain_with_a_dot() {
        assert_eq!(email(" Bob@Example.COM ").unwrap(), "bob@example.com");
        for bad in [
            "",
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "b ob@example.com",
            "a@b@c.d",
            "bob@.com",
            // Found by fuzzing: control characters used to pass.
            "allic@\u{1}/e.githb",
            "bob\u{7f}@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(new_password("correct horse battery", "alice").is_ok());
        assert_eq!(
            new_password("short", "alice").unwrap_err().message,
            "must be at least 12 characters"
        );
        assert!(new_password("aaaaaaaaaaaaaaaa", "alice").is_err());
        assert!(new_password("xxAliceSecret99", "alice").is_err());
        assert!(new_password(&"ab".repeat(129), "alice").is_err());
        // Leading and trailing spaces are part of the password.
        assert!(new_password("  spaced out pw  ", "alice").is_ok());
    }

    #[test]
    fn slugs_and_keys() {
        assert_eq!(workspace_slug("Acme-Corp").unwrap(), "acme-corp");
        assert!(workspace_slug("-acme").is_err());
        assert!(workspace_slug("acme_corp").is_err());
        assert!(workspace_slug("a").is_err());
        assert_eq!(repository_slug("Web.App_2").unwrap(), "web.app_2");
        assert!(repository_slug("app.git").is_err());
        assert!(repository_slug("a..b").is_err());
        assert!(repository_slug(".hidden").is_err());
        assert_eq!(project_key("proj_1").unwrap(), "PROJ_1");
        assert!(project_key("1PROJ").is_err());
        assert!(project_key("PR-OJ").is_err());
    }

    #[test]
    fn names_reject_control_characters() {
        assert_eq!(display_name("name", "  Web team ").unwrap(), "Web team");
        assert!(display_name("name", "   ").is_err());
        assert!(display_name("name", "a\u{7}b").is_err());
    }

    #[test]
    fn slugs_come_from_names_as_data_center_makes_them() {
        for (name, slug) in [
            ("My Repo", "my-repo"),
            ("  Web site (2026)! ", "web-site-2026"),
            ("api.v2_tools", "api.v2_tools"),
            ("-- Über café --", "ber-caf"),
            ("release..notes", "release.notes"),
            ("mirror.git", "mirror"),
            ("x.git.git", "x"),
        ] {
            assert_eq!(slug_from_name(name).as_deref(), Ok(slug), "{name}");
        }
        assert_eq!(slug_from_name("!!! ---").unwrap_err().field, "name");
        assert_eq!(
            slug_from_name(&"a ".repeat(200)).unwrap().len(),
            REPOSITORY_SLUG_MAX_CHARS - 1
        );
    }

    proptest! {
        // A slug made from any name is one the validator takes as it is.
        #[test]
        fn slugs_from_names_are_valid_slugs(s in "\\PC{0,200}") {
            if let Ok(v) = slug_from_name(&s) {
                prop_assert_eq!(repository_slug(&v), Ok(v.clone()));
            }
        }

        // Whatever a validator accepts, it accepts again unchanged: the
        // browser and the server normalize to the same stored value.
        #[test]
        fn validators_are_idempotent(s in "\\PC{0,60}") {
            if let Ok(v) = username(&s) { prop_assert_eq!(username(&v).unwrap(), v); }
            if let Ok(v) = email(&s) { prop_assert_eq!(email(&v).unwrap(), v); }
            if let Ok(v) = workspace_slug(&s) { prop_assert_eq!(workspace_slug(&v).unwrap(), v); }
            if let Ok(v) = repository_slug(&s) { prop_assert_eq!(repository_slug(&v).unwrap(), v); }
            if let Ok(v) = project_key(&s) { prop_assert_eq!(project_key(&v).unwrap(), v); }
        }

        #[test]
        fn accepted_slugs_are_url_safe(s in "[a-zA-Z0-9._ -]{0,70}") {
            if let Ok(v) = repository_slug(&s) {
                prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b)));
            }
            if let Ok(v) = workspace_slug(&s) {
                prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
    }
}
