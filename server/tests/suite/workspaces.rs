//! Users, workspaces, projects, repositories and roles: who may see and do
//! what, checked through the real server functions on both databases.

use crate::common;
use crate::common::{create_user, grant, ok, Client, TestApp};
use app::{
    error::AppError,
    model::{MemberView, UserSummary, WorkspaceSummary, WorkspaceView},
};
use tokenwarden::Access;

async fn workspace(client: &Client, slug: &str) -> Result<WorkspaceView, common::Failure> {
    client.call("get_workspace", &[("workspace", slug)]).await
}

/// acme with projects WEB (repos website, docs) and API (repo gateway).
async fn acme(app: &TestApp) -> Client {
    let admin = app.admin().await;
    ok(
        &admin,
        "create_workspace",
        &[("slug", "Acme"), ("name", "Acme Inc"), ("admin_username", "")],
    )
    .await;
    ok(
        &admin,
        "create_project",
        &[("workspace", "acme"), ("key", "web"), ("name", "Website")],
    )
    .await;
    ok(
        &admin,
        "create_project",
        &[("workspace", "acme"), ("key", "API"), ("name", "API")],
    )
    .await;
    for (project, slug) in [("WEB", "website"), ("WEB", "docs"), ("API", "gateway")] {
        ok(
            &admin,
            "create_repository",
            &[
                ("workspace", "acme"),
                ("project", project),
                ("slug", slug),
                ("name", slug),
            ],
        )
        .await;
    }
    admin
}

both_backends!(
    only_system_admins_administer_users_and_workspaces,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let member = app.user(&admin, "bob").await;
        let visitor = app.client();

        for client in [&member, &visitor] {
            let expected = if std::ptr::eq(client, &visitor) { 401 } else { 403 };
            assert_eq!(
                client
                    .call::<Vec<UserSummary>>("list_users", &[])
                    .await
                    .unwrap_err()
                    .status,
                expected
            );
            let e = client
                .call::<()>(
                    "create_user",
                    &[
                        ("username", "eve"),
                        ("email", "eve@example.com"),
                        ("display_name", "Eve"),
                        ("password", common::USER_PASSWORD),
                        ("password_confirmation", common::USER_PASSWORD),
                        ("system_admin", "on"),
                    ],
                )
                .await
                .unwrap_err();
            assert_eq!(e.status, expected);
            let e = client
                .call::<()>(
                    "create_workspace",
                    &[("slug", "evil"), ("name", "Evil"), ("admin_username", "bob")],
                )
                .await
                .unwrap_err();
            assert_eq!(e.status, expected);
        }
        let users: Vec<UserSummary> = admin.call("list_users", &[]).await.unwrap();
        assert_eq!(
            users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(),
            ["bob", "root"]
        );
        assert!(!users[0].is_system_admin);
        assert!(admin
            .call::<Vec<WorkspaceSummary>>("list_workspaces", &[])
            .await
            .unwrap()
            .is_empty());
    }
);

both_backends!(creating_users_checks_input_and_duplicates, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    create_user(&admin, "alice").await;
    let p = common::USER_PASSWORD;
    let dup_name = admin
        .call::<()>(
            "create_user",
            &[
                ("username", "Alice"),
                ("email", "other@example.com"),
                ("display_name", "A"),
                ("password", p),
                ("password_confirmation", p),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(
        (dup_name.status, dup_name.error.to_string().as_str()),
        (400, "Username is already taken")
    );
    let dup_email = admin
        .call::<()>(
            "create_user",
            &[
                ("username", "alice2"),
                ("email", "ALICE@example.com"),
                ("display_name", "A"),
                ("password", p),
                ("password_confirmation", p),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(dup_email.error.field(), Some("email"));
    // A new system admin can administer.
    admin
        .call::<()>(
            "create_user",
            &[
                ("username", "carol"),
                ("email", "carol@example.com"),
                ("display_name", "Carol"),
                ("password", p),
                ("password_confirmation", p),
                ("system_admin", "on"),
            ],
        )
        .await
        .unwrap();
    let carol = app.client();
    carol
        .call::<()>("login", &[("identifier", "carol"), ("password", p)])
        .await
        .unwrap();
    assert_eq!(
        carol.call::<Vec<UserSummary>>("list_users", &[]).await.unwrap().len(),
        3
    );
});

both_backends!(members_see_only_their_workspaces, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let admin = acme(&app).await;
    ok(
        &admin,
        "create_workspace",
        &[("slug", "globex"), ("name", "Globex"), ("admin_username", "")],
    )
    .await;
    let bob = app.user(&admin, "bob").await;

    // Not a member yet: the workspace is invisible, not merely forbidden.
    assert!(bob
        .call::<Vec<WorkspaceSummary>>("list_workspaces", &[])
        .await
        .unwrap()
        .is_empty());
    let hidden = workspace(&bob, "acme").await.unwrap_err();
    assert_eq!(
        (hidden.status, hidden.error),
        (404, AppError::NotFound("Workspace".into()))
    );
    assert_eq!(workspace(&bob, "no-such-workspace").await.unwrap_err().status, 404);

    grant(&admin, "acme", "bob", "member", "").await;
    let list: Vec<WorkspaceSummary> = bob.call("list_workspaces", &[]).await.unwrap();
    assert_eq!(list.iter().map(|w| w.slug.as_str()).collect::<Vec<_>>(), ["acme"]);
    assert_eq!(list[0].access, Access::Read);
    let ws = workspace(&bob, "acme").await.unwrap();
    assert!(!ws.can_open_settings);
    assert_eq!(ws.projects.len(), 2);
    assert!(ws.projects.iter().all(|p| p.access == Access::Read));
    assert!(ws
        .projects
        .iter()
        .flat_map(|p| &p.repositories)
        .all(|r| r.access == Access::Write));
    assert_eq!(workspace(&bob, "globex").await.unwrap_err().status, 404);

    // A member changes nothing.
    let e = bob
        .call::<()>(
            "create_project",
            &[("workspace", "acme"), ("key", "OPS"), ("name", "Ops")],
        )
        .await
        .unwrap_err();
    assert_eq!((e.status, e.error), (403, AppError::Forbidden));
    let e = bob
        .call::<()>(
            "create_repository",
            &[("workspace", "acme"), ("project", "WEB"), ("slug", "x"), ("name", "x")],
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, 403);
    let e = bob
        .call::<Vec<MemberView>>("list_members", &[("workspace", "acme")])
        .await
        .unwrap_err();
    assert_eq!(e.status, 403);
    let e = bob
        .call::<()>(
            "add_member",
            &[
                ("workspace", "acme"),
                ("username", "bob"),
                ("role", "workspace_admin"),
                ("target", ""),
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, 403, "members must not promote themselves");
    let e = bob
        .call::<()>("remove_member", &[("workspace", "acme"), ("username", "root")])
        .await
        .unwrap_err();
    assert_eq!(e.status, 403);
});

both_backends!(
    project_and_repository_admins_are_limited_to_their_resource,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let admin = acme(&app).await;
        let alice = app.user(&admin, "alice").await;
        let carol = app.user(&admin, "carol").await;
        grant(&admin, "acme", "alice", "project_admin", "WEB").await;
        grant(&admin, "acme", "carol", "repository_admin", "gateway").await;

        let ws = workspace(&alice, "acme").await.unwrap();
        assert!(ws.can_open_settings);
        let web = ws.projects.iter().find(|p| p.key == "WEB").unwrap();
        let api = ws.projects.iter().find(|p| p.key == "API").unwrap();
        assert_eq!((web.access, api.access), (Access::Admin, Access::Read));
        ok(
            &alice,
            "create_repository",
            &[
                ("workspace", "acme"),
                ("project", "WEB"),
                ("slug", "blog"),
                ("name", "Blog"),
            ],
        )
        .await;
        let e = alice
            .call::<()>(
                "create_repository",
                &[("workspace", "acme"), ("project", "API"), ("slug", "x"), ("name", "x")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 403);
        let e = alice
            .call::<()>(
                "create_project",
                &[("workspace", "acme"), ("key", "NEW"), ("name", "New")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 403);
        let e = alice
            .call::<Vec<MemberView>>("list_members", &[("workspace", "acme")])
            .await
            .unwrap_err();
        assert_eq!(e.status, 403);

        let ws = workspace(&carol, "acme").await.unwrap();
        let gateway = ws
            .projects
            .iter()
            .flat_map(|p| &p.repositories)
            .find(|r| r.slug == "gateway")
            .unwrap();
        let website = ws
            .projects
            .iter()
            .flat_map(|p| &p.repositories)
            .find(|r| r.slug == "website")
            .unwrap();
        assert_eq!((gateway.access, website.access), (Access::Admin, Access::Write));
        let e = carol
            .call::<()>(
                "create_repository",
                &[("workspace", "acme"), ("project", "API"), ("slug", "y"), ("name", "y")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 403);

        let members: Vec<MemberView> = admin.call("list_members", &[("workspace", "acme")]).await.unwrap();
        let alice_row = members.iter().find(|m| m.username == "alice").unwrap();
        assert_eq!(alice_row.admin_of_projects, ["WEB"]);
        assert!(!alice_row.workspace_admin);
        assert_eq!(
            members
                .iter()
                .find(|m| m.username == "carol")
                .unwrap()
                .admin_of_repositories,
            ["gateway"]
        );

        // Removing a member removes every role they held.
        ok(&admin, "remove_member", &[("workspace", "acme"), ("username", "alice")]).await;
        assert_eq!(workspace(&alice, "acme").await.unwrap_err().status, 404);
        let e = alice
            .call::<()>(
                "create_repository",
                &[("workspace", "acme"), ("project", "WEB"), ("slug", "z"), ("name", "z")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 404);
    }
);

both_backends!(
    workspace_admins_manage_projects_repositories_and_members,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let root = app.admin().await;
        let dana = app.user(&root, "dana").await;
        ok(
            &root,
            "create_workspace",
            &[("slug", "initech"), ("name", "Initech"), ("admin_username", "dana")],
        )
        .await;
        // dana is not a system admin but administers her workspace.
        assert_eq!(
            dana.call::<Vec<UserSummary>>("list_users", &[])
                .await
                .unwrap_err()
                .status,
            403
        );
        ok(
            &dana,
            "create_project",
            &[("workspace", "initech"), ("key", "TPS"), ("name", "TPS reports")],
        )
        .await;
        ok(
            &dana,
            "create_repository",
            &[
                ("workspace", "initech"),
                ("project", "TPS"),
                ("slug", "covers"),
                ("name", "Cover sheets"),
            ],
        )
        .await;

        // Input errors name the field.
        let e = dana
            .call::<()>(
                "create_project",
                &[("workspace", "initech"), ("key", "tps"), ("name", "Again")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.error.field()), (400, Some("key")));
        let e = dana
            .call::<()>(
                "create_project",
                &[("workspace", "initech"), ("key", "9X"), ("name", "Bad")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("key"));
        let e = dana
            .call::<()>(
                "create_repository",
                &[
                    ("workspace", "initech"),
                    ("project", "TPS"),
                    ("slug", "covers"),
                    ("name", "Dup"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("slug"));
        let e = dana
            .call::<()>(
                "create_repository",
                &[
                    ("workspace", "initech"),
                    ("project", "NOPE"),
                    ("slug", "x"),
                    ("name", "x"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("project"));
        let e = dana
            .call::<()>(
                "add_member",
                &[
                    ("workspace", "initech"),
                    ("username", "nobody"),
                    ("role", "member"),
                    ("target", ""),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("username"));
        let e = dana
            .call::<()>(
                "add_member",
                &[
                    ("workspace", "initech"),
                    ("username", "root"),
                    ("role", "owner"),
                    ("target", ""),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("role"));
        let e = dana
            .call::<()>(
                "add_member",
                &[
                    ("workspace", "initech"),
                    ("username", "root"),
                    ("role", "project_admin"),
                    ("target", "covers"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("project"));
        let e = root
            .call::<()>(
                "create_workspace",
                &[("slug", "initech"), ("name", "Dup"), ("admin_username", "")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.error.field(), Some("slug"));

        // The last admin cannot leave or be demoted.
        let e = dana
            .call::<()>("remove_member", &[("workspace", "initech"), ("username", "dana")])
            .await
            .unwrap_err();
        assert_eq!(e.status, 409);
        let e = dana
            .call::<()>(
                "add_member",
                &[
                    ("workspace", "initech"),
                    ("username", "dana"),
                    ("role", "member"),
                    ("target", ""),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 409);
        // With a second admin, she can step down.
        grant(&dana, "initech", "root", "workspace_admin", "").await;
        grant(&dana, "initech", "dana", "member", "").await;
        assert_eq!(workspace(&dana, "initech").await.unwrap().access, Access::Read);
    }
);
