//! Git over HTTP with real `git`: clone and push with tokens; read-only
//! tokens cannot push; expired and revoked tokens get a 401 whose message
//! Git shows.

use crate::common::TestApp;
use app::model::CreatedToken;
use std::path::Path;

async fn token(root: &crate::common::Client, name: &str, permission: &str) -> CreatedToken {
    root.call(
        "create_token",
        &[
            ("kind", "repository"),
            ("workspace", "acme"),
            ("repository", "website"),
            ("name", name),
            ("repository_permission", permission),
            ("expiry", "30"),
        ],
    )
    .await
    .expect("create token")
}

/// Runs git in `dir` with a clean configuration and no prompts; returns
/// (success, stderr).
pub(crate) async fn git(dir: &Path, home: &Path, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .output()
        .await
        .expect("git runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub(crate) fn url(app: &TestApp, user: &str, secret: &str) -> String {
    let host = app.base.trim_start_matches("http://");
    format!("http://{user}:{secret}@{host}/scm/acme/website.git")
}

both_backends!(clone_and_push_with_tokens, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = crate::common::acme_website(&app).await;
    // Creating the repository made its bare Git repository.
    assert!(app.git_root.join("acme/website.git/HEAD").exists());
    let writer = token(&root, "deploy", "REPO_WRITE").await;
    let reader = token(&root, "mirror", "REPO_READ").await;
    let work = tempfile::tempdir().unwrap();
    let home = work.path();

    // Clone (empty), commit, push with the write token.
    let (cloned, err) = git(
        home,
        home,
        &["clone", &url(&app, "x-token-auth", writer.secret.expose()), "one"],
    )
    .await;
    assert!(cloned, "{err}");
    let one = home.join("one");
    std::fs::write(one.join("README.md"), "hello\n").unwrap();
    assert!(git(&one, home, &["add", "README.md"]).await.0);
    assert!(git(&one, home, &["commit", "-m", "first"]).await.0);
    let (pushed, err) = git(&one, home, &["push", "origin", "HEAD:main"]).await;
    assert!(pushed, "{err}");
    assert!(!err.contains(writer.secret.expose()), "git never echoes the secret");

    // The read token clones what was pushed, and cannot push.
    let (cloned, err) = git(
        home,
        home,
        &["clone", &url(&app, "x-token-auth", reader.secret.expose()), "two"],
    )
    .await;
    assert!(cloned, "{err}");
    let two = home.join("two");
    assert_eq!(std::fs::read_to_string(two.join("README.md")).unwrap(), "hello\n");
    std::fs::write(two.join("README.md"), "changed\n").unwrap();
    assert!(git(&two, home, &["commit", "-am", "second"]).await.0);
    let (pushed, err) = git(&two, home, &["push", "origin", "HEAD:main"]).await;
    assert!(!pushed);
    assert!(err.contains("REPO_WRITE"), "git shows why: {err}");

    // Revoked: the next fetch fails, with the reason.
    let _: app::model::TokenView = root
        .call("revoke_token", &[("id", &writer.token.id.to_string())])
        .await
        .unwrap();
    let (fetched, err) = git(&one, home, &["fetch", "origin"]).await;
    assert!(!fetched);
    assert!(err.contains("The access token has been revoked."), "{err}");

    // Expired: likewise.
    sqlx::query("UPDATE access_tokens SET expires_at = $1 WHERE id = $2")
        .bind(chrono::Utc::now().timestamp() - 60)
        .bind(reader.token.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (fetched, err) = git(&two, home, &["fetch", "origin"]).await;
    assert!(!fetched);
    assert!(err.contains("The access token expired at"), "{err}");

    // No token at all: Git is asked for credentials and, with none, gives up.
    let host = app.base.trim_start_matches("http://");
    let (cloned, err) = git(
        home,
        home,
        &["clone", &format!("http://{host}/scm/acme/website.git"), "three"],
    )
    .await;
    assert!(!cloned);
    assert!(err.contains("could not read Username"), "asked for credentials: {err}");
});
