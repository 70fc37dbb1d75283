//! Rotation on both databases: on the web and over REST for every kind of
//! token, the overlap ending on time (the app's clock, moved forward), a
//! token rotating itself, and a rotated-away secret used after its overlap.
//! Git and REST work with the old token during the overlap and with the new
//! one after.

use crate::common::outside::{Receiver, SmtpServer};
use crate::common::{grant, ok, rest, Client, TestApp, ADMIN_PASSWORD, USER_PASSWORD};
use crate::git::{git, url};
use crate::warnings::{add_webhook, repo_token as named_token};
use app::model::{CreatedToken, TokenView};
use reqwest::Method;
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// acme / WEB / website, alice its repository admin; root and alice.
async fn world(app: &TestApp) -> (Client, Client) {
    let root = crate::common::acme_website(app).await;
    let alice = app.user(&root, "alice").await;
    grant(&root, "acme", "alice", "member", "").await;
    grant(&root, "acme", "alice", "repository_admin", "website").await;
    (root, alice)
}

async fn repo_token(alice: &Client, days: &str) -> CreatedToken {
    named_token(alice, "deploy", days).await
}

/// A receiver on loopback registered for acme's `event` (its form field).
async fn hook_for(root: &Client, event: &str) -> Receiver {
    let hook = Receiver::start(0).await;
    add_webhook(root, "acme", &hook.url, &[event]).await;
    hook
}

/// acme's policy: at most `max_days`, "No expiry" allowed or not.
async fn acme_policy(root: &Client, max_days: &str, no_expiry: bool) {
    let mut form = vec![("workspace", "acme"), ("max_days", max_days), ("default_days", "30")];
    if no_expiry {
        form.push(("allow_no_expiry", "on"));
    }
    ok(root, "set_workspace_policy", &form).await;
}

/// Rotate on a repository token's page: its create form, making the
/// successor of `id`.
async fn rotate_on_web(
    client: &Client,
    id: i64,
    expiry: &str,
    overlap: &str,
) -> Result<CreatedToken, crate::common::Failure> {
    let place = [("kind", "repository"), ("workspace", "acme"), ("repository", "website")];
    rotate_at(client, &place, id, expiry, overlap).await
}

async fn rotate_at(
    client: &Client,
    place: &[(&str, &str)],
    id: i64,
    expiry: &str,
    overlap: &str,
) -> Result<CreatedToken, crate::common::Failure> {
    let id = id.to_string();
    let mut form = place.to_vec();
    form.extend([("rotates", id.as_str()), ("expiry", expiry), ("overlap", overlap)]);
    client.call("create_token", &form).await
}

/// `tokens/self` with `secret`: the status and the reason of a refusal.
async fn whoami(app: &TestApp, secret: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/rest/api/1.0/tokens/self", app.base))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["errors"][0]["reason"].as_str().unwrap_or_default().to_string(),
    )
}

/// Whether Git can list the repository with `secret`.
async fn git_reads(app: &TestApp, secret: &str) -> bool {
    let home = tempfile::tempdir().unwrap();
    git(
        home.path(),
        home.path(),
        &["ls-remote", &url(app, "x-token-auth", secret)],
    )
    .await
    .0
}

async fn list(client: &Client) -> Vec<TokenView> {
    client
        .call(
            "list_tokens",
            &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
        )
        .await
        .unwrap()
}

both_backends!(
    rotating_on_the_web_keeps_the_old_token_working_for_its_overlap,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = world(&app).await;
        let hook = hook_for(&root, "token_rotated").await;
        let old = repo_token(&alice, "90").await;
        let new = rotate_on_web(&alice, old.token.id, "30", "1h").await.expect("rotated");
        let (old_secret, new_secret) = (old.secret.expose(), new.secret.expose());
        assert_ne!(old_secret, new_secret);
        assert_eq!(
            (new.token.name.as_str(), &new.token.permissions, new.token.rotated_from),
            ("deploy", &old.token.permissions, Some(old.token.id))
        );
        let lifetime = new.token.expires_at.unwrap() - new.token.created_at;
        assert!(
            (30 * DAY - 5..=30 * DAY).contains(&lifetime),
            "a 30-day successor: {lifetime}"
        );

        // During the overlap both work, over REST and Git.
        assert_eq!(whoami(&app, old_secret).await.0, 200);
        assert_eq!(whoami(&app, new_secret).await.0, 200);
        assert!(git_reads(&app, old_secret).await && git_reads(&app, new_secret).await);
        let tokens = list(&alice).await;
        let listed_old = tokens.iter().find(|t| t.id == old.token.id).unwrap();
        assert_eq!(listed_old.rotated_to, Some(new.token.id));
        let stops = listed_old.stops_at.expect("a stop");
        assert!(
            (stops - app::ssr::db::now() - 3_600).abs() <= 5,
            "stops an hour from now"
        );

        // Its answers say when it stops: the end of the overlap.
        let answer = reqwest::Client::new()
            .get(format!("{}/rest/api/1.0/tokens/self", app.base))
            .bearer_auth(old_secret)
            .send()
            .await
            .unwrap();
        let header = answer.headers()["tokenwarden-token-expiration"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(header, app::ssr::events::rfc3339(stops));

        // A rotated token is not rotated again; its successor can be.
        let again = rotate_on_web(&alice, old.token.id, "30", "none").await.unwrap_err();
        assert_eq!(again.status, 409, "{again:?}");

        // After the overlap, the old one stops with the reason `rotated`.
        app.clock.advance(3_601);
        assert_eq!(whoami(&app, old_secret).await, (401, "rotated".to_string()));
        assert!(!git_reads(&app, old_secret).await);
        assert_eq!(whoami(&app, new_secret).await.0, 200);
        assert!(git_reads(&app, new_secret).await);

        // The audit log records both; the webhook was told.
        let log: Vec<app::model::AuditEvent> = root.call("audit_log", &[("workspace", "acme")]).await.unwrap();
        assert!(log.iter().any(|e| e.action == "token rotated"
            && e.target.contains(&format!("#{}", old.token.id))
            && e.details.contains(&format!("replaced by #{}", new.token.id))));
        assert!(log
            .iter()
            .any(|e| e.action == "token created" && e.details.contains(&format!("replaces #{}", old.token.id))));
        app.notifier(None).round(app::ssr::db::now() + 1).await.unwrap();
        let got = hook.received();
        assert_eq!(got.len(), 1);
        let body: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(
            (got[0].event.as_str(), body["token"]["id"].as_i64()),
            ("token.rotated", Some(new.token.id))
        );
        assert_eq!(body["rotation"]["replaces"].as_i64(), Some(old.token.id));
        assert!(!got[0].body.contains(new_secret) && !got[0].body.contains(old_secret));
    }
);

both_backends!(
    the_choices_of_a_rotation_are_todays_policy_and_the_systems_longest_overlap,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = world(&app).await;
        let old = repo_token(&alice, "365").await;
        acme_policy(&root, "90", false).await;
        ok(
            &root,
            "set_rotation_policy",
            &[("max_overlap", "1d"), ("default_overlap", "1h")],
        )
        .await;
        // Today's policy, not the token's: 365 days is no longer allowed.
        let refused = rotate_on_web(&alice, old.token.id, "365", "1h").await.unwrap_err();
        assert_eq!(
            (refused.status, refused.error.field()),
            (400, Some("expiry")),
            "{refused:?}"
        );
        let refused = rotate_on_web(&alice, old.token.id, "90", "7d").await.unwrap_err();
        assert_eq!(
            (refused.status, refused.error.field()),
            (400, Some("overlap")),
            "{refused:?}"
        );
        let refused = rotate_on_web(&alice, old.token.id, "90", "2d").await.unwrap_err();
        assert_eq!((refused.status, refused.error.field()), (400, Some("overlap")));
        // Nothing refused left anything behind.
        assert_eq!(list(&alice).await.len(), 1);
        let bad = root
            .call::<()>(
                "set_rotation_policy",
                &[("max_overlap", "1h"), ("default_overlap", "1d")],
            )
            .await
            .unwrap_err();
        assert_eq!((bad.status, bad.error.field()), (400, Some("default_overlap")));

        // A token's overlap never runs past its own expiry.
        let short = repo_token(&alice, "7").await;
        let successor = rotate_on_web(&alice, short.token.id, "7", "1d").await.unwrap();
        let listed = list(&alice).await;
        let short_now = listed.iter().find(|t| t.id == short.token.id).unwrap();
        assert!(short_now.stops_at.unwrap() <= short.token.expires_at.unwrap());
        assert_eq!(successor.token.rotated_from, Some(short.token.id));

        // A token with no expiry can be rotated; its successor obeys today's policy.
        acme_policy(&root, "365", true).await;
        let forever = repo_token(&alice, "never").await;
        acme_policy(&root, "90", false).await;
        let refused = rotate_on_web(&alice, forever.token.id, "never", "none")
            .await
            .unwrap_err();
        assert_eq!(refused.error.field(), Some("expiry"));
        let renewed = rotate_on_web(&alice, forever.token.id, "90", "none").await.unwrap();
        assert!(renewed.token.expires_at.is_some());
        // "none": the old one stops at once.
        assert_eq!(
            whoami(&app, forever.secret.expose()).await,
            (401, "rotated".to_string())
        );

        // Only who manages a token rotates it; an admin never another
        // user's personal token (the new secret would be theirs).
        let bob = app.user(&root, "bob").await;
        grant(&root, "acme", "bob", "member", "").await;
        let not_his = rotate_on_web(&bob, renewed.token.id, "30", "none").await.unwrap_err();
        assert_eq!(not_his.status, 403, "bob manages no tokens at website");
        let personal: CreatedToken = bob
            .call(
                "create_token",
                &[
                    ("kind", "personal"),
                    ("name", "laptop"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap();
        // The web offers rotation only where the user may create; an admin's
        // own personal page does not hold bob's token (REST says why: see
        // `rotation_over_rest_for_every_kind_of_token`).
        let personal_page = [("kind", "personal")];
        let by_admin = rotate_at(&root, &personal_page, personal.token.id, "30", "none")
            .await
            .unwrap_err();
        assert_eq!(by_admin.status, 404);
        // Nor does a place other than the token's.
        let elsewhere = rotate_at(&bob, &personal_page, renewed.token.id, "30", "none")
            .await
            .unwrap_err();
        assert_eq!(elsewhere.status, 404);
        let by_owner = rotate_at(&bob, &personal_page, personal.token.id, "30", "1h")
            .await
            .unwrap();
        assert!(by_owner.secret.expose().starts_with("twu_"));
    }
);

both_backends!(rotation_over_rest_for_every_kind_of_token, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_root, _alice) = world(&app).await;
    let root = Some(("root", ADMIN_PASSWORD));
    let alice = Some(("alice", USER_PASSWORD));
    for (place, who) in [
        ("/rest/access-tokens/1.0/users/alice", alice),
        ("/rest/access-tokens/1.0/workspaces/acme", root),
        ("/rest/access-tokens/1.0/projects/WEB", root),
        ("/rest/access-tokens/latest/projects/WEB/repos/website", alice),
    ] {
        let new = json!({ "name": "ci", "permissions": ["REPO_READ"], "expiryDays": 30 });
        let (status, created) = rest(&app, Method::PUT, place, who, Some(new)).await;
        assert_eq!(status, 200, "{place}: {created}");
        let id = created["id"].as_str().unwrap();
        let old_secret = created["token"].as_str().unwrap();
        let path = format!("{place}/{id}/rotate");
        let (status, body) = rest(
            &app,
            Method::POST,
            &path,
            who,
            Some(json!({ "expiryDays": 7, "overlap": "1d" })),
        )
        .await;
        assert_eq!(status, 201, "{place}: {body}");
        let new_secret = body["token"].as_str().unwrap();
        assert_eq!(
            (body["replaces"].as_str(), body["name"].as_str()),
            (Some(id), Some("ci"))
        );
        assert_eq!(body["permissions"], json!(["REPO_READ"]));
        let days = (body["expiryDate"].as_i64().unwrap() - body["createdDate"].as_i64().unwrap()) / 1000 / DAY;
        assert_eq!(days, 7);
        // The list links them; the old one says when it stops.
        let (_, listed) = rest(&app, Method::GET, place, who, None).await;
        let old = listed["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap();
        assert_eq!(old["replacedBy"], body["id"]);
        assert!(old["stopsDate"].as_i64().is_some());
        assert!(!listed.to_string().contains(new_secret) && !listed.to_string().contains(old_secret));
        // Refused: twice, an unknown overlap, by a token.
        let (status, _) = rest(&app, Method::POST, &path, who, Some(json!({}))).await;
        assert_eq!(status, 409);
        let next = format!("{place}/{}/rotate", body["id"].as_str().unwrap());
        let (status, refused) = rest(&app, Method::POST, &next, who, Some(json!({ "overlap": "forever" }))).await;
        assert_eq!(
            (status, refused["errors"][0]["field"].as_str()),
            (400, Some("overlap")),
            "{refused}"
        );
        let by_token = reqwest::Client::new()
            .post(format!("{}{next}", app.base))
            .bearer_auth(new_secret)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(by_token.status().as_u16(), 403, "a token cannot rotate another");
        // Without an overlap named, the system's default (an hour).
        // (An admin never rotates another user's personal token: below.)
        let (status, third) = rest(&app, Method::POST, &next, who, Some(json!({ "expiryDays": 30 }))).await;
        assert_eq!(status, 201, "{third}");
        let (_, listed) = rest(&app, Method::GET, place, who, None).await;
        let second = listed["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == body["id"])
            .unwrap();
        let overlap = second["stopsDate"].as_i64().unwrap() / 1000 - app::ssr::db::now();
        assert!((3_590..=3_600).contains(&overlap), "{overlap}");
    }
});

both_backends!(
    an_admin_cannot_rotate_another_users_personal_token,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        world(&app).await;
        let alice = Some(("alice", USER_PASSWORD));
        let new = json!({ "name": "laptop", "permissions": ["REPO_READ"], "expiryDays": 30 });
        let (_, created) = rest(
            &app,
            Method::PUT,
            "/rest/access-tokens/1.0/users/alice",
            alice,
            Some(new),
        )
        .await;
        let path = format!(
            "/rest/access-tokens/1.0/users/alice/{}/rotate",
            created["id"].as_str().unwrap()
        );
        let (status, body) = rest(
            &app,
            Method::POST,
            &path,
            Some(("root", ADMIN_PASSWORD)),
            Some(json!({})),
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (400, Some("user")),
            "{body}"
        );
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot rotate other users"));
        // The token still works and was not rotated.
        assert_eq!(whoami(&app, created["token"].as_str().unwrap()).await.0, 200);
        let (status, _) = rest(&app, Method::POST, &path, alice, Some(json!({ "expiryDays": 30 }))).await;
        assert_eq!(status, 201);
    }
);

both_backends!(a_token_rotates_itself_and_nothing_else, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let (_root, alice) = world(&app).await;
    let old = repo_token(&alice, "30").await;
    let self_rotate = |secret: String, body: Option<Value>| {
        let app_base = app.base.clone();
        async move {
            let mut request = reqwest::Client::new()
                .post(format!("{app_base}/rest/api/latest/tokens/self/rotate"))
                .bearer_auth(secret);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Same permissions, the same length (30 days), the default overlap (an hour).
    let (status, successor) = self_rotate(old.secret.expose().to_string(), None).await;
    assert_eq!(status, 201, "{successor}");
    let days = (successor["expiryDate"].as_i64().unwrap() - successor["createdDate"].as_i64().unwrap()) / 1000 / DAY;
    assert_eq!(
        (days, successor["replaces"].as_str()),
        (30, Some(old.token.id.to_string().as_str()))
    );
    let new_secret = successor["token"].as_str().unwrap().to_string();
    assert_eq!(whoami(&app, old.secret.expose()).await.0, 200, "in its overlap");
    // Once only; the successor may ask for fewer days, never more.
    let (status, _) = self_rotate(old.secret.expose().to_string(), None).await;
    assert_eq!(status, 409);
    let (status, refused) = self_rotate(new_secret.clone(), Some(json!({ "expiryDays": 31 }))).await;
    assert_eq!(
        (status, refused["errors"][0]["field"].as_str()),
        (400, Some("expiryDays")),
        "{refused}"
    );
    let (status, refused) = self_rotate(new_secret.clone(), Some(json!({ "overlap": "7d" }))).await;
    assert_eq!(status, 400, "{refused}");
    let (status, shorter) = self_rotate(new_secret.clone(), Some(json!({ "expiryDays": 7 }))).await;
    assert_eq!(status, 201, "{shorter}");
    let days = (shorter["expiryDate"].as_i64().unwrap() - shorter["createdDate"].as_i64().unwrap()) / 1000 / DAY;
    assert_eq!(days, 7);

    // A revoked token cannot rotate itself, nor an expired one.
    let revoked = repo_token(&alice, "30").await;
    let _: TokenView = alice
        .call("revoke_token", &[("id", &revoked.token.id.to_string())])
        .await
        .unwrap();
    let (status, body) = self_rotate(revoked.secret.expose().to_string(), None).await;
    assert_eq!((status, body["errors"][0]["reason"].as_str()), (401, Some("revoked")));
    let expiring = repo_token(&alice, "7").await;
    app.clock.advance(7 * DAY + 1);
    let (status, body) = self_rotate(expiring.secret.expose().to_string(), None).await;
    assert_eq!((status, body["errors"][0]["reason"].as_str()), (401, Some("expired")));
    // Without a token: 401, no rotation.
    let (status, _) = rest(&app, Method::POST, "/rest/api/1.0/tokens/self/rotate", None, None).await;
    assert_eq!(status, 401);
});

both_backends!(
    a_rotated_away_token_used_after_its_overlap_revokes_its_successors_when_the_policy_says_so,
    |backend| async move {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_emailing(backend, &smtp).await;
        let (root, alice) = world(&app).await;
        let hook = hook_for(&root, "token_reuse_detected").await;

        // Policy off: refused, told, the successor keeps working.
        let a = repo_token(&alice, "30").await;
        let b = rotate_on_web(&alice, a.token.id, "30", "none").await.unwrap();
        assert_eq!(whoami(&app, a.secret.expose()).await, (401, "rotated".to_string()));
        assert_eq!(whoami(&app, b.secret.expose()).await.0, 200);

        // Policy on: a chain A → B → C, A used again: B and C revoked.
        ok(
            &root,
            "set_rotation_policy",
            &[
                ("max_overlap", "7d"),
                ("default_overlap", "1h"),
                ("revoke_on_reuse", "on"),
            ],
        )
        .await;
        let c = rotate_on_web(&alice, b.token.id, "30", "1d").await.unwrap();
        let d = rotate_on_web(&alice, c.token.id, "30", "1d").await.unwrap();
        app.clock.advance(DAY + 1);
        assert_eq!(whoami(&app, b.secret.expose()).await, (401, "rotated".to_string()));
        assert_eq!(whoami(&app, c.secret.expose()).await, (401, "revoked".to_string()));
        assert_eq!(whoami(&app, d.secret.expose()).await, (401, "revoked".to_string()));
        // Said once, however often it comes back.
        assert_eq!(whoami(&app, b.secret.expose()).await.0, 401);
        // The round at the app's clock (a day ahead), when the alerts are due.
        let report = app.notifier(Some(&smtp)).round(app.clock.now() + 1).await.unwrap();
        let events: Vec<String> = hook.received().iter().map(|r| r.event.clone()).collect();
        assert_eq!(events, ["token.reuse_detected", "token.reuse_detected"], "{report:?}");
        // Deliveries go out several at a time: in any order. A's revoked
        // nothing (the policy was off), B's revoked C and D.
        let revoked: Vec<i64> = hook
            .received()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .flat_map(|b| b["rotation"]["revoked"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_i64())
            .collect();
        assert_eq!(revoked, [c.token.id, d.token.id]);
        // Alice (creator and repository admin) is emailed, once per token.
        let mails = smtp.messages();
        let to_alice: Vec<_> = mails.iter().filter(|m| m.to.contains("alice@")).collect();
        assert_eq!(to_alice.len(), 2, "{mails:?}");
        assert!(to_alice
            .iter()
            .all(|m| m.subject.contains("was used after it was rotated")));
        for secret in [
            a.secret.expose(),
            b.secret.expose(),
            c.secret.expose(),
            d.secret.expose(),
        ] {
            assert!(mails.iter().all(|m| !m.body.contains(secret)));
        }
        let log: Vec<app::model::AuditEvent> = root.call("audit_log", &[("workspace", "acme")]).await.unwrap();
        assert!(log.iter().any(|e| e.action == "rotated token reused"
            && e.details.contains(&format!("#{}", c.token.id))
            && e.actor == format!("token #{}", b.token.id)));
    }
);

fn expiry_of(tokens: &[TokenView], name: &str) -> Option<i64> {
    tokens.iter().find(|t| t.name == name).unwrap().expires_at
}

both_backends!(
    an_applied_policy_moves_the_tokens_beyond_it_never_sooner_than_the_grace,
    |backend| async move {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_emailing(backend, &smtp).await;
        let (root, alice) = world(&app).await;
        let hook = hook_for(&root, "policy_applied").await;
        acme_policy(&root, "365", true).await;
        let year = named_token(&alice, "year", "365").await;
        named_token(&alice, "half", "180").await;
        named_token(&alice, "month", "30").await;
        named_token(&alice, "forever", "never").await;
        // Tightened: 90 days, an expiry required. Nothing moves by itself.
        acme_policy(&root, "90", false).await;
        let before = list(&alice).await;
        assert_eq!(expiry_of(&before, "year"), year.token.expires_at);

        // The preview: the exact tokens and dates, and nothing written.
        let preview: app::model::PolicyPreview = root
            .call("preview_policy", &[("workspace", "acme"), ("grace_days", "30")])
            .await
            .unwrap();
        let mut moved: Vec<&str> = preview.changes.iter().map(|c| c.token.name.as_str()).collect();
        moved.sort();
        assert_eq!(moved, ["forever", "half", "year"]);
        let now = app::ssr::db::now();
        for c in &preview.changes {
            assert!((c.new_expires_at - (now + 90 * DAY)).abs() <= 5, "{c:?}");
        }
        assert_eq!(list(&alice).await, before, "a preview changes nothing");
        // A long grace wins over the limit, never past a token's own expiry.
        let long: app::model::PolicyPreview = root
            .call("preview_policy", &[("workspace", "acme"), ("grace_days", "200")])
            .await
            .unwrap();
        let names: Vec<&str> = long.changes.iter().map(|c| c.token.name.as_str()).collect();
        assert!(
            !names.contains(&"half"),
            "180 days left is within a 200-day grace: {names:?}"
        );
        for bad in ["6", "366", "x"] {
            let refused = root
                .call::<app::model::PolicyPreview>("preview_policy", &[("workspace", "acme"), ("grace_days", bad)])
                .await
                .unwrap_err();
            assert_eq!((refused.status, refused.error.field()), (400, Some("grace_days")));
        }
        let not_admin = alice
            .call::<usize>("apply_policy", &[("workspace", "acme"), ("grace_days", "30")])
            .await
            .unwrap_err();
        assert_eq!(not_admin.status, 403);

        // Applied: what the preview said.
        let n: usize = root
            .call("apply_policy", &[("workspace", "acme"), ("grace_days", "30")])
            .await
            .unwrap();
        assert_eq!(n, 3);
        let after = list(&alice).await;
        for c in &preview.changes {
            let now_expires = expiry_of(&after, &c.token.name).unwrap();
            assert!((now_expires - c.new_expires_at).abs() <= 5, "{}", c.token.name);
        }
        assert_eq!(expiry_of(&after, "month"), expiry_of(&before, "month"));
        // The moved token still works; applying again moves nothing.
        assert_eq!(whoami(&app, year.secret.expose()).await.0, 200);
        let again: usize = root
            .call("apply_policy", &[("workspace", "acme"), ("grace_days", "30")])
            .await
            .unwrap();
        assert_eq!(again, 0);

        // Told at once: an email per token to alice, the webhook with the
        // list, and each token's old and new expiry in the audit log.
        app.notifier(Some(&smtp)).round(app::ssr::db::now() + 1).await.unwrap();
        let mails = smtp.messages();
        let to_alice: Vec<_> = mails
            .iter()
            .filter(|m| m.to.contains("alice@") && m.subject.contains("now expires sooner"))
            .collect();
        assert_eq!(to_alice.len(), 3, "{mails:?}");
        let got = hook.received();
        assert_eq!(got.len(), 1);
        let body: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(got[0].event, "policy.applied");
        assert_eq!(body["applied"].as_array().unwrap().len(), 3);
        assert!(body["applied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["token"]["name"] == "forever" && a["oldExpiresAt"].is_null()));
        let log: Vec<app::model::AuditEvent> = root.call("audit_log", &[("workspace", "acme")]).await.unwrap();
        let shortened: Vec<_> = log
            .iter()
            .filter(|e| e.action == "token expiry shortened by policy")
            .collect();
        assert_eq!(shortened.len(), 3);
        assert!(shortened.iter().any(|e| e.details.contains("expires never →")));
    }
);

both_backends!(
    two_admins_applying_at_once_leave_every_token_within_both_policies,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice) = world(&app).await;
        let carol = app.user(&root, "carol").await;
        grant(&root, "acme", "carol", "workspace_admin", "").await;
        for i in 0..8 {
            named_token(&alice, &format!("t{i}"), "365").await;
        }
        acme_policy(&root, "90", false).await;
        ok(
            &root,
            "set_system_policy",
            &[("expiry_required", "on"), ("max_days", "60"), ("default_days", "30")],
        )
        .await;
        let as_carol = carol.call::<usize>("apply_policy", &[("workspace", "acme"), ("grace_days", "7")]);
        let as_root = root.call::<usize>("apply_policy", &[("grace_days", "7")]);
        let (a, b) = tokio::join!(as_carol, as_root);
        let (a, b) = (a.expect("carol applies"), b.expect("root applies"));
        assert_eq!(a + b, 8, "each token moved once, by whichever came first");
        let latest = app::ssr::db::now() + 60 * DAY;
        for t in list(&alice).await {
            assert!(
                t.expires_at.unwrap() <= latest + 5,
                "{} is within both policies",
                t.name
            );
        }
    }
);
