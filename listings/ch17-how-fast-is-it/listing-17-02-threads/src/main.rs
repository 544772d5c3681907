// Listing 17-1's measurement without async: C threads, each sending requests with
// reqwest's blocking client one after another until N have been sent.
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;

// Without deadlines a server that accepts the connection and never answers
// would keep a request, and the whole run, waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Send GET requests to a URL from a number of threads, and say how fast it went.
#[derive(Parser)]
struct Args {
    /// The URL to fetch; the default is the book's stand-in (`cargo run -p stand-in`)
    #[arg(long, default_value = "http://127.0.0.1:8000/json")]
    url: reqwest::Url,
    /// How many requests to send
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    requests: u32,
    /// How many threads send them, so how many may be in flight at once
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Print the results as one JSON object
    #[arg(long)]
    json: bool,
}

/// What the requests of one thread gave: each success's latency, and the failures.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: u32,
    first_error: Option<reqwest::Error>,
}

/// One request, its body read to the end, and how long that took.
fn get(client: &reqwest::blocking::Client, url: &reqwest::Url) -> (Duration, reqwest::Result<()>) {
    let started = Instant::now();
    let result = client
        .get(url.clone())
        .send()
        .and_then(|response| response.error_for_status())
        .and_then(|response| response.bytes())
        .map(drop);
    (started.elapsed(), result)
}

/// What one thread does: takes the next request's number until there are none left.
fn send(
    client: &reqwest::blocking::Client,
    url: &reqwest::Url,
    next: &AtomicU32,
    requests: u32,
) -> Outcome {
    let mut outcome = Outcome::default();
    while next.fetch_add(1, Ordering::Relaxed) < requests {
        match get(client, url) {
            (took, Ok(())) => outcome.latencies.push(took),
            (_, Err(error)) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(error);
            }
        }
    }
    outcome
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    let next = AtomicU32::new(0);
    let started = Instant::now();
    // Every thread started in the scope has ended when `scope` returns.
    let outcomes = thread::scope(|scope| -> anyhow::Result<Vec<Outcome>> {
        let mut threads = Vec::new();
        for _ in 0..args.concurrency.min(args.requests) {
            // `Builder::spawn_scoped` returns the error where `scope.spawn` would panic.
            let thread = thread::Builder::new()
                .spawn_scoped(scope, || send(&client, &args.url, &next, args.requests))
                .context("starting a thread")?;
            threads.push(thread);
        }
        Ok(threads
            .into_iter()
            .map(|thread| thread.join().expect("a sending thread panicked"))
            .collect())
    })?;
    let wall = started.elapsed();

    let mut all = Outcome::default();
    for outcome in outcomes {
        all.latencies.extend(outcome.latencies);
        all.errors += outcome.errors;
        all.first_error = all.first_error.or(outcome.first_error);
    }
    all.latencies.sort();
    let report = serde_json::json!({
        "requests": args.requests,
        "concurrency": args.concurrency,
        "errors": all.errors,
        "wall_s": wall.as_secs_f64(),
        "throughput_rps": all.latencies.len() as f64 / wall.as_secs_f64(),
        "p50_ms": percentile_ms(&all.latencies, 50.0),
        "p99_ms": percentile_ms(&all.latencies, 99.0),
        "peak_rss_kib": peak_rss_kib(),
    });
    if args.json {
        println!("{report}");
    } else {
        print_report(&args.url, &report);
    }
    // A run with failed requests measured something else: say so, and exit non-zero.
    if let Some(error) = all.first_error {
        bail!(
            "{} of {} requests failed, the first with: {:#}",
            all.errors,
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
