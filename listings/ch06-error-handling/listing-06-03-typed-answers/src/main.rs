// Example 3b, the way Rust code usually reads JSON: each service's answer is
// decoded into a struct, so an answer without the field we need is an error,
// and the error names the field.
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinSet;

// Without deadlines a service that accepts the connection and never answers,
// or never finishes its answer, would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// ipify's answer: `{"ip":"203.0.113.7"}`.
#[derive(Deserialize)]
struct Ipify {
    ip: String,
}

/// ip-api's answer has more than a dozen fields; serde skips those not named here.
#[derive(Deserialize)]
struct IpApi {
    query: String,
}

/// What every service's answer can do: hand over the address.
trait IpAnswer: DeserializeOwned {
    fn ip(self) -> String;
}

impl IpAnswer for Ipify {
    fn ip(self) -> String {
        self.ip
    }
}

impl IpAnswer for IpApi {
    fn ip(self) -> String {
        self.query
    }
}

/// `A` says which answer to expect, and so which fields must be in it.
async fn fetch_ip<A: IpAnswer>(
    client: reqwest::Client,
    name: &'static str,
    url: &'static str,
) -> anyhow::Result<String> {
    let start = Instant::now();
    println!("Fetching IP from {name}");

    // No answer at all: the service is unresponsive, and that is all we say.
    let response = match client
        .get(endpoint(url))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
    {
        Ok(response) => response,
        Err(error) => {
            let error = anyhow::Error::from(error);
            return Ok(format!("{name} is unresponsive: {}", error.root_cause()));
        }
    };
    // An answer we cannot use: that error goes to whoever reads the result.
    // `json` reads the whole body and lets serde decode it into an `A`. The
    // context names the service, so the error need not repeat its URL.
    let answer: A = response
        .json()
        .await
        .map_err(reqwest::Error::without_url)
        .with_context(|| format!("reading {name}'s answer"))?;

    Ok(format!(
        "{name} finished with result: {}, took: {:.2} seconds",
        answer.ip(),
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
    tasks.spawn(fetch_ip::<Ipify>(
        client.clone(),
        "ipify",
        "https://api.ipify.org?format=json",
    ));
    tasks.spawn(fetch_ip::<IpApi>(
        client.clone(),
        "ip-api",
        "http://ip-api.com/json",
    ));
    // `.invalid` is reserved (RFC 2606): no such host will ever resolve.
    tasks.spawn(fetch_ip::<Ipify>(
        client.clone(),
        "borken",
        "http://no-way-this-is-going-to-work.invalid/json",
    ));

    while let Some(joined) = tasks.join_next().await {
        match joined? {
            Ok(line) => println!("{line}"),
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
