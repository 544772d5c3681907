//! Connections that never finish their request: the header-read timeout closes them, and
//! it leaves alone what comes after the headers (a slow or hanging answer).

use std::time::Duration;

use reqwest::StatusCode;
use stand_in::{Config, HEADER_READ_TIMEOUT, StandIn};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::{IP_API, REQUEST_LIMIT, fetch, start_with, via};

/// Short, so that the tests below see the server close a connection without waiting long;
/// they wait for that, never for a fixed time.
const SHORT: Duration = Duration::from_millis(200);

async fn start_with_short_timeout() -> StandIn {
    start_with(Config {
        header_read_timeout: SHORT,
        ..Config::default()
    })
    .await
}

/// Opens a connection and sends a request whose headers never end (no empty line).
async fn half_a_request(server: &StandIn) -> TcpStream {
    let mut connection = TcpStream::connect(server.addr()).await.expect("connects");
    connection
        .write_all(b"GET /json HTTP/1.1\r\nHost: ip-api.com\r\nUser-Agent: half")
        .await
        .expect("half a request sent");
    connection
}

/// Reads until the server closes the connection, within [`REQUEST_LIMIT`]; returns what
/// came before the end. A reset counts as closed.
async fn read_until_closed(mut connection: TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let closed = timeout(REQUEST_LIMIT, connection.read_to_end(&mut received)).await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {REQUEST_LIMIT:?}: {:?}",
        String::from_utf8_lossy(&received)
    );
    received
}

#[test]
fn the_default_header_read_timeout_is_ten_seconds() {
    assert_eq!(Config::default().header_read_timeout, HEADER_READ_TIMEOUT);
    assert_eq!(HEADER_READ_TIMEOUT, Duration::from_secs(10));
}

#[tokio::test]
async fn a_request_whose_headers_never_end_is_closed_after_the_header_read_timeout() {
    let server = start_with_short_timeout().await;
    let connection = half_a_request(&server).await;
    let received = read_until_closed(connection).await;
    // hyper closes it without an answer (or, if it ever answers, not with a 200).
    assert!(
        !received.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn thirty_half_sent_requests_are_all_closed() {
    let server = start_with_short_timeout().await;
    let mut connections = Vec::new();
    for _ in 0..30 {
        connections.push(half_a_request(&server).await);
    }
    let closed = futures::future::join_all(connections.into_iter().map(read_until_closed)).await;
    assert_eq!(closed.len(), 30);
    // And the server still answers.
    assert_eq!(
        fetch(&via(server.base_url(), IP_API)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_too() {
    let server = start_with_short_timeout().await;
    let connection = TcpStream::connect(server.addr()).await.expect("connects");
    assert!(read_until_closed(connection).await.is_empty());
}

#[tokio::test]
async fn a_slow_answer_is_not_cut_by_the_header_read_timeout() {
    let server = start_with_short_timeout().await;
    // The wait comes after the headers have been read, so the timeout no longer runs.
    let slow = via(&server.scenario_url("latency=600ms"), IP_API);
    let answer = fetch(&slow).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.json();
}
