//! Each failure mode, seen from a client: reqwest for what a listing sees, and a raw TCP
//! connection where the point is what happens on the wire.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use stand_in::{DOCUMENTATION_IP, RETRY_AFTER_SECONDS};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::timeout;

use crate::{
    GITHUB_EVENTS, HN_ITEM, HN_TOP_STORIES, IP_API, IPIFY, REQUEST_LIMIT, client, fetch, start, via,
};

const ALL: [&str; 5] = [GITHUB_EVENTS, IPIFY, IP_API, HN_ITEM, HN_TOP_STORIES];

#[tokio::test]
async fn fail_500_is_an_internal_server_error_from_every_service() {
    let server = start().await;
    for real_url in ALL {
        let answer = fetch(&via(&server.scenario_url("fail=500"), real_url)).await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{real_url}"
        );
    }
}

/// Epoch seconds in `x-ratelimit-reset`: at most a minute ahead (the stand-in says one
/// second, so that a listing which waits for it does not wait long).
fn assert_resets_soon(answer: &crate::Answer) {
    let reset: u64 = answer
        .header("x-ratelimit-reset")
        .parse()
        .expect("epoch seconds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert!(
        (now..=now + 60).contains(&reset),
        "reset {reset}, now {now}"
    );
}

/// GitHub's documented answer to a used-up rate limit, whichever of its two statuses.
fn assert_githubs_rate_limit(answer: &crate::Answer, status: StatusCode) {
    assert_eq!(answer.status, status);
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(answer.header("x-ratelimit-remaining"), "0");
    assert_eq!(answer.header("x-ratelimit-limit"), "60");
    assert_resets_soon(answer);
    let body = answer.json();
    let message = body["message"].as_str().expect("a message");
    assert!(
        message.starts_with(&format!("API rate limit exceeded for {DOCUMENTATION_IP}.")),
        "{message}"
    );
    assert!(
        body["documentation_url"]
            .as_str()
            .is_some_and(|url| url.starts_with("https://docs.github.com/")),
        "{body}"
    );
}

/// ip-api's documented signal: 429, `X-Rl: 0` and `X-Ttl`, and no `Retry-After`, which
/// ip-api does not send.
fn assert_ip_apis_rate_limit(answer: &crate::Answer) {
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.header("x-rl"), "0");
    assert_eq!(answer.header("x-ttl"), RETRY_AFTER_SECONDS.to_string());
    assert!(
        !answer.headers.contains_key("retry-after"),
        "{:?}",
        answer.headers
    );
}

/// ipify and Hacker News document no rate limit; the stand-in's own 429 for them says when
/// to come back.
fn assert_made_up_429(answer: &crate::Answer) {
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        answer.header("retry-after"),
        RETRY_AFTER_SECONDS.to_string()
    );
}

/// `fail=429` and `fail=rate-limit` differ only in GitHub's status: 429 or 403, the two it
/// documents.
#[tokio::test]
async fn fail_429_and_rate_limit_are_each_services_own_answer() {
    let server = start().await;
    for (rules, githubs_status) in [
        ("fail=429", StatusCode::TOO_MANY_REQUESTS),
        ("fail=rate-limit", StatusCode::FORBIDDEN),
    ] {
        let base = server.scenario_url(rules);
        assert_githubs_rate_limit(&fetch(&via(&base, GITHUB_EVENTS)).await, githubs_status);
        assert_ip_apis_rate_limit(&fetch(&via(&base, IP_API)).await);
        assert_made_up_429(&fetch(&via(&base, IPIFY)).await);
        assert_made_up_429(&fetch(&via(&base, HN_ITEM)).await);
    }
}

#[tokio::test]
async fn malformed_json_is_a_200_json_answer_whose_body_stops_halfway() {
    let server = start().await;
    for real_url in ALL {
        let whole = fetch(&via(server.base_url(), real_url)).await;
        let broken = fetch(&via(&server.scenario_url("fail=malformed"), real_url)).await;

        assert_eq!(broken.status, StatusCode::OK, "{real_url}");
        assert!(broken.header("content-type").contains("json"), "{real_url}");
        assert!(!broken.body.is_empty(), "{real_url}");
        assert!(whole.body.starts_with(&broken.body), "{real_url}");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&broken.body).is_err(),
            "{real_url} parsed: {}",
            broken.text()
        );
    }
}

#[tokio::test]
async fn missing_key_is_valid_json_without_the_key_a_listing_reads() {
    let server = start().await;
    let base = server.scenario_url("fail=missing-key");

    let ipify = fetch(&via(&base, IPIFY)).await.json();
    assert!(ipify.get("ip").is_none(), "{ipify}");

    let ip_api = fetch(&via(&base, IP_API)).await.json();
    assert!(ip_api.get("query").is_none(), "{ip_api}");
    assert_eq!(ip_api["status"], "success");

    let events = fetch(&via(&base, GITHUB_EVENTS)).await.json();
    let events = events.as_array().expect("still an array of events");
    assert!(!events.is_empty());
    for event in events {
        assert!(event.get("type").is_none(), "{event}");
        assert!(event["id"].is_string(), "{event}");
    }

    // Hacker News: the story without `kids`, which reads as a story without comments, and
    // no top stories.
    let story = fetch(&via(&base, HN_ITEM)).await.json();
    assert!(story.get("kids").is_none(), "{story}");
    assert_eq!(story["descendants"], 71);
    assert_eq!(
        fetch(&via(&base, HN_TOP_STORIES)).await.json(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn cut_gives_headers_and_part_of_the_body_then_a_client_error() {
    let server = start().await;
    for real_url in ALL {
        let url = via(&server.scenario_url("fail=cut"), real_url);
        let mut response = client().get(&url).send().await.expect("headers arrive");
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let announced = response.content_length().expect("a Content-Length");

        let mut received = 0;
        let error = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => received += chunk.len() as u64,
                Ok(None) => panic!("{url}: the body ended normally after {received} bytes"),
                Err(error) => break error,
            }
        };
        assert!(
            received > 0 && received < announced,
            "{url}: {received}/{announced}"
        );
        assert!(error.is_body() || error.is_decode(), "{url}: {error:?}");
    }
}

/// The same seen on the wire: the server closes the connection with the body incomplete.
#[tokio::test]
async fn cut_closes_the_tcp_connection_before_the_announced_length() {
    let server = start().await;
    let mut connection = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    connection
        .write_all(b"GET /scenario/fail=cut/json HTTP/1.1\r\nHost: ip-api.com\r\n\r\n")
        .await
        .expect("request sent");
    let mut everything = Vec::new();
    // Reading to the end only returns because the server closes the connection; a
    // keep-alive connection would stay open and the timeout would fail the test.
    timeout(REQUEST_LIMIT, connection.read_to_end(&mut everything))
        .await
        .expect("the server closes the connection")
        .ok();
    let text = String::from_utf8_lossy(&everything);
    let (head, body) = text.split_once("\r\n\r\n").expect("complete headers");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let announced: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .expect("a Content-Length")
        .parse()
        .expect("a number");
    assert!(!body.is_empty() && body.len() < announced, "{body:?}");
}

#[tokio::test]
async fn hang_gives_headers_and_part_of_the_body_and_then_nothing() {
    let server = start().await;
    let url = via(&server.scenario_url("fail=hang"), IPIFY);
    let mut response = client().get(&url).send().await.expect("headers arrive");
    assert_eq!(response.status(), StatusCode::OK);

    let first = response
        .chunk()
        .await
        .expect("first bytes")
        .expect("a chunk");
    assert!(!first.is_empty());
    // Half a second of silence stands for "never": nothing in the stand-in would send the
    // rest later, so this cannot pass by luck, only fail if the body does end.
    let rest = timeout(Duration::from_millis(500), response.chunk()).await;
    assert!(rest.is_err(), "the body went on: {rest:?}");

    // Shutting down ends the hanging body, so neither the server nor a test waits for ever.
    timeout(REQUEST_LIMIT, server.shutdown())
        .await
        .expect("shutdown does not wait for the hanging body")
        .expect("shutdown succeeds");
    let after_shutdown = timeout(REQUEST_LIMIT, response.chunk())
        .await
        .expect("the body ends once the server shuts down");
    assert!(after_shutdown.is_err(), "{after_shutdown:?}");
}

#[tokio::test]
async fn shutdown_is_not_held_up_by_slow_or_hanging_answers() {
    let server = start().await;
    let slow = via(&server.scenario_url("latency=60s"), IP_API);
    let hanging = via(&server.scenario_url("fail=hang"), GITHUB_EVENTS);
    let slow_request = tokio::spawn(client().get(slow).send());
    let mut hanging_response = client().get(&hanging).send().await.expect("headers arrive");
    hanging_response.chunk().await.expect("first bytes");

    let started = tokio::time::Instant::now();
    timeout(REQUEST_LIMIT, server.shutdown())
        .await
        .expect("shutdown finishes")
        .expect("shutdown succeeds");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // The slow request was either answered 503 or had its connection closed: not left waiting.
    let slow_result = timeout(REQUEST_LIMIT, slow_request)
        .await
        .expect("the slow request ends")
        .expect("the task did not panic");
    if let Ok(response) = slow_result {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

#[tokio::test]
async fn after_shutdown_nothing_listens_on_the_port() {
    let server = start().await;
    let addr = server.addr();
    server.shutdown().await.expect("shutdown succeeds");
    let refused = tokio::net::TcpStream::connect(addr).await;
    assert!(refused.is_err(), "something still listens on {addr}");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let server = start().await;
    let addr = server.addr();
    drop(server);
    // Drop cannot wait, so the server task notices a moment later; keep trying to connect,
    // without sleeping, until the port refuses, with a deadline in case it never does.
    timeout(REQUEST_LIMIT, async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the port closes after the handle is dropped");
}
