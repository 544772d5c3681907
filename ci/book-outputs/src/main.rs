//! `run-listing`: every listing of the book in one binary.
//!
//! - With `BOOK_LISTING=<package>` set, it *is* that listing: it runs the listing's own
//!   `main` (on Tokio's paused clock where the listing asks for it) with the arguments
//!   it was given. The output checks start it this way, with argv[0] set to the package
//!   name, so a listing sees the same command line as its own binary would.
//! - `run-listing regenerate [<package>...]` rewrites the output files of the named
//!   listings (all of them when none is named) from fresh runs, with the timelines drawn
//!   from those runs (`timeline.svg`, see `timeline.rs`), and the failure-matrix
//!   page of the book (the named listings' sections, or all of it);
//!   `run-listing regenerate --matrix` rewrites that page alone.
//! - `run-listing real-run <package> <binary> <file>` runs the listing's own binary
//!   (`ci/copy-ready` builds it outside the workspace) as the checks run a listing (no
//!   stdin, a time limit, Ctrl-C where its `interrupt` says), writes what it printed to
//!   `<file>`, and exits 0 if the run ended as expected.
//! - `run-listing compare <package> <file>` checks what the listing's own binary printed
//!   (on the real clock) against its `output.txt`.

use std::process::ExitCode;

/// `tokio` as seen by listings that run on the paused clock: the real crate, except
/// that `#[tokio::main]` starts a paused-clock runtime.
mod paused_clock {
    pub mod tokio {
        pub use paused_main::main;
        pub use real_tokio::*;
    }
}

mod listings {
    include!(concat!(env!("OUT_DIR"), "/listing_modules.rs"));
}

fn main() -> ExitCode {
    if let Ok(package) = std::env::var(book_outputs::LISTING_VAR) {
        return match listings::entry_point(&package) {
            Some(run) => run(),
            None => {
                eprintln!("run-listing: no listing called {package:?}");
                ExitCode::FAILURE
            }
        };
    }

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, packages)) if command == "regenerate" => regenerate(packages),
        Some((command, rest)) if command == "compare" && rest.len() == 2 => {
            compare(&rest[0], &rest[1])
        }
        Some((command, rest)) if command == "real-run" && rest.len() == 3 => {
            real_run(&rest[0], &rest[1], &rest[2])
        }
        _ => {
            eprintln!(
                "usage: run-listing regenerate [<package>... | --matrix]\n       \
                 run-listing real-run <package> <its binary> <file for what it prints>\n       \
                 run-listing compare <package> <file holding what its binary printed>"
            );
            ExitCode::FAILURE
        }
    }
}

/// Runs a listing's own binary for `ci/copy-ready`.
fn real_run(package: &str, binary: &str, printed_file: &str) -> ExitCode {
    let Some(listing) = book_outputs::find(package) else {
        eprintln!("run-listing: no listing called {package:?}");
        return ExitCode::FAILURE;
    };
    let (printed, ended_well) = match book_outputs::run_real_binary(listing, binary.as_ref()) {
        Ok(run) if run.success => (run.output, true),
        Ok(run) => {
            eprintln!("{package}: its run failed");
            (run.output, false)
        }
        Err(error) => {
            eprintln!("{package}: {error}");
            (String::new(), false)
        }
    };
    if let Err(error) = std::fs::write(printed_file, printed) {
        eprintln!("run-listing: {printed_file}: {error}");
        return ExitCode::FAILURE;
    }
    if ended_well {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Does a real run's output match the listing's `output.txt`? Used by `ci/copy-ready`.
fn compare(package: &str, printed_file: &str) -> ExitCode {
    let Some(listing) = book_outputs::find(package) else {
        eprintln!("run-listing: no listing called {package:?}");
        return ExitCode::FAILURE;
    };
    let printed = match std::fs::read_to_string(printed_file) {
        Ok(printed) => printed,
        Err(error) => {
            eprintln!("run-listing: {printed_file}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match book_outputs::compare_real_run(listing, &printed) {
        Ok(true) => {
            println!("{package}: its own binary prints what the book shows");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("{package}: no plain `cargo run -p {package}` output to compare with");
            ExitCode::SUCCESS
        }
        Err(difference) => {
            eprintln!("{package}: {difference}");
            ExitCode::FAILURE
        }
    }
}

fn regenerate(packages: &[String]) -> ExitCode {
    let runner = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            eprintln!("run-listing: cannot find its own binary: {error}");
            return ExitCode::FAILURE;
        }
    };
    // `--matrix`: the failure matrix's page alone, all of it.
    let matrix_only = packages == ["--matrix"];
    let every = packages.is_empty() || matrix_only;
    let mut selected = Vec::new();
    for package in packages.iter().filter(|_| !matrix_only) {
        match book_outputs::find(package) {
            Some(listing) => selected.push(listing),
            None => {
                eprintln!("run-listing: no listing called {package:?}");
                return ExitCode::FAILURE;
            }
        }
    }
    if selected.is_empty() && !matrix_only {
        selected.extend(book_outputs::LISTINGS);
    }
    let mut failed = false;
    for &listing in &selected {
        match book_outputs::regenerate(&runner, listing) {
            Ok(files) => {
                for file in files {
                    println!("wrote {}", file.display());
                }
            }
            Err(error) => {
                eprintln!("{}: {error}", listing.package);
                failed = true;
            }
        }
    }
    // The failure matrix's page is an output too: all of it, or the named listings' rows.
    let path = book_outputs::failure_matrix::table_path();
    let table = if every {
        book_outputs::failure_matrix::render(&book_outputs::failure_matrix::run_all(&runner))
    } else {
        let http = book_outputs::failure_matrix::http_listings();
        let named: Vec<_> = selected
            .iter()
            .copied()
            .filter(|listing| http.iter().any(|h| h.package == listing.package))
            .collect();
        let cells = book_outputs::failure_matrix::run_listings(&runner, &named);
        let page = std::fs::read_to_string(&path).unwrap_or_default();
        let packages: Vec<&str> = selected.iter().map(|listing| listing.package).collect();
        book_outputs::failure_matrix::splice(&page, &packages, &cells)
    };
    match std::fs::create_dir_all(path.parent().expect("a folder"))
        .and_then(|()| std::fs::write(&path, table))
    {
        Ok(()) => println!("wrote {}", path.display()),
        Err(error) => {
            eprintln!("{}: {error}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
