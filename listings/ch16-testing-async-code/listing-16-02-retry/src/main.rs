// A fetch that tries again when a failure may pass, waiting twice as long
// before each new attempt; and its tests, against a local server on the
// paused clock.
use std::error::Error as _;
use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::time::sleep;

// The client's own deadlines: without them a service that never answers
// would keep an attempt waiting forever, and the retries would never come.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How many attempts to make, and the wait before the second; each later
/// wait is twice the one before.
#[derive(Clone, Copy, Debug)]
struct Backoff {
    attempts: u32,
    first_wait: Duration,
}

/// GETs `url` and reads its JSON answer, trying again as `backoff` says
/// while the failure is one that may pass.
async fn get_json_with_retry(
    client: &reqwest::Client,
    url: &str,
    backoff: Backoff,
) -> anyhow::Result<Value> {
    let mut wait = backoff.first_wait;
    let mut attempt = 1;
    loop {
        match get_json(client, url).await {
            Ok(value) => return Ok(value),
            Err(error) if attempt < backoff.attempts && worth_retrying(&error) => {
                eprintln!("Attempt {attempt} failed ({error}); next in {wait:?}");
                sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(error) => {
                let attempts = backoff.attempts;
                return Err(error)
                    .with_context(|| format!("attempt {attempt} of {attempts} failed"));
            }
        }
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, reqwest::Error> {
    client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await
}

/// No connection, no answer in time, an answer cut short, the server's own
/// failure (5xx) or "too many requests": another attempt may succeed. A
/// client error (4xx), or a body that came whole but is not JSON, will not.
fn worth_retrying(error: &reqwest::Error) -> bool {
    if let Some(status) = error.status() {
        return status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
    }
    let not_json = error
        .source()
        .is_some_and(|source| source.is::<serde_json::Error>());
    !not_json
        && (error.is_connect() || error.is_timeout() || error.is_request() || error.is_decode())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let backoff = Backoff {
        attempts: 3,
        first_wait: Duration::from_millis(500),
    };
    let url = endpoint("https://api.ipify.org?format=json");
    let answer = get_json_with_retry(&client, &url, backoff).await?;
    let ip = answer["ip"]
        .as_str()
        .context("ipify's answer has no \"ip\" key")?;
    println!("Public address: {ip}");
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    use tokio::time::Instant;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const BACKOFF: Backoff = Backoff {
        attempts: 3,
        first_wait: Duration::from_millis(500),
    };

    /// A client with no timer of its own: no timeouts, no idle-connection
    /// sweep. On the paused clock, any timer still pending while the runtime
    /// waits for the server would fire at once (see the chapter).
    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .pool_idle_timeout(None)
            .build()
            .unwrap()
    }

    fn answer(status: u16) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(serde_json::json!({"ip": "203.0.113.7"}))
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_error_is_retried_after_doubling_waits() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer(500))
            .up_to_n_times(2)
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(answer(200))
            .expect(1)
            .mount(&server)
            .await;

        let start = Instant::now();
        let value = get_json_with_retry(&client(), &server.uri(), BACKOFF).await;
        assert_eq!(value.unwrap()["ip"], "203.0.113.7");
        // 0.5 s, then 1 s: exact on the paused clock.
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_after_the_last_attempt() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer(503))
            .expect(3)
            .mount(&server)
            .await;

        let start = Instant::now();
        let error = get_json_with_retry(&client(), &server.uri(), BACKOFF)
            .await
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("503 Service Unavailable"),
            "{error:#}"
        );
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_error_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer(404))
            .expect(1)
            .mount(&server)
            .await;

        let start = Instant::now();
        let result = get_json_with_retry(&client(), &server.uri(), BACKOFF).await;
        assert!(result.is_err());
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn malformed_json_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"ip\": "))
            .expect(1)
            .mount(&server)
            .await;

        let error = get_json_with_retry(&client(), &server.uri(), BACKOFF)
            .await
            .unwrap_err();
        let cause = error.downcast_ref::<reqwest::Error>().unwrap();
        assert!(cause.is_decode(), "{error:#}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_service_times_out_each_attempt() {
        // A server that never answers: it never even accepts the connection,
        // which waits in the system's queue.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", silent.local_addr().unwrap());
        // This client has a timeout, the one timer pending while it waits.
        // The answer never comes, so the clock jumps to it: 10 s of paused
        // time per attempt, and none of real time.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(None)
            .build()
            .unwrap();

        let start = Instant::now();
        let error = get_json_with_retry(&client, &url, BACKOFF)
            .await
            .unwrap_err();
        assert!(error.downcast_ref::<reqwest::Error>().unwrap().is_timeout());
        assert_eq!(start.elapsed(), Duration::from_millis(31_500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_connection_is_retried() {
        // A server that promises 100 bytes, sends 6 and hangs up. Port 0: the
        // system picks a free port.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let served = Arc::new(AtomicU32::new(0));
        let server = tokio::spawn({
            let served = Arc::clone(&served);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let mut stream = tokio::io::BufStream::new(stream);
                    // Read the request's head, up to its empty line.
                    let mut line = String::new();
                    while stream.read_line(&mut line).await.is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"ip\":";
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.flush().await;
                    // Counted before the hang-up, which is when the client sees it.
                    served.fetch_add(1, Ordering::Relaxed);
                }
            }
        });

        let start = Instant::now();
        let error = get_json_with_retry(&client(), &url, BACKOFF)
            .await
            .unwrap_err();
        assert!(format!("{error:#}").contains("end of file before message length reached"));
        assert_eq!(served.load(Ordering::Relaxed), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        server.abort();
    }
}
