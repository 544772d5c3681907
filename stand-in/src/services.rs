//! What each real service answers: status, headers and body, byte for byte where it matters.
//!
//! Bodies are written out as text rather than built with `serde_json::json!`, because
//! `serde_json` sorts object keys unless a workspace-wide feature is switched on, and the real
//! services do not sort theirs. The tests parse every body, so a typo here fails a test.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header::{CONTENT_TYPE, DATE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::hacker_news;
use crate::scenario::Service;

/// The address the IP services report. It is in 203.0.113.0/24 (TEST-NET-3, RFC 5737),
/// kept for documentation, so it can never be mistaken for a reader's real address.
pub const DOCUMENTATION_IP: &str = "203.0.113.7";

/// How many seconds every rate-limit answer tells the client to wait (GitHub's
/// `x-ratelimit-reset` is this far ahead, ip-api's `X-Ttl` and the stand-in's own ipify
/// `Retry-After` say this). Short on purpose: a listing that honours it should finish in a
/// moment, not in an hour as with GitHub.
pub const RETRY_AFTER_SECONDS: u64 = 1;

const JSON_UTF8: &str = "application/json; charset=utf-8";
const TEXT_UTF8: &str = "text/plain; charset=utf-8";

/// A complete answer, kept as bytes so that failure modes can cut or corrupt the body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Answer {
            status,
            headers,
            body: body.into(),
        }
    }

    fn with_header(mut self, name: &'static str, value: impl ToString) -> Answer {
        let value = HeaderValue::try_from(value.to_string())
            .expect("the stand-in's own header values are valid");
        self.headers.insert(HeaderName::from_static(name), value);
        self
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, self.headers, self.body).into_response()
    }
}

/// What a request asked for, as far as the services care.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFacts {
    pub has_user_agent: bool,
    /// `?format=json`, which makes ipify answer JSON instead of plain text.
    pub wants_json: bool,
    /// Which Hacker News resource was asked for; `None` for the other services.
    pub hacker_news: Option<HackerNewsPath>,
}

/// The two Hacker News resources the stand-in serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HackerNewsPath {
    /// `/v0/item/{id}.json`; `None` when the id is not a number (the API answers `null`).
    Item(Option<u64>),
    /// `/v0/topstories.json`
    TopStories,
}

/// The answer the real service gives when all is well.
pub fn normal_answer(service: Service, request: RequestFacts) -> Answer {
    match service {
        Service::GitHub => github_answer(GITHUB_EVENTS),
        Service::Ipify if request.wants_json => {
            Answer::new(StatusCode::OK, "application/json", IPIFY_JSON)
        }
        Service::Ipify => Answer::new(StatusCode::OK, TEXT_UTF8, DOCUMENTATION_IP),
        Service::IpApi => ip_api_answer(IP_API_JSON),
        Service::HackerNews => hacker_news_answer(match request.hacker_news {
            Some(HackerNewsPath::Item(Some(id))) => hacker_news::item_json(id),
            Some(HackerNewsPath::TopStories) => hacker_news::top_stories_json(),
            Some(HackerNewsPath::Item(None)) | None => "null",
        }),
    }
}

/// Hacker News's answer to an item it does not have, and `hn.fail=null`'s to every item.
pub fn hacker_news_null() -> Answer {
    hacker_news_answer("null")
}

/// Firebase's headers: JSON, and no caching.
fn hacker_news_answer(body: impl Into<Bytes>) -> Answer {
    Answer::new(StatusCode::OK, JSON_UTF8, body).with_header("cache-control", "no-cache")
}

/// Like [`normal_answer`], but without the key a listing reads: `type` in GitHub's events,
/// `ip` for ipify (its plain-text answer, where the address is the whole body, comes back
/// empty), `query` for ip-api.
pub fn answer_without_key(service: Service, request: RequestFacts) -> Answer {
    match service {
        // Every key sits on a line of its own in the pretty-printed events, and `type` is
        // never the last key of its object, so dropping its lines leaves valid JSON.
        Service::GitHub => github_answer(
            GITHUB_EVENTS
                .lines()
                .filter(|line| !line.trim_start().starts_with("\"type\":"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Service::Ipify if request.wants_json => {
            Answer::new(StatusCode::OK, "application/json", "{}")
        }
        Service::Ipify => Answer::new(StatusCode::OK, TEXT_UTF8, ""),
        Service::IpApi => {
            ip_api_answer(IP_API_JSON.replace(&format!(r#","query":"{DOCUMENTATION_IP}""#), ""))
        }
        // Items without `kids`, which looks like an item without replies; the top stories
        // as an empty list.
        Service::HackerNews => hacker_news_answer(match request.hacker_news {
            Some(HackerNewsPath::Item(Some(id))) => hacker_news::item_json_without_kids(id),
            Some(HackerNewsPath::TopStories) => "[]".to_owned(),
            Some(HackerNewsPath::Item(None)) | None => "null".to_owned(),
        }),
    }
}

/// GitHub's answer to a request without a `User-Agent` header. GitHub sends this as plain
/// text, not JSON (as `curl -A '' https://api.github.com/events` shows).
pub fn github_without_user_agent() -> Answer {
    Answer::new(StatusCode::FORBIDDEN, TEXT_UTF8, GITHUB_NO_USER_AGENT)
}

/// The answer to a client that has used up its requests, in the shape the service documents,
/// with `status` where the service lets it vary:
///
/// - GitHub: 403 or 429 (both documented), a JSON `message` and `documentation_url`,
///   `x-ratelimit-remaining: 0` and `x-ratelimit-reset` in epoch seconds
///   (docs.github.com, "Rate limits for the REST API").
/// - ip-api: 429, with `X-Rl: 0` (requests left) and `X-Ttl` (seconds until the window
///   resets) (ip-api.com/docs, "usage limits"). It documents no body; this one is the
///   stand-in's own.
/// - ipify and Hacker News document no rate limit at all. Their answer here is the
///   stand-in's own, a plain 429 with `Retry-After`, so that a listing can still be shown
///   meeting a 429 from them.
pub fn rate_limit_answer(service: Service, status: StatusCode) -> Answer {
    match service {
        Service::GitHub => {
            let body = format!(
                "{{\n  \"message\": \"API rate limit exceeded for {DOCUMENTATION_IP}. (But here's \
                 the good news: Authenticated requests get a higher rate limit. Check out the \
                 documentation for more details.)\",\n  \"documentation_url\": \
                 \"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api\
                 #about-primary-rate-limits\"\n}}\n"
            );
            Answer::new(status, JSON_UTF8, body)
                .with_header("x-ratelimit-limit", 60)
                .with_header("x-ratelimit-remaining", 0)
                .with_header(
                    "x-ratelimit-reset",
                    unix_seconds_from_now(RETRY_AFTER_SECONDS),
                )
                .with_header("x-ratelimit-used", 60)
                .with_header("x-ratelimit-resource", "core")
        }
        Service::IpApi => Answer::new(
            StatusCode::TOO_MANY_REQUESTS,
            TEXT_UTF8,
            "429 Too Many Requests (stand-in)\n",
        )
        .with_header("x-rl", 0)
        .with_header("x-ttl", RETRY_AFTER_SECONDS),
        // Neither documents a rate limit; this answer is the stand-in's own.
        Service::Ipify | Service::HackerNews => {
            let mut answer = Answer::new(
                StatusCode::TOO_MANY_REQUESTS,
                TEXT_UTF8,
                "429 Too Many Requests (stand-in)\n",
            );
            answer
                .headers
                .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            answer
        }
    }
}

pub fn server_error() -> Answer {
    Answer::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        TEXT_UTF8,
        "500 Internal Server Error (stand-in)\n",
    )
}

fn github_answer(body: impl Into<Bytes>) -> Answer {
    Answer::new(StatusCode::OK, JSON_UTF8, body)
        .with_header("x-github-media-type", "github.v3; format=json")
        .with_header("x-ratelimit-limit", 60)
        .with_header("x-ratelimit-remaining", 59)
        .with_header("x-ratelimit-reset", unix_seconds_from_now(3600))
        .with_header("x-ratelimit-used", 1)
        .with_header("x-ratelimit-resource", "core")
        // hyper would add a Date header anyway; the book's first HTTP listing reads this
        // one, so it is set here where a reader of this file can see it.
        .with_header(DATE.as_str(), httpdate::fmt_http_date(SystemTime::now()))
}

fn ip_api_answer(body: impl Into<Bytes>) -> Answer {
    Answer::new(StatusCode::OK, JSON_UTF8, body)
        .with_header("x-rl", 44)
        .with_header("x-ttl", 60)
}

fn unix_seconds_from_now(seconds: u64) -> u64 {
    (SystemTime::now() + Duration::from_secs(seconds))
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.as_secs())
}

const GITHUB_NO_USER_AGENT: &str = "Request forbidden by administrative rules. \
    Please make sure your request has a User-Agent header \
    (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). \
    Check https://developer.github.com for other possible causes.";

const IPIFY_JSON: &str = r#"{"ip":"203.0.113.7"}"#;

// AS64500 and "Example Networks" are made up; 64496-64511 are ASNs kept for documentation.
const IP_API_JSON: &str = concat!(
    r#"{"status":"success","country":"United Kingdom","countryCode":"GB","#,
    r#""region":"ENG","regionName":"England","city":"London","zip":"EC1A","#,
    r#""lat":51.5074,"lon":-0.1278,"timezone":"Europe/London","#,
    r#""isp":"Example Networks Ltd","org":"Example Networks","#,
    r#""as":"AS64500 Example Networks Ltd","query":"203.0.113.7"}"#,
);

// The shape of GitHub's public events, pretty-printed as GitHub sends them. The users and
// repositories are GitHub's own examples (octocat), the times fixed so that output is stable.
const GITHUB_EVENTS: &str = r#"[
  {
    "id": "48213573902",
    "type": "PushEvent",
    "actor": {
      "id": 583231,
      "login": "octocat",
      "display_login": "octocat",
      "gravatar_id": "",
      "url": "https://api.github.com/users/octocat",
      "avatar_url": "https://avatars.githubusercontent.com/u/583231?"
    },
    "repo": {
      "id": 1296269,
      "name": "octocat/Hello-World",
      "url": "https://api.github.com/repos/octocat/Hello-World"
    },
    "payload": {
      "repository_id": 1296269,
      "push_id": 23562190721,
      "ref": "refs/heads/master",
      "head": "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d",
      "before": "553c2077f0edc3d5dc5d17262f6aa498e69d6f8e"
    },
    "public": true,
    "created_at": "2025-03-01T09:00:00Z"
  },
  {
    "id": "48213573877",
    "type": "WatchEvent",
    "actor": {
      "id": 583231,
      "login": "octocat",
      "display_login": "octocat",
      "gravatar_id": "",
      "url": "https://api.github.com/users/octocat",
      "avatar_url": "https://avatars.githubusercontent.com/u/583231?"
    },
    "repo": {
      "id": 1300192,
      "name": "octocat/Spoon-Knife",
      "url": "https://api.github.com/repos/octocat/Spoon-Knife"
    },
    "payload": {
      "action": "started"
    },
    "public": true,
    "created_at": "2025-03-01T08:59:58Z"
  },
  {
    "id": "48213573851",
    "type": "IssuesEvent",
    "actor": {
      "id": 583231,
      "login": "octocat",
      "display_login": "octocat",
      "gravatar_id": "",
      "url": "https://api.github.com/users/octocat",
      "avatar_url": "https://avatars.githubusercontent.com/u/583231?"
    },
    "repo": {
      "id": 1296269,
      "name": "octocat/Hello-World",
      "url": "https://api.github.com/repos/octocat/Hello-World"
    },
    "payload": {
      "action": "opened",
      "issue": {
        "number": 1347,
        "title": "Found a bug",
        "state": "open"
      }
    },
    "public": true,
    "created_at": "2025-03-01T08:59:55Z"
  }
]
"#;
