//! Test harness: starts the real app on a random port with a fresh
//! database, and talks to it over HTTP like a browser or script would.
//!
//! Every test runs twice through [`both_backends!`]: on an embedded SQLite
//! file and on a fresh database in the PostgreSQL server named by
//! `TOKENWARDEN_TEST_POSTGRES_URL` (`./dev test` starts a throwaway one).
//! Without that variable the PostgreSQL half fails: it is never skipped.
use app::{error::AppError, ssr::AuthSettings};
use leptos::server_fn::{codec::PostcardEncoding, Decodes};
use rand::Rng;
use serde::de::DeserializeOwned;
use server::config::DatabaseConfig;

pub mod outside;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    /// The app's clock for tokens: `advance` it to end an overlap or an expiry.
    pub clock: app::ssr::Clock,
    pub db: app::ssr::Db,
    pub database: DatabaseConfig,
    pub token_key_file: std::path::PathBuf,
    /// Where the app keeps its bare Git repositories.
    pub git_root: std::path::PathBuf,
    /// The app's "last used" notes, to flush them when a test wants.
    pub last_used: app::ssr::last_used::LastUsed,
    /// The app's password verifier, to count verifications.
    pub passwords: app::ssr::password::Passwords,
    /// The app's app-password verifier, to count argon2 work.
    pub app_passwords: app::ssr::auth::app_password::AppPasswordVerifier,
    /// The data directory (the setup code is written here).
    pub data_dir: std::path::PathBuf,
    /// Webhooks may go to loopback (the tests' receivers), except in
    /// [`TestApp::spawn_strict_webhooks`].
    pub notify: server::NotifySettings,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// Starts one more app server on an existing database (as a second app
/// server sharing it would); returns its base URL.
pub async fn serve_on(database: DatabaseConfig, token_key_file: std::path::PathBuf) -> String {
    let settings = server::Settings {
        notify: Default::default(),
        addr: "127.0.0.1:0".parse().unwrap(),
        database,
        auth: AuthSettings::default(),
        git_root: token_key_file.with_file_name("git"),
        data_dir: token_key_file.parent().expect("a directory").to_path_buf(),
        token_key_file,
        tokens: Default::default(),
    };
    let state = server::build_state(&settings).await.expect("app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(listener, server::router(state), std::future::pending()));
    base
}

/// A fresh, empty database of the given kind.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> DatabaseConfig {
    match backend {
        Backend::Sqlite => DatabaseConfig::Sqlite {
            path: dir.join("test.db"),
        },
        Backend::Postgres => {
            let admin_url = std::env::var("TOKENWARDEN_TEST_POSTGRES_URL").unwrap_or_else(|_| {
                panic!(
                    "TOKENWARDEN_TEST_POSTGRES_URL is not set, so the PostgreSQL half of this test cannot run. \
                     Run `./dev test`, which starts a throwaway PostgreSQL server and sets it."
                )
            });
            let name = format!("tw_test_{:016x}", rand::thread_rng().gen::<u64>());
            use sqlx::{Connection, Executor};
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server at {admin_url}: {e}"));
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            DatabaseConfig::Postgres {
                url: format!("{base}/{name}"),
            }
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, AuthSettings::default()).await
    }

    pub async fn spawn_with(backend: Backend, auth: AuthSettings) -> TestApp {
        Self::spawn_configured(backend, auth, Default::default()).await
    }

    pub async fn spawn_configured(backend: Backend, auth: AuthSettings, tokens: app::ssr::TokenSettings) -> TestApp {
        Self::start(backend, auth, tokens, None, true, None).await
    }

    /// An app with email on (through `smtp`): what it queues in answering
    /// requests (a rotated token's reuse) is emailed by its notifier.
    pub async fn spawn_emailing(backend: Backend, smtp: &outside::SmtpServer) -> TestApp {
        Self::start(
            backend,
            AuthSettings::default(),
            Default::default(),
            None,
            true,
            Some(smtp.url()),
        )
        .await
    }

    /// An app started without `--webhooks-allow-private`, as in production.
    pub async fn spawn_strict_webhooks(backend: Backend) -> TestApp {
        Self::start(backend, AuthSettings::default(), Default::default(), None, false, None).await
    }

    /// A notifier on this app's database, as the app server's background
    /// task has, emailing through `smtp` when given; tests run its rounds
    /// at times of their choosing.
    pub fn notifier(&self, smtp: Option<&outside::SmtpServer>) -> server::notify::Notifier {
        server::NotifySettings {
            smtp_url: smtp.map(|s| s.url()),
            mail_from: Some("Tokenwarden <tokenwarden@example.com>".into()),
            ..self.notify.clone()
        }
        .notifier(&self.db)
        .expect("a notifier")
    }

    /// An app serving the client's files from `site_root`, with
    /// content-hashed names (`hash_files`) or plain ones.
    pub async fn spawn_serving(backend: Backend, site_root: &std::path::Path, hash_files: bool) -> TestApp {
        Self::start(
            backend,
            AuthSettings::default(),
            Default::default(),
            Some((site_root, hash_files)),
            true,
            None,
        )
        .await
    }

    async fn start(
        backend: Backend,
        auth: AuthSettings,
        tokens: app::ssr::TokenSettings,
        site: Option<(&std::path::Path, bool)>,
        allow_private_webhooks: bool,
        smtp_url: Option<String>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(backend, dir.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let token_key_file = dir.path().join("token-keys");
        let notify = server::NotifySettings {
            public_url: format!("http://{addr}"),
            webhooks: app::ssr::outbound::WebhookSettings {
                allow_private: allow_private_webhooks,
            },
            mail_from: smtp_url
                .as_ref()
                .map(|_| "Tokenwarden <tokenwarden@example.com>".to_string()),
            smtp_url,
        };
        let settings = server::Settings {
            notify: notify.clone(),
            addr,
            database: database.clone(),
            auth,
            token_key_file: token_key_file.clone(),
            git_root: dir.path().join("git"),
            data_dir: dir.path().to_path_buf(),
            tokens,
        };
        let mut state = server::build_state(&settings).await.expect("app state");
        if let Some((root, hash_files)) = site {
            state.leptos_options.site_root = root.to_string_lossy().into();
            state.leptos_options.hash_files = hash_files;
        }
        let db = state.db.clone();
        let clock = state.clock.clone();
        let last_used = state.last_used.clone();
        let (passwords, app_passwords) = (state.passwords.clone(), state.app_passwords.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, server::router(state), async {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            db,
            database,
            token_key_file,
            git_root: dir.path().join("git"),
            last_used,
            passwords,
            app_passwords,
            data_dir: dir.path().to_path_buf(),
            notify,
            clock,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// An app whose trusted reverse proxy is loopback: every test client is
    /// "the proxy", and [`TestApp::client_from`] sets the client's address.
    pub async fn behind_proxy(backend: Backend) -> TestApp {
        Self::spawn_with(
            backend,
            AuthSettings {
                trusted_proxies: tokenwarden::forwarded::TrustedProxies::parse("127.0.0.1/32").unwrap(),
                ..AuthSettings::default()
            },
        )
        .await
    }

    /// A client whose requests the proxy forwards from `address`.
    pub fn client_from(&self, address: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().unwrap());
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    /// The one-time setup code the server wrote to its data directory.
    pub fn setup_code(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("setup-code"))
            .expect("the setup code file")
            .trim()
            .to_string()
    }

    /// Completes first-run setup and returns the administrator's client.
    pub async fn admin(&self) -> Client {
        let admin = self.client();
        let code = self.setup_code();
        admin
            .call::<()>(
                "setup",
                &[
                    ("setup_code", &code),
                    ("username", "root"),
                    ("email", "root@example.com"),
                    ("display_name", "Root Admin"),
                    ("password", ADMIN_PASSWORD),
                    ("password_confirmation", ADMIN_PASSWORD),
                ],
            )
            .await
            .expect("setup");
        admin
    }

    /// Has `admin` create a user, then signs them in on a new client.
    pub async fn user(&self, admin: &Client, username: &str) -> Client {
        create_user(admin, username).await;
        let client = self.client();
        client
            .call::<()>("login", &[("identifier", username), ("password", USER_PASSWORD)])
            .await
            .expect("login");
        client
    }
}

/// Has `admin` create a user with [`USER_PASSWORD`].
pub async fn create_user(admin: &Client, username: &str) {
    {
        let email = format!("{username}@example.com");
        admin
            .call::<()>(
                "create_user",
                &[
                    ("username", username),
                    ("email", &email),
                    ("display_name", username),
                    ("password", USER_PASSWORD),
                    ("password_confirmation", USER_PASSWORD),
                ],
            )
            .await
            .expect("create user");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const USER_PASSWORD: &str = "a user passphrase";

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

/// The usual world: setup done, workspace `acme` with project `WEB` and
/// repository `website`. Returns the system admin's client.
pub async fn acme_website(app: &TestApp) -> Client {
    let root = app.admin().await;
    create_acme_website(&root).await;
    root
}

/// Creates workspace `acme` with project `WEB` and repository `website`,
/// as `root` (a system admin).
pub async fn create_acme_website(root: &Client) {
    ok(
        root,
        "create_workspace",
        &[("slug", "acme"), ("name", "Acme"), ("admin_username", "")],
    )
    .await;
    ok(
        root,
        "create_project",
        &[("workspace", "acme"), ("key", "WEB"), ("name", "Web")],
    )
    .await;
    ok(
        root,
        "create_repository",
        &[
            ("workspace", "acme"),
            ("project", "WEB"),
            ("slug", "website"),
            ("name", "Website"),
        ],
    )
    .await;
}

/// [`acme_website`] plus alice, a member of acme and admin of website.
/// Returns the system admin's client and alice's.
pub async fn acme_website_with_alice(app: &TestApp) -> (Client, Client) {
    let root = acme_website(app).await;
    let alice = app.user(&root, "alice").await;
    grant(&root, "acme", "alice", "member", "").await;
    grant(&root, "acme", "alice", "repository_admin", "website").await;
    (root, alice)
}

/// Gives `username` a role in `workspace` (`target`: the project key or
/// repository slug for project and repository admins, else empty); a set-up
/// step that must succeed.
pub async fn grant(admin: &Client, workspace: &str, username: &str, role: &str, target: &str) {
    ok(
        admin,
        "add_member",
        &[
            ("workspace", workspace),
            ("username", username),
            ("role", role),
            ("target", target),
        ],
    )
    .await;
}

/// An `Authorization` header for HTTP Basic with `user` and `secret`.
pub fn basic(user: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// A REST call as a script makes it: HTTP Basic (if any), a JSON body (if
/// any); the status and the JSON answer (`null` if none).
pub async fn rest(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    auth: Option<(&str, &str)>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", app.base));
    if let Some((user, password)) = auth {
        request = request.basic_auth(user, Some(password));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Calls a server function that must succeed (test set-up steps).
pub async fn ok(client: &Client, name: &str, form: &[(&str, &str)]) {
    client
        .call::<()>(name, form)
        .await
        .unwrap_or_else(|e| panic!("{name} {form:?}: {e:?}"));
}

/// A failed server function call: its HTTP status and the decoded error.
#[derive(Debug)]
pub struct Failure {
    pub status: u16,
    pub error: AppError,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                // A request that never finishes fails the test instead of
                // hanging the suite (see `pages_render_while_other_apps_start`).
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    /// Calls a server function the way the browser does: a form-encoded POST.
    pub async fn call<T: DeserializeOwned>(&self, name: &str, form: &[(&str, &str)]) -> Result<T, Failure> {
        self.call_if_answered(name, form)
            .await
            .unwrap_or_else(|| panic!("{name}: no answer from the server"))
    }

    /// [`Client::call`], or `None` when no answer came back (the server
    /// went away mid-request).
    pub async fn call_if_answered<T: DeserializeOwned>(
        &self,
        name: &str,
        form: &[(&str, &str)],
    ) -> Option<Result<T, Failure>> {
        let response = self
            .http
            .post(format!("{}/api/{name}", self.base))
            // As the browser's client: it reads answers and refusals in postcard.
            .header("accept", "application/x-postcard")
            .form(form)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").cloned();
        let body = response.bytes().await.ok()?;
        // Answers and refusals are postcard, read by the decoder the browser runs.
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/x-postcard"),
            "{name}: the type of the answer ({status})"
        );
        Some(if (200..400).contains(&status) {
            Ok(<PostcardEncoding as Decodes<T>>::decode(body.clone())
                .unwrap_or_else(|e| panic!("{name}: unreadable answer {body:?}: {e}")))
        } else {
            let error = <PostcardEncoding as Decodes<AppError>>::decode(body.clone())
                .unwrap_or_else(|e| panic!("{name}: unreadable error {status} {body:?}: {e}"));
            Err(Failure { status, error })
        })
    }

    pub async fn current_username(&self) -> Option<String> {
        self.call::<Option<app::model::CurrentUser>>("current_user", &[])
            .await
            .expect("current_user")
            .map(|u| u.username)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }
}

/// Defines `mod $name { sqlite, postgres }`, running `$body(app)` on each.
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// What [`raw_request`] read back.
pub struct RawAnswer {
    pub status: u16,
    pub body: String,
}

/// Sends one request exactly as given (no client normalizes the path or
/// checks the bytes) and reads the whole answer.
pub async fn raw_request(host: &str, method: &str, path: &[u8], headers: &[(&str, &[u8])], body: &[u8]) -> RawAnswer {
    let mut request = Vec::new();
    request.extend_from_slice(method.as_bytes());
    request.push(b' ');
    request.extend_from_slice(path);
    request.extend_from_slice(format!(" HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n").as_bytes());
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    stream.write_all(&request).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    RawAnswer { status, body }
}
