//! Does a flood of bad app-password attempts starve token-authenticated
//! requests? On loopback: throughput and p50/p99 of `GET tokens/self` with a
//! Bearer token, alone and while FLOOD clients send wrong app passwords for a
//! real user with the most app passwords allowed (the worst case: every
//! attempt is well formed and costs argon2 against each of them).
//!
//! Run: `cargo bench -p server --bench app_password_flood` (SQLite; set
//! `TOKENWARDEN_BENCH_DATABASE_URL=postgres://…` for an empty PostgreSQL
//! database). `TOKENWARDEN_BENCH_SECONDS` (default 5) is how long each figure
//! is measured; "alone" is measured before the flood and again after it.
//!
//! Goal: token throughput under the flood at least 80% of the unloaded one.

mod support;

use app::ssr::{app_password_auth::WAIT_FOR_WORKER, password::hash_blocking};
use rand::RngCore;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use support::{figures, line, run, CONCURRENCY};
use tokenwarden::app_passwords::{PlainAppPassword, MAX_ACTIVE_PER_USER, SECRET_BYTES};

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
    let bearer = bench.bearer().await;
    let url = format!("{}/rest/api/1.0/tokens/self", bench.base);

    let client = support::client_for(&url, &bearer).await;
    let attempts = Flood::default();
    println!(
        "app password flood on loopback: {CONCURRENCY} token clients, {FLOOD} flood clients against a user with \
         {MAX_ACTIVE_PER_USER} app passwords, {seconds} s per figure, {}",
        db.backend.name()
    );

    // Tokens alone, then under a flood that runs throughout, then alone again
    // once every flood attempt has finished or timed out (an abandoned
    // attempt still waits its turn for a worker), then the flood alone.
    let measure = |until: Instant| run(&client, &url, Some(&bearer), until);
    measure(Instant::now() + Duration::from_secs(1)).await;
    let (mut alone, mut alone_time) = (Vec::new(), Duration::ZERO);
    let started = Instant::now();
    alone.extend(measure(started + Duration::from_secs(seconds)).await);
    alone_time += started.elapsed();

    let flood = attempts.start(&url);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = attempts.snapshot();
    let started = Instant::now();
    let flooded = measure(started + Duration::from_secs(seconds)).await;
    let flooded = figures(flooded, started.elapsed());
    let (refused, busy) = attempts.since(before);
    for task in flood {
        task.abort();
    }
    tokio::time::sleep(WAIT_FOR_WORKER + Duration::from_secs(2)).await;

    let started = Instant::now();
    alone.extend(measure(started + Duration::from_secs(seconds)).await);
    alone_time += started.elapsed();
    let alone = figures(alone, alone_time);
    println!("{:<34} {:>10} {:>10} {:>10}", "", "req/s", "p50", "p99");
    println!("{}", line("tokens/self (Bearer), alone", &alone));
    println!("{}", line("tokens/self (Bearer), under flood", &flooded));
    println!(
        "flood while tokens ran: {refused} bad attempts verified and refused (401), {busy} turned away busy (503)"
    );

    // The same flood with no token traffic: argon2 gets the idle CPU.
    let flood = attempts.start(&url);
    let before = attempts.snapshot();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (refused, _) = attempts.since(before);
    for task in flood {
        task.abort();
    }
    println!(
        "flood alone: {refused} bad attempts verified and refused in {:.1} s ({:.1}/s, each checked against \
         {MAX_ACTIVE_PER_USER} argon2id hashes)",
        started.elapsed().as_secs_f64(),
        refused as f64 / started.elapsed().as_secs_f64()
    );
    let ratio = flooded.requests_per_sec / alone.requests_per_sec;
    println!(
        "token throughput under the flood / alone: {:.0}% (goal: at least 80%) {}",
        ratio * 100.0,
        if ratio >= 0.8 { "met" } else { "NOT MET" }
    );
}

/// The flood's counters, shared by its clients.
#[derive(Clone, Default)]
struct Flood {
    refused: Arc<AtomicU64>,
    busy: Arc<AtomicU64>,
}

impl Flood {
    fn snapshot(&self) -> (u64, u64) {
        (self.refused.load(Ordering::Relaxed), self.busy.load(Ordering::Relaxed))
    }

    /// Refused and busy answers since `before`.
    fn since(&self, before: (u64, u64)) -> (u64, u64) {
        let now = self.snapshot();
        (now.0 - before.0, now.1 - before.1)
    }

    /// FLOOD clients, each on its own connection, sending wrong app
    /// passwords (well formed, so each costs a full verification).
    fn start(&self, url: &str) -> Vec<tokio::task::JoinHandle<()>> {
        (0..FLOOD)
            .map(|_| {
                let (url, counters) = (url.to_string(), self.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    loop {
                        let mut random = [0u8; SECRET_BYTES];
                        rand::thread_rng().fill_bytes(&mut random);
                        let response = client
                            .get(&url)
                            .basic_auth("bench", Some(PlainAppPassword::new(random).expose()))
                            .send()
                            .await;
                        match response.map(|r| r.status().as_u16()) {
                            Ok(401) => counters.refused.fetch_add(1, Ordering::Relaxed),
                            Ok(503) => counters.busy.fetch_add(1, Ordering::Relaxed),
                            other => panic!("a bad app password got {other:?}"),
                        };
                    }
                })
            })
            .collect()
    }
}
