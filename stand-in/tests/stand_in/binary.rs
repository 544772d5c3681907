//! `cargo run -p stand-in`: what it prints, how it stops, how it fails.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use rustix::process::{Pid, Signal, kill_process};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::timeout;

use crate::{GITHUB_EVENTS, REQUEST_LIMIT, client, fetch, via};

const BINARY: &str = env!("CARGO_BIN_EXE_stand-in");

/// Starting takes milliseconds; a debug build on a busy machine gets plenty of slack.
const PROCESS_LIMIT: Duration = Duration::from_secs(20);

fn stand_in(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // If a test fails half-way, the stand-in must not outlive it.
        .kill_on_drop(true);
    command
}

/// Reads the start-up text up to its last line and returns it with the
/// `BOOK_STAND_IN=... cargo run -p <listing>` line's URL.
async fn read_banner(stdout: &mut BufReader<ChildStdout>) -> (String, String) {
    let mut banner = String::new();
    timeout(PROCESS_LIMIT, async {
        while !banner.contains("Press Ctrl-C to stop.") {
            let read = stdout.read_line(&mut banner).await.expect("stdout reads");
            assert!(read > 0, "stdout ended early: {banner}");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no complete banner in time: {banner}"));
    let base_url = banner
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("BOOK_STAND_IN=")?
                .strip_suffix(" cargo run -p <listing>")
        })
        .unwrap_or_else(|| panic!("no BOOK_STAND_IN line in: {banner}"))
        .to_owned();
    (banner, base_url)
}

fn interrupt(child: &Child) {
    let id = child.id().expect("the stand-in is running");
    let pid = Pid::from_raw(i32::try_from(id).expect("a pid fits")).expect("a pid is not 0");
    kill_process(pid, Signal::INT).expect("SIGINT sent");
}

async fn rest_of(mut stdout: BufReader<ChildStdout>) -> String {
    let mut rest = String::new();
    timeout(PROCESS_LIMIT, stdout.read_to_string(&mut rest))
        .await
        .expect("stdout closes when the stand-in exits")
        .expect("stdout reads");
    rest
}

#[tokio::test]
async fn the_binary_says_how_to_point_listings_at_it_and_stops_cleanly_on_ctrl_c() {
    let mut child = stand_in(&["--port", "0", "--latency", "0"])
        .spawn()
        .expect("the stand-in starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (banner, base_url) = read_banner(&mut stdout).await;
    assert!(base_url.starts_with("http://127.0.0.1:"), "{banner}");
    assert!(
        banner.contains(&format!("BOOK_STAND_IN={base_url}/scenario/")),
        "{banner}"
    );

    let answer = fetch(&via(&base_url, GITHUB_EVENTS)).await;
    assert_eq!(answer.status, StatusCode::OK);

    interrupt(&child);
    let status = timeout(PROCESS_LIMIT, child.wait())
        .await
        .expect("the stand-in exits after Ctrl-C")
        .expect("the exit status is known");
    assert!(status.success(), "{status}");
    assert!(rest_of(stdout).await.contains("stand-in: stopped"));
}

#[tokio::test]
async fn ctrl_c_stops_the_binary_even_while_an_answer_hangs() {
    let mut child = stand_in(&["--port", "0", "--latency", "0", "--fail", "hang"])
        .spawn()
        .expect("the stand-in starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (_, base_url) = read_banner(&mut stdout).await;
    let mut hanging = client()
        .get(via(&base_url, GITHUB_EVENTS))
        .send()
        .await
        .expect("headers arrive");
    hanging.chunk().await.expect("first bytes");

    interrupt(&child);
    let status = timeout(PROCESS_LIMIT, child.wait())
        .await
        .expect("the stand-in exits although an answer was hanging")
        .expect("the exit status is known");
    assert!(status.success(), "{status}");
    let rest = timeout(REQUEST_LIMIT, hanging.chunk()).await;
    assert!(matches!(rest, Ok(Err(_))), "{rest:?}");
}

#[tokio::test]
async fn a_port_in_use_is_explained_not_panicked_about() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().expect("an address").port().to_string();
    let output = timeout(PROCESS_LIMIT, stand_in(&["--port", &port]).output())
        .await
        .expect("the stand-in gives up at once")
        .expect("it ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("--port"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn help_shows_every_default() {
    let output = timeout(PROCESS_LIMIT, stand_in(&["--help"]).output())
        .await
        .expect("help is quick")
        .expect("it ran");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for default in [
        "[default: 127.0.0.1]",
        "[default: 8000]",
        "[default: 100ms..300ms]",
        "[default: none]",
    ] {
        assert!(help.contains(default), "no {default} in:\n{help}");
    }
}

#[tokio::test]
async fn a_wrong_option_value_says_how_to_write_it() {
    let output = timeout(PROCESS_LIMIT, stand_in(&["--latency", "fast"]).output())
        .await
        .expect("the stand-in gives up at once")
        .expect("it ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("like 200ms or 1.5s"), "{stderr}");
}

#[tokio::test]
async fn a_latency_beyond_a_minute_is_refused_with_exit_status_2() {
    let output = timeout(PROCESS_LIMIT, stand_in(&["--latency", "61s"]).output())
        .await
        .expect("the stand-in gives up at once")
        .expect("it ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // clap's status for a bad command line.
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`61s` is too long a latency; the stand-in waits at most 60s"),
        "{stderr}"
    );
}
