//! Bitbucket Data Center's own client libraries, installed from their
//! registries as their users install them (PyPI `bitbucketserver`, npm
//! `@coderabbitai/bitbucket`; `./dev test` installs both), run unchanged
//! against the live app: the scripts in `end2end/clients/` manage tokens
//! and read resources through them and print what they saw; these tests
//! check it, then use Git's own client with the tokens the libraries made.

use crate::{
    common::{grant, outside, TestApp, USER_PASSWORD},
    git::git,
};
use serde_json::Value;
use std::{path::Path, time::Duration};

/// The world both clients see: acme's project WEB with repositories
/// `website` and `docs`, administered by alice (a member of acme).
async fn world(app: &TestApp) {
    let (root, _) = crate::rest::two_repositories(app).await;
    grant(&root, "acme", "alice", "project_admin", "WEB").await;
}

/// Runs a client script with the app's URL and alice's password; what it
/// printed, as JSON (its output in full when it fails).
async fn run(program: &Path, script: &str, app: &TestApp) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/clients")
        .join(script);
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(program)
            .arg(&script)
            .args([app.base.as_str(), "alice", USER_PASSWORD])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{} did not finish within 120 s", script.display()))
    .unwrap_or_else(|e| panic!("{} cannot run {}: {e}", program.display(), script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stdout}\n{stderr}",
        script.display(),
        output.status
    );
    eprintln!("{} saw: {stdout}", script.display());
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

/// Clones `repository` with `user:secret`, commits and pushes; Git's own
/// client with a token a Data Center library made.
async fn clone_and_push(app: &TestApp, repository: &str, user: &str, secret: &str) {
    let work = tempfile::tempdir().unwrap();
    let home = work.path();
    let host = app.base.trim_start_matches("http://");
    let url = format!("http://{user}:{secret}@{host}/scm/acme/{repository}.git");
    let (cloned, err) = git(home, home, &["clone", &url, "work"]).await;
    assert!(cloned, "{err}");
    let dir = home.join("work");
    std::fs::write(dir.join("README.md"), "made by a Data Center client's token\n").unwrap();
    assert!(git(&dir, home, &["add", "README.md"]).await.0);
    assert!(git(&dir, home, &["commit", "-m", "first"]).await.0);
    let (pushed, err) = git(&dir, home, &["push", "origin", "HEAD:main"]).await;
    assert!(pushed, "{err}");
    assert!(!err.contains(secret), "git never echoes the secret");
}

both_backends!(pypi_bitbucketserver_works_unchanged, |backend| async move {
    let app = TestApp::spawn(backend).await;
    world(&app).await;
    let seen = run(&outside::python(), "bitbucketserver_client.py", &app).await;

    assert_eq!(seen["version"], "8.19.0");
    assert_eq!(seen["server_version"], serde_json::json!([8, 19, 0]));
    assert_eq!(seen["listed_before"], 0);
    let created = &seen["created"];
    assert_eq!(created["name"], "from python");
    assert_eq!(
        created["permissions"],
        serde_json::json!(["PROJECT_WRITE", "REPO_WRITE"])
    );
    assert_eq!(
        (created["user_slug"].as_str(), created["has_secret"].as_bool()),
        (Some("alice"), Some(true))
    );
    // Sent without expiryDays: personal tokens may have no expiry here.
    assert_eq!(
        (created["expiryDate"].clone(), created["status"].as_u64()),
        (Value::Null, Some(200))
    );
    assert_eq!(seen["username_after_create"], "alice");
    assert_eq!(
        seen["read"],
        serde_json::json!({ "name": "from python", "has_secret": false })
    );
    assert_eq!(
        seen["edited"],
        serde_json::json!({ "name": "renamed by python", "permissions": ["PROJECT_WRITE", "REPO_WRITE"] }),
        "only the name sent changes"
    );
    assert_eq!(seen["listed_after_create"], serde_json::json!(["renamed by python"]));

    assert_eq!(seen["projects"], serde_json::json!(["WEB"]));
    assert_eq!(seen["project_name"], "Web");
    assert_eq!(seen["repos"], serde_json::json!(["docs", "website"]));
    assert_eq!(seen["repo"]["project"], "WEB");
    assert_eq!(seen["repo"]["repr"], "<RepositoryResource(project=WEB, slug=website)>");
    assert_eq!(
        seen["clone"],
        serde_json::json!([format!("{}/scm/acme/website.git", app.base)])
    );
    assert_eq!(seen["token_username"], "alice", "X-AUSERNAME names the token's owner");
    assert_eq!(
        seen["created_repo"],
        serde_json::json!({ "slug": "made-by-python", "name": "Made By Python", "scmId": "git" }),
        "the slug is made from the name, as Data Center makes it"
    );

    assert_eq!(seen["deleted_status"], 204);
    let after = &seen["after_delete"];
    assert_eq!(after["status"], 404);
    assert_eq!(after["exceptionName"], "com.atlassian.bitbucket.NoSuchEntityException");
    let wrong = &seen["wrong_password"];
    assert_eq!(wrong["status"], 401);
    assert_eq!(wrong["content_type"], "application/json;charset=UTF-8");

    // The token the library made works with Git, in the repository it made.
    let secret = seen["git_token"].as_str().unwrap();
    assert!(secret.starts_with("twu_"));
    clone_and_push(&app, "made-by-python", "alice", secret).await;
});

both_backends!(npm_coderabbitai_bitbucket_works_unchanged, |backend| async move {
    let app = TestApp::spawn(backend).await;
    world(&app).await;
    let node = Path::new("node");
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/@coderabbitai/bitbucket");
    assert!(
        modules.is_dir(),
        "npm @coderabbitai/bitbucket is missing ({}): run `./dev test` (or `npm ci` in end2end/)",
        modules.display()
    );
    let seen = run(node, "coderabbit_client.mjs", &app).await;

    assert_eq!(seen["properties"]["version"], "8.19.0");
    assert_eq!(seen["createStatus"], 200);
    assert_eq!(seen["projectTokensHaveSecrets"], true);
    // Three tokens, two per page: two pages, as Data Center pages.
    assert_eq!(
        seen["projectTokenPages"],
        serde_json::json!([
            { "start": 0, "size": 2, "isLastPage": false, "nextPageStart": 2 },
            { "start": 2, "size": 1, "isLastPage": true },
        ])
    );
    let mut names: Vec<&str> = seen["projectTokenNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["first", "second", "third"]);
    assert_eq!(
        seen["readProjectToken"],
        serde_json::json!({ "name": "first", "hasSecret": false, "userType": "SERVICE" })
    );
    assert_eq!(
        seen["editedProjectToken"],
        serde_json::json!({ "name": "first", "permissions": ["PROJECT_WRITE", "REPO_WRITE"] }),
        "only the permissions sent change"
    );
    assert_eq!(seen["deleteStatus"], 204);
    assert_eq!(seen["afterDelete"]["status"], 404);
    assert_eq!(
        seen["afterDelete"]["error"]["exceptionName"],
        "com.atlassian.bitbucket.NoSuchEntityException"
    );

    assert_eq!(seen["repoTokenRead"], "deploy");
    assert_eq!(seen["repoTokenEdited"], "deploy, renamed");
    assert_eq!(seen["repoTokenNames"], serde_json::json!(["deploy, renamed"]));
    assert_eq!(seen["repoTokenExpiryDays"], 7, "any whole number of days");
    // No expiryDays, and acme's policy forbids "No expiry": its longest, 365 days.
    let temporary = seen["temporaryExpiryDate"].as_i64().expect("an expiry");
    let days = (temporary - chrono::Utc::now().timestamp_millis()) as f64 / 86_400_000.0;
    assert!((364.9..=365.0).contains(&days), "{days} days");
    assert_eq!(seen["repoDeleteStatus"], 204);

    assert_eq!(seen["projects"], serde_json::json!(["WEB"]));
    assert_eq!(seen["username"], "@token-2", "a project token acts as itself");
    assert_eq!(seen["project"], "Web");
    assert_eq!(
        seen["repoPages"],
        serde_json::json!([
            { "start": 0, "size": 1, "isLastPage": false, "nextPageStart": 1 },
            { "start": 1, "size": 1, "isLastPage": true },
        ])
    );
    assert_eq!(seen["repos"], serde_json::json!(["docs", "website"]));
    assert_eq!(seen["website"]["scmId"], "git");
    assert_eq!(
        seen["website"]["clone"],
        serde_json::json!([{ "name": "http", "href": format!("{}/scm/acme/website.git", app.base) }])
    );

    let too_long = &seen["tooLong"];
    assert_eq!(too_long["status"], 400);
    assert_eq!(too_long["error"]["context"], "expiry");
    assert!(
        too_long["error"]["message"]
            .as_str()
            .unwrap()
            .contains("365 days the workspace policy allows"),
        "{too_long}"
    );

    let secret = seen["gitToken"].as_str().unwrap();
    assert!(secret.starts_with("twr_"));
    clone_and_push(&app, "website", "x-token-auth", secret).await;
});
