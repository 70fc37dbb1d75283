//! Tokenwarden's rules: pure functions and types with no I/O, compiled into
//! both the WASM client and the server so that each rule exists exactly once.
//!
//! - [`access`]: roles a user holds and the access level they give on each
//!   workspace, project and repository.
//! - [`validate`]: what counts as a valid username, email, password, name,
//!   workspace slug, project key and repository slug.
//! - [`policy`]: workspace and system expiry policies and how they combine.
//! - [`expiry`]: the expiry choices a token creator sees, and turning a
//!   request into an exact expiry instant.
//! - [`permissions`]: token kinds and permissions (Bitbucket Data Center's
//!   names and rules).
//! - [`token`]: the secret format (prefix, randomness, checksum).
//! - [`scope`]: what a token can reach from where it belongs.
//! - [`app_passwords`]: legacy app passwords, their classic scopes and
//!   their retirement schedule.

pub mod access;
pub mod app_passwords;
pub mod expiry;
pub mod permissions;
pub mod policy;
pub mod scope;
pub mod token;
pub mod validate;

pub use access::{Access, Grants, Role};
pub use validate::ValidationError;
