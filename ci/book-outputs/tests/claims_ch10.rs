//! Claims chapter 10 makes about its listings' behaviour, beyond their output files: each
//! test runs the real listing against the in-process stand-in and compares the `Post logged`
//! lines it prints with the posts the stand-in's own tree says should be logged.

use serde_json::Value;
use stand_in::hacker_news;

mod common;
use common::run;

/// The listings log a post with more comments than this (their `MIN_COMMENTS`).
const MIN_COMMENTS: usize = 5;

/// The shortest a log can take, in seconds (the start of the listings' `LOG_DELAY`).
const SHORTEST_LOG: f64 = 0.3;

const LOGGED: &str = "Post logged";
const WALK_DONE: &str = "> Calculating comments took ";

fn command(package: &str, id: u64) -> String {
    format!("$ BOOK_STAND_IN=http://127.0.0.1:8000 cargo run -p {package} -- --id {id}")
}

/// The posts of `id`'s tree that should be logged, by the stand-in's count: how many, and
/// the most of them on one path down from `id` (a post is logged after its kids' walks).
fn posts_to_log(id: u64) -> (usize, usize) {
    let logged_here = hacker_news::comment_count(id).is_some_and(|count| count > MIN_COMMENTS);
    let item: Value =
        serde_json::from_str(hacker_news::item_json(id)).expect("the stand-in's JSON");
    let kids: Vec<u64> = item
        .get("kids")
        .and_then(Value::as_array)
        .map(|kids| {
            kids.iter()
                .map(|kid| kid.as_u64().expect("an id"))
                .collect()
        })
        .unwrap_or_default();
    let (mut total, mut deepest) = (0, 0);
    for kid in kids {
        let (kid_total, kid_deepest) = posts_to_log(kid);
        total += kid_total;
        deepest = deepest.max(kid_deepest);
    }
    if logged_here {
        (total + 1, deepest + 1)
    } else {
        (total, deepest)
    }
}

/// How many `Post logged` lines a run printed, and how many of them came before the walk's
/// `> Calculating comments took` line; and the seconds that line reports.
fn logs_in(output: &str) -> (usize, usize, f64) {
    let lines: Vec<&str> = output.lines().collect();
    let walk_done = lines
        .iter()
        .position(|line| line.contains(WALK_DONE))
        .unwrap_or_else(|| panic!("no `{WALK_DONE}` line:\n{output}"));
    let logged = |lines: &[&str]| lines.iter().filter(|line| line.ends_with(LOGGED)).count();
    let seconds = lines[walk_done]
        .split_once(WALK_DONE)
        .and_then(|(_, rest)| rest.split_once(' '))
        .and_then(|(seconds, _)| seconds.parse().ok())
        .unwrap_or_else(|| panic!("no time in {:?}", lines[walk_done]));
    (logged(&lines), logged(&lines[..walk_done]), seconds)
}

/// The posts the claims run on: the article's 8863 (two posts to log) and the largest of
/// the first top stories, which has many more.
fn posts() -> Vec<(u64, usize, usize)> {
    let biggest = hacker_news::top_stories()
        .into_iter()
        .take(5)
        .max_by_key(|&id| hacker_news::comment_count(id).unwrap_or(0))
        .expect("top stories");
    [hacker_news::DROPBOX_STORY, biggest]
        .into_iter()
        .map(|id| {
            let (total, deepest) = posts_to_log(id);
            assert!(total > 1, "post {id} should have posts to log");
            (id, total, deepest)
        })
        .collect()
}

/// Listing 10-1 awaits each log inline: every `Post logged` line comes before the walk's
/// own line, and the walk takes at least the shortest log times the most logged posts on
/// one path (a post's log waits for its kids' logs). A lower bound, so no busy machine can
/// break it. On 8863 only: deeper trees would make the run take seconds.
#[test]
fn inline_logging_waits_for_every_log_along_the_way() {
    let id = hacker_news::DROPBOX_STORY;
    let (total, deepest) = posts_to_log(id);
    let output = run(&command("listing-10-01", id));
    let (logged, before_walk_done, seconds) = logs_in(&output);
    assert_eq!(logged, total, "every post to log is logged:\n{output}");
    assert_eq!(
        before_walk_done, total,
        "the walk waits for every log:\n{output}"
    );
    let at_least = deepest as f64 * SHORTEST_LOG;
    assert!(
        seconds >= at_least,
        "{deepest} logs in a row take at least {at_least} s; the walk took {seconds} s:\n{output}"
    );
}

/// Listing 10-2 drops the handles and returns: some posts to log are never logged (with the
/// stand-in's instant answers, none is).
#[test]
fn forgotten_tasks_lose_log_lines() {
    for (id, total, _) in posts() {
        let output = run(&command("listing-10-02", id));
        let (logged, _, _) = logs_in(&output);
        assert!(
            logged < total,
            "post {id}: {total} posts to log, and {logged} lines; some should be lost:\n{output}"
        );
    }
}

/// Listings 10-3 and 10-4 wait for their tasks at the end: exactly one `Post logged` line
/// per post to log, and the walk itself no longer waits for them, so fewer of those lines
/// come before the walk's own line than in Listing 10-1 (the story's own log, spawned last,
/// always comes after it).
#[test]
fn tracked_and_joined_tasks_lose_no_log_line() {
    for package in ["listing-10-03", "listing-10-04"] {
        for (id, total, _) in posts() {
            let output = run(&command(package, id));
            let (logged, before_walk_done, _) = logs_in(&output);
            assert_eq!(
                logged, total,
                "{package}, post {id}: one line per post to log:\n{output}"
            );
            assert!(
                before_walk_done < total,
                "{package}, post {id}: the walk should not wait for the logs:\n{output}"
            );
        }
    }
}
