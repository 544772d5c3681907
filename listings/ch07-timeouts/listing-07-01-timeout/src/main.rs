// Example 4a of the article: ask two IP services at once, wait for the first
// answer only as long as --timeout says, and answer without an address when
// none came in time.
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

// The client's own deadlines, for every request whoever waits for it: without
// them a service that never answers would keep a fetch waiting forever.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct Service {
    name: &'static str,
    url: &'static str,
    // The key of the answer's JSON object that holds the address.
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

// clap's derive is the counterpart of argparse: the fields are the options,
// and the `///` comments are the text --help prints.
/// Ask two IP services for this machine's public address, and wait only so long
#[derive(Parser)]
struct Args {
    /// How long to wait for the first answer, in seconds
    // `allow_negative_numbers` lets "-1" reach `seconds` as a value, where it
    // gets a clearer message than "unexpected argument".
    #[arg(short, long, value_name = "SECONDS", default_value = "0.01",
          value_parser = seconds, allow_negative_numbers = true)]
    timeout: Duration,
}

/// Reads a --timeout value. An Err's text ends up in clap's error message.
fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| "not a number of seconds".to_owned())?;
    // Refuses negative numbers, NaN and infinity, in words of its own.
    let duration = Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())?;
    if duration.is_zero() {
        return Err("a timeout must be at least 1 nanosecond".to_owned());
    }
    Ok(duration)
}

/// Prints a line when it is dropped before `finished` is set. Rust cancels a
/// future by dropping it at the `.await` where it waits: no exception is raised
/// inside it (asyncio raises CancelledError), but its destructors run.
struct CancelNotice {
    name: &'static str,
    start: Instant,
    finished: bool,
}

impl Drop for CancelNotice {
    fn drop(&mut self) {
        if !self.finished {
            let took = self.start.elapsed().as_secs_f64();
            println!("{} cancelled after {took:.2} seconds", self.name);
        }
    }
}

/// One request to one service, and the address in its JSON answer.
async fn ask(client: &reqwest::Client, service: &Service) -> anyhow::Result<String> {
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
        .with_context(|| format!("its answer has no {:?} key", service.ip_key))?;
    Ok(ip.to_owned())
}

async fn fetch_ip(client: reqwest::Client, service: &'static Service) -> anyhow::Result<String> {
    let start = Instant::now();
    println!("Fetching IP from {}", service.name);
    let mut notice = CancelNotice {
        name: service.name,
        start,
        finished: false,
    };

    // The article's random 0.1, 0.2 or 0.3 seconds of work before the request.
    sleep(Duration::from_millis(100 * rand::random_range(1..=3))).await;
    let outcome = ask(&client, service).await;
    notice.finished = true;

    let ip = outcome.with_context(|| format!("{} gave no address", service.name))?;
    let took = start.elapsed().as_secs_f64();
    println!(
        "{} finished with result: {ip}, took: {took:.2} seconds",
        service.name
    );
    Ok(ip)
}

/// Waits for the first fetch that brings an address. A fetch that fails says
/// so, and the wait goes on for the others.
async fn first_ip(fetches: &mut JoinSet<anyhow::Result<String>>) -> Option<String> {
    while let Some(joined) = fetches.join_next().await {
        match joined {
            Ok(Ok(ip)) => return Some(ip),
            Ok(Err(error)) => eprintln!("{error:#}"),
            // The fetch panicked, a bug: raise its panic again here, as
            // `future.result()` re-raises. Nothing aborts a fetch before this
            // wait is over, so this error is never a cancellation.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    None
}

// One thread, like asyncio's event loop: the fetches start in the order they
// are spawned.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    // Like argparse, clap ends the program here when the arguments are wrong:
    // a message and the usage on stderr, and exit status 2.
    let args = Args::parse();
    println!("Using a {:?} timeout", args.timeout);

    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    // The article's response is a dict; here it is a JSON object, the body a
    // web handler would send back.
    let mut response = json!({
        "message": "Result from asynchronous.",
        "ip": "not available",
    });

    let mut fetches = JoinSet::new();
    for service in &SERVICES {
        fetches.spawn(fetch_ip(client.clone(), service));
    }

    // `asyncio.wait(fetches, timeout=..., return_when=FIRST_COMPLETED)`. When
    // the deadline passes, `timeout` drops the wait it wraps; the fetches are
    // tasks owned by `fetches`, and they go on.
    match timeout(args.timeout, first_ip(&mut fetches)).await {
        Ok(Some(ip)) => response["ip"] = ip.into(),
        Ok(None) => println!("No service answered"),
        // `Elapsed`, the counterpart of asyncio's TimeoutError.
        Err(elapsed) => println!("No answer in time: {elapsed}"),
    }

    // `for future in pending: future.cancel()`: abort every fetch still running
    // and wait until each one has stopped. Dropping `fetches` would abort them
    // too, but without waiting.
    fetches.shutdown().await;

    println!("{response}");
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
