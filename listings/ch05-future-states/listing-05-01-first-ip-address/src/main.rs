// Example 2c of the article: ask two services for our IP address at once and
// take the first answer, as example 2b did; then cancel the request that lost,
// instead of leaving it pending when the program ends.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;
use tokio::task::JoinSet;

struct Service {
    name: &'static str,
    url: &'static str,
    // The JSON key that holds the address in this service's answer.
    ip_key: &'static str,
}

static SERVICES: [Service; 2] = [
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
// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One request to one service: the address it sees us coming from.
async fn ask(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
    let response = client.get(endpoint(service.url)).send().await?;
    // `error_for_status` turns a 4xx or 5xx answer into an Err.
    let json: Value = response.error_for_status()?.json().await?;
    let ip = json
        .get(service.ip_key)
        .and_then(Value::as_str)
        .with_context(|| format!("no {:?} in the answer: {json}", service.ip_key))?;
    Ok(ip.to_owned())
}

async fn fetch_ip(client: reqwest::Client, service: &Service) -> anyhow::Result<String> {
    println!("Fetching IP from {}", service.name);
    let start = Instant::now();
    let ip = ask(&client, service)
        .await
        .with_context(|| format!("asking {} for our IP address", service.name))?;
    let took = start.elapsed().as_secs_f64();
    println!(
        "{} finished with result: {ip}, took: {took:.2} seconds",
        service.name
    );
    Ok(ip)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;

    // One task per service. The JoinSet owns them; `names` says which is which.
    let mut tasks = JoinSet::new();
    let mut names = HashMap::new();
    for service in &SERVICES {
        let task = tasks.spawn(fetch_ip(client.clone(), service));
        names.insert(task.id(), service.name);
    }

    // Like `asyncio.wait(tasks, return_when=FIRST_COMPLETED)`: whichever task
    // ends first. If it failed, `?` returns from main, and dropping the JoinSet
    // on the way out aborts the task that is still running.
    let first = tasks.join_next().await.context("no service to ask")?;
    first??;

    // Like `task.cancel()` for every task still pending. It only asks: a task
    // stops at its next `.await`, and awaiting it says how it ended.
    tasks.abort_all();
    while let Some(outcome) = tasks.join_next_with_id().await {
        match outcome {
            Err(error) if error.is_cancelled() => println!("{} was cancelled", names[&error.id()]),
            // It finished before abort_all got to it; its answer is not needed.
            Ok((id, _)) => println!("{} had finished as well", names[&id]),
            // It panicked: a bug, not a lost race.
            Err(error) => return Err(error.into()),
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
