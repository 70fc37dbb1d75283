//! Crash safety: the real binary is killed with SIGKILL while clients
//! create, edit and revoke tokens at once, then started again on the same
//! database. Whatever a client was told happened did happen: every token
//! whose secret it received authenticates (or is revoked, if it was told of
//! the revocation), every edit it was told of is there. No token exists
//! without its audit entry, no audit entry without its change, and the
//! database passes its own integrity check.

use crate::{
    cli::{create_admin, database_env, free_port, started, tokenwarden},
    common::{self, Backend, Client},
};
use app::model::{CreatedToken, TokenView};
use std::{
    collections::HashMap,
    process::{Child, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const PASSWORD: &str = "a crash test passphrase";
/// Clients sending changes at once.
const CLIENTS: usize = 8;

/// Starts the binary on `database`; returns it once it answers.
async fn start(database: &server::config::DatabaseConfig, port: u16) -> Child {
    let mut cmd = tokenwarden();
    database_env(&mut cmd, database);
    cmd.env("TOKENWARDEN_MAX_ACTIVE_TOKENS", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    started(cmd, port).await
}

/// What the clients were told happened, token by token.
#[derive(Default, Debug)]
struct Acknowledged {
    secrets: HashMap<i64, String>,
    /// The last name an edit was acknowledged with, and the one sent after it
    /// (which may have been stored before the answer was lost).
    names: HashMap<i64, (String, Option<String>)>,
    revoked: Vec<i64>,
    edits: usize,
}

/// An answer that is a server error fails the test: only a lost answer
/// (the server was killed) ends a client.
fn no_server_error<T>(answer: &Option<Result<T, common::Failure>>) {
    if let Some(Err(failure)) = answer {
        assert!(failure.status < 500, "a server error: {failure:?}");
    }
}

/// One client: create, edit, revoke, until the server is gone.
async fn traffic(client: Client, n: usize, seen: Arc<Mutex<Acknowledged>>) {
    let mut mine: Vec<i64> = Vec::new();
    for round in 0.. {
        let name = format!("c{n}-t{round}");
        let created = client
            .call_if_answered::<CreatedToken>(
                "create_token",
                &[
                    ("kind", "personal"),
                    ("name", &name),
                    ("repository_permission", "REPO_READ"),
                    ("expiry", "30"),
                ],
            )
            .await;
        no_server_error(&created);
        let Some(Ok(created)) = created else { return };
        let id = created.token.id;
        {
            let mut seen = seen.lock().unwrap();
            seen.secrets.insert(id, created.secret.into_exposed());
            seen.names.insert(id, (name, None));
        }
        mine.push(id);
        if round % 2 == 1 {
            let target = mine[mine.len() / 2];
            let new_name = format!("c{n}-t{round}-edited");
            seen.lock().unwrap().names.get_mut(&target).unwrap().1 = Some(new_name.clone());
            let edited = client
                .call_if_answered::<TokenView>(
                    "update_token",
                    &[
                        ("id", &target.to_string()),
                        ("name", &new_name),
                        ("repository_permission", "REPO_WRITE"),
                    ],
                )
                .await;
            no_server_error(&edited);
            match edited {
                Some(Ok(_)) => {
                    let mut seen = seen.lock().unwrap();
                    seen.names.insert(target, (new_name, None));
                    seen.edits += 1;
                }
                _ => return,
            }
        }
        if round % 3 == 2 {
            let target = mine.remove(0);
            let revoked = client
                .call_if_answered::<TokenView>("revoke_token", &[("id", &target.to_string())])
                .await;
            no_server_error(&revoked);
            match revoked {
                Some(Ok(_)) => seen.lock().unwrap().revoked.push(target),
                _ => return,
            }
        }
    }
}

async fn integrity_check(db: &app::ssr::Db, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            let (result,): (String,) = sqlx::query_as("PRAGMA integrity_check")
                .fetch_one(&db.pool)
                .await
                .unwrap();
            assert_eq!(result, "ok");
        }
        Backend::Postgres => {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
                .execute(&db.pool)
                .await
                .unwrap();
            // Every B-tree index against its table (with every heap tuple
            // indexed): the query fails if any disagree.
            let (checked,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM (SELECT bt_index_check(i.indexrelid, true) FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE am.amname = 'btree' AND n.nspname = 'public') checks",
            )
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert!(checked > 10, "{checked} indexes checked");
        }
    }
}

async fn kill_mid_traffic(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    assert!(create_admin(&database, "ops", PASSWORD).status.success());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database, port).await;

    let seen = Arc::new(Mutex::new(Acknowledged::default()));
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let client = Client::new(&base);
        client
            .call::<()>("login", &[("identifier", "ops"), ("password", PASSWORD)])
            .await
            .unwrap();
        clients.push(tokio::spawn(traffic(client, n, seen.clone())));
    }
    // Let changes pile up, then pull the plug mid-stream.
    let begun = Instant::now();
    while seen.lock().unwrap().revoked.len() < 20 && begun.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.secrets.len() >= 20 && !seen.revoked.is_empty(),
        "too little traffic: {seen:?}"
    );

    let mut server = start(&database, port).await;
    let http = reqwest::Client::new();
    for (id, secret) in &seen.secrets {
        let response = http
            .get(format!("{base}/rest/api/1.0/tokens/self"))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if seen.revoked.contains(id) {
            assert_eq!(status, 401, "token {id}: its revocation was acknowledged");
        } else if status != 200 {
            // Revoked by a request whose answer the kill cut off: allowed.
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["reason"], "revoked", "token {id}: {body}");
        }
    }

    let db = server::db::open(&database).await.unwrap();
    // Every edit acknowledged is there (or the one sent after it).
    for (id, (acked, in_flight)) in &seen.names {
        let (name,): (String,) = sqlx::query_as("SELECT name FROM access_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(
            &name == acked || Some(&name) == in_flight.as_ref(),
            "token {id}: {name} vs {acked}"
        );
    }
    // No token without its audit entry, no audit entry without its change.
    let orphans = |sql: &'static str| {
        let db = db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&db.pool).await.unwrap();
            n
        }
    };
    assert_eq!(
        orphans(
            "SELECT COUNT(*) FROM access_tokens t WHERE (SELECT COUNT(*) FROM audit_events a \
             WHERE a.token_id = t.id AND a.action = 'token created') <> 1"
        )
        .await,
        0,
        "a token without exactly one creation entry"
    );
    assert_eq!(
        orphans(
            "SELECT COUNT(*) FROM access_tokens t WHERE (SELECT COUNT(*) FROM audit_events a \
             WHERE a.token_id = t.id AND a.action = 'token revoked') <> \
             (CASE WHEN t.revoked_at IS NULL THEN 0 ELSE 1 END)"
        )
        .await,
        0,
        "a revocation without its entry, or an entry without its revocation"
    );
    assert_eq!(
        orphans(
            "SELECT COUNT(*) FROM audit_events a WHERE a.action LIKE 'token %' AND \
             NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.id = a.token_id)"
        )
        .await,
        0,
        "an entry about a token that does not exist"
    );
    // Each token's name is the one its latest edit entry gave it.
    let edits: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT t.id, t.name, a.details FROM access_tokens t JOIN audit_events a ON a.token_id = t.id \
         WHERE a.action = 'token edited' AND a.id = (SELECT MAX(b.id) FROM audit_events b \
         WHERE b.token_id = t.id AND b.action = 'token edited')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (id, name, details) in &edits {
        assert!(
            details.contains(&format!("→ \"{name}\"")),
            "token {id} named {name}: {details}"
        );
    }
    let (tokens,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let (entries,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    integrity_check(&db, backend).await;
    println!(
        "{backend:?} crash: {} creations, {} edits and {} revocations acknowledged before SIGKILL; after restart \
         {tokens} tokens and {entries} audit entries, all matched; integrity check passed",
        seen.secrets.len(),
        seen.edits,
        seen.revoked.len()
    );
    db.pool.close().await;
    server.kill().unwrap();
    server.wait().unwrap();
}

both_backends!(a_kill_mid_traffic_loses_nothing_acknowledged, kill_mid_traffic);
