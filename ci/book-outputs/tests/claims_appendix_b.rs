//! Claims Appendix B (the stand-in services) makes about a listing run against the stand-in,
//! and stand-in/README.md about how the output checks run it: each test runs a real listing
//! the way the checks do and looks at what it printed.

use std::path::Path;

/// Runs a reader's command line and returns what it printed and whether it succeeded.
fn run(command: &str) -> (String, bool) {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let run = book_outputs::run_command(runner, command).expect("the listing runs");
    (run.output, run.success)
}

/// Appendix B, "Failures": under `github.fail=500`, Listing 3-4 stops at its first request
/// with reqwest's error about the 500 and a non-zero exit status. stand-in/README.md, "How
/// the book's checks use it": the answer came from the check's own stand-in (nothing
/// listens on port 8000 while the tests run), with the scenario prefix kept, and the check
/// writes that stand-in's address back as the 8000 the command shows, as a reader's run
/// would print it.
#[test]
fn a_failure_scenario_reaches_the_listing_through_the_checks_own_stand_in() {
    let (output, success) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/github.fail=500 cargo run -p listing-03-04",
    );
    assert!(!success, "the run should fail:\n{output}");
    assert_eq!(
        output.matches("Fetch sync process").count(),
        1,
        "the first request should end the run:\n{output}"
    );
    assert!(
        output.contains("500 Internal Server Error"),
        "no 500 in:\n{output}"
    );
    let url = output
        .split("for url (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no `for url (...)` in:\n{output}"));
    assert!(
        url.starts_with("http://127.0.0.1:8000/"),
        "the address is not shown as a reader sees it: {url}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", 8000)).is_err(),
        "something listens on port 8000, so this test cannot tell which stand-in answered"
    );
    assert!(
        url.ends_with("/scenario/github.fail=500/events"),
        "the scenario prefix was not kept: {url}"
    );
}

/// Appendix B, "Scenarios": with `hn.fail=null` every Hacker News item answers `null`, which
/// the article's count takes as 0: Listing 9-1 finds no comments on post 8863, and ends well.
#[test]
fn hn_fail_null_makes_every_item_null() {
    let (output, success) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail=null cargo run -p listing-09-01",
    );
    assert!(success, "the run should succeed:\n{output}");
    assert!(
        output.contains("-- Post 8863 has 0 comments"),
        "no count of 0 in:\n{output}"
    );
    assert!(
        output.contains("and 1 fetches"),
        "a null story has no kids to fetch:\n{output}"
    );
}

/// Appendix B, "Scenarios": `hn.fail-at=N` makes the Nth Hacker News request answer `500`.
/// The first request of Listing 9-1 is the story itself; the second is one of its kids.
#[test]
fn hn_fail_at_fails_the_nth_request_of_a_run() {
    for n in [1, 2] {
        let (output, success) = run(&format!(
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-at={n} cargo run -p listing-09-01"
        ));
        assert!(!success, "the run should fail:\n{output}");
        assert!(
            output.contains("500 Internal Server Error"),
            "no 500 in:\n{output}"
        );
        let failed = output
            .split("fetching item ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .unwrap_or_else(|| panic!("no `fetching item` in:\n{output}"));
        assert_eq!(
            failed == "8863",
            n == 1,
            "request {n} failed for item {failed}"
        );
    }
}
