//! Test harness: starts the real app on a random port with a fresh
//! database, and talks to it over HTTP like a browser or script would.
//!
//! Every test runs twice through [`both_backends!`]: on an embedded SQLite
//! file and on a fresh database in the PostgreSQL server named by
//! `TOKENWARDEN_TEST_POSTGRES_URL` (`./dev test` starts a throwaway one).
//! Without that variable the PostgreSQL half fails: it is never skipped.
use app::{error::AppError, ssr::AuthSettings};
use rand::Rng;
use serde::de::DeserializeOwned;
use server::config::DatabaseConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db: app::ssr::Db,
    pub database: DatabaseConfig,
    pub token_key_file: std::path::PathBuf,
    /// Where the app keeps its bare Git repositories.
    pub git_root: std::path::PathBuf,
    /// The app's "last used" notes, to flush them when a test wants.
    pub last_used: app::ssr::last_used::LastUsed,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// Starts one more app server on an existing database (as a second app
/// server sharing it would); returns its base URL.
pub async fn serve_on(database: DatabaseConfig, token_key_file: std::path::PathBuf) -> String {
    let settings = server::Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database,
        auth: AuthSettings::default(),
        git_root: token_key_file.with_file_name("git"),
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
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(backend, dir.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let token_key_file = dir.path().join("token-keys");
        let settings = server::Settings {
            addr,
            database: database.clone(),
            auth,
            token_key_file: token_key_file.clone(),
            git_root: dir.path().join("git"),
            tokens,
        };
        let state = server::build_state(&settings).await.expect("app state");
        let db = state.db.clone();
        let last_used = state.last_used.clone();
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
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    /// A new browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Completes first-run setup and returns the administrator's client.
    pub async fn admin(&self) -> Client {
        let admin = self.client();
        admin
            .call::<()>(
                "setup",
                &[
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
    ok(
        &root,
        "create_workspace",
        &[("slug", "acme"), ("name", "Acme"), ("admin_username", "")],
    )
    .await;
    ok(
        &root,
        "create_project",
        &[("workspace", "acme"), ("key", "WEB"), ("name", "Web")],
    )
    .await;
    ok(
        &root,
        "create_repository",
        &[
            ("workspace", "acme"),
            ("project", "WEB"),
            ("slug", "website"),
            ("name", "Website"),
        ],
    )
    .await;
    root
}

/// [`acme_website`] plus alice, a member of acme and admin of website.
/// Returns the system admin's client and alice's.
pub async fn acme_website_with_alice(app: &TestApp) -> (Client, Client) {
    let root = acme_website(app).await;
    let alice = app.user(&root, "alice").await;
    for (role, target) in [("member", ""), ("repository_admin", "website")] {
        ok(
            &root,
            "add_member",
            &[
                ("workspace", "acme"),
                ("username", "alice"),
                ("role", role),
                ("target", target),
            ],
        )
        .await;
    }
    (root, alice)
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
                .build()
                .unwrap(),
        }
    }

    /// Calls a server function the way the browser does: a form-encoded POST.
    pub async fn call<T: DeserializeOwned>(&self, name: &str, form: &[(&str, &str)]) -> Result<T, Failure> {
        let response = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        if (200..400).contains(&status) {
            Ok(serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: unreadable answer {body:?}: {e}")))
        } else {
            let error = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{name}: unreadable error {status} {body:?}: {e}"));
            Err(Failure { status, error })
        }
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
