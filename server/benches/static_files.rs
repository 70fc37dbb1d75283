//! Static files over kept-alive connections, on loopback: throughput and
//! p50/p99 latency of the 5 KB stylesheet against the same server's
//! `/healthz`. A static file is written in more than one piece (headers,
//! then the body), which is where Nagle's algorithm and delayed ACKs cost
//! about 40 ms per request unless the server sets `TCP_NODELAY`.
//!
//! Run: `cargo bench -p server --bench static_files`.
//! `TOKENWARDEN_BENCH_SECONDS` (default 5) sets how long each figure runs.
//! The stylesheet is the built one (`target/site/pkg/tokenwarden.css`) when
//! it exists, else 5 KB of CSS written for the run.

mod support;

use std::time::{Duration, Instant};
use support::{figures, run, CONCURRENCY};

fn main() {
    // The site root is read when the app starts: set it before any thread.
    let site = tempfile::tempdir().expect("temp dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg/tokenwarden.css");
    let css = std::fs::read(&built).unwrap_or_else(|_| ".rule { color: #123456; }\n".repeat(200).into_bytes());
    std::fs::write(pkg.join("tokenwarden.css"), &css).unwrap();
    std::env::set_var("TOKENWARDEN_SITE_ROOT", site.path());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(measure(css.len()));
}

async fn measure(css_bytes: usize) {
    let seconds = support::seconds();
    let bench = support::start().await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    println!(
        "static files on loopback: {CONCURRENCY} concurrent kept-alive clients, {seconds} s per figure, \
         stylesheet {css_bytes} bytes"
    );
    println!("{:<48} {:>10} {:>10} {:>10}", "", "req/s", "p50", "p99");
    for (name, path) in [
        ("GET /healthz", "/healthz"),
        ("GET /pkg/tokenwarden.css", "/pkg/tokenwarden.css"),
    ] {
        let url = format!("{}{path}", bench.base);
        let started = Instant::now();
        let latencies = run(&client, &url, None, started + Duration::from_secs(seconds)).await;
        println!("{}", support::line(name, &figures(latencies, started.elapsed())));
    }
}
