//! Legacy app passwords and their retirement: creation closes on the date,
//! existing ones work (REST and Git) until the cutoff and then fail with the
//! message, the dashboard shows last use, the replace flow ends with a
//! working API token and a revoked app password, and revocation holds at
//! once, cache or not, on every app server.

use crate::{
    common::{basic, Client, Failure, TestApp},
    git::{git, url},
};
use app::model::{AppPasswordsOverview, CreatedAppPassword, CreatedToken, MigrationDashboard, RetirementNotice};
use serde_json::Value;

const SELF_PATH: &str = "/rest/api/1.0/tokens/self";
const WORKSPACES_PATH: &str = "/rest/api/1.0/workspaces";

async fn get_with(base: &str, path: &str, authorization: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("authorization", authorization)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

fn reason(body: &Value) -> &str {
    body["errors"][0]["reason"].as_str().unwrap_or_default()
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// root with acme/WEB/website, and alice: a member with admin on website.
async fn world(app: &TestApp) -> (Client, Client) {
    crate::common::acme_website_with_alice(app).await
}

async fn create(client: &Client, name: &str, repositories: &str) -> Result<CreatedAppPassword, Failure> {
    client
        .call(
            "create_app_password",
            &[("name", name), ("repositories", repositories), ("account", "account")],
        )
        .await
}

async fn schedule(root: &Client, closes: &str, cutoff: &str) -> Result<(), Failure> {
    root.call(
        "set_app_password_schedule",
        &[("creation_closes_on", closes), ("cutoff_on", cutoff)],
    )
    .await
}

both_backends!(creation_closes_on_the_date, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, alice) = world(&app).await;
    // No dates: app passwords behave as ever.
    let first = create(&alice, "laptop", "repository:write")
        .await
        .expect("created while open");
    assert!(first.secret.expose().starts_with("ATBB"));
    let mine: AppPasswordsOverview = alice.call("my_app_passwords", &[]).await.unwrap();
    assert_eq!(mine.app_passwords.len(), 1);
    assert_eq!(mine.app_passwords[0].scopes, ["account", "repository:write"]);
    assert_eq!(
        alice
            .call::<Option<RetirementNotice>>("app_password_notice", &[])
            .await
            .unwrap(),
        None
    );

    // Closing tomorrow: still open today.
    schedule(&root, &day(1), "").await.unwrap();
    create(&alice, "ci", "repository").await.expect("open until the date");
    // Closed from today.
    schedule(&root, &day(0), &day(30)).await.unwrap();
    let refused = create(&alice, "late", "repository").await.unwrap_err();
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error.field(), Some("app_passwords"));
    let message = refused.error.to_string();
    assert!(
        message.contains("can no longer be created") && message.contains(&day(30)),
        "{message}"
    );
    // The banner's facts: two still in use, and when they stop.
    let notice: Option<RetirementNotice> = alice.call("app_password_notice", &[]).await.unwrap();
    assert_eq!(notice.map(|n| n.active), Some(2));
    // Bad schedules are refused with the field named; the schedule stays.
    let bad = schedule(&root, &day(5), &day(4)).await.unwrap_err();
    assert_eq!((bad.status, bad.error.field()), (400, Some("cutoff_on")));
    assert!(bad.error.to_string().contains("cannot be before creation closes"));
    let bad = schedule(&root, "next tuesday", "").await.unwrap_err();
    assert_eq!((bad.status, bad.error.field()), (400, Some("creation_closes_on")));
    let dashboard: MigrationDashboard = root.call("app_password_dashboard", &[]).await.unwrap();
    assert_eq!(dashboard.schedule.cutoff_on.map(|d| d.to_string()), Some(day(30)));
    assert_eq!(dashboard.days_left, Some(30));
    // Only system admins set the schedule or see the dashboard.
    assert_eq!(schedule(&alice, "", "").await.unwrap_err().status, 403);
    assert_eq!(
        alice
            .call::<MigrationDashboard>("app_password_dashboard", &[])
            .await
            .unwrap_err()
            .status,
        403
    );
    // Nothing at all once signed out.
    assert_eq!(
        app.client()
            .call::<Option<RetirementNotice>>("app_password_notice", &[])
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        app.client()
            .call::<CreatedAppPassword>("create_app_password", &[("name", "x"), ("repositories", "repository")])
            .await
            .unwrap_err()
            .status,
        401
    );
});

both_backends!(bad_input_is_refused_with_the_field_named, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_, alice) = world(&app).await;
    let none = alice
        .call::<CreatedAppPassword>("create_app_password", &[("name", "x")])
        .await
        .unwrap_err();
    assert_eq!((none.status, none.error.field()), (400, Some("scopes")));
    let unknown = create(&alice, "x", "repository:delete").await.unwrap_err();
    assert_eq!((unknown.status, unknown.error.field()), (400, Some("scopes")));
    let nameless = create(&alice, " ", "repository").await.unwrap_err();
    assert_eq!((nameless.status, nameless.error.field()), (400, Some("name")));
    for n in 0..tokenwarden::app_passwords::MAX_ACTIVE_PER_USER {
        create(&alice, &format!("p{n}"), "repository").await.unwrap();
    }
    let capped = create(&alice, "one too many", "repository").await.unwrap_err();
    assert_eq!((capped.status, capped.error.field()), (400, Some("app_passwords")));
    let mine: AppPasswordsOverview = alice.call("my_app_passwords", &[]).await.unwrap();
    assert_eq!(
        mine.app_passwords.len(),
        tokenwarden::app_passwords::MAX_ACTIVE_PER_USER,
        "nothing half-made"
    );
});

both_backends!(
    app_passwords_work_until_the_cutoff_then_fail_with_the_message,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = world(&app).await;
        let created = create(&alice, "build server", "repository:write").await.unwrap();
        let good = basic("alice", created.secret.expose());

        let (status, body) = get_with(&app.base, SELF_PATH, &good).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["kind"], "app_password");
        assert_eq!(body["name"], "build server");
        assert_eq!(get_with(&app.base, WORKSPACES_PATH, &good).await.0, 200);
        // The email works as the user too; a wrong password or user does not.
        assert_eq!(
            get_with(
                &app.base,
                SELF_PATH,
                &basic("alice@example.com", created.secret.expose())
            )
            .await
            .0,
            200
        );
        let (status, body) = get_with(&app.base, SELF_PATH, &basic("alice", "ATBBwrong")).await;
        assert_eq!((status, reason(&body)), (401, "unknown"));
        let (status, body) = get_with(&app.base, SELF_PATH, &basic("root", created.secret.expose())).await;
        assert_eq!((status, reason(&body)), (401, "unknown"));
        let (status, body) = get_with(&app.base, SELF_PATH, &basic("nobody", created.secret.expose())).await;
        assert_eq!((status, reason(&body)), (401, "unknown"));
        // Within its scopes, as a personal token would be: with repository
        // scopes only, the project itself is out of reach (404, not 403).
        let response = reqwest::Client::new()
            .post(format!("{}{WORKSPACES_PATH}/acme/projects/WEB/repos", app.base))
            .header("authorization", &good)
            .json(&serde_json::json!({ "slug": "api", "name": "API" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);

        // Git: clone and push with the app password.
        let work = tempfile::tempdir().unwrap();
        let home = work.path();
        let (cloned, err) = git(
            home,
            home,
            &["clone", &url(&app, "alice", created.secret.expose()), "one"],
        )
        .await;
        assert!(cloned, "{err}");
        let one = home.join("one");
        std::fs::write(one.join("README.md"), "hello\n").unwrap();
        assert!(git(&one, home, &["add", "README.md"]).await.0);
        assert!(git(&one, home, &["commit", "-m", "first"]).await.0);
        let (pushed, err) = git(&one, home, &["push", "origin", "HEAD:main"]).await;
        assert!(pushed, "{err}");

        // Creation closed, cutoff tomorrow: existing ones keep working.
        schedule(&root, &day(0), &day(1)).await.unwrap();
        assert_eq!(get_with(&app.base, SELF_PATH, &good).await.0, 200);
        assert!(git(&one, home, &["fetch", "origin"]).await.0);

        // The cutoff comes: refused at once, REST and Git, saying so.
        schedule(&root, &day(-1), &day(0)).await.unwrap();
        let (status, body) = get_with(&app.base, SELF_PATH, &good).await;
        assert_eq!((status, reason(&body)), (401, "app_password_retired"));
        assert_eq!(body["errors"][0]["retired_on"], day(0));
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("retired on {}", day(0))) && message.contains("API token"),
            "{message}"
        );
        let (fetched, err) = git(&one, home, &["fetch", "origin"]).await;
        assert!(!fetched);
        assert!(
            err.contains("App passwords were retired on"),
            "git shows the reason: {err}"
        );
        assert!(!err.contains(created.secret.expose()));
        // Tokens are untouched by the cutoff.
        let token: CreatedToken = alice
            .call(
                "create_token",
                &[
                    ("kind", "personal"),
                    ("name", "t"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            get_with(&app.base, SELF_PATH, &basic("alice", token.secret.expose()))
                .await
                .0,
            200
        );
        // Moving the cutoff back out restores them (the admin's choice).
        schedule(&root, &day(-1), &day(2)).await.unwrap();
        assert_eq!(get_with(&app.base, SELF_PATH, &good).await.0, 200);
    }
);

both_backends!(the_dashboard_shows_last_use, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, alice) = world(&app).await;
    let created = create(&alice, "mirror", "repository").await.unwrap();
    schedule(&root, &day(0), &day(10)).await.unwrap();
    let dashboard: MigrationDashboard = root.call("app_password_dashboard", &[]).await.unwrap();
    assert_eq!(dashboard.active.len(), 1);
    assert_eq!(dashboard.active[0].owner_username, "alice");
    assert_eq!(dashboard.active[0].app_password.last_used_at, None);
    assert_eq!(dashboard.days_left, Some(10));

    let before = chrono::Utc::now().timestamp();
    assert_eq!(
        get_with(&app.base, SELF_PATH, &basic("alice", created.secret.expose()))
            .await
            .0,
        200
    );
    // The first use is written at once, in the background.
    let mut row = None;
    for _ in 0..100 {
        let d: MigrationDashboard = root.call("app_password_dashboard", &[]).await.unwrap();
        if d.active[0].app_password.last_used_at.is_some() {
            row = Some(d.active[0].app_password.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let row = row.expect("last use shown");
    assert!(row.last_used_at.unwrap() >= before);
    assert_eq!(row.last_used_addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.last_used_via.as_deref(), Some("rest"));

    // Then Git: noted, and written when its minute is up.
    let work = tempfile::tempdir().unwrap();
    let (cloned, err) = git(
        work.path(),
        work.path(),
        &["clone", &url(&app, "alice", created.secret.expose()), "c"],
    )
    .await;
    assert!(cloned, "{err}");
    app.last_used
        .flush(chrono::Utc::now().timestamp() + 60, false)
        .await
        .unwrap();
    let d: MigrationDashboard = root.call("app_password_dashboard", &[]).await.unwrap();
    assert_eq!(d.active[0].app_password.last_used_via.as_deref(), Some("git"));
    // The owner sees the same in their list.
    let mine: AppPasswordsOverview = alice.call("my_app_passwords", &[]).await.unwrap();
    assert_eq!(mine.app_passwords[0].last_used_via.as_deref(), Some("git"));
});

both_backends!(
    replacing_ends_with_a_working_token_and_a_revoked_app_password,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = world(&app).await;
        let created: CreatedAppPassword = alice
            .call(
                "create_app_password",
                &[
                    ("name", "deploy"),
                    ("account", "account:write"),
                    ("membership", "team"),
                    ("repositories", "repository:write"),
                ],
            )
            .await
            .unwrap();
        let old = basic("alice", created.secret.expose());
        // Used once (so this server remembers the verification).
        assert_eq!(get_with(&app.base, SELF_PATH, &old).await.0, 200);

        // The replacement token gets the nearest permissions the page pre-fills.
        let scopes = created.app_password.classic_scopes();
        let permissions = tokenwarden::app_passwords::nearest_token_permission_names(&scopes);
        assert_eq!(permissions, ["REPO_WRITE"]);
        let token: CreatedToken = alice
            .call(
                "create_token",
                &[
                    ("kind", "personal"),
                    ("name", "deploy"),
                    ("repository_permission", permissions[0]),
                    ("expiry", "90"),
                ],
            )
            .await
            .unwrap();
        // Someone else cannot revoke it (it does not exist for them).
        let bob = app.user(&root, "bob").await;
        let id = created.app_password.id.to_string();
        assert_eq!(
            bob.call::<app::model::AppPasswordView>("revoke_app_password", &[("id", &id)])
                .await
                .unwrap_err()
                .status,
            404
        );
        let revoked: app::model::AppPasswordView = alice.call("revoke_app_password", &[("id", &id)]).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        // Refused at once, although its verification was remembered.
        let (status, body) = get_with(&app.base, SELF_PATH, &old).await;
        assert_eq!((status, reason(&body)), (401, "unknown"));
        // The new token does what the app password did.
        let new = basic("alice", token.secret.expose());
        assert_eq!(get_with(&app.base, SELF_PATH, &new).await.0, 200);
        let work = tempfile::tempdir().unwrap();
        let (cloned, err) = git(
            work.path(),
            work.path(),
            &["clone", &url(&app, "alice", token.secret.expose()), "c"],
        )
        .await;
        assert!(cloned, "{err}");
        // Revoking twice is a conflict; the dashboard no longer lists it.
        assert_eq!(
            alice
                .call::<app::model::AppPasswordView>("revoke_app_password", &[("id", &id)])
                .await
                .unwrap_err()
                .status,
            409
        );
        let d: MigrationDashboard = root.call("app_password_dashboard", &[]).await.unwrap();
        assert!(d.active.is_empty());
    }
);

both_backends!(revocation_holds_at_once_on_another_app_server, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (root, alice) = world(&app).await;
    let created = create(&alice, "ci", "repository").await.unwrap();
    let second = crate::common::serve_on(app.database.clone(), app.token_key_file.clone()).await;
    let auth = basic("alice", created.secret.expose());
    // Verified (and remembered) by both servers.
    assert_eq!(get_with(&app.base, SELF_PATH, &auth).await.0, 200);
    assert_eq!(get_with(&second, SELF_PATH, &auth).await.0, 200);
    // An admin revokes it through the first; the second refuses it next.
    let _: app::model::AppPasswordView = root
        .call("revoke_app_password", &[("id", &created.app_password.id.to_string())])
        .await
        .unwrap();
    let (status, body) = get_with(&second, SELF_PATH, &auth).await;
    assert_eq!((status, reason(&body)), (401, "unknown"));
});
