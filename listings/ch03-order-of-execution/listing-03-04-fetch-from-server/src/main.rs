// Example 1d of the article: fetch the same page three times, first one request
// after another with a blocking client, then all three at once.
use std::time::{Duration, Instant};

use futures::future::try_join_all;

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

fn fetch_sync(client: &reqwest::blocking::Client, pid: u32) -> anyhow::Result<String> {
    println!("Fetch sync process {pid} started");
    let start = Instant::now();
    // `error_for_status` turns a 4xx or 5xx answer into an Err.
    let response = client.get(endpoint(URL)).send()?.error_for_status()?;
    let date = date_of(response.headers());
    // Only the Date header is needed, but a connection goes back to the pool
    // for the next request only once its body has been read to the end.
    response.bytes()?;
    let took = start.elapsed().as_secs_f64();
    println!("Process {pid}: {date}, took: {took:.2} seconds");
    Ok(date)
}

async fn fetch_async(client: &reqwest::Client, pid: u32) -> anyhow::Result<String> {
    println!("Fetch async process {pid} started");
    let start = Instant::now();
    let response = client.get(endpoint(URL)).send().await?.error_for_status()?;
    let date = date_of(response.headers());
    response.bytes().await?;
    let took = start.elapsed().as_secs_f64();
    println!("Process {pid}: {date}, took: {took:.2} seconds");
    Ok(date)
}

fn synchronous() -> anyhow::Result<()> {
    let start = Instant::now();
    let client = reqwest::blocking::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    for pid in 1..=MAX_CLIENTS {
        fetch_sync(&client, pid)?;
    }
    println!("Process took: {:.2} seconds", start.elapsed().as_secs_f64());
    Ok(())
}

async fn asynchronous() -> anyhow::Result<()> {
    let start = Instant::now();
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    // All three at once, like the article's `asyncio.wait(tasks)`, but stops at the first error.
    try_join_all((1..=MAX_CLIENTS).map(|pid| fetch_async(&client, pid))).await?;
    println!("Process took: {:.2} seconds", start.elapsed().as_secs_f64());
    Ok(())
}

// anyhow's Result makes a failed run end with the error and its causes, one
// per line, and a non-zero exit status.
fn main() -> anyhow::Result<()> {
    // The blocking client runs its own runtime inside and panics if it is used
    // from async code, so this part stays outside Tokio altogether.
    println!("Synchronous:");
    synchronous()?;

    println!("Asynchronous:");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(asynchronous())?;
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
