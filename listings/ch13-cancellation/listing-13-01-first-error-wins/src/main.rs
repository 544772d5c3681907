// The article's 05_cancelling_coroutines/01 and /02: a run waits for its walks
// with `asyncio.wait(..., return_when=FIRST_EXCEPTION)` and cancels the ones
// still pending. Here the walks are the tasks of a `JoinSet`, and the first
// error aborts the rest. Each task returns its post's id with its result, so
// every line names its post: the article's dict of task to id, for free.
use std::io::IsTerminal as _;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use futures::future::try_join_all;
use serde::Deserialize;
use tokio::signal;
use tokio::task::JoinSet;
use tokio::time::{self, MissedTickBehavior};
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

/// The number of comments under a post: its kids, plus each kid's own count.
/// Chapter 11's walk, unchanged.
async fn post_number_of_comments(
    client: &reqwest::Client,
    fetches: &AtomicUsize,
    id: u64,
) -> anyhow::Result<usize> {
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
        return Ok(0);
    };

    debug!("{id:^6} > Fetching {} child posts", item.kids.len());
    // All the kids at once, as `asyncio.gather`; `try_join_all` stops at the first error.
    // It keeps their futures in a list on the heap: that is the indirection a recursive
    // `async fn` needs (E0733), so the call needs no `Box::pin`.
    let counts = try_join_all(
        item.kids
            .iter()
            .map(|&kid| post_number_of_comments(client, fetches, kid)),
    )
    .await?;
    let comments = item.kids.len() + counts.iter().sum::<usize>();
    debug!("{id:^6} > {comments} comments");
    Ok(comments)
}

/// One run: the top stories, then the comments of the first `limit`, each
/// walk a task of the run's `JoinSet`. The first walk to fail aborts the
/// others. Returns the number of fetches it made.
async fn count_top_stories(
    client: &reqwest::Client,
    limit: usize,
    iteration: u64,
) -> anyhow::Result<usize> {
    // Shared by the walks' tasks, which may outlive any borrow: an `Arc`.
    let fetches = Arc::new(AtomicUsize::new(0));
    fetches.fetch_add(1, Ordering::Relaxed);
    let mut ids = fetch_top_stories(client).await?;
    ids.truncate(limit);

    let mut walks = JoinSet::new();
    for id in ids {
        // Each task owns what it uses: a clone of the client, the counter, its id.
        let client = client.clone();
        let fetches = Arc::clone(&fetches);
        walks.spawn(async move { (id, post_number_of_comments(&client, &fetches, id).await) });
    }

    // `join_next` hands out each walk as it ends, as `wait`'s `done` set does.
    let mut failure = None;
    while let Some(joined) = walks.join_next().await {
        let (id, result) = match joined {
            Ok(walk) => walk,
            // Aborted below: it has nothing to report.
            Err(error) if error.is_cancelled() => continue,
            // A walk that panicked: carry the panic on (chapter 6).
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        match result {
            Ok(comments) => info!("Post {id} has {comments} comments ({iteration})"),
            Err(error) if failure.is_none() => {
                // The first error: abort the walks still in the set, the
                // article's `cancel()` on each pending task. An abort only
                // asks; the loop goes on joining until each has stopped.
                info!("Post {id} failed, cancelling {} other walks", walks.len());
                walks.abort_all();
                failure = Some(error);
            }
            // Another walk failed before the abort reached it.
            Err(_) => {}
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(fetches.load(Ordering::Relaxed)),
    }
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
    // One Ctrl-C listener for the whole loop. Its first poll replaces the
    // default action of Ctrl-C (ending the process) for good; it completes at
    // the first Ctrl-C after that, even one that comes while the loop is busy.
    let mut ctrl_c = pin!(signal::ctrl_c());

    for iteration in 1.. {
        // Whichever comes first: the next tick, or Ctrl-C.
        tokio::select! {
            _ = interval.tick() => {}
            result = &mut ctrl_c => {
                result.context("listening for Ctrl-C")?;
                info!("Stopping");
                break;
            }
        }
        info!(
            "Calculating comments for top {} stories. ({iteration})",
            args.limit
        );
        // `tokio::spawn` wants a future that owns everything it uses, since
        // the task may outlive this loop's turn: its own handle to the client
        // (a clone shares the connection pool), and `limit` and `iteration`
        // moved in by value.
        let client = client.clone();
        let limit = args.limit;
        tokio::spawn(async move {
            let started = Instant::now();
            // The task reports on itself, its error too: nobody else sees it.
            match count_top_stories(&client, limit, iteration).await {
                Ok(fetches) => info!(
                    "> Calculating comments took {:.2} seconds and {fetches} fetches",
                    started.elapsed().as_secs_f64()
                ),
                Err(error) => error!("Calculating comments failed: {error:#} ({iteration})"),
            }
        });
        info!("Waiting for {} seconds...", args.period);
    }
    // Returning from `main` shuts the runtime down: a run still in flight is
    // dropped where it waits, and prints nothing more.
    Ok(())
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
