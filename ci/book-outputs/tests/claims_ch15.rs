//! Claims chapter 15 makes about its listings (cancellation safety) beyond their output
//! files: Listing 15-1's `select!` loop loses log lines, Listing 15-2's loses none. Each test
//! runs the listing (on the paused clock, as its output check does) and counts the lines
//! the walk sent against those the logger wrote, from the `wrote ...` lines themselves,
//! not only from the listing's own summary.

mod common;
use common::run;

/// What a run of a logger listing printed: the walk's count of lines sent, and every line
/// the logger wrote, in the order it wrote them.
struct Logged {
    sent: usize,
    written: Vec<String>,
}

impl Logged {
    /// The lines sent (`line 1` to `line N`) that were never written.
    fn lost(&self) -> Vec<String> {
        (1..=self.sent)
            .map(|n| format!("line {n}"))
            .filter(|line| !self.written.contains(line))
            .collect()
    }
}

fn logged(package: &str) -> Logged {
    let output = run(&format!("$ cargo run -p {package}"));
    let mut written = Vec::new();
    let mut summary = None;
    for line in output.lines() {
        if let Some((_, batch)) = line.split_once(" ms: wrote ") {
            written.extend(batch.split(", ").map(str::to_owned));
        } else if let Some(rest) = line.strip_prefix("Sent ") {
            summary = Some(rest.to_owned());
        }
    }
    let summary = summary.unwrap_or_else(|| panic!("no `Sent ...` line:\n{output}"));
    let sent = summary
        .split_once(" lines")
        .and_then(|(sent, _)| sent.parse().ok())
        .unwrap_or_else(|| panic!("a count of lines sent in {summary:?}"));
    assert!(
        summary.contains(&format!("wrote {};", written.len())),
        "the summary {summary:?} counts other lines than the {} written:\n{output}",
        written.len()
    );
    Logged { sent, written }
}

/// Listing 15-1 re-creates the batch's future on every turn of its `select!` loop, and
/// drops it, with the line it took, when the report's tick wins.
#[test]
fn listing_15_1_loses_lines() {
    let logged = logged("listing-15-01");
    let lost = logged.lost();
    assert!(
        !lost.is_empty(),
        "Listing 15-1 lost no line: it wrote {:?}",
        logged.written
    );
    assert_eq!(
        logged.written.len() + lost.len(),
        logged.sent,
        "each line written at most once"
    );
}

/// Listing 15-2 keeps the batch's future across the report's ticks: every line sent is
/// written, once, in the order sent.
#[test]
fn listing_15_2_writes_every_line_once_in_order() {
    let logged = logged("listing-15-02");
    let expected: Vec<String> = (1..=logged.sent).map(|n| format!("line {n}")).collect();
    assert!(logged.sent > 0, "the walk sent lines");
    assert_eq!(
        logged.written,
        expected,
        "Listing 15-2 lost {:?}",
        logged.lost()
    );
}
