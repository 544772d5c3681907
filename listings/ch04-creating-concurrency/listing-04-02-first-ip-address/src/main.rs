// Example 2b of the article: ask two services for our IP address at the same
// time and take whichever answers first.
use std::time::Instant;

use anyhow::Context as _;

// GitHub's API refuses requests without a User-Agent, and reqwest sends none;
// the book's listings all name themselves.
const USER_AGENT: &str = "async-rust-for-the-working-rust-developer";

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

async fn fetch_ip(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);

    let response = client
        .get(endpoint(service.url))
        .send()
        .await?
        .error_for_status()?;
    let answer: serde_json::Value = serde_json::from_str(&response.text().await?)?;
    let ip = answer
        .get(service.ip_key)
        .and_then(serde_json::Value::as_str)
        .with_context(|| format!("{}'s answer has no {:?} key", service.name, service.ip_key))?;

    let took = start.elapsed().as_secs_f64();
    Ok(format!(
        "{} finished with result: {ip}, took: {took:.2} seconds",
        service.name
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder().user_agent(USER_AGENT).build()?;
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
