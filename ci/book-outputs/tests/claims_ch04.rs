//! Claims chapter 4 makes about its listings' behaviour, beyond their output files: each
//! test runs the real listing against the in-process stand-in and checks the claim from
//! what it prints.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs a reader's command line and returns what it printed and how long it ran; the run
/// must succeed.
fn run(command: &str) -> (String, Duration) {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let started = Instant::now();
    let run = book_outputs::run_command(runner, command).expect("the listing runs");
    let took = started.elapsed();
    assert!(run.success, "`{command}` failed:\n{}", run.output);
    (run.output, took)
}

/// Chapter 4, example 2a: the results come out in the order the fetches finish, which is
/// the order of their random sleeps, each with one more `>>`; and the whole run takes
/// about as long as the longest sleep, not their sum. "About" is "less than one and a half
/// seconds more", which leaves room for a busy machine and still fails if the fetches ran
/// one after another (the sum of three sleeps of 2 to 5 s is at least 4 s more than the
/// longest). Costs one run of up to about 5 s: the sleeps are real.
#[test]
fn results_come_in_completion_order_and_the_total_is_the_longest_sleep() {
    let (output, _) = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/github.latency=200ms cargo run -p listing-04-01",
    );
    let mut sleeps: HashMap<u32, f64> = HashMap::new();
    let mut results: Vec<(String, u32, f64)> = Vec::new();
    let mut total = None;
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("Fetch async process ") {
            let (pid, rest) = rest.split_once(" started, sleeping for ").expect(line);
            let seconds = rest.strip_suffix(" seconds").expect(line);
            sleeps.insert(pid.parse().expect(line), seconds.parse().expect(line));
        } else if let Some((prefix, rest)) = line.split_once(" Process ") {
            let (pid, rest) = rest.split_once(": ").expect(line);
            let took = rest.rsplit_once("took: ").expect(line).1;
            let took = took.strip_suffix(" seconds").expect(line);
            results.push((
                prefix.to_owned(),
                pid.parse().expect(line),
                took.parse().expect(line),
            ));
        } else if let Some(seconds) = line.strip_prefix("Process took: ") {
            let seconds = seconds.strip_suffix(" seconds").expect(line);
            total = Some(seconds.parse::<f64>().expect(line));
        }
    }
    assert_eq!(sleeps.len(), 3, "three fetches start:\n{output}");
    assert_eq!(results.len(), 3, "three results:\n{output}");

    let mut previous_sleep = 0.0;
    for (i, (prefix, pid, took)) in results.iter().enumerate() {
        assert_eq!(
            *prefix,
            ">>".repeat(i + 1),
            "result {} prefix:\n{output}",
            i + 1
        );
        let slept = sleeps[pid];
        assert!(
            slept >= previous_sleep,
            "process {pid} slept {slept} s but came after one that slept {previous_sleep} s:\n{output}"
        );
        assert!(
            *took >= slept,
            "process {pid} took {took} s, less than its sleep:\n{output}"
        );
        previous_sleep = slept;
    }

    let longest = sleeps.values().copied().fold(0.0, f64::max);
    let total = total.expect("a `Process took` line");
    assert!(
        total >= longest && total < longest + 1.5,
        "the longest sleep was {longest} s and the run took {total} s:\n{output}"
    );
}

/// Chapter 4, example 2b: the first answer wins and the program ends without waiting for
/// the other service, even one that never finishes its answer. If the listing waited for
/// the loser, this run would hang until the output checks stop it after 60 s.
#[test]
fn the_first_answer_wins_and_nobody_waits_for_the_loser() {
    for (scenario, winner) in [("ip-api.fail=hang", "ipify"), ("ipify.fail=hang", "ip-api")] {
        let (output, took) = run(&format!(
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/{scenario} cargo run -p listing-04-02"
        ));
        assert!(
            output.contains(&format!(
                "\n{winner} finished with result: 203.0.113.7, took: "
            )),
            "with {scenario}, {winner} should win:\n{output}"
        );
        assert!(
            took < Duration::from_secs(10),
            "with {scenario}, the run took {took:?}:\n{output}"
        );
    }
}
