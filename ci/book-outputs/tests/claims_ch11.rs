//! Claims chapter 11 makes about its listings (periodic work) beyond their output files:
//! each test runs the real listing against a stand-in of its own, and reads when each run
//! started from the stand-in's request log (a run starts with its `topstories.json`
//! request), or watches how the listing ends when it gets Ctrl-C.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use book_outputs::{Interrupt, RunOptions};
use stand_in::{RequestRecord, StandIn};
use wait_timeout::ChildExt as _;

const TOP_STORIES: &str = "/v0/topstories.json";

fn runner() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_run-listing"))
}

/// A stand-in of the test's own, so that its request log holds only this test's runs.
fn own_stand_in() -> StandIn {
    book_outputs::fresh_stand_in().expect("the stand-in starts")
}

/// Runs a reader's command line against `stand_in`, pressing Ctrl-C after the `times`-th
/// line matching `after`; the run must end as expected. Returns what it printed.
fn run_until_ctrl_c(
    stand_in: &StandIn,
    command: &str,
    after: &'static str,
    times: usize,
) -> String {
    let options = RunOptions {
        interrupt: Some(Interrupt { after, times }),
        stand_in: Some(stand_in.base_url().to_owned()),
    };
    let run = book_outputs::run_command_with(runner(), command, options).expect("the listing runs");
    assert!(run.success, "`{command}` failed:\n{}", run.output);
    assert!(
        run.interrupted,
        "`{command}` was not interrupted:\n{}",
        run.output
    );
    run.output
}

/// The stand-in's log split into runs: each run's requests, from its `topstories.json`
/// request up to the next one.
fn runs(records: &[RequestRecord]) -> Vec<Vec<&RequestRecord>> {
    let mut runs: Vec<Vec<&RequestRecord>> = Vec::new();
    let mut records: Vec<&RequestRecord> = records.iter().collect();
    records.sort_by_key(|record| record.arrived);
    for record in records {
        if record.path == TOP_STORIES {
            runs.push(Vec::new());
        }
        runs.last_mut()
            .expect("a run starts with its top stories")
            .push(record);
    }
    runs
}

/// When a run's last answer was sent, from the stand-in's start.
fn last_answer(run: &[&RequestRecord]) -> Duration {
    run.iter()
        .map(|record| {
            record
                .answered
                .expect("every request of a finished run was answered")
        })
        .max()
        .expect("a run has requests")
}

/// Listing 11-1 sleeps a whole period after each run *ends*, so runs start a period plus
/// the run's own duration apart. Each request waits 100 ms here, and a run fetches five
/// levels one after another (the top stories, the story, three levels of comments), so a
/// run takes at least half a second: the second run starts at least 1.5 s after the first.
/// Costs about 2.5 s.
#[test]
fn the_sleep_loop_starts_each_run_a_period_after_the_last_one_ended() {
    let stand_in = own_stand_in();
    let output = run_until_ctrl_c(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.latency=100ms cargo run -p listing-11-01 -- --period 1 --limit 1",
        r"Waiting for \d+ seconds\.\.\.$",
        2,
    );
    let records = stand_in.requests();
    let runs = runs(&records);
    assert_eq!(runs.len(), 2, "two runs:\n{output}");
    let first_ended = last_answer(&runs[0]);
    let work = first_ended - runs[0][0].arrived;
    let spacing = runs[1][0].arrived - runs[0][0].arrived;
    assert!(
        work >= Duration::from_millis(450),
        "the first run took {work:?}, less than its five levels of 100 ms:\n{output}"
    );
    assert!(
        spacing >= work + Duration::from_secs(1),
        "the runs started {spacing:?} apart, less than the period after the first one's {work:?} of work:\n{output}"
    );
}

/// Listing 11-3 starts a run every period, start to start, however long each run takes:
/// with the same half second of work per run as above, the runs start 1 s apart, not 1.5 s.
/// "About" is within 0.2 s, room for a busy machine that still tells the two apart.
/// Ctrl-C comes once the third run has logged its time. Costs about 2.6 s.
#[test]
fn the_interval_starts_a_run_every_period() {
    let stand_in = own_stand_in();
    let output = run_until_ctrl_c(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.latency=100ms cargo run -p listing-11-03 -- --period 1 --limit 1",
        "> Calculating comments took ",
        3,
    );
    let records = stand_in.requests();
    let mut runs = runs(&records);
    // Ctrl-C comes after the third run; on a busy machine a fourth may start before it lands.
    assert!(runs.len() >= 3, "three runs:\n{output}");
    runs.truncate(3);
    let work = last_answer(&runs[0]) - runs[0][0].arrived;
    assert!(
        work >= Duration::from_millis(450),
        "the first run took {work:?}, less than its five levels of 100 ms:\n{output}"
    );
    for pair in runs.windows(2) {
        let spacing = pair[1][0].arrived - pair[0][0].arrived;
        assert!(
            spacing > Duration::from_millis(800) && spacing < Duration::from_millis(1200),
            "two runs started {spacing:?} apart, not a period (1 s):\n{output}"
        );
    }
}

/// Listing 11-4 ends on Ctrl-C with exit status 0, at once, even with a run in flight: the
/// run, whose every answer takes 5 s here, is dropped and prints nothing more. The test
/// presses Ctrl-C itself (SIGINT, through `kill`) to see the exit status and the time.
#[test]
fn ctrl_c_ends_listing_11_4_with_exit_status_0_and_drops_the_run_in_flight() {
    let stand_in = own_stand_in();
    let mut child = Command::new(runner())
        .arg0("listing-11-04")
        .args(["--period", "1", "--limit", "1"])
        .env(book_outputs::LISTING_VAR, "listing-11-04")
        .env(stand_in::ENV_VAR, stand_in.scenario_url("hn.latency=5s"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the listing starts");
    let stderr = child.stderr.take().expect("its stderr");
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|line: &String| line.ends_with("Waiting for 1 seconds..."))
    {
        match printed.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no `Waiting for` line in 10 s: {seen:?}");
            }
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -INT failed");
    let pressed = Instant::now();
    let Some(status) = child
        .wait_timeout(Duration::from_secs(3))
        .expect("waiting for the listing")
    else {
        let _ = child.kill();
        panic!("the listing did not end within 3 s of Ctrl-C");
    };
    let took = pressed.elapsed();
    seen.extend(printed.iter());
    assert_eq!(
        (status.code(), status.signal()),
        (Some(0), None),
        "exit status 0, not {status:?}: {seen:#?}"
    );
    assert!(
        took < Duration::from_secs(2),
        "it took {took:?} to end, as if it waited for the run in flight: {seen:#?}"
    );
    let after: Vec<&str> = seen
        .iter()
        .skip_while(|line| !line.ends_with("Waiting for 1 seconds..."))
        .skip(1)
        .map(String::as_str)
        .collect();
    assert!(
        after.len() == 1 && after[0].ends_with("] Stopping"),
        "after Ctrl-C only `Stopping`, nothing from the run in flight: {seen:#?}"
    );
}
