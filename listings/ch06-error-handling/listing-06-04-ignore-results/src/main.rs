// Example 3c of the article: the fetches print their results instead of
// returning them, and main waits for all of them without looking at what
// they returned. ipify is still asked for a key its answer does not have.
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::future::join_all;
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

async fn fetch_ip(client: reqwest::Client, service: &'static Service) -> anyhow::Result<()> {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);

    let answer = match get_json(&client, service.url).await {
        Ok(answer) => answer,
        Err(error) => {
            println!("{} is unresponsive: {}", service.name, error.root_cause());
            return Ok(());
        }
    };
    // For ipify this returns an Err, which nobody will ever look at.
    let ip = answer
        .get(service.ip_key)
        .and_then(Value::as_str)
        .with_context(|| format!("no {:?} key in {}'s answer", service.ip_key, service.name))?;

    println!(
        "{} finished with result: {ip}, took: {:.2} seconds",
        service.name,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    let tasks: Vec<_> = SERVICES
        .iter()
        .map(|service| tokio::spawn(fetch_ip(client.clone(), service)))
        .collect();
    // Wait for all three and drop what they returned, errors included: the
    // counterpart of `await asyncio.wait(futures)` with its result unused.
    // The compiler does not object, since a Vec is not `#[must_use]`.
    join_all(tasks).await;
    println!("All fetches are done");
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
