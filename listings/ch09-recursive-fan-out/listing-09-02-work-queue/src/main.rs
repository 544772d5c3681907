// Listing 9-1's walk without recursion: a work queue. Every id becomes a task in one
// JoinSet; as each task's item comes back, its kids become tasks too. The loop that
// reads the results is the only code that spawns, counts and adds up.
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use serde::Deserialize;
use tokio::task::JoinSet;
use tracing::{debug, info};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::time::ChronoLocal;
use tracing_subscriber::prelude::*;

// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One task's work: fetch an item and say which one it was.
async fn fetch_post(client: reqwest::Client, id: u64) -> anyhow::Result<(u64, Option<Item>)> {
    let started = Instant::now();
    let item = fetch_item(&client, id).await?;
    debug!(
        "{id:^6} > Fetching of {} took {} seconds",
        endpoint(&format!(
            "https://hacker-news.firebaseio.com/v0/item/{id}.json"
        )),
        started.elapsed().as_secs_f64()
    );
    Ok((id, item))
}

/// The number of comments under a post, and the number of fetches it took.
async fn post_number_of_comments(
    client: &reqwest::Client,
    post_id: u64,
) -> anyhow::Result<(usize, usize)> {
    let mut tasks = JoinSet::new();
    tasks.spawn(fetch_post(client.clone(), post_id));
    let (mut comments, mut fetches) = (0, 1);
    while let Some(joined) = tasks.join_next().await {
        let (id, item) = match joined {
            // On an error `?` returns, and dropping the JoinSet aborts the other fetches.
            Ok(fetched) => fetched?,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        // A `null` item, or one without kids, adds nothing.
        let Some(item) = item.filter(|item| !item.kids.is_empty()) else {
            continue;
        };
        debug!("{id:^6} > Fetching {} child posts", item.kids.len());
        comments += item.kids.len();
        for kid in item.kids {
            tasks.spawn(fetch_post(client.clone(), kid));
            fetches += 1;
        }
    }
    Ok((comments, fetches))
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
    let (comments, fetches) = post_number_of_comments(&client, post_id).await?;
    info!(
        "> Calculating comments took {:.2} seconds and {fetches} fetches",
        started.elapsed().as_secs_f64()
    );
    info!("-- Post {post_id} has {comments} comments");
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
