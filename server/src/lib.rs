//! The Tokenwarden server: configuration, database, HTTP wiring.
//! `main.rs` is only the command line; tests start the same app through
//! [`build_state`], [`router`] and [`serve`].

pub mod config;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod git;
pub mod hardening;
pub mod notify;
pub mod rest;
pub mod sign_in;

use app::ssr::{
    client::{provide_page_client, ClientFiles},
    security::provide_page_nonce,
};
use app::{
    shell,
    ssr::{password::Passwords, token_keys::TokenKeys, AppState, AuthSettings, TokenSettings},
    App,
};
use axum::serve::ListenerExt;
use axum::{
    extract::State,
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::{any, get, post},
    Json, Router,
};
use config::DatabaseConfig;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, OnceLock},
};
use tokio::net::TcpListener;
use tower_http::{services::ServeDir, trace::TraceLayer};

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database: DatabaseConfig,
    pub auth: AuthSettings,
    /// The key ring token hashes are keyed with (created on first run).
    pub token_key_file: std::path::PathBuf,
    /// Where the bare Git repositories live (one per repository).
    pub git_root: std::path::PathBuf,
    /// The data directory: the first-run setup code is written here.
    pub data_dir: std::path::PathBuf,
    pub tokens: TokenSettings,
    pub notify: NotifySettings,
}

/// Warnings and webhooks: where email goes, where webhooks may go.
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    /// `--smtp-url`; `None`: email is off.
    pub smtp_url: Option<String>,
    /// `--mail-from`, required with an SMTP URL.
    pub mail_from: Option<String>,
    /// Links in messages start with this (`--public-url`).
    pub public_url: String,
    pub webhooks: app::ssr::outbound::WebhookSettings,
}

impl NotifySettings {
    /// The mailer (`None`: email is off); an error line for a bad SMTP URL
    /// or sender. Checked before anything starts.
    pub fn mailer(&self) -> Result<Option<notify::mail::Mailer>, String> {
        match (&self.smtp_url, &self.mail_from) {
            (None, _) => Ok(None),
            (Some(_), None) => {
                Err("--smtp-url needs --mail-from (or TOKENWARDEN_MAIL_FROM): the sender's address".into())
            }
            (Some(url), Some(from)) => notify::mail::Mailer::new(url, from, &self.public_url).map(Some),
        }
    }

    /// The notifier for `db`.
    pub fn notifier(&self, db: &app::ssr::Db) -> Result<notify::Notifier, String> {
        Ok(notify::Notifier {
            db: db.clone(),
            mail: self.mailer()?,
            webhooks: notify::webhook::Sender::new(self.webhooks),
        })
    }
}

/// Where the compiled client (WASM, JS, CSS) is served from. cargo-leptos
/// sets `LEPTOS_*` variables when it runs the server; otherwise the values
/// match the `[workspace.metadata.leptos]` section of `Cargo.toml`.
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    let from_env = std::env::var("LEPTOS_OUTPUT_NAME")
        .is_ok()
        .then(|| get_configuration(None).ok())
        .flatten()
        .map(|c| c.leptos_options);
    let mut options = from_env.unwrap_or_else(|| {
        LeptosOptions::builder()
            .output_name("tokenwarden")
            .site_root(std::env::var("TOKENWARDEN_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
            .site_pkg_dir("pkg")
            .build()
    });
    options.site_addr = addr;
    // Content-hashed file names (`LEPTOS_HASH_FILES`, as `./dev run` builds
    // the client) are looked up in the hash file cargo-leptos writes beside
    // the server binary; without it Leptos fails on every page.
    if options.hash_files {
        let beside_binary = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
        if !beside_binary.as_ref().is_some_and(|path| path.is_file()) {
            tracing::warn!(
                hash_file = ?beside_binary,
                "LEPTOS_HASH_FILES is set but the hash file is missing: serving the client's plain file names"
            );
            options.hash_files = false;
        }
    }
    options
}

/// Opens the database and the key ring and gets everything ready to serve.
/// Before first-run setup it also makes this server's one-time setup code,
/// writes it to `setup-code` in the data directory and prints it.
pub async fn build_state(settings: &Settings) -> Result<AppState, String> {
    let db = db::open(&settings.database).await?;
    let token_keys = TokenKeys::load_or_create(&settings.token_key_file)?;
    let last_used = app::ssr::last_used::LastUsed::new(db.clone());
    let setup_code_file = settings.data_dir.join("setup-code");
    if let Some(code) = app::ssr::setup_code::prepare(&db, &setup_code_file).await? {
        tracing::warn!(
            "no administrator yet: open /setup and enter the one-time setup code {} (also in {})",
            code.expose(),
            setup_code_file.display()
        );
    }
    Ok(AppState {
        leptos_options: leptos_options(settings.addr),
        db,
        auth: Arc::new(settings.auth.clone()),
        // Each argon2 verification holds 19 MiB and a core for ~50 ms; a few at a time.
        passwords: Passwords::new(std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4)),
        token_keys: Arc::new(token_keys),
        tokens: settings.tokens,
        last_used,
        // argon2 for app passwords on half the cores, each at most a quarter busy.
        app_passwords: app::ssr::auth::app_password::AppPasswordVerifier::new(
            std::thread::available_parallelism().map(|n| n.get() / 2).unwrap_or(1),
            settings.auth.throttle.clone(),
        ),
        git_root: Arc::new(settings.git_root.clone()),
        webhooks: settings.notify.webhooks,
        email_enabled: settings.notify.smtp_url.is_some(),
        setup_code_file: Arc::new(setup_code_file),
        public_url: settings.notify.public_url.trim_end_matches('/').into(),
        clock: Default::default(),
    })
}

/// The app's page routes, generated once per process. Generating them runs
/// the app with resource loading suppressed by a flag that is global to the
/// process (leptos_server's `SuppressResourceLoad`): a page rendering in the
/// same process meanwhile would wait forever on a resource
/// (leptos-rs/leptos#4773). Once, before the first router exists, nothing can
/// be rendering yet; tests start many apps in one process.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let leptos_options = state.leptos_options.clone();
    let pkg_dir = leptos_options.site_pkg_dir.clone();
    let client = client_files(&leptos_options);
    // What each page renders with: the edge's nonce, and the client's file
    // names (read once) for the pages that show islands.
    let client_names = Arc::new(ClientFiles::load(&leptos_options));
    let page_context = move || {
        provide_page_nonce();
        provide_page_client(client_names.clone());
    };
    // Layers run outside in: the last added sees the request first.
    Router::new()
        .route("/healthz", get(healthz))
        .merge(rest::routes())
        .route("/rest/{*rest}", any(rest::no_such_endpoint))
        .merge(git::routes())
        .route(
            "/login",
            post({
                let (state, page_context) = (state.clone(), page_context.clone());
                move |request| sign_in::submit(state, page_context, request)
            }),
        )
        .leptos_routes_with_context(&state, routes, page_context.clone(), move || {
            shell(leptos_options.clone())
        })
        .route("/api/{*rest}", any(hardening::no_such_server_function))
        .nest_service(&format!("/{pkg_dir}"), client)
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context,
            shell,
        ))
        .layer(from_fn(csrf::refuse_cross_site))
        .layer(from_fn_with_state(hardening::Edge::new(&state), hardening::edge))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The built client (WASM, JS, CSS): brotli or gzip as built beside each
/// file when the browser takes it, and a 304 to a browser that asks whether
/// its copy is still current (`If-Modified-Since`). Leptos's fallback file
/// handler passes on no request header but `Accept-Encoding`, so a browser
/// revalidating an unhashed file got the whole file again every time.
fn client_files(options: &leptos::config::LeptosOptions) -> ServeDir {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// Reports whether the database answers: 200 when it does, 503 when not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let reachable = db::is_reachable(&state.db).await;
    let status = if reachable {
        http::StatusCode::OK
    } else {
        http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if reachable { "ok" } else { "unavailable" },
        "database": {
            "backend": state.db.backend.name(),
            "reachable": reachable,
        },
    });
    (status, Json(body))
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // TCP_NODELAY: a response written in more than one piece (headers, then
    // a file's body; Git's streamed packs) would otherwise wait for the
    // client's delayed ACK, about 40 ms per kept-alive request (Nagle).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
