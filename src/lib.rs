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
//! - [`place`]: where tokens belong, by name (one reader for forms, props
//!   and REST paths); [`scope`]: the same by ids, and what a token can reach
//!   from there.
//! - [`app_passwords`]: legacy app passwords, their classic scopes and
//!   their retirement schedule.
//! - [`warnings`]: the warning ladder (which threshold is due, and when the
//!   next one falls).
//! - [`rotation`]: replacing a token (overlap, self-rotation) and applying
//!   a tightened policy to existing tokens.
//! - [`webhooks`]: webhook events, which addresses deliveries may go to,
//!   and when a failed delivery is tried again.
//!
//! And the readers of untrusted text, kept here so each has one copy and a
//! fuzz target (`fuzz/`): [`credentials`] (`Authorization` headers),
//! [`forwarded`] (`X-Forwarded-For` behind trusted proxies), [`scm`] (Git
//! paths), [`requests`] (REST token bodies), plus the form readers beside
//! the rules they feed (`expiry`, `policy`, `validate`, `permissions`).
//! [`secret::Secret`] holds any secret those carry without printing it.

pub mod access;
pub mod app_passwords;
pub mod credentials;
pub mod expiry;
pub mod forwarded;
pub mod permissions;
pub mod place;
pub mod policy;
pub mod requests;
pub mod rotation;
pub mod scm;
pub mod scope;
pub mod secret;
pub mod token;
pub mod validate;
pub mod warnings;
pub mod webhooks;

pub use access::{Access, Grants, Role};
pub use validate::ValidationError;
