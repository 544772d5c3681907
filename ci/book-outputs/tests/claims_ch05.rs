//! Claims chapter 5 makes about its listings, beyond their output files: each test runs
//! the real listing against the in-process stand-in and checks the claim from what it
//! prints and how long it ran.

use std::path::Path;
use std::time::{Duration, Instant};

/// Runs a reader's command line; returns what it printed, whether it succeeded, and how
/// long it ran.
fn run(command: &str) -> (String, bool, Duration) {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let start = Instant::now();
    let run = book_outputs::run_command(runner, command).expect("the listing runs");
    (run.output, run.success, start.elapsed())
}

/// The loser of the race answers after 3 s; a run that cancels it instead of waiting for
/// it is over long before that. "Long before" is checked as "under 2 s", which leaves a
/// busy machine plenty of room and still fails if the run waited for the loser.
const LOSER_LATENCY_SECS: f64 = 3.0;
const FAR_SHORTER: Duration = Duration::from_secs(2);

/// Chapter 5, example 2c: the first answer wins, the other request is cancelled, and the
/// program does not wait for it. Both ways round, so the names are not baked in.
#[test]
fn the_loser_of_the_race_is_cancelled_not_awaited() {
    for (fast, slow) in [("ipify", "ip-api"), ("ip-api", "ipify")] {
        let (output, success, took) = run(&format!(
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/{fast}.latency=100ms,\
             {slow}.latency={LOSER_LATENCY_SECS}s cargo run -p listing-05-01"
        ));
        assert!(success, "the run failed:\n{output}");
        let lines: Vec<&str> = output.lines().collect();
        let [_, _, winner, loser] = lines[..] else {
            panic!("expected four lines:\n{output}");
        };
        assert!(
            winner.starts_with(&format!("{fast} finished with result: 203.0.113.7, took: ")),
            "{fast} should win:\n{output}"
        );
        assert_eq!(loser, format!("{slow} was cancelled"), "in:\n{output}");
        assert!(
            took < FAR_SHORTER,
            "the run took {took:?}: it waited for {slow}, which answers after {LOSER_LATENCY_SECS} s"
        );
    }
}

/// Chapter 5: when the first task to end failed, `?` leaves main, and the task still
/// running is not waited for either.
#[test]
fn a_failed_first_answer_ends_the_run_without_waiting_for_the_other() {
    let (output, success, took) = run(&format!(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ipify.fail=missing-key,\
         ip-api.latency={LOSER_LATENCY_SECS}s cargo run -p listing-05-01"
    ));
    assert!(!success, "the run should fail:\n{output}");
    assert!(
        output.contains("Error: asking ipify for our IP address"),
        "{output}"
    );
    assert!(
        !output.contains("ip-api finished"),
        "ip-api should not have finished:\n{output}"
    );
    assert!(
        took < FAR_SHORTER,
        "the failed run took {took:?}: it waited for ip-api"
    );
}

/// Chapter 5: when both answers are in before `abort_all` runs, there is nothing left to
/// cancel, and the run still succeeds and says so. Which of the two happens depends on
/// timing, so every run may take either way; each must succeed and end with one of the two.
#[test]
fn a_race_with_two_instant_answers_succeeds_either_way() {
    for _ in 0..5 {
        let (output, success, _) = run(
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/latency=0 cargo run -p listing-05-01",
        );
        assert!(success, "the run failed:\n{output}");
        let last = output.lines().last().unwrap_or_default();
        assert!(
            last.ends_with(" was cancelled") || last.ends_with(" had finished as well"),
            "unexpected last line {last:?} in:\n{output}"
        );
    }
}
