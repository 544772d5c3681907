//! Claims chapter 13 makes about its listings (cancellation) beyond their output files.
//! Each test runs the real listing against a stand-in of its own, and compares what the
//! stand-in saw (which items were asked for, which answers it sent) with what the listing
//! logged, in the order it logged it.
//!
//! The failing runs walk the first three stories, each answer taking 200 ms, and the
//! stand-in fails the 150th request (`hn.fail-at=150`): an item two or three levels below
//! the first or the second story, which of them varies. The second story's walk is ten
//! levels deep, so it cannot have ended by then (it takes 2.2 s), and the first story's
//! takes 1.2 s. No assertion rests on how fast the listing reacts: on a busy machine it may
//! read the failing answer a few hundred milliseconds after the stand-in sent it, and go on
//! walking until then. Each test reads the listing's own debug lines (`--verbose`) instead,
//! whose order says what it had done when it learned of the failure.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use book_outputs::{Interrupt, RunOptions};
use regex::Regex;
use stand_in::{RequestRecord, StandIn};
use wait_timeout::ChildExt as _;

/// The run the first three listings of the chapter make: the first three stories, 200 ms
/// an answer, the 150th request failing.
const FAILING_RUN: &str = "hn.latency=200ms,hn.fail-at=150";

/// The line with which a run reports its failure.
const FAILED: &str = "] Calculating comments failed: ";

fn runner() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_run-listing"))
}

/// A stand-in of the test's own, so that its request log holds only this test's run.
fn own_stand_in() -> StandIn {
    book_outputs::fresh_stand_in().expect("the stand-in starts")
}

/// Runs a reader's command line against `stand_in`, pressing Ctrl-C after the first line
/// matching `after` (the listing is then idle until its next period); the run must end as
/// expected. Returns what it printed.
fn run_until_ctrl_c(stand_in: &StandIn, command: &str, after: &'static str) -> String {
    let options = RunOptions {
        interrupt: Some(Interrupt { after, times: 1 }),
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

/// The line each run starts with; the second starts 3 s after the first (`--period 3`).
const SECOND_RUN: &str = "] Calculating comments for top 3 stories. (2)";

/// Runs `package --limit 3 --period 3 --verbose` against `stand_in` under `FAILING_RUN`,
/// and presses Ctrl-C when the second run starts: the first has failed within about a
/// second, and what it left running has had two more to end, or to go on. (Pressed right
/// after the failure, Ctrl-C would end the walks that went on anyway, and drop them with
/// the runtime.) `run_until_ctrl_c` would stop a run that prints 200 lines before its
/// interrupt, and this one prints hundreds of debug lines. Returns the first run's lines
/// (the log, on stderr).
fn failing_verbose_run(stand_in: &StandIn, package: &str) -> Vec<String> {
    let mut child = Command::new(runner())
        .arg0(package)
        .args(["--limit", "3", "--period", "3", "--verbose"])
        .env(book_outputs::LISTING_VAR, package)
        .env(stand_in::ENV_VAR, stand_in.scenario_url(FAILING_RUN))
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
    loop {
        match printed.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.ends_with(SECOND_RUN) => break,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "{package} started no second run in 20 s:\n{}",
                    seen.join("\n")
                );
            }
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -INT failed");
    let Some(status) = child
        .wait_timeout(Duration::from_secs(10))
        .expect("waiting for the listing")
    else {
        let _ = child.kill();
        panic!("{package} did not end within 10 s of Ctrl-C");
    };
    assert!(
        status.success(),
        "{package} ended with {status}:\n{}",
        seen.join("\n")
    );
    assert!(
        seen.iter().any(|line| line.contains(FAILED)),
        "the first run failed:\n{}",
        seen.join("\n")
    );
    seen
}

/// The trees of the first `stories` top stories, as the stand-in serves them.
struct Trees {
    parent: HashMap<u64, u64>,
    kids: HashMap<u64, Vec<u64>>,
}

impl Trees {
    fn of_top_stories(stories: usize) -> Trees {
        let mut trees = Trees {
            parent: HashMap::new(),
            kids: HashMap::new(),
        };
        let mut todo: Vec<u64> = stand_in::hacker_news::top_stories()
            .into_iter()
            .take(stories)
            .collect();
        while let Some(id) = todo.pop() {
            let item: serde_json::Value =
                serde_json::from_str(stand_in::hacker_news::item_json(id)).expect("valid JSON");
            let kids: Vec<u64> = item["kids"]
                .as_array()
                .map(|kids| kids.iter().filter_map(serde_json::Value::as_u64).collect())
                .unwrap_or_default();
            for &kid in &kids {
                trees.parent.insert(kid, id);
                todo.push(kid);
            }
            trees.kids.insert(id, kids);
        }
        trees
    }

    /// An item and every item above it, up to its story.
    fn chain(&self, mut id: u64) -> HashSet<u64> {
        let mut chain = HashSet::from([id]);
        while let Some(&parent) = self.parent.get(&id) {
            chain.insert(parent);
            id = parent;
        }
        chain
    }

    fn is_story(&self, id: u64) -> bool {
        self.kids.contains_key(&id) && !self.parent.contains_key(&id)
    }
}

/// The item a Hacker News request asked for; `None` for the top stories.
fn item_of(record: &RequestRecord) -> Option<u64> {
    record
        .path
        .strip_prefix("/v0/item/")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// What the stand-in saw of a failing run: the item whose request failed, and every item
/// asked for.
struct Requests {
    failed: u64,
    records: HashMap<u64, RequestRecord>,
}

impl Requests {
    fn read(stand_in: &StandIn, output: &str) -> Requests {
        let log = stand_in.requests();
        let failures: Vec<&RequestRecord> = log.iter().filter(|r| r.status == Some(500)).collect();
        let [failure] = failures[..] else {
            panic!("one request failed, not {}:\n{output}", failures.len());
        };
        let mut records = HashMap::new();
        for record in &log {
            if let Some(item) = item_of(record) {
                assert!(
                    records.insert(item, record.clone()).is_none(),
                    "item {item} was asked for twice:\n{output}"
                );
            }
        }
        Requests {
            failed: item_of(failure).expect("an item's request failed"),
            records,
        }
    }
}

/// What the listing's log says each walk did, from its `--verbose` debug lines, split at
/// `Post ... failed, cancelling ... other walks`, the moment the run learned of the failure.
struct WalkLog {
    /// Index of the line where the run learned of the failure.
    failure_line: usize,
    /// Items whose answer the walk read (`... > Fetching of ... took`), at which line.
    read: HashMap<u64, usize>,
    /// Items whose walk started its kids' walks (`... > Fetching N child posts`), at which line.
    spawned: HashMap<u64, usize>,
    /// Items whose walk counted its kids (`... > N comments`), at which line.
    counted: HashMap<u64, usize>,
    /// The article's line for a cancelled walk: at which line, and how many child tasks.
    cancelled: HashMap<u64, (usize, usize)>,
}

impl WalkLog {
    fn read(lines: &[String]) -> WalkLog {
        let read = Regex::new(r"\] (\d+) > Fetching of \S+ took ").expect("a valid regex");
        let spawned = Regex::new(r"\] (\d+) > Fetching \d+ child posts$").expect("a valid regex");
        let counted = Regex::new(r"\] (\d+) > \d+ comments$").expect("a valid regex");
        let cancelled =
            Regex::new(r"\] Comments for post (\d+) cancelled(?:, cancelling (\d+) child tasks)?$")
                .expect("a valid regex");
        let failed =
            Regex::new(r"\] Post \d+ failed, cancelling \d+ other walks$").expect("a valid regex");
        let text = lines.join("\n");
        let failure_line = lines
            .iter()
            .position(|line| failed.is_match(line))
            .unwrap_or_else(|| panic!("the run learned of the failure:\n{text}"));
        let mut log = WalkLog {
            failure_line,
            read: HashMap::new(),
            spawned: HashMap::new(),
            counted: HashMap::new(),
            cancelled: HashMap::new(),
        };
        let id = |captures: &regex::Captures<'_>| -> u64 { captures[1].parse().expect("an id") };
        for (at, line) in lines.iter().enumerate() {
            let once = |map: &mut HashMap<u64, usize>, id: u64| {
                assert!(map.insert(id, at).is_none(), "{line} came twice:\n{text}");
            };
            if let Some(captures) = read.captures(line) {
                once(&mut log.read, id(&captures));
            } else if let Some(captures) = spawned.captures(line) {
                once(&mut log.spawned, id(&captures));
            } else if let Some(captures) = counted.captures(line) {
                once(&mut log.counted, id(&captures));
            } else if let Some(captures) = cancelled.captures(line) {
                let kids = captures
                    .get(2)
                    .map_or(0, |kids| kids.as_str().parse().expect("a count"));
                assert!(
                    log.cancelled.insert(id(&captures), (at, kids)).is_none(),
                    "{line} came twice:\n{text}"
                );
            }
        }
        log
    }

    /// Whether a walk ended by itself: it counted its kids, or it read an item without any.
    fn ended(&self, trees: &Trees, id: u64) -> bool {
        self.counted.contains_key(&id)
            || (self.read.contains_key(&id) && trees.kids.get(&id).is_none_or(Vec::is_empty))
    }
}

/// Listing 13-1: the first walk to fail aborts the others. The run logs that it learned of
/// the failure, then aborts: from that line on, no walk reads another answer, and every
/// item the stand-in was ever asked for was a story or the kid of an item whose walk had
/// started its kids before that line. So no request was sent because of anything that
/// happened after the failure. Without the abort the run would wait for the second story's
/// walk, which reads answers for a second more.
#[test]
fn the_first_error_aborts_the_other_walks() {
    let stand_in = own_stand_in();
    let lines = failing_verbose_run(&stand_in, "listing-13-01");
    let output = lines.join("\n");
    let trees = Trees::of_top_stories(3);
    let requests = Requests::read(&stand_in, &output);
    let log = WalkLog::read(&lines);
    let late: Vec<&String> = lines[log.failure_line..]
        .iter()
        .filter(|line| line.contains(" > "))
        .filter(|line| !line.contains("] > Calculating comments took "))
        .collect();
    assert!(
        late.is_empty(),
        "walks went on after the run learned of the failure: {late:#?}\n{output}"
    );
    for item in requests.records.keys() {
        let decided_before = trees.is_story(*item)
            || trees.parent.get(item).is_some_and(|parent| {
                log.spawned
                    .get(parent)
                    .is_some_and(|&at| at < log.failure_line)
            });
        assert!(
            decided_before,
            "item {item} was asked for on account of an answer read after the failure:\n{output}"
        );
    }
    // The story without comments had finished; the two others never report a count.
    assert!(
        output.contains("] Post 46208110 has 0 comments (1)"),
        "{output}"
    );
    assert_eq!(output.matches(" comments (1)").count(), 1, "{output}");
}

/// Listings 13-2 and 13-3 log the article's line when a walk is cancelled, and only then.
/// With `--verbose` every walk logs it, and its other debug lines say which walks ended by
/// themselves: a walk ends when it has counted its kids, or read an item without kids.
///
/// - Every walk that sent a request (the stand-in saw it) and never ended was cancelled,
///   unless it is the failed item's or one of the walks above it, which ended with the
///   error; a walk that had started its kids names at least one child task.
/// - No walk that ended by itself, and none of the failed ones, says it was cancelled.
/// - Only walks that were started say anything: each is a story, or the kid of a walk
///   that started its kids.
///
/// Returns the log, for each listing's own checks.
fn check_cancelled_lines(package: &str) -> (Vec<String>, WalkLog) {
    let stand_in = own_stand_in();
    let lines = failing_verbose_run(&stand_in, package);
    let output = lines.join("\n");
    let trees = Trees::of_top_stories(3);
    let requests = Requests::read(&stand_in, &output);
    let log = WalkLog::read(&lines);
    let failed = trees.chain(requests.failed);

    let mut cancelled_walks = 0;
    for &item in requests.records.keys() {
        if failed.contains(&item) || log.ended(&trees, item) {
            continue;
        }
        cancelled_walks += 1;
        let Some(&(_, kids)) = log.cancelled.get(&item) else {
            panic!("post {item} never ended, and does not say it was cancelled:\n{output}");
        };
        assert!(
            !log.spawned.contains_key(&item) || kids > 0,
            "post {item} was cancelled with its kids' walks running, and names no child \
             tasks:\n{output}"
        );
    }
    assert!(
        cancelled_walks > 1,
        "the failure cancelled the walks still running:\n{output}"
    );
    for &item in log.cancelled.keys() {
        assert!(
            !failed.contains(&item),
            "post {item} failed; it says it was cancelled:\n{output}"
        );
        assert!(
            !log.ended(&trees, item),
            "post {item} ended by itself; it says it was cancelled:\n{output}"
        );
        let started = trees.is_story(item)
            || trees
                .parent
                .get(&item)
                .is_some_and(|parent| log.spawned.contains_key(parent));
        assert!(started, "post {item} was never started:\n{output}");
    }
    (lines, log)
}

/// Listing 13-2: a drop guard logs the line when an aborted walk is dropped, and the
/// `JoinSet` each walk owns takes the abort down to its kids, and theirs.
#[test]
fn listing_13_2_logs_each_cancelled_walk_and_no_other() {
    check_cancelled_lines("listing-13-02");
}

/// Listing 13-3: child tokens take the cancellation down the tree, and each walk waits for
/// its kids before it returns, so every cancelled walk has logged its line before the run
/// reports its failure; Listing 13-2's drops are not waited for.
#[test]
fn listing_13_3_logs_each_cancelled_walk_before_the_run_fails() {
    let (lines, log) = check_cancelled_lines("listing-13-03");
    let reported = lines
        .iter()
        .position(|line| line.contains(FAILED))
        .expect("the run reports its failure");
    let late: Vec<&String> = log
        .cancelled
        .values()
        .filter(|&&(at, _)| at > reported)
        .map(|&(at, _)| &lines[at])
        .collect();
    assert!(
        late.is_empty(),
        "walks said they were cancelled after the run failed: {late:#?}\n{}",
        lines.join("\n")
    );
}

/// Listing 13-4: the loop stops waiting for a run at its deadline, and the run, a task of
/// its own, goes on: the stand-in keeps getting its requests after the deadline, answers
/// every one, and the listing reports the run's count afterwards. Each answer takes 400 ms,
/// and the run waits for six in a row (the top stories, then the first story's five
/// levels), so it takes 2.4 s at the least, past the 1 s deadline; the requests for the
/// story's grandchildren leave 1.2 s after the first request at the earliest. (The next
/// run starts 10 s after the first, time enough for the first on a busy machine; the test
/// presses Ctrl-C when it does, if the first never reports.)
#[test]
fn a_shielded_run_finishes_after_its_waiter_gave_up() {
    let stand_in = own_stand_in();
    let output = run_until_ctrl_c(
        &stand_in,
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.latency=400ms cargo run -p listing-13-04 -- --limit 1 --deadline 1 --period 10",
        // The run's report, or, if it never comes, the next run's start.
        r"Calculating comments (took|failed)|\(2\)$",
    );
    let gave_up = output
        .lines()
        .position(|line| line.ends_with("] Run 1 is still going after 1s: not waiting for it"))
        .unwrap_or_else(|| panic!("the loop gave up waiting:\n{output}"));
    let counted = output
        .lines()
        .position(|line| line.ends_with("] Post 46210035 has 360 comments (1)"))
        .unwrap_or_else(|| panic!("the run reported its count:\n{output}"));
    assert!(
        gave_up < counted,
        "the count came after the deadline:\n{output}"
    );

    let mut log = stand_in.requests();
    log.sort_by_key(|record| record.arrived);
    // The first run's requests: those before the second run's top stories, if it asked.
    if let Some(second) = log
        .iter()
        .skip(1)
        .position(|record| record.path == "/v0/topstories.json")
    {
        log.truncate(second + 1);
    }
    assert_eq!(log.len(), 362, "the top stories and 361 items:\n{output}");
    for record in &log {
        assert_eq!(
            (record.status, record.answered.is_some()),
            (Some(200), true),
            "every request was answered: {record:?}\n{output}"
        );
    }
    let started = log
        .iter()
        .map(|record| record.arrived)
        .min()
        .expect("requests");
    let after_the_deadline = log
        .iter()
        .filter(|record| record.arrived > started + Duration::from_secs(1))
        .count();
    assert!(
        after_the_deadline > 0,
        "no request left after the deadline: the run stopped with its waiter:\n{output}"
    );
}
