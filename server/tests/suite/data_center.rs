//! What Bitbucket Data Center's clients rely on, checked call by call (the
//! clients themselves run in `dc_clients`): who answers in `X-AUSERNAME`,
//! paging and the project filters, `expiryDays` as any whole number with
//! the policy's longest when absent, and errors in Data Center's shape.

use crate::common::{acme_website_with_alice, basic, ok, rest, TestApp, ADMIN_PASSWORD, USER_PASSWORD};
use app::model::CreatedAppPassword;
use reqwest::Method;
use serde_json::{json, Value};

async fn get(app: &TestApp, path: &str, auth: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

/// A token made on the web (`create_token`), its secret.
async fn token(client: &crate::common::Client, form: &[(&str, &str)]) -> String {
    crate::rest::token(client, form).await.secret.into_exposed()
}

both_backends!(x_ausername_names_who_the_request_acts_as, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, alice) = acme_website_with_alice(&app).await;
    let personal = token(
        &alice,
        &[
            ("kind", "personal"),
            ("name", "p"),
            ("repository_permission", "REPO_READ"),
            ("expiry", "30"),
        ],
    )
    .await;
    let repository = token(
        &alice,
        &[
            ("kind", "repository"),
            ("workspace", "acme"),
            ("repository", "website"),
            ("name", "r"),
            ("repository_permission", "REPO_READ"),
            ("expiry", "30"),
        ],
    )
    .await;
    let app_password = alice
        .call::<CreatedAppPassword>(
            "create_app_password",
            &[("name", "old"), ("repositories", "repository"), ("account", "account")],
        )
        .await
        .unwrap()
        .secret
        .into_exposed();
    let website = "/rest/api/1.0/projects/WEB/repos/website";
    for (who, auth, expected) in [
        ("a personal token", format!("Bearer {personal}"), "alice"),
        ("a repository token", format!("Bearer {repository}"), "@token-2"),
        ("an app password", basic("alice", &app_password), "alice"),
    ] {
        let response = get(&app, website, &auth).await;
        assert_eq!(response.status(), 200, "{who}");
        assert_eq!(header(&response, "x-ausername").as_deref(), Some(expected), "{who}");
    }
    let tokens_self = get(&app, "/rest/api/latest/tokens/self", &format!("Bearer {repository}")).await;
    assert_eq!(header(&tokens_self, "x-ausername").as_deref(), Some("@token-2"));
    // Token management by password; a web session with the anti-CSRF header.
    let managed = get(
        &app,
        "/rest/access-tokens/1.0/users/alice",
        &basic("alice", USER_PASSWORD),
    )
    .await;
    assert_eq!(header(&managed, "x-ausername").as_deref(), Some("alice"));
    let session = alice
        .http
        .get(format!("{}/rest/api/1.0/projects", app.base))
        .header("X-Atlassian-Token", "no-check")
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    assert_eq!(header(&session, "x-ausername").as_deref(), Some("alice"));
    // Nobody authenticated, nobody named; the refusal is Data Center's JSON.
    let refused = get(&app, website, "Bearer twr_not_a_real_token").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "x-ausername"), None);
    assert_eq!(
        header(&refused, "content-type").as_deref(),
        Some("application/json;charset=UTF-8")
    );
    let body: Value = refused.json().await.unwrap();
    let error = &body["errors"][0];
    assert_eq!(
        (
            error["context"].clone(),
            error["exceptionName"].as_str(),
            error["reason"].as_str()
        ),
        (
            Value::Null,
            Some("com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"),
            Some("malformed")
        ),
        "{body}"
    );
    let properties = get(&app, "/rest/api/latest/application-properties", "").await;
    assert_eq!(header(&properties, "x-ausername"), None);
    let properties: Value = properties.json().await.unwrap();
    assert_eq!(properties["version"], "8.19.0");
    assert_eq!(properties["displayName"], "Tokenwarden");
});

both_backends!(lists_page_and_filter_as_data_center_does, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, alice) = acme_website_with_alice(&app).await;
    crate::common::grant(&root, "acme", "root", "workspace_admin", "").await;
    for (key, name) in [("API", "Public API"), ("OPS", "Operations"), ("DOC", "Docs site")] {
        ok(
            &root,
            "create_project",
            &[("workspace", "acme"), ("key", key), ("name", name)],
        )
        .await;
    }
    let admin = token(
        &root,
        &[
            ("kind", "personal"),
            ("name", "admin"),
            ("project_permission", "PROJECT_ADMIN"),
            ("repository_permission", "REPO_ADMIN"),
            ("expiry", "30"),
        ],
    )
    .await;
    let bearer = format!("Bearer {admin}");
    // 27 repositories in WEB (with `website`): more than the default page.
    for n in 0..26 {
        let (status, body) = send(
            &app,
            Method::POST,
            "/rest/api/1.0/projects/WEB/repos",
            &bearer,
            json!({ "name": format!("Repo {n:02}") }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let page: Value = get(&app, "/rest/api/1.0/projects/WEB/repos", &bearer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &page["size"],
            &page["limit"],
            &page["isLastPage"],
            &page["nextPageStart"]
        ),
        (&json!(25), &json!(25), &json!(false), &json!(25))
    );
    let rest: Value = get(&app, "/rest/api/1.0/projects/WEB/repos?start=25", &bearer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&rest["size"], &rest["isLastPage"]), (&json!(2), &json!(true)));
    assert!(rest.get("nextPageStart").is_none(), "{rest}");
    let all: Value = get(&app, "/rest/api/1.0/projects/WEB/repos?limit=5000", &bearer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&all["size"], &all["limit"]),
        (&json!(27), &json!(1000)),
        "more than 1000 asks for 1000"
    );
    let beyond: Value = get(&app, "/rest/api/1.0/projects/WEB/repos?start=99", &bearer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&beyond["values"], &beyond["isLastPage"]), (&json!([]), &json!(true)));
    let refused = get(&app, "/rest/api/1.0/workspaces?limit=0", &bearer).await;
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["errors"][0]["context"], "limit");

    // Data Center's project filters: by name, and by the caller's permission.
    let named: Value = get(&app, "/rest/api/1.0/projects?name=docs", &bearer)
        .await
        .json()
        .await
        .unwrap();
    let keys = |page: &Value| -> Vec<String> {
        page["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&named), ["DOC"]);
    let hers = token(
        &alice,
        &[
            ("kind", "personal"),
            ("name", "hers"),
            ("project_permission", "PROJECT_READ"),
            ("repository_permission", "REPO_READ"),
            ("expiry", "30"),
        ],
    )
    .await;
    let hers = format!("Bearer {hers}");
    let readable: Value = get(&app, "/rest/api/1.0/projects", &hers).await.json().await.unwrap();
    assert_eq!(readable["size"], 4, "a member reads every project of acme");
    let administered: Value = get(&app, "/rest/api/1.0/projects?permission=PROJECT_ADMIN", &hers)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(administered["size"], 0, "alice administers no project");
    let admin_all: Value = get(&app, "/rest/api/1.0/projects?permission=PROJECT_ADMIN&limit=2", &bearer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&admin_all["size"], &admin_all["nextPageStart"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(
        get(&app, "/rest/api/1.0/projects?permission=FLY", &bearer)
            .await
            .status(),
        400
    );
});

async fn send(app: &TestApp, method: Method, path: &str, auth: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base))
        .header("Authorization", auth)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

both_backends!(
    expiry_days_are_any_whole_number_and_absent_means_the_longest,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, _) = acme_website_with_alice(&app).await;
        let root_auth = Some(("root", ADMIN_PASSWORD));
        let days = |token: &Value| {
            token["expiryDate"]
                .as_i64()
                .map(|at| ((at - token["createdDate"].as_i64().unwrap()) / 86_400_000) as u32)
        };
        // Personal tokens: only the system policy binds them; none here, so a
        // token without expiryDays never expires.
        let root_tokens = "/rest/access-tokens/1.0/users/root";
        let (status, forever) = rest(
            &app,
            Method::PUT,
            root_tokens,
            root_auth,
            Some(json!({ "name": "a", "permissions": ["REPO_READ"] })),
        )
        .await;
        assert_eq!((status, days(&forever)), (200, None), "{forever}");
        ok(
            &root,
            "set_system_policy",
            &[("expiry_required", "on"), ("max_days", "45")],
        )
        .await;
        let (status, longest) = rest(
            &app,
            Method::PUT,
            root_tokens,
            root_auth,
            Some(json!({ "name": "b", "permissions": ["REPO_READ"] })),
        )
        .await;
        assert_eq!((status, days(&longest)), (200, Some(45)), "{longest}");
        for n in [1, 13, 44, 45] {
            let (status, made) = rest(
                &app,
                Method::PUT,
                root_tokens,
                root_auth,
                Some(json!({ "name": format!("d{n}"), "permissions": ["REPO_READ"], "expiryDays": n })),
            )
            .await;
            assert_eq!((status, days(&made)), (200, Some(n)), "{made}");
        }
        for n in [0, 46, 1095] {
            let (status, refused) = rest(
                &app,
                Method::PUT,
                root_tokens,
                root_auth,
                Some(json!({ "name": "x", "permissions": ["REPO_READ"], "expiryDays": n })),
            )
            .await;
            assert_eq!(status, 400, "{n}: {refused}");
            assert_eq!(refused["errors"][0]["context"], "expiry");
            if n > 45 {
                assert_eq!(
                    refused["errors"][0]["message"],
                    "Longer than the 45 days the system policy allows."
                );
            }
        }
        // A workspace that allows "No expiry" (the system no longer requires one).
        ok(&root, "set_system_policy", &[("max_days", "45")]).await;
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "180"), ("allow_no_expiry", "on")],
        )
        .await;
        let repository = "/rest/access-tokens/1.0/projects/WEB/repos/website";
        let (status, open) = rest(
            &app,
            Method::PUT,
            repository,
            root_auth,
            Some(json!({ "name": "open", "permissions": ["REPO_READ"] })),
        )
        .await;
        assert_eq!((status, days(&open)), (200, None), "{open}");
        assert!(
            open.get("expiryDate").is_none(),
            "no expiry: no expiryDate, as Data Center sends it"
        );
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "180")],
        )
        .await;
        let (status, bounded) = rest(
            &app,
            Method::PUT,
            repository,
            root_auth,
            Some(json!({ "name": "bounded", "permissions": ["REPO_READ"] })),
        )
        .await;
        assert_eq!((status, days(&bounded)), (200, Some(180)), "{bounded}");
        assert_eq!(bounded["user"]["type"], "SERVICE");
        assert_eq!(
            bounded["user"]["name"],
            format!("@token-{}", bounded["id"].as_str().unwrap())
        );
    }
);
