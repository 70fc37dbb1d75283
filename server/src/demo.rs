//! A small demo so a newcomer can look around at once: an administrator,
//! two users, a workspace with two projects and a few repositories.
//! Passwords are random and printed once; none is written in the code.

use app::ssr::store::StoreError;
use app::ssr::{
    password::hash_blocking,
    store::{
        users::{self, NewUser},
        workspaces::{self, RoleTarget},
    },
    Db,
};
use rand::{distributions::Alphanumeric, Rng};
use tokenwarden::Role;

pub struct DemoAccount {
    pub username: &'static str,
    pub password: String,
    pub about: &'static str,
}

fn random_password() -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Seeds the demo into an empty database. Returns `None` (and changes
/// nothing) when the database already has users.
pub async fn seed(db: &Db) -> Result<Option<Vec<DemoAccount>>, String> {
    let err = |e: StoreError| format!("cannot create the demo: {}", app::error::AppError::from(e));
    if users::count(db).await.map_err(err)? > 0 {
        return Ok(None);
    }
    let people = [
        (
            "admin",
            "admin@demo.tokenwarden.test",
            "Ada Admin",
            true,
            "system administrator",
        ),
        (
            "alice",
            "alice@demo.tokenwarden.test",
            "Alice Example",
            false,
            "project admin of WEB in workspace acme",
        ),
        (
            "bob",
            "bob@demo.tokenwarden.test",
            "Bob Example",
            false,
            "member of workspace acme",
        ),
    ];
    let mut accounts = Vec::new();
    let mut ids = Vec::new();
    for (username, email, name, admin, about) in people {
        let password = random_password();
        let hash = tokio::task::spawn_blocking({
            let password = password.clone();
            move || hash_blocking(&password)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot create the demo: {e}"))?;
        let user = NewUser {
            username: username.into(),
            email: email.into(),
            display_name: name.into(),
            password_hash: hash,
            is_system_admin: admin,
        };
        let id = if admin {
            users::create_admin_from_cli(db, &user).await
        } else {
            users::create(db, &user).await
        }
        .map_err(err)?;
        ids.push(id);
        accounts.push(DemoAccount {
            username,
            password,
            about,
        });
    }
    let (admin, alice, bob) = (ids[0], ids[1], ids[2]);
    let acme = workspaces::create(db, "acme", "Acme Inc", admin, admin)
        .await
        .map_err(err)?;
    let web = workspaces::create_project(db, acme, "WEB", "Website")
        .await
        .map_err(err)?;
    let api = workspaces::create_project(db, acme, "API", "Platform API")
        .await
        .map_err(err)?;
    for (project, slug, name) in [
        (web, "website", "Website"),
        (web, "design-system", "Design system"),
        (api, "gateway", "API gateway"),
        (api, "billing", "Billing service"),
    ] {
        workspaces::create_repository(db, acme, project, slug, name)
            .await
            .map_err(err)?;
    }
    workspaces::grant(db, acme, alice, Role::ProjectAdmin, RoleTarget::Project(web))
        .await
        .map_err(err)?;
    workspaces::grant(db, acme, bob, Role::Member, RoleTarget::Workspace)
        .await
        .map_err(err)?;
    Ok(Some(accounts))
}

pub fn print_accounts(accounts: &[DemoAccount], url: &str) {
    println!("Demo data created. Sign in at {url} as:");
    for a in accounts {
        println!("  {:<6} password {}   ({})", a.username, a.password, a.about);
    }
    println!("These passwords are shown only now.");
}
