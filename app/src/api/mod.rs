//! Every server function, grouped by subject. Each one authenticates and
//! authorizes on the server: nothing the browser says about who the user
//! is or what they may do is trusted.
//!
//! Arguments arrive as forms (`application/x-www-form-urlencoded`), so the
//! same functions answer plain HTML forms; answers go back in postcard, a
//! compact binary encoding of the same serde types. The browser's client
//! decodes them with a few kilobytes of code where serde_json's parser and
//! a field-name matcher per type cost about 100 KB of WASM before wasm-opt.
//! Refusals ([`AppError`](crate::error::AppError)) are postcard too for the
//! browser, which asks for it (`Accept: application/x-postcard`), so no JSON
//! decoder ships at all; anyone else calling a function by hand gets the
//! same refusal as JSON, from the server's edge (`hardening::for_people`).

pub mod admin;
pub mod app_passwords;
pub mod auth;
pub mod policies;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

/// The encoding of every server function's answer (see above).
pub(crate) use leptos::server_fn::codec::Postcard;
