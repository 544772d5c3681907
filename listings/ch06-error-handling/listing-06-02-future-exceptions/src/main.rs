// Example 3b of the article: the same three services, but ipify is asked for
// a key its answer does not have. That mistake is not a network failure, so
// fetch_ip does not deal with it: it hands it to whoever reads its result.
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;
use tokio::task::JoinSet;

// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct Service {
    name: &'static str,
    url: &'static str,
    // The key of the answer's JSON object that holds the address.
    ip_key: &'static str,
}

static SERVICES: [Service; 3] = [
    Service {
        name: "ipify",
        url: "https://api.ipify.org?format=json",
        ip_key: "this-is-not-an-attr",
    },
    Service {
        name: "ip-api",
        url: "http://ip-api.com/json",
        ip_key: "query",
    },
    // `.invalid` is reserved (RFC 2606): no such host will ever resolve.
    Service {
        name: "borken",
        url: "http://no-way-this-is-going-to-work.invalid/json",
        ip_key: "ip",
    },
];

/// The network part: the request, its status and a body that parses as JSON.
async fn get_json(client: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let answer = client
        .get(endpoint(url))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer)
}

/// The address under `key`. Indexing, `answer[key]`, would give `Null` for a
/// missing key and no error at all; `get` says `None`, which we turn into one.
fn ip_in<'a>(answer: &'a Value, key: &str) -> anyhow::Result<&'a str> {
    let value = answer
        .get(key)
        .with_context(|| format!("no {key:?} key in the answer"))?;
    value
        .as_str()
        .with_context(|| format!("the {key:?} key does not hold a string"))
}

async fn fetch_ip(client: reqwest::Client, service: &'static Service) -> anyhow::Result<String> {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);

    // The article's `try`/`except` covers the request only, and so does this.
    let answer = match get_json(&client, service.url).await {
        Ok(answer) => answer,
        Err(error) => {
            let why = error.root_cause();
            return Ok(format!("{} is unresponsive: {why}", service.name));
        }
    };
    // Outside it: `?` returns this error as the task's result, for the reader
    // of that result to deal with.
    let ip = ip_in(&answer, service.ip_key)
        .with_context(|| format!("reading the address in {}'s answer", service.name))?;

    Ok(format!(
        "{} finished with result: {ip}, took: {:.2} seconds",
        service.name,
        start.elapsed().as_secs_f64()
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    let mut tasks = JoinSet::new();
    for service in &SERVICES {
        tasks.spawn(fetch_ip(client.clone(), service));
    }
    while let Some(joined) = tasks.join_next().await {
        // Two layers: the outer Result says whether the task ran to its end
        // (`?` stops main if it panicked), the inner one is what fetch_ip
        // returned. Reading it is where its error surfaces, as
        // `future.result()` raises in Python.
        match joined? {
            Ok(line) => println!("{line}"),
            // `{:#}` prints the error and its causes on one line.
            Err(error) => println!("Unexpected error: {error:#}"),
        }
    }
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
