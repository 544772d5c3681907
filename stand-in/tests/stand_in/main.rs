//! The stand-in from the outside: real HTTP requests over loopback, the way listings make them.
//!
//! Every request goes through a client with a 10-second timeout, and every wait for something
//! that should not happen is a short explicit timeout, so no test can hang.

mod binary;
mod connections;
mod failures;
mod hacker_news;
mod services;

use std::time::Duration;

use stand_in::{Config, StandIn};

/// The URLs the listings call, exactly as the book prints them.
pub const GITHUB_EVENTS: &str = "https://api.github.com/events";
pub const IPIFY: &str = "https://api.ipify.org?format=json";
pub const IP_API: &str = "http://ip-api.com/json";
pub const HN_ITEM: &str = "https://hacker-news.firebaseio.com/v0/item/8863.json";
pub const HN_TOP_STORIES: &str = "https://hacker-news.firebaseio.com/v0/topstories.json";

/// Generous: loopback answers take milliseconds.
pub const REQUEST_LIMIT: Duration = Duration::from_secs(10);

/// What a listing does when `BOOK_STAND_IN` is set: keep the real URL's path and query, and
/// put the stand-in's base URL where the scheme, host and port were.
pub fn via(base_url: &str, real_url: &str) -> String {
    let after_scheme = real_url
        .split_once("://")
        .map_or(real_url, |(_scheme, rest)| rest);
    let path_and_query = after_scheme
        .find(['/', '?'])
        .map_or("", |start| &after_scheme[start..]);
    format!("{base_url}{path_and_query}")
}

pub async fn start() -> StandIn {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> StandIn {
    stand_in::spawn(config).await.expect("the stand-in starts")
}

/// A client that says who it is, as GitHub requires.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("stand-in-tests")
        .timeout(REQUEST_LIMIT)
        .build()
        .expect("the client builds")
}

/// reqwest's default: no `User-Agent` header at all.
pub fn client_without_user_agent() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_LIMIT)
        .build()
        .expect("the client builds")
}

/// A whole answer, read to its end.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value as text; panics, naming the header, when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .expect("header values are text")
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("the body is not JSON ({error}): {}", self.text()))
    }
}

pub async fn fetch_with(client: &reqwest::Client, url: &str) -> Answer {
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|error| panic!("GET {url}: {error}"));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|error| panic!("reading the body of {url}: {error}"))
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn fetch(url: &str) -> Answer {
    fetch_with(&client(), url).await
}

#[test]
fn via_keeps_the_path_and_query_of_the_real_url() {
    let base = "http://127.0.0.1:8000";
    assert_eq!(via(base, GITHUB_EVENTS), "http://127.0.0.1:8000/events");
    assert_eq!(via(base, IPIFY), "http://127.0.0.1:8000?format=json");
    assert_eq!(via(base, IP_API), "http://127.0.0.1:8000/json");
    assert_eq!(
        via(base, HN_ITEM),
        "http://127.0.0.1:8000/v0/item/8863.json"
    );
}
