// Example 2a of the article: three fetches that each sleep a random time first;
// the results are printed in the order they complete, not the order started.
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::time::sleep;

const URL: &str = "https://api.github.com/events";
const MAX_CLIENTS: u32 = 3;
// GitHub's API refuses requests without a User-Agent, and reqwest sends none.
const USER_AGENT: &str = "async-rust-for-the-working-rust-developer";
// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a request waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The response's `Date` header, as text.
fn date_of(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get(reqwest::header::DATE)
        .and_then(|date| date.to_str().ok())
        .unwrap_or("(no Date header)")
        .to_owned()
}

// Returns its line instead of printing it: the caller decides when to show it.
async fn fetch_async(client: &reqwest::Client, pid: u32) -> anyhow::Result<String> {
    let start = Instant::now();
    // Like `random.randint(2, 5)`: 2, 3, 4 or 5.
    let sleepy_time = rand::random_range(2..=5);
    println!("Fetch async process {pid} started, sleeping for {sleepy_time} seconds");
    sleep(Duration::from_secs(sleepy_time)).await;

    let response = client.get(endpoint(URL)).send().await?.error_for_status()?;
    let date = date_of(response.headers());
    // Only the Date header is needed, but a connection goes back to the pool
    // for the next request only once its body has been read to the end.
    response.bytes().await?;
    let took = start.elapsed().as_secs_f64();
    Ok(format!("Process {pid}: {date}, took: {took:.2} seconds"))
}

// anyhow's Result makes a failed run end with the error and its causes, one
// per line, and a non-zero exit status.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let start = Instant::now();
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    // The counterpart of `asyncio.as_completed(futures)`: a set of futures that,
    // read as a stream, hands out each output as soon as that future is done.
    let fetches: FuturesUnordered<_> = (1..=MAX_CLIENTS)
        .map(|pid| fetch_async(&client, pid))
        .collect();
    let mut completed = fetches.enumerate();
    while let Some((i, result)) = completed.next().await {
        // `?` ends main at the first failed fetch; the unfinished ones are
        // dropped with the set, which cancels them.
        println!("{} {}", ">>".repeat(i + 1), result?);
    }

    println!("Process took: {:.2} seconds", start.elapsed().as_secs_f64());
    Ok(())
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
