// The article's 04_error_handling/02: every level of the walk logs the error
// it passes up (`except BoomException as e: log.error(...); raise`). Here that
// is `inspect_err` and `?`. Otherwise Listing 12-2.
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

/// Why a fetch failed. The article has one exception class, `BoomException`,
/// for the failure it expects; here every way a fetch can fail is a variant,
/// and a `match` on a `FetchError` has to say what to do with each.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    /// The service answered, with an error status: the failure this program
    /// expects now and then, and lives with (the next run tries again).
    #[error("{what}: the service answered {status}")]
    Status {
        what: String,
        status: reqwest::StatusCode,
    },
    /// No answer: no connection, or none before the deadline.
    #[error("{what}: no answer")]
    NoAnswer {
        what: String,
        source: reqwest::Error,
    },
    /// An answer that could not be read: cut short, or not the JSON expected.
    #[error("{what}: the answer could not be read")]
    BadAnswer {
        what: String,
        source: reqwest::Error,
    },
}

impl FetchError {
    /// Sorts a failed request by what went wrong; `what` says which fetch it was.
    fn new(what: String, error: reqwest::Error) -> FetchError {
        let source = error.without_url();
        if let Some(status) = source.status() {
            FetchError::Status { what, status }
        } else if source.is_decode() {
            FetchError::BadAnswer { what, source }
        } else {
            FetchError::NoAnswer { what, source }
        }
    }
}

/// The number of comments under a post: its kids, plus each kid's own count.
/// Chapter 9's walk, with one change: it counts into the run's own `fetches`.
async fn post_number_of_comments(
    client: &reqwest::Client,
    fetches: &AtomicUsize,
    id: u64,
) -> Result<usize, FetchError> {
    let started = Instant::now();
    fetches.fetch_add(1, Ordering::Relaxed);
    let item = fetch_item(client, id)
        .await
        .inspect_err(|error| error!("Error retrieving post {id}: {error}"))?;
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
    .await
    .inspect_err(|error| error!("Error retrieving comments for post {id}: {error}"))?;
    let comments = item.kids.len() + counts.iter().sum::<usize>();
    debug!("{id:^6} > {comments} comments");
    Ok(comments)
}

/// One run: the top stories, then the comments of the first `limit`, all at
/// once. Returns the number of fetches it made.
async fn count_top_stories(
    client: &reqwest::Client,
    limit: usize,
    iteration: u64,
) -> Result<usize, FetchError> {
    let fetches = AtomicUsize::new(0);
    fetches.fetch_add(1, Ordering::Relaxed);
    let mut ids = fetch_top_stories(client)
        .await
        .inspect_err(|error| error!("Error retrieving top stories: {error}"))?;
    ids.truncate(limit);
    let counts = try_join_all(
        ids.iter()
            .map(|&id| post_number_of_comments(client, &fetches, id)),
    )
    .await
    .inspect_err(|error| error!("Error retrieving comments for top stories: {error}"))?;
    for (id, comments) in ids.iter().zip(counts) {
        info!("Post {id} has {comments} comments ({iteration})");
    }
    Ok(fetches.into_inner())
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
            match count_top_stories(&client, limit, iteration).await {
                Ok(fetches) => info!(
                    "> Calculating comments took {:.2} seconds and {fetches} fetches",
                    started.elapsed().as_secs_f64()
                ),
                // The failure this program expects, logged on its way up.
                Err(FetchError::Status { .. }) => {}
                // Anything else is news: log it with all its causes, which
                // anyhow's `{:#}` writes one after the other.
                Err(error) => {
                    let error = anyhow::Error::new(error);
                    error!("Unexpected error: {error:#} ({iteration})");
                }
            }
        });
        info!("Waiting for {} seconds...", args.period);
    }
    // Returning from `main` shuts the runtime down: a run still in flight is
    // dropped where it waits, and prints nothing more.
    Ok(())
}

/// The ids of the top stories, best first (up to 500).
async fn fetch_top_stories(client: &reqwest::Client) -> Result<Vec<u64>, FetchError> {
    let url = endpoint("https://hacker-news.firebaseio.com/v0/topstories.json");
    async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<Vec<u64>>()
            .await
    }
    .await
    .map_err(|error| FetchError::new("fetching the top stories".to_owned(), error))
}
/// The fields of a Hacker News item this program reads; serde skips the rest. A story or
/// comment without replies has no `kids` field at all, hence the default.
#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    kids: Vec<u64>,
}

/// One item, or `None` where the API answers `null` (a missing or hidden item).
async fn fetch_item(client: &reqwest::Client, id: u64) -> Result<Option<Item>, FetchError> {
    let url = endpoint(&format!(
        "https://hacker-news.firebaseio.com/v0/item/{id}.json"
    ));
    async {
        client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<Option<Item>>()
            .await
    }
    .await
    .map_err(|error| FetchError::new(format!("fetching item {id}"), error))
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
