//! Every HTTP listing, in every way the network can fail, copes acceptably; and the
//! book's failure-matrix page still says what each one does.

use std::collections::HashSet;
use std::path::Path;

use book_outputs::failure_matrix::{self, Cell, Outcome};

/// Runs of a listing whose rows differ from the book, the first included. A few rows
/// depend on how fast a loaded machine runs (how far a walk got when Ctrl-C came, which of
/// two failing requests answered first); run again with fewer runs beside them, they print
/// what the book shows. A listing that changed prints its new rows on every run.
const ATTEMPTS: usize = 3;

#[test]
fn every_http_listing_copes_with_every_failure_and_the_book_says_how() {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let shown = std::fs::read_to_string(failure_matrix::table_path()).unwrap_or_default();
    // Each row of the book, with the listing it is under.
    let mut book_rows = HashSet::new();
    let mut package = String::new();
    for line in failure_matrix::comparable(&shown).lines() {
        if let Some(heading) = line.strip_prefix("## `") {
            package = heading.trim_end_matches('`').to_owned();
        } else if line.starts_with("| ") {
            book_rows.insert((package.clone(), line.to_owned()));
        }
    }
    let in_book = |cell: &Cell| {
        let row = failure_matrix::comparable(&failure_matrix::row(cell));
        book_rows.contains(&(cell.listing.package.to_owned(), row))
    };

    let mut cells = failure_matrix::run_all(runner);
    assert!(!cells.is_empty(), "found no HTTP listings");
    assert_all_acceptable(&cells);
    let mut attempts = 1;
    while attempts < ATTEMPTS {
        let mut differing: Vec<_> = cells
            .iter()
            .filter(|cell| !in_book(cell))
            .map(|cell| cell.listing)
            .collect();
        differing.dedup_by_key(|listing| listing.package);
        if differing.is_empty() {
            break;
        }
        attempts += 1;
        let again = failure_matrix::run_listings(runner, &differing);
        assert_all_acceptable(&again);
        // A row takes the new run's result only where that is what the book shows: each
        // row is one run of its own, so the rows kept are each a real run.
        for new in again {
            if in_book(&new)
                && let Some(old) = cells.iter_mut().find(|old| {
                    old.listing.package == new.listing.package && old.mode.name == new.mode.name
                })
            {
                *old = new;
            }
        }
    }

    let table = failure_matrix::render(&cells);
    if failure_matrix::comparable(&shown) != failure_matrix::comparable(&table) {
        let lines = |text: &str| {
            failure_matrix::comparable(text)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let diff = book_outputs::line_diff(&lines(&shown), &lines(&table));
        // CI logs keep only the start of a long message, so the changed rows come first,
        // each under the listing it belongs to.
        let mut changed = Vec::new();
        let mut section = "";
        for line in diff.lines() {
            if let Some(heading) = line.trim_start_matches([' ', '-', '+']).strip_prefix("## ") {
                section = heading;
            }
            if line.starts_with("- ") || line.starts_with("+ ") {
                changed.push(format!("{section}: {line}"));
            }
        }
        panic!(
            "src/generated/failure-matrix.md no longer says what the listings do \
             (`-` the book, `+` now, in {attempts} runs of the listings with changed rows):\n{}\n\n\
             In full:\n{diff}\n\
             If the change is meant, run ci/regenerate-outputs.",
            changed.join("\n")
        );
    }
}

fn assert_all_acceptable(cells: &[Cell]) {
    let unacceptable: Vec<String> = cells
        .iter()
        .filter_map(|cell| match &cell.outcome {
            Outcome::Unacceptable { why } => Some(format!(
                "{} with {}: {why}",
                cell.listing.package, cell.mode.name
            )),
            _ => None,
        })
        .collect();
    assert!(unacceptable.is_empty(), "{}", unacceptable.join("\n\n"));
}
