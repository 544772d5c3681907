//! Claims chapter 14 makes about Listing 14-1 (graceful shutdown) beyond its output files.
//! Each test runs the real listing against a stand-in of its own, presses Ctrl-C itself
//! (SIGINT, through `kill`) after a line the listing prints, measures the time from there to
//! the exit, and reads the stand-in's request log the moment the listing has exited: what
//! reached the service, and whether it had been answered by then.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use regex::Regex;
use stand_in::{RequestRecord, StandIn};
use wait_timeout::ChildExt as _;

const TOP_STORIES: &str = "/v0/topstories.json";

/// How a run that got Ctrl-C ended.
struct Interrupted {
    /// What it printed on stderr (its log lines and `main`'s error), in order.
    lines: Vec<String>,
    status: ExitStatus,
    /// From the SIGINT to the exit.
    after_ctrl_c: Duration,
    /// The stand-in's request log, read as soon as the listing had exited.
    records: Vec<RequestRecord>,
}

impl Interrupted {
    fn has_line(&self, pattern: &str) -> bool {
        let pattern = Regex::new(pattern).expect("a valid regex");
        self.lines.iter().any(|line| pattern.is_match(line))
    }
}

/// Runs Listing 14-1 with `args` against `stand_in` in `scenario`, and presses Ctrl-C right
/// after the first line matching `after`.
fn run_and_press_ctrl_c(
    stand_in: &StandIn,
    scenario: &str,
    args: &[&str],
    after: &str,
) -> Interrupted {
    let after = Regex::new(after).expect("a valid regex");
    let mut child = Command::new(env!("CARGO_BIN_EXE_run-listing"))
        .arg0("listing-14-01")
        .args(args)
        .env(book_outputs::LISTING_VAR, "listing-14-01")
        .env(stand_in::ENV_VAR, stand_in.scenario_url(scenario))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the listing starts");
    let stderr = child.stderr.take().expect("its stderr");
    let (sender, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|line: &String| after.is_match(line)) {
        match printed.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => lines.push(line),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no line matching {after} in 20 s: {lines:#?}");
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
        .wait_timeout(Duration::from_secs(30))
        .expect("waiting for the listing")
    else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the listing did not end within 30 s of Ctrl-C: {lines:#?}");
    };
    let after_ctrl_c = pressed.elapsed();
    let records = stand_in.requests();
    lines.extend(printed.iter());
    Interrupted {
        lines,
        status,
        after_ctrl_c,
        records,
    }
}

/// The ids in an item's `kids`, from the stand-in's own data.
fn kids(id: u64) -> Vec<u64> {
    let item: serde_json::Value =
        serde_json::from_str(stand_in::hacker_news::item_json(id)).expect("the stand-in's JSON");
    item.get("kids")
        .and_then(serde_json::Value::as_array)
        .map(|kids| kids.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default()
}

fn item_path(id: u64) -> String {
    format!("/v0/item/{id}.json")
}

/// Ctrl-C comes when a story with comments has been answered: the run is then fetching
/// the comments, each answer 1 s away. Those fetches must be answered
/// before the program exits (with status 0, well before the deadline), and no fetch may
/// start after Ctrl-C: no request for a comment's reply, the next level of the walk, which
/// a run that went on would fetch a second later. Every request the run counted reached
/// the stand-in, and no other. Costs about 3 s.
#[test]
fn the_fetches_in_flight_at_ctrl_c_finish_and_no_fetch_starts_after_it() {
    let stand_in = book_outputs::fresh_stand_in().expect("the stand-in starts");
    let run = run_and_press_ctrl_c(
        &stand_in,
        "hn.latency=1s",
        &["--limit", "3", "--verbose", "--grace", "10"],
        // A story's, the first such line: its comments' fetches start right after it.
        r"> Fetching ([2-9]|\d\d+) child posts$",
    );
    let lines = &run.lines;
    assert_eq!(
        (run.status.code(), run.status.signal()),
        (Some(0), None),
        "exit status 0, not {:?}: {lines:#?}",
        run.status
    );
    // The walk's levels in the stand-in's data.
    let stories: Vec<u64> = stand_in::hacker_news::top_stories()[..3].to_vec();
    let comments: Vec<u64> = stories.iter().flat_map(|&id| kids(id)).collect();
    let replies: HashSet<String> = comments
        .iter()
        .flat_map(|&id| kids(id))
        .map(item_path)
        .collect();
    assert!(!replies.is_empty(), "the stories' comments have replies");
    let comment_paths: HashSet<String> = comments.iter().copied().map(item_path).collect();

    let records = &run.records;
    let unanswered: Vec<&RequestRecord> = records
        .iter()
        .filter(|record| record.status != Some(200))
        .collect();
    assert!(
        unanswered.is_empty(),
        "requests not answered by the time the program exited: {unanswered:#?}\n{lines:#?}"
    );
    let late: Vec<&str> = records
        .iter()
        .map(|record| record.path.as_str())
        .filter(|path| replies.contains(*path))
        .collect();
    assert!(
        late.is_empty(),
        "fetches of replies, started after Ctrl-C: {late:?}\n{lines:#?}"
    );
    assert!(
        run.has_line(r"\] Stopped$"),
        "it stopped within the grace period: {lines:#?}"
    );
    assert!(
        run.after_ctrl_c < Duration::from_secs(8),
        "it took {:?} after Ctrl-C, close to the 10 s deadline: {lines:#?}",
        run.after_ctrl_c
    );
    let stopped =
        Regex::new(r"> Calculating comments stopped after [\d.]+ seconds and (\d+) fetches \(1\)$")
            .expect("a valid regex");
    let counted: usize = lines
        .iter()
        .find_map(|line| stopped.captures(line))
        .unwrap_or_else(|| panic!("the run says it stopped: {lines:#?}"))[1]
        .parse()
        .expect("a number");

    assert_eq!(
        records.len(),
        counted,
        "the stand-in got {} requests, the run counted {counted} fetches: {lines:#?}",
        records.len()
    );
    let in_flight = records
        .iter()
        .filter(|record| comment_paths.contains(&record.path))
        .count();
    assert!(
        in_flight >= 2,
        "Ctrl-C came with {in_flight} comments' fetches in flight, expected several: {lines:#?}"
    );
    assert_eq!(
        records.iter().filter(|r| r.path == TOP_STORIES).count(),
        1,
        "one run, one top stories request: {lines:#?}"
    );
}

/// Every answer takes 5 s and the grace period is 1 s: the run in flight at Ctrl-C is
/// aborted at the deadline. The program exits about 1 s after Ctrl-C (not 5 s, when the
/// answer would come), with a non-zero status and its error line; the stand-in had not
/// answered the run's one request when the program exited. Costs about 1 s.
#[test]
fn past_the_deadline_the_run_is_aborted_and_the_exit_status_says_so() {
    let stand_in = book_outputs::fresh_stand_in().expect("the stand-in starts");
    let run = run_and_press_ctrl_c(
        &stand_in,
        "hn.latency=5s",
        &["--limit", "3", "--grace", "1"],
        r"Waiting for \d+ seconds\.\.\.$",
    );
    let lines = &run.lines;
    assert_eq!(
        (run.status.code(), run.status.signal()),
        (Some(1), None),
        "exit status 1, not {:?}: {lines:#?}",
        run.status
    );
    // The run started before Ctrl-C, and Tokio's timers never fire early: a run aborted at
    // the deadline has been going for at least the 1 s grace period, by its own clock. The
    // test's clock only rules out an abort at Ctrl-C, with room for a slow `kill`.
    let aborted = Regex::new(r"> Calculating comments aborted after ([\d.]+) seconds \(1\)$")
        .expect("a valid regex");
    let seconds: f64 = lines
        .iter()
        .find_map(|line| aborted.captures(line))
        .unwrap_or_else(|| panic!("the run says it was aborted: {lines:#?}"))[1]
        .parse()
        .expect("a number");
    assert!(
        seconds >= 1.0,
        "the run was aborted {seconds} s after it started, before the 1 s grace period was over: {lines:#?}"
    );
    assert!(
        run.after_ctrl_c >= Duration::from_millis(500),
        "it exited {:?} after Ctrl-C, well before the 1 s grace period was over: {lines:#?}",
        run.after_ctrl_c
    );
    assert!(
        run.after_ctrl_c < Duration::from_secs(4),
        "it exited {:?} after Ctrl-C, as if it waited for the 5 s answer: {lines:#?}",
        run.after_ctrl_c
    );
    let records = &run.records;
    assert_eq!(
        records
            .iter()
            .map(|record| (record.path.as_str(), record.status))
            .collect::<Vec<_>>(),
        [(TOP_STORIES, None)],
        "one request, the top stories, not answered when the program exited: {lines:#?}"
    );
    assert!(
        run.has_line(
            r"^Error: aborted 1 run\(s\) still in flight at the end of the 1s grace period$"
        ),
        "the error line: {lines:#?}"
    );
}
