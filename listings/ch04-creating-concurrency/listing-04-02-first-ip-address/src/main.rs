// Example 2b of the article: ask two services for our IP address at the same
// time and take whichever answers first.
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

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

const SERVICES: [Service; 2] = [
    Service {
        name: "ipify",
        url: "https://api.ipify.org?format=json",
        ip_key: "ip",
    },
    Service {
        name: "ip-api",
        url: "http://ip-api.com/json",
        ip_key: "query",
    },
];

async fn fetch_ip(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);

    let answer = client
        .get(endpoint(service.url))
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    let ip = answer
        .get(service.ip_key)
        .and_then(Value::as_str)
        .with_context(|| format!("{}'s answer has no {:?} key", service.name, service.ip_key))?;

    let took = start.elapsed().as_secs_f64();
    Ok(format!(
        "{} finished with result: {ip}, took: {took:.2} seconds",
        service.name
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let [ipify, ip_api] = &SERVICES;

    // The counterpart of `asyncio.wait(..., return_when=FIRST_COMPLETED)`: poll
    // both fetches and take the output of the first one to finish. The other
    // one is dropped when `select!` returns, which cancels it.
    let first = tokio::select! {
        // Poll the branches in the order written (ipify first), so the two
        // "Fetching" lines come out in the same order on every run.
        biased;
        result = fetch_ip(&client, ipify) => result,
        result = fetch_ip(&client, ip_api) => result,
    };
    println!("{}", first?);
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
