//! Warnings before expiry and webhooks, on both databases, with a clock of
//! the test's own: the notifier's rounds run at chosen instants, emails go
//! to a real SMTP server on loopback (aiosmtpd), webhooks to receivers on
//! loopback.

use crate::common::outside::{Receiver, SmtpServer};
use crate::common::{grant, ok, Client, TestApp};
use app::model::{CreatedToken, ExpiringNotice, WarningSettings, WebhookView};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const DAY: i64 = 86_400;
const SECRET: &str = "a webhook secret of some length";

/// acme / WEB / website; alice administers website (and creates its
/// tokens), carol administers acme, bob is a member. Returns root, alice, bob.
async fn world(app: &TestApp) -> (Client, Client, Client) {
    let root = crate::common::acme_website(app).await;
    let alice = app.user(&root, "alice").await;
    let bob = app.user(&root, "bob").await;
    crate::common::create_user(&root, "carol").await;
    grant(&root, "acme", "alice", "member", "").await;
    grant(&root, "acme", "alice", "repository_admin", "website").await;
    grant(&root, "acme", "bob", "member", "").await;
    grant(&root, "acme", "carol", "workspace_admin", "").await;
    (root, alice, bob)
}

/// A REPO_READ token on acme/website named `name`, of `days` (`never`: none).
pub(crate) async fn repo_token(alice: &Client, name: &str, days: &str) -> CreatedToken {
    alice
        .call(
            "create_token",
            &[
                ("kind", "repository"),
                ("workspace", "acme"),
                ("repository", "website"),
                ("name", name),
                ("repository_permission", "REPO_READ"),
                ("expiry", days),
            ],
        )
        .await
        .expect("create a repository token")
}

async fn personal_token(client: &Client, name: &str, days: &str) -> CreatedToken {
    client
        .call(
            "create_token",
            &[
                ("kind", "personal"),
                ("name", name),
                ("account_permission", "ACCOUNT_READ"),
                ("repository_permission", "REPO_READ"),
                ("expiry", days),
            ],
        )
        .await
        .expect("create a personal token")
}

/// Registers `url` for `events` (their form fields) at `workspace` (empty: the instance).
pub(crate) async fn add_webhook(client: &Client, workspace: &str, url: &str, events: &[&str]) {
    let mut form = vec![("workspace", workspace), ("url", url), ("secret", SECRET)];
    form.extend(events.iter().map(|e| (*e, "on")));
    ok(client, "add_webhook", &form).await;
}

async fn revoke(client: &Client, id: i64) {
    let _: app::model::TokenView = client
        .call("revoke_token", &[("id", &id.to_string())])
        .await
        .expect("revoke");
}

fn verify(signature: &str, body: &str) {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        signature, expected,
        "the signature is the HMAC-SHA-256 of the body with the secret"
    );
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("a JSON body")
}

both_backends!(
    each_threshold_warns_once_by_email_and_webhook_to_the_right_people,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        let smtp = SmtpServer::start().await;
        let hook = Receiver::start(0).await;
        add_webhook(&root, "acme", &hook.url, &["token_expiring", "token_expired"]).await;
        let repo = repo_token(&alice, "deploy", "90").await;
        let personal = personal_token(&bob, "laptop", "90").await;
        let expires = repo.token.expires_at.expect("an expiry");
        let notifier = app.notifier(Some(&smtp));

        // Nothing is due at creation.
        let start = repo.token.created_at;
        assert_eq!(notifier.round(start).await.unwrap().sweep.warnings, 0);

        let mut expected_mail = 0;
        for (days, word) in [
            (60, "expires in 60 days"),
            (30, "expires in 30 days"),
            (14, "expires in 14 days"),
            (7, "expires in 7 days"),
            (1, "expires in 1 day"),
            (0, "has expired"),
        ] {
            let at = expires - days * DAY + 5;
            let report = notifier.round(at).await.unwrap();
            assert_eq!(report.sweep.warnings, 2, "both tokens pass {word} ({report:?})");
            // alice (creator and repository admin, once) for the repository
            // token; bob for his own. Not carol: website has its own admin.
            // Not root: not a member. Not bob for the repository token.
            assert_eq!((report.emails_sent, report.deliveries_ok), (2, 1), "{word}: {report:?}");
            let again = notifier.round(at + 60).await.unwrap();
            assert_eq!(
                (again.sweep.warnings, again.emails_sent, again.deliveries_ok),
                (0, 0, 0),
                "{word} is never sent twice"
            );
            expected_mail += 2;
            let mails = smtp.messages();
            assert_eq!(mails.len(), expected_mail);
            let to_alice: Vec<_> = mails
                .iter()
                .filter(|m| m.to.contains("alice@example.com") && m.subject.contains(word))
                .collect();
            let to_bob: Vec<_> = mails
                .iter()
                .filter(|m| m.to.contains("bob@example.com") && m.subject.contains(word))
                .collect();
            assert_eq!((to_alice.len(), to_bob.len()), (1, 1), "{word}: {mails:?}");
            assert!(to_alice[0].subject.contains("\"deploy\""), "{:?}", to_alice[0]);
            assert!(to_bob[0].subject.contains("\"laptop\""), "{:?}", to_bob[0]);
            let body = &to_alice[0].body;
            for needed in [
                "acme/WEB/website",
                "REPO_READ",
                "UTC",
                "/w/acme/repos/website/access-tokens",
                &app.base,
            ] {
                assert!(body.contains(needed), "the message names {needed}: {body}");
            }
            for secret in [repo.secret.expose(), personal.secret.expose()] {
                assert!(!mails.iter().any(|m| m.body.contains(secret)), "no secret in any email");
            }
        }
        let deliveries = hook.received();
        assert_eq!(
            deliveries.len(),
            6,
            "one webhook delivery per threshold, for the workspace's token only"
        );
        for (d, days) in deliveries.iter().zip([60, 30, 14, 7, 1, 0]) {
            verify(&d.signature, &d.body);
            let body = json(&d.body);
            assert_eq!(d.event, if days == 0 { "token.expired" } else { "token.expiring" });
            assert_eq!(body["event"], d.event.as_str());
            assert_eq!(body["warning"]["daysBeforeExpiry"], days);
            assert_eq!(body["token"]["name"], "deploy");
            assert_eq!(body["token"]["place"], "acme/WEB/website");
            assert!(!d.body.contains(repo.secret.expose()));
            assert_eq!(d.delivery.len(), 36, "a delivery id");
        }
        // Long after: nothing more, ever.
        let later = notifier.round(expires + 400 * DAY).await.unwrap();
        assert_eq!((later.sweep.looked_at, later.emails_sent), (0, 0));
    }
);

both_backends!(
    after_downtime_only_the_nearest_passed_threshold_is_sent,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_root, alice, _bob) = world(&app).await;
        let smtp = SmtpServer::start().await;
        let token = repo_token(&alice, "deploy", "90").await;
        let expires = token.token.expires_at.unwrap();
        let notifier = app.notifier(Some(&smtp));
        // Down from before the 60-day warning until 5 days before expiry.
        let report = notifier.round(expires - 5 * DAY).await.unwrap();
        assert_eq!((report.sweep.warnings, report.emails_sent), (1, 1));
        let mails = smtp.messages();
        assert!(mails[0].subject.contains("expires in 7 days"), "{mails:?}");
        // Revoked tokens are never warned about.
        revoke(&alice, token.token.id).await;
        let after = notifier.round(expires + DAY).await.unwrap();
        assert_eq!((after.sweep.warnings, after.emails_sent), (0, 0));
    }
);

both_backends!(
    two_app_servers_on_one_database_send_each_warning_once,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_root, alice, _bob) = world(&app).await;
        let smtp = SmtpServer::start().await;
        let hook = Receiver::start(0).await;
        add_webhook(&alice_admin(&app, &alice).await, "acme", &hook.url, &["token_expiring"]).await;
        let mut expires = 0;
        for i in 0..12 {
            expires = repo_token(&alice, &format!("ci-{i}"), "30")
                .await
                .token
                .expires_at
                .unwrap();
        }
        // The second app server: its own connections to the same database.
        let other_db = server::db::open(&app.database).await.expect("a second pool");
        let first = app.notifier(Some(&smtp));
        let second = server::notify::Notifier {
            db: other_db,
            ..app.notifier(Some(&smtp))
        };
        let at = expires - 7 * DAY + 60;
        let (a, b) = tokio::join!(first.round(at), second.round(at));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.sweep.warnings + b.sweep.warnings, 12, "{a:?} {b:?}");
        assert_eq!(a.emails_sent + b.emails_sent, 12);
        assert_eq!(a.deliveries_ok + b.deliveries_ok, 12);
        assert_eq!(
            smtp.messages().len(),
            12,
            "one email per token, whichever server sent it"
        );
        assert_eq!(hook.received().len(), 12);
        let mut ids: Vec<String> = hook.received().into_iter().map(|r| r.delivery).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 12, "no delivery sent twice");
    }
);

/// The webhook is registered by root here; alice (a repository admin) may
/// not register one for the workspace.
async fn alice_admin(app: &TestApp, alice: &Client) -> Client {
    let refused = alice
        .call::<()>(
            "add_webhook",
            &[
                ("workspace", "acme"),
                ("url", "http://127.0.0.1:9/hook"),
                ("secret", SECRET),
                ("token_expiring", "on"),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status, 403, "only workspace admins register webhooks");
    let root = app.client();
    root.call::<()>(
        "login",
        &[("identifier", "root"), ("password", crate::common::ADMIN_PASSWORD)],
    )
    .await
    .unwrap();
    root
}

both_backends!(
    a_sender_that_dies_after_claiming_leaves_its_messages_to_the_next,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, _bob) = world(&app).await;
        let smtp = SmtpServer::start().await;
        let hook = Receiver::start(0).await;
        add_webhook(&root, "acme", &hook.url, &["token_expiring"]).await;
        let token = repo_token(&alice, "deploy", "30").await;
        let at = token.token.expires_at.unwrap() - 7 * DAY + 1;
        let dying = app.notifier(Some(&smtp));
        // The first server sweeps, claims the email and the delivery, and dies
        // before sending either.
        assert_eq!(dying.sweep(at).await.unwrap().warnings, 1);
        let claimed_emails = app::ssr::store::warnings::claim_emails(&app.db, at, 10).await.unwrap();
        let claimed_hooks = app::ssr::store::webhooks::claim(&app.db, at, 10).await.unwrap();
        assert_eq!((claimed_emails.len(), claimed_hooks.len()), (1, 1));
        drop(dying);
        // The next server: nothing while the dead server's lease lasts…
        let next = app.notifier(Some(&smtp));
        let early = next.round(at + 30).await.unwrap();
        assert_eq!((early.emails_sent, early.deliveries_ok), (0, 0));
        assert!(smtp.messages().is_empty() && hook.received().is_empty());
        // …then it sends both, once.
        let late = next
            .round(at + app::ssr::store::webhooks::LEASE_SECS + 1)
            .await
            .unwrap();
        assert_eq!((late.emails_sent, late.deliveries_ok), (1, 1));
        let again = next
            .round(at + 10 * app::ssr::store::webhooks::LEASE_SECS)
            .await
            .unwrap();
        assert_eq!((again.emails_sent, again.deliveries_ok), (0, 0));
        assert_eq!((smtp.messages().len(), hook.received().len()), (1, 1));
    }
);

both_backends!(
    a_failing_endpoint_gets_a_third_try_after_backing_off,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, _bob) = world(&app).await;
        let hook = Receiver::start(2).await;
        add_webhook(&root, "acme", &hook.url, &["token_created"]).await;
        let token = repo_token(&alice, "deploy", "30").await;
        let notifier = app.notifier(None);
        let t = token.token.created_at + 1;
        assert_eq!(notifier.round(t).await.unwrap().deliveries_failed, 1);
        assert_eq!(
            notifier.round(t + 30).await.unwrap().deliveries_failed,
            0,
            "not before a minute has passed"
        );
        assert_eq!(
            notifier.round(t + 61).await.unwrap().deliveries_failed,
            1,
            "the second try, a minute later"
        );
        assert_eq!(
            notifier.round(t + 61 + 90).await.unwrap().deliveries_ok,
            0,
            "the third waits two minutes"
        );
        assert_eq!(
            notifier.round(t + 61 + 121).await.unwrap().deliveries_ok,
            1,
            "the third try gets through"
        );
        let received = hook.received();
        assert_eq!(received.len(), 3);
        assert!(
            received.iter().all(|r| r.delivery == received[0].delivery),
            "retries keep the delivery id"
        );
        for r in &received {
            verify(&r.signature, &r.body);
        }
        let hooks: Vec<WebhookView> = root.call("list_webhooks", &[("workspace", "acme")]).await.unwrap();
        let log = &hooks[0].deliveries;
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].state.as_str(), log[0].attempts, log[0].last_status),
            ("delivered", 3, Some(200))
        );
        // Redeliver: the same delivery, sent again.
        ok(
            &root,
            "redeliver",
            &[
                ("workspace", "acme"),
                ("webhook", &hooks[0].id.to_string()),
                ("delivery", &log[0].id.to_string()),
            ],
        )
        .await;
        assert_eq!(notifier.round(app::ssr::db::now() + 1).await.unwrap().deliveries_ok, 1);
        assert_eq!(hook.received().len(), 4);
        assert_eq!(hook.received()[3].delivery, received[0].delivery);
    }
);

both_backends!(
    token_and_policy_events_reach_webhooks_without_secrets,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        let hook = Receiver::start(0).await;
        let instance = Receiver::start(0).await;
        add_webhook(
            &root,
            "acme",
            &hook.url,
            &["token_created", "token_revoked", "policy_changed"],
        )
        .await;
        add_webhook(&root, "", &instance.url, &["token_created"]).await;
        let token = repo_token(&alice, "deploy", "30").await;
        let personal = personal_token(&bob, "laptop", "30").await;
        revoke(&alice, token.token.id).await;
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "90"), ("default_days", "30")],
        )
        .await;
        let report = app.notifier(None).round(app::ssr::db::now() + 1).await.unwrap();
        assert_eq!(report.deliveries_ok, 5, "{report:?}");
        // Deliveries go out several at a time: in any order.
        let mut events: Vec<String> = hook.received().iter().map(|r| r.event.clone()).collect();
        events.sort();
        assert_eq!(events, ["policy.changed", "token.created", "token.revoked"]);
        let body = |event: &str| {
            let r = hook.received().into_iter().find(|r| r.event == event).unwrap();
            json(&r.body)
        };
        assert_eq!(body("token.created")["token"]["permissions"][0], "REPO_READ");
        assert!(body("token.revoked")["token"]["expiresAt"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert_eq!(body("policy.changed")["policy"]["scope"], "acme");
        let mut to_instance: Vec<String> = instance
            .received()
            .iter()
            .map(|r| json(&r.body)["token"]["name"].as_str().unwrap().to_string())
            .collect();
        to_instance.sort();
        assert_eq!(
            to_instance,
            ["deploy", "laptop"],
            "the instance's webhook hears every workspace and personal token"
        );
        for r in hook.received().iter().chain(instance.received().iter()) {
            verify(&r.signature, &r.body);
            assert!(!r.body.contains(token.secret.expose()) && !r.body.contains(personal.secret.expose()));
        }
        // The secret is never shown again.
        let hooks: Vec<WebhookView> = root.call("list_webhooks", &[("workspace", "acme")]).await.unwrap();
        assert!(!format!("{hooks:?}").contains(SECRET));
    }
);

both_backends!(
    webhooks_to_private_addresses_are_refused_unless_the_server_allows_them,
    |backend| async move {
        let app = TestApp::spawn_strict_webhooks(backend).await;
        let root = crate::common::acme_website(&app).await;
        for (url, field) in [
            ("http://127.0.0.1:8080/hook", "url"),
            ("https://127.0.0.1/hook", "url"),
            ("https://10.0.0.7/hook", "url"),
            ("https://[::1]/hook", "url"),
            ("https://169.254.169.254/latest", "url"),
            ("https://localhost/hook", "url"),
            ("ftp://example.com/", "url"),
            ("https://user:pw@example.com/", "url"),
        ] {
            let refused = root
                .call::<()>(
                    "add_webhook",
                    &[
                        ("workspace", "acme"),
                        ("url", url),
                        ("secret", SECRET),
                        ("token_expiring", "on"),
                    ],
                )
                .await
                .unwrap_err();
            assert_eq!(
                (refused.status, refused.error.field()),
                (400, Some(field)),
                "{url}: {:?}",
                refused.error
            );
        }
        for (form, field) in [
            (
                vec![
                    ("url", "https://93.184.215.14/hook"),
                    ("secret", "short"),
                    ("token_expiring", "on"),
                ],
                "secret",
            ),
            (
                vec![("url", "https://93.184.215.14/hook"), ("secret", SECRET)],
                "events",
            ),
        ] {
            let mut form = form;
            form.push(("workspace", "acme"));
            let refused = root.call::<()>("add_webhook", &form).await.unwrap_err();
            assert_eq!(
                (refused.status, refused.error.field()),
                (400, Some(field)),
                "{:?}",
                refused.error
            );
        }
        let hooks: Vec<WebhookView> = root.call("list_webhooks", &[("workspace", "acme")]).await.unwrap();
        assert!(hooks.is_empty(), "nothing refused was stored");
        // With --webhooks-allow-private (every other test app), loopback is fine.
        let open = TestApp::spawn(backend).await;
        let root = crate::common::acme_website(&open).await;
        add_webhook(&root, "acme", "http://127.0.0.1:8080/hook", &["token_expiring"]).await;
    }
);

both_backends!(
    admins_set_the_ladder_and_existing_tokens_follow_it,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, _bob) = world(&app).await;
        let smtp = SmtpServer::start().await;
        let token = repo_token(&alice, "deploy", "30").await;
        let expires = token.token.expires_at.unwrap();
        for bad in ["0", "400", "7, x", "1,2,3,4,5,6,7,8,9,10,11"] {
            let refused = root
                .call::<()>("set_warnings", &[("warning_days", bad)])
                .await
                .unwrap_err();
            assert_eq!(
                (refused.status, refused.error.field()),
                (400, Some("warning_days")),
                "{bad}"
            );
        }
        ok(&root, "set_warnings", &[("warning_days", "20")]).await;
        let refused = root
            .call::<()>(
                "set_warnings",
                &[
                    ("workspace", "acme"),
                    ("warning_days", "3"),
                    ("time_zone", "Mars/Olympus_Mons"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((refused.status, refused.error.field()), (400, Some("time_zone")));
        let refused = alice
            .call::<()>("set_warnings", &[("workspace", "acme"), ("warning_days", "3")])
            .await
            .unwrap_err();
        assert_eq!(
            refused.status, 403,
            "a repository admin does not set the workspace's warnings"
        );
        let refused = alice
            .call::<()>("set_warnings", &[("warning_days", "3")])
            .await
            .unwrap_err();
        assert_eq!(refused.status, 403, "nor the system's");
        ok(
            &root,
            "set_warnings",
            &[
                ("workspace", "acme"),
                ("warning_days", "3"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
        let settings: WarningSettings = root.call("get_warnings", &[("workspace", "acme")]).await.unwrap();
        assert_eq!(settings.warning_days, "3");
        assert_eq!(settings.time_zone.as_deref(), Some("Europe/Berlin"));
        assert!(settings.note.contains("warned 20 days before"), "{}", settings.note);
        assert!(
            settings.note.contains("Email is off"),
            "this app has no SMTP server: the page says email is off"
        );
        // Saving the expiry policy leaves the warnings alone.
        ok(&root, "set_system_policy", &[("max_days", "365")]).await;
        let system: WarningSettings = root.call("get_warnings", &[]).await.unwrap();
        assert_eq!((system.warning_days.as_str(), system.time_zone), ("20", None));
        let events: Vec<app::model::AuditEvent> = root.call("audit_log", &[("workspace", "acme")]).await.unwrap();
        assert!(events.iter().any(|e| e.action == "warnings changed"
            && e.details == "warning days none → 3 days; time zone UTC → Europe/Berlin"));
        let notifier = app.notifier(Some(&smtp));
        let mut subjects = Vec::new();
        for at in [
            expires - 25 * DAY,
            expires - 20 * DAY + 1,
            expires - 7 * DAY,
            expires - 3 * DAY + 1,
            expires + 1,
        ] {
            notifier.round(at).await.unwrap();
            subjects = smtp.messages().into_iter().map(|m| m.subject).collect();
        }
        let body = &smtp.messages()[0].body;
        assert!(
            body.contains("UTC (") && body.contains("Europe/Berlin)"),
            "the expiry in UTC and the workspace's zone: {body}"
        );
        subjects.sort();
        assert_eq!(subjects.len(), 3, "{subjects:?}");
        assert!(subjects.iter().any(|s| s.contains("expires in 20 days")));
        assert!(subjects.iter().any(|s| s.contains("expires in 3 days")));
        assert!(subjects.iter().any(|s| s.contains("has expired")));
    }
);

both_backends!(
    the_banner_warns_of_tokens_expiring_within_7_days,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_root, alice, bob) = world(&app).await;
        let none: Option<ExpiringNotice> = alice.call("expiring_notice", &[]).await.unwrap();
        assert!(none.is_none());
        repo_token(&alice, "deploy", "7").await;
        repo_token(&alice, "later", "30").await;
        let notice: Option<ExpiringNotice> = alice.call("expiring_notice", &[]).await.unwrap();
        let notice = notice.expect("a notice");
        assert_eq!((notice.count, notice.first_name.as_str()), (1, "deploy"));
        assert_eq!(notice.first_link, "/w/acme/repos/website/access-tokens");
        let page = alice.get("/w/acme").await.text().await.unwrap();
        assert!(
            page.contains("data-test=\"expiry-banner\"") && page.contains("Token \"deploy\" expires within 7 days"),
            "{page}"
        );
        let nothing: Option<ExpiringNotice> = bob.call("expiring_notice", &[]).await.unwrap();
        assert!(nothing.is_none(), "bob is neither its creator nor an admin of website");
        // "Expiring soon" is the last quarter of a token's lifetime: make
        // "deploy" a 37-day token with 7 days left.
        sqlx::query("UPDATE access_tokens SET created_at = created_at - 30 * 86400 WHERE name = 'deploy'")
            .execute(&app.db.pool)
            .await
            .unwrap();
        let count_page = alice
            .get("/w/acme/repos/website/access-tokens")
            .await
            .text()
            .await
            .unwrap();
        assert!(count_page.contains("Expiring soon: 1"), "the repository page counts it");
        assert!(
            count_page.contains("href=\"?show=expiring#tokens\""),
            "and links to the list filtered to it"
        );
    }
);
