//! Chapter 16 says its listings' tests catch a broken implementation. Each test here
//! breaks one thing in the code under test of a listing (a comparison, a duration, a
//! line), in a copy of its own, and runs `cargo test` there: it must fail, in the test
//! the chapter names. Copies live in `target/copy-ready/tested/` (see
//! `src/cargo_test.rs`); a second run rebuilds nothing.

use std::path::Path;

use book_outputs::cargo_test;

/// Runs the tests of `package` with `from` (found once, before its tests) replaced by
/// `to`, and expects them to fail in `test`.
fn broken(package: &str, copy: &str, from: &str, to: &str, test: &str) {
    let listing = book_outputs::find(package).expect("a listing");
    let source =
        std::fs::read_to_string(Path::new(listing.dir).join("src/main.rs")).expect("its source");
    let (code, _tests) = source
        .split_once("#[cfg(test)]")
        .expect("its tests are in src/main.rs");
    assert_eq!(
        code.matches(from).count(),
        1,
        "{package}: {from:?} should be in its code, once"
    );
    let run = cargo_test::run_with_source(listing, copy, &source.replacen(from, to, 1))
        .unwrap_or_else(|error| panic!("{package} with {to:?}: {error}"));
    assert!(
        !run.success,
        "{package}'s tests pass with {from:?} changed to {to:?}:\n{}",
        run.output
    );
    let failed = format!("test tests::{test} ... FAILED");
    assert!(
        run.output.contains(&failed),
        "{package} with {to:?}: expected `{failed}` in:\n{}",
        run.output
    );
}

#[test]
fn listing_16_01_the_loser_must_be_dropped_before_first_ok_returns() {
    // Dropping the set at the end of the function aborts the tasks without waiting.
    broken(
        "listing-16-01",
        "listing-16-01-no-shutdown",
        "tasks.shutdown().await;",
        "",
        "the_first_address_wins_and_the_loser_is_dropped",
    );
}

#[test]
fn listing_16_01_the_deadline_is_exact() {
    broken(
        "listing-16-01",
        "listing-16-01-late-deadline",
        "timeout(deadline,",
        "timeout(deadline * 2,",
        "the_deadline_ends_the_wait",
    );
}

#[test]
fn listing_16_02_the_waits_double() {
    broken(
        "listing-16-02",
        "listing-16-02-triple",
        "wait *= 2;",
        "wait *= 3;",
        "a_server_error_is_retried_after_doubling_waits",
    );
}

#[test]
fn listing_16_02_client_errors_are_not_retried() {
    broken(
        "listing-16-02",
        "listing-16-02-client-errors",
        "status.is_server_error()",
        "status.is_client_error()",
        "a_client_error_is_not_retried",
    );
}

#[test]
fn listing_16_02_a_body_cut_short_is_retried() {
    // reqwest reports a body cut short as a decoding error, like a body that is not JSON.
    broken(
        "listing-16-02",
        "listing-16-02-cut-not-retried",
        " || error.is_decode()",
        "",
        "a_cut_connection_is_retried",
    );
}

#[test]
fn listing_16_03_a_late_run_does_not_bring_a_burst() {
    broken(
        "listing-16-03",
        "listing-16-03-burst",
        "MissedTickBehavior::Skip",
        "MissedTickBehavior::Burst",
        "a_late_run_is_followed_by_one_run_not_a_burst",
    );
}

#[test]
fn listing_16_03_the_runs_keep_the_period() {
    broken(
        "listing-16-03",
        "listing-16-03-short-period",
        "interval(period)",
        "interval(period - Duration::from_millis(100))",
        "a_clock_that_jumps_ahead",
    );
}

#[test]
fn listing_16_04_a_quiet_client_gets_its_full_time() {
    broken(
        "listing-16-04",
        "listing-16-04-half-time",
        "timeout(idle,",
        "timeout(idle / 2,",
        "a_quiet_client_is_told_and_dropped_after_exactly_30_s",
    );
}
