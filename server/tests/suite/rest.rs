//! Access tokens at work on the REST API: Bearer and Basic authentication,
//! each 401 reason, expiry and revocation on the very next request, and
//! "last used" written in batches.

use crate::common::{ok, Client, TestApp};
use app::model::CreatedToken;
use base64::Engine;
use serde_json::Value;

const SELF_PATH: &str = "/rest/api/1.0/tokens/self";

/// root (system admin) with workspace acme / project WEB / repository website.
async fn world(app: &TestApp) -> Client {
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

async fn token(client: &Client, form: &[(&str, &str)]) -> CreatedToken {
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

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
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

    let (status, _, body) = get_with(&app, SELF_PATH, Some(&format!("Bearer {}", repo.secret))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "CI read");
    assert_eq!(body["kind"], "repository");
    assert_eq!(body["permissions"], serde_json::json!(["REPO_READ"]));
    assert_eq!(body["id"], repo.token.id);
    assert_eq!(body["expiryDate"], repo.token.expires_at.unwrap() * 1000);
    assert!(
        !body.to_string().contains(&repo.secret),
        "the secret is never sent back"
    );

    // `latest` is an alias of 1.0; an unknown version is not found.
    let bearer = format!("Bearer {}", repo.secret);
    assert_eq!(
        get_with(&app, "/rest/api/latest/tokens/self", Some(&bearer)).await.0,
        200
    );
    assert_eq!(get_with(&app, "/rest/api/2.0/tokens/self", Some(&bearer)).await.0, 404);

    // Basic: resource tokens under x-token-auth, personal tokens under their
    // user's name or email; any other pairing is refused.
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("x-token-auth", &repo.secret)))
            .await
            .0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("root", &mine.secret))).await.0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&basic("ROOT@example.com", &mine.secret)))
            .await
            .0,
        200
    );
    assert_eq!(
        get_with(&app, SELF_PATH, Some(&format!("Bearer {}", mine.secret)))
            .await
            .0,
        200
    );
    for (user, secret) in [
        ("root", &repo.secret),
        ("x-token-auth", &mine.secret),
        ("someone", &mine.secret),
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

    let good = repo_token(&root, "good").await.secret;
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
    assert_eq!(body["errors"][0]["message"], "The access token is not valid.");
});

both_backends!(expiry_and_revocation_hold_from_the_next_request, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let created = repo_token(&root, "short-lived").await;
    let bearer = format!("Bearer {}", created.secret);
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
    let bearer = format!("Bearer {}", other.secret);
    assert_eq!(get_with(&app, SELF_PATH, Some(&bearer)).await.0, 200);
    let revoked: app::model::TokenView = root
        .call("revoke_token", &[("id", &other.token.id.to_string())])
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    let (status, _, body) = get_with(&app, SELF_PATH, Some(&bearer)).await;
    assert_eq!((status, reason(&body)), (401, "revoked"));
});

both_backends!(last_used_is_written_in_batches, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root = world(&app).await;
    let created = repo_token(&root, "used").await;
    let last_used = |app: &TestApp, id: i64| {
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
    let before = chrono::Utc::now().timestamp();
    for _ in 0..5 {
        assert_eq!(
            get_with(&app, SELF_PATH, Some(&format!("Bearer {}", created.secret)))
                .await
                .0,
            200
        );
    }
    // Noted in memory, not written per request...
    assert_eq!(last_used(&app, created.token.id).await, (None, None));
    // ...and written once, in a batch (the app does this every minute and at shutdown).
    assert_eq!(app.last_used.flush(&app.db).await.unwrap(), 1);
    let (at, addr) = last_used(&app, created.token.id).await;
    assert!(at.unwrap() >= before);
    assert_eq!(addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(app.last_used.flush(&app.db).await.unwrap(), 0, "nothing new to write");
    // The token list shows it.
    let listed: Vec<app::model::TokenView> = root
        .call(
            "list_tokens",
            &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
        )
        .await
        .unwrap();
    assert_eq!(listed[0].last_used_at, at);
});
