//! Chapter 17's recorded measurements: what `ci/bench` writes ([`Results`]), and the plot
//! and the tables the chapter shows, generated from them ([`plot_svg`], [`tables_markdown`]),
//! so that the prose, the tables and the plot cannot drift apart. The claims test
//! `ci/book-outputs/tests/claims_ch17.rs` renders both again from the committed results
//! and compares them with the committed files.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use svg::Document;
use svg::node::element::{
    Circle, Definitions, Description, Group, Line, Path, Polyline, Text, Title, Use,
};

/// Where the results, the plot and the tables live, from the repository's root.
pub const RESULTS_FILE: &str = "listings/ch17-how-fast-is-it/bench-results.json";
pub const PLOT_FILE: &str = "listings/ch17-how-fast-is-it/throughput.svg";
pub const TABLES_FILE: &str = "listings/ch17-how-fast-is-it/bench-tables.md";

/// What one run of a bench client prints with `--json` (Listings 17-1 and 17-2, and the
/// aiohttp script): exactly these keys.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub requests: u64,
    pub concurrency: u64,
    pub errors: u64,
    pub wall_s: f64,
    pub throughput_rps: f64,
    /// `None` (JSON `null`) when no request succeeded.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// `None` where /proc/self/status cannot be read (not Linux).
    pub peak_rss_kib: Option<u64>,
}

/// The keys of [`Measured`], in the order the chapter lists them.
pub const MEASURED_KEYS: [&str; 8] = [
    "requests",
    "concurrency",
    "errors",
    "wall_s",
    "throughput_rps",
    "p50_ms",
    "p99_ms",
    "peak_rss_kib",
];

/// The machine the results were measured on.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// `model name` in /proc/cpuinfo.
    pub cpu: String,
    pub cores: u64,
    /// /proc/sys/kernel/osrelease.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `python3 --version` and aiohttp's `__version__`; `None` without Python.
    pub python: Option<String>,
    pub aiohttp: Option<String>,
    /// The day of the run, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// /proc/loadavg's three load averages right before the first run and after the last.
    pub load_before: [f64; 3],
    pub load_after: [f64; 3],
}

/// Which client sent the requests.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Listing 17-1 on Tokio's multi-thread runtime (its default).
    Tokio,
    /// Listing 17-1 with `--current-thread`.
    TokioCurrentThread,
    /// Listing 17-2: a thread per request in flight, reqwest's blocking client.
    Threads,
    /// `aiohttp_bench.py`: asyncio and aiohttp.
    Aiohttp,
}

impl Client {
    pub fn name(self) -> &'static str {
        match self {
            Client::Tokio => "Tokio",
            Client::TokioCurrentThread => "Tokio, current thread",
            Client::Threads => "threads",
            Client::Aiohttp => "aiohttp",
        }
    }
}

/// What a run was for: each is a table of the chapter (the plot is `Scaling`'s).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Experiment {
    /// One after another, a few at a time, all at once.
    Shapes,
    /// 10,000 requests all at once against 1,000 at a time.
    AllAtOnce,
    /// Throughput against concurrency, N = 10 x C, for every client.
    Scaling,
    /// Cold against warmed-up connections at the target configurations.
    Connections,
    /// No latency: what the CPU allows, per client.
    Cpu,
}

/// One run of one client against a fresh stand-in.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub experiment: Experiment,
    pub client: Client,
    /// The stand-in's latency for every answer (a scenario prefix in the URL).
    pub latency_ms: u64,
    pub warm_up: bool,
    /// 0, 1, 2...: the same configuration is run several times; tables show the median.
    pub repeat: u32,
    /// The command a reader types for it, with the stand-in at port 8000.
    pub command: String,
    /// It exited with status 0.
    pub exit_ok: bool,
    /// What it printed; `None` if it printed no JSON.
    pub measured: Option<Measured>,
    /// CPU time (user + system) of the client and of the stand-in during the run.
    pub client_cpu_s: f64,
    pub stand_in_cpu_s: f64,
    /// CPU time the rest of the machine used during the run (/proc/stat's busy time, less
    /// the two above): what other programs took from the measurement.
    pub other_cpu_s: f64,
    /// How long the client ran, from its start to its exit (its wall time is part of it).
    pub run_s: f64,
    /// TCP connections the client opened: its sockets to the stand-in's port once it has
    /// exited, closing side first (FIN-WAIT or TIME-WAIT, `ss`); `None` without `ss`.
    pub connections: Option<u64>,
    /// The 1-minute load average right before the run.
    pub load_1min: f64,
}

impl Run {
    fn is(&self, experiment: Experiment, client: Client) -> bool {
        self.experiment == experiment && self.client == client
    }
}

/// Everything `ci/bench` recorded.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Results {
    pub machine: Machine,
    pub runs: Vec<Run>,
}

/// The repeats of one configuration, and the one the chapter shows: the median by wall
/// time (a run that printed nothing counts as the slowest).
pub struct Config<'a> {
    pub repeats: Vec<&'a Run>,
}

impl<'a> Config<'a> {
    pub fn median(&self) -> &'a Run {
        let mut sorted = self.repeats.clone();
        sorted.sort_by(|a, b| wall(a).total_cmp(&wall(b)));
        sorted[(sorted.len() - 1) / 2]
    }

    pub fn measured(&self) -> &'a Measured {
        self.median()
            .measured
            .as_ref()
            .expect("the median run printed its results")
    }

    /// Errors over every repeat, and runs that printed no results.
    pub fn errors(&self) -> u64 {
        self.repeats
            .iter()
            .map(|run| run.measured.as_ref().map_or(1, |m| m.errors))
            .sum()
    }
}

fn wall(run: &Run) -> f64 {
    run.measured.as_ref().map_or(f64::INFINITY, |m| m.wall_s)
}

impl Results {
    /// The configurations of one experiment and client, in the order first run.
    pub fn configs(&self, experiment: Experiment, client: Client) -> Vec<Config<'_>> {
        let mut configs: Vec<Config<'_>> = Vec::new();
        for run in self.runs.iter().filter(|run| run.is(experiment, client)) {
            let same = |other: &&Run| {
                other.latency_ms == run.latency_ms
                    && other.warm_up == run.warm_up
                    && other.command == run.command
            };
            match configs.iter_mut().find(|config| same(&config.repeats[0])) {
                Some(config) => config.repeats.push(run),
                None => configs.push(Config { repeats: vec![run] }),
            }
        }
        configs
    }

    fn config(
        &self,
        experiment: Experiment,
        client: Client,
        pick: impl Fn(&Run) -> bool,
    ) -> Option<Config<'_>> {
        self.configs(experiment, client)
            .into_iter()
            .find(|config| pick(config.repeats[0]))
    }

    fn repeats(&self) -> usize {
        self.configs(Experiment::Scaling, Client::Tokio)
            .first()
            .map_or(0, |config| config.repeats.len())
    }
}

fn concurrency(run: &Run) -> u64 {
    run.measured.as_ref().map_or(0, |m| m.concurrency)
}

fn requests(run: &Run) -> u64 {
    run.measured.as_ref().map_or(0, |m| m.requests)
}

/// 10000 as `10,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn rps(value: f64) -> String {
    thousands(value.round() as u64)
}

fn ms(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{v:.1} ms"))
}

fn kib_as_mib(kib: Option<u64>) -> String {
    kib.map_or("-".to_owned(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    })
}

/// N/C rounded up, times the latency: the wall time if every request took exactly the
/// latency and the client kept C in flight (Little's law).
pub fn ideal_wall_s(requests: u64, concurrency: u64, latency_ms: u64) -> f64 {
    requests.div_ceil(concurrency) as f64 * latency_ms as f64 / 1000.0
}

/// The chapter's tables and sentences, each between `ANCHOR` comments for `{{#include}}`.
pub fn tables_markdown(results: &Results) -> String {
    let mut out = String::from(
        "<!-- Generated by `ci/bench` (bench-report) from bench-results.json: do not edit. -->\n",
    );
    section(&mut out, "machine", &machine(results));
    section(&mut out, "shapes", &shapes(results));
    section(&mut out, "all-at-once", &all_at_once(results));
    section(&mut out, "scaling", &scaling(results));
    section(&mut out, "memory", &memory(results));
    section(&mut out, "connections", &connections(results));
    section(&mut out, "cpu", &cpu(results));
    section(&mut out, "latency-cpu", &latency_cpu(results));
    section(&mut out, "targets", &targets(results));
    out
}

fn section(out: &mut String, anchor: &str, body: &str) {
    writeln!(
        out,
        "<!-- ANCHOR: {anchor} -->\n{body}<!-- ANCHOR_END: {anchor} -->"
    )
    .unwrap();
}

fn machine(results: &Results) -> String {
    let m = &results.machine;
    let python = match (&m.python, &m.aiohttp) {
        (Some(python), Some(aiohttp)) => format!(", {python} and aiohttp {aiohttp}"),
        _ => ", no Python".to_owned(),
    };
    let wall: f64 = results.runs.iter().map(|run| run.run_s).sum();
    let others: f64 = results.runs.iter().map(|run| run.other_cpu_s).sum();
    format!(
        "Measured on {} by `ci/bench`: {}, {} cores, Linux {}, {}{python}. The stand-in, a \
         fresh one for every run, shared the same {} cores with the client. The load average \
         was {:.2} before the runs; while the clients ran, the rest of the machine (other \
         programs, and kernel work charged to neither process) used {:.1} % of the CPU time. \
         Each configuration ran {} times; every row and point shows the run with the median \
         wall time.\n",
        m.date,
        m.cpu,
        m.cores,
        m.kernel,
        m.rustc,
        m.cores,
        m.load_before[0],
        100.0 * others / (wall * m.cores as f64),
        results.repeats()
    )
}

fn shapes(results: &Results) -> String {
    let mut out = String::from(
        "| in flight | wall time | N/C × latency | requests a second | p50 | p99 |\n|---|---|---|---|---|---|\n",
    );
    let configs = results.configs(Experiment::Shapes, Client::Tokio);
    let n = configs.first().map_or(0, |c| requests(c.median()));
    for config in &configs {
        let run = config.median();
        let m = config.measured();
        let what = match m.concurrency {
            1 => " (one after another)".to_owned(),
            c if c >= n => " (all at once)".to_owned(),
            _ => String::new(),
        };
        writeln!(
            out,
            "| {}{what} | {:.2} s | {:.2} s | {} | {} | {} |",
            thousands(m.concurrency),
            m.wall_s,
            ideal_wall_s(m.requests, m.concurrency, run.latency_ms),
            rps(m.throughput_rps),
            ms(m.p50_ms),
            ms(m.p99_ms)
        )
        .unwrap();
    }
    out
}

fn all_at_once(results: &Results) -> String {
    let mut out = String::from(
        "| in flight | wall time | N/C × latency | p50 | p99 | peak memory | connections | client CPU per request |\n|---|---|---|---|---|---|---|---|\n",
    );
    for config in results.configs(Experiment::AllAtOnce, Client::Tokio) {
        let run = config.median();
        let m = config.measured();
        writeln!(
            out,
            "| {} | {:.2} s | {:.2} s | {} | {} | {} | {} | {} |",
            thousands(m.concurrency),
            m.wall_s,
            ideal_wall_s(m.requests, m.concurrency, run.latency_ms),
            ms(m.p50_ms),
            ms(m.p99_ms),
            kib_as_mib(m.peak_rss_kib),
            run.connections.map_or("-".to_owned(), thousands),
            cpu_per_request(run)
        )
        .unwrap();
    }
    out
}

const PLOTTED: [Client; 3] = [Client::Tokio, Client::Threads, Client::Aiohttp];

/// The scaling runs of each plotted client that has any, as (C, median run).
fn scaling_points(results: &Results) -> Vec<(Client, Vec<(u64, Config<'_>)>)> {
    PLOTTED
        .iter()
        .map(|&client| {
            let points = results
                .configs(Experiment::Scaling, client)
                .into_iter()
                .map(|config| (concurrency(config.median()), config))
                .collect::<Vec<_>>();
            (client, points)
        })
        .filter(|(_, points)| !points.is_empty())
        .collect()
}

fn scaling_latency_ms(results: &Results) -> u64 {
    results
        .runs
        .iter()
        .find(|run| run.experiment == Experiment::Scaling)
        .map_or(0, |run| run.latency_ms)
}

fn scaling(results: &Results) -> String {
    let series = scaling_points(results);
    let latency = scaling_latency_ms(results);
    let mut out = String::from("| in flight (C) | requests (N) | C / latency |");
    for (client, _) in &series {
        write!(out, " {} |", client.name()).unwrap();
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(series.len()));
    out.push('\n');
    let cs: Vec<u64> = series
        .first()
        .map(|(_, points)| points.iter().map(|(c, _)| *c).collect())
        .unwrap_or_default();
    for c in cs {
        let n = series[0]
            .1
            .iter()
            .find(|(pc, _)| *pc == c)
            .map_or(0, |(_, config)| requests(config.median()));
        write!(
            out,
            "| {} | {} | {} |",
            thousands(c),
            thousands(n),
            rps(c as f64 * 1000.0 / latency as f64)
        )
        .unwrap();
        for (_, points) in &series {
            let cell =
                points
                    .iter()
                    .find(|(pc, _)| *pc == c)
                    .map_or("-".to_owned(), |(_, config)| {
                        let m = config.measured();
                        match config.errors() {
                            0 => rps(m.throughput_rps),
                            errors => {
                                format!("{} ({} errors)", rps(m.throughput_rps), thousands(errors))
                            }
                        }
                    });
            write!(out, " {cell} |").unwrap();
        }
        out.push('\n');
    }
    out
}

/// KiB of peak memory per request in flight: the slope between the fewest and the most
/// requests in flight a client was run with.
pub fn kib_per_request_in_flight(points: &[(u64, Config<'_>)]) -> Option<f64> {
    let (low_c, low) = points.iter().min_by_key(|(c, _)| *c)?;
    let (high_c, high) = points.iter().max_by_key(|(c, _)| *c)?;
    let low = low.measured().peak_rss_kib? as f64;
    let high = high.measured().peak_rss_kib? as f64;
    (high_c > low_c).then(|| (high - low) / (high_c - low_c) as f64)
}

fn memory(results: &Results) -> String {
    let series = scaling_points(results);
    let mut out = String::from("| in flight |");
    for (client, _) in &series {
        write!(out, " {} |", client.name()).unwrap();
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(series.len()));
    out.push('\n');
    let cs: Vec<u64> = series
        .first()
        .map(|(_, points)| points.iter().map(|(c, _)| *c).collect())
        .unwrap_or_default();
    for c in cs {
        write!(out, "| {} |", thousands(c)).unwrap();
        for (_, points) in &series {
            let cell = points
                .iter()
                .find(|(pc, _)| *pc == c)
                .map_or("-".to_owned(), |(_, config)| {
                    kib_as_mib(config.measured().peak_rss_kib)
                });
            write!(out, " {cell} |").unwrap();
        }
        out.push('\n');
    }
    out.push_str("| per request in flight |");
    for (_, points) in &series {
        let cell =
            kib_per_request_in_flight(points).map_or("-".to_owned(), |kib| format!("{kib:.1} KiB"));
        write!(out, " {cell} |").unwrap();
    }
    out.push('\n');
    out
}

fn connections(results: &Results) -> String {
    let mut out = String::from(
        "| requests, in flight | connections | wall time | × ideal | p50 | p99 | connections opened | client CPU per request |\n|---|---|---|---|---|---|---|---|\n",
    );
    for config in results.configs(Experiment::Connections, Client::Tokio) {
        let run = config.median();
        let m = config.measured();
        writeln!(
            out,
            "| {}, {} | {} | {:.2} s | {:.2} | {} | {} | {} | {} |",
            thousands(m.requests),
            thousands(m.concurrency),
            if run.warm_up { "warmed up" } else { "cold" },
            m.wall_s,
            m.wall_s / ideal_wall_s(m.requests, m.concurrency, run.latency_ms),
            ms(m.p50_ms),
            ms(m.p99_ms),
            run.connections.map_or("-".to_owned(), thousands),
            cpu_per_request(run)
        )
        .unwrap();
    }
    out
}

/// The client's CPU time over the requests it sent (the untimed warm-up's included).
fn cpu_per_request(run: &Run) -> String {
    let requests = run.measured.as_ref().map_or(0, |m| {
        m.requests + if run.warm_up { m.concurrency } else { 0 }
    });
    format!("{:.0} µs", run.client_cpu_s / requests.max(1) as f64 * 1e6)
}

/// The no-latency runs, by client, and the aiohttp run to compare with.
fn cpu_configs(results: &Results) -> Vec<(Client, Config<'_>)> {
    [
        Client::Tokio,
        Client::TokioCurrentThread,
        Client::Threads,
        Client::Aiohttp,
    ]
    .into_iter()
    .filter_map(|client| {
        let config = results
            .configs(Experiment::Cpu, client)
            .into_iter()
            .next()?;
        Some((client, config))
    })
    .collect()
}

fn cpu(results: &Results) -> String {
    let configs = cpu_configs(results);
    let aiohttp = configs
        .iter()
        .find(|(client, _)| *client == Client::Aiohttp)
        .map(|(_, config)| config.measured().throughput_rps);
    let mut out = format!(
        "| client | requests a second | × aiohttp | p99 | client CPU per request | stand-in CPU per request | both, of the {} cores |\n|---|---|---|---|---|---|---|\n",
        results.machine.cores
    );
    for (client, config) in &configs {
        let run = config.median();
        let m = config.measured();
        let (client_us, stand_in_us) = cpu_per_request_us(run);
        writeln!(
            out,
            "| {} | {} | {} | {} | {client_us:.0} µs | {stand_in_us:.0} µs | {:.0} % |",
            client.name(),
            rps(m.throughput_rps),
            aiohttp.map_or("-".to_owned(), |a| format!("{:.1}", m.throughput_rps / a)),
            ms(m.p99_ms),
            100.0 * (run.client_cpu_s + run.stand_in_cpu_s)
                / (run.run_s * results.machine.cores as f64)
        )
        .unwrap();
    }
    out
}

/// CPU time per request of a run, client and stand-in: (client µs, stand-in µs).
pub fn cpu_per_request_us(run: &Run) -> (f64, f64) {
    let requests = run.measured.as_ref().map_or(1, |m| m.requests.max(1)) as f64;
    (
        run.client_cpu_s / requests * 1e6,
        run.stand_in_cpu_s / requests * 1e6,
    )
}

/// The Tokio scaling run with the most in flight against the no-latency run, in CPU per
/// request: one sentence.
fn latency_cpu(results: &Results) -> String {
    let scaled = scaling_points(results)
        .into_iter()
        .find(|(client, _)| *client == Client::Tokio)
        .and_then(|(_, points)| points.into_iter().max_by_key(|(c, _)| *c));
    let no_latency = cpu_configs(results)
        .into_iter()
        .find(|(client, _)| *client == Client::Tokio);
    let (Some((c, scaled)), Some((_, no_latency))) = (scaled, no_latency) else {
        return "(No Tokio runs to compare.)\n".to_owned();
    };
    let (client, stand_in) = cpu_per_request_us(scaled.median());
    let (client_0, stand_in_0) = cpu_per_request_us(no_latency.median());
    format!(
        "At C = {} with {} ms answers, Tokio's client used {client:.0} µs of CPU per request \
         and the stand-in {stand_in:.0} µs; with no latency, {client_0:.0} µs and \
         {stand_in_0:.0} µs.\n",
        thousands(c),
        scaling_latency_ms(results)
    )
}

fn targets(results: &Results) -> String {
    let mut out = String::from("| target | measured | |\n|---|---|---|\n");
    let met = |ok: bool| if ok { "met" } else { "missed" };
    for (requests, in_flight) in [(2_000, 500), (10_000, 1_000)] {
        for warm_up in [false, true] {
            let Some(config) = results.config(Experiment::Connections, Client::Tokio, |run| {
                run.warm_up == warm_up
                    && self::requests(run) == requests
                    && concurrency(run) == in_flight
            }) else {
                continue;
            };
            let run = config.median();
            let m = config.measured();
            let ideal = ideal_wall_s(m.requests, m.concurrency, run.latency_ms);
            let errors = config.errors();
            let cold = if warm_up { "warmed up" } else { "cold" };
            let (target, ok) = if requests == 2_000 {
                (
                    format!(
                        "{} requests, {} in flight, {} ms, {cold}: wall ≤ 1.2 × {ideal:.1} s, 0 errors",
                        thousands(requests),
                        thousands(in_flight),
                        run.latency_ms
                    ),
                    m.wall_s <= 1.2 * ideal && errors == 0,
                )
            } else {
                (
                    format!(
                        "{} requests, {} in flight, {} ms, {cold}: 0 errors",
                        thousands(requests),
                        thousands(in_flight),
                        run.latency_ms
                    ),
                    errors == 0,
                )
            };
            writeln!(
                out,
                "| {target} | {:.2} s = {:.2} × ideal, {errors} errors in {} runs | {} |",
                m.wall_s,
                m.wall_s / ideal,
                config.repeats.len(),
                met(ok)
            )
            .unwrap();
        }
    }
    let configs = cpu_configs(results);
    let find = |wanted: Client| {
        configs
            .iter()
            .find(|(client, _)| *client == wanted)
            .map(|(_, config)| config.measured())
    };
    if let (Some(tokio), Some(aiohttp)) = (find(Client::Tokio), find(Client::Aiohttp)) {
        let ratio = tokio.throughput_rps / aiohttp.throughput_rps;
        writeln!(
            out,
            "| {} requests, {} in flight, 0 ms: Tokio ≥ 6 × aiohttp's throughput | {} against {} requests a second = {ratio:.1} × | {} |",
            thousands(tokio.requests),
            thousands(tokio.concurrency),
            rps(tokio.throughput_rps),
            rps(aiohttp.throughput_rps),
            met(ratio >= 6.0)
        )
        .unwrap();
    }
    out
}

// The plot: throughput against requests in flight, both on log scales, so that the ideal
// C / latency is a straight line. Colours come from the theme through CSS classes
// (theme/figures.css); series differ by marker and dash as well as by label, never by
// colour alone.
const WIDTH: f64 = 680.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 520.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 350.0;

struct Scale {
    x_decades: (i32, i32),
    y_decades: (i32, i32),
}

impl Scale {
    fn x(&self, value: f64) -> f64 {
        let (lo, hi) = self.x_decades;
        LEFT + (value.log10() - lo as f64) / (hi - lo) as f64 * (RIGHT - LEFT)
    }

    fn y(&self, value: f64) -> f64 {
        let (lo, hi) = self.y_decades;
        BOTTOM - (value.log10() - lo as f64) / (hi - lo) as f64 * (BOTTOM - TOP)
    }
}

fn decade_label(exponent: i32) -> String {
    thousands(10u64.pow(exponent as u32))
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The marker of each series, defined once and placed with `<use>`.
fn marker_id(client: Client) -> &'static str {
    match client {
        Client::Tokio => "mark-tokio",
        Client::Threads => "mark-threads",
        Client::Aiohttp => "mark-aiohttp",
        Client::TokioCurrentThread => "mark-tokio-ct",
    }
}

fn dash(client: Client) -> Option<&'static str> {
    match client {
        Client::Threads => Some("6 3"),
        Client::Aiohttp => Some("2 3"),
        _ => None,
    }
}

/// The text alternative: what the plot shows, in words, from the same numbers.
pub fn plot_description(results: &Results) -> String {
    let latency = scaling_latency_ms(results);
    let mut out = format!(
        "Requests a second against requests in flight, both on logarithmic scales, for {} ms \
         answers from the stand-in. The ideal, in flight divided by the latency, is a straight \
         line.",
        latency
    );
    for (client, points) in scaling_points(results) {
        let best = points
            .iter()
            .max_by(|a, b| {
                a.1.measured()
                    .throughput_rps
                    .total_cmp(&b.1.measured().throughput_rps)
            })
            .expect("a series has points");
        let first = &points[0];
        let last = points.last().expect("a series has points");
        write!(
            out,
            " {}: {} a second at {} in flight",
            client.name(),
            rps(first.1.measured().throughput_rps),
            thousands(first.0),
        )
        .unwrap();
        if best.0 != last.0 {
            write!(
                out,
                ", {} at most (at {})",
                rps(best.1.measured().throughput_rps),
                thousands(best.0)
            )
            .unwrap();
        }
        write!(
            out,
            ", {} at {}.",
            rps(last.1.measured().throughput_rps),
            thousands(last.0)
        )
        .unwrap();
    }
    if let Some((_, config)) = cpu_configs(results)
        .into_iter()
        .find(|(client, _)| *client == Client::Tokio)
    {
        write!(
            out,
            " A horizontal line marks Tokio's {} a second with no latency at all.",
            rps(config.measured().throughput_rps)
        )
        .unwrap();
    }
    out
}

pub fn plot_svg(results: &Results) -> String {
    let series = scaling_points(results);
    let latency = scaling_latency_ms(results) as f64;
    let max_c = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(c, _)| *c))
        .max()
        .unwrap_or(1);
    let ceiling = cpu_configs(results)
        .into_iter()
        .find(|(client, _)| *client == Client::Tokio)
        .map(|(_, config)| config.measured().throughput_rps);
    let x_hi = (max_c as f64).log10().ceil().max(1.0) as i32;
    let top_value = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(_, c)| c.measured().throughput_rps))
        .chain(ceiling)
        .chain([max_c as f64 * 1000.0 / latency])
        .fold(1.0, f64::max);
    let scale = Scale {
        x_decades: (0, x_hi),
        y_decades: (1, top_value.log10().ceil() as i32),
    };

    let mut document = Document::new()
        .set("viewBox", (0, 0, WIDTH, HEIGHT))
        // Its drawn size, kept on a phone where the figure scrolls sideways (theme/
        // figures.css), reached by keyboard to scroll it.
        .set("width", WIDTH)
        .set("height", HEIGHT)
        .set("tabindex", 0)
        .set("role", "img")
        .set("aria-labelledby", "throughput-title throughput-desc")
        .add(Title::new("Throughput against concurrency").set("id", "throughput-title"))
        .add(
            Description::new()
                .set("id", "throughput-desc")
                .add(svg::node::Text::new(plot_description(results))),
        );

    let marks = Definitions::new()
        .add(
            Circle::new()
                .set("id", marker_id(Client::Tokio))
                .set("r", 4)
                .set("class", "point"),
        )
        .add(
            Path::new()
                .set("id", marker_id(Client::Threads))
                .set("d", "M-4,-4H4V4H-4Z")
                .set("class", "point"),
        )
        .add(
            Path::new()
                .set("id", marker_id(Client::Aiohttp))
                .set("d", "M0,-5L4.5,3.5H-4.5Z")
                .set("class", "point"),
        );
    document = document.add(marks);

    // Grid and axes, one line per decade.
    let mut grid = Group::new().set("class", "grid");
    let mut ticks = Group::new().set("class", "tick");
    let mut labels = Group::new().set("class", "label");
    for exponent in scale.x_decades.0..=scale.x_decades.1 {
        let x = round1(scale.x(10f64.powi(exponent)));
        grid = grid.add(
            Line::new()
                .set("x1", x)
                .set("x2", x)
                .set("y1", TOP)
                .set("y2", BOTTOM),
        );
        ticks = ticks.add(
            Text::new(decade_label(exponent))
                .set("x", x)
                .set("y", BOTTOM + 18.0)
                .set("text-anchor", "middle"),
        );
    }
    for exponent in scale.y_decades.0..=scale.y_decades.1 {
        let y = round1(scale.y(10f64.powi(exponent)));
        grid = grid.add(
            Line::new()
                .set("x1", LEFT)
                .set("x2", RIGHT)
                .set("y1", y)
                .set("y2", y),
        );
        ticks = ticks.add(
            Text::new(decade_label(exponent))
                .set("x", LEFT - 6.0)
                .set("y", y + 4.0)
                .set("text-anchor", "end"),
        );
    }
    labels = labels
        .add(
            Text::new("requests in flight (C)")
                .set("x", round1((LEFT + RIGHT) / 2.0))
                .set("y", BOTTOM + 40.0)
                .set("text-anchor", "middle"),
        )
        .add(
            Text::new("requests a second")
                .set("x", 14)
                .set("y", round1((TOP + BOTTOM) / 2.0))
                .set("text-anchor", "middle")
                .set(
                    "transform",
                    format!("rotate(-90 14 {})", round1((TOP + BOTTOM) / 2.0)),
                ),
        );
    let axes = Group::new()
        .set("class", "axis")
        .add(
            Line::new()
                .set("x1", LEFT)
                .set("x2", RIGHT)
                .set("y1", BOTTOM)
                .set("y2", BOTTOM),
        )
        .add(
            Line::new()
                .set("x1", LEFT)
                .set("x2", LEFT)
                .set("y1", TOP)
                .set("y2", BOTTOM),
        );
    document = document.add(grid).add(axes).add(ticks);

    // The ideal: C / latency.
    let ideal_end = max_c as f64;
    let ideal = Line::new()
        .set("class", "series ideal")
        .set("x1", round1(scale.x(1.0)))
        .set("y1", round1(scale.y(1000.0 / latency)))
        .set("x2", round1(scale.x(ideal_end)))
        .set("y2", round1(scale.y(ideal_end * 1000.0 / latency)))
        .set("stroke-dasharray", "1 4");
    // Its label runs along it, above, from C = 2.
    let (x, y) = (
        round1(scale.x(2.0)),
        round1(scale.y(2000.0 / latency)) - 6.0,
    );
    let angle = (scale.y(1000.0 / latency) - scale.y(10_000.0 / latency))
        .atan2(scale.x(10.0) - scale.x(1.0))
        .to_degrees();
    labels = labels.add(
        Text::new(format!("ideal: C / {latency} ms"))
            .set("x", x)
            .set("y", y)
            .set("transform", format!("rotate({:.1} {x} {y})", -angle)),
    );
    document = document.add(ideal);

    if let Some(ceiling) = ceiling {
        let y = round1(scale.y(ceiling));
        document = document.add(
            Line::new()
                .set("class", "series ceiling")
                .set("x1", LEFT)
                .set("x2", RIGHT)
                .set("y1", y)
                .set("y2", y)
                .set("stroke-dasharray", "8 4 1 4"),
        );
        labels = labels.add(
            Text::new("Tokio, no latency")
                .set("x", LEFT + 8.0)
                .set("y", y - 6.0),
        );
    }

    let mut label_ys: Vec<f64> = Vec::new();
    for (client, points) in &series {
        let coordinates: Vec<(f64, f64)> = points
            .iter()
            .map(|(c, config)| {
                (
                    round1(scale.x(*c as f64)),
                    round1(scale.y(config.measured().throughput_rps)),
                )
            })
            .collect();
        let mut line = Polyline::new().set("class", "series").set(
            "points",
            coordinates
                .iter()
                .map(|(x, y)| format!("{x},{y}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        if let Some(dash) = dash(*client) {
            line = line.set("stroke-dasharray", dash);
        }
        let mut group = Group::new().add(line);
        for (x, y) in &coordinates {
            group = group.add(
                Use::new()
                    .set("href", format!("#{}", marker_id(*client)))
                    .set("x", *x)
                    .set("y", *y),
            );
        }
        document = document.add(group);
        // A label at the end of the series, moved down if another is too close.
        let (x, y) = *coordinates.last().expect("a series has points");
        let mut label_y = y + 4.0;
        while label_ys.iter().any(|other| (other - label_y).abs() < 14.0) {
            label_y += 14.0;
        }
        label_ys.push(label_y);
        // The label starts with the series' marker, so that the two are read together.
        labels = labels
            .add(
                Use::new()
                    .set("href", format!("#{}", marker_id(*client)))
                    .set("x", x + 22.0)
                    .set("y", round1(label_y - 4.0)),
            )
            .add(
                Text::new(client.name())
                    .set("x", x + 32.0)
                    .set("y", round1(label_y)),
            );
    }
    document = document.add(labels);
    document.to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn the_ideal_rounds_waves_up() {
        assert_eq!(ideal_wall_s(2000, 500, 100), 0.4);
        assert_eq!(ideal_wall_s(10, 3, 100), 0.4);
    }
}
