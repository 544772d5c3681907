//! Turns every Rust code block in the book's chapters into a test, with skeptic.
//!
//! This program has a second job. skeptic 0.14.2 compiles each snippet with
//! `--edition=2021` (the newest edition it knows), but the book is written for
//! Rust 2024. skeptic runs whatever `RUSTC` names, so this build script sets
//! `RUSTC`, for the test run only, to its own executable, and when started that
//! way it acts as rustc: it swaps the edition for 2024 and hands everything to
//! the real compiler. `edition-2024.md` beside this file holds snippets that
//! fail unless that happened.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Set (through `cargo:rustc-env`) in the test's environment only; it names the
/// compiler that cargo gave this build script.
const REAL_RUSTC: &str = "BOOK_SNIPPETS_REAL_RUSTC";

/// The edition the book states in `book.toml` and the workspace's `Cargo.toml`.
const EDITION: &str = "2024";

fn main() -> ExitCode {
    match env::var_os(REAL_RUSTC) {
        Some(real_rustc) => run_rustc(real_rustc),
        None => {
            generate_tests();
            ExitCode::SUCCESS
        }
    }
}

fn generate_tests() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let chapters = manifest_dir.join("../../src").canonicalize().unwrap();

    // The folder itself, so that a new chapter reruns this script, and every
    // file in it, so that an edited one does.
    println!("cargo:rerun-if-changed={}", chapters.display());
    let mut docs = skeptic::markdown_files_of_directory(chapters.to_str().unwrap());
    assert!(
        !docs.is_empty(),
        "no markdown files found in {}",
        chapters.display()
    );
    docs.push(manifest_dir.join("edition-2024.md"));
    for doc in &docs {
        println!("cargo:rerun-if-changed={}", doc.display());
    }
    skeptic::generate_doc_tests(&docs);

    let me = env::current_exe().unwrap();
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    println!("cargo:rustc-env=RUSTC={}", me.display());
    println!("cargo:rustc-env={REAL_RUSTC}={rustc}");
}

/// Acts as rustc for skeptic: the same arguments, but edition 2024.
fn run_rustc(real_rustc: OsString) -> ExitCode {
    let mut args = Vec::new();
    let mut edition_follows = false;
    for arg in env::args_os().skip(1) {
        let is_edition = arg.to_str().is_some_and(|a| a.starts_with("--edition="));
        if edition_follows {
            args.push(OsString::from(EDITION));
        } else if is_edition {
            args.push(OsString::from(format!("--edition={EDITION}")));
        } else {
            args.push(arg.clone());
        }
        edition_follows = arg == "--edition";
    }
    match Command::new(&real_rustc).args(&args).status() {
        Ok(status) => match status.code() {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        },
        Err(err) => {
            eprintln!("book-snippets: cannot run {}: {err}", real_rustc.display());
            ExitCode::FAILURE
        }
    }
}
