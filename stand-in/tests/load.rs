//! The stand-in under load: 10,000 requests, 1,000 at a time, over loopback, with no errors,
//! spread over the four services (Hacker News's top stories and an item).
//!
//! This is a test binary of its own, because cargo runs test binaries one after another: the
//! load does not slow down the timing tests, and they do not slow down the load.
//! `cargo test -p stand-in --test load -- --nocapture` prints the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use stand_in::Config;
use tokio::task::JoinSet;
use tokio::time::Instant;

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 1_000;

/// A debug build on 2 cores takes a few seconds; this only catches a server that chokes.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Each connection costs a file descriptor at both ends, and both ends live in this process.
/// The client may open more connections than requests in flight (a request waiting for a new
/// connection takes an older one that frees up first, and the new one joins the pool), so
/// the peak seen is about 2,500; double the minimum leaves room.
const FILE_DESCRIPTORS_NEEDED: u64 = 4 * CONCURRENCY as u64 + 256;

/// Makes sure this process may open enough connections, raising its soft limit up to the
/// hard limit if need be (no privileges needed for that). Returns the limit in force.
fn ensure_file_descriptors(needed: u64) -> u64 {
    let limit = getrlimit(Resource::Nofile);
    // `None` means unlimited.
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return current;
    }
    let maximum = limit.maximum.unwrap_or(u64::MAX);
    assert!(
        maximum >= needed,
        "this test needs {needed} file descriptors but the hard limit is {maximum}; \
         raise it (ulimit -Hn) or lower CONCURRENCY"
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(needed),
            maximum: limit.maximum,
        },
    )
    .expect("raising the soft file-descriptor limit up to the hard one is allowed");
    needed
}

/// Open file descriptors of this process, where Linux shows them.
fn open_file_descriptors() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count())
}

struct Outcome {
    took: Duration,
    result: Result<reqwest::StatusCode, reqwest::Error>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_a_thousand_at_a_time_all_succeed() {
    let file_descriptor_limit = ensure_file_descriptors(FILE_DESCRIPTORS_NEEDED);
    let server = stand_in::spawn(Config::default())
        .await
        .expect("the stand-in starts");
    // A little latency, as from the real services, so that requests overlap at the server
    // and a thousand connections are open at once, not just queued in the client.
    let base = server.scenario_url("latency=20ms..60ms");
    let top = stand_in::hacker_news::top_stories()[0];
    let urls: Arc<[String; 5]> = Arc::new([
        format!("{base}/events"),
        format!("{base}?format=json"),
        format!("{base}/json"),
        format!("{base}/v0/topstories.json"),
        format!("{base}/v0/item/{top}.json"),
    ]);
    let client = reqwest::Client::builder()
        .user_agent("stand-in-load-test")
        .timeout(Duration::from_secs(10))
        .build()
        .expect("the client builds");
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak_in_flight = Arc::new(AtomicUsize::new(0));
    let peak_file_descriptors = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    // A thousand workers, each sending its share one request after another: never more
    // than a thousand requests in flight, and no fewer while every worker still has work.
    let mut workers = JoinSet::new();
    for worker in 0..CONCURRENCY {
        let (client, urls) = (client.clone(), Arc::clone(&urls));
        let (in_flight, peak_in_flight) = (Arc::clone(&in_flight), Arc::clone(&peak_in_flight));
        let peak_file_descriptors = Arc::clone(&peak_file_descriptors);
        workers.spawn(async move {
            let mut outcomes = Vec::with_capacity(REQUESTS / CONCURRENCY);
            for round in 0..REQUESTS / CONCURRENCY {
                let url = &urls[(worker + round) % urls.len()];
                let now_in_flight = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                peak_in_flight.fetch_max(now_in_flight, Ordering::Relaxed);
                let request_started = Instant::now();
                let result = async {
                    let response = client.get(url).send().await?;
                    let status = response.status();
                    response.bytes().await?;
                    Ok(status)
                }
                .await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
                if worker == 0 {
                    let open = open_file_descriptors().unwrap_or(0);
                    peak_file_descriptors.fetch_max(open, Ordering::Relaxed);
                }
                outcomes.push(Outcome {
                    took: request_started.elapsed(),
                    result,
                });
            }
            outcomes
        });
    }
    let outcomes: Vec<Outcome> = workers.join_all().await.into_iter().flatten().collect();
    let total = started.elapsed();
    let seen = server.stats();

    let errors: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| outcome.result.as_ref().err())
        .map(|error| format!("{error:?}"))
        .collect();
    let not_ok = outcomes
        .iter()
        .filter(|outcome| matches!(outcome.result, Ok(status) if status != reqwest::StatusCode::OK))
        .count();
    let mut latencies: Vec<Duration> = outcomes.iter().map(|outcome| outcome.took).collect();
    latencies.sort();
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    eprintln!(
        "{} requests, at most {} in flight (peak {}), in {total:.2?}: {:.0} requests/s; \
         per request p50 {:.1?}, p99 {:.1?}, max {:.1?}; file descriptors: limit {}, \
         peak seen {}; the stand-in saw at most {} at once",
        outcomes.len(),
        CONCURRENCY,
        peak_in_flight.load(Ordering::Relaxed),
        outcomes.len() as f64 / total.as_secs_f64(),
        percentile(50),
        percentile(99),
        latencies[latencies.len() - 1],
        file_descriptor_limit,
        peak_file_descriptors.load(Ordering::Relaxed),
        seen.peak_in_flight,
    );

    assert_eq!(outcomes.len(), REQUESTS);
    assert!(
        errors.is_empty(),
        "{} errors, the first: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    assert_eq!(not_ok, 0, "answers other than 200 OK");
    // The stand-in counted every one, and saw them overlap: never more than were sent at
    // once, and (the client's connection setup spreads arrivals out) a good part of them.
    assert_eq!(seen.requests, REQUESTS);
    assert_eq!(seen.in_flight, 0);
    assert!(
        (CONCURRENCY / 10..=CONCURRENCY).contains(&seen.peak_in_flight),
        "{seen:?}"
    );
    assert_eq!(server.requests().len(), REQUESTS);
    assert!(total < TIME_LIMIT, "took {total:?}");
    server.shutdown().await.expect("the stand-in shuts down");
}
