// Example 2c of the article: ask two services for our IP address at once and
// take the first answer, as example 2b did; then cancel the request that lost,
// instead of leaving it pending when the program ends.
use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context as _;
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
// reqwest sends no User-Agent unless told to; name ourselves.
const USER_AGENT: &str = "async-rust-for-the-working-rust-developer";

/// The URL to call: the real one or, when BOOK_STAND_IN holds the address of
/// the book's local stand-in services (see the appendix), the same path and
/// query there. Only the three services the stand-in imitates are redirected.
fn endpoint(real: &str) -> String {
    let (Ok(stand_in), Ok(url)) = (std::env::var("BOOK_STAND_IN"), reqwest::Url::parse(real))
    else {
        return real.to_owned();
    };
    match url.host_str() {
        Some("api.github.com" | "api.ipify.org" | "ip-api.com") => {
            let query = url
                .query()
                .map(|query| format!("?{query}"))
                .unwrap_or_default();
            format!("{}{}{query}", stand_in.trim_end_matches('/'), url.path())
        }
        _ => real.to_owned(),
    }
}

/// One request to one service: the address it sees us coming from.
async fn ask(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
    let response = client.get(endpoint(service.url)).send().await?;
    // `error_for_status` turns a 4xx or 5xx answer into an Err.
    let body = response.error_for_status()?.text().await?;
    let json: serde_json::Value = serde_json::from_str(&body)?;
    let ip = json
        .get(service.ip_key)
        .and_then(|ip| ip.as_str())
        .with_context(|| format!("no {:?} in the answer: {body}", service.ip_key))?;
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
    let client = reqwest::Client::builder().user_agent(USER_AGENT).build()?;

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
