//! How long one warning sweep takes with 1,000,000 tokens of which 10,000
//! are due (goal: under 5 s, on SQLite and on PostgreSQL). Due tokens are
//! found through the `next_warning_at` index, never by a scan: the figure
//! must not grow with the tokens that are not due.
//!
//! `cargo bench -p server --bench warning_sweep`; PostgreSQL with
//! `TOKENWARDEN_BENCH_DATABASE_URL` naming an empty database.
//! `TOKENWARDEN_BENCH_TOKENS` (default 1,000,000) and
//! `TOKENWARDEN_BENCH_DUE` (default 10,000) change the sizes.

mod support;

use std::time::Instant;

const DAY: i64 = 86_400;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let total = env("TOKENWARDEN_BENCH_TOKENS", 1_000_000);
    let due = env("TOKENWARDEN_BENCH_DUE", 10_000).min(total);
    let bench = support::start().await;
    let db = bench.db.clone();
    let now = app::ssr::db::now();
    // A webhook for the instance, so each warning queues a delivery too.
    sqlx::query(
        "INSERT INTO webhooks (workspace_id, url, secret, events, created_at) \
         VALUES (NULL, 'https://hooks.example.com/tw', 'a secret of some length', 'token.expiring', 0)",
    )
    .execute(&db.pool)
    .await
    .expect("webhook");
    let started = Instant::now();
    // Not due: expiring in a year, next look in 300 days. Due: expiring in
    // 6 days, created 90 days ago, next look (the 7-day warning) passed.
    let not_due = support::Times {
        created: now - 10 * DAY,
        expires: now + 365 * DAY,
        next_look: now + 300 * DAY,
    };
    let due_times = support::Times {
        created: now - 90 * DAY,
        expires: now + 6 * DAY,
        next_look: now - DAY,
    };
    support::fill(&db, bench.user_id, total - due, Some(not_due)).await;
    support::fill(&db, bench.user_id, due, Some(due_times)).await;
    eprintln!(
        "(stored {total} tokens, {due} due, in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    if db.backend == app::ssr::Backend::Postgres {
        sqlx::query("ANALYZE access_tokens")
            .execute(&db.pool)
            .await
            .expect("analyze");
    }

    let started = Instant::now();
    let mut report = app::ssr::store::warnings::SweepReport::default();
    loop {
        let batch = app::ssr::store::warnings::sweep(&db, now, 1000, true)
            .await
            .expect("sweep");
        report.looked_at += batch.looked_at;
        report.warnings += batch.warnings;
        report.emails += batch.emails;
        report.deliveries += batch.deliveries;
        if batch.looked_at < 1000 {
            break;
        }
    }
    let took = started.elapsed();
    assert_eq!(report.warnings, due, "every due token is warned about once");
    let again = Instant::now();
    let second = app::ssr::store::warnings::sweep(&db, now, 1000, true)
        .await
        .expect("sweep");
    let idle = again.elapsed();
    assert_eq!(second.looked_at, 0);
    println!(
        "warning sweep, {}: {total} tokens, {due} due: {:.2} s ({} warnings, {} emails and {} webhook deliveries \
         queued; goal under 5 s: {}); a sweep with nothing due: {:.1} ms",
        db.backend.name(),
        took.as_secs_f64(),
        report.warnings,
        report.emails,
        report.deliveries,
        if took.as_secs_f64() < 5.0 { "met" } else { "NOT MET" },
        idle.as_secs_f64() * 1000.0
    );
}
