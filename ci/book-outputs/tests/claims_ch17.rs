//! Claims chapter 17 (How fast is it?) makes about its benches, beyond their output files,
//! and the promise that its plot, its tables and the comparisons its prose makes are the
//! recorded results: each bench runs a small configuration against a stand-in of the test's
//! own, whose counts say what really reached it. Nothing here is timed against a target: the figures come from `ci/bench`, on a quiet
//! machine, not from a busy CI.

use std::path::{Path, PathBuf};

use bench_report::{Client, Experiment, MEASURED_KEYS, Measured, Results, Run};
use book_outputs::RunOptions;
use stand_in::StandIn;

fn runner() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_run-listing"))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a reader's command line against `stand_in`: what it printed, and whether it ended well.
fn run_against(stand_in: &StandIn, command: &str) -> (String, bool) {
    let options = RunOptions {
        stand_in: Some(stand_in.base_url().to_owned()),
        ..RunOptions::default()
    };
    let run = book_outputs::run_command_with(runner(), command, options).expect("the bench runs");
    (run.output, run.success)
}

/// The one JSON object a `--json` run prints, checked for exactly the chapter's keys.
fn measured(output: &str) -> Measured {
    let line = output
        .lines()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON object in:\n{output}"));
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut expected = MEASURED_KEYS.to_vec();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected, "the JSON's keys, in:\n{line}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// Checks a successful run's numbers against each other and against the stand-in's counts.
/// The bound is checked where it is kept: at the server, which counts the requests in
/// flight. The wall time has a floor no busy machine can break: N requests, each held for
/// the latency, at most C at a time, take at least N/C latencies.
fn check_a_bounded_run(stand_in: &StandIn, m: &Measured, requests: u64, concurrency: u64) {
    assert_eq!(
        (m.requests, m.concurrency, m.errors),
        (requests, concurrency, 0)
    );
    let stats = stand_in.stats();
    assert_eq!(
        stats.requests as u64, requests,
        "requests that reached the stand-in"
    );
    assert!(
        stats.peak_in_flight as u64 <= concurrency,
        "{} requests were in flight at once, more than --concurrency {concurrency}",
        stats.peak_in_flight
    );
    assert!(
        stats.peak_in_flight > 1,
        "the requests never overlapped at the stand-in"
    );
    let floor = bench_report::ideal_wall_s(requests, concurrency, LATENCY_MS);
    assert!(
        m.wall_s >= floor,
        "{} s is less than N/C x latency, {floor} s: the bound did not hold",
        m.wall_s
    );
    let p50 = m.p50_ms.expect("a p50");
    let p99 = m.p99_ms.expect("a p99");
    assert!(
        LATENCY_MS as f64 <= p50 && p50 <= p99,
        "p50 {p50} ms, p99 {p99} ms, with a latency of {LATENCY_MS} ms"
    );
    let throughput = requests as f64 / m.wall_s;
    assert!(
        (m.throughput_rps - throughput).abs() < 1e-6 * throughput,
        "throughput {} is not requests / wall time, {throughput}",
        m.throughput_rps
    );
    assert!(m.peak_rss_kib.is_some_and(|kib| kib > 0), "no peak RSS");
}

const LATENCY_MS: u64 = 20;
const BOUNDED: &str =
    "--url http://127.0.0.1:8000/scenario/latency=20ms/json --requests 300 --concurrency 20 --json";

/// Listing 17-1 sends exactly N requests with at most C in flight, and its JSON has the
/// chapter's keys and numbers that agree with each other.
#[test]
fn listing_17_1_sends_every_request_with_at_most_c_in_flight() {
    let stand_in = book_outputs::fresh_stand_in().expect("a stand-in");
    let (output, success) = run_against(
        &stand_in,
        &format!("$ cargo run --release -p listing-17-01 -- {BOUNDED}"),
    );
    assert!(success, "the run failed:\n{output}");
    check_a_bounded_run(&stand_in, &measured(&output), 300, 20);
}

/// `--warm-up` sends C requests more, before the clock starts, and the run reports the N.
#[test]
fn the_warm_up_sends_one_request_per_connection_first() {
    let stand_in = book_outputs::fresh_stand_in().expect("a stand-in");
    let (output, success) = run_against(
        &stand_in,
        &format!("$ cargo run --release -p listing-17-01 -- {BOUNDED} --warm-up"),
    );
    assert!(success, "the run failed:\n{output}");
    let m = measured(&output);
    assert_eq!((m.requests, m.errors), (300, 0));
    assert_eq!(stand_in.stats().requests, 300 + 20);
}

/// Listing 17-2 (threads and the blocking client) does the same work and prints the same
/// JSON; the current-thread runtime of Listing 17-1 too.
#[test]
fn the_other_clients_keep_the_same_bound_and_shape() {
    for command in [
        format!("$ cargo run --release -p listing-17-02 -- {BOUNDED}"),
        format!("$ cargo run --release -p listing-17-01 -- {BOUNDED} --current-thread"),
    ] {
        let stand_in = book_outputs::fresh_stand_in().expect("a stand-in");
        let (output, success) = run_against(&stand_in, &command);
        assert!(success, "`{command}` failed:\n{output}");
        check_a_bounded_run(&stand_in, &measured(&output), 300, 20);
    }
}

/// Failed requests are counted, not measured: no latencies, no throughput, and the run
/// ends with an error and a non-zero exit status, for both listings.
#[test]
fn failed_requests_are_errors_and_fail_the_run() {
    for package in ["listing-17-01", "listing-17-02"] {
        let stand_in = book_outputs::fresh_stand_in().expect("a stand-in");
        let (output, success) = run_against(
            &stand_in,
            &format!(
                "$ cargo run --release -p {package} -- --url http://127.0.0.1:8000/scenario/fail=500/json --requests 40 --concurrency 4 --json"
            ),
        );
        assert!(!success, "{package}: the run should fail:\n{output}");
        let m = measured(&output);
        assert_eq!((m.requests, m.errors), (40, 40), "{package}");
        assert_eq!((m.p50_ms, m.p99_ms, m.throughput_rps), (None, None, 0.0));
        assert_eq!(stand_in.stats().requests, 40, "{package}");
        assert!(
            output.contains(
                "Error: 40 of 40 requests failed, the first with: HTTP status server error (500"
            ),
            "{package}: no error line in:\n{output}"
        );
    }
}

/// The aiohttp script prints the same keys (CI may have no aiohttp, so this reads it).
#[test]
fn the_aiohttp_script_prints_the_same_keys() {
    let script =
        std::fs::read_to_string(repo_root().join("listings/ch17-how-fast-is-it/aiohttp_bench.py"))
            .expect("the script");
    for key in MEASURED_KEYS {
        assert!(
            script.contains(&format!("\"{key}\":")),
            "aiohttp_bench.py prints no {key:?}"
        );
    }
}

fn read(file: &str) -> String {
    std::fs::read_to_string(repo_root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The plot and the tables in the chapter are what the recorded results give: rendered
/// again here, they must match the committed files byte for byte, and the chapter must
/// include them. After a new `ci/bench` run, its `render` step rewrites both.
#[test]
fn the_plot_and_the_tables_are_the_recorded_results() {
    let results: Results = serde_json::from_str(&read(bench_report::RESULTS_FILE))
        .expect("bench-results.json has the shape bench-report writes");
    assert!(!results.runs.is_empty(), "no runs recorded");
    for run in &results.runs {
        assert!(
            run.exit_ok && run.measured.is_some(),
            "a recorded run failed: {}",
            run.command
        );
    }
    for (file, rendered) in [
        (bench_report::PLOT_FILE, bench_report::plot_svg(&results)),
        (
            bench_report::TABLES_FILE,
            bench_report::tables_markdown(&results),
        ),
    ] {
        assert!(
            read(file) == rendered,
            "{file} is not what {} gives; run `cargo run -p bench-report -- render`",
            bench_report::RESULTS_FILE
        );
    }
    let chapter = read("src/ch17-how-fast-is-it.md");
    let mut includes = vec![format!("{{{{#include ../{}}}}}", bench_report::PLOT_FILE)];
    let tables = read(bench_report::TABLES_FILE);
    for line in tables.lines() {
        if let Some(anchor) = line
            .strip_prefix("<!-- ANCHOR: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            includes.push(format!(
                "{{{{#include ../{}:{anchor}}}}}",
                bench_report::TABLES_FILE
            ));
        }
    }
    for include in includes {
        assert!(
            chapter.contains(&include),
            "the chapter does not show {include}"
        );
    }
}

/// The median run of one configuration, picked by its concurrency (and warm-up).
fn median_run(
    results: &Results,
    experiment: Experiment,
    client: Client,
    concurrency: u64,
    warm_up: bool,
) -> &Run {
    results
        .configs(experiment, client)
        .into_iter()
        .map(|config| config.median())
        .find(|run| {
            run.warm_up == warm_up
                && run.measured.as_ref().map(|m| m.concurrency) == Some(concurrency)
        })
        .unwrap_or_else(|| panic!("no {experiment:?} run of {client:?} at C = {concurrency}"))
}

fn m(run: &Run) -> &Measured {
    run.measured.as_ref().expect("the run printed its results")
}

/// The chapter's prose words its findings without numbers ("about seven times the memory",
/// "about four times aiohttp's, not six", "met"/"missed"); the numbers are in the generated
/// tables. Each of those words is checked here against the recorded results, so that a new
/// `ci/bench` run that no longer says the same fails until the prose is brought in line.
#[test]
fn the_prose_says_what_the_recorded_results_say() {
    use Client::*;
    use Experiment::*;
    let results: Results = serde_json::from_str(&read(bench_report::RESULTS_FILE))
        .expect("bench-results.json has the shape bench-report writes");
    let r = &results;

    // "All at once does not scale": 1,000 at a time against all 10,000 at once.
    let (bounded, all) = (
        median_run(r, AllAtOnce, Tokio, 1_000, false),
        median_run(r, AllAtOnce, Tokio, 10_000, false),
    );
    let ratio = |f: &dyn Fn(&Run) -> f64| f(all) / f(bounded);
    assert!(
        (ratio(&|run| m(run).wall_s) - 1.0).abs() < 0.1,
        "\"the two runs take the same wall time\""
    );
    assert!(
        all.connections >= Some(9_900) && bounded.connections.is_some_and(|c| c <= 1_100),
        "\"ten thousand connections opened in one go instead of about a thousand\""
    );
    assert!(
        m(all).p50_ms.unwrap() >= 3.0 * all.latency_ms as f64,
        "\"the median request took several times the latency\""
    );
    assert_eq!(
        ratio(&|run| m(run).peak_rss_kib.unwrap() as f64).round(),
        7.0,
        "\"the process held about seven times the memory\""
    );
    assert!(
        ratio(&|run| run.client_cpu_s) > 3.0,
        "\"each request cost the client more than three times the CPU\""
    );

    // "Where it stops scaling".
    let scaling = |client| {
        results
            .configs(Scaling, client)
            .into_iter()
            .map(|config| config.median())
            .collect::<Vec<_>>()
    };
    let rps = |runs: &[&Run], c: u64| {
        m(runs
            .iter()
            .find(|run| m(run).concurrency == c)
            .expect("a run at C"))
        .throughput_rps
    };
    let (tokio, threads, aiohttp) = (scaling(Tokio), scaling(Threads), scaling(Aiohttp));
    let max_c = m(tokio.last().expect("scaling runs")).concurrency;
    assert!(
        rps(&tokio, max_c) > rps(&threads, max_c) && rps(&threads, max_c) > rps(&aiohttp, max_c),
        "\"bends away from it as C grows: Tokio last, then the threads, and aiohttp first\""
    );
    assert!(
        aiohttp
            .iter()
            .any(|run| m(run).throughput_rps > rps(&aiohttp, max_c)),
        "\"aiohttp ... at the highest concurrency sends fewer requests a second than at a lower one\""
    );
    for run in &tokio {
        let c = m(run).concurrency;
        let share = rps(&threads, c) / rps(&tokio, c);
        if c <= 500 {
            assert!(
                share > 0.9,
                "\"up to a few hundred in flight, hard to tell apart\": C = {c}"
            );
        } else if c >= 1_000 {
            assert!(
                share < 0.9,
                "\"in the thousands the threads fall behind\": C = {c}"
            );
        }
    }

    // The no-latency table.
    let no_latency = |client| median_run(r, Cpu, client, 50, false);
    let cpu_us = |client| bench_report::cpu_per_request_us(no_latency(client));
    let busy = |run: &Run| (run.client_cpu_s + run.stand_in_cpu_s) / (run.run_s * 2.0);
    let rps_0 = |client| m(no_latency(client)).throughput_rps;
    assert!(
        rps_0(TokioCurrentThread) > rps_0(Tokio) && cpu_us(TokioCurrentThread).0 < cpu_us(Tokio).0,
        "\"the current-thread runtime beats the multi-thread one, with less CPU per request\""
    );
    assert_eq!(
        (rps_0(Tokio) / rps_0(Aiohttp)).round(),
        4.0,
        "\"about four times aiohttp's\""
    );
    assert!(
        rps_0(TokioCurrentThread) / rps_0(Aiohttp) < 6.0
            && rps_0(TokioCurrentThread) > rps_0(Tokio),
        "\"the current-thread runtime comes closest\" (to 6 x, still under it)"
    );
    for client in [Tokio, TokioCurrentThread] {
        let share = cpu_us(client).0 / cpu_us(Aiohttp).0;
        assert!(
            (1.0 / 6.5..=0.25).contains(&share),
            "\"between a quarter and a sixth of the CPU time aiohttp needs\": {client:?} {share}"
        );
    }
    let (client_us, stand_in_us) = cpu_us(Tokio);
    assert!(
        (0.28..=0.4).contains(&(stand_in_us / (client_us + stand_in_us))),
        "\"the stand-in's own cost, about a third of every Rust request's CPU\""
    );
    assert!(
        busy(no_latency(Tokio)) >= 0.8 && busy(no_latency(Aiohttp)) <= 0.75,
        "\"a Rust client keeps both cores busy; aiohttp leaves most of the second core idle\""
    );
    let tokio_at_max = median_run(r, Scaling, Tokio, max_c, false);
    let (with_latency, without) = (
        bench_report::cpu_per_request_us(tokio_at_max),
        cpu_us(Tokio),
    );
    assert!(
        with_latency.0 > without.0 && with_latency.1 > without.1,
        "\"a request with latency costs both sides more CPU than one without\""
    );
    let per_connection =
        m(no_latency(Tokio)).requests as f64 / no_latency(Tokio).connections.unwrap() as f64;
    assert!(
        (300.0..=500.0).contains(&per_connection),
        "\"against about four hundred with no latency\": {per_connection}"
    );

    // Memory: "aiohttp starts almost 30 MiB higher ... and then adds less per request".
    let start_mib = |runs: &[&Run]| m(runs[0]).peak_rss_kib.unwrap() as f64 / 1024.0;
    let gap = start_mib(&aiohttp) - start_mib(&tokio);
    assert!(
        (25.0..30.0).contains(&gap),
        "\"almost 30 MiB higher\": {gap}"
    );
    let slope = |client| {
        let points: Vec<_> = results
            .configs(Scaling, client)
            .into_iter()
            .map(|config| (m(config.median()).concurrency, config))
            .collect();
        bench_report::kib_per_request_in_flight(&points).expect("a slope")
    };
    assert!(
        slope(Aiohttp) < slope(Tokio) && slope(Tokio) < slope(Threads),
        "\"a thread costs more\"; \"aiohttp adds less per request than either\""
    );
    let busiest = aiohttp.last().expect("aiohttp runs");
    assert!(
        busiest.client_cpu_s / busiest.run_s >= 0.9,
        "\"at high concurrency that core is full\""
    );
    let interpreter = aiohttp[0].client_cpu_s;
    assert!(
        (0.15..=0.25).contains(&interpreter),
        "\"the interpreter's start, about 0.2 s of CPU\": {interpreter}"
    );

    // Connections and the targets.
    for (n, c) in [(2_000, 500), (10_000, 1_000)] {
        let cold = median_run(r, Connections, Tokio, c, false);
        let warm = median_run(r, Connections, Tokio, c, true);
        assert_eq!((m(cold).requests, m(warm).requests), (n, n));
        assert!(
            m(warm).wall_s < m(cold).wall_s && m(warm).p99_ms < m(cold).p99_ms,
            "\"warming up shortens the wall time and cuts the p99\": {n} at {c}"
        );
        let ideal = bench_report::ideal_wall_s(n, c, cold.latency_ms);
        let errors: u64 = results
            .configs(Connections, Tokio)
            .iter()
            .filter(|config| m(config.median()).concurrency == c)
            .map(|config| config.errors())
            .sum();
        if n == 10_000 {
            assert_eq!(
                errors, 0,
                "\"the 10,000-request target is met, cold and warm\""
            );
        } else {
            assert!(
                m(cold).wall_s > 1.2 * ideal && m(warm).wall_s <= 1.2 * ideal && errors == 0,
                "\"2,000 at 500, cold, lands just above 1.2 x the ideal; warmed up, within it\""
            );
        }
    }
    assert!(
        results
            .runs
            .iter()
            .any(|run| run.connections > run.measured.as_ref().map(|m| m.concurrency)),
        "\"a run can open a few more connections than requests in flight; a few runs did\""
    );
    assert!(
        rps_0(Tokio) / rps_0(Aiohttp) < 6.0,
        "\"the other two are missed\": the 6 x target"
    );
}
