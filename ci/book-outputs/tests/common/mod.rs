//! What the claims tests share (each `tests/*.rs` is a crate of its own; `mod common;`).

use std::path::Path;

/// Runs a reader's command line and returns what it printed; the run must succeed.
pub fn run(command: &str) -> String {
    let runner = Path::new(env!("CARGO_BIN_EXE_run-listing"));
    let run = book_outputs::run_command(runner, command).expect("the listing runs");
    assert!(run.success, "`{command}` failed:\n{}", run.output);
    run.output
}
