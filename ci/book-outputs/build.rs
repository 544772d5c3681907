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
            "    Listing {{ package: {:?}, dir: {:?}, paused_clock: {}, unordered: &{:?}, masks: &{:?}, fails: &{:?}, matrix_args: &{:?}, interrupt: {}, interrupt_for: &[{}], panics: {:?}, timeline: {} }},",
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
            listing.panics,
            listing
                .timeline
                .as_ref()
                .map_or("None".to_owned(), |timeline| format!("Some({})", timeline.code()))
        )
        .unwrap();

        let module = listing.package.replace('-', "_");
        let tokio = if listing.paused_clock {
            "crate::paused_clock::tokio"
        } else {
            "::real_tokio"
        };
        // On the paused clock only the listing itself knows the (virtual) time at which it
        // prints a line: for its timeline, its println!/eprintln! go through
        // `book_outputs::timeline::print`, which prints exactly the same and notes the time.
        let printing = if listing.paused_clock {
            PRINT_MACROS
        } else {
            ""
        };
        writeln!(
            modules,
            "// Part IV's listings end with their tests, and `run` comes after them.\n#[allow(clippy::items_after_test_module)]\nmod {module} {{\n    #[allow(unused_imports)]\n    use {tokio} as tokio;\n{printing}    include!({:?});\n    // main() returns () or a Result; report() turns either into an exit code.\n    #[allow(clippy::unit_arg)]\n    pub fn run() -> std::process::ExitCode {{\n        std::process::Termination::report(main())\n    }}\n}}",
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

/// println!, eprintln!, print! and eprint! for a paused-clock listing: the same output, plus
/// the virtual time of each line when a timeline is being recorded (see src/timeline.rs).
const PRINT_MACROS: &str = "    #[allow(unused_macros)]
    macro_rules! println {
        () => { ::book_outputs::timeline::print(false, ::std::format_args!(\"\\n\")) };
        ($($arg:tt)*) => { ::book_outputs::timeline::print(false, ::std::format_args!(\"{}\\n\", ::std::format_args!($($arg)*))) };
    }
    #[allow(unused_macros)]
    macro_rules! eprintln {
        () => { ::book_outputs::timeline::print(true, ::std::format_args!(\"\\n\")) };
        ($($arg:tt)*) => { ::book_outputs::timeline::print(true, ::std::format_args!(\"{}\\n\", ::std::format_args!($($arg)*))) };
    }
    #[allow(unused_macros)]
    macro_rules! print {
        ($($arg:tt)*) => { ::book_outputs::timeline::print(false, ::std::format_args!($($arg)*)) };
    }
    #[allow(unused_macros)]
    macro_rules! eprint {
        ($($arg:tt)*) => { ::book_outputs::timeline::print(true, ::std::format_args!($($arg)*)) };
    }
";

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
    timeline: Option<TimelineInfo>,
}

/// `[package.metadata.book.timeline]`: which run the listing's timeline is drawn from, and how
/// its printed lines and the stand-in's requests become rows (see src/timeline.rs).
struct TimelineInfo {
    run: String,
    vary: bool,
    sections: Vec<String>,
    rows: Vec<String>,
}

impl TimelineInfo {
    fn read(value: &toml::Value, dir: &Path, manifest: &Path) -> TimelineInfo {
        let fail = |why: String| -> ! {
            panic!(
                "{}: [package.metadata.book.timeline]: {why}",
                manifest.display()
            )
        };
        let table = value
            .as_table()
            .unwrap_or_else(|| fail("must be a table".to_owned()));
        if let Some(why) = unknown_key(table, &["run", "vary", "sections", "rows"]) {
            fail(why);
        }
        let run = match table.get("run") {
            None => "output.txt".to_owned(),
            Some(run) => run
                .as_str()
                .unwrap_or_else(|| fail("run must name an output file".to_owned()))
                .to_owned(),
        };
        if !(run.starts_with("output") && run.ends_with(".txt") && dir.join(&run).is_file()) {
            fail(format!(
                "run = {run:?} is not an output*.txt file of the listing"
            ));
        }
        let vary = match table.get("vary") {
            None => false,
            Some(vary) => vary
                .as_bool()
                .unwrap_or_else(|| fail("vary must be true or false".to_owned())),
        };
        let list = |key: &str| -> Vec<toml::Table> {
            table
                .get(key)
                .map(|items| {
                    items
                        .as_array()
                        .unwrap_or_else(|| fail(format!("{key} must be a list of tables")))
                        .iter()
                        .map(|item| {
                            item.as_table()
                                .cloned()
                                .unwrap_or_else(|| fail(format!("{key} must be a list of tables")))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let text = |item: &toml::Table, key: &str| -> Option<String> {
            item.get(key).map(|value| {
                value
                    .as_str()
                    .unwrap_or_else(|| fail(format!("{key} must be a string, not {value}")))
                    .to_owned()
            })
        };
        let from = |item: &toml::Table| match text(item, "from").as_deref() {
            None => "None".to_owned(),
            Some("first") => "Some(timeline::Start::First)".to_owned(),
            Some("previous") => "Some(timeline::Start::Previous)".to_owned(),
            Some("section") => "Some(timeline::Start::Section)".to_owned(),
            Some(other) => fail(format!(
                "from = {other:?}: use \"first\", \"previous\" or \"section\""
            )),
        };
        let state = |item: &toml::Table| match text(item, "state").as_deref() {
            None => "None".to_owned(),
            Some("waiting") => "Some(timeline::State::Waiting)".to_owned(),
            Some("running") => "Some(timeline::State::Running)".to_owned(),
            Some("none") => "Some(timeline::State::None)".to_owned(),
            Some(other) => fail(format!(
                "state = {other:?}: use \"waiting\", \"running\" or \"none\""
            )),
        };
        let sections = list("sections")
            .iter()
            .map(|section| {
                if let Some(why) = unknown_key(section, &["header", "from", "state"]) {
                    fail(why);
                }
                let header = text(section, "header")
                    .unwrap_or_else(|| fail("each section needs its header line".to_owned()));
                format!(
                    "timeline::SectionConfig {{ header: {header:?}, from: {}, state: {} }}",
                    from(section),
                    state(section)
                )
            })
            .collect();
        let service = |name: &str| -> String {
            match name {
                "github" | "ipify" | "ip-api" | "hn" => name.to_owned(),
                other => fail(format!(
                    "no service {other:?}: the stand-in's are github, ipify, ip-api and hn"
                )),
            }
        };
        let rows: Vec<String> = list("rows")
            .iter()
            .map(|row| {
                const ROW_KEYS: [&str; 9] = [
                    "name",
                    "until",
                    "lines",
                    "cancelled",
                    "from",
                    "state",
                    "request",
                    "requests",
                    "each-request",
                ];
                if let Some(why) = unknown_key(row, &ROW_KEYS) {
                    fail(why);
                }
                let name = text(row, "name").unwrap_or_default();
                let requests = match (
                    text(row, "request"),
                    text(row, "requests"),
                    text(row, "each-request"),
                ) {
                    (None, None, None) => "timeline::Requests::None".to_owned(),
                    (Some(one), None, None) => {
                        format!("timeline::Requests::One({:?})", service(&one))
                    }
                    (None, Some(many), None) => {
                        format!("timeline::Requests::Many({:?})", service(&many))
                    }
                    (None, None, Some(each)) => {
                        format!("timeline::Requests::Each({:?})", service(&each))
                    }
                    _ => fail("a row takes one of request, requests and each-request".to_owned()),
                };
                let lines = text(row, "lines");
                if name.is_empty() && !requests.contains("Each") {
                    fail("every row needs a name (each-request rows are named by their item)".to_owned());
                }
                if lines.is_none() && requests == "timeline::Requests::None" {
                    fail(format!("row {name:?} matches no line and no request"));
                }
                let until_end = match text(row, "until").as_deref() {
                    None => false,
                    Some("end") => true,
                    Some(other) => fail(format!(
                        "until = {other:?}: the one value is \"end\" (the bar goes on to the end)"
                    )),
                };
                format!(
                    "timeline::RowConfig {{ name: {name:?}, lines: {lines:?}, cancelled: {:?}, from: {}, state: {}, until_end: {until_end}, requests: {requests} }}",
                    text(row, "cancelled"),
                    from(row),
                    state(row)
                )
            })
            .collect();
        if rows.is_empty() {
            fail("rows must say what the timeline's rows are".to_owned());
        }
        TimelineInfo {
            run,
            vary,
            sections,
            rows,
        }
    }

    fn code(&self) -> String {
        format!(
            "timeline::Config {{ run: {:?}, vary: {}, sections: &[{}], rows: &[{}] }}",
            self.run,
            self.vary,
            self.sections.join(", "),
            self.rows.join(", ")
        )
    }
}

/// The complaint about a key that is not one of `keys`, if the table has one.
fn unknown_key(table: &toml::Table, keys: &[&str]) -> Option<String> {
    table
        .keys()
        .find(|key| !keys.contains(&key.as_str()))
        .map(|unknown| format!("no key {unknown:?} here; the keys are {}", keys.join(", ")))
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
    const KEYS: [&str; 9] = [
        "clock",
        "timeline",
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
        timeline: book
            .get("timeline")
            .map(|value| TimelineInfo::read(value, dir, &manifest_path)),
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
