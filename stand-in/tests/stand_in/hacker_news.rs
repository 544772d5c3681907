//! Hacker News through real sockets: the items and top stories a listing reads, the trees
//! walked the way the book's listings walk them, the `hn` rules, and the request counts.

use std::time::Duration;

use futures::future::{BoxFuture, FutureExt as _, join_all};
use reqwest::StatusCode;
use stand_in::hacker_news::{DROPBOX_STORY, comment_count, top_stories};
use stand_in::{Service, StandIn, Stats};
use tokio::time::timeout;

use crate::{HN_ITEM, HN_TOP_STORIES, client, fetch, start, via};

fn item_url(base: &str, id: u64) -> String {
    via(
        base,
        &format!("https://hacker-news.firebaseio.com/v0/item/{id}.json"),
    )
}

/// The article's walk: fetch an item, then all its kids at once, and add up their counts.
/// Returns the count and the number of fetches.
fn walk(client: &reqwest::Client, base: &str, id: u64) -> BoxFuture<'static, (usize, usize)> {
    let (client, base) = (client.clone(), base.to_owned());
    async move {
        let body = client
            .get(item_url(&base, id))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|error| panic!("item {id}: {error}"))
            .bytes()
            .await
            .unwrap_or_else(|error| panic!("item {id}: {error}"));
        let item: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        let kids: Vec<u64> = item
            .get("kids")
            .map(|kids| serde_json::from_value(kids.clone()).expect("ids"))
            .unwrap_or_default();
        let below = join_all(kids.iter().map(|kid| walk(&client, &base, *kid))).await;
        let count = kids.len() + below.iter().map(|(count, _)| count).sum::<usize>();
        (
            count,
            1 + below.iter().map(|(_, fetches)| fetches).sum::<usize>(),
        )
    }
    .boxed()
}

#[tokio::test]
async fn the_dropbox_story_answers_as_the_apis_example_does() {
    let server = start().await;
    let answer = fetch(&via(server.base_url(), HN_ITEM)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    let story = answer.json();
    assert_eq!(story["id"], DROPBOX_STORY);
    assert_eq!(story["by"], "dhouston");
    assert_eq!(story["descendants"], 71);
    assert_eq!(story["kids"].as_array().expect("kids").len(), 33);
    assert_eq!(story["kids"][0], 8952);
}

#[tokio::test]
async fn a_missing_item_answers_null_with_200() {
    let server = start().await;
    let answer = fetch(&item_url(server.base_url(), 1)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "null");
}

#[tokio::test]
async fn walking_the_trees_counts_what_the_library_says() {
    let server = start().await;
    let base = server.scenario_url("latency=0");
    let top: Vec<u64> = fetch(&via(&base, HN_TOP_STORIES))
        .await
        .json()
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_u64().expect("an id"))
        .collect();
    assert_eq!(top, top_stories());
    assert_eq!(top.len(), 500);
    let client = client();
    let started = tokio::time::Instant::now();
    for id in [DROPBOX_STORY].into_iter().chain(top[..5].iter().copied()) {
        let (count, fetches) = walk(&client, &base, id).await;
        assert_eq!(Some(count), comment_count(id), "story {id}");
        assert!(
            fetches > count || count == 0,
            "story {id}: {fetches} fetches"
        );
    }
    // The biggest tree included: loopback and no latency take moments, even in debug.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn hn_fail_null_answers_null_for_items_and_leaves_the_top_stories() {
    let server = start().await;
    let base = server.scenario_url("hn.fail=null");
    assert_eq!(fetch(&via(&base, HN_ITEM)).await.text(), "null");
    let top = fetch(&via(&base, HN_TOP_STORIES)).await.json();
    assert_eq!(top.as_array().map(Vec::len), Some(500));
}

#[tokio::test]
async fn hn_fail_at_fails_the_nth_request_counting_items_and_top_stories() {
    let server = start().await;
    let base = server.scenario_url("hn.fail-at=2");
    let first = fetch(&via(&base, HN_TOP_STORIES)).await.status;
    let second = fetch(&via(&base, HN_ITEM)).await.status;
    let third = fetch(&via(&base, HN_ITEM)).await.status;
    assert_eq!(
        [first, second, third],
        [
            StatusCode::OK,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK
        ]
    );
    let every = server.scenario_url("hn.fail-every=2");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(fetch(&via(&every, HN_ITEM)).await.status.as_u16());
    }
    assert_eq!(statuses, [200, 500, 200, 500]);
}

#[tokio::test]
async fn hn_fail_hang_keeps_a_listing_waiting_until_its_timeout() {
    let server = start().await;
    let url = via(&server.scenario_url("hn.fail=hang"), HN_ITEM);
    let answer = client()
        .get(&url)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(answer.status(), StatusCode::OK);
    let body = answer.text().await;
    assert!(body.is_err_and(|error| error.is_timeout()));
}

async fn stats_over_http(server: &StandIn, query: &str) -> Stats {
    let shown = fetch(&format!("{}/stand-in/stats{query}", server.base_url()))
        .await
        .json();
    let number =
        |key: &str| usize::try_from(shown[key].as_u64().expect("a number")).expect("fits a usize");
    Stats {
        requests: number("requests"),
        in_flight: number("in_flight"),
        peak_in_flight: number("peak_in_flight"),
    }
}

#[tokio::test]
async fn stats_show_the_peak_of_concurrent_slow_requests() {
    const AT_ONCE: usize = 40;
    let server = start().await;
    // Long enough that every request has arrived before the first is answered.
    let url = via(&server.scenario_url("hn.latency=1s"), HN_ITEM);
    let client = client();
    let answers = join_all((0..AT_ONCE).map(|_| client.get(&url).send())).await;
    assert!(answers.iter().all(|answer| {
        answer
            .as_ref()
            .is_ok_and(|answer| answer.status() == StatusCode::OK)
    }));
    let expected = Stats {
        requests: AT_ONCE,
        in_flight: 0,
        peak_in_flight: AT_ONCE,
    };
    assert_eq!(server.stats(), expected);
    assert_eq!(stats_over_http(&server, "").await, expected);
    let log = server.requests();
    assert_eq!(log.len(), AT_ONCE);
    assert_eq!(stand_in::peak_in_flight(&log), AT_ONCE);
    for record in &log {
        assert_eq!(record.service, Some(Service::HackerNews));
        assert_eq!(record.scenario, "hn.latency=1s");
        assert_eq!(record.path, "/v0/item/8863.json");
        assert_eq!(record.status, Some(200));
        let answered = record.answered.expect("answered");
        assert!(
            answered - record.arrived >= Duration::from_secs(1),
            "{record:?}"
        );
    }

    // A reset over HTTP answers the counts so far and starts afresh, log included.
    assert_eq!(stats_over_http(&server, "?reset").await, expected);
    assert_eq!(server.stats(), Stats::default());
    assert!(server.requests().is_empty());
    fetch(&via(server.base_url(), HN_TOP_STORIES)).await;
    let after = server.reset_stats();
    assert_eq!((after.requests, after.peak_in_flight), (1, 1));
}

#[tokio::test]
async fn a_request_still_in_flight_shows_in_the_counts() {
    let server = start().await;
    let url = via(&server.scenario_url("hn.latency=60s"), HN_TOP_STORIES);
    let waiting = tokio::spawn(client().get(url).send());
    // Wait, without sleeping, until it has arrived.
    timeout(Duration::from_secs(10), async {
        while server.stats().in_flight == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the request arrives");
    let log = server.requests();
    assert_eq!((log[0].status, log[0].answered), (None, None));
    waiting.abort();
}
