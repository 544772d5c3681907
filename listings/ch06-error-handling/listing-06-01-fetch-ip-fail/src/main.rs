// Example 3a of the article: ask three services for our IP address at once,
// one of which cannot work. Each fetch deals with its own failure and returns
// a line saying so; the lines are printed as the fetches finish.
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
        ip_key: "ip",
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

/// Every step that can fail, each one passing its error up with `?`.
async fn get_ip(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
    let answer: Value = client
        .get(endpoint(service.url))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ip = answer
        .get(service.ip_key)
        .and_then(Value::as_str)
        .with_context(|| format!("the answer has no {:?} key", service.ip_key))?;
    Ok(ip.to_owned())
}

/// Never fails: whatever goes wrong becomes the line it returns, as the
/// article's `try: ... except: return '... is unresponsive'` does.
async fn fetch_ip(client: reqwest::Client, service: &'static Service) -> String {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);

    match get_ip(&client, service).await {
        Ok(ip) => format!(
            "{} finished with result: {ip}, took: {:.2} seconds",
            service.name,
            start.elapsed().as_secs_f64()
        ),
        // The innermost cause is the short answer to "why?".
        Err(error) => format!("{} is unresponsive: {}", service.name, error.root_cause()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    // One task per service, like the tasks `asyncio.wait` makes of coroutines.
    // A reqwest Client is a handle to a shared pool: cloning it is cheap.
    let mut tasks = JoinSet::new();
    for service in &SERVICES {
        tasks.spawn(fetch_ip(client.clone(), service));
    }
    // `join_next` hands out each task's output as soon as the task is done.
    while let Some(joined) = tasks.join_next().await {
        // `?` here is for a task that panicked: fetch_ip itself cannot fail.
        println!("{}", joined?);
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
