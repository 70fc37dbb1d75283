//! Token management over REST (Bitbucket Data Center's shape): by password
//! or by web session with the anti-CSRF header, never by token; the web's
//! policy and permission rules; the secret once.

use crate::common::{ok, rest as call, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const ALICE: &str = "/rest/access-tokens/1.0/users/alice";
const WEBSITE: &str = "/rest/access-tokens/latest/workspaces/acme/projects/WEB/repos/website";

async fn setup(app: &TestApp) -> crate::common::Client {
    crate::common::acme_website_with_alice(app).await.0
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["reason"].as_str().unwrap_or_default()
}

fn field(body: &Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or_default()
}

both_backends!(personal_tokens_by_password_round_trip, |backend| async move {
    let app = TestApp::spawn(backend).await;
    setup(&app).await;
    let alice = Some(("alice", USER_PASSWORD));
    let new = json!({ "name": "ci", "permissions": ["REPO_READ"], "expiryDays": 30 });
    let (status, created) = call(&app, reqwest::Method::PUT, ALICE, alice, Some(new)).await;
    assert_eq!(status, 200, "{created}");
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("twu_"));
    assert_eq!(created["permissions"], json!(["REPO_READ"]));
    let id = created["id"].as_str().unwrap().to_string();

    // Listed, never with the secret; by email too.
    let (status, list) = call(
        &app,
        reqwest::Method::GET,
        ALICE,
        Some(("alice@example.com", USER_PASSWORD)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["values"][0]["name"], "ci");
    assert!(!list.to_string().contains(&secret));

    // The new token works, and cannot manage tokens itself.
    let me = reqwest::Client::new()
        .get(format!("{}/rest/api/1.0/tokens/self", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
    let by_token = reqwest::Client::new()
        .get(format!("{}{ALICE}", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status().as_u16(), 403);
    let (status, body) = call(&app, reqwest::Method::GET, ALICE, Some(("alice", &secret)), None).await;
    assert_eq!((status, reason(&body)), (403, "token_not_allowed"));

    // Edit the name; the expiry never changes.
    let path = format!("{ALICE}/{id}");
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &path,
        alice,
        Some(json!({ "name": "ci (prod)" })),
    )
    .await;
    assert_eq!((status, body["name"].as_str()), (200, Some("ci (prod)")), "{body}");
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &path,
        alice,
        Some(json!({ "expiryDays": 365 })),
    )
    .await;
    assert_eq!((status, field(&body)), (400, "expiryDays"), "{body}");

    // Revoke: gone at once.
    assert_eq!(call(&app, reqwest::Method::DELETE, &path, alice, None).await.0, 204);
    let me = reqwest::Client::new()
        .get(format!("{}/rest/api/1.0/tokens/self", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 401);
    // Gone over REST, as Data Center deletes it (the web keeps it as history).
    assert_eq!(
        call(&app, reqwest::Method::DELETE, &path, alice, None).await.0,
        404,
        "revoked already"
    );
    assert_eq!(call(&app, reqwest::Method::GET, &path, alice, None).await.0, 404);
    let (_, listed) = call(&app, reqwest::Method::GET, ALICE, alice, None).await;
    assert!(!listed.to_string().contains(&format!("\"id\":\"{id}\"")), "{listed}");

    // Wrong password; no credentials; somebody else's tokens.
    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        ALICE,
        Some(("alice", "wrong password")),
        None,
    )
    .await;
    assert_eq!((status, reason(&body)), (401, "bad_credentials"));
    let (status, body) = call(&app, reqwest::Method::GET, ALICE, None, None).await;
    assert_eq!((status, reason(&body)), (401, "missing"));
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/rest/access-tokens/1.0/users/root",
        alice,
        None,
    )
    .await;
    assert_eq!(status, 403);
});

both_backends!(
    creation_follows_the_policy_and_the_permission_rules,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let root = setup(&app).await;
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "90")],
        )
        .await;
        let alice = Some(("alice", USER_PASSWORD));
        let cases = [
            (
                json!({ "name": "x", "permissions": ["REPO_READ"], "expiryDays": 91 }),
                "expiry",
            ),
            (
                json!({ "name": "x", "permissions": ["REPO_READ"], "expiryDays": 0 }),
                "expiry",
            ),
            (
                json!({ "name": "x", "permissions": ["REPO_READ"], "expiryDays": 1095 }),
                "expiry",
            ),
            (
                json!({ "name": "", "permissions": ["REPO_READ"], "expiryDays": 30 }),
                "name",
            ),
            (
                json!({ "name": "x", "permissions": [], "expiryDays": 30 }),
                "permissions",
            ),
            (
                json!({ "name": "x", "permissions": ["REPO_FLY"], "expiryDays": 30 }),
                "permissions",
            ),
            (
                json!({ "name": "x", "permissions": ["PROJECT_WRITE", "REPO_READ"], "expiryDays": 30 }),
                "permissions",
            ),
        ];
        for (body, expected) in cases {
            let (status, answer) = call(&app, reqwest::Method::PUT, WEBSITE, alice, Some(body.clone())).await;
            assert_eq!((status, field(&answer)), (400, expected), "{body} → {answer}");
        }
        let (status, created) = call(
            &app,
            reqwest::Method::PUT,
            WEBSITE,
            alice,
            Some(json!({ "name": "deploy", "permissions": ["REPO_WRITE"], "expiryDays": 90 })),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert!(created["token"].as_str().unwrap().starts_with("twr_"));
        // The repository's list; the same token under another place is not found.
        let (_, list) = call(&app, reqwest::Method::GET, WEBSITE, alice, None).await;
        assert_eq!(list["size"], 1);
        let id = created["id"].as_str().unwrap();
        let elsewhere = format!("{ALICE}/{id}");
        assert_eq!(
            call(&app, reqwest::Method::DELETE, &elsewhere, alice, None).await.0,
            404
        );
    }
);

both_backends!(
    a_web_session_manages_tokens_only_with_the_anti_csrf_header,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let root = setup(&app).await;
        let url = format!("{}/rest/access-tokens/1.0/users/root", app.base);
        let new = json!({ "name": "laptop", "permissions": ["REPO_READ"], "expiryDays": 7 });
        let plain = root.http.put(&url).json(&new).send().await.unwrap();
        assert_eq!(plain.status().as_u16(), 401);
        let with_header = root
            .http
            .put(&url)
            .header("X-Atlassian-Token", "no-check")
            .json(&new)
            .send()
            .await
            .unwrap();
        assert_eq!(with_header.status().as_u16(), 200);
    }
);

both_backends!(
    bitbucket_paths_without_a_workspace_work_when_unambiguous,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let root = setup(&app).await;
        let dc = "/rest/access-tokens/1.0/projects/WEB/repos/website";
        let alice = Some(("alice", USER_PASSWORD));
        let new = json!({ "name": "dc", "permissions": ["REPO_READ"], "expiryDays": 30 });
        let (status, body) = call(&app, reqwest::Method::PUT, dc, alice, Some(new.clone())).await;
        assert_eq!(status, 200, "{body}");
        let (_, list) = call(&app, reqwest::Method::GET, WEBSITE, alice, None).await;
        assert_eq!(list["values"][0]["name"], "dc");
        // The repository must be in the project the path names.
        ok(
            &root,
            "create_project",
            &[("workspace", "acme"), ("key", "OPS"), ("name", "Ops")],
        )
        .await;
        for wrong in [
            "/rest/access-tokens/1.0/projects/OPS/repos/website",
            "/rest/access-tokens/1.0/workspaces/acme/projects/OPS/repos/website",
        ] {
            let root_auth = Some(("root", crate::common::ADMIN_PASSWORD));
            assert_eq!(
                call(&app, reqwest::Method::GET, wrong, root_auth, None).await.0,
                404,
                "{wrong}"
            );
        }

        // A second workspace with a WEB project: ambiguous for root, who sees
        // both, and still clear for alice, who sees one.
        ok(
            &root,
            "create_workspace",
            &[("slug", "beta"), ("name", "Beta"), ("admin_username", "")],
        )
        .await;
        ok(
            &root,
            "create_project",
            &[("workspace", "beta"), ("key", "WEB"), ("name", "Web")],
        )
        .await;
        let root_auth = Some(("root", crate::common::ADMIN_PASSWORD));
        let (status, body) = call(
            &app,
            reqwest::Method::GET,
            "/rest/access-tokens/1.0/projects/WEB",
            root_auth,
            None,
        )
        .await;
        assert_eq!((status, reason(&body)), (409, "conflict"), "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("acme, beta"));
        assert_eq!(call(&app, reqwest::Method::GET, dc, alice, None).await.0, 200);
        assert_eq!(
            call(
                &app,
                reqwest::Method::GET,
                "/rest/access-tokens/1.0/projects/NOPE",
                alice,
                None
            )
            .await
            .0,
            404
        );
    }
);

both_backends!(
    workspace_and_project_tokens_over_rest_and_the_cap,
    |backend| async move {
        let app = TestApp::spawn_configured(
            backend,
            Default::default(),
            app::ssr::TokenSettings {
                max_active_per_owner: 1,
            },
        )
        .await;
        setup(&app).await;
        let root = Some(("root", crate::common::ADMIN_PASSWORD));
        let cases = [
            (
                "/rest/access-tokens/1.0/workspaces/acme",
                json!({ "name": "ws", "permissions": ["WORKSPACE_READ"], "expiryDays": 30 }),
                "tww_",
            ),
            (
                "/rest/access-tokens/1.0/workspaces/acme/projects/WEB",
                json!({ "name": "p", "permissions": ["PROJECT_READ", "REPO_READ"], "expiryDays": 30 }),
                "twp_",
            ),
        ];
        for (path, body, prefix) in cases {
            let (status, created) = call(&app, reqwest::Method::PUT, path, root, Some(body.clone())).await;
            assert_eq!(status, 200, "{path}: {created}");
            assert!(created["token"].as_str().unwrap().starts_with(prefix));
            let (_, list) = call(&app, reqwest::Method::GET, path, root, None).await;
            assert_eq!(list["size"], 1, "{path}");
            // One active token per owner here: the next is refused, saying why.
            let (status, refused) = call(&app, reqwest::Method::PUT, path, root, Some(body)).await;
            assert_eq!((status, field(&refused)), (400, "tokens"), "{path}: {refused}");
            assert!(refused["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("the most allowed"));
        }
        // Bitbucket's project path reaches the same project's tokens.
        let (status, list) = call(
            &app,
            reqwest::Method::GET,
            "/rest/access-tokens/1.0/projects/WEB",
            root,
            None,
        )
        .await;
        assert_eq!((status, list["size"].as_u64()), (200, Some(1)));
    }
);
