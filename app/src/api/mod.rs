//! Every server function, grouped by subject. Each one authenticates and
//! authorizes on the server: nothing the browser says about who the user
//! is or what they may do is trusted.
//!
//! Arguments arrive as forms (`application/x-www-form-urlencoded`), so the
//! same functions answer plain HTML forms; answers go back in postcard, a
//! compact binary encoding of the same serde types. The browser's client
//! decodes them with a few kilobytes of code where serde_json's parser and
//! a field-name matcher per type cost about 100 KB of WASM before wasm-opt.
//! Refusals stay JSON ([`AppError`](crate::error::AppError)'s encoding), so
//! anyone calling a function by hand reads the message.

pub mod admin;
pub mod app_passwords;
pub mod auth;
pub mod policies;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

/// The encoding of every server function's answer (see above).
pub(crate) use leptos::server_fn::codec::Postcard;
