//! Claims chapter 12 makes about its listings (errors in tasks) beyond their output files:
//! each test runs the real listing against a stand-in of its own, whose request log says
//! which fetch failed and how many runs started (a run starts with its `topstories.json`).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use book_outputs::{Interrupt, Run, RunOptions};
use stand_in::{RequestRecord, StandIn, hacker_news};

const TOP_STORIES: &str = "/v0/topstories.json";

fn runner() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_run-listing"))
}

/// A stand-in of the test's own: its log holds this test's requests only, and its
/// `hn.fail-at` counts from this test's first request.
fn own_stand_in() -> StandIn {
    book_outputs::fresh_stand_in().expect("the stand-in starts")
}

/// Runs a reader's command line against `stand_in`, Ctrl-C by `interrupt` (or the
/// listing's own rule), and says how long it took.
fn run_on(stand_in: &StandIn, command: &str, interrupt: Option<Interrupt>) -> (Run, Duration) {
    let options = RunOptions {
        interrupt,
        stand_in: Some(stand_in.base_url().to_owned()),
    };
    let started = Instant::now();
    let run = book_outputs::run_command_with(runner(), command, options).expect("the listing runs");
    (run, started.elapsed())
}

/// Runs until Ctrl-C after the `times`-th line matching `after`; the run must end as
/// expected, interrupted. Returns what it printed.
fn run_until(stand_in: &StandIn, command: &str, after: &'static str, times: usize) -> String {
    let (run, _) = run_on(stand_in, command, Some(Interrupt { after, times }));
    assert!(run.success, "`{command}` failed:\n{}", run.output);
    assert!(
        run.interrupted,
        "`{command}` was not interrupted:\n{}",
        run.output
    );
    run.output
}

fn top_stories_requests(records: &[RequestRecord]) -> usize {
    records
        .iter()
        .filter(|record| record.path == TOP_STORIES)
        .count()
}

/// The items whose fetch the stand-in answered with a 500.
fn failed_items(records: &[RequestRecord]) -> Vec<u64> {
    records
        .iter()
        .filter(|record| record.status == Some(500))
        .filter_map(|record| {
            record
                .path
                .strip_prefix("/v0/item/")?
                .strip_suffix(".json")?
                .parse()
                .ok()
        })
        .collect()
}

/// Every item of a story's tree, the story included, found down the items' `kids`: an item
/// that answers `null` (and may be the one that failed) has no `parent` to walk up.
fn tree_of(story: u64) -> HashSet<u64> {
    let mut tree = HashSet::new();
    let mut to_visit = vec![story];
    while let Some(id) = to_visit.pop() {
        tree.insert(id);
        let item: serde_json::Value =
            serde_json::from_str(hacker_news::item_json(id)).expect("valid JSON");
        if let Some(kids) = item["kids"].as_array() {
            to_visit.extend(kids.iter().filter_map(serde_json::Value::as_u64));
        }
    }
    tree
}

/// Listing 12-1's run panics at the stand-in's 6th request; the panic hook logs it, only
/// that task ends, and the next period's run completes and logs its counts. Costs about
/// 1.5 s.
#[test]
fn after_a_run_panics_the_polling_goes_on_and_the_next_run_completes() {
    let stand_in = own_stand_in();
    let output = run_until(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-at=6 cargo run -p listing-12-01 -- --period 1 --limit 3",
        "> Calculating comments took ",
        1,
    );
    let lines: Vec<&str> = output.lines().collect();
    let failed = failed_items(&stand_in.requests());
    assert_eq!(failed.len(), 1, "one fetch failed:\n{output}");
    let panicked = lines
        .iter()
        .position(|line| {
            line.contains("] Task ")
                && line.contains(" panicked at ")
                && line.ends_with(&format!(
                    ": calculating comments failed: fetching item {}",
                    failed[0]
                ))
        })
        .unwrap_or_else(|| panic!("the hook logs the panic of the failed run:\n{output}"));
    assert!(
        !output.contains("thread '"),
        "the listing's hook replaced the default one, which names the thread:\n{output}"
    );
    let completed = lines
        .iter()
        .position(|line| line.contains("] > Calculating comments took "))
        .expect("a run completed");
    assert!(
        panicked < completed
            && lines[panicked..completed]
                .iter()
                .any(|line| line.ends_with("] Calculating comments for top 3 stories. (2)")),
        "the second run started and completed after the first one panicked:\n{output}"
    );
    for (id, count) in [(46210035, 360), (46209465, 38), (46208110, 0)] {
        assert!(
            output.contains(&format!("Post {id} has {count} comments (2)\n")),
            "the second run logs its counts:\n{output}"
        );
    }
    assert!(top_stories_requests(&stand_in.requests()) >= 2);
}

/// Listing 12-2 gives the failure it expects (an error status) the `Something went BOOM`
/// line, naming the fetch the stand-in failed, and every other failure the `Unexpected
/// error` line with its causes; never both. Costs about 2 s.
#[test]
fn the_expected_failure_and_the_unexpected_ones_get_their_own_lines() {
    const BOOM: &str = "] Something went BOOM: ";
    const UNEXPECTED: &str = "] Unexpected error: ";
    // (scenario, expected?, what the line says after its prefix)
    let cases = [
        ("/scenario/hn.fail-at=6", true, String::new()),
        (
            "/scenario/fail=429",
            true,
            "fetching the top stories: the service answered 429 Too Many Requests (1)".to_owned(),
        ),
        (
            "/scenario/hn.fail=malformed",
            false,
            "fetching the top stories: the answer could not be read: error decoding response body: EOF while parsing".to_owned(),
        ),
        (
            "/scenario/fail=cut",
            false,
            "fetching the top stories: the answer could not be read: error decoding response body: request or response body error".to_owned(),
        ),
    ];
    for (scenario, expected, says) in cases {
        let stand_in = own_stand_in();
        let command = format!(
            "$ BOOK_STAND_IN=http://127.0.0.1:8000{scenario} cargo run -p listing-12-02 -- --period 1 --limit 3"
        );
        let output = run_until(
            &stand_in,
            &command,
            "(Something went BOOM|Unexpected error): ",
            1,
        );
        let says = if says.is_empty() {
            let failed = failed_items(&stand_in.requests());
            assert_eq!(failed.len(), 1, "{scenario}: one fetch failed:\n{output}");
            format!(
                "fetching item {}: the service answered 500 Internal Server Error (1)",
                failed[0]
            )
        } else {
            says
        };
        let (line, other) = if expected {
            (BOOM, UNEXPECTED)
        } else {
            (UNEXPECTED, BOOM)
        };
        assert!(
            output
                .lines()
                .any(|printed| printed.contains(line) && printed.contains(&says)),
            "{scenario}: a `{line}` line with `{says}`:\n{output}"
        );
        assert!(
            !output.contains(other),
            "{scenario}: no `{other}` line:\n{output}"
        );
    }
}

/// Listing 12-4's first run fails, logs the failed fetch at every level of the walk, and
/// the program stops at once with a non-zero exit status and an `Error:` line, without
/// starting another run: the stand-in sees one `topstories.json`, and the program ends long
/// before the second period (30 s) would start. Costs about 0.5 s.
#[test]
fn a_failed_run_stops_the_program_with_an_error_and_no_other_run() {
    let stand_in = own_stand_in();
    let (run, took) = run_on(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-at=6 cargo run -p listing-12-04 -- --period 30 --limit 3",
        None,
    );
    let output = &run.output;
    let failed = failed_items(&stand_in.requests());
    assert_eq!(failed.len(), 1, "one fetch failed:\n{output}");
    assert!(
        !run.success && !run.interrupted,
        "a non-zero exit status, before any Ctrl-C:\n{output}"
    );
    let error = format!(
        ": fetching item {}: the service answered 500 Internal Server Error\n",
        failed[0]
    );
    assert!(
        output.contains(&format!("] Error retrieving post {}{error}", failed[0]))
            && output.ends_with(&format!(
                "] Error retrieving comments for top stories{error}Error: a run failed, stopping\n"
            )),
        "the walk logs the error at each level, then main returns one:\n{output}"
    );
    assert_eq!(
        top_stories_requests(&stand_in.requests()),
        1,
        "no second run:\n{output}"
    );
    assert!(
        took < Duration::from_secs(15),
        "it took {took:?}, as if it waited for the next tick (30 s):\n{output}"
    );
}

/// Listing 12-5's first run sends its error to `main`, which quits at once with that
/// error: within the period the error happened in, where the article's loop, checking its
/// list once a period, quits a period later. The stand-in sees no request of a second run,
/// and the program ends long before the second period (30 s) would start. Costs about
/// 0.5 s.
#[test]
fn the_error_channel_quits_within_the_period_of_the_error() {
    let stand_in = own_stand_in();
    let (run, took) = run_on(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-at=6 cargo run -p listing-12-05 -- --period 30 --limit 3",
        None,
    );
    let output = &run.output;
    let records = stand_in.requests();
    let failed = failed_items(&records);
    assert_eq!(failed.len(), 1, "one fetch failed:\n{output}");
    assert!(
        !run.success && !run.interrupted,
        "a non-zero exit status, before any Ctrl-C:\n{output}"
    );
    assert!(
        output.ends_with(&format!(
            "] Error detected, quitting\nError: fetching item {}: the service answered 500 Internal Server Error\n",
            failed[0]
        )),
        "main logs that it quits, and returns the failed fetch's error:\n{output}"
    );
    assert_eq!(
        top_stories_requests(&records),
        1,
        "no request of a later run:\n{output}"
    );
    assert!(
        took < Duration::from_secs(15),
        "it took {took:?}, as if it waited for the next tick (30 s):\n{output}"
    );
}

/// Listing 12-6 keeps every walk's outcome: a count, the tree's own, for each of the five
/// stories whose walk met no failed fetch, and one error line for each walk that did. The
/// stand-in fails every 40th request, so which walks fail depends on the order the
/// requests arrive in; the test reads it from the stand-in's log (the story whose tree
/// holds a failed item). Costs about 1 s.
#[test]
fn join_all_keeps_a_count_for_every_walk_that_did_not_fail_and_an_error_for_each_that_did() {
    let stand_in = own_stand_in();
    let output = run_until(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-every=40 cargo run -p listing-12-06 -- --limit 5",
        // The first run's end, however it ends.
        r"> Calculating comments took |Something went BOOM: |Unexpected error: ",
        1,
    );
    let stories: Vec<u64> = hacker_news::top_stories().into_iter().take(5).collect();
    let trees: Vec<HashSet<u64>> = stories.iter().map(|&story| tree_of(story)).collect();
    let failed: HashSet<u64> = failed_items(&stand_in.requests())
        .into_iter()
        .map(|id| {
            let at = trees
                .iter()
                .position(|tree| tree.contains(&id))
                .unwrap_or_else(|| panic!("item {id} is in no top story's tree"));
            stories[at]
        })
        .collect();
    assert!(
        !failed.is_empty() && failed.len() < stories.len(),
        "some walks failed, and some did not: {failed:?}\n{output}"
    );
    for id in stories {
        let counts: Vec<&str> = output
            .lines()
            .filter(|line| line.contains(&format!("] Post {id} has ")))
            .collect();
        let errors: Vec<&str> = output
            .lines()
            .filter(|line| line.contains(&format!("] Error retrieving comments for post {id}: ")))
            .collect();
        if failed.contains(&id) {
            assert!(
                counts.is_empty() && errors.len() == 1,
                "post {id}'s walk failed: one error line, no count:\n{output}"
            );
        } else {
            let count = hacker_news::comment_count(id).expect("a story of the stand-in");
            assert!(
                errors.is_empty()
                    && counts.len() == 1
                    && counts[0].ends_with(&format!("] Post {id} has {count} comments (1)")),
                "post {id}'s walk met no failure: its count, {count}, and no error:\n{output}"
            );
        }
    }
}
