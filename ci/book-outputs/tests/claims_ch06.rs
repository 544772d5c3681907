//! Claims chapter 6 (error handling) makes about its listings, beyond their output files:
//! each test runs the real listing (against the in-process stand-in where it talks HTTP)
//! and checks the claim from what it prints.

use std::process::{Command, Stdio};

mod common;
use common::run;

/// Asserts that `output` has a line equal to `line`.
fn assert_line(output: &str, line: &str) {
    assert!(
        output.lines().any(|printed| printed == line),
        "expected the line\n{line}\nin:\n{output}"
    );
}

/// "The client's `timeout` covers a server that sends its headers and never finishes the
/// body: after ten seconds the fetch fails with "operation timed out" and counts as
/// unresponsive."
#[test]
fn a_body_that_never_ends_times_out_and_counts_as_unresponsive() {
    let started = std::time::Instant::now();
    let output =
        run("$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/fail=hang cargo run -p listing-06-01");
    assert_line(&output, "ipify is unresponsive: operation timed out");
    assert_line(&output, "ip-api is unresponsive: operation timed out");
    let took = started.elapsed().as_secs_f64();
    // Ten seconds of timeout; the upper bound only catches a timeout that is not there.
    assert!(
        (10.0..40.0).contains(&took),
        "the run took {took} s; the timeout is 10 s"
    );
}

/// "Listing 6-2 counted a body that is not JSON as a network failure, while here
/// [Listing 6-3] ... anything wrong with the body is unexpected."
#[test]
fn malformed_json_is_unresponsive_in_6_2_and_unexpected_in_6_3() {
    let output = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ip-api.fail=malformed cargo run -p listing-06-02",
    );
    assert_line(
        &output,
        "ip-api is unresponsive: EOF while parsing a string at line 1 column 150",
    );
    let output = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ip-api.fail=malformed cargo run -p listing-06-03",
    );
    assert_line(
        &output,
        "Unexpected error: reading ip-api's answer: error decoding response body: \
         EOF while parsing a string at line 1 column 150",
    );
}

/// "Even a failure to read the body: reqwest's `json` reports it as "error decoding response
/// body" too, and a connection dropped halfway reads ..."
#[test]
fn a_cut_connection_is_reported_as_a_decoding_error_with_the_real_cause_below() {
    let output = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ip-api.fail=cut cargo run -p listing-06-03",
    );
    assert_line(
        &output,
        "Unexpected error: reading ip-api's answer: error decoding response body: request or \
         response body error: error reading a body from connection: end of file before message \
         length reached",
    );
}

/// Listing 6-4 throws errors away in silence: with ip-api's answer missing its key too, the
/// run says nothing about either error, and succeeds.
#[test]
fn errors_nobody_reads_leave_no_trace() {
    let output = run(
        "$ BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ip-api.fail=missing-key cargo run -p listing-06-04",
    );
    let about_the_two: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("ipify") || line.contains("ip-api"))
        .collect();
    assert_eq!(
        about_the_two,
        ["Fetching IP from ipify", "Fetching IP from ip-api"],
        "only the two Fetching lines should mention them:\n{output}"
    );
    assert_line(&output, "All fetches are done");
}

/// "The default hook writes to stderr": the panic reports of Listing 6-5 are on stderr, and
/// what the listing prints itself is on stdout.
#[test]
fn the_panic_hook_writes_to_stderr() {
    let run = Command::new(env!("CARGO_BIN_EXE_run-listing"))
        .env(book_outputs::LISTING_VAR, "listing-06-05")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("run-listing starts");
    assert!(run.status.success(), "listing-06-05 failed: {run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stderr.matches("panicked at").count(),
        2,
        "two panic reports on stderr:\n{stderr}"
    );
    assert_eq!(
        stderr
            .matches("the answer has no this-is-not-an-attr key")
            .count(),
        2,
        "each with its message:\n{stderr}"
    );
    assert!(
        !stdout.contains("panicked at"),
        "no panic report on stdout:\n{stdout}"
    );
    assert!(
        stdout.contains("main goes on at 0.2 seconds"),
        "main's own lines on stdout:\n{stdout}"
    );
}

/// "a statement that throws one away gets the warning "unused `Result` that must be used"
/// from the `unused_must_use` lint" (a warning: the build succeeds).
#[test]
fn the_compiler_warns_about_an_unused_result() {
    let dir = std::env::temp_dir().join(format!("claims-ch06-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let source = dir.join("unused_result.rs");
    std::fs::write(
        &source,
        "fn fetch_ip() -> Result<String, String> { Err(String::new()) }\n\
         pub fn main() { fetch_ip(); }\n",
    )
    .expect("the source is written");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let compiled = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
        ])
        .arg("--out-dir")
        .arg(&dir)
        .arg(&source)
        .output()
        .expect("rustc starts");
    let _ = std::fs::remove_dir_all(&dir);
    let messages = String::from_utf8_lossy(&compiled.stderr);
    assert!(
        compiled.status.success(),
        "a warning, not an error:\n{messages}"
    );
    assert!(
        messages.contains("unused `Result` that must be used"),
        "rustc said:\n{messages}"
    );
}

/// "every field the struct names must be in the JSON, with a value of the field's type, and
/// the JSON's other fields are skipped"; a missing field is reported where serde noticed it,
/// at the end of the object.
#[test]
fn a_derived_decoder_checks_named_fields_and_skips_the_rest() {
    #[derive(Debug, serde::Deserialize)]
    struct Ipify {
        ip: String,
    }
    let missing = serde_json::from_str::<Ipify>("{}").expect_err("no `ip`");
    assert_eq!(missing.to_string(), "missing field `ip` at line 1 column 2");
    let mistyped = serde_json::from_str::<Ipify>(r#"{"ip":7}"#).expect_err("`ip` is a number");
    assert_eq!(
        mistyped.to_string(),
        "invalid type: integer `7`, expected a string at line 1 column 7"
    );
    let extra = serde_json::from_str::<Ipify>(r#"{"ip":"203.0.113.7","country":"UK"}"#)
        .expect("other fields are skipped");
    assert_eq!(extra.ip, "203.0.113.7");
}
