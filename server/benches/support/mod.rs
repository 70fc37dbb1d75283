//! What the benchmarks share: an app server on loopback with a fresh
//! database and a bench user, a personal token, and closed-loop clients
//! that record each request's latency. Each benchmark uses a part of it.
#![allow(dead_code)]

use app::ssr::{store::users, token_keys::TokenKeys, Db};
use rand::RngCore;
use server::config::DatabaseConfig;
use std::time::{Duration, Instant};
use tokenwarden::{permissions::TokenKind, token::PlainToken};

/// Concurrent clients measuring one endpoint.
pub const CONCURRENCY: usize = 16;

/// `TOKENWARDEN_BENCH_SECONDS`, or 5.
pub fn seconds() -> u64 {
    std::env::var("TOKENWARDEN_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

pub struct Bench {
    pub base: String,
    pub db: Db,
    /// The app's app-password verifier, to count argon2 work (the flood
    /// benchmark's).
    pub app_passwords: app::ssr::auth::app_password::AppPasswordVerifier,
    pub keys: TokenKeys,
    pub user_id: i64,
    _dir: tempfile::TempDir,
}

/// Serves the real app on loopback over SQLite, or over the empty PostgreSQL
/// database `TOKENWARDEN_BENCH_DATABASE_URL` names, with a user `bench`.
/// Loopback is a trusted proxy, so clients may set `X-Forwarded-For`.
pub async fn start() -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("TOKENWARDEN_BENCH_DATABASE_URL") {
        Ok(url) => DatabaseConfig::Postgres { url },
        Err(_) => DatabaseConfig::Sqlite {
            path: dir.path().join("bench.db"),
        },
    };
    let settings = server::Settings {
        notify: Default::default(),
        addr: "127.0.0.1:0".parse().unwrap(),
        database,
        auth: app::ssr::AuthSettings {
            trusted_proxies: tokenwarden::forwarded::TrustedProxies::parse("127.0.0.1/32").expect("a range"),
            ..Default::default()
        },
        token_key_file: dir.path().join("token-keys"),
        git_root: dir.path().join("git"),
        data_dir: dir.path().to_path_buf(),
        tokens: Default::default(),
    };
    let state = server::build_state(&settings).await.expect("app state");
    let db = state.db.clone();
    let app_passwords = state.app_passwords.clone();
    let keys = TokenKeys::load_or_create(&settings.token_key_file).expect("keys");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(listener, server::router(state), std::future::pending()));
    let user_id = users::create(
        &db,
        &users::NewUser {
            username: "bench".into(),
            email: "bench@example.com".into(),
            display_name: "Bench".into(),
            password_hash: "not used".into(),
            is_system_admin: false,
        },
    )
    .await
    .expect("user");
    Bench {
        base,
        db,
        app_passwords,
        keys,
        user_id,
        _dir: dir,
    }
}

impl Bench {
    /// Stores a personal REPO_READ token of the bench user; returns its
    /// `Authorization` header value.
    pub async fn bearer(&self) -> String {
        let mut random = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut random);
        let plain = PlainToken::new(TokenKind::Personal, random);
        let hashed = self.keys.hash(&plain);
        sqlx::query(
            "INSERT INTO access_tokens (kind, user_id, name, permissions, token_hash, key_id, created_at) \
             VALUES ('personal', $1, 'bench', 'REPO_READ', $2, $3, 0)",
        )
        .bind(self.user_id)
        .bind(&hashed.hash)
        .bind(&hashed.key_id)
        .execute(&self.db.pool)
        .await
        .expect("bench token");
        format!("Bearer {}", plain.expose())
    }
}

/// A client pooling [`CONCURRENCY`] connections, once `bearer` has been
/// seen to work on `url`.
pub async fn client_for(url: &str, bearer: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let status = client
        .get(url)
        .header("authorization", bearer)
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, 200, "the bench token must work on {url}");
    client
}

pub struct Figures {
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
}

pub fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        requests_per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// [`CONCURRENCY`] clients requesting `url` back to back until `until`;
/// every answer must be a success. Returns each request's latency.
pub async fn run(client: &reqwest::Client, url: &str, authorization: Option<&str>, until: Instant) -> Vec<Duration> {
    // Collected first: every client runs at once.
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, url, authorization) = (client.clone(), url.to_string(), authorization.map(str::to_string));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < until {
                    let sent = Instant::now();
                    let mut request = client.get(&url);
                    if let Some(value) = &authorization {
                        request = request.header("authorization", value);
                    }
                    let response = request.send().await.expect("request");
                    assert!(response.status().is_success(), "{url}: {}", response.status());
                    let _ = response.bytes().await.expect("body");
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    all
}

/// One figure's line: req/s, p50, p99.
pub fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name:<48} {:>10.0} {:>8.2}ms {:>8.2}ms",
        f.requests_per_sec,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3
    )
}

/// When filler tokens were made, expire and are next looked at by the
/// warning sweep (Unix seconds).
#[derive(Clone, Copy)]
pub struct Times {
    pub created: i64,
    pub expires: i64,
    pub next_look: i64,
}

/// Stores `count` personal REPO_READ tokens of `user_id` in bulk, with
/// random hashes: without expiry (created at 0) unless `times` says.
pub async fn fill(db: &Db, user_id: i64, count: usize, times: Option<Times>) {
    const BATCH: usize = 1_000;
    let mut rng = rand::thread_rng();
    let mut left = count;
    let mut tx = db.pool.begin().await.expect("transaction");
    let (created, expires, next_look) = match times {
        Some(t) => (t.created.to_string(), t.expires.to_string(), t.next_look.to_string()),
        None => ("0".into(), "NULL".into(), "NULL".into()),
    };
    while left > 0 {
        let n = left.min(BATCH);
        let rows: Vec<String> = (0..n)
            .map(|_| {
                let mut hash = [0u8; 32];
                rng.fill_bytes(&mut hash);
                let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                format!(
                    "('personal', {user_id}, 'filler', 'REPO_READ', '{hash}', 'k', {created}, {expires}, {next_look})"
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO access_tokens (kind, user_id, name, permissions, token_hash, key_id, created_at, expires_at, \
             next_warning_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(&mut *tx)
        .await
        .expect("filler tokens");
        left -= n;
    }
    tx.commit().await.expect("commit");
}
