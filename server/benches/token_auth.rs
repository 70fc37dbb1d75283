//! The token hot path under load, on loopback: throughput and p50/p99
//! latency of an authenticated REST read (`GET /rest/api/1.0/tokens/self`
//! with a Bearer token) against the same server's unauthenticated
//! `/healthz`, with 1,000 and with 1,000,000 tokens in the database.
//!
//! Run: `cargo bench -p server --bench token_auth` (SQLite, the embedded
//! default; set `TOKENWARDEN_BENCH_DATABASE_URL=postgres://…` for an empty
//! PostgreSQL database instead). `TOKENWARDEN_BENCH_SECONDS` (default 5)
//! sets how long each measurement runs; `TOKENWARDEN_BENCH_TOKENS=1000`
//! stops after the first row (for profiling).
//!
//! Goals: authenticated throughput at least 70% of `/healthz`'s; p99 with
//! 1,000,000 tokens within 1.5x of p99 with 1,000.

use app::ssr::{store::users, token_keys::TokenKeys};
use rand::RngCore;
use server::config::DatabaseConfig;
use std::time::{Duration, Instant};
use tokenwarden::{permissions::TokenKind, token::PlainToken};

const CONCURRENCY: usize = 16;
const BATCH: usize = 500;

struct Figures {
    requests_per_sec: f64,
    p50: Duration,
    p99: Duration,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds: u64 = std::env::var("TOKENWARDEN_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("TOKENWARDEN_BENCH_DATABASE_URL") {
        Ok(url) => DatabaseConfig::Postgres { url },
        Err(_) => DatabaseConfig::Sqlite {
            path: dir.path().join("bench.db"),
        },
    };
    let settings = server::Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database,
        auth: Default::default(),
        token_key_file: dir.path().join("token-keys"),
        git_root: dir.path().join("git"),
        tokens: Default::default(),
    };
    let state = server::build_state(&settings).await.expect("app state");
    let db = state.db.clone();
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

    // The token the requests present; the rest are stored alongside it.
    let mut random = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut random);
    let plain = PlainToken::new(TokenKind::Personal, random);
    let hashed = keys.hash(&plain);
    sqlx::query(
        "INSERT INTO access_tokens (kind, user_id, name, permissions, token_hash, key_id, created_at) \
         VALUES ('personal', $1, 'bench', 'REPO_READ', $2, $3, 0)",
    )
    .bind(user_id)
    .bind(&hashed.hash)
    .bind(&hashed.key_id)
    .execute(&db.pool)
    .await
    .expect("bench token");
    let bearer = format!("Bearer {}", plain.expose());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let healthz = format!("{base}/healthz");
    let authenticated = format!("{base}/rest/api/1.0/tokens/self");
    assert_eq!(
        client
            .get(&authenticated)
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    println!(
        "token hot path on loopback: {CONCURRENCY} concurrent clients, {seconds} s per figure, {}",
        db.backend.name()
    );
    println!(
        "{:>10}  {:<24} {:>10} {:>10} {:>10}",
        "tokens", "endpoint", "req/s", "p50", "p99"
    );
    let mut stored = 1usize;
    let mut p99_at = Vec::new();
    let largest: usize = std::env::var("TOKENWARDEN_BENCH_TOKENS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    for target in [1_000usize, 1_000_000].into_iter().filter(|&n| n <= largest) {
        let started = Instant::now();
        fill(&db, user_id, target - stored).await;
        stored = target;
        eprintln!("(stored {target} tokens in {:.1} s)", started.elapsed().as_secs_f64());
        let (open, auth) = measure_pair(&client, &healthz, &authenticated, &bearer, seconds).await;
        for (name, f) in [("/healthz", &open), ("GET tokens/self (Bearer)", &auth)] {
            println!(
                "{target:>10}  {name:<24} {:>10.0} {:>8.2}ms {:>8.2}ms",
                f.requests_per_sec,
                f.p50.as_secs_f64() * 1e3,
                f.p99.as_secs_f64() * 1e3
            );
        }
        let ratio = auth.requests_per_sec / open.requests_per_sec;
        println!(
            "{target:>10}  authenticated / unauthenticated throughput: {:.0}% (goal: at least 70%) {}",
            ratio * 100.0,
            if ratio >= 0.7 { "met" } else { "NOT MET" }
        );
        p99_at.push(auth.p99);
    }
    if p99_at.len() < 2 {
        return;
    }
    let growth = p99_at[1].as_secs_f64() / p99_at[0].as_secs_f64();
    println!(
        "authenticated p99 with 1,000,000 tokens / with 1,000: {growth:.2}x (goal: at most 1.5x) {}",
        if growth <= 1.5 { "met" } else { "NOT MET" }
    );
}

/// Stores `count` more personal tokens with random hashes, in batches.
async fn fill(db: &app::ssr::Db, user_id: i64, count: usize) {
    let mut rng = rand::thread_rng();
    let mut left = count;
    let mut tx = db.pool.begin().await.expect("transaction");
    while left > 0 {
        let n = left.min(BATCH);
        let rows: Vec<String> = (0..n)
            .map(|_| {
                let mut hash = [0u8; 32];
                rng.fill_bytes(&mut hash);
                format!(
                    "('personal', {user_id}, 'filler', 'REPO_READ', '{}', 'k', 0)",
                    hex(&hash)
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO access_tokens (kind, user_id, name, permissions, token_hash, key_id, created_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(&mut *tx)
        .await
        .expect("filler tokens");
        left -= n;
    }
    tx.commit().await.expect("commit");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Both endpoints, `seconds` each, measured in alternating half-second
/// rounds so that whatever else the machine does weighs on both alike.
async fn measure_pair(
    client: &reqwest::Client,
    open_url: &str,
    auth_url: &str,
    bearer: &str,
    seconds: u64,
) -> (Figures, Figures) {
    const ROUND: Duration = Duration::from_millis(500);
    // Warm up connections and caches first.
    run(client, open_url, None, Instant::now() + ROUND).await;
    run(client, auth_url, Some(bearer), Instant::now() + ROUND).await;
    let (mut open, mut auth) = ((Vec::new(), Duration::ZERO), (Vec::new(), Duration::ZERO));
    for _ in 0..seconds * 2 {
        for (url, authorization, into) in [(open_url, None, &mut open), (auth_url, Some(bearer), &mut auth)] {
            let started = Instant::now();
            into.0.extend(run(client, url, authorization, started + ROUND).await);
            into.1 += started.elapsed();
        }
    }
    (figures(open.0, open.1), figures(auth.0, auth.1))
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures {
        requests_per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

async fn run(client: &reqwest::Client, url: &str, authorization: Option<&str>, until: Instant) -> Vec<Duration> {
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
