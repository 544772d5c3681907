//! Claims chapter 7 makes about Listing 7-1 (example 4a, timeouts) beyond its output files:
//! each test runs the real listing against the in-process stand-in and checks the claim
//! from what it prints, how long it ran and how it ended.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PACKAGE: &str = "listing-07-01";
const NO_ADDRESS: &str = r#"{"ip":"not available","message":"Result from asynchronous."}"#;
const ADDRESS: &str = r#"{"ip":"203.0.113.7","message":"Result from asynchronous."}"#;

fn runner() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_run-listing"))
}

/// Runs a reader's command line; the run must succeed. Returns what it printed and how
/// long it took, start-up included.
fn run(command: &str) -> (String, Duration) {
    let start = Instant::now();
    let run = book_outputs::run_command(runner(), command).expect("the listing runs");
    let took = start.elapsed();
    assert!(run.success, "`{command}` failed:\n{}", run.output);
    (run.output, took)
}

/// The line number of the first line equal to `wanted`.
fn line_of(output: &str, wanted: &str) -> usize {
    output
        .lines()
        .position(|line| line == wanted)
        .unwrap_or_else(|| panic!("no line {wanted:?} in:\n{output}"))
}

/// Where `<service> cancelled after X seconds` is printed, and X.
fn cancellation(output: &str, service: &str) -> (usize, f64) {
    let prefix = format!("{service} cancelled after ");
    output
        .lines()
        .enumerate()
        .find_map(|(at, line)| {
            let seconds = line.strip_prefix(&prefix)?.strip_suffix(" seconds")?;
            Some((at, seconds.parse().expect("a number of seconds")))
        })
        .unwrap_or_else(|| panic!("no line saying {service} was cancelled in:\n{output}"))
}

/// When the deadline passes, the fetches still running are cancelled at once, before the
/// response is printed: requests the stand-in holds for 30 s do not keep the program
/// waiting. A timeout of 0.5 s comes after every fetch's sleep (0.3 s at most), so both
/// requests are in flight when they are cancelled.
#[test]
fn pending_fetches_are_cancelled_at_the_deadline() {
    let (output, took) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/latency=30s cargo run -p listing-07-01 -- --timeout 0.5",
    );
    let response = line_of(&output, NO_ADDRESS);
    let elapsed = line_of(&output, "No answer in time: deadline has elapsed");
    for service in ["ipify", "ip-api"] {
        let (at, after) = cancellation(&output, service);
        assert!(
            elapsed < at && at < response,
            "{service} was not cancelled between the deadline and the response:\n{output}"
        );
        assert!(
            (0.45..5.0).contains(&after),
            "{service} was cancelled after {after} s, not at the 0.5 s deadline:\n{output}"
        );
    }
    assert!(
        !output.contains("finished with result"),
        "a fetch finished:\n{output}"
    );
    assert!(
        took < Duration::from_secs(10),
        "the run took {took:?}: it waited for the 30 s answers"
    );
}

/// The first answer ends the wait, and the other fetch is cancelled then, not when its
/// own (10 s) answer would have come.
#[test]
fn the_first_answer_cancels_the_other_fetch() {
    let (output, took) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ipify.latency=100ms,ip-api.latency=10s cargo run -p listing-07-01 -- --timeout 30",
    );
    let response = line_of(&output, ADDRESS);
    let answered = output
        .lines()
        .position(|line| line.starts_with("ipify finished with result: 203.0.113.7, took: "))
        .unwrap_or_else(|| panic!("ipify did not answer:\n{output}"));
    let (cancelled, after) = cancellation(&output, "ip-api");
    assert!(
        answered < cancelled && cancelled < response,
        "ip-api was not cancelled between ipify's answer and the response:\n{output}"
    );
    assert!(
        after < 5.0,
        "ip-api was cancelled after {after} s:\n{output}"
    );
    assert!(
        took < Duration::from_secs(9),
        "the run took {took:?}: it waited for ip-api"
    );
}

/// A timeout longer than the slowest answer (0.3 s of sleep plus 0.2 s of latency) gives
/// the address, whichever service wins.
#[test]
fn a_timeout_longer_than_the_slowest_answer_gives_the_address() {
    let (output, _) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/latency=200ms cargo run -p listing-07-01 -- --timeout 3",
    );
    assert_eq!(output.lines().last(), Some(ADDRESS), "{output}");
    assert!(
        !output.contains("No answer in time"),
        "the deadline passed:\n{output}"
    );
}

/// Like argparse, clap ends a run with a bad value with exit status 2 (the output files
/// show only that the status is not 0).
#[test]
fn bad_timeouts_exit_with_status_2() {
    for value in ["abc", "-1", "nan", "inf", "0"] {
        let output = Command::new(runner())
            .arg0(PACKAGE)
            .args(["--timeout", value])
            .env(book_outputs::LISTING_VAR, PACKAGE)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .expect("the listing runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "--timeout {value}: {output:?}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{value}' for '--timeout <SECONDS>': "
            )),
            "--timeout {value}: {stderr}"
        );
    }
}
