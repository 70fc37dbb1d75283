//! First-run setup, sign-in, throttling, sessions, sign-out and cross-site
//! protection, through the real HTTP server on both databases.

use crate::common;
use crate::common::{Backend, TestApp, ADMIN_PASSWORD, USER_PASSWORD};
use app::{error::AppError, ssr::AuthSettings};
use leptos::server_fn::{codec::PostcardEncoding, Decodes};

both_backends!(setup_creates_the_first_admin_and_signs_them_in, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let visitor = app.client();
    assert!(visitor.call::<bool>("needs_setup", &[]).await.unwrap());
    assert_eq!(visitor.current_username().await, None);

    let admin = app.admin().await;
    assert_eq!(admin.current_username().await.as_deref(), Some("root"));
    assert!(!visitor.call::<bool>("needs_setup", &[]).await.unwrap());

    // The setup form closes for everyone once it has been used.
    let again = visitor
        .call::<()>(
            "setup",
            &[
                ("setup_code", "AAAA-BBBB-CCCC-DDDD"),
                ("username", "mallory"),
                ("email", "m@example.com"),
                ("display_name", "M"),
                ("password", ADMIN_PASSWORD),
                ("password_confirmation", ADMIN_PASSWORD),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(again.status, 409);
    assert!(matches!(again.error, AppError::Conflict(_)));
    let users: Vec<app::model::UserSummary> = admin.call("list_users", &[]).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].is_system_admin);
});

both_backends!(
    setup_validates_every_field_and_saves_nothing_on_error,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let c = app.client();
        let code = app.setup_code();
        let attempt =
            |username: &'static str, email: &'static str, password: &'static str, confirmation: &'static str| {
                let (c, code) = (c.clone(), code.clone());
                async move {
                    c.call::<()>(
                        "setup",
                        &[
                            ("setup_code", &code),
                            ("username", username),
                            ("email", email),
                            ("display_name", "Root"),
                            ("password", password),
                            ("password_confirmation", confirmation),
                        ],
                    )
                    .await
                    .unwrap_err()
                }
            };
        let short = attempt("root", "root@example.com", "short", "short").await;
        assert_eq!((short.status, short.error.field()), (400, Some("password")));
        assert_eq!(short.error.to_string(), "Password must be at least 12 characters");
        let mismatch = attempt("root", "root@example.com", ADMIN_PASSWORD, "something else entirely").await;
        assert_eq!(mismatch.error.field(), Some("password confirmation"));
        let bad_email = attempt("root", "not-an-email", ADMIN_PASSWORD, ADMIN_PASSWORD).await;
        assert_eq!(bad_email.error.field(), Some("email"));
        let bad_name = attempt("r oot", "root@example.com", ADMIN_PASSWORD, ADMIN_PASSWORD).await;
        assert_eq!(bad_name.error.field(), Some("username"));
        // A malformed request (missing fields) is a 400 too, not a crash.
        let missing = c.call::<()>("setup", &[("username", "root")]).await.unwrap_err();
        assert_eq!(missing.status, 400);
        assert!(
            c.call::<bool>("needs_setup", &[]).await.unwrap(),
            "a failed setup must leave nothing behind"
        );
    }
);

both_backends!(concurrent_setups_create_exactly_one_admin, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let code = app.setup_code();
    let attempts = (0..4).map(|i| {
        let (c, code) = (app.client(), code.clone());
        async move {
            let name = format!("admin{i}");
            let email = format!("admin{i}@example.com");
            c.call::<()>(
                "setup",
                &[
                    ("setup_code", &code),
                    ("username", &name),
                    ("email", &email),
                    ("display_name", "A"),
                    ("password", ADMIN_PASSWORD),
                    ("password_confirmation", ADMIN_PASSWORD),
                ],
            )
            .await
            .is_ok()
        }
    });
    let handles: Vec<_> = attempts.map(tokio::spawn).collect();
    let mut succeeded = 0;
    for h in handles {
        succeeded += h.await.unwrap() as usize;
    }
    assert_eq!(succeeded, 1);
    assert_eq!(app::ssr::store::users::count(&app.db).await.unwrap(), 1);
});

both_backends!(
    sign_in_with_username_or_email_and_one_generic_error,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        app.user(&admin, "alice").await;

        let by_email = app.client();
        by_email
            .call::<()>(
                "login",
                &[("identifier", "ALICE@example.com"), ("password", USER_PASSWORD)],
            )
            .await
            .unwrap();
        assert_eq!(by_email.current_username().await.as_deref(), Some("alice"));

        let c = app.client();
        let wrong_password = c
            .call::<()>("login", &[("identifier", "alice"), ("password", "not the password")])
            .await
            .unwrap_err();
        let unknown_user = c
            .call::<()>("login", &[("identifier", "nobody"), ("password", "not the password")])
            .await
            .unwrap_err();
        assert_eq!(wrong_password.status, 401);
        assert_eq!(wrong_password.error, AppError::BadCredentials);
        assert_eq!(
            unknown_user.error,
            AppError::BadCredentials,
            "unknown accounts must look like wrong passwords"
        );
        assert_eq!(c.current_username().await, None);
    }
);

/// Five wrong passwords for `who`: enough to lock the account for a while.
async fn five_wrong_passwords(attacker: &common::Client, who: &str) {
    for _ in 0..5 {
        let e = attacker
            .call::<()>("login", &[("identifier", who), ("password", "guess guess guess")])
            .await
            .unwrap_err();
        assert_eq!(e.error, AppError::BadCredentials);
    }
}

both_backends!(repeated_failures_lock_the_account_for_a_while, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    app.user(&admin, "alice").await;
    let attacker = app.client();
    five_wrong_passwords(&attacker, "alice").await;
    // Now even the right password is refused, before it is checked.
    let locked = attacker
        .call::<()>("login", &[("identifier", "alice"), ("password", USER_PASSWORD)])
        .await
        .unwrap_err();
    assert_eq!(locked.status, 429);
    let AppError::TooManyAttempts { retry_after_secs } = locked.error else {
        panic!("{locked:?}")
    };
    assert!(retry_after_secs > 0 && retry_after_secs <= 15 * 60);
    assert!(locked
        .error
        .to_string()
        .starts_with("Too many failed sign-in attempts. Try again in "));
    // Unknown names lock the same way, so locking reveals nothing.
    for _ in 0..5 {
        let _ = attacker
            .call::<()>("login", &[("identifier", "ghost"), ("password", "guess guess guess")])
            .await;
    }
    let ghost = attacker
        .call::<()>("login", &[("identifier", "ghost"), ("password", "guess guess guess")])
        .await
        .unwrap_err();
    assert_eq!(ghost.status, 429);
});

both_backends!(the_address_limit_stops_spraying_across_accounts, |backend| async move {
    let app = TestApp::spawn_with(
        backend,
        AuthSettings {
            throttle: app::ssr::throttle::ThrottlePolicy {
                address: app::ssr::throttle::Backoff {
                    free: 6,
                    first_delay_secs: 60,
                    max_delay_secs: 60,
                },
                ..Default::default()
            },
            ..AuthSettings::default()
        },
    )
    .await;
    let admin = app.admin().await;
    app.user(&admin, "alice").await;
    let attacker = app.client();
    for i in 0..6 {
        let name = format!("user{i}");
        let _ = attacker
            .call::<()>("login", &[("identifier", &name), ("password", "guess guess guess")])
            .await;
    }
    let e = attacker
        .call::<()>("login", &[("identifier", "alice"), ("password", USER_PASSWORD)])
        .await
        .unwrap_err();
    assert_eq!(e.status, 429);
});

both_backends!(sign_out_revokes_the_session_on_the_server, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    common::create_user(&admin, "alice").await;

    // Sign in by hand to keep the raw cookie, as a thief would.
    let c = app.client();
    let response = c
        .http
        .post(format!("{}/api/login", c.base))
        .form(&[("identifier", "alice"), ("password", USER_PASSWORD)])
        .send()
        .await
        .unwrap();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let stolen = || {
        let http = reqwest::Client::new();
        let url = format!("{}/api/current_user", c.base);
        let cookie = cookie.clone();
        async move {
            let body = http
                .post(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            <PostcardEncoding as Decodes<Option<app::model::CurrentUser>>>::decode(body)
                .unwrap()
                .map(|u| u.username)
        }
    };
    assert_eq!(stolen().await.as_deref(), Some("alice"));

    c.call::<()>("logout", &[]).await.unwrap();
    assert_eq!(c.current_username().await, None);
    assert_eq!(
        stolen().await,
        None,
        "a signed-out session must not work with the old cookie"
    );
    let rows: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'alice')")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.0, 0);
});

both_backends!(sessions_end_after_inactivity, |backend| async move {
    let app = TestApp::spawn_with(
        backend,
        // Three seconds, not one: times are kept in whole seconds, so a
        // one-second session made late in a second could end before the
        // next request on a busy machine.
        AuthSettings {
            session_idle_secs: 3,
            ..AuthSettings::default()
        },
    )
    .await;
    let admin = app.admin().await;
    assert_eq!(admin.current_username().await.as_deref(), Some("root"));
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(admin.current_username().await, None);
    let e = admin
        .call::<Vec<app::model::UserSummary>>("list_users", &[])
        .await
        .unwrap_err();
    assert_eq!(e.status, 401);
});

both_backends!(
    sessions_live_in_the_database_and_survive_a_restart,
    |backend| async move {
        // Two app servers on one database: a session made on one works on the other.
        let first = TestApp::spawn(backend).await;
        let admin = first.admin().await;
        let second_base = common::serve_on(first.database.clone(), first.token_key_file.clone()).await;
        let on_second = common::Client {
            base: second_base,
            http: admin.http.clone(),
        };
        assert_eq!(on_second.current_username().await.as_deref(), Some("root"));
    }
);

both_backends!(cross_site_posts_are_refused_and_change_nothing, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response = admin
            .http
            .post(format!("{}/api/create_workspace", admin.base))
            .header(header, value)
            .form(&[("slug", "evil"), ("name", "Evil"), ("admin_username", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
    }
    let logout = admin
        .http
        .post(format!("{}/api/logout", admin.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 403);
    assert_eq!(
        admin.current_username().await.as_deref(),
        Some("root"),
        "a forged sign-out must not sign anyone out"
    );
    let workspaces: Vec<app::model::WorkspaceSummary> = admin.call("list_workspaces", &[]).await.unwrap();
    assert!(workspaces.is_empty());
    // The same request from our own origin goes through.
    let ok = admin
        .http
        .post(format!("{}/api/create_workspace", admin.base))
        .header("origin", app.base.clone())
        .form(&[("slug", "good"), ("name", "Good"), ("admin_username", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
});

both_backends!(pages_redirect_visitors_to_setup_then_sign_in, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let visitor = app.client();
    let home = visitor.get("/").await;
    assert_eq!(home.status().as_u16(), 302);
    assert_eq!(home.headers()["location"], "/setup");
    let setup = visitor.get("/setup").await;
    assert_eq!(setup.status().as_u16(), 200);
    assert!(setup
        .text()
        .await
        .unwrap()
        .contains("Create the first system administrator"));
    let _admin = app.admin().await;
    let home = visitor.get("/").await;
    assert_eq!(home.headers()["location"], "/login");
    assert_eq!(visitor.get("/setup").await.headers()["location"], "/login");
});

#[allow(unused_imports)]
use Backend as _;

both_backends!(
    the_sign_in_page_is_a_plain_form_answered_by_the_server,
    |backend| async move {
        // The sign-in page loads no client: its form posts to /login, and the
        // server answers with the session or with the page again.
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        app.user(&admin, "alice").await;
        let browser = app.client();
        let page = browser.get("/login").await.text().await.unwrap();
        assert!(page.contains(r#"<form method="post" action="/login""#), "{page}");
        assert!(
            !page.contains("<leptos-island") && !page.contains("/pkg/tokenwarden.js"),
            "{page}"
        );

        let post = |identifier: &'static str, password: &'static str| {
            let browser = browser.clone();
            async move {
                browser
                    .http
                    .post(format!("{}/login", browser.base))
                    .form(&[("identifier", identifier), ("password", password)])
                    .send()
                    .await
                    .unwrap()
            }
        };
        // A wrong password: 401, the page again with the one generic message
        // and the identifier kept, never the password.
        let refused = post("alice", "guess guess guess").await;
        assert_eq!(refused.status().as_u16(), 401);
        assert_eq!(refused.headers()["cache-control"], "no-store");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains(r#"role="alert""#) && html.contains("Incorrect username, email or password."),
            "{html}"
        );
        assert!(
            html.contains(r#"name="identifier" autocomplete="username" required value="alice""#),
            "{html}"
        );
        assert!(!html.contains("guess guess guess"));
        assert_eq!(browser.current_username().await, None);

        // Not the form: a clear 4xx, nobody signed in.
        let incomplete = browser
            .http
            .post(format!("{}/login", browser.base))
            .form(&[("identifier", "alice")])
            .send()
            .await
            .unwrap();
        assert_eq!(incomplete.status().as_u16(), 422);
        assert_eq!(browser.current_username().await, None);

        // The right password: the session cookie and a redirect home.
        let signed_in = post("alice", crate::common::USER_PASSWORD).await;
        assert_eq!(signed_in.status().as_u16(), 303);
        assert_eq!(signed_in.headers()["location"], "/");
        assert!(signed_in.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
        assert_eq!(browser.current_username().await.as_deref(), Some("alice"));

        // Throttled like the server function: after repeated failures even
        // the right password gets 429 and the page says when to try again.
        let attacker = app.client();
        five_wrong_passwords(&attacker, "alice").await;
        let locked = attacker
            .http
            .post(format!("{}/login", attacker.base))
            .form(&[("identifier", "alice"), ("password", crate::common::USER_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(locked.status().as_u16(), 429);
        let html = locked.text().await.unwrap();
        assert!(
            html.contains("Too many failed sign-in attempts. Try again in "),
            "{html}"
        );
        assert_eq!(attacker.current_username().await, None);
    }
);

both_backends!(
    refusals_are_postcard_for_the_browser_and_json_for_people,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        app.admin().await;
        let c = app.client();
        // A refusal of the function itself, and one of the edge (a form that is
        // not UTF-8), each asked for as the browser's client does and by hand.
        let requests: [(&str, &[u8], u16, AppError); 2] = [
            (
                "a wrong password",
                b"identifier=root&password=not+the+password",
                401,
                AppError::BadCredentials,
            ),
            (
                "a form that is not UTF-8",
                b"identifier=%FF&password=x",
                400,
                AppError::invalid("request", "field 'identifier' is not UTF-8 text: send forms as UTF-8"),
            ),
        ];
        for (what, form, status, error) in requests {
            let send = |accept: Option<&'static str>| {
                let mut request = c
                    .http
                    .post(format!("{}/api/login", c.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.to_vec());
                if let Some(accept) = accept {
                    request = request.header("accept", accept);
                }
                request.send()
            };
            let browser = send(Some("application/x-postcard")).await.unwrap();
            assert_eq!(browser.status().as_u16(), status, "{what}");
            assert_eq!(browser.headers()["content-type"], "application/x-postcard", "{what}");
            let body = browser.bytes().await.unwrap();
            assert_eq!(
                <PostcardEncoding as Decodes<AppError>>::decode(body).unwrap(),
                error,
                "{what}"
            );

            let person = send(None).await.unwrap();
            assert_eq!(person.status().as_u16(), status, "{what}");
            assert_eq!(person.headers()["content-type"], "application/json", "{what}");
            let body = person.bytes().await.unwrap();
            assert_eq!(serde_json::from_slice::<AppError>(&body).unwrap(), error, "{what}");
        }
    }
);
