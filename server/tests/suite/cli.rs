//! The `tokenwarden` binary: configuration errors, scripted administration,
//! the demo, health reporting and graceful shutdown.

use crate::common;
use crate::common::{Backend, TestApp};
use server::config::DatabaseConfig;
use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

pub(crate) fn tokenwarden() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokenwarden"));
    for var in [
        "DATABASE_URL",
        "TOKENWARDEN_ADDR",
        "TOKENWARDEN_DATA_DIR",
        "TOKENWARDEN_DEMO",
        "LEPTOS_SITE_ADDR",
        "LEPTOS_OUTPUT_NAME",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Points the binary at `database`, and keeps its token key file (and the
/// rest of its data directory) in a temporary directory rather than the
/// default `data/` of the working tree.
pub(crate) fn database_env(cmd: &mut Command, database: &DatabaseConfig) {
    let keys = std::env::temp_dir().join(format!("tw-cli-keys-{}", std::process::id()));
    cmd.env("TOKENWARDEN_TOKEN_KEY_FILE", keys.join("token-keys"));
    cmd.env("TOKENWARDEN_DATA_DIR", &keys);
    match database {
        DatabaseConfig::Sqlite { path } => cmd.env("DATABASE_URL", format!("sqlite://{}", path.display())),
        DatabaseConfig::Postgres { url } => cmd.env("DATABASE_URL", url),
    };
}

/// Runs the binary expecting failure; returns its one-line error.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected failure, got {out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    lines[0].to_string()
}

#[test]
fn bad_configuration_stops_startup_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let e = fails(
        tokenwarden()
            .env("TOKENWARDEN_DATA_DIR", dir.path())
            .args(["--addr", "localhost"]),
    );
    assert!(
        e.starts_with("error: listen address 'localhost' is not host:port"),
        "{e}"
    );
    let e = fails(tokenwarden().env("DATABASE_URL", "mysql://root:hunter2@db/tw"));
    assert!(
        e.contains("unknown database scheme") && e.contains("postgres://") && !e.contains("hunter2"),
        "{e}"
    );
    let e = fails(tokenwarden().env("DATABASE_URL", "postgres://tw:hunter2@127.0.0.1:1/tw"));
    assert!(
        e.contains("cannot reach the database") && e.contains("Connection refused") && !e.contains("hunter2"),
        "{e}"
    );
    let e = fails(
        tokenwarden()
            .env("TOKENWARDEN_DATA_DIR", dir.path())
            .args(["--public-url", "tw.example.com"]),
    );
    assert!(e.contains("must start with http:// or https://"), "{e}");
    let e = fails(tokenwarden().env("TOKENWARDEN_DATA_DIR", dir.path()).args([
        "--smtp-url",
        "ftp://mail.example.com",
        "--mail-from",
        "tw@example.com",
    ]));
    assert!(
        e.contains("--smtp-url ftp://mail.example.com is not an SMTP URL"),
        "{e}"
    );
    let e = fails(
        tokenwarden()
            .env("TOKENWARDEN_DATA_DIR", dir.path())
            .env("TOKENWARDEN_SMTP_URL", "smtps://tw:hunter2@mail.example.com"),
    );
    assert!(e.contains("needs --mail-from") && !e.contains("hunter2"), "{e}");
    let e = fails(tokenwarden().env("TOKENWARDEN_DATA_DIR", dir.path()).args([
        "--smtp-url",
        "smtp://127.0.0.1:2525",
        "--mail-from",
        "not an address",
    ]));
    assert!(
        e.contains("--mail-from \"not an address\" is not an email address"),
        "{e}"
    );
    let e = fails(
        tokenwarden()
            .env("TOKENWARDEN_DATA_DIR", dir.path())
            .args(["--sweep-seconds", "0"]),
    );
    assert!(e.contains("sweep seconds must be from 1 to 3600"), "{e}");
}

/// A port nothing listens on now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `cmd` (the binary, configured) on `port` and returns it once
/// `/healthz` answers.
pub(crate) async fn started(mut cmd: Command, port: u16) -> std::process::Child {
    let child = cmd.args(["--addr", &format!("127.0.0.1:{port}")]).spawn().unwrap();
    let begun = Instant::now();
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err() {
        assert!(begun.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// Runs `create-admin` with `password` on standard input.
pub(crate) fn create_admin(database: &DatabaseConfig, username: &str, password: &str) -> std::process::Output {
    let mut cmd = tokenwarden();
    database_env(&mut cmd, database);
    let email = format!("{username}@example.com");
    let mut child = cmd
        .args(["create-admin", "--username", username, "--email", &email])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn scripted_admin(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    let out = create_admin(&database, "ops", "a scripted passphrase");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("System administrator 'ops' created."));

    // A weak password is refused before anything is stored.
    let out = create_admin(&database, "ops2", "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password: must be at least 12 characters"));

    // The web setup is closed and the scripted admin can sign in.
    let client = common::Client::new(&common::serve_on(database, dir.path().join("token-keys")).await);
    assert!(!client.call::<bool>("needs_setup", &[]).await.unwrap());
    client
        .call::<()>(
            "login",
            &[("identifier", "ops@example.com"), ("password", "a scripted passphrase")],
        )
        .await
        .unwrap();
    assert!(client
        .call::<Vec<app::model::UserSummary>>("list_users", &[])
        .await
        .is_ok());
}
both_backends!(create_admin_from_the_command_line, scripted_admin);

async fn demo_is_seeded_with_printed_passwords(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    let mut cmd = tokenwarden();
    database_env(&mut cmd, &database);
    let out = cmd.arg("demo").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let password_of = |user: &str| -> String {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(user))
            .unwrap_or_else(|| panic!("{user} missing: {stdout}"));
        line.split_whitespace().nth(2).unwrap().to_string()
    };
    let (admin_pw, alice_pw) = (password_of("admin"), password_of("alice"));
    assert_eq!(admin_pw.len(), 16);
    assert_ne!(admin_pw, alice_pw);

    // Seeding twice is refused: the demo never touches a database in use.
    let mut again = tokenwarden();
    database_env(&mut again, &database);
    let e = fails(again.arg("demo"));
    assert!(e.contains("already has users"), "{e}");

    let alice = common::Client::new(&common::serve_on(database, dir.path().join("token-keys")).await);
    alice
        .call::<()>("login", &[("identifier", "alice"), ("password", &alice_pw)])
        .await
        .unwrap();
    let ws: app::model::WorkspaceView = alice.call("get_workspace", &[("workspace", "acme")]).await.unwrap();
    assert_eq!(ws.projects.len(), 2);
    assert_eq!(ws.projects.iter().map(|p| p.repositories.len()).sum::<usize>(), 4);
    assert_eq!(
        ws.projects.iter().find(|p| p.key == "WEB").unwrap().access,
        tokenwarden::Access::Admin
    );
}
both_backends!(demo_seeds_an_empty_database, demo_is_seeded_with_printed_passwords);

async fn serve_then_stop(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    assert!(create_admin(&database, "ops", "a scripted passphrase").status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = tokenwarden();
    database_env(&mut cmd, &database);
    let child = cmd
        .env("RUST_LOG", "info")
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let started = Instant::now();
    let health = loop {
        if let Ok(r) = reqwest::get(&url).await {
            break r.json::<serde_json::Value>().await.unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"]["reachable"], true);

    // A token used twice: the first use is written at once, the second
    // (within the minute) only noted in memory, and the shutdown writes it.
    let ops = common::Client::new(&format!("http://127.0.0.1:{port}"));
    ops.call::<()>("login", &[("identifier", "ops"), ("password", "a scripted passphrase")])
        .await
        .unwrap();
    let created: app::model::CreatedToken = ops
        .call(
            "create_token",
            &[
                ("kind", "personal"),
                ("name", "cron"),
                ("repository_permission", "REPO_READ"),
                ("expiry", "30"),
            ],
        )
        .await
        .unwrap();
    let db = server::db::open(&database).await.unwrap();
    let stored = || async {
        let (at,): (Option<i64>,) = sqlx::query_as("SELECT last_used_at FROM access_tokens WHERE id = $1")
            .bind(created.token.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        at
    };
    let use_token = || async {
        let used = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/rest/api/1.0/tokens/self"))
            .bearer_auth(created.secret.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(used.status().as_u16(), 200);
    };
    use_token().await;
    let started = Instant::now();
    let first = loop {
        if let Some(at) = stored().await {
            break at;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the first use must be written at once"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A second later (time is stored in whole seconds).
    while chrono::Utc::now().timestamp() <= first {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    use_token().await;
    assert_eq!(stored().await, Some(first), "the second use waits for its minute");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "SIGTERM must end the server cleanly: {out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped"));
    let last_used_at = stored().await;
    assert!(
        last_used_at.is_some_and(|at| at > first),
        "the latest use must be written at shutdown: {last_used_at:?} after {first}"
    );
}
both_backends!(serves_and_stops_gracefully_on_sigterm, serve_then_stop);

async fn health_reports_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(
        body["database"]["backend"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    // With the database gone, health says so.
    app.db.pool.close().await;
    let down = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(down.status().as_u16(), 503);
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["database"]["reachable"].as_bool()),
        (Some("unavailable"), Some(false))
    );
}
both_backends!(healthz_reports_database_reachability, health_reports_the_database);

/// Runs the server on a data directory that does not exist yet until it
/// answers, then stops it.
async fn serve_once(data: &std::path::Path, database: &DatabaseConfig) {
    let mut cmd = tokenwarden();
    cmd.env("TOKENWARDEN_DATA_DIR", data).stdout(Stdio::null());
    if let DatabaseConfig::Postgres { url } = database {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = started(cmd, free_port()).await;
    child.kill().unwrap();
    child.wait().unwrap();
}

#[cfg(unix)]
async fn data_files_are_owner_only(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    let data = dir.path().join("new/data");
    serve_once(&data, &database).await;
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700, "the data directory");
    assert_eq!(mode("token-keys"), 0o600);
    assert_eq!(mode("setup-code"), 0o600);
    if backend == Backend::Sqlite {
        assert_eq!(mode("tokenwarden.db"), 0o600);
        for journal in ["tokenwarden.db-wal", "tokenwarden.db-shm"] {
            if data.join(journal).exists() {
                assert_eq!(mode(journal), 0o600, "{journal}");
            }
        }
    }
    // A key ring others can read stops the server, saying how to fix it.
    let keys = data.join("token-keys");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = tokenwarden();
    cmd.env("TOKENWARDEN_DATA_DIR", &data);
    if let DatabaseConfig::Postgres { url } = &database {
        cmd.env("DATABASE_URL", url);
    }
    let e = fails(cmd.args(["--addr", "127.0.0.1:0"]));
    assert!(
        e.contains("token key file") && e.contains("mode 644") && e.contains(&format!("chmod 600 {}", keys.display())),
        "{e}"
    );
}
#[cfg(unix)]
both_backends!(
    the_data_directory_and_its_secrets_are_owner_only,
    data_files_are_owner_only
);

/// No type that holds a token or password secret prints it through `Debug`:
/// the server functions' inputs (Leptos derives `Debug` for them), what they
/// answer with, what the server reads from headers and configuration.
#[test]
fn no_secret_prints_through_debug() {
    use tokenwarden::secret::Secret;
    const SECRET: &str = "hunter2-is-a-secret";
    let secret = || Secret::new(SECRET);
    let token = app::model::TokenView {
        id: 1,
        kind: tokenwarden::permissions::TokenKind::Personal,
        name: "ci".into(),
        permissions: vec!["REPO_READ".into()],
        scope: "alice".into(),
        created_at: 0,
        created_by: None,
        creator_left: false,
        expires_at: None,
        last_used_at: None,
        last_used_addr: None,
        last_used_via: None,
        revoked_at: None,
        rotated_to: None,
        rotated_from: None,
        stops_at: None,
    };
    let app_password = app::model::AppPasswordView {
        id: 1,
        name: "ci".into(),
        scopes: vec![],
        created_at: 0,
        last_used_at: None,
        last_used_addr: None,
        last_used_via: None,
        revoked_at: None,
    };
    let database = DatabaseConfig::Postgres {
        url: format!("postgres://tw:{SECRET}@db/tw"),
    };
    let printed = [
        format!(
            "{:?}",
            app::api::auth::Login {
                identifier: "alice".into(),
                password: secret()
            }
        ),
        format!(
            "{:?}",
            app::api::auth::Setup {
                setup_code: secret(),
                username: "root".into(),
                email: "root@example.com".into(),
                display_name: "Root".into(),
                password: secret(),
                password_confirmation: secret(),
            }
        ),
        format!(
            "{:?}",
            app::api::admin::CreateUser {
                username: "bob".into(),
                email: "bob@example.com".into(),
                display_name: "Bob".into(),
                password: secret(),
                password_confirmation: secret(),
                system_admin: None,
            }
        ),
        format!(
            "{:?}",
            app::model::CreatedToken {
                token,
                secret: secret()
            }
        ),
        format!(
            "{:?}",
            app::model::CreatedAppPassword {
                app_password,
                username: "alice".into(),
                secret: secret()
            }
        ),
        format!(
            "{:?}",
            tokenwarden::credentials::parse(tokenwarden::credentials::basic_header("alice", SECRET).as_bytes())
        ),
        format!(
            "{:?}",
            tokenwarden::credentials::parse(format!("Bearer {SECRET}").as_bytes())
        ),
        format!("{database:?}"),
        format!(
            "{:?}",
            server::Settings {
                notify: Default::default(),
                addr: "127.0.0.1:0".parse().unwrap(),
                database,
                auth: Default::default(),
                token_key_file: "k".into(),
                git_root: "g".into(),
                data_dir: "d".into(),
                tokens: Default::default(),
            }
        ),
    ];
    for text in &printed {
        assert!(!text.contains(SECRET), "{text}");
    }
    // The types that make secrets hide them too.
    let token = tokenwarden::token::PlainToken::new(tokenwarden::permissions::TokenKind::Personal, [7; 24]);
    assert!(!format!("{token:?}").contains(token.expose()));
    let app_password = tokenwarden::app_passwords::PlainAppPassword::new([7; 24]);
    assert!(!format!("{app_password:?}").contains(app_password.expose()));
    let code = app::ssr::setup_code::generate();
    assert!(!format!("{code:?}").contains(code.expose()));
}
