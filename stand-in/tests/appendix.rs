//! What the book's Appendix B (`src/appendix-b-stand-in-services.md`) says about the
//! stand-in, checked against the stand-in itself:
//!
//! - the texts it includes from `stand-in/book/` (the `--help` output, a run from start to
//!   Ctrl-C, a port already in use) are what the binary prints now. After a deliberate
//!   change, `STAND_IN_BLESS=1 cargo test -p stand-in --test appendix` rewrites them from
//!   fresh runs; review the diff;
//! - every scenario rule, `--latency` and `--fail` value it writes parses, and each row of
//!   its examples table gives each service the wait and failure the row says;
//! - the `endpoint` function it shows is, character for character, the one in every HTTP
//!   listing;
//! - the load figures `stand-in/README.md` quotes are the ones `tests/load.rs` asserts;
//! - SIGTERM stops the binary as Ctrl-C does.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use regex::Regex;
use rustix::process::{Pid, Signal, kill_process};
use stand_in::scenario::{parse_failure, split_path};
use stand_in::{Behaviour, Latency, Scenario, Service};

const BINARY: &str = env!("CARGO_BIN_EXE_stand-in");

/// Starting and stopping take milliseconds; a debug build on a busy machine gets slack.
const PROCESS_LIMIT: Duration = Duration::from_secs(20);

/// The address the shown texts give: what a plain `cargo run -p stand-in` listens on.
const SHOWN_ADDR: &str = "127.0.0.1:8000";

/// The defaults of `--latency` and `--fail`; `help.txt` must show the same.
const DEFAULT_LATENCY: &str = "100ms..300ms";
const DEFAULT_FAIL: &str = "none";

/// The environment variable that turns the comparison into a rewrite.
const BLESS: &str = "STAND_IN_BLESS";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("stand-in/ sits in the repository")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

fn shown_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book")
}

/// The appendix as a reader sees it: its `{{#include ../stand-in/book/...}}` directives
/// replaced by the files they name.
fn appendix() -> String {
    let markdown = read(&repo_root().join("src/appendix-b-stand-in-services.md"));
    let include = Regex::new(r"\{\{#include \.\./stand-in/book/([^}]+)\}\}").expect("regex");
    include
        .replace_all(&markdown, |captures: &regex::Captures| {
            read(&shown_dir().join(&captures[1]))
        })
        .into_owned()
}

// ---------------------------------------------------------------------------------------
// The texts under stand-in/book/

/// How the test runs the command at the top of a shown text.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// Runs until it exits by itself, successfully.
    UntilExit,
    /// Starts (on a free port, shown as 8000), gets Ctrl-C after its banner, and exits 0.
    /// The text shows `^C` where the terminal echoes it, at the start of the next line.
    CtrlC,
    /// Finds its port taken (a free port that this test occupies, shown as 8000) and
    /// exits with status 1.
    PortTaken,
}

/// Every file under stand-in/book/, and how to run its command.
const SHOWN: [(&str, Run); 3] = [
    ("help.txt", Run::UntilExit),
    ("start-and-stop.txt", Run::CtrlC),
    ("port-in-use.txt", Run::PortTaken),
];

/// The stand-in's last line before it waits for Ctrl-C.
const LAST_BANNER_LINE: &str = "Press Ctrl-C to stop.\n";

/// A running stand-in whose stdout and stderr share one pipe, as on a terminal, read line
/// by line on a thread so that every wait can have a deadline.
struct Process {
    child: Child,
    lines: Receiver<String>,
}

impl Process {
    fn start(args: &[String]) -> Process {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        let child = Command::new(BINARY)
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("a second write end"))
            .stderr(writer)
            .spawn()
            .expect("the stand-in starts");
        // `Command` has been dropped, and with it this process's write ends: the reader
        // sees the end of the pipe when the stand-in exits.
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if sender.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Process { child, lines }
    }

    /// The next line, or `None` once the stand-in has closed its output.
    fn next_line(&self, so_far: &str) -> Option<String> {
        match self.lines.recv_timeout(PROCESS_LIMIT) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the stand-in printed nothing for {PROCESS_LIMIT:?}; so far:\n{so_far}")
            }
        }
    }

    fn read_until(&self, last_line: &str, text: &mut String) {
        while !text.ends_with(last_line) {
            let line = self
                .next_line(text)
                .unwrap_or_else(|| panic!("the output ended before {last_line:?}:\n{text}"));
            text.push_str(&line);
        }
    }

    fn read_to_end(&self, text: &mut String) {
        while let Some(line) = self.next_line(text) {
            text.push_str(&line);
        }
    }

    fn signal(&self, signal: Signal) {
        let id = i32::try_from(self.child.id()).expect("a pid fits in an i32");
        let pid = Pid::from_raw(id).expect("a pid is not 0");
        kill_process(pid, signal).expect("the signal is sent");
    }

    /// Its exit status; its output has ended, so it is exiting.
    fn wait(mut self) -> ExitStatus {
        let deadline = std::time::Instant::now() + PROCESS_LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the status can be read") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the stand-in closed its output but did not exit"
            );
            std::thread::yield_now();
        }
    }
}

impl Drop for Process {
    /// A failed assertion must not leave a stand-in running.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The program arguments of `$ cargo run -p stand-in [-- <args>]`.
fn arguments(command_line: &str) -> Vec<String> {
    let rest = command_line
        .strip_prefix("$ cargo run -p stand-in")
        .unwrap_or_else(|| {
            panic!("a shown text starts with `$ cargo run -p stand-in`: {command_line:?}")
        });
    match rest.strip_prefix(" --") {
        Some(args) => args.split_whitespace().map(str::to_owned).collect(),
        None if rest.is_empty() => Vec::new(),
        None => panic!("program arguments go after ` -- `: {command_line:?}"),
    }
}

/// The port in `... answering at http://127.0.0.1:<port>`.
fn port_of(banner: &str) -> String {
    let answering = Regex::new(r"answering at http://127\.0\.0\.1:(\d+)").expect("regex");
    answering
        .captures(banner)
        .unwrap_or_else(|| panic!("no `answering at` in:\n{banner}"))[1]
        .to_owned()
}

/// Runs a shown text's command and returns what a reader's terminal would show, with the
/// real port replaced by 8000.
fn run_as_shown(command_line: &str, run: Run) -> String {
    let mut args = arguments(command_line);
    let mut text = String::new();
    let port = match run {
        Run::UntilExit => {
            let process = Process::start(&args);
            process.read_to_end(&mut text);
            let status = process.wait();
            assert!(status.success(), "{status}:\n{text}");
            None
        }
        Run::CtrlC => {
            args.extend(["--port".to_owned(), "0".to_owned()]);
            let process = Process::start(&args);
            process.read_until(LAST_BANNER_LINE, &mut text);
            let port = port_of(&text);
            process.signal(Signal::INT);
            // What the terminal echoes when Ctrl-C is pressed.
            text.push_str("^C");
            process.read_to_end(&mut text);
            let status = process.wait();
            assert!(status.success(), "{status}:\n{text}");
            Some(port)
        }
        Run::PortTaken => {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            let port = taken.local_addr().expect("an address").port().to_string();
            args.extend(["--port".to_owned(), port.clone()]);
            let process = Process::start(&args);
            process.read_to_end(&mut text);
            let status = process.wait();
            assert_eq!(status.code(), Some(1), "{text}");
            Some(port)
        }
    };
    match port {
        Some(port) => text.replace(&format!("127.0.0.1:{port}"), SHOWN_ADDR),
        None => text,
    }
}

#[test]
fn the_texts_the_appendix_shows_are_what_the_binary_prints() {
    let bless = std::env::var_os(BLESS).is_some_and(|value| !value.is_empty());
    let mut stale = Vec::new();
    for (name, run) in SHOWN {
        let path = shown_dir().join(name);
        let shown = read(&path);
        let (command_line, expected) = shown.split_once('\n').unwrap_or((&shown, ""));
        let actual = run_as_shown(command_line, run);
        if actual == expected {
            continue;
        }
        if bless {
            std::fs::write(&path, format!("{command_line}\n{actual}"))
                .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
            eprintln!("rewrote {}", path.display());
        } else {
            stale.push(format!(
                "stand-in/book/{name} shows:\n{expected}\nbut `{command_line}` prints now:\n{actual}"
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nIf the change is meant, run `{BLESS}=1 cargo test -p stand-in --test appendix` \
         and review the diff.",
        stale.join("\n")
    );
}

#[test]
fn every_text_under_book_is_checked_and_shown() {
    let mut files: Vec<String> = std::fs::read_dir(shown_dir())
        .expect("stand-in/book/ exists")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut checked: Vec<String> = SHOWN.iter().map(|(name, _)| (*name).to_owned()).collect();
    checked.sort();
    assert_eq!(
        files, checked,
        "add a new text to SHOWN, with how to run it"
    );
    let markdown = read(&repo_root().join("src/appendix-b-stand-in-services.md"));
    for name in checked {
        let include = format!("{{{{#include ../stand-in/book/{name}}}}}");
        assert!(
            markdown.contains(&include),
            "the appendix does not show {name}"
        );
    }
}

#[test]
fn the_help_shows_the_defaults_these_checks_assume() {
    let help = read(&shown_dir().join("help.txt"));
    for default in [DEFAULT_LATENCY, DEFAULT_FAIL] {
        assert!(
            help.contains(&format!("[default: {default}]")),
            "help.txt has no [default: {default}]"
        );
    }
}

#[test]
fn sigterm_stops_the_binary_as_ctrl_c_does() {
    let process = Process::start(&["--port".to_owned(), "0".to_owned()]);
    let mut text = String::new();
    process.read_until(LAST_BANNER_LINE, &mut text);
    process.signal(Signal::TERM);
    let mut rest = String::new();
    process.read_to_end(&mut rest);
    let status = process.wait();
    assert!(status.success(), "{status}");
    assert_eq!(
        rest,
        "stand-in: SIGTERM received, stopping\nstand-in: stopped\n"
    );
}

// ---------------------------------------------------------------------------------------
// Scenarios

/// Characters that end a value written in the text: space, Markdown, quotes, brackets.
const END: &str = r#"[^\s`'"|<>()\[\]]"#;

/// Every scenario, latency and failure the appendix writes, each with what it must parse as.
fn written_values(text: &str) -> Vec<(&'static str, String)> {
    let patterns: [(&str, String); 7] = [
        // A BOOK_STAND_IN value: the stand-in's default address, then nothing or a prefix.
        ("BOOK_STAND_IN", format!("BOOK_STAND_IN=({END}+)")),
        // A prefix anywhere; the rules end where the real path or query starts.
        ("scenario", r#"/scenario/([^\s`'"|<>()/?\[\]]+)"#.to_owned()),
        ("scenario", format!("--scenario[ =]({END}+)")),
        ("latency", format!("--latency[ =]({END}+)")),
        ("fail", format!("--fail[ =]({END}+)")),
        // Rules written on their own, as inline code or as a Rust string.
        (
            "scenario",
            r"`((?:[a-z-]+\.)?(?:latency|fail|fail-at|fail-every)=[^`\s]+)`".to_owned(),
        ),
        (
            "scenario",
            r#""((?:[a-z-]+\.)?(?:latency|fail|fail-at|fail-every)=[^"\s]+)""#.to_owned(),
        ),
    ];
    let mut values = Vec::new();
    for (kind, pattern) in patterns {
        let regex = Regex::new(&pattern).expect("regex");
        for captures in regex.captures_iter(text) {
            values.push((kind, captures[1].to_owned()));
        }
    }
    values
}

/// Values the appendix and the README write to show a mistake; they must stay mistakes.
const DELIBERATELY_WRONG: [&str; 4] = [
    "ipfy.fail=500",
    "latency=90s",
    "latency=99999999999s",
    "61s",
];

fn check_value(kind: &str, value: &str) -> Result<(), String> {
    if DELIBERATELY_WRONG.contains(&value) {
        return match value.parse::<Scenario>() {
            Ok(_) => Err("this example of a mistake parses".to_owned()),
            Err(_) => Ok(()),
        };
    }
    match kind {
        "BOOK_STAND_IN" => {
            let path = value
                .strip_prefix(&format!("http://{SHOWN_ADDR}"))
                .ok_or("it must start with http://127.0.0.1:8000, where the stand-in listens")?;
            if !(path.is_empty() || path == "/" || path.starts_with("/scenario/")) {
                return Err("after the address comes nothing or /scenario/<rules>".to_owned());
            }
            split_path(path)
                .map(drop)
                .map_err(|error| error.to_string())
        }
        "scenario" => value
            .parse::<Scenario>()
            .map(drop)
            .map_err(|e| e.to_string()),
        "latency" => value
            .parse::<Latency>()
            .map(drop)
            .map_err(|e| e.to_string()),
        "fail" => parse_failure(value).map(drop).map_err(|e| e.to_string()),
        other => unreachable!("no such kind {other}"),
    }
}

#[test]
fn every_scenario_the_appendix_writes_is_valid() {
    check_every_written_value(&appendix(), "the appendix");
}

#[test]
fn every_scenario_the_readme_writes_is_valid() {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    check_every_written_value(&readme, "stand-in/README.md");
}

fn check_every_written_value(text: &str, what: &str) {
    let values = written_values(text);
    // A pattern that stopped matching would make this test pass on nothing.
    for kind in ["BOOK_STAND_IN", "scenario", "latency", "fail"] {
        assert!(
            values.iter().any(|(found, _)| *found == kind),
            "found no {kind} value in {what}; is the extraction broken?"
        );
    }
    let invalid: Vec<String> = values
        .iter()
        .filter_map(|(kind, value)| {
            check_value(kind, value)
                .err()
                .map(|error| format!("{kind} `{value}`: {error}"))
        })
        .collect();
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

#[test]
fn the_extraction_catches_a_wrong_example() {
    let wrong = "Try `BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ipfy.latency=2s` or \
                 `--fail 404` or `github.latency=fast` or `ipify.fail-at=3`.";
    let values = written_values(wrong);
    let invalid = values
        .iter()
        .filter(|(kind, value)| check_value(kind, value).is_err())
        .count();
    // The address with its prefix, the prefix alone, the --fail value, the inline rules.
    assert_eq!(invalid, 5, "{values:?}");
}

/// The line above the examples table.
const EXAMPLES_MARKER: &str =
    "<!-- scenario examples: stand-in/tests/appendix.rs checks each row -->";

/// One row of the examples table: how the stand-in was started, the prefix's rules, and what the
/// three services do, in the form [`describe`] writes.
#[derive(Debug)]
struct Example {
    options: String,
    /// What follows `/scenario/` in `BOOK_STAND_IN`; empty for no prefix.
    rules: String,
    effect: String,
}

fn inline_code(cell: &str) -> Option<&str> {
    cell.trim().strip_prefix('`')?.strip_suffix('`')
}

fn examples(markdown: &str) -> Vec<Example> {
    let (_, after) = markdown
        .split_once(EXAMPLES_MARKER)
        .expect("the appendix has the scenario examples table");
    after
        .trim_start()
        .lines()
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and the |---| line
        .map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let [options, rules, effect] = cells[..] else {
                panic!("an examples row has three cells: {line}");
            };
            let code_or_nothing = |cell: &str| {
                if cell.trim() == "(none)" {
                    String::new()
                } else {
                    inline_code(cell)
                        .unwrap_or_else(|| panic!("`code` or (none) in: {line}"))
                        .to_owned()
                }
            };
            Example {
                options: code_or_nothing(options),
                rules: code_or_nothing(rules),
                effect: effect.trim().to_owned(),
            }
        })
        .collect()
}

/// The run's scenario for `cargo run -p stand-in -- <options>`, built the way
/// `src/main.rs` builds it: `--latency` and `--fail` for every service, then `--scenario`.
fn run_scenario(options: &str) -> Scenario {
    let words: Vec<&str> = options.split_whitespace().collect();
    let option = |name: &str| {
        words
            .iter()
            .position(|word| *word == name)
            .map(|at| words[at + 1])
    };
    for word in words.iter().filter(|word| word.starts_with("--")) {
        assert!(
            ["--latency", "--fail", "--scenario"].contains(word),
            "the examples table only knows --latency, --fail and --scenario: {options}"
        );
    }
    let latency = option("--latency").unwrap_or(DEFAULT_LATENCY);
    let fail = option("--fail").unwrap_or(DEFAULT_FAIL);
    let mut scenario = Scenario::everywhere(Behaviour {
        latency: latency.parse().expect("the --latency value parses"),
        failure: parse_failure(fail).expect("the --fail value parses"),
    });
    if let Some(rules) = option("--scenario") {
        scenario.extend(rules.parse().expect("the --scenario value parses"));
    }
    scenario
}

/// One service's behaviour as the table writes it: the wait (`no wait`, `200ms`,
/// `100ms..300ms`), then `, fail=<failure>` if it fails.
fn describe_one(behaviour: Behaviour) -> String {
    let wait = match behaviour.latency {
        Latency::NONE => "no wait".to_owned(),
        latency => latency.to_string(),
    };
    match behaviour.failure {
        None => wait,
        Some(failure) => format!("{wait}, fail={}", failure.name()),
    }
}

/// What the three services do, as the table's last column writes it: services that behave
/// alike share a group, `github, ip-api: no wait; ipify: 2s`, or `all: ...` when all three do.
fn describe(run: &Scenario, request: &Scenario) -> String {
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for service in Service::ALL {
        let behaviour = describe_one(Behaviour::for_request(service, run, request));
        match groups.iter_mut().find(|(_, shared)| *shared == behaviour) {
            Some((names, _)) => names.push(service.name()),
            None => groups.push((vec![service.name()], behaviour)),
        }
    }
    if let [(_, behaviour)] = &groups[..] {
        return format!("all: {behaviour}");
    }
    groups
        .iter()
        .map(|(names, behaviour)| format!("{}: {behaviour}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn each_scenario_example_does_what_its_row_says() {
    let rows = examples(&read(
        &repo_root().join("src/appendix-b-stand-in-services.md"),
    ));
    assert!(
        rows.len() >= 5,
        "the examples table has {} rows",
        rows.len()
    );
    let mut wrong = Vec::new();
    for row in &rows {
        let run = run_scenario(&row.options);
        let request: Scenario = row
            .rules
            .parse()
            .unwrap_or_else(|error| panic!("the rules `{}` are not valid: {error}", row.rules));
        let actual = describe(&run, &request);
        if actual != row.effect {
            wrong.push(format!(
                "options `{}`, rules `{}`:\n  the row says {}\n  the rules give {actual}",
                row.options, row.rules, row.effect
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The endpoint function

/// From `fn endpoint(` to the first line that is just `}`.
fn endpoint_function(source: &str) -> Option<String> {
    let start = source.find("fn endpoint(")?;
    let length = source[start..].find("\n}\n")? + "\n}".len();
    Some(source[start..start + length].to_owned())
}

#[test]
fn every_http_listing_carries_the_endpoint_function_the_appendix_shows() {
    let markdown = read(&repo_root().join("src/appendix-b-stand-in-services.md"));
    let shown = endpoint_function(&markdown).expect("the appendix shows `fn endpoint`");
    let mut listings = 0;
    let mut different = Vec::new();
    for chapter in std::fs::read_dir(repo_root().join("listings")).expect("listings/") {
        let chapter = chapter.expect("an entry").path();
        if !chapter.is_dir() {
            continue;
        }
        for listing in std::fs::read_dir(&chapter).expect("a chapter folder") {
            let main = listing.expect("an entry").path().join("src/main.rs");
            let Ok(source) = std::fs::read_to_string(&main) else {
                continue;
            };
            if !source.contains("BOOK_STAND_IN") {
                continue;
            }
            listings += 1;
            if endpoint_function(&source).as_deref() != Some(shown.as_str()) {
                let relative = main.strip_prefix(repo_root()).unwrap_or(&main);
                different.push(relative.display().to_string());
            }
        }
    }
    assert!(listings > 0, "found no listing that reads BOOK_STAND_IN");
    assert!(
        different.is_empty(),
        "these listings read BOOK_STAND_IN but do not carry the appendix's `endpoint` \
         function exactly (copy it from listing 3-4):\n{}",
        different.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The load figures

/// `10000` as the appendix writes it: `10,000`.
fn with_thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut text = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// The value of `const NAME: <type> = <value>;` in a Rust source.
fn constant(source: &str, name: &str) -> String {
    let pattern = format!(r"const {name}: [^=]+= ([^;]+);");
    Regex::new(&pattern)
        .expect("regex")
        .captures(source)
        .unwrap_or_else(|| panic!("tests/load.rs has no `const {name}`"))[1]
        .to_owned()
}

#[test]
fn the_load_figures_are_the_ones_the_load_test_asserts() {
    let load = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/load.rs"));
    let number = |name: &str| -> u64 {
        let value = constant(&load, name).replace('_', "");
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} is `{value}`, not a number"))
    };
    let requests = number("REQUESTS");
    let concurrency = number("CONCURRENCY");
    let time_limit = constant(&load, "TIME_LIMIT");
    let seconds = time_limit
        .strip_prefix("Duration::from_secs(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("TIME_LIMIT is `{time_limit}`, not whole seconds"));
    let latency = Regex::new(r#"scenario_url\("(latency=[^"]+)"\)"#)
        .expect("regex")
        .captures(&load)
        .expect("the load test sets a latency")[1]
        .to_owned();

    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    for phrase in [
        format!("{} requests", with_thousands(requests)),
        format!("{} at a time", with_thousands(concurrency)),
        format!("within {seconds} seconds"),
        format!("`{latency}`"),
    ] {
        assert!(
            readme.contains(&phrase),
            "stand-in/README.md does not say `{phrase}`, which tests/load.rs asserts"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Commands

/// The package names of the workspace's listings.
fn listing_packages() -> Vec<String> {
    let name = Regex::new(r#"(?m)^name = "([^"]+)""#).expect("regex");
    let mut packages = Vec::new();
    for chapter in std::fs::read_dir(repo_root().join("listings")).expect("listings/") {
        let chapter = chapter.expect("an entry").path();
        let Ok(listings) = std::fs::read_dir(&chapter) else {
            continue;
        };
        for listing in listings {
            let manifest = listing.expect("an entry").path().join("Cargo.toml");
            if let Ok(manifest) = std::fs::read_to_string(manifest)
                && let Some(captures) = name.captures(&manifest)
            {
                packages.push(captures[1].to_owned());
            }
        }
    }
    packages
}

#[test]
fn every_command_the_appendix_shows_runs_a_real_package() {
    let text = appendix();
    let command = Regex::new(r"cargo run -p ([a-z0-9-]+)").expect("regex");
    let listings = listing_packages();
    let unknown: Vec<&str> = command
        .captures_iter(&text)
        .map(|captures| captures.get(1).expect("a group").as_str())
        .filter(|package| *package != "stand-in" && !listings.iter().any(|name| name == package))
        .collect();
    assert!(
        command.is_match(&text),
        "found no `cargo run -p` in the appendix; is the extraction broken?"
    );
    assert!(unknown.is_empty(), "no such package: {unknown:?}");
}
