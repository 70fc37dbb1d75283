//! The Tokenwarden web app: routes, pages and server functions.
//!
//! Built twice: with `ssr` into the server (rendering pages, running server
//! functions) and with `hydrate` into the WASM client. Leptos islands: pages
//! are rendered on the server only, and just the interactive parts — the
//! islands (`island!`, [`island`]): forms, the token panel — are compiled to
//! WASM and hydrated, which keeps the download small. Rules shared by both come from
//! the `tokenwarden` crate.

// Nested views with suspense make deep types; the default limit is too low.
#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod call;
pub mod components;
pub mod error;
pub mod island;
pub mod model;
pub mod pages;
pub mod resource;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // Islands: only the islands hydrate, so the page around them renders
    // without hydration markers or resource data (each island turns them
    // back on for itself). Leptos's `HydrationScripts` did this; the client
    // is now added to `<head>` by the first island (`ssr::client`).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::provide_auth();

    // Pages render fully before the response starts (`SsrMode::Async`), so a
    // page that needs sign-in can still answer with a redirect.
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Tokenwarden".to_string() } else { format!("{page} · Tokenwarden") } />
        <Router>
            <components::Header />
            <components::AppPasswordBanner />
            <components::ExpiryBanner />
            <main>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Home ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=pages::Setup ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::Login ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=pages::Admin ssr=SsrMode::Async />
                    <Route path=path!("/w/:workspace") view=pages::Workspace ssr=SsrMode::Async />
                    <Route path=path!("/w/:workspace/settings") view=pages::WorkspaceSettings ssr=SsrMode::Async />
                    <Route path=path!("/w/:workspace/settings/access-tokens") view=pages::WorkspaceAccessTokens ssr=SsrMode::Async />
                    <Route path=path!("/w/:workspace/projects/:project/access-tokens") view=pages::ProjectAccessTokens ssr=SsrMode::Async />
                    <Route path=path!("/w/:workspace/repos/:repository/access-tokens") view=pages::RepositoryAccessTokens ssr=SsrMode::Async />
                    <Route path=path!("/account/access-tokens") view=pages::PersonalAccessTokens ssr=SsrMode::Async />
                    <Route path=path!("/account/app-passwords") view=pages::AppPasswords ssr=SsrMode::Async />
                    <Route path=path!("/account/app-passwords/:id/replace") view=pages::ReplaceAppPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/app-passwords") view=pages::AppPasswordMigrationPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/access-tokens") view=pages::SystemAccessTokens ssr=SsrMode::Async />
                    <Route path=path!("/admin/users/:user/access-tokens") view=pages::UserAccessTokens ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// Entry point of the WASM client; Leptos's loader then hydrates each island.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics in the console for debug builds (the browser tests
    // run one); the release client leaves the hook's formatting out.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // For browser tests: the client runs (each island counts itself too,
    // see `island::island_view`).
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
