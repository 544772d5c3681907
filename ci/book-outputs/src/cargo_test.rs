//! Output files that show a listing's tests: `$ cargo test -p <package> [-- <args>]`.
//!
//! Part IV's listings keep their tests in their `src/main.rs` (`#[cfg(test)] mod tests`),
//! with the dev-dependencies in the block their chapter shows. Such an output file is
//! checked by running that very command, not through `run-listing`, in a copy of the
//! listing made as a reader makes one: a folder of its own under `target/copy-ready/tested/`
//! holding the listing's `src/main.rs` and the dependencies its chapter shows (with the
//! book's `Cargo.lock`), at the same path as in the book's workspace, so that a panic
//! names the file as a reader's run does. It builds into `target/copy-ready`, the target
//! folder `ci/copy-ready` uses, so the two share their builds; the workspace's own build
//! lock is never taken. So a passing check also proves that the tests pass when the
//! listing is copied.
//!
//! What is compared is what the test binary prints (its standard output); cargo's own
//! lines (`Compiling`, `Running unittests ...`, and after a failure `error: test failed,
//! to rerun pass ...`), which go to standard error, are left out, as the book leaves out
//! cargo's lines for `cargo run`. Before comparing, [`normalise`] takes out what libtest
//! varies from run to run; the listing's own `masks` and `unordered` apply after that.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use wait_timeout::ChildExt as _;

use crate::{Listing, RUN_LIMIT, Run};

/// Building a listing's tests from nothing (its dev-dependencies, and the crates that a
/// dev-dependency's features make cargo build again) can take minutes on two busy cores,
/// most of them waiting for `ci/copy-ready`'s builds, which share the target folder.
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);

/// Whether an output file's first line runs the listing's tests.
pub fn is_test_command(command_line: &str) -> bool {
    let words: Vec<&str> = command_line
        .strip_prefix("$ ")
        .unwrap_or_default()
        .split_whitespace()
        .skip_while(|word| word.contains('='))
        .take(2)
        .collect();
    words == ["cargo", "test"]
}

/// The arguments after `--` in `$ cargo test -p <package> [-- <args>]` (for the test
/// binary: a filter, `--ignored`, ...). Nothing else may be on the line: the tests start
/// what they need themselves, so no environment variable.
pub fn parse(command_line: &str, package: &str) -> Result<Vec<String>, String> {
    let words: Vec<&str> = command_line
        .strip_prefix("$ ")
        .ok_or_else(|| format!("the first line must start with `$ `: {command_line:?}"))?
        .split_whitespace()
        .collect();
    let start = ["cargo", "test", "-p", package];
    if words.len() < 4 || words[..4] != start {
        return Err(format!(
            "expected `$ cargo test -p {package} [-- <args>]`, not {command_line:?}"
        ));
    }
    match &words[4..] {
        [] => Ok(Vec::new()),
        ["--", args @ ..] => Ok(args.iter().map(|arg| arg.to_string()).collect()),
        other => Err(format!(
            "unexpected {other:?} in {command_line:?}; the test binary's arguments go after `--`"
        )),
    }
}

/// Checks an output file whose command is `cargo test`: the run ends as the listing's
/// `fails` says, and prints what the file shows.
pub(crate) fn check_file(
    listing: &Listing,
    file: &Path,
    command_line: &str,
    expected: &str,
) -> Result<(), String> {
    let run = run(listing, command_line)?;
    crate::expect_status(listing, file, &run)?;
    crate::compare(listing, &normalise(expected), &normalise(&run.output))
}

/// Rewrites an output file whose command is `cargo test` from a fresh run.
pub(crate) fn regenerate_file(
    listing: &Listing,
    file: &Path,
    command_line: &str,
) -> Result<(), String> {
    let run = run(listing, command_line)?;
    crate::expect_status(listing, file, &run)?;
    std::fs::write(file, format!("{command_line}\n{}", run.output)).map_err(|e| e.to_string())
}

/// Runs `cargo test -p <package> [-- <args>]` in the listing's copy, and returns what the
/// test binary printed and whether the command succeeded.
pub fn run(listing: &Listing, command_line: &str) -> Result<Run, String> {
    let args = parse(command_line, listing.package)?;
    let project = make_copy(
        listing,
        &std::fs::read_to_string(main_rs(listing)).map_err(|e| e.to_string())?,
    )?;
    run_in(listing, &project, &args)
}

/// Runs the tests of a copy of the listing whose `src/main.rs` is `source` (a claims test
/// gives it a broken one), in a folder of its own, `name`, beside the listing's copy. The
/// listing sits one folder deeper there, in `name/`: cargo names a workspace member's
/// build by its path from the workspace's root, and the copies share a target folder, so
/// two copies at the same path would overwrite each other's builds.
pub fn run_with_source(listing: &Listing, name: &str, source: &str) -> Result<Run, String> {
    let project = make_copy_at(listing, &copies_root().join(name), Path::new(name), source)?;
    run_in(listing, &project, &[])
}

fn run_in(listing: &Listing, project: &Path, args: &[String]) -> Result<Run, String> {
    // Build first, with a limit for a cold build, then run the test binary itself with the
    // limit every listing's run has. Not a second `cargo test`: that waits for the target
    // folder's lock, which `ci/copy-ready` holds for as long as one of its builds takes
    // (a cold CI run saw it stopped so, at 60 s). Its standard output is the same: cargo
    // runs the binary in the package's folder and adds its own lines on standard error.
    let build = cargo(
        project,
        &[
            "test",
            "--no-run",
            "-p",
            listing.package,
            "--message-format=json-render-diagnostics",
        ],
        BUILD_LIMIT,
    )?;
    if !build.status.success() {
        return Err(format!(
            "the tests of the copy in {} do not build:\n{}",
            project.display(),
            build.stderr
        ));
    }
    let binary = test_binary(&build.stdout).ok_or_else(|| {
        format!(
            "`cargo test --no-run` in {} named no test binary:\n{}",
            project.display(),
            build.stderr
        )
    })?;
    locked_as_the_book(project)?;
    let mut command = Command::new(&binary);
    command.args(args).current_dir(project);
    let test = run_captured(command, RUN_LIMIT)
        .map_err(|e| format!("`cargo test` in {}: {e}", project.display()))?;
    if !test.stdout.starts_with("\nrunning ") {
        return Err(format!(
            "`{}` ran no tests; it said:\n{}",
            binary.display(),
            test.stderr
        ));
    }
    Ok(Run {
        output: test.stdout,
        success: test.status.success(),
        interrupted: false,
    })
}

/// The test binary among the artifacts of `cargo test --no-run --message-format=json`.
fn test_binary(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["profile"]["test"] == true
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

fn main_rs(listing: &Listing) -> PathBuf {
    Path::new(listing.dir).join("src/main.rs")
}

fn copies_root() -> PathBuf {
    crate::repo_root().join("target/copy-ready/tested")
}

/// Makes (or brings up to date) the listing's copy, and returns its folder.
fn make_copy(listing: &Listing, source: &str) -> Result<PathBuf, String> {
    make_copy_at(
        listing,
        &copies_root().join(listing.package),
        Path::new(""),
        source,
    )
}

/// A workspace at `root` with one member, the listing, at its path in the book
/// (`listings/<chapter>/<listing>/`, under `prefix`), holding `src/main.rs` and a
/// `Cargo.toml` made of a `[package]` table and the dependencies block the chapter shows.
/// Files are written only when they change, so that cargo rebuilds nothing in a second run.
fn make_copy_at(
    listing: &Listing,
    root: &Path,
    prefix: &Path,
    source: &str,
) -> Result<PathBuf, String> {
    let repo = crate::repo_root();
    let relative = prefix.join(
        Path::new(listing.dir)
            .strip_prefix(&repo)
            .map_err(|_| format!("{} is not inside {}", listing.dir, repo.display()))?,
    );
    let manifest = std::fs::read_to_string(Path::new(listing.dir).join("Cargo.toml"))
        .map_err(|e| format!("{}/Cargo.toml: {e}", listing.dir))?;
    let shown: Vec<&str> = manifest
        .lines()
        .skip_while(|line| *line != "# ANCHOR: dependencies")
        .skip(1)
        .take_while(|line| *line != "# ANCHOR_END: dependencies")
        .collect();
    if shown.is_empty() {
        return Err(format!(
            "{}/Cargo.toml has no dependencies anchor",
            listing.dir
        ));
    }
    let package = format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{}\n",
        listing.package,
        shown.join("\n")
    );
    let workspace = format!(
        "# A copy of {listing} as a reader makes one (ci/book-outputs/src/cargo_test.rs).\n\
         [workspace]\nresolver = \"3\"\nmembers = [\"{member}\"]\n",
        listing = listing.package,
        member = relative.display()
    );
    let lock = std::fs::read_to_string(repo.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let member = root.join(&relative);
    write_if_changed(&root.join("Cargo.toml"), &workspace)?;
    write_if_changed(&root.join("Cargo.lock"), &lock)?;
    write_if_changed(&member.join("Cargo.toml"), &package)?;
    write_if_changed(&member.join("src/main.rs"), source)?;
    Ok(root.to_path_buf())
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let parent = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(parent)
        .and_then(|()| std::fs::write(path, text))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The copy resolved every crate to a version the book's `Cargo.lock` has.
fn locked_as_the_book(project: &Path) -> Result<(), String> {
    let versions = |path: &Path| -> Result<Vec<String>, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut name = "";
        let mut found = Vec::new();
        for line in text.lines() {
            if let Some(value) = line.strip_prefix("name = ") {
                name = value.trim_matches('"');
            } else if let Some(value) = line.strip_prefix("version = ") {
                found.push(format!("{name}@{}", value.trim_matches('"')));
            }
        }
        Ok(found)
    };
    let book = versions(&crate::repo_root().join("Cargo.lock"))?;
    let drifted: Vec<String> = versions(&project.join("Cargo.lock"))?
        .into_iter()
        .filter(|version| !book.contains(version))
        .collect();
    if drifted.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the copy in {} resolves to versions the book was not checked with: {}",
            project.display(),
            drifted.join(", ")
        ))
    }
}

struct CargoRun {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs cargo in `project`, offline (the checks run without a network), into the
/// `target/copy-ready` folder; stopped after `limit`.
fn cargo(project: &Path, args: &[&str], limit: Duration) -> Result<CargoRun, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(project)
        .env(
            "CARGO_TARGET_DIR",
            crate::repo_root().join("target/copy-ready"),
        )
        .env("CARGO_NET_OFFLINE", "true")
        // As ci/copy-ready builds into that folder, so that the two share what they build;
        // a copy (or a mutant of one) compiles once, so incremental data is only a cost.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_INCREMENTAL", "0");
    run_captured(command, limit).map_err(|e| format!("`cargo {}`: {e}", args.join(" ")))
}

/// Runs `command` with no backtraces whatever this shell has set, capturing what it
/// prints; stopped after `limit`.
fn run_captured(mut command: Command, limit: Duration) -> Result<CargoRun, String> {
    let mut child = command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting it: {e}"))?;
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped")));
    let stderr = read(Box::new(child.stderr.take().expect("piped")));
    let Some(status) = child.wait_timeout(limit).map_err(|e| e.to_string())? else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("ran longer than {limit:?} and was stopped"));
    };
    Ok(CargoRun {
        status,
        stdout: stdout.join().map_err(|_| "reading its output panicked")?,
        stderr: stderr.join().map_err(|_| "reading its output panicked")?,
    })
}

/// Takes out of a test binary's output what libtest varies from run to run, before the
/// listing's own masks and `unordered` blocks apply:
///
/// - the order of the result lines (`test tests::name ... ok`): the tests run in parallel
///   threads, and each line is printed when its test ends;
/// - the time in `finished in 0.02s`;
/// - the thread's id in `thread 'tests::name' (12345) panicked at`, new in every run.
pub fn normalise(text: &str) -> String {
    static FINISHED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"; finished in \d+\.\d+s$").expect("a valid regex"));
    static THREAD_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(thread '[^']*') \(\d+\) panicked at ").expect("a valid regex")
    });
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let line = FINISHED.replace(line, "; finished in …s");
            THREAD_ID.replace(&line, "$1 (…) panicked at ").into_owned()
        })
        .collect();
    let is_result = |line: &str| line.starts_with("test ") && line.contains(" ... ");
    let mut at = 0;
    while at < lines.len() {
        let block = lines[at..]
            .iter()
            .take_while(|line| is_result(line))
            .count();
        lines[at..at + block].sort();
        at += block.max(1);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_commands_are_told_apart_and_parsed() {
        assert!(is_test_command("$ cargo test -p demo"));
        assert!(is_test_command("$ cargo test -p demo -- --ignored"));
        assert!(!is_test_command("$ cargo run -p demo"));
        assert!(!is_test_command(
            "$ BOOK_STAND_IN=x cargo run -p demo -- test"
        ));
        assert_eq!(
            parse("$ cargo test -p demo", "demo").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            parse("$ cargo test -p demo -- --ignored", "demo").unwrap(),
            ["--ignored"]
        );
        assert!(parse("$ cargo test -p other", "demo").is_err());
        assert!(parse("$ cargo test -p demo --ignored", "demo").is_err());
        assert!(parse("$ A=1 cargo test -p demo", "demo").is_err());
    }

    #[test]
    fn libtest_variations_are_taken_out_and_nothing_else() {
        let one = "\nrunning 2 tests\ntest tests::b ... ok\ntest tests::a ... ok\n\n\
                   test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                   finished in 0.02s\n";
        let other = "\nrunning 2 tests\ntest tests::a ... ok\ntest tests::b ... ok\n\n\
                     test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                     finished in 1.30s\n";
        assert_eq!(normalise(one), normalise(other));
        assert_ne!(
            normalise(one),
            normalise(&other.replace("b ... ok", "b ... FAILED"))
        );
        assert_ne!(
            normalise(one),
            normalise(&other.replace("2 passed", "1 passed"))
        );
        let panic = |id: &str| {
            format!("thread 'tests::a' ({id}) panicked at src/main.rs:3:5:\nassertion failed")
        };
        assert_eq!(normalise(&panic("123")), normalise(&panic("98765")));
        assert_ne!(
            normalise(&panic("123")),
            normalise(&panic("123").replace(":3:5", ":4:5"))
        );
    }
}
