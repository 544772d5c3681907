//! Each service's normal answer, the routing of the scenario prefix, and GitHub's
//! `User-Agent` rule.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use stand_in::{Config, DOCUMENTATION_IP};

use crate::{
    GITHUB_EVENTS, HN_ITEM, HN_TOP_STORIES, IP_API, IPIFY, client_without_user_agent, fetch,
    fetch_with, start, start_with, via,
};

#[tokio::test]
async fn github_events_are_a_json_array_of_events_with_a_current_date_header() {
    let server = start().await;
    let answer = fetch(&via(server.base_url(), GITHUB_EVENTS)).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    let date = httpdate::parse_http_date(answer.header("date")).expect("an HTTP date");
    let age = SystemTime::now()
        .duration_since(date)
        .unwrap_or_else(|too_early| too_early.duration());
    assert!(age < Duration::from_secs(60), "Date is {age:?} off");

    let events = answer.json();
    let events = events.as_array().expect("an array of events");
    assert!(!events.is_empty());
    for event in events {
        assert!(event["id"].is_string(), "{event}");
        assert!(
            event["type"]
                .as_str()
                .is_some_and(|kind| kind.ends_with("Event"))
        );
        assert!(event["actor"]["login"].is_string(), "{event}");
        assert!(event["repo"]["name"].is_string(), "{event}");
        assert!(event["created_at"].is_string(), "{event}");
    }
}

#[tokio::test]
async fn github_turns_away_a_request_without_a_user_agent_with_its_own_message() {
    let server = start().await;
    let answer = fetch_with(
        &client_without_user_agent(),
        &via(server.base_url(), GITHUB_EVENTS),
    )
    .await;

    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.text().starts_with(
        "Request forbidden by administrative rules. \
         Please make sure your request has a User-Agent header"
    ));
}

#[tokio::test]
async fn an_empty_user_agent_is_turned_away_as_a_missing_one_is() {
    let server = start().await;
    let url = via(server.base_url(), GITHUB_EVENTS);
    let missing = fetch_with(&client_without_user_agent(), &url).await;
    for empty in ["", " "] {
        let client = reqwest::Client::builder()
            .user_agent(empty)
            .timeout(crate::REQUEST_LIMIT)
            .build()
            .expect("the client builds");
        let answer = fetch_with(&client, &url).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{empty:?}");
        assert_eq!(answer.body, missing.body, "{empty:?}");
    }
}

#[tokio::test]
async fn github_checks_the_user_agent_before_any_failure_the_scenario_asks_for() {
    let server = start().await;
    let url = via(&server.scenario_url("fail=500"), GITHUB_EVENTS);
    let answer = fetch_with(&client_without_user_agent(), &url).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_ip_services_need_no_user_agent() {
    let server = start().await;
    for real_url in [IPIFY, IP_API] {
        let answer = fetch_with(
            &client_without_user_agent(),
            &via(server.base_url(), real_url),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{real_url}");
    }
}

#[tokio::test]
async fn ipify_answers_the_documentation_address_as_json() {
    let server = start().await;
    let answer = fetch(&via(server.base_url(), IPIFY)).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    assert_eq!(answer.text(), format!(r#"{{"ip":"{DOCUMENTATION_IP}"}}"#));
}

#[tokio::test]
async fn ipify_without_format_json_answers_plain_text() {
    let server = start().await;
    let answer = fetch(&format!("{}/", server.base_url())).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("text/plain"));
    assert_eq!(answer.text(), DOCUMENTATION_IP);
}

#[tokio::test]
async fn ip_api_answers_success_with_a_location_and_the_address_in_query() {
    let server = start().await;
    let answer = fetch(&via(server.base_url(), IP_API)).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    let body = answer.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["query"], DOCUMENTATION_IP);
    for text_field in [
        "country",
        "countryCode",
        "region",
        "regionName",
        "city",
        "zip",
        "timezone",
        "isp",
        "org",
        "as",
    ] {
        assert!(body[text_field].is_string(), "{text_field} in {body}");
    }
    assert!(body["lat"].is_f64() && body["lon"].is_f64(), "{body}");
}

#[tokio::test]
async fn every_listing_url_works_with_any_base_url_and_scenario_prefix() {
    let server = start().await;
    let bases = [
        server.base_url().to_owned(),
        format!("{}/", server.base_url()),
        server.scenario_url("latency=0"),
        format!("{}/", server.scenario_url("latency=0,fail=none")),
    ];
    for base in &bases {
        for real_url in [GITHUB_EVENTS, IPIFY, IP_API, HN_ITEM, HN_TOP_STORIES] {
            let url = via(base, real_url);
            let answer = fetch(&url).await;
            assert_eq!(answer.status, StatusCode::OK, "{url}");
            answer.json();
        }
    }
}

#[tokio::test]
async fn a_scenario_for_one_service_leaves_the_others_alone() {
    let server = start().await;
    let base = server.scenario_url("ipify.fail=500");
    assert_eq!(
        fetch(&via(&base, IPIFY)).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(fetch(&via(&base, IP_API)).await.status, StatusCode::OK);
    assert_eq!(
        fetch(&via(&base, GITHUB_EVENTS)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_run_scenario_applies_to_every_request_unless_the_prefix_says_otherwise() {
    let server = start_with(Config {
        scenario: "fail=500".parse().expect("scenario"),
        ..Config::default()
    })
    .await;
    for real_url in [GITHUB_EVENTS, IPIFY, IP_API, HN_ITEM] {
        assert_eq!(
            fetch(&via(server.base_url(), real_url)).await.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{real_url}"
        );
        let healthy = server.scenario_url("fail=none");
        assert_eq!(fetch(&via(&healthy, real_url)).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_wrong_scenario_gets_a_400_that_says_what_is_wrong() {
    let server = start().await;
    let answer = fetch(&via(&server.scenario_url("ipfy.fail=500"), IPIFY)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.text().contains("unknown service `ipfy`"),
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn a_latency_beyond_a_minute_gets_a_400_that_says_the_bound() {
    let server = start().await;
    for rules in [
        "latency=99999999999s",
        "ipify.latency=61s",
        "latency=1s..90s",
    ] {
        let answer = fetch(&via(&server.scenario_url(rules), IPIFY)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{rules}");
        assert!(
            answer.text().contains("the stand-in waits at most 60s"),
            "{rules}: {}",
            answer.text()
        );
    }
}

#[tokio::test]
async fn an_unknown_path_gets_a_404_that_lists_the_real_paths() {
    let server = start().await;
    let answer = fetch(&format!("{}/repos/octocat/Hello-World", server.base_url())).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    for path in [
        "/events",
        "/?format=json",
        "/json",
        "/v0/item/<id>.json",
        "/v0/topstories.json",
    ] {
        assert!(answer.text().contains(path), "{}", answer.text());
    }
}

#[tokio::test]
async fn a_fixed_latency_delays_the_answer_by_at_least_that_long() {
    let server = start().await;
    let url = via(&server.scenario_url("latency=300ms"), IP_API);
    let started = tokio::time::Instant::now();
    let answer = fetch(&url).await;
    let took = started.elapsed();
    assert_eq!(answer.status, StatusCode::OK);
    // The lower bound is exact (a sleep never ends early); the upper one only catches a
    // latency that was applied twice or not in milliseconds.
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(
        took < Duration::from_millis(300) + Duration::from_secs(5),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_slow_service_does_not_slow_down_the_others() {
    let server = start().await;
    let base = server.scenario_url("ipify.latency=2s");
    let timed = |real_url: &'static str| {
        let url = via(&base, real_url);
        async move {
            let started = tokio::time::Instant::now();
            fetch(&url).await;
            started.elapsed()
        }
    };
    // All three at once, as the book's "first answer wins" listings call them.
    let (ipify, ip_api, github) = tokio::join!(timed(IPIFY), timed(IP_API), timed(GITHUB_EVENTS));
    assert!(ipify >= Duration::from_secs(2), "ipify took {ipify:?}");
    assert!(ip_api < Duration::from_secs(2), "ip-api took {ip_api:?}");
    assert!(github < Duration::from_secs(2), "GitHub took {github:?}");
}

#[tokio::test]
async fn a_random_latency_stays_within_its_range() {
    let server = start().await;
    let url = via(&server.scenario_url("latency=200ms..400ms"), IPIFY);
    let timed = || {
        let url = url.clone();
        async move {
            let started = tokio::time::Instant::now();
            fetch(&url).await;
            started.elapsed()
        }
    };
    let took = futures::future::join_all((0..5).map(|_| timed())).await;
    for took in took {
        assert!(took >= Duration::from_millis(200), "took {took:?}");
        assert!(
            took < Duration::from_millis(400) + Duration::from_secs(5),
            "took {took:?}"
        );
    }
}
