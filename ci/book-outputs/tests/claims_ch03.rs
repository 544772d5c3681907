//! Claims a chapter makes about a listing's behaviour, beyond its output file: each test
//! runs the real listing (against the in-process stand-in where it talks HTTP) and checks
//! the claim from what it prints.

mod common;
use common::run;

/// The seconds of every `Process took: X seconds` line, in order.
fn totals(output: &str) -> Vec<f64> {
    output
        .lines()
        .filter_map(|line| {
            line.strip_prefix("Process took: ")?
                .strip_suffix(" seconds")
        })
        .map(|seconds| seconds.parse().expect("a number of seconds"))
        .collect()
}

/// Chapter 3, example 1d: three fetches in sequence take at least three latencies; all
/// three at once take about one. With 300 ms a request, "about one" is checked as
/// "less than two", which leaves room for a busy machine and still fails if the
/// fetches did not overlap.
#[test]
fn concurrent_fetches_take_about_as_long_as_the_slowest_one() {
    let output = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/github.latency=300ms cargo run -p listing-03-04",
    );
    let [sequential, concurrent] = totals(&output)[..] else {
        panic!("expected two `Process took` lines:\n{output}");
    };
    assert!(
        sequential >= 0.9,
        "three 300 ms fetches in sequence took {sequential} s"
    );
    assert!(
        concurrent < 0.6,
        "three 300 ms fetches at once took {concurrent} s"
    );
}
