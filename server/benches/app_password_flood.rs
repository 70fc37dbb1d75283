//! Does a flood of bad app-password attempts starve token-authenticated
//! requests, or other users' app passwords? On loopback: throughput and
//! p50/p99 of `GET tokens/self` with a Bearer token, alone and while FLOOD
//! clients send wrong app passwords for a real user with the most app
//! passwords allowed (the worst case: every attempt is well formed and costs
//! argon2 against each of them), in two shapes: all from one address (the
//! throttle refuses it after a few attempts), and each attempt from a new
//! address (through the trusted proxy: the throttle never binds, so only the
//! per-user share of the argon2 workers and their duty cycle stand between
//! the flood and the CPU). During each, another user's app password is used
//! for the first time (uncached), and its wait is reported.
//!
//! Run: `cargo bench -p server --bench app_password_flood` (SQLite; set
//! `TOKENWARDEN_BENCH_DATABASE_URL=postgres://…` for an empty PostgreSQL
//! database). `TOKENWARDEN_BENCH_SECONDS` (default 5) is how long each figure
//! is measured; "alone" is measured before the floods and again after them.
//!
//! Goal: token throughput under each flood at least 80% of the unloaded one.

mod support;

use app::ssr::{auth::app_password::WAIT_FOR_WORKER, password::hash_blocking, store::users};
use rand::RngCore;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use support::{figures, line, run, CONCURRENCY};
use tokenwarden::{
    app_passwords::{PlainAppPassword, MAX_ACTIVE_PER_USER, SECRET_BYTES},
    credentials::basic_header,
};

const FLOOD: usize = 64;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds = support::seconds();
    let bench = support::start().await;
    let (db, user_id) = (bench.db.clone(), bench.user_id);
    // The most app passwords a user may have: each bad attempt tries them all.
    for n in 0..MAX_ACTIVE_PER_USER {
        let mut random = [0u8; SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut random);
        let hash = hash_blocking(PlainAppPassword::new(random).expose()).expect("hash");
        sqlx::query(
            "INSERT INTO app_passwords (user_id, name, scopes, password_hash, created_at) \
             VALUES ($1, $2, 'repository', $3, 0)",
        )
        .bind(user_id)
        .bind(format!("legacy {n}"))
        .bind(hash)
        .execute(&db.pool)
        .await
        .expect("app password");
    }
    // Another user, with one app password per flood shape, each used for
    // the first time during that flood.
    let other = users::create(
        &db,
        &users::NewUser {
            username: "other".into(),
            email: "other@example.com".into(),
            display_name: "Other".into(),
            password_hash: "not used".into(),
            is_system_admin: false,
        },
    )
    .await
    .expect("user");
    let mut others = Vec::new();
    for n in 0..2 {
        let mut random = [0u8; SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut random);
        let secret = PlainAppPassword::new(random);
        sqlx::query(
            "INSERT INTO app_passwords (user_id, name, scopes, password_hash, created_at) \
             VALUES ($1, $2, 'repository', $3, 0)",
        )
        .bind(other)
        .bind(format!("other {n}"))
        .bind(hash_blocking(secret.expose()).expect("hash"))
        .execute(&db.pool)
        .await
        .expect("app password");
        others.push(basic_header("other", secret.expose()));
    }
    let bearer = bench.bearer().await;
    let url = format!("{}/rest/api/1.0/tokens/self", bench.base);

    let client = support::client_for(&url, &bearer).await;
    let attempts = Flood::default();
    println!(
        "app password flood on loopback: {CONCURRENCY} token clients, {FLOOD} flood clients against a user with \
         {MAX_ACTIVE_PER_USER} app passwords, {seconds} s per figure, {}",
        db.backend.name()
    );

    // Tokens alone; under each flood; alone again once every flood attempt
    // has finished or timed out (an abandoned attempt still waits its turn
    // for a worker); then each flood alone.
    let measure = |until: Instant| run(&client, &url, Some(&bearer), until);
    measure(Instant::now() + Duration::from_secs(1)).await;
    let (mut alone, mut alone_time) = (Vec::new(), Duration::ZERO);
    let started = Instant::now();
    alone.extend(measure(started + Duration::from_secs(seconds)).await);
    alone_time += started.elapsed();

    let mut flooded = Vec::new();
    for (shape, other_user) in [Shape::OneAddress, Shape::ManyAddresses].into_iter().zip(&others) {
        let flood = attempts.start(&url, shape);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = attempts.snapshot();
        let argon2_before = bench.app_passwords.verifications();
        let started = Instant::now();
        let (figures_under, other_user) = tokio::join!(
            async { figures(measure(started + Duration::from_secs(seconds)).await, started.elapsed()) },
            other_users_first_use(&url, other_user)
        );
        let counts = attempts.since(before);
        let argon2 = bench.app_passwords.verifications() - argon2_before;
        for task in flood {
            task.abort();
        }
        flooded.push((shape, figures_under, counts, argon2, other_user));
        tokio::time::sleep(WAIT_FOR_WORKER + Duration::from_secs(2)).await;
    }

    let started = Instant::now();
    alone.extend(measure(started + Duration::from_secs(seconds)).await);
    alone_time += started.elapsed();
    let alone = figures(alone, alone_time);
    println!("{:<48} {:>10} {:>10} {:>10}", "", "req/s", "p50", "p99");
    println!("{}", line("tokens/self (Bearer), alone", &alone));
    for (shape, under, _, _, _) in &flooded {
        println!(
            "{}",
            line(&format!("tokens/self (Bearer), flood {}", shape.name()), under)
        );
    }
    for (shape, under, counts, argon2, (status, waited)) in &flooded {
        println!(
            "flood {} while tokens ran: {} attempts verified and refused (401), {} throttled (429), {} turned away \
             busy (503); {argon2} argon2id verifications; another user's first use: {status} after {:.2} s; \
             token throughput {:.0}% of alone",
            shape.name(),
            counts.refused,
            counts.throttled,
            counts.busy,
            waited.as_secs_f64(),
            under.requests_per_sec / alone.requests_per_sec * 100.0
        );
    }

    // Each flood with no token traffic: what argon2 gets when the CPU is free.
    for shape in [Shape::OneAddress, Shape::ManyAddresses] {
        let flood = attempts.start(&url, shape);
        let before = attempts.snapshot();
        let argon2_before = bench.app_passwords.verifications();
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let counts = attempts.since(before);
        let argon2 = bench.app_passwords.verifications() - argon2_before;
        for task in flood {
            task.abort();
        }
        println!(
            "flood {} alone: {} attempts verified and refused, {} throttled, in {:.1} s ({argon2} argon2id \
             verifications, {:.1}/s)",
            shape.name(),
            counts.refused,
            counts.throttled,
            started.elapsed().as_secs_f64(),
            argon2 as f64 / started.elapsed().as_secs_f64()
        );
        tokio::time::sleep(WAIT_FOR_WORKER + Duration::from_secs(2)).await;
    }
    let worst = flooded
        .iter()
        .map(|(_, under, ..)| under.requests_per_sec / alone.requests_per_sec)
        .fold(f64::INFINITY, f64::min);
    println!(
        "token throughput under the worse flood / alone: {:.0}% (goal: at least 80%) {}",
        worst * 100.0,
        if worst >= 0.8 { "met" } else { "NOT MET" }
    );
}

/// Where a flood's attempts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    OneAddress,
    /// A new address for every attempt, through the trusted proxy.
    ManyAddresses,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::OneAddress => "from one address",
            Shape::ManyAddresses => "from many addresses",
        }
    }
}

/// Another user's app password, used for the first time: its status and wait.
async fn other_users_first_use(url: &str, authorization: &str) -> (u16, Duration) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let status = reqwest::Client::new()
        .get(url)
        .header("authorization", authorization)
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// The flood's counters, shared by its clients.
#[derive(Clone, Default)]
struct Flood {
    refused: Arc<AtomicU64>,
    throttled: Arc<AtomicU64>,
    busy: Arc<AtomicU64>,
}

/// How a flood's attempts were answered.
#[derive(Debug, Clone, Copy)]
struct Counts {
    refused: u64,
    throttled: u64,
    busy: u64,
}

impl Flood {
    fn snapshot(&self) -> Counts {
        Counts {
            refused: self.refused.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            busy: self.busy.load(Ordering::Relaxed),
        }
    }

    /// Answers since `before`.
    fn since(&self, before: Counts) -> Counts {
        let now = self.snapshot();
        Counts {
            refused: now.refused - before.refused,
            throttled: now.throttled - before.throttled,
            busy: now.busy - before.busy,
        }
    }

    /// FLOOD clients, each on its own connection, sending wrong app
    /// passwords (well formed, so each costs a full verification).
    fn start(&self, url: &str, shape: Shape) -> Vec<tokio::task::JoinHandle<()>> {
        (0..FLOOD)
            .map(|n| {
                let (url, counters) = (url.to_string(), self.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    for attempt in 0u64.. {
                        let mut random = [0u8; SECRET_BYTES];
                        rand::thread_rng().fill_bytes(&mut random);
                        let from = match shape {
                            Shape::OneAddress => "203.0.113.66".to_string(),
                            Shape::ManyAddresses => format!("10.{}.{}.{}", n, (attempt >> 8) & 255, attempt & 255),
                        };
                        let response = client
                            .get(&url)
                            .basic_auth("bench", Some(PlainAppPassword::new(random).expose()))
                            .header("x-forwarded-for", from)
                            .send()
                            .await;
                        match response.map(|r| r.status().as_u16()) {
                            Ok(401) => counters.refused.fetch_add(1, Ordering::Relaxed),
                            Ok(429) => counters.throttled.fetch_add(1, Ordering::Relaxed),
                            Ok(503) => counters.busy.fetch_add(1, Ordering::Relaxed),
                            other => panic!("a bad app password got {other:?}"),
                        };
                    }
                })
            })
            .collect()
    }
}
