// A small load generator: N GET requests to one URL with at most C in flight,
// then the wall time, the throughput, the latency percentiles and the peak memory.
// Measure with a release build: `cargo run --release -p listing-17-01 -- ...`.
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use futures::stream::{self, StreamExt as _};

// Without deadlines a server that accepts the connection and never answers
// would keep a request, and the whole run, waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Send GET requests to a URL, a bounded number at a time, and say how fast it went.
#[derive(Parser)]
struct Args {
    /// The URL to fetch; the default is the book's stand-in (`cargo run -p stand-in`)
    #[arg(long, default_value = "http://127.0.0.1:8000/json")]
    url: reqwest::Url,
    /// How many requests to send
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    requests: u32,
    /// How many may be in flight at once
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Open the connections first, with one untimed request each
    #[arg(long)]
    warm_up: bool,
    /// Run on Tokio's current-thread runtime instead of the multi-thread one
    #[arg(long)]
    current_thread: bool,
    /// Print the results as one JSON object
    #[arg(long)]
    json: bool,
}

/// What the requests of one run gave: each success's latency, and the failures.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: u32,
    first_error: Option<reqwest::Error>,
}

/// One request, its body read to the end (only then does its connection go back to
/// the pool for the next request), and how long that took.
async fn get(client: &reqwest::Client, url: &reqwest::Url) -> (Duration, reqwest::Result<()>) {
    let started = Instant::now();
    let result = async {
        let response = client.get(url.clone()).send().await?.error_for_status()?;
        response.bytes().await?;
        Ok(())
    }
    .await;
    (started.elapsed(), result)
}

/// Sends `requests` requests with at most `concurrency` in flight: `buffer_unordered`
/// starts the next one as soon as any of those in flight ends.
async fn send(
    client: &reqwest::Client,
    url: &reqwest::Url,
    requests: u32,
    concurrency: u32,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut results = stream::iter(0..requests)
        .map(|_| get(client, url))
        .buffer_unordered(concurrency as usize);
    while let Some((took, result)) = results.next().await {
        match result {
            Ok(()) => outcome.latencies.push(took),
            Err(error) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(error);
            }
        }
    }
    outcome
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // What `#[tokio::main]` builds, or `#[tokio::main(flavor = "current_thread")]`.
    let runtime = if args.current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()?;
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    if args.warm_up {
        // All at once, so that each opens a connection of its own; the pool keeps
        // them (reqwest keeps any number of idle connections for 90 seconds).
        let warm_up = send(&client, &args.url, args.concurrency, args.concurrency).await;
        if let Some(error) = warm_up.first_error {
            bail!("the warm-up failed: {:#}", anyhow::Error::from(error));
        }
    }

    let started = Instant::now();
    let mut outcome = send(&client, &args.url, args.requests, args.concurrency).await;
    let wall = started.elapsed();

    outcome.latencies.sort();
    let report = serde_json::json!({
        "requests": args.requests,
        "concurrency": args.concurrency,
        "errors": outcome.errors,
        "wall_s": wall.as_secs_f64(),
        "throughput_rps": outcome.latencies.len() as f64 / wall.as_secs_f64(),
        "p50_ms": percentile_ms(&outcome.latencies, 50.0),
        "p99_ms": percentile_ms(&outcome.latencies, 99.0),
        "peak_rss_kib": peak_rss_kib(),
    });
    if args.json {
        println!("{report}");
    } else {
        print_report(&args.url, &report);
    }
    // A run with failed requests measured something else: say so, and exit non-zero.
    if let Some(error) = outcome.first_error {
        bail!(
            "{} of {} requests failed, the first with: {:#}",
            outcome.errors,
            args.requests,
            anyhow::Error::from(error)
        );
    }
    Ok(())
}

/// The latency that `percent` of the requests took at most (nearest rank), in
/// milliseconds; `None` when no request succeeded.
fn percentile_ms(sorted: &[Duration], percent: f64) -> Option<f64> {
    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    let latency = sorted.get(rank.saturating_sub(1))?;
    Some(latency.as_secs_f64() * 1000.0)
}

/// The most memory this process has held in RAM so far, in KiB: the kernel's
/// `VmHWM` ("high water mark") in /proc/self/status. Linux only; `None` elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn print_report(url: &reqwest::Url, report: &serde_json::Value) {
    let number = |key: &str| report[key].as_f64().unwrap_or_default();
    println!("GET {url}");
    println!(
        "{} requests, at most {} in flight: {} errors",
        report["requests"], report["concurrency"], report["errors"]
    );
    println!(
        "wall time {:.2} s, {:.0} requests a second",
        number("wall_s"),
        number("throughput_rps")
    );
    if let (Some(p50), Some(p99)) = (report["p50_ms"].as_f64(), report["p99_ms"].as_f64()) {
        println!("latency p50 {p50:.1} ms, p99 {p99:.1} ms");
    }
    if let Some(kib) = report["peak_rss_kib"].as_u64() {
        println!("peak memory (RSS) {kib} KiB");
    }
}
