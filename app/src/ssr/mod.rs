//! Server-only half of the app: everything a server function needs behind it.
//! Compiled only with the `ssr` feature, so none of it reaches the WASM client.

pub mod auth;
pub mod authz;
pub mod client;
pub mod db;
pub mod events;
pub mod files;
pub mod git_repos;
pub mod last_used;
pub mod outbound;
pub mod password;
pub mod request;
pub mod security;
pub mod session;
pub mod setup_code;
pub mod sign_in;
pub mod state;
pub mod store;
pub mod throttle;
pub mod token_keys;

pub use db::{Backend, Db};
pub use state::{AppState, AuthSettings, Clock, TokenSettings};
