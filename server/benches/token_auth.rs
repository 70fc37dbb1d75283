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

mod support;

use std::time::{Duration, Instant};
use support::{figures, run, Figures, CONCURRENCY};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds = support::seconds();
    let bench = support::start().await;
    let (base, db, user_id) = (bench.base.clone(), bench.db.clone(), bench.user_id);
    // The token the requests present; the rest are stored alongside it.
    let bearer = bench.bearer().await;

    let healthz = format!("{base}/healthz");
    let authenticated = format!("{base}/rest/api/1.0/tokens/self");
    let client = support::client_for(&authenticated, &bearer).await;

    println!(
        "token hot path on loopback: {CONCURRENCY} concurrent clients, {seconds} s per figure, {}",
        db.backend.name()
    );
    println!(
        "{:>10}  {:<48} {:>10} {:>10} {:>10}",
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
        support::fill(&db, user_id, target - stored, None).await;
        stored = target;
        eprintln!("(stored {target} tokens in {:.1} s)", started.elapsed().as_secs_f64());
        let (open, auth) = measure_pair(&client, &healthz, &authenticated, &bearer, seconds).await;
        for (name, f) in [("/healthz", &open), ("GET tokens/self (Bearer)", &auth)] {
            println!("{target:>10}  {}", support::line(name, f));
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
