//! Tokenwarden's rules: pure functions and types with no I/O, compiled into
//! both the WASM client and the server so that each rule exists exactly once.
//!
//! - [`access`]: roles a user holds and the access level they give on each
//!   workspace, project and repository.
//! - [`validate`]: what counts as a valid username, email, password, name,
//!   workspace slug, project key and repository slug.

pub mod access;
pub mod validate;

pub use access::{Access, Grants, Role};
pub use validate::ValidationError;
