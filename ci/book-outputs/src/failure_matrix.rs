//! The failure matrix: every HTTP listing, run against the stand-in in every way the
//! network can let it down. Each run must end in one of two acceptable ways: the listing
//! handles the failure (exits 0 and says what went wrong), or it stops with a clear error
//! (a line starting `Error:` or `error:`) and a non-zero exit status. It must never panic
//! (but for the one panic its chapter teaches, the listing's `panics`), hang, or print a
//! result that cannot have come from the failed service.
//!
//! Hacker News listings meet two more failures (every item `null`; the Nth fetch fails), and
//! any comment count they print must be one the service's answers give. A listing that runs
//! until Ctrl-C gets it as its `interrupt-for.matrix` (or `interrupt`) rule says, or after
//! `MATRIX_LINE_LIMIT` lines, whichever comes first: a failing run may never print the line
//! the rule waits for.
//!
//! The matrix is also a page of the book: `render` turns it into the markdown table in
//! `src/generated/failure-matrix.md`, which `ci/regenerate-outputs` rewrites and the test
//! compares, so a change in how a listing handles a failure shows up as a diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::thread;

use regex::Regex;

use crate::{LISTINGS, Listing, Watch};

/// Runs at once. Most of a run's time is spent waiting on the stand-in, on sleeps or on the
/// next period, so many more than the 2 cores CI has.
const WORKERS: usize = 16;

/// A listing that runs until Ctrl-C gets it after this many lines at the latest.
const MATRIX_LINE_LIMIT: usize = 30;

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

/// The comment counts a Hacker News listing may print (`-- Post 8863 has 71 comments`,
/// `Post 8863 has 71 comments (1)`) in a failure mode: those its answers give.
#[derive(Clone, Copy, Debug)]
enum Counts {
    /// The tree's own (`stand_in::hacker_news::comment_count`): the answers are all there,
    /// if late; or a fetch fails, and only a walk it did not touch may print its count.
    Tree,
    /// 0: the items answer `null`, or come without `kids`.
    Zero,
    /// None at all: no item answer could be read.
    None,
}

/// Which listings a mode applies to.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Applies {
    Every,
    /// Hacker News listings only: the failure is one only that service has.
    HackerNews,
}

/// One way the network misbehaves, as a `BOOK_STAND_IN` value.
#[derive(Debug)]
pub struct Mode {
    pub name: &'static str,
    pub stand_in: &'static str,
    forbids: Forbids,
    counts: Counts,
    applies: Applies,
    /// What differs from run to run in this mode (a regex; its groups are shown as `…`).
    varies: Option<&'static str>,
}

// Where the stand-in answers, ip-api answers after ipify (100 ms later when failing, 500 ms
// when slow), so a listing that races the two meets the same outcome first on every run.
pub const MODES: &[Mode] = &[
    Mode {
        name: "connection refused",
        stand_in: "http://127.0.0.1:1",
        forbids: Forbids::AnyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "host does not resolve",
        stand_in: "http://stand-in.invalid:8000",
        forbids: Forbids::AnyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        // ip-api a little slower still, so that a race between the IP services has one
        // winner, as in the listings' own outputs. Hacker News is walked level by level:
        // at 2 s an answer a deep tree would take half a minute, for the same lesson.
        name: "slow (2 s an answer; Hacker News 0.25 s)",
        stand_in: "http://127.0.0.1:8000/scenario/latency=2s,ip-api.latency=2.5s,hn.latency=250ms",
        forbids: Forbids::Nothing,
        counts: Counts::Tree,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "HTTP 500",
        stand_in: "http://127.0.0.1:8000/scenario/fail=500,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "HTTP 429 Too Many Requests",
        stand_in: "http://127.0.0.1:8000/scenario/fail=429,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "rate limited (GitHub's 403)",
        stand_in: "http://127.0.0.1:8000/scenario/fail=rate-limit,ip-api.latency=100ms",
        forbids: Forbids::AnyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "malformed JSON",
        stand_in: "http://127.0.0.1:8000/scenario/fail=malformed,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        // Hacker News items come without `kids`, and the top stories are `[]`.
        name: "a JSON key missing",
        stand_in: "http://127.0.0.1:8000/scenario/fail=missing-key,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
        counts: Counts::Zero,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        name: "connection closed mid-response",
        stand_in: "http://127.0.0.1:8000/scenario/fail=cut,ip-api.latency=100ms",
        forbids: Forbids::BodyResult,
        counts: Counts::None,
        applies: Applies::Every,
        varies: None,
    },
    Mode {
        // The top stories answer as usual.
        name: "every item `null`",
        stand_in: "http://127.0.0.1:8000/scenario/hn.fail=null",
        forbids: Forbids::Nothing,
        counts: Counts::Zero,
        applies: Applies::HackerNews,
        varies: None,
    },
    Mode {
        // Mid-walk: post 8863's tree takes 72 fetches; a periodic listing's first run
        // fetches the top stories, then the first story's 361 items.
        name: "the 30th fetch fails (HTTP 500)",
        stand_in: "http://127.0.0.1:8000/scenario/hn.fail-at=30",
        forbids: Forbids::Nothing,
        counts: Counts::Tree,
        applies: Applies::HackerNews,
        // The fetches of one level race each other: which one is the 30th varies, and
        // with it the walk it belongs to, in a run that walks several stories at once.
        varies: Some(r"item (\d+)|comments for post (\d+)"),
    },
];

/// How one run ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Exit status 0 (or, for a listing that runs until Ctrl-C, `interrupted` and its end
    /// by that): the listing dealt with it. `lines` are what it printed that its normal run
    /// does not print (masked as in its output checks), sorted.
    Handled {
        lines: Vec<String>,
        interrupted: bool,
        /// It printed no comment count, where its run without a failure prints some: the
        /// failure made it lose its result without a word, or say so only in `lines`.
        lost_counts: bool,
    },
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

/// The HTTP listings that call Hacker News (not only name its host in `endpoint`).
pub fn is_hacker_news(listing: &Listing) -> bool {
    std::fs::read_to_string(Path::new(listing.dir).join("src/main.rs"))
        .is_ok_and(|source| source.contains("hacker-news.firebaseio.com/v0/"))
}

/// The modes a listing meets.
fn modes_for(listing: &Listing) -> impl Iterator<Item = &'static Mode> {
    let hacker_news = is_hacker_news(listing);
    MODES
        .iter()
        .filter(move |mode| mode.applies == Applies::Every || hacker_news)
}

/// Runs every HTTP listing in every mode, a few at a time.
pub fn run_all(runner: &Path) -> Vec<Cell> {
    run_listings(runner, &http_listings())
}

/// Runs these listings in every mode that applies to them, a few at a time.
pub fn run_listings(runner: &Path, listings: &[&'static Listing]) -> Vec<Cell> {
    // Each listing also runs once with no failure (`None`): what that prints, with the
    // matrix's arguments, is news in no row.
    let jobs: Vec<(usize, &'static Listing, Option<&'static Mode>)> = listings
        .iter()
        .flat_map(|listing| {
            std::iter::once(None)
                .chain(modes_for(listing).map(Some))
                .map(move |mode| (*listing, mode))
        })
        .enumerate()
        .map(|(index, (listing, mode))| (index, listing, mode))
        .collect();
    let count = jobs.len();
    // A pool of workers pulling from one queue, not batches: a batch waits for its slowest
    // run (listing 4-1 sleeps 2-5 s), a pool keeps every worker busy. The slow row's runs
    // are the longest (up to 8 s), so they go first: started last, they would set the
    // matrix's time on their own.
    let mut jobs = jobs;
    jobs.sort_by_key(|(_, _, mode)| !mode.is_some_and(|mode| mode.name.starts_with("slow")));
    let queue = std::sync::Mutex::new(jobs.into_iter());
    let done = std::sync::Mutex::new(Vec::with_capacity(count));
    thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().expect("a worker does not panic").next();
                    let Some((index, listing, mode)) = next else {
                        break;
                    };
                    let run = run_in(runner, listing, mode);
                    done.lock()
                        .expect("a worker does not panic")
                        .push((index, listing, mode, run));
                }
            });
        }
    });
    let mut runs = done.into_inner().expect("a worker does not panic");
    // Back in listing and mode order, as the table shows them.
    runs.sort_by_key(|(index, ..)| *index);
    let mut cells = Vec::with_capacity(count);
    let mut usual = Vec::new();
    for (_, listing, mode, run) in runs {
        let Some(mode) = mode else {
            usual = normal_lines(listing);
            if let Ok(run) = &run
                && run.success
            {
                usual.extend(masked(listing, &run.output));
            }
            continue;
        };
        let outcome = match run {
            Ok(run) => judge(listing, mode, &run, &usual),
            Err(error) => Outcome::Unacceptable { why: error },
        };
        cells.push(Cell {
            listing,
            mode,
            outcome,
        });
    }
    cells
}

/// One run of a listing with the matrix's arguments, against the stand-in in `mode` (or
/// with no failure).
fn run_in(
    runner: &Path,
    listing: &'static Listing,
    mode: Option<&'static Mode>,
) -> Result<crate::Run, String> {
    let stand_in = mode.map_or(crate::STAND_IN_ORIGIN, |mode| mode.stand_in);
    let mut command = format!(
        "$ BOOK_STAND_IN={stand_in} cargo run -p {}",
        listing.package
    );
    if !listing.matrix_args.is_empty() {
        command = format!("{command} -- {}", listing.matrix_args.join(" "));
    }
    let rule = listing.interrupt_rule("matrix");
    let watch = Watch {
        interrupt: rule,
        interrupt_after_lines: rule.map(|_| MATRIX_LINE_LIMIT),
        fail_after_lines: None,
    };
    let (_, invocation) = crate::command(&command)?;
    crate::run_watched(runner, listing, &invocation, watch, None)
}

/// `usual`: the lines the listing prints when nothing fails, masked.
fn judge(listing: &Listing, mode: &Mode, run: &crate::Run, usual: &[String]) -> Outcome {
    let (success, output) = (run.success, run.output.as_str());
    // No panic, but the one the listing's chapter teaches (`panics`), by its report line.
    let taught = match listing.panics.map(Regex::new).transpose() {
        Ok(taught) => taught,
        Err(error) => {
            return Outcome::Unacceptable {
                why: format!("its `panics` is not a regex: {error}"),
            };
        }
    };
    if let Some(line) = output.lines().find(|line| {
        line.contains("panicked at") && !taught.as_ref().is_some_and(|taught| taught.is_match(line))
    }) {
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
    let count = &*COUNT_LINE;
    if let Some(why) = wrong_count(mode, output) {
        return Outcome::Unacceptable { why };
    }
    if success {
        // Compared exactly, not as `comparable` does: a line that differs from a normal one
        // only in the service it names is news, and the row must show it.
        let mut lines: Vec<String> = masked(listing, output)
            .into_iter()
            .filter(|line| !line.trim().is_empty() && !usual.contains(line))
            .map(|line| mask_varying(mode, &line))
            .collect();
        lines.sort();
        lines.dedup();
        return Outcome::Handled {
            lines,
            interrupted: run.interrupted,
            lost_counts: usual.iter().any(|line| count.is_match(line))
                && !output.lines().any(|line| count.is_match(line)),
        };
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
    Outcome::Error {
        line: mask_varying(mode, &line),
    }
}

fn mask_varying(mode: &Mode, line: &str) -> String {
    let Some(varies) = mode.varies else {
        return line.to_owned();
    };
    let varies = Regex::new(varies).expect("a valid regex");
    crate::mask_line(&[varies], line)
}

/// A Hacker News listing's result: `-- Post 8863 has 71 comments`, or, from the periodic
/// listings, `Post 46210035 has 360 comments (1)`. Compiled once for every run judged.
static COUNT_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bPost (\d+) has (\d+) comments?\b").expect("a valid regex"));

/// A comment count the answers cannot have given: any count where no item could be read, a
/// count other than 0 where every item is `null` or has no `kids`, and otherwise a count
/// other than the tree's (a walk that lost a fetch and counted on regardless).
fn wrong_count(mode: &Mode, output: &str) -> Option<String> {
    let count = &*COUNT_LINE;
    output.lines().find_map(|line| {
        let captures = count.captures(line)?;
        let id: u64 = captures[1].parse().ok()?;
        let printed: usize = captures[2].parse().ok()?;
        let given = match mode.counts {
            Counts::None => None,
            Counts::Zero => Some(0),
            Counts::Tree => stand_in::hacker_news::comment_count(id),
        };
        match given {
            Some(given) if given == printed => None,
            Some(given) => Some(format!(
                "it printed a count the answers do not give (they give {given}): {line}"
            )),
            None => Some(format!(
                "it printed a count though no answer could be read: {line}"
            )),
        }
    })
}

/// Whether an output file's command runs against a scenario that fails on purpose:
/// `fail=...`, or Hacker News's `hn.fail-at=N` and `hn.fail-every=N`.
fn shows_a_failure(command: &str) -> bool {
    static FAILING_RULE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[/,.]fail(-at|-every)?=").expect("a valid regex"));
    FAILING_RULE.is_match(command)
}

/// The lines of the listing's own output files, masked: what it prints when all goes well.
/// Runs that show a failure on purpose (a `fails` file, or a scenario that fails) are left
/// out, so that a row shows every line of a failure, even one its chapter shows too.
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
        .filter(|text| !shows_a_failure(text.lines().next().unwrap_or("")))
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
/// `took: … seconds`), run numbers, and the resolver's wording for a name that does not
/// resolve.
fn mask_numbers(line: &str) -> String {
    let line = Regex::new(r"\d+\.\d+ (seconds|s)\b")
        .expect("a valid regex")
        .replace_all(line, "… $1");
    // A periodic listing's run number, `(1)`: a row says what each run does, not how many
    // had started before Ctrl-C.
    let line = Regex::new(r" \(\d+\)$")
        .expect("a valid regex")
        .replace_all(&line, " (…)");
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

const PAGE_HEADER: &str = "<!-- Generated by ci/regenerate-outputs from a run of every HTTP listing \
                           against the stand-in; do not edit. -->\n";

/// The book's table: one section per listing, one row per failure mode.
pub fn render(cells: &[Cell]) -> String {
    let mut page = String::from(PAGE_HEADER);
    for (_, section) in sections(cells) {
        page.push_str(&section);
    }
    page
}

/// The page with the sections of `packages` (HTTP listings or not) rewritten from `cells`
/// (their runs), and every other section as it was: what regenerating a few listings does.
pub fn splice(page: &str, packages: &[&str], cells: &[Cell]) -> String {
    let mut kept: Vec<(String, String)> = Vec::new();
    for part in page.split("\n## `").skip(1) {
        let package = part.split('`').next().unwrap_or_default().to_owned();
        if !packages.contains(&package.as_str()) {
            kept.push((
                package,
                format!("\n## `{}", part.trim_end_matches('\n')) + "\n",
            ));
        }
    }
    kept.extend(sections(cells));
    let order = |package: &str| {
        LISTINGS
            .iter()
            .position(|listing| listing.package == package)
    };
    kept.sort_by_key(|(package, _)| order(package));
    let mut page = String::from(PAGE_HEADER);
    for (_, section) in kept {
        page.push_str(&section);
    }
    page
}

/// One section per listing: (package, its markdown).
fn sections(cells: &[Cell]) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for cell in cells {
        let package = cell.listing.package;
        if sections.last().is_none_or(|(last, _)| last != package) {
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
            let mut section = String::new();
            write!(
                section,
                "\n## `{package}`\n\nFrom [its chapter]({chapter}.md). \
                 Run as `BOOK_STAND_IN=<below> cargo run -p {package}{args}`.\n\n\
                 | the network | the listing | what it prints |\n|---|---|---|\n"
            )
            .expect("writing to a String");
            sections.push((package.to_owned(), section));
        }
        let section = &mut sections.last_mut().expect("pushed above").1;
        section.push_str(&row(cell));
        section.push('\n');
    }
    sections
}

/// A cell's row of the table (without its line end).
pub fn row(cell: &Cell) -> String {
    let (verdict, printed) = match &cell.outcome {
        Outcome::Handled {
            lines,
            interrupted,
            lost_counts,
        } => (
            match (interrupted, lost_counts) {
                (false, false) => "carries on",
                (false, true) => "carries on, prints no count",
                (true, false) => "carries on, until Ctrl-C",
                (true, true) => "carries on, no count before Ctrl-C",
            },
            match (lines.is_empty(), lost_counts) {
                (true, false) => "its usual output".to_owned(),
                (true, true) => "no line of its own".to_owned(),
                (false, _) => code_lines(lines),
            },
        ),
        Outcome::Error { line } => (
            "stops with an error",
            code_lines(std::slice::from_ref(line)),
        ),
        Outcome::Unacceptable { why } => ("**fails the check**", why.replace('\n', " ")),
    };
    format!(
        "| {} (`{}`) | {verdict} | {printed} |",
        cell.mode.name, cell.mode.stand_in
    )
}

fn code_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("`{}`", line.replace('|', "\\|").replace('`', "'")))
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HN: Listing = Listing {
        package: "demo",
        dir: "/nonexistent",
        paused_clock: false,
        unordered: &[],
        masks: &[],
        fails: &[],
        matrix_args: &[],
        interrupt: None,
        interrupt_for: &[],
        panics: None,
        timeline: None,
    };

    /// A listing whose chapter teaches one panic.
    const TEACHES_A_PANIC: Listing = Listing {
        panics: Some(
            r"^\[\d\d:\d\d:\d\d\] Task \d+ panicked at \S*src/main\.rs:\d+:\d+: the run failed: ",
        ),
        ..HN
    };

    fn mode(name: &str) -> &'static Mode {
        MODES
            .iter()
            .find(|mode| mode.name.starts_with(name))
            .expect("a mode by that name")
    }

    fn judged(mode_name: &str, output: &str) -> Outcome {
        judged_as(&HN, mode_name, output)
    }

    fn judged_as(listing: &Listing, mode_name: &str, output: &str) -> Outcome {
        let run = crate::Run {
            output: output.to_owned(),
            success: true,
            interrupted: false,
        };
        judge(listing, mode(mode_name), &run, &[])
    }

    fn fails_the_check(outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Unacceptable { .. })
    }

    #[test]
    fn runs_against_a_failing_scenario_are_not_the_listing_s_normal_output() {
        for command in [
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/fail=500 cargo run -p listing-03-04",
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ip-api.fail=cut cargo run -p x",
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.fail-at=6 cargo run -p x",
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.latency=1s,hn.fail-every=40 cargo run -p x",
        ] {
            assert!(shows_a_failure(command), "{command}");
        }
        for command in [
            "$ BOOK_STAND_IN=http://127.0.0.1:8000 cargo run -p listing-09-01",
            "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/hn.latency=2s cargo run -p x",
            "$ cargo run -p listing-11-01 -- --fail-fast",
        ] {
            assert!(!shows_a_failure(command), "{command}");
        }
    }

    #[test]
    fn a_count_printed_when_no_answer_could_be_read_fails_the_check() {
        for name in [
            "HTTP 500",
            "malformed",
            "connection closed",
            "connection refused",
        ] {
            let outcome = judged(name, "-- Post 8863 has 71 comments\n");
            assert!(fails_the_check(&outcome), "{name}: {outcome:?}");
            let outcome = judged(name, "Post 46210035 has 0 comments (1)\n");
            assert!(fails_the_check(&outcome), "{name}: {outcome:?}");
        }
    }

    #[test]
    fn where_items_are_null_or_have_no_kids_only_0_may_be_printed() {
        for name in ["every item `null`", "a JSON key missing"] {
            assert!(!fails_the_check(&judged(
                name,
                "-- Post 8863 has 0 comments\n"
            )));
            assert!(fails_the_check(&judged(
                name,
                "-- Post 8863 has 71 comments\n"
            )));
        }
    }

    #[test]
    fn where_every_answer_comes_or_a_fetch_fails_a_count_must_be_the_trees() {
        for name in ["slow", "the 30th fetch fails"] {
            assert!(!fails_the_check(&judged(
                name,
                "-- Post 8863 has 71 comments\n"
            )));
            // A walk that lost a fetch and counted on regardless.
            assert!(fails_the_check(&judged(
                name,
                "-- Post 8863 has 70 comments\n"
            )));
        }
    }

    #[test]
    fn only_the_panic_a_listing_teaches_is_accepted() {
        let taught = "[19:00:49] Task 12 panicked at listings/ch12/src/main.rs:150:18: \
                      the run failed: fetching item 46210038\n\nCaused by:\n    500\n";
        assert!(!fails_the_check(&judged_as(
            &TEACHES_A_PANIC,
            "HTTP 500",
            taught
        )));
        // The same line from a listing that teaches no panic.
        assert!(fails_the_check(&judged("HTTP 500", taught)));
        // Another panic, from the default hook or with another message.
        for other in [
            "thread 'main' (4242) panicked at src/main.rs:150:18:\nthe run failed: 500\n",
            "[19:00:49] Task 12 panicked at src/main.rs:151:9: index out of bounds\n",
        ] {
            let outcome = judged_as(&TEACHES_A_PANIC, "HTTP 500", other);
            assert!(fails_the_check(&outcome), "{other}: {outcome:?}");
        }
        // The taught panic excuses nothing else: a wrong count still fails.
        let outcome = judged_as(
            &TEACHES_A_PANIC,
            "HTTP 500",
            &format!("{taught}Post 46210035 has 360 comments (2)\n"),
        );
        assert!(fails_the_check(&outcome), "{outcome:?}");
    }

    #[test]
    fn hacker_news_modes_apply_to_hacker_news_listings_only() {
        let only_hn: Vec<&str> = MODES
            .iter()
            .filter(|mode| mode.applies == Applies::HackerNews)
            .map(|mode| mode.name)
            .collect();
        assert_eq!(
            only_hn,
            ["every item `null`", "the 30th fetch fails (HTTP 500)"]
        );
        // HN is not a Hacker News listing (its folder does not exist).
        assert_eq!(modes_for(&HN).count(), MODES.len() - 2);
    }
}
