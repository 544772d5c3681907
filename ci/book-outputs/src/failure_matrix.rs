//! The failure matrix: every HTTP listing, run against the stand-in in every way the
//! network can let it down. Each run must end in one of two acceptable ways: the listing
//! handles the failure (exits 0 and says what went wrong), or it stops with a clear error
//! (a line starting `Error:` or `error:`) and a non-zero exit status. It must never panic,
//! hang, or print a result that cannot have come from the failed service.
//!
//! The matrix is also a page of the book: `render` turns it into the markdown table in
//! `src/generated/failure-matrix.md`, which `ci/regenerate-outputs` rewrites and the test
//! compares, so a change in how a listing handles a failure shows up as a diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::thread;

use regex::Regex;

use crate::{LISTINGS, Listing};

/// What a failure mode forbids a listing to print: a result no failed service gave.
#[derive(Clone, Copy, Debug)]
enum Forbids {
    /// Nothing: the services answer correctly, only late.
    Nothing,
    /// An IP address or a GitHub date: no service answered.
    AnyResult,
    /// An IP address or a JSON `null` printed as a value: the answers had no usable body.
    BodyResult,
}

/// One way the network misbehaves, as a `BOOK_STAND_IN` value.
#[derive(Debug)]
pub struct Mode {
    pub name: &'static str,
    pub stand_in: &'static str,
    forbids: Forbids,
}

// Where the stand-in answers, ip-api answers after ipify (100 ms later when failing, 500 ms
// when slow), so a listing that races the two meets the same outcome first on every run.
pub const MODES: &[Mode] = &[
    Mode {
        name: "connection refused",
        stand_in: "http://127.0.0.1:1",
        forbids: Forbids::AnyResult,
    },
    Mode {
        name: "host does not resolve",
        stand_in: "http://stand-in.invalid:8000",
        forbids: Forbids::AnyResult,
    },
    Mode {
        // ip-api a little slower still, so that a race between the IP services has one
        // winner, as in the listings' own outputs.
        name: "slow (2 s an answer)",
        stand_in: "http://127.0.0.1:8000/scenario/latency=2s,ip-api.latency=2.5s",
        forbids: Forbids::Nothing,
    },
    Mode {
        name: "HTTP 500",
        stand_in: "http://127.0.0.1:8000/scenario/fail=500,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
    },
    Mode {
        name: "HTTP 429 Too Many Requests",
        stand_in: "http://127.0.0.1:8000/scenario/fail=429,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
    },
    Mode {
        name: "rate limited (GitHub's 403)",
        stand_in: "http://127.0.0.1:8000/scenario/fail=rate-limit,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
    },
    Mode {
        name: "malformed JSON",
        stand_in: "http://127.0.0.1:8000/scenario/fail=malformed,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
    },
    Mode {
        name: "a JSON key missing",
        stand_in: "http://127.0.0.1:8000/scenario/fail=missing-key,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
    },
    Mode {
        name: "connection closed mid-response",
        stand_in: "http://127.0.0.1:8000/scenario/fail=cut,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
    },
];

/// How one run ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Exit status 0: the listing dealt with it. `lines` are what it printed that its
    /// normal run does not print (masked as in its output checks), sorted.
    Handled { lines: Vec<String> },
    /// A non-zero exit status with a clear error line.
    Error { line: String },
    /// Not acceptable: a panic, a hang, a result that cannot be right, or a failure
    /// without a clear error.
    Unacceptable { why: String },
}

pub struct Cell {
    pub listing: &'static Listing,
    pub mode: &'static Mode,
    pub outcome: Outcome,
}

/// The listings that talk HTTP: those that read the stand-in switch.
pub fn http_listings() -> Vec<&'static Listing> {
    LISTINGS
        .iter()
        .filter(|listing| {
            std::fs::read_to_string(Path::new(listing.dir).join("src/main.rs"))
                .is_ok_and(|source| source.contains(stand_in::ENV_VAR))
        })
        .collect()
}

/// Runs every HTTP listing in every mode, a few at a time.
pub fn run_all(runner: &Path) -> Vec<Cell> {
    let jobs: Vec<(usize, &'static Listing, &'static Mode)> = http_listings()
        .into_iter()
        .flat_map(|listing| MODES.iter().map(move |mode| (listing, mode)))
        .enumerate()
        .map(|(index, (listing, mode))| (index, listing, mode))
        .collect();
    let count = jobs.len();
    // A pool of workers pulling from one queue, not batches: a batch waits for its slowest
    // run (listing 4-1 sleeps 2-5 s), a pool keeps every worker busy. Most of a run's time
    // is spent waiting on the stand-in or on sleeps, so eight at once suit 2 cores.
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let done = std::sync::Mutex::new(Vec::with_capacity(count));
    thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("a worker does not panic").next();
                    let Some((index, listing, mode)) = next else {
                        break;
                    };
                    let cell = run_cell(runner, listing, mode);
                    done.lock()
                        .expect("a worker does not panic")
                        .push((index, cell));
                }
            });
        }
    });
    let mut cells = done.into_inner().expect("a worker does not panic");
    // Back in listing and mode order, as the table shows them.
    cells.sort_by_key(|(index, _)| *index);
    cells.into_iter().map(|(_, cell)| cell).collect()
}

fn run_cell(runner: &Path, listing: &'static Listing, mode: &'static Mode) -> Cell {
    let mut command = format!(
        "$ BOOK_STAND_IN={} cargo run -p {}",
        mode.stand_in, listing.package
    );
    if !listing.matrix_args.is_empty() {
        command = format!("{command} -- {}", listing.matrix_args.join(" "));
    }
    let outcome = match crate::run_command(runner, &command) {
        Ok(run) => judge(listing, mode, run.success, &run.output),
        Err(error) => Outcome::Unacceptable { why: error },
    };
    Cell {
        listing,
        mode,
        outcome,
    }
}

fn judge(listing: &Listing, mode: &Mode, success: bool, output: &str) -> Outcome {
    if let Some(line) = output.lines().find(|line| line.contains("panicked at")) {
        return Outcome::Unacceptable {
            why: format!("it panicked: {line}"),
        };
    }
    let ip = Regex::new(r"\b203\.0\.113\.7\b").expect("a valid regex");
    let date = Regex::new(r"\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT").expect("a valid regex");
    let null = Regex::new(r"\bnull\b|\bNull\b").expect("a valid regex");
    let wrong = match mode.forbids {
        Forbids::Nothing => None,
        Forbids::AnyResult => output
            .lines()
            .find(|line| ip.is_match(line) || date.is_match(line)),
        Forbids::BodyResult => output
            .lines()
            .find(|line| ip.is_match(line) || null.is_match(line)),
    };
    if let Some(line) = wrong {
        return Outcome::Unacceptable {
            why: format!("it printed a result no service gave: {line}"),
        };
    }
    if success {
        // Compared exactly, not as `comparable` does: a line that differs from a normal one
        // only in the service it names is news, and the row must show it.
        let normal = normal_lines(listing);
        let mut lines: Vec<String> = masked(listing, output)
            .into_iter()
            .filter(|line| !line.trim().is_empty() && !normal.contains(line))
            .collect();
        lines.sort();
        lines.dedup();
        return Outcome::Handled { lines };
    }
    let lines: Vec<&str> = output.lines().collect();
    let Some(at) = lines
        .iter()
        .position(|line| line.starts_with("Error: ") || line.starts_with("error: "))
    else {
        return Outcome::Unacceptable {
            why: format!("it failed without a clear error line; it printed:\n{output}"),
        };
    };
    // anyhow lists the causes below, indented and numbered; the last is the root cause.
    let root_cause = lines[at + 1..]
        .iter()
        .skip_while(|line| line.trim().is_empty() || line.trim() == "Caused by:")
        .take_while(|line| line.starts_with("    "))
        .last()
        .map(|cause| {
            let cause = cause.trim();
            cause
                .split_once(": ")
                .filter(|(n, _)| n.parse::<u32>().is_ok())
                .map_or(cause, |(_, c)| c)
        });
    let mut line = mask_numbers(lines[at]);
    if let Some(cause) = root_cause {
        line = format!("{line} (because: {})", mask_numbers(cause));
    }
    Outcome::Error { line }
}

/// The lines of the listing's own output files, masked: what it prints when all goes well.
/// Runs that show a failure on purpose (a `fails` file, or a `fail=` scenario) are left out,
/// so that a row shows every line of a failure, even one its chapter shows too.
fn normal_lines(listing: &Listing) -> Vec<String> {
    crate::output_files(listing)
        .iter()
        .filter(|file| {
            let name = file
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            !listing.fails.contains(&name)
        })
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .filter(|text| !text.lines().next().unwrap_or("").contains("fail="))
        .flat_map(|text| masked(listing, text.split_once('\n').map_or("", |(_, rest)| rest)))
        .collect()
}

fn masked(listing: &Listing, text: &str) -> Vec<String> {
    crate::normalise(listing, text)
        .unwrap_or_default()
        .iter()
        .map(|line| mask_numbers(line))
        .collect()
}

/// What differs between runs and machines: timings (`took: 0.21 seconds` becomes
/// `took: … seconds`), and the resolver's wording for a name that does not resolve.
fn mask_numbers(line: &str) -> String {
    let line = Regex::new(r"\d+\.\d+ (seconds|s)\b")
        .expect("a valid regex")
        .replace_all(line, "… $1");
    Regex::new(r"failed to lookup address information: [^)]*")
        .expect("a valid regex")
        .replace_all(&line, "failed to lookup address information")
        .into_owned()
}

/// The form in which the test compares the table with the book's. Where no stand-in
/// answers (connection refused, no such host), both IP services fail at once and a listing
/// that races them reports either, so it does not tell them apart: not their names, URLs
/// and keys, nor where their (differently long) bodies broke off.
pub fn comparable(table: &str) -> String {
    let table = Regex::new(r#"ipify|ip-api|/?\?format=json|/json\b|"ip"|"query""#)
        .expect("a valid regex")
        .replace_all(table, "<ip service>");
    Regex::new(r"column \d+")
        .expect("a valid regex")
        .replace_all(&table, "column …")
        .into_owned()
}

/// Where the table lives, relative to the repository root.
pub fn table_path() -> PathBuf {
    crate::repo_root().join("src/generated/failure-matrix.md")
}

/// The book's table: one section per listing, one row per failure mode.
pub fn render(cells: &[Cell]) -> String {
    let mut page = String::from(
        "<!-- Generated by ci/regenerate-outputs from a run of every HTTP listing against the \
         stand-in; do not edit. -->\n",
    );
    let mut current = "";
    for cell in cells {
        if cell.listing.package != current {
            current = cell.listing.package;
            let chapter = Path::new(cell.listing.dir)
                .parent()
                .and_then(Path::file_name)
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            let args = if cell.listing.matrix_args.is_empty() {
                String::new()
            } else {
                format!(" -- {}", cell.listing.matrix_args.join(" "))
            };
            write!(
                page,
                "\n## `{current}`\n\nFrom [its chapter]({chapter}.md). \
                 Run as `BOOK_STAND_IN=<below> cargo run -p {current}{args}`.\n\n\
                 | the network | the listing | what it prints |\n|---|---|---|\n"
            )
            .expect("writing to a String");
        }
        let (verdict, printed) = match &cell.outcome {
            Outcome::Handled { lines } if lines.is_empty() => {
                ("carries on", "its usual output".to_owned())
            }
            Outcome::Handled { lines } => ("carries on", code_lines(lines)),
            Outcome::Error { line } => (
                "stops with an error",
                code_lines(std::slice::from_ref(line)),
            ),
            Outcome::Unacceptable { why } => ("**fails the check**", why.replace('\n', " ")),
        };
        writeln!(
            page,
            "| {} (`{}`) | {verdict} | {printed} |",
            cell.mode.name, cell.mode.stand_in
        )
        .expect("writing to a String");
    }
    page
}

fn code_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("`{}`", line.replace('|', "\\|").replace('`', "'")))
        .collect::<Vec<_>>()
        .join("<br>")
}
