//! Access tokens at work on the REST API: Bearer and Basic authentication,
//! each 401 reason, expiry and revocation on the very next request, and
//! "last used" written in batches.

use crate::common::{basic, ok, Client, TestApp};
use app::model::CreatedToken;
use serde_json::Value;

const SELF_PATH: &str = "/rest/api/1.0/tokens/self";

/// root (system admin) with workspace acme / project WEB / repository website.
async fn world(app: &TestApp) -> Client {
    crate::common::acme_website(app).await
}

pub(crate) async fn token(client: &Client, form: &[(&str, &str)]) -> CreatedToken {
    client.call("create_token", form).await.expect("create token")
}

async fn repo_token(client: &Client, name: &str) -> CreatedToken {
    token(
        client,
        &[
            ("kind", "repository"),
            ("workspace", "acme"),
            ("repository", "website"),
            ("name", name),
            ("repository_permission", "REPO_READ"),
            ("expiry", "30"),
        ],
    )
    .await
}

async fn personal_token(client: &Client, name: &str) -> CreatedToken {
    token(
        client,
        &[
            ("kind", "personal"),
            ("name", name),
            ("repository_permission", "REPO_READ"),
            ("expiry", "30"),
        ],
    )
    .await
}

/// A plain HTTP client with no session: what a script or Git sends.
fn anonymous() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get_with(app: &TestApp, path: &str, authorization: Option<&str>) -> (u16, Vec<String>, Value) {
    let mut request = anonymous().get(format!("{}{path}", app.base));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let body = response.json().await.expect("JSON body");
    (status, challenges, body)
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["reason"].as_str().unwrap_or_default()
}

both_backends!(tokens_authenticate_with_bearer_and_basic, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let repo = repo_token(&root, "CI read").await;
    let mine = personal_token(&root, "laptop").await;

    let (status, _, body) = get_with(&app, SELF_PATH, Some(&format!("Bearer {}", repo.secret.expose()))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "CI read");
    assert_eq!(body["kind"], "repository");
    assert_eq!(body["permissions"], serde_json::json!(["REPO_READ"]));
    assert_eq!(body["id"], repo.token.id);
    assert_eq!(body["expiryDate"], repo.token.expires_at.unwrap() * 1000);
    assert!(
        !body.to_string().contains(repo.secret.expose()),
        "the secret is never sent back"
    );

    // `latest` is an alias of 1.0; an unknown version is not found.
    let bearer = format!("Bearer {}", repo.secret.expose());
    assert_eq!(
        get_with(&app, "/rest/api/latest/tokens/self", Some(&bearer)).await.0,
        200
    );
    assert_eq!(get_with(&app, "/rest/api/2.0/tokens/self", Some(&bearer)).await.0, 404);

    // Basic: resource tokens under x-token-auth, personal tokens under their
    // user's name or email; any other pairing is refused.
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("x-token-auth", repo.secret.expose())))
            .await
            .0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("root", mine.secret.expose())))
            .await
            .0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("ROOT@example.com", mine.secret.expose())))
            .await
            .0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&format!("Bearer {}", mine.secret.expose())))
            .await
            .0,
        200
    );
    for (user, secret) in [
        ("root", repo.secret.expose()),
        ("x-token-auth", mine.secret.expose()),
        ("someone", mine.secret.expose()),
    ] {
        let (status, _, body) = get_with(&app, SELF_PATH, Some(&basic(user, secret))).await;
        assert_eq!((status, reason(&body)), (401, "unknown"), "{user}");
    }

    // The web session does not authenticate REST calls.
    let response = root.get(SELF_PATH).await;
    assert_eq!(response.status(), 401);
});

both_backends!(each_refusal_says_why_with_a_challenge, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;

    let (status, challenges, body) = get_with(&app, SELF_PATH, None).await;
    assert_eq!((status, reason(&body)), (401, "missing"));
    assert!(
        challenges.iter().any(|c| c.starts_with("Bearer realm=\"Tokenwarden\"")),
        "{challenges:?}"
    );
    assert!(
        challenges.iter().any(|c| c.starts_with("Basic ")),
        "Git needs a Basic challenge: {challenges:?}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));

    let good = repo_token(&root, "good").await.secret.into_exposed();
    // One character changed: the checksum catches it before any lookup.
    let mut typo = good.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    for (presented, expected) in [
        (typo.as_str(), "malformed"),
        ("not-a-token", "malformed"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "malformed"),
    ] {
        let (status, challenges, body) = get_with(&app, SELF_PATH, Some(&format!("Bearer {presented}"))).await;
        assert_eq!((status, reason(&body)), (401, expected), "{presented}");
        assert!(
            challenges.iter().any(|c| c.contains("error=\"invalid_token\"")),
            "{challenges:?}"
        );
    }
    for header in ["Basic !!!", "Digest x", "Bearer"] {
        assert_eq!(
            reason(&get_with(&app, SELF_PATH, Some(header)).await.2),
            "malformed",
            "{header}"
        );
    }

    // Well formed, right checksum, never issued.
    let stranger = tokenwarden::token::PlainToken::new(tokenwarden::permissions::TokenKind::Repository, [7; 24]);
    let (status, _, body) = get_with(&app, SELF_PATH, Some(&format!("Bearer {}", stranger.expose()))).await;
    assert_eq!((status, reason(&body)), (401, "unknown"));
    assert_eq!(
        body["errors"][0]["message"],
        "The access token (or app password) is not valid."
    );
});

both_backends!(expiry_and_revocation_hold_from_the_next_request, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let created = repo_token(&root, "short-lived").await;
    let bearer = format!("Bearer {}", created.secret.expose());
    assert_eq!(get_with(&app, SELF_PATH, Some(&bearer)).await.0, 200);

    // Expires a moment from now: fine before, refused after, with when.
    let expires_at = chrono::Utc::now().timestamp() + 2;
    sqlx::query("UPDATE access_tokens SET expires_at = $1 WHERE id = $2")
        .bind(expires_at)
        .bind(created.token.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(get_with(&app, SELF_PATH, Some(&bearer)).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    while chrono::Utc::now().timestamp() < expires_at {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, _, body) = get_with(&app, SELF_PATH, Some(&bearer)).await;
    assert_eq!((status, reason(&body)), (401, "expired"), "{body}");
    let when = chrono::DateTime::from_timestamp(expires_at, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(body["errors"][0]["expired_at"], when.as_str());

    // Revoked: refused on the very next request.
    let other = repo_token(&root, "to revoke").await;
    let bearer = format!("Bearer {}", other.secret.expose());
    assert_eq!(get_with(&app, SELF_PATH, Some(&bearer)).await.0, 200);
    let revoked: app::model::TokenView = root
        .call("revoke_token", &[("id", &other.token.id.to_string())])
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    let (status, _, body) = get_with(&app, SELF_PATH, Some(&bearer)).await;
    assert_eq!((status, reason(&body)), (401, "revoked"));
});

both_backends!(last_used_is_written_at_most_once_a_minute, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let created = repo_token(&root, "used").await;
    let stored = |app: &TestApp, id: i64| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_as::<_, (Option<i64>, Option<String>, Option<String>)>(
                "SELECT last_used_at, last_used_addr, last_used_via FROM access_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let before = chrono::Utc::now().timestamp();
    for _ in 0..5 {
        assert_eq!(
            get_with(&app, SELF_PATH, Some(&format!("Bearer {}", created.secret.expose())))
                .await
                .0,
            200
        );
    }
    // The first use is written at once (in the background)...
    let mut first = stored(&app, created.token.id).await;
    for _ in 0..100 {
        if first.0.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        first = stored(&app, created.token.id).await;
    }
    let at = first.0.expect("first use written");
    assert!(at >= before);
    assert_eq!(
        (first.1.as_deref(), first.2.as_deref()),
        (Some("127.0.0.1"), Some("rest"))
    );
    // ...the next four only noted: nothing is due within the minute...
    let now = chrono::Utc::now().timestamp();
    assert_eq!(app.last_used.flush(now, false).await.unwrap(), 0, "not due yet");
    // ...and once the minute is up, the newest note is written, once.
    assert_eq!(app.last_used.flush(now + 60, false).await.unwrap(), 1);
    assert_eq!(
        app.last_used.flush(now + 120, true).await.unwrap(),
        0,
        "nothing new to write"
    );
    let latest = stored(&app, created.token.id).await;
    assert!(latest.0.unwrap() >= at);
    // The token list shows it.
    let listed: Vec<app::model::TokenView> = root
        .call(
            "list_tokens",
            &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
        )
        .await
        .unwrap();
    assert_eq!(listed[0].last_used_at, latest.0);
});

both_backends!(
    last_used_is_written_once_a_minute_across_app_servers,
    |backend| async move {
        use app::ssr::last_used::{Channel, Credential, LastUsed};
        let app = TestApp::spawn(backend).await;
        let root = world(&app).await;
        let created = repo_token(&root, "shared").await;
        let id = created.token.id;
        let stored = || {
            let pool = app.db.pool.clone();
            async move {
                sqlx::query_as::<_, (Option<i64>, Option<String>)>(
                    "SELECT last_used_at, last_used_addr FROM access_tokens WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        let eventually = |want: (Option<i64>, Option<String>)| {
            let stored = &stored;
            async move {
                for _ in 0..100 {
                    if stored().await == want {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                panic!("never stored {want:?}: {:?}", stored().await);
            }
        };
        // Two app servers' notes on one database.
        let (one, two) = (LastUsed::new(app.db.clone()), LastUsed::new(app.db.clone()));
        let waiting = |server: &LastUsed| {
            let server = server.clone();
            async move {
                for _ in 0..100 {
                    if server.pending() == 1 {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                panic!("the note was not kept");
            }
        };
        let t = chrono::Utc::now().timestamp();
        one.note(Credential::Token(id), t, "10.0.0.1", Channel::Rest);
        eventually((Some(t), Some("10.0.0.1".into()))).await;
        // The second server's first use, within that minute: held back, kept.
        two.note(Credential::Token(id), t + 30, "10.0.0.2", Channel::Git);
        waiting(&two).await;
        assert_eq!(stored().await, (Some(t), Some("10.0.0.1".into())));
        assert_eq!(two.flush(t + 59, false).await.unwrap(), 0, "not its minute yet");
        // Its minute up, and the row's: written, once.
        assert_eq!(two.flush(t + 90, false).await.unwrap(), 1);
        assert_eq!(two.flush(t + 200, false).await.unwrap(), 0, "nothing left");
        assert_eq!(stored().await, (Some(t + 30), Some("10.0.0.2".into())));
        // The first server's next use comes less than a minute after that
        // write: held back until the row's minute is up.
        one.note(Credential::Token(id), t + 100, "10.0.0.1", Channel::Rest);
        waiting(&one).await;
        assert_eq!(stored().await, (Some(t + 30), Some("10.0.0.2".into())));
        assert_eq!(one.flush(t + 160, false).await.unwrap(), 1);
        assert_eq!(stored().await, (Some(t + 100), Some("10.0.0.1".into())));
        // An older note never replaces a newer one, even at shutdown.
        two.note(Credential::Token(id), t + 50, "10.0.0.9", Channel::Git);
        assert_eq!(two.flush(t + 300, true).await.unwrap(), 0);
        assert_eq!(two.pending(), 0, "a stale note is dropped");
        assert_eq!(stored().await, (Some(t + 100), Some("10.0.0.1".into())));
        // At shutdown the latest note is written whatever the minute.
        one.note(Credential::Token(id), t + 170, "10.0.0.1", Channel::Git);
        assert_eq!(one.flush(t + 171, true).await.unwrap(), 1);
        assert_eq!(stored().await, (Some(t + 170), Some("10.0.0.1".into())));
    }
);

/// acme / WEB with repositories website and docs; alice is a member and
/// admin of website.
pub(crate) async fn two_repositories(app: &TestApp) -> (Client, Client) {
    let (root, alice) = crate::common::acme_website_with_alice(app).await;
    ok(
        &root,
        "create_repository",
        &[
            ("workspace", "acme"),
            ("project", "WEB"),
            ("slug", "docs"),
            ("name", "Docs"),
        ],
    )
    .await;
    (root, alice)
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, secret: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = anonymous()
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(secret);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn slugs(page: &Value) -> Vec<String> {
    page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["slug"].as_str().or(v["key"].as_str()).unwrap().to_string())
        .collect()
}

const REPOS: &str = "/rest/api/1.0/workspaces/acme/projects/WEB/repos";

both_backends!(a_repository_token_reaches_its_repository_only, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, _) = two_repositories(&app).await;
    let read = repo_token(&root, "reader").await.secret.into_exposed();

    let (status, body) = send(&app, reqwest::Method::GET, &format!("{REPOS}/website"), &read, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["slug"].as_str(), body["access"].as_str()),
        (Some("website"), Some("READ"))
    );
    // Absolute, at the public URL, as Data Center's clone links are.
    assert_eq!(
        body["links"]["clone"][0]["href"],
        format!("{}/scm/acme/website.git", app.base)
    );
    // Its sibling is invisible, as are the project and the workspace.
    assert_eq!(
        send(&app, reqwest::Method::GET, &format!("{REPOS}/docs"), &read, None)
            .await
            .0,
        404
    );
    assert_eq!(
        slugs(&send(&app, reqwest::Method::GET, REPOS, &read, None).await.1),
        ["website"]
    );
    let (_, projects) = send(
        &app,
        reqwest::Method::GET,
        "/rest/api/1.0/workspaces/acme/projects",
        &read,
        None,
    )
    .await;
    assert!(slugs(&projects).is_empty());
    let (_, workspaces) = send(&app, reqwest::Method::GET, "/rest/api/latest/workspaces", &read, None).await;
    assert!(slugs(&workspaces).is_empty());
    assert_eq!(
        send(&app, reqwest::Method::GET, "/rest/api/1.0/workspaces/acme", &read, None)
            .await
            .0,
        404
    );

    // Changing settings needs REPO_ADMIN, and the 403 says so.
    let rename = Some(serde_json::json!({ "name": "Public website" }));
    let (status, body) = send(
        &app,
        reqwest::Method::PUT,
        &format!("{REPOS}/website"),
        &read,
        rename.clone(),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("REPO_ADMIN"),
        "{body}"
    );
    let admin = token(
        &root,
        &[
            ("kind", "repository"),
            ("workspace", "acme"),
            ("repository", "website"),
            ("name", "admin"),
            ("repository_permission", "REPO_ADMIN"),
            ("expiry", "30"),
        ],
    )
    .await
    .secret
    .into_exposed();
    let (status, body) = send(&app, reqwest::Method::PUT, &format!("{REPOS}/website"), &admin, rename).await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Public website")));
    let (status, body) = send(
        &app,
        reqwest::Method::PUT,
        &format!("{REPOS}/website"),
        &admin,
        Some(serde_json::json!({ "name": " " })),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("name")),
        "{body}"
    );
    // Nor can it create repositories: it has no project permission.
    let new_repo = Some(serde_json::json!({ "slug": "blog", "name": "Blog" }));
    assert_eq!(send(&app, reqwest::Method::POST, REPOS, &admin, new_repo).await.0, 404);
});

both_backends!(
    project_and_workspace_tokens_reach_what_they_hold,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, _) = two_repositories(&app).await;
        let project_token = |perms: &'static [(&'static str, &'static str)]| {
            let root = root.clone();
            async move {
                let mut form = vec![
                    ("kind", "project"),
                    ("workspace", "acme"),
                    ("project", "WEB"),
                    ("name", "p"),
                    ("expiry", "30"),
                ];
                form.extend_from_slice(perms);
                token(&root, &form).await.secret.into_exposed()
            }
        };
        let reader = project_token(&[
            ("project_permission", "PROJECT_READ"),
            ("repository_permission", "REPO_READ"),
        ])
        .await;
        assert_eq!(
            slugs(&send(&app, reqwest::Method::GET, REPOS, &reader, None).await.1),
            ["docs", "website"]
        );
        let new_repo = Some(serde_json::json!({ "slug": "blog", "name": "Blog" }));
        let (status, body) = send(&app, reqwest::Method::POST, REPOS, &reader, new_repo.clone()).await;
        assert_eq!(status, 403);
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains("PROJECT_WRITE"),
            "{body}"
        );

        let writer = project_token(&[
            ("project_permission", "PROJECT_WRITE"),
            ("repository_permission", "REPO_WRITE"),
        ])
        .await;
        let (status, body) = send(&app, reqwest::Method::POST, REPOS, &writer, new_repo.clone()).await;
        assert_eq!((status, body["slug"].as_str()), (201, Some("blog")), "{body}");
        assert!(
            app.git_root.join("acme/blog.git/HEAD").exists(),
            "REST-created repositories get theirs too"
        );
        let (status, body) = send(&app, reqwest::Method::POST, REPOS, &writer, new_repo).await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (400, Some("slug")),
            "taken: {body}"
        );
        let response = anonymous()
            .post(format!("{}{REPOS}", app.base))
            .bearer_auth(&writer)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "body", "{body}");

        let ws = token(
            &root,
            &[
                ("kind", "workspace"),
                ("workspace", "acme"),
                ("name", "w"),
                ("workspace_permission", "WORKSPACE_READ"),
                ("project_permission", "PROJECT_READ"),
                ("repository_permission", "REPO_READ"),
                ("expiry", "30"),
            ],
        )
        .await
        .secret
        .into_exposed();
        assert_eq!(
            slugs(
                &send(&app, reqwest::Method::GET, "/rest/api/1.0/workspaces", &ws, None)
                    .await
                    .1
            ),
            ["acme"]
        );
        assert_eq!(
            slugs(
                &send(
                    &app,
                    reqwest::Method::GET,
                    "/rest/api/1.0/workspaces/acme/projects",
                    &ws,
                    None
                )
                .await
                .1
            ),
            ["WEB"]
        );
        assert_eq!(
            slugs(&send(&app, reqwest::Method::GET, REPOS, &ws, None).await.1),
            ["blog", "docs", "website"]
        );
    }
);

both_backends!(
    a_personal_token_follows_its_user_rights_as_they_change,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = two_repositories(&app).await;
        let mine = token(
            &alice,
            &[
                ("kind", "personal"),
                ("name", "laptop"),
                ("repository_permission", "REPO_ADMIN"),
                ("expiry", "30"),
            ],
        )
        .await
        .secret
        .into_exposed();
        let rename = || Some(serde_json::json!({ "name": "Renamed" }));
        // Admin of website: allowed. A plain member of docs: the token's
        // REPO_ADMIN does not lift her above write there.
        assert_eq!(
            send(&app, reqwest::Method::PUT, &format!("{REPOS}/website"), &mine, rename())
                .await
                .0,
            200
        );
        let (status, body) = send(&app, reqwest::Method::GET, &format!("{REPOS}/docs"), &mine, None).await;
        assert_eq!((status, body["access"].as_str()), (200, Some("WRITE")));
        assert_eq!(
            send(&app, reqwest::Method::PUT, &format!("{REPOS}/docs"), &mine, rename())
                .await
                .0,
            403
        );

        // She leaves the workspace: on the next request the token sees nothing there.
        ok(&root, "remove_member", &[("workspace", "acme"), ("username", "alice")]).await;
        assert_eq!(
            send(&app, reqwest::Method::GET, &format!("{REPOS}/website"), &mine, None)
                .await
                .0,
            404
        );
        assert_eq!(
            send(&app, reqwest::Method::PUT, &format!("{REPOS}/website"), &mine, rename())
                .await
                .0,
            404
        );
        assert!(slugs(
            &send(&app, reqwest::Method::GET, "/rest/api/1.0/workspaces", &mine, None)
                .await
                .1
        )
        .is_empty());
    }
);

both_backends!(the_api_serves_its_openapi_document, |backend| async move {
    let app = TestApp::spawn(backend).await;
    for version in ["1.0", "latest"] {
        let response = anonymous()
            .get(format!("{}/rest/api/{version}/openapi.json", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let doc: Value = response.json().await.unwrap();
        assert!(doc["paths"]["/rest/api/1.0/tokens/self"]["get"].is_object());
        assert!(doc["paths"]["/rest/access-tokens/1.0/users/{userSlug}"]["put"].is_object());
    }
});

both_backends!(
    a_web_session_calls_the_api_only_with_the_anti_csrf_header,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, alice) = two_repositories(&app).await;
        let url = format!("{}{REPOS}", app.base);
        // The session cookie alone (what a forged cross-site request carries): refused.
        let plain = alice.http.get(&url).send().await.unwrap();
        assert_eq!(plain.status().as_u16(), 401);
        // With the header: alice, with her own rights (admin of website only).
        let with_header = alice
            .http
            .get(&url)
            .header("X-Atlassian-Token", "no-check")
            .send()
            .await
            .unwrap();
        assert_eq!(with_header.status().as_u16(), 200);
        let page: Value = with_header.json().await.unwrap();
        assert_eq!(slugs(&page), ["docs", "website"]);
        let rename = |slug: &str| {
            alice
                .http
                .put(format!("{url}/{slug}"))
                .header("X-Atlassian-Token", "no-check")
                .json(&serde_json::json!({ "name": "Renamed" }))
                .send()
        };
        assert_eq!(rename("website").await.unwrap().status().as_u16(), 200);
        assert_eq!(rename("docs").await.unwrap().status().as_u16(), 403);
        // A token's own endpoint needs a token.
        let me = alice
            .http
            .get(format!("{}{SELF_PATH}", app.base))
            .header("X-Atlassian-Token", "no-check")
            .send()
            .await
            .unwrap();
        assert_eq!(me.status().as_u16(), 401);
    }
);

both_backends!(a_second_app_server_honours_a_revocation_at_once, |backend| async move {
    // Two stateless app servers on one database (and one key ring).
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let second = crate::common::serve_on(app.database.clone(), app.token_key_file.clone()).await;
    let created = repo_token(&root, "shared").await;
    let on_second = || {
        anonymous()
            .get(format!("{second}{SELF_PATH}"))
            .bearer_auth(created.secret.expose())
            .send()
    };
    assert_eq!(on_second().await.unwrap().status().as_u16(), 200);
    // Revoked through the first server: the second refuses the next request.
    let _: app::model::TokenView = root
        .call("revoke_token", &[("id", &created.token.id.to_string())])
        .await
        .unwrap();
    let refused = on_second().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(reason(&body), "revoked");
});

// Every endpoint against every kind of token: what each may see and do.
both_backends!(every_endpoint_for_every_kind_of_token, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, alice) = two_repositories(&app).await;
    let make = |client: Client, form: Vec<(&'static str, &'static str)>| async move {
        let mut full = form;
        full.extend([("name", "matrix"), ("expiry", "30")]);
        token(&client, &full).await.secret.into_exposed()
    };
    let workspace_full = make(
        root.clone(),
        vec![
            ("kind", "workspace"),
            ("workspace", "acme"),
            ("workspace_permission", "WORKSPACE_READ"),
            ("project_permission", "PROJECT_WRITE"),
            ("repository_permission", "REPO_ADMIN"),
        ],
    )
    .await;
    let workspace_read = make(
        root.clone(),
        vec![
            ("kind", "workspace"),
            ("workspace", "acme"),
            ("workspace_permission", "WORKSPACE_READ"),
            ("project_permission", "PROJECT_READ"),
            ("repository_permission", "REPO_READ"),
        ],
    )
    .await;
    let project_write = make(
        root.clone(),
        vec![
            ("kind", "project"),
            ("workspace", "acme"),
            ("project", "WEB"),
            ("project_permission", "PROJECT_WRITE"),
            ("repository_permission", "REPO_WRITE"),
        ],
    )
    .await;
    let repository_admin = make(
        root.clone(),
        vec![
            ("kind", "repository"),
            ("workspace", "acme"),
            ("repository", "website"),
            ("repository_permission", "REPO_ADMIN"),
        ],
    )
    .await;
    // alice: a member, and admin of website only.
    let personal = make(
        alice.clone(),
        vec![
            ("kind", "personal"),
            ("project_permission", "PROJECT_READ"),
            ("repository_permission", "REPO_ADMIN"),
        ],
    )
    .await;
    let tokens = [
        ("workspace (full)", &workspace_full),
        ("workspace (read)", &workspace_read),
        ("project (write)", &project_write),
        ("repository (admin)", &repository_admin),
        ("personal (alice)", &personal),
    ];

    // Listings: what each token sees.
    let acme = vec!["acme".to_string()];
    let web = vec!["WEB".to_string()];
    let both = vec!["docs".to_string(), "website".to_string()];
    let none: Vec<String> = vec![];
    let lists: [(&str, [Vec<String>; 5]); 3] = [
        (
            "/rest/api/1.0/workspaces",
            [acme.clone(), acme.clone(), none.clone(), none.clone(), acme.clone()],
        ),
        (
            "/rest/api/1.0/workspaces/acme/projects",
            [web.clone(), web.clone(), web.clone(), none.clone(), web.clone()],
        ),
        (
            REPOS,
            [
                both.clone(),
                both.clone(),
                both.clone(),
                vec!["website".to_string()],
                both.clone(),
            ],
        ),
    ];
    for (path, expected) in lists {
        for ((who, secret), want) in tokens.iter().zip(expected) {
            let (status, page) = send(&app, reqwest::Method::GET, path, secret, None).await;
            assert_eq!(status, 200, "{who} {path}");
            assert_eq!(slugs(&page), want, "{who} {path}");
        }
    }

    // Single resources and changes: the status each token gets.
    let single: [(reqwest::Method, &str, Option<Value>, [u16; 5]); 4] = [
        (
            reqwest::Method::GET,
            "/rest/api/1.0/workspaces/acme",
            None,
            [200, 200, 404, 404, 200],
        ),
        (
            reqwest::Method::GET,
            "/rest/api/1.0/workspaces/acme/projects/WEB/repos/docs",
            None,
            [200, 200, 200, 404, 200],
        ),
        (
            reqwest::Method::PUT,
            "/rest/api/1.0/workspaces/acme/projects/WEB/repos/website",
            Some(serde_json::json!({ "name": "Website" })),
            [200, 403, 403, 200, 200],
        ),
        (
            reqwest::Method::PUT,
            "/rest/api/1.0/workspaces/acme/projects/WEB/repos/docs",
            Some(serde_json::json!({ "name": "Docs" })),
            [200, 403, 403, 404, 403],
        ),
    ];
    for (method, path, body, expected) in single {
        for ((who, secret), want) in tokens.iter().zip(expected) {
            let (status, answer) = send(&app, method.clone(), path, secret, body.clone()).await;
            assert_eq!(status, want, "{who} {method} {path}: {answer}");
        }
    }
    // Creating a repository (a fresh slug each time).
    for ((who, secret), want) in tokens.iter().zip([201u16, 403, 201, 404, 403]) {
        let slug = format!("new-{}", who.split_whitespace().next().unwrap());
        let body = serde_json::json!({ "slug": slug, "name": slug });
        let (status, answer) = send(&app, reqwest::Method::POST, REPOS, secret, Some(body)).await;
        assert_eq!(status, want, "{who} creates a repository: {answer}");
    }
});

/// Sends `GET path` with a token and returns the status and the
/// `Tokenwarden-Token-Expiration` header, if any.
async fn expiration_header(app: &TestApp, path: &str, authorization: &str) -> (u16, Option<String>) {
    let response = anonymous()
        .get(format!("{}{path}", app.base))
        .header("authorization", authorization)
        .send()
        .await
        .expect("request");
    let header = response
        .headers()
        .get("tokenwarden-token-expiration")
        .map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), header)
}

both_backends!(every_answer_to_a_token_says_when_it_expires, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let repo = repo_token(&root, "CI read").await;
    let expires = chrono::DateTime::from_timestamp(repo.token.expires_at.unwrap(), 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let bearer = format!("Bearer {}", repo.secret.expose());

    // REST: a success, and a refusal for missing rights, both carry it.
    assert_eq!(
        expiration_header(&app, SELF_PATH, &bearer).await,
        (200, Some(expires.clone()))
    );
    let (status, header) = expiration_header(&app, "/rest/api/1.0/workspaces/acme/projects", &bearer).await;
    assert_eq!(header.as_deref(), Some(expires.as_str()), "status {status}");
    // Git, with the token as the password.
    let git = basic("x-token-auth", repo.secret.expose());
    assert_eq!(
        expiration_header(&app, "/scm/acme/website.git/info/refs?service=git-upload-pack", &git).await,
        (200, Some(expires.clone()))
    );
    // No token, no header: refused before anything is known.
    assert_eq!(expiration_header(&app, SELF_PATH, "Bearer twr_nonsense").await.1, None);

    // A token without expiry says so.
    ok(
        &root,
        "set_workspace_policy",
        &[("workspace", "acme"), ("max_days", "365"), ("allow_no_expiry", "on")],
    )
    .await;
    let forever: CreatedToken = root
        .call(
            "create_token",
            &[
                ("kind", "repository"),
                ("workspace", "acme"),
                ("repository", "website"),
                ("name", "forever"),
                ("repository_permission", "REPO_READ"),
                ("expiry", "never"),
            ],
        )
        .await
        .unwrap();
    let bearer_forever = format!("Bearer {}", forever.secret.expose());
    assert_eq!(
        expiration_header(&app, SELF_PATH, &bearer_forever).await,
        (200, Some("never".to_string()))
    );

    // tokens/self names the next warning on the ladder: a new 30-day token's
    // is 14 days before expiry (60 and 30 fall before it was made).
    let (_, _, body) = get_with(&app, SELF_PATH, Some(&bearer)).await;
    let expires_ms = repo.token.expires_at.unwrap() * 1000;
    assert_eq!(body["nextWarning"]["daysBeforeExpiry"], 14, "{body}");
    assert_eq!(body["nextWarning"]["date"], expires_ms - 14 * 86_400_000);
    assert_eq!(body["nextWarning"]["message"], "expires in 14 days");
    let (_, _, body) = get_with(&app, SELF_PATH, Some(&bearer_forever)).await;
    assert!(body["nextWarning"].is_null(), "{body}");
});
