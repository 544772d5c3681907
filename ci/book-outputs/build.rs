//! Finds every listing crate under `listings/` and generates three files in OUT_DIR:
//!
//! - `listings.rs`: what the checks know of each listing (name, folder, comparison rules),
//!   read from its `Cargo.toml` and `[package.metadata.book]` (see `listings/README.md`);
//! - `listing_modules.rs`: each listing's own `src/main.rs`, compiled as a module of the
//!   `run-listing` binary, with `tokio` bound to the real crate or to the paused-clock
//!   stand-in;
//! - `listing_tests.rs`: one `#[test]` per listing, so a failure names its listing.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let listings_root = manifest_dir.join("../../listings").canonicalize().unwrap();
    println!("cargo:rerun-if-changed={}", listings_root.display());

    let mut listings = Vec::new();
    for chapter in sorted_dirs(&listings_root) {
        println!("cargo:rerun-if-changed={}", chapter.display());
        for dir in sorted_dirs(&chapter) {
            println!("cargo:rerun-if-changed={}", dir.display());
            println!(
                "cargo:rerun-if-changed={}",
                dir.join("Cargo.toml").display()
            );
            listings.push(read_listing(&dir));
        }
    }

    let mut table = String::from("pub const LISTINGS: &[Listing] = &[\n");
    let mut modules = String::new();
    let mut dispatch = String::from(
        "pub fn entry_point(package: &str) -> Option<fn() -> std::process::ExitCode> {\n    match package {\n",
    );
    let mut tests = String::new();
    for listing in &listings {
        writeln!(
            table,
            "    Listing {{ package: {:?}, dir: {:?}, paused_clock: {}, unordered: &{:?}, masks: &{:?}, fails: &{:?}, matrix_args: &{:?}, interrupt: {}, interrupt_for: &[{}], panics: {:?} }},",
            listing.package,
            listing.dir,
            listing.paused_clock,
            listing.unordered,
            listing.masks,
            listing.fails,
            listing.matrix_args,
            listing
                .interrupt
                .as_ref()
                .map_or("None".to_owned(), |rule| format!("Some({})", rule.code())),
            listing
                .interrupt_for
                .iter()
                .map(|(run, rule)| format!("({run:?}, {})", rule.code()))
                .collect::<Vec<_>>()
                .join(", "),
            listing.panics
        )
        .unwrap();

        let module = listing.package.replace('-', "_");
        let tokio = if listing.paused_clock {
            "crate::paused_clock::tokio"
        } else {
            "::real_tokio"
        };
        writeln!(
            modules,
            "mod {module} {{\n    #[allow(unused_imports)]\n    use {tokio} as tokio;\n    include!({:?});\n    // main() returns () or a Result; report() turns either into an exit code.\n    #[allow(clippy::unit_arg)]\n    pub fn run() -> std::process::ExitCode {{\n        std::process::Termination::report(main())\n    }}\n}}",
            listing.main_rs
        )
        .unwrap();
        writeln!(
            dispatch,
            "        {:?} => Some({module}::run),",
            listing.package
        )
        .unwrap();
        writeln!(
            tests,
            "#[test]\nfn {module}() {{\n    check_listing({:?});\n}}",
            listing.package
        )
        .unwrap();
    }
    table.push_str("];\n");
    dispatch.push_str("        _ => None,\n    }\n}\n");
    modules.push_str(&dispatch);

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    fs::write(out_dir.join("listings.rs"), table).unwrap();
    fs::write(out_dir.join("listing_modules.rs"), modules).unwrap();
    fs::write(out_dir.join("listing_tests.rs"), tests).unwrap();
}

struct ListingInfo {
    package: String,
    dir: String,
    main_rs: String,
    paused_clock: bool,
    unordered: Vec<String>,
    masks: Vec<String>,
    fails: Vec<String>,
    matrix_args: Vec<String>,
    interrupt: Option<InterruptRule>,
    interrupt_for: Vec<(String, InterruptRule)>,
    panics: Option<String>,
}

/// `{ after = '<regex>', times = N }`: SIGINT after the Nth printed line matching the regex.
struct InterruptRule {
    after: String,
    times: u64,
}

impl InterruptRule {
    fn read(value: &toml::Value, key: &str, manifest: &Path) -> InterruptRule {
        let wrong = || -> ! {
            panic!(
                "{}: {key} must be {{ after = '<regex>', times = <N from 1> }}, not {value}",
                manifest.display()
            )
        };
        let Some(table) = value.as_table() else {
            wrong()
        };
        if table.keys().any(|k| k != "after" && k != "times") {
            wrong();
        }
        let after = table
            .get("after")
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| wrong());
        let times = table
            .get("times")
            .and_then(toml::Value::as_integer)
            .filter(|times| *times >= 1)
            .unwrap_or_else(|| wrong());
        InterruptRule {
            after: after.to_owned(),
            times: times as u64,
        }
    }

    fn code(&self) -> String {
        format!(
            "Interrupt {{ after: {:?}, times: {} }}",
            self.after, self.times
        )
    }
}

fn read_listing(dir: &Path) -> ListingInfo {
    let manifest_path = dir.join("Cargo.toml");
    let manifest: toml::Table = fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("{}: {e}", manifest_path.display()))
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", manifest_path.display()));
    let package = &manifest["package"];
    let name = package["name"].as_str().expect("package.name").to_owned();
    let book = package
        .get("metadata")
        .and_then(|metadata| metadata.get("book"))
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    // A misspelt key would otherwise be ignored without a word.
    const KEYS: [&str; 8] = [
        "clock",
        "unordered",
        "masks",
        "fails",
        "matrix-args",
        "interrupt",
        "interrupt-for",
        "panics",
    ];
    if let Some(unknown) = book
        .as_table()
        .and_then(|table| table.keys().find(|key| !KEYS.contains(&key.as_str())))
    {
        panic!(
            "{}: [package.metadata.book] has no key {unknown:?}; the keys are {}",
            manifest_path.display(),
            KEYS.join(", ")
        );
    }
    let strings = |key: &str| -> Vec<String> {
        book.get(key)
            .and_then(toml::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().expect("a list of strings").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let paused_clock = match book.get("clock").and_then(toml::Value::as_str) {
        None | Some("real") => false,
        Some("paused") => true,
        Some(other) => panic!(
            "{}: clock = {other:?}; use \"paused\" or \"real\"",
            manifest_path.display()
        ),
    };

    let interrupt = book
        .get("interrupt")
        .map(|value| InterruptRule::read(value, "interrupt", &manifest_path));
    let interrupt_for: Vec<(String, InterruptRule)> = book
        .get("interrupt-for")
        .map(|value| {
            value
                .as_table()
                .unwrap_or_else(|| {
                    panic!(
                        "{}: interrupt-for must be a table: {{ \"output-x.txt\" = {{ after = '...', times = N }}, matrix = {{ ... }}, ... }}",
                        manifest_path.display()
                    )
                })
                .iter()
                .map(|(run, rule)| {
                    if run != "matrix"
                        && run != "copy-ready"
                        && !(run.starts_with("output") && run.ends_with(".txt"))
                    {
                        panic!(
                            "{}: interrupt-for.{run}: name an output file (output*.txt), matrix or copy-ready",
                            manifest_path.display()
                        );
                    }
                    // A misspelt file name would leave that file's run without its rule.
                    if run.ends_with(".txt") && !dir.join(run).is_file() {
                        panic!(
                            "{}: interrupt-for names {run:?}, which is not a file in {}",
                            manifest_path.display(),
                            dir.display()
                        );
                    }
                    let key = format!("interrupt-for.{run}");
                    (run.clone(), InterruptRule::read(rule, &key, &manifest_path))
                })
                .collect()
        })
        .unwrap_or_default();
    // On the paused clock a listing never waits (its sleeps end at once), so a signal from
    // outside would land at a random point of its run.
    if paused_clock && (interrupt.is_some() || !interrupt_for.is_empty()) {
        panic!(
            "{}: interrupt needs the real clock: on the paused clock the listing never waits, \
             so Ctrl-C would land at a random point of its output",
            manifest_path.display()
        );
    }

    // The one panic a listing teaches, by the line that reports it (a regex): the failure
    // matrix accepts that line and no other panic.
    let panics = book.get("panics").map(|value| {
        value
            .as_str()
            .filter(|regex| !regex.is_empty())
            .unwrap_or_else(|| {
                panic!(
                    "{}: panics must be a regex matching the panic line the chapter teaches, \
                     as a string, not {value}",
                    manifest_path.display()
                )
            })
            .to_owned()
    });

    let main_rs = dir.join("src/main.rs");
    println!("cargo:rerun-if-changed={}", main_rs.display());
    let source =
        fs::read_to_string(&main_rs).unwrap_or_else(|e| panic!("{}: {e}", main_rs.display()));
    // include! cannot take inner attributes; keep listings free of them.
    if source.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("//!") || line.starts_with("#![")
    }) {
        panic!(
            "{}: inner attributes and //! comments cannot be checked; use // comments",
            main_rs.display()
        );
    }

    ListingInfo {
        package: name,
        dir: dir.display().to_string(),
        main_rs: main_rs.display().to_string(),
        paused_clock,
        unordered: strings("unordered"),
        masks: strings("masks"),
        fails: strings("fails"),
        matrix_args: strings("matrix-args"),
        interrupt,
        interrupt_for,
        panics,
    }
}

fn sorted_dirs(parent: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(parent)
        .unwrap_or_else(|e| panic!("{}: {e}", parent.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}
