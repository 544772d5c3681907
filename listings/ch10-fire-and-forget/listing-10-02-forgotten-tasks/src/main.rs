// The article's 02_fire_and_forget.py: the log of Listing 10-1 becomes a task of
// its own, and nothing waits for it. The walk is as fast as chapter 9's again, but
// main returns as soon as it is done, and the runtime drops the unfinished tasks:
// their lines are never written, and nothing says so.
use std::io::IsTerminal as _;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use futures::future::try_join_all;
use serde::Deserialize;
use tracing::{debug, info};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::time::ChronoLocal;
use tracing_subscriber::prelude::*;

// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A post with more comments than this is logged.
const MIN_COMMENTS: usize = 5;

/// How long logging a post takes, in seconds: a random while in this range.
const LOG_DELAY: Range<f64> = 0.3..0.6;

/// Calculate the comments of a Hacker News post.
#[derive(Parser)]
struct Args {
    /// ID of the post in HN
    #[arg(long, default_value_t = 8863)]
    id: u64,
    /// URL of a post in HN, such as https://news.ycombinator.com/item?id=8863
    /// (wins over --id, as in the article)
    #[arg(long, value_parser = id_from_hn_url)]
    url: Option<u64>,
    /// Detailed output
    #[arg(long)]
    verbose: bool,
}

/// The `id` query parameter of a Hacker News page's URL. An error here is clap's: it
/// prints the message and ends the program with status 2.
fn id_from_hn_url(url: &str) -> Result<u64, String> {
    let url = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let (_, id) = url
        .query_pairs()
        .find(|(name, _)| name == "id")
        .ok_or("the URL has no `id` query parameter")?;
    id.parse()
        .map_err(|_| format!("the `id` query parameter, {id:?}, is not a post's number"))
}

// The article's global `fetch_counter`. An atomic can be shared without a lock and
// changed through a shared reference.
static FETCHES: AtomicUsize = AtomicUsize::new(0);

/// The number of comments under a post: its kids, plus each kid's own count.
async fn post_number_of_comments(client: &reqwest::Client, id: u64) -> anyhow::Result<usize> {
    FETCHES.fetch_add(1, Ordering::Relaxed);
    // A `null` item, or one without kids, has no comments.
    let Some(item) = fetch_item(client, id)
        .await?
        .filter(|item| !item.kids.is_empty())
    else {
        return Ok(0);
    };

    // All the kids at once, as `asyncio.gather`; see Listing 9-1.
    let counts = try_join_all(
        item.kids
            .iter()
            .map(|&kid| post_number_of_comments(client, kid)),
    )
    .await?;
    let comments = item.kids.len() + counts.iter().sum::<usize>();
    debug!("{id:^6} > {comments} comments");

    if comments > MIN_COMMENTS {
        // Spawned and its handle dropped: the task runs on its own, and this post's
        // count is returned at once.
        tokio::spawn(log_post());
    }
    Ok(comments)
}

/// The article's `log_post`: stands in for slow, low-priority work whose result
/// nobody needs, such as sending the post to a log service.
async fn log_post() {
    let delay = rand::random_range(LOG_DELAY);
    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    info!("Post logged");
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.verbose);
    let post_id = args.url.unwrap_or(args.id);

    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    let started = Instant::now();
    let comments = post_number_of_comments(&client, post_id).await?;
    info!(
        "> Calculating comments took {:.2} seconds and {} fetches",
        started.elapsed().as_secs_f64(),
        FETCHES.load(Ordering::Relaxed)
    );
    info!("-- Post {post_id} has {comments} comments");
    // Returning ends block_on, and the runtime's shutdown drops every task that
    // has not finished: asyncio's `loop.close()` with tasks pending.
    Ok(())
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
