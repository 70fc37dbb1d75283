//! Access tokens and expiry policies through the real server functions on
//! both databases: policy rules, forged requests, a race between a policy
//! change and token creations, editing, revoking, audit.

use crate::common;
use crate::common::{grant, ok, Client, TestApp};
use app::model::{AuditEvent, CreatedToken, PolicyView, TokenView};
use tokenwarden::token::TokenState;

/// acme / WEB / website with `alice` as repository admin of website and
/// `bob` as a plain member.
async fn world(app: &TestApp) -> (Client, Client, Client) {
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
    for slug in ["website", "docs"] {
        ok(
            &root,
            "create_repository",
            &[
                ("workspace", "acme"),
                ("project", "WEB"),
                ("slug", slug),
                ("name", slug),
            ],
        )
        .await;
    }
    let alice = app.user(&root, "alice").await;
    let bob = app.user(&root, "bob").await;
    grant(&root, "acme", "alice", "repository_admin", "website").await;
    grant(&root, "acme", "bob", "member", "").await;
    (root, alice, bob)
}

async fn repo_token(
    client: &Client,
    name: &str,
    permission: &str,
    expiry: &str,
) -> Result<CreatedToken, common::Failure> {
    client
        .call(
            "create_token",
            &[
                ("kind", "repository"),
                ("workspace", "acme"),
                ("repository", "website"),
                ("name", name),
                ("repository_permission", permission),
                ("expiry", expiry),
            ],
        )
        .await
}

async fn personal_token(client: &Client, name: &str, expiry: &str) -> Result<CreatedToken, common::Failure> {
    client
        .call(
            "create_token",
            &[
                ("kind", "personal"),
                ("name", name),
                ("repository_permission", "REPO_READ"),
                ("expiry", expiry),
            ],
        )
        .await
}

fn refused(e: &common::Failure, field: &str) {
    assert_eq!(e.status, 400, "{e:?}");
    assert_eq!(e.error.field(), Some(field), "{e:?}");
}

both_backends!(
    a_token_is_shown_once_and_stored_only_as_a_keyed_hash,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_root, alice, _bob) = world(&app).await;
        let created = repo_token(&alice, "CI deploy", "REPO_WRITE", "30").await.unwrap();
        assert_eq!(
            tokenwarden::token::check(created.secret.expose()),
            Ok(tokenwarden::permissions::TokenKind::Repository)
        );
        assert!(created.secret.expose().starts_with("twr_"));
        let expires = created.token.expires_at.unwrap();
        assert_eq!(expires - created.token.created_at, 30 * 86_400);
        assert_eq!(created.token.scope, "acme/WEB/website");

        let list: Vec<TokenView> = alice
            .call(
                "list_tokens",
                &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
            )
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].permissions, ["REPO_WRITE"]);
        assert_eq!(list[0].state(created.token.created_at), TokenState::Active);
        let listed = serde_json::to_string(&list).unwrap();
        assert!(
            !listed.contains(created.secret.expose()),
            "lists never carry the secret"
        );

        let (hash, key_id): (String, String) = sqlx::query_as("SELECT token_hash, key_id FROM access_tokens")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, created.secret.expose());
        let keys = app::ssr::token_keys::TokenKeys::load_or_create(&app.token_key_file).unwrap();
        assert!(keys
            .candidates(created.secret.expose())
            .iter()
            .any(|h| h.hash == hash && h.key_id == key_id));
        let dump: Vec<(String, String)> = sqlx::query_as("SELECT name, permissions FROM access_tokens")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        assert!(!format!("{dump:?}").contains(created.secret.expose()));
    }
);

both_backends!(
    each_policy_keeps_its_pre_selected_expiry_within_its_maximum,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, _) = world(&app).await;
        // Unset, 30 days, for workspace and personal tokens alike.
        let policy: PolicyView = root
            .call("get_workspace_policy", &[("workspace", "acme")])
            .await
            .unwrap();
        assert_eq!(policy.effective.default_days, 30);
        let policy: PolicyView = root.call("get_system_policy", &[]).await.unwrap();
        assert_eq!(policy.effective.default_days, 30);

        // Kept with the policy, and what the create form is given.
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "180"), ("default_days", "90")],
        )
        .await;
        let policy: PolicyView = alice
            .call(
                "token_policy",
                &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
            )
            .await
            .unwrap();
        assert_eq!((policy.effective.max_days, policy.effective.default_days), (180, 90));

        // Beyond the maximum, or not a preset: refused on `default_days`, nothing changed.
        for (max, default) in [("90", "180"), ("365", "14"), ("365", "soon")] {
            refused(
                &root
                    .call::<()>(
                        "set_workspace_policy",
                        &[("workspace", "acme"), ("max_days", max), ("default_days", default)],
                    )
                    .await
                    .unwrap_err(),
                "default_days",
            );
        }
        refused(
            &root
                .call::<()>(
                    "set_system_policy",
                    &[("expiry_required", "on"), ("max_days", "45"), ("default_days", "60")],
                )
                .await
                .unwrap_err(),
            "default_days",
        );
        let policy: PolicyView = root
            .call("get_workspace_policy", &[("workspace", "acme")])
            .await
            .unwrap();
        assert_eq!(
            policy.workspace.map(|w| (w.max_days(), w.default_days())),
            Some((180, 90))
        );

        ok(
            &root,
            "set_system_policy",
            &[("expiry_required", "on"), ("max_days", "45"), ("default_days", "7")],
        )
        .await;
        let policy: PolicyView = alice.call("token_policy", &[("kind", "personal")]).await.unwrap();
        assert_eq!((policy.effective.max_days, policy.effective.default_days), (45, 7));
        let events: Vec<AuditEvent> = root.call("audit_log", &[]).await.unwrap();
        assert!(
            events.iter().any(|e| e
                .details
                .ends_with("expiry required: yes, max days: 45, default 7 days")),
            "{events:?}"
        );
    }
);

both_backends!(
    the_workspace_policy_bounds_every_level_and_forged_requests_fail,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        // Defaults: 365 days, no "No expiry".
        let policy: PolicyView = root
            .call("get_workspace_policy", &[("workspace", "acme")])
            .await
            .unwrap();
        assert_eq!(
            (policy.effective.max_days, policy.effective.allows_no_expiry()),
            (365, false)
        );
        assert!(repo_token(&alice, "year", "REPO_READ", "365").await.is_ok());
        refused(
            &repo_token(&alice, "forever", "REPO_READ", "never").await.unwrap_err(),
            "expiry",
        );

        // Only workspace admins set the policy, and only to offered values.
        assert_eq!(
            alice
                .call::<()>("set_workspace_policy", &[("workspace", "acme"), ("max_days", "90")])
                .await
                .unwrap_err()
                .status,
            403
        );
        refused(
            &root
                .call::<()>("set_workspace_policy", &[("workspace", "acme"), ("max_days", "45")])
                .await
                .unwrap_err(),
            "max_days",
        );
        refused(
            &root
                .call::<()>("set_workspace_policy", &[("workspace", "acme"), ("max_days", "lots")])
                .await
                .unwrap_err(),
            "max_days",
        );
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "90")],
        )
        .await;
        let policy: PolicyView = root
            .call("get_workspace_policy", &[("workspace", "acme")])
            .await
            .unwrap();
        assert_eq!(policy.effective.max_days, 90);
        assert_eq!(
            policy.tokens_beyond_policy.len(),
            1,
            "the 365-day token made earlier now exceeds the policy"
        );
        assert_eq!(policy.tokens_beyond_policy[0].name, "year");

        // Requests the browser would never send are refused by the server.
        let e = repo_token(&alice, "long", "REPO_READ", "180").await.unwrap_err();
        refused(&e, "expiry");
        assert_eq!(
            e.error.to_string(),
            "Longer than the 90 days the workspace policy allows."
        );
        // Any whole number of days within the policy is taken (as over
        // REST), but never none or beyond it.
        let odd = repo_token(&alice, "odd", "REPO_READ", "14").await.unwrap();
        assert_eq!(
            odd.token.expires_at.map(|at| at - odd.token.created_at),
            Some(14 * 86_400)
        );
        refused(
            &repo_token(&alice, "zero", "REPO_READ", "0").await.unwrap_err(),
            "expiry",
        );
        refused(
            &repo_token(&alice, "none", "REPO_READ", "").await.unwrap_err(),
            "expiry",
        );
        let far = (chrono::Utc::now() + chrono::Duration::days(120))
            .format("%Y-%m-%d")
            .to_string();
        let e = alice
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "repository"),
                    ("workspace", "acme"),
                    ("repository", "website"),
                    ("name", "far"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "custom"),
                    ("expiry_date", &far),
                    ("utc_offset_minutes", "0"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "expiry");
        let soon = (chrono::Utc::now() + chrono::Duration::days(20))
            .format("%Y-%m-%d")
            .to_string();
        let custom: CreatedToken = alice
            .call(
                "create_token",
                &[
                    ("kind", "repository"),
                    ("workspace", "acme"),
                    ("repository", "website"),
                    ("name", "soon"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "custom"),
                    ("expiry_date", &soon),
                    ("utc_offset_minutes", "120"),
                ],
            )
            .await
            .unwrap();
        let end_of_day = chrono::NaiveDate::parse_from_str(&soon, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(21, 59, 59)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(custom.token.expires_at, Some(end_of_day), "end of the day in UTC+2");
        assert!(repo_token(&alice, "ok", "REPO_READ", "90").await.is_ok());

        // The policy reaches project and workspace tokens and personal tokens are not bound by it.
        let e = root
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "project"),
                    ("workspace", "acme"),
                    ("project", "WEB"),
                    ("name", "p"),
                    ("project_permission", "PROJECT_READ"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "180"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "expiry");
        let e = root
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "workspace"),
                    ("workspace", "acme"),
                    ("name", "w"),
                    ("workspace_permission", "WORKSPACE_READ"),
                    ("expiry", "365"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "expiry");
        assert!(personal_token(&bob, "laptop", "365").await.is_ok());

        // Allowing "No expiry" makes it available.
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "180"), ("allow_no_expiry", "on")],
        )
        .await;
        let forever = repo_token(&alice, "forever", "REPO_READ", "never").await.unwrap();
        assert_eq!(forever.token.expires_at, None);
    }
);

both_backends!(
    the_system_policy_bounds_every_workspace_and_personal_tokens,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        assert_eq!(
            alice
                .call::<()>("set_system_policy", &[("expiry_required", "on"), ("max_days", "30")])
                .await
                .unwrap_err()
                .status,
            403
        );
        refused(
            &root
                .call::<()>("set_system_policy", &[("expiry_required", "on"), ("max_days", "0")])
                .await
                .unwrap_err(),
            "max_days",
        );
        refused(
            &root
                .call::<()>("set_system_policy", &[("expiry_required", "on"), ("max_days", "3651")])
                .await
                .unwrap_err(),
            "max_days",
        );
        ok(
            &root,
            "set_workspace_policy",
            &[("workspace", "acme"), ("max_days", "365"), ("allow_no_expiry", "on")],
        )
        .await;
        ok(
            &root,
            "set_system_policy",
            &[("expiry_required", "on"), ("max_days", "45")],
        )
        .await;

        let policy: PolicyView = alice
            .call(
                "token_policy",
                &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
            )
            .await
            .unwrap();
        assert_eq!(
            (policy.effective.max_days, policy.effective.max_days_source),
            (45, tokenwarden::policy::Source::System)
        );
        let e = repo_token(&alice, "sixty", "REPO_READ", "60").await.unwrap_err();
        assert_eq!(e.error.to_string(), "Longer than the 45 days the system policy allows.");
        assert_eq!(
            repo_token(&alice, "never", "REPO_READ", "never")
                .await
                .unwrap_err()
                .error
                .to_string(),
            "The system policy requires an expiry."
        );
        assert!(repo_token(&alice, "thirty", "REPO_READ", "30").await.is_ok());

        refused(&personal_token(&bob, "sixty", "60").await.unwrap_err(), "expiry");
        refused(&personal_token(&bob, "never", "never").await.unwrap_err(), "expiry");
        let mine = personal_token(&bob, "laptop", "30").await.unwrap();
        assert!(mine.secret.expose().starts_with("twu_"));
        let policy: PolicyView = root.call("get_system_policy", &[]).await.unwrap();
        assert!(policy.tokens_beyond_policy.is_empty());
    }
);

both_backends!(
    permissions_follow_bitbucket_rules_and_never_exceed_the_creator,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        let project = |perm_p: &'static str, perm_r: &'static str| {
            let root = root.clone();
            async move {
                root.call::<CreatedToken>(
                    "create_token",
                    &[
                        ("kind", "project"),
                        ("workspace", "acme"),
                        ("project", "WEB"),
                        ("name", "p"),
                        ("project_permission", perm_p),
                        ("repository_permission", perm_r),
                        ("expiry", "30"),
                    ],
                )
                .await
            }
        };
        let e = project("PROJECT_WRITE", "REPO_READ").await.unwrap_err();
        refused(&e, "permissions");
        assert!(e.error.to_string().contains("PROJECT_WRITE needs REPO_WRITE or higher"));
        assert!(project("PROJECT_WRITE", "REPO_WRITE").await.is_ok());
        refused(&project("PROJECT_OWNER", "REPO_READ").await.unwrap_err(), "permissions");
        refused(&repo_token(&alice, "none", "", "30").await.unwrap_err(), "permissions");
        let e = alice
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "repository"),
                    ("workspace", "acme"),
                    ("repository", "website"),
                    ("name", " "),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("name"));

        // A member has write on repositories: a personal token may not get admin.
        let e = bob
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "personal"),
                    ("name", "x"),
                    ("repository_permission", "REPO_ADMIN"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "permissions");
        assert!(e.error.to_string().contains("REPO_ADMIN"));
        // Nobody creates tokens where they are not admin.
        assert_eq!(repo_token(&bob, "x", "REPO_READ", "30").await.unwrap_err().status, 403);
        let docs = alice
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "repository"),
                    ("workspace", "acme"),
                    ("repository", "docs"),
                    ("name", "x"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(docs.status, 403, "alice administers website, not docs");
        ok(
            &root,
            "create_workspace",
            &[("slug", "globex"), ("name", "Globex"), ("admin_username", "")],
        )
        .await;
        let other = alice
            .call::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "workspace"),
                    ("workspace", "globex"),
                    ("name", "x"),
                    ("workspace_permission", "WORKSPACE_READ"),
                    ("expiry", "30"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(other.status, 404);
        let visitor = app.client();
        assert_eq!(personal_token(&visitor, "x", "30").await.unwrap_err().status, 401);
    }
);

both_backends!(
    edit_changes_name_and_permissions_never_expiry_and_revoke_sticks,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, bob) = world(&app).await;
        let t = repo_token(&alice, "CI", "REPO_READ", "30").await.unwrap().token;
        let id = t.id.to_string();
        let edited: TokenView = alice
            .call(
                "update_token",
                &[
                    ("id", &id),
                    ("name", "CI deploy"),
                    ("repository_permission", "REPO_WRITE"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            (edited.name.as_str(), edited.permissions.clone(), edited.expires_at),
            ("CI deploy", vec!["REPO_WRITE".to_string()], t.expires_at)
        );
        let e = alice
            .call::<TokenView>(
                "update_token",
                &[
                    ("id", &id),
                    ("name", "CI"),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "365"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "expiry");
        assert_eq!(
            e.error.to_string(),
            "A token's expiry cannot be changed. Create a new token instead."
        );
        let e = alice
            .call::<TokenView>(
                "update_token",
                &[
                    ("id", &id),
                    ("name", "CI"),
                    ("repository_permission", "REPO_READ"),
                    ("expires_at", "9999999999"),
                ],
            )
            .await
            .unwrap_err();
        refused(&e, "expiry");
        // Others cannot see that the token exists.
        assert_eq!(
            bob.call::<TokenView>("revoke_token", &[("id", &id)])
                .await
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            bob.call::<TokenView>(
                "update_token",
                &[("id", &id), ("name", "mine"), ("repository_permission", "REPO_READ")]
            )
            .await
            .unwrap_err()
            .status,
            404
        );
        assert_eq!(
            bob.call::<TokenView>("revoke_token", &[("id", "999999")])
                .await
                .unwrap_err()
                .status,
            404
        );

        let revoked: TokenView = alice.call("revoke_token", &[("id", &id)]).await.unwrap();
        assert_eq!(revoked.state(revoked.created_at), TokenState::Revoked);
        assert_eq!(
            alice
                .call::<TokenView>("revoke_token", &[("id", &id)])
                .await
                .unwrap_err()
                .status,
            409
        );
        assert_eq!(
            alice
                .call::<TokenView>(
                    "update_token",
                    &[("id", &id), ("name", "again"), ("repository_permission", "REPO_READ")]
                )
                .await
                .unwrap_err()
                .status,
            409
        );
        let list: Vec<TokenView> = root
            .call(
                "list_tokens",
                &[("kind", "repository"), ("workspace", "acme"), ("repository", "website")],
            )
            .await
            .unwrap();
        assert!(list[0].revoked_at.is_some(), "revoked tokens stay listed");

        // System admins manage (not create) other users' personal tokens.
        let laptop = personal_token(&bob, "laptop", "30").await.unwrap().token;
        assert_eq!(
            alice
                .call::<Vec<TokenView>>("list_tokens", &[("kind", "personal"), ("user", "bob")])
                .await
                .unwrap_err()
                .status,
            403
        );
        let bobs: Vec<TokenView> = root
            .call("list_tokens", &[("kind", "personal"), ("user", "bob")])
            .await
            .unwrap();
        assert_eq!(bobs.iter().map(|t| t.id).collect::<Vec<_>>(), [laptop.id]);
        // A system admin's own personal token is theirs; there is no form to make one for someone else.
        let own = personal_token(&root, "admin laptop", "30").await.unwrap();
        assert_eq!(own.token.scope, "root");
        let renamed: TokenView = root
            .call(
                "update_token",
                &[
                    ("id", &laptop.id.to_string()),
                    ("name", "old laptop"),
                    ("repository_permission", "REPO_READ"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(renamed.name, "old laptop");
        let _: TokenView = root
            .call("revoke_token", &[("id", &laptop.id.to_string())])
            .await
            .unwrap();

        let events: Vec<AuditEvent> = root.call("audit_log", &[("workspace", "")]).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        for expected in ["token created", "token edited", "token revoked"] {
            assert!(actions.contains(&expected), "{actions:?}");
        }
        assert!(events.iter().all(|e| e.client_addr == "127.0.0.1"));
        assert_eq!(
            bob.call::<Vec<AuditEvent>>("audit_log", &[("workspace", "acme")])
                .await
                .unwrap_err()
                .status,
            403
        );
        let acme: Vec<AuditEvent> = root.call("audit_log", &[("workspace", "acme")]).await.unwrap();
        assert!(acme
            .iter()
            .all(|e| e.action != "token created" || e.target.contains("acme")));
    }
);

both_backends!(the_active_token_cap_gives_a_clear_error, |backend| async move {
    let app = TestApp::spawn_configured(
        backend,
        Default::default(),
        app::ssr::TokenSettings {
            max_active_per_owner: 2,
        },
    )
    .await;
    let (_root, _alice, bob) = world(&app).await;
    let first = personal_token(&bob, "one", "7").await.unwrap();
    personal_token(&bob, "two", "7").await.unwrap();
    let e = personal_token(&bob, "three", "7").await.unwrap_err();
    refused(&e, "tokens");
    assert_eq!(
        e.error.to_string(),
        "This account already has 2 active tokens, the most allowed. Revoke one you no longer use first."
    );
    let _: TokenView = bob
        .call("revoke_token", &[("id", &first.token.id.to_string())])
        .await
        .unwrap();
    assert!(personal_token(&bob, "three", "7").await.is_ok());
});

both_backends!(
    a_policy_tightened_during_creations_is_never_exceeded,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let (root, alice, _bob) = world(&app).await;
        let creations: Vec<_> = (0..8)
            .map(|i| {
                let alice = alice.clone();
                tokio::spawn(async move { repo_token(&alice, &format!("t{i}"), "REPO_READ", "365").await.ok() })
            })
            .collect();
        let tighten = {
            let root = root.clone();
            tokio::spawn(async move {
                ok(
                    &root,
                    "set_workspace_policy",
                    &[("workspace", "acme"), ("max_days", "90")],
                )
                .await
            })
        };
        let mut created = Vec::new();
        for c in creations {
            created.extend(c.await.unwrap());
        }
        tighten.await.unwrap();
        // Every 365-day token was stored before the policy change was.
        let (change_id,): (i64,) =
            sqlx::query_as("SELECT id FROM audit_events WHERE action = 'workspace policy changed'")
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        for c in &created {
            let target = format!("repository token #{} ", c.token.id);
            let (event_id,): (i64,) =
                sqlx::query_as("SELECT id FROM audit_events WHERE action = 'token created' AND target LIKE $1")
                    .bind(format!("{target}%"))
                    .fetch_one(&app.db.pool)
                    .await
                    .unwrap();
            assert!(
                event_id < change_id,
                "token {} was created under the old policy after it changed",
                c.token.id
            );
        }
        // And after it, 365 days is refused.
        refused(
            &repo_token(&alice, "late", "REPO_READ", "365").await.unwrap_err(),
            "expiry",
        );
    }
);
