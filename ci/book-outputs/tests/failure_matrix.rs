//! Every HTTP listing, in every way the network can fail, copes acceptably; and the
//! book's failure-matrix page still says what each one does.

use std::path::Path;

use book_outputs::failure_matrix::{self, Outcome};

#[test]
fn every_http_listing_copes_with_every_failure_and_the_book_says_how() {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let cells = failure_matrix::run_all(runner);
    assert!(!cells.is_empty(), "found no HTTP listings");

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

    let table = failure_matrix::render(&cells);
    let shown = std::fs::read_to_string(failure_matrix::table_path()).unwrap_or_default();
    if failure_matrix::comparable(&shown) != failure_matrix::comparable(&table) {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        panic!(
            "src/generated/failure-matrix.md no longer says what the listings do \
             (`-` the book, `+` now):\n{}\nIf the change is meant, run ci/regenerate-outputs.",
            book_outputs::line_diff(&lines(&shown), &lines(&table))
        );
    }
}
