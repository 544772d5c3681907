// Listing 11-5's poller, shut down gracefully. Ctrl-C stops the runs from
// starting new fetches; the fetches already started finish, and `main` waits
// for the runs up to a deadline (--grace). A run still going after it is
// aborted, and the program says so and exits with an error. asyncio.run's
// exit has only the last step: it cancels every pending task at once, then
// waits for them with no deadline.
use std::io::IsTerminal as _;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use futures::future::try_join_all;
use serde::Deserialize;
use tokio::signal;
use tokio::time::{self, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::time::ChronoLocal;
use tracing_subscriber::prelude::*;

// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Calculate the number of comments of the top stories in HN.
#[derive(Parser)]
struct Args {
    /// Number of seconds between poll
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = whole_seconds)]
    period: u64,
    /// Number of new stories to calculate comments for
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// Seconds the runs in flight get to finish after Ctrl-C
    // The default outlasts REQUEST_TIMEOUT: every fetch in flight then ends,
    // answered or timed out, before the deadline.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    grace: u64,
    /// Detailed output
    #[arg(long)]
    verbose: bool,
}

/// Reads a --period value. An Err's text ends up in clap's error message.
fn whole_seconds(text: &str) -> Result<u64, String> {
    match text.parse() {
        // A period of zero would poll without a pause.
        Ok(0) => Err("the period must be at least 1 second".to_owned()),
        Ok(seconds) => Ok(seconds),
        Err(_) => Err("not a whole number of seconds".to_owned()),
    }
}

/// The number of comments under a post, or `None` if Ctrl-C stopped the walk
/// before it had them all. Chapter 11's walk, plus the check of `stop`.
async fn post_number_of_comments(
    client: &reqwest::Client,
    stop: &CancellationToken,
    fetches: &AtomicUsize,
    id: u64,
) -> anyhow::Result<Option<usize>> {
    // After Ctrl-C, no new fetch. The token is checked only before a fetch
    // starts: one already started is never interrupted.
    if stop.is_cancelled() {
        return Ok(None);
    }
    let started = Instant::now();
    fetches.fetch_add(1, Ordering::Relaxed);
    let item = fetch_item(client, id).await?;
    debug!(
        "{id:^6} > Fetching of {} took {} seconds",
        endpoint(&format!(
            "https://hacker-news.firebaseio.com/v0/item/{id}.json"
        )),
        started.elapsed().as_secs_f64()
    );
    // A `null` item, or one without kids, has no comments.
    let Some(item) = item.filter(|item| !item.kids.is_empty()) else {
        return Ok(Some(0));
    };

    debug!("{id:^6} > Fetching {} child posts", item.kids.len());
    // All the kids at once, as `asyncio.gather`; `try_join_all` stops at the
    // first error, and drops the kids' fetches still in flight. So a stop is
    // not an error but a `None`, which lets them finish.
    let counts = try_join_all(
        item.kids
            .iter()
            .map(|&kid| post_number_of_comments(client, stop, fetches, kid)),
    )
    .await?;
    // The sum of `Option`s is `None` if any of them is.
    let Some(kids_comments) = counts.into_iter().sum::<Option<usize>>() else {
        return Ok(None);
    };
    let comments = item.kids.len() + kids_comments;
    debug!("{id:^6} > {comments} comments");
    Ok(Some(comments))
}

/// How a run ended, with the number of fetches it made.
enum RunEnd {
    Counted(usize),
    /// Ctrl-C came first: the run finished the fetches it had started, began
    /// no other, and has no counts to show.
    Stopped(usize),
}

/// One run: the top stories, then the comments of the first `limit`, all at
/// once.
async fn count_top_stories(
    client: &reqwest::Client,
    stop: &CancellationToken,
    limit: usize,
    iteration: u64,
) -> anyhow::Result<RunEnd> {
    let fetches = AtomicUsize::new(0);
    // Ctrl-C may come between the spawn of this run and its first poll.
    if stop.is_cancelled() {
        return Ok(RunEnd::Stopped(0));
    }
    fetches.fetch_add(1, Ordering::Relaxed);
    let mut ids = fetch_top_stories(client).await?;
    ids.truncate(limit);
    let counts = try_join_all(
        ids.iter()
            .map(|&id| post_number_of_comments(client, stop, &fetches, id)),
    )
    .await?;
    let Some(counts) = counts.into_iter().collect::<Option<Vec<usize>>>() else {
        return Ok(RunEnd::Stopped(fetches.into_inner()));
    };
    for (id, comments) in ids.iter().zip(counts) {
        info!("Post {id} has {comments} comments ({iteration})");
    }
    Ok(RunEnd::Counted(fetches.into_inner()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.verbose);

    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    let mut interval = time::interval(Duration::from_secs(args.period));
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // One Ctrl-C listener for the whole loop, as in Listing 11-4: its first
    // poll replaces the default action of Ctrl-C for good.
    let mut ctrl_c = pin!(signal::ctrl_c());
    // Two ways to stop a run. `stop`, cancelled on Ctrl-C: start no new fetch.
    // `abort`, cancelled at the deadline: drop the run where it waits.
    let stop = CancellationToken::new();
    let abort = CancellationToken::new();
    // The runs in flight; a run leaves the tracker when its task ends.
    let runs = TaskTracker::new();

    for iteration in 1.. {
        tokio::select! {
            _ = interval.tick() => {}
            result = &mut ctrl_c => {
                result.context("listening for Ctrl-C")?;
                break;
            }
        }
        info!(
            "Calculating comments for top {} stories. ({iteration})",
            args.limit
        );
        let client = client.clone();
        let (stop, abort) = (stop.clone(), abort.clone());
        let limit = args.limit;
        runs.spawn(async move {
            let started = Instant::now();
            let run = count_top_stories(&client, &stop, limit, iteration);
            // `None` if `abort` is cancelled first: the run is dropped, with
            // the fetches it has in flight.
            let end = abort.run_until_cancelled(run).await;
            let seconds = started.elapsed().as_secs_f64();
            match end {
                Some(Ok(RunEnd::Counted(fetches))) => info!(
                    "> Calculating comments took {seconds:.2} seconds and {fetches} fetches"
                ),
                Some(Ok(RunEnd::Stopped(fetches))) => info!(
                    "> Calculating comments stopped after {seconds:.2} seconds and {fetches} fetches ({iteration})"
                ),
                Some(Err(error)) => error!("Calculating comments failed: {error:#} ({iteration})"),
                None => error!(
                    "> Calculating comments aborted after {seconds:.2} seconds ({iteration})"
                ),
            }
        });
        info!("Waiting for {} seconds...", args.period);
    }

    // Ctrl-C: no new run (the loop is over), no new fetch in the runs in
    // flight, and `wait` may return once the last of them has ended.
    stop.cancel();
    runs.close();
    info!(
        "Stopping: {} run(s) in flight, waiting up to {}s",
        runs.len(),
        args.grace
    );
    if time::timeout(Duration::from_secs(args.grace), runs.wait())
        .await
        .is_ok()
    {
        info!("Stopped");
        return Ok(());
    }
    // Past the deadline. Each run ends at its next poll, which `abort` wakes
    // it for: `wait` returns at once.
    let aborted = runs.len();
    abort.cancel();
    runs.wait().await;
    anyhow::bail!(
        "aborted {aborted} run(s) still in flight at the end of the {}s grace period",
        args.grace
    )
}

/// The ids of the top stories, best first (up to 500).
async fn fetch_top_stories(client: &reqwest::Client) -> anyhow::Result<Vec<u64>> {
    let url = endpoint("https://hacker-news.firebaseio.com/v0/topstories.json");
    let ids = async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<Vec<u64>>()
            .await
    }
    .await
    .map_err(reqwest::Error::without_url)
    .context("fetching the top stories")?;
    Ok(ids)
}
/// The fields of a Hacker News item this program reads; serde skips the rest. A story or
/// comment without replies has no `kids` field at all, hence the default.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    kids: Vec<u64>,
}

/// One item, or `None` where the API answers `null` (a missing or hidden item).
async fn fetch_item(client: &reqwest::Client, id: u64) -> anyhow::Result<Option<Item>> {
    let url = endpoint(&format!(
        "https://hacker-news.firebaseio.com/v0/item/{id}.json"
    ));
    let item = async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<Option<Item>>()
            .await
    }
    .await
    .map_err(reqwest::Error::without_url)
    .with_context(|| format!("fetching item {id}"))?;
    Ok(item)
}

/// Log lines as the article's `logging` setup writes them: `[HH:MM:SS] message`, on stderr.
/// Only this program's own: the libraries' debug lines (connection pool, TLS) would bury them.
fn init_logging(verbose: bool) {
    let level = if verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    tracing_subscriber::fmt()
        .with_timer(ChronoLocal::new("[%H:%M:%S]".to_owned()))
        .with_level(false)
        .with_target(false)
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(Targets::new().with_target(module_path!(), level))
        .init();
}

// The book's offline switch, BOOK_STAND_IN: see Appendix B, "The switch".
fn endpoint(real: &str) -> String {
    let url = reqwest::Url::parse(real).expect("the listing's URLs are valid");
    match (std::env::var("BOOK_STAND_IN"), url.host_str()) {
        (
            Ok(stand_in),
            Some("api.github.com" | "api.ipify.org" | "ip-api.com" | "hacker-news.firebaseio.com"),
        ) => {
            let query = url.query().map_or(String::new(), |q| format!("?{q}"));
            format!("{}{}{query}", stand_in.trim_end_matches('/'), url.path())
        }
        _ => real.to_owned(),
    }
}
