//! `bench-report`: chapter 17's measurements (`ci/bench` builds what it needs and runs it).
//!
//! - `bench-report measure [--quick] [--repeats N] [--python <python with aiohttp>]` runs
//!   every configuration the chapter shows, each client against a stand-in of its own (the
//!   release binary, started afresh for every run), writes the results to
//!   `listings/ch17-how-fast-is-it/bench-results.json`, then renders as below. `--quick`
//!   runs each configuration with fewer requests, for trying the command out; its results
//!   are not the chapter's.
//! - `bench-report render` writes the plot and the tables from the recorded results.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bench_report::{Client, Experiment, Machine, Measured, Results, Run};

/// A client run that takes longer than this is stopped (and recorded without results).
const RUN_LIMIT: Duration = Duration::from_secs(180);

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((command, rest)) if command == "measure" => measure(rest),
        Some((command, [])) if command == "render" => render(),
        _ => Err(
            "usage: bench-report measure [--quick] [--repeats N] [--python <path>]\n       \
                  bench-report render"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-report: {error}");
            ExitCode::FAILURE
        }
    }
}

fn render() -> Result<(), String> {
    let root = root();
    let path = root.join(bench_report::RESULTS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let results: Results =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for (file, contents) in [
        (bench_report::PLOT_FILE, bench_report::plot_svg(&results)),
        (
            bench_report::TABLES_FILE,
            bench_report::tables_markdown(&results),
        ),
    ] {
        let path = root.join(file);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// One configuration: what to run, and how many times.
struct Config {
    experiment: Experiment,
    clients: Vec<Client>,
    latency_ms: u64,
    requests: u64,
    concurrency: u64,
    warm_up: bool,
}

/// Every configuration the chapter shows. `quick` divides the requests by ten.
fn plan(quick: bool, python: bool) -> Vec<Config> {
    let scale = |n: u64| if quick { (n / 10).max(1) } else { n };
    let mut plan = Vec::new();
    let one = |experiment, clients: &[Client], latency_ms, requests, concurrency, warm_up| Config {
        experiment,
        clients: clients
            .iter()
            .copied()
            .filter(|client| python || *client != Client::Aiohttp)
            .collect(),
        latency_ms,
        requests,
        concurrency,
        warm_up,
    };
    use Client::*;
    for c in [1, 10, 100] {
        plan.push(one(
            Experiment::Shapes,
            &[Tokio],
            100,
            scale(100).max(c),
            c,
            false,
        ));
    }
    for c in [1_000, 10_000] {
        plan.push(one(
            Experiment::AllAtOnce,
            &[Tokio],
            100,
            scale(10_000).max(c),
            c,
            false,
        ));
    }
    for c in [1, 10, 100, 200, 500, 1_000, 2_000, 5_000] {
        // N = 10 x C: every run would take ten latencies, one second, if it scaled.
        let n = if quick { c.max(10) } else { 10 * c };
        plan.push(one(
            Experiment::Scaling,
            &[Tokio, Threads, Aiohttp],
            100,
            n,
            c,
            false,
        ));
    }
    for (n, c) in [(2_000, 500), (10_000, 1_000)] {
        for warm_up in [false, true] {
            plan.push(one(
                Experiment::Connections,
                &[Tokio],
                100,
                scale(n).max(c),
                c,
                warm_up,
            ));
        }
    }
    plan.push(one(
        Experiment::Cpu,
        &[Tokio, TokioCurrentThread, Threads, Aiohttp],
        0,
        scale(20_000),
        50,
        false,
    ));
    plan
}

fn measure(args: &[String]) -> Result<(), String> {
    let mut quick = false;
    let mut repeats = 3;
    let mut python = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--repeats" => {
                repeats = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n >= 1)
                    .ok_or("--repeats takes a number from 1")?;
            }
            "--python" => python = Some(rest.next().ok_or("--python takes a path")?.clone()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let root = root();
    let bin = root.join("target/release");
    for binary in ["stand-in", "listing-17-01", "listing-17-02"] {
        if !bin.join(binary).is_file() {
            return Err(format!(
                "{} is missing: build it first (ci/bench does)",
                bin.join(binary).display()
            ));
        }
    }
    let ticks = clock_ticks()?;
    let machine_before = machine(python.as_deref())?;
    let plan = plan(quick, python.is_some());
    let total: usize = plan.iter().map(|c| c.clients.len()).sum::<usize>() * repeats as usize;
    let mut runs = Vec::new();
    for config in &plan {
        for repeat in 0..repeats {
            for &client in &config.clients {
                let run = run_one(
                    &root,
                    &bin,
                    python.as_deref(),
                    ticks,
                    config,
                    client,
                    repeat,
                )?;
                let summary = run.measured.as_ref().map_or("no results".to_owned(), |m| {
                    format!(
                        "{:.3} s, {:.0}/s, {} errors, p99 {:.1} ms, {} KiB",
                        m.wall_s,
                        m.throughput_rps,
                        m.errors,
                        m.p99_ms.unwrap_or(f64::NAN),
                        m.peak_rss_kib.unwrap_or(0)
                    )
                });
                println!(
                    "[{}/{total}] {:?} {}: {summary} (load {:.2}, others {:.2} CPU-s)",
                    runs.len() + 1,
                    config.experiment,
                    run.command,
                    run.load_1min,
                    run.other_cpu_s
                );
                runs.push(run);
            }
        }
    }
    let results = Results {
        machine: Machine {
            load_after: load_average()?,
            ..machine_before
        },
        runs,
    };
    let path = root.join(bench_report::RESULTS_FILE);
    let json = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    render()
}

/// Runs one client once against a fresh stand-in.
fn run_one(
    root: &Path,
    bin: &Path,
    python: Option<&str>,
    ticks: f64,
    config: &Config,
    client: Client,
    repeat: u32,
) -> Result<Run, String> {
    let latency = match config.latency_ms {
        0 => "0".to_owned(),
        ms => format!("{ms}ms"),
    };
    let path = format!("/scenario/latency={latency}/json");
    let mut options = vec![
        "--requests".to_owned(),
        config.requests.to_string(),
        "--concurrency".to_owned(),
        config.concurrency.to_string(),
    ];
    if config.warm_up {
        options.push("--warm-up".to_owned());
    }
    if client == Client::TokioCurrentThread {
        options.push("--current-thread".to_owned());
    }
    let shown_url = format!("http://127.0.0.1:8000{path}");
    let (program, mut args, shown): (PathBuf, Vec<String>, String) = match client {
        Client::Tokio | Client::TokioCurrentThread => (
            bin.join("listing-17-01"),
            vec!["--json".to_owned()],
            "cargo run --release -p listing-17-01 --".to_owned(),
        ),
        Client::Threads => (
            bin.join("listing-17-02"),
            vec!["--json".to_owned()],
            "cargo run --release -p listing-17-02 --".to_owned(),
        ),
        Client::Aiohttp => (
            PathBuf::from(python.ok_or("no Python for the aiohttp client")?),
            vec![
                root.join("listings/ch17-how-fast-is-it/aiohttp_bench.py")
                    .display()
                    .to_string(),
            ],
            "python3 listings/ch17-how-fast-is-it/aiohttp_bench.py".to_owned(),
        ),
    };
    let command = format!(
        "{shown} --url {shown_url} {}{}",
        options.join(" "),
        if client == Client::Aiohttp {
            ""
        } else {
            " --json"
        }
    );

    let load_1min = load_average()?[0];
    let stand_in = StandIn::start(bin)?;
    args.push("--url".to_owned());
    args.push(format!("http://127.0.0.1:{}{path}", stand_in.port));
    args.extend(options);

    let stand_in_before = process_cpu_ticks(stand_in.child.id())?;
    let children_before = children_cpu_ticks()?;
    let busy_before = machine_busy_ticks()?;
    let started = std::time::Instant::now();
    let output = run_with_limit(Command::new(&program).args(&args))?;
    let run_s = started.elapsed().as_secs_f64();
    let busy = (machine_busy_ticks()? - busy_before) / ticks;
    let client_cpu_s = (children_cpu_ticks()? - children_before) / ticks;
    let stand_in_cpu_s = (process_cpu_ticks(stand_in.child.id())? - stand_in_before) / ticks;
    // What the rest of the machine did meanwhile (the kernel's own work for the two
    // included): the noise in this run's figures.
    let other_cpu_s = (busy - client_cpu_s - stand_in_cpu_s).max(0.0);
    let connections = client_connections(stand_in.port);
    stand_in.stop()?;

    let (exit_ok, stdout, stderr) = match output {
        Some(output) => (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        None => (false, String::new(), "stopped: it ran too long".to_owned()),
    };
    let measured: Option<Measured> = stdout
        .lines()
        .find(|line| line.starts_with('{'))
        .and_then(|line| serde_json::from_str(line).ok());
    if !exit_ok || measured.is_none() {
        eprintln!("{command}:\n{stdout}{stderr}");
    }
    Ok(Run {
        experiment: config.experiment,
        client,
        latency_ms: config.latency_ms,
        warm_up: config.warm_up,
        repeat,
        command,
        exit_ok,
        measured,
        client_cpu_s,
        stand_in_cpu_s,
        other_cpu_s,
        run_s,
        connections,
        load_1min,
    })
}

/// The release stand-in on a free port, answering at once unless a scenario says otherwise.
struct StandIn {
    child: Child,
    port: u16,
    /// Kept open so that the stand-in can still print when it shuts down.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl StandIn {
    fn start(bin: &Path) -> Result<StandIn, String> {
        let mut child = Command::new(bin.join("stand-in"))
            .args(["--port", "0", "--latency", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the stand-in: {e}"))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading the stand-in's first line: {e}"))?;
        // "stand-in: answering at http://127.0.0.1:40123"
        let port = line
            .trim_end()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| format!("the stand-in's first line names no port: {line:?}"))?;
        Ok(StandIn {
            child,
            port,
            _stdout: stdout,
        })
    }

    /// SIGTERM, as `cargo run -p stand-in`'s Ctrl-C would, and wait for it.
    fn stop(mut self) -> Result<(), String> {
        Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        self.child
            .wait()
            .map_err(|e| format!("waiting for the stand-in: {e}"))?;
        Ok(())
    }
}

/// Runs a client to its end, or stops it after `RUN_LIMIT` (`None`).
fn run_with_limit(command: &mut Command) -> Result<Option<std::process::Output>, String> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", command.get_program().display()))?;
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(RUN_LIMIT) {
        Ok(output) => output.map(Some).map_err(|e| e.to_string()),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-s", "KILL", &pid.to_string()])
                .status();
            let _ = finished.recv();
            Ok(None)
        }
    }
}

/// The fields of /proc/<pid>/stat after the command name (field 3 onwards).
fn stat_fields(pid: &str) -> Result<Vec<f64>, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    Ok(after_name
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0.0))
        .collect())
}

/// utime + stime of a process, in clock ticks (proc(5): fields 14 and 15).
fn process_cpu_ticks(pid: u32) -> Result<f64, String> {
    let fields = stat_fields(&pid.to_string())?;
    Ok(fields[11] + fields[12])
}

/// The CPU time every core spent on anything but idling, in clock ticks: the first line
/// of /proc/stat, all fields but idle and iowait (proc_stat(5)).
fn machine_busy_ticks() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    Ok(fields.iter().take(8).sum::<f64>()
        - fields.get(3).unwrap_or(&0.0)
        - fields.get(4).unwrap_or(&0.0))
}

/// cutime + cstime of this process: the CPU time of the children it has waited for
/// (fields 16 and 17). The delta around one client's run is that client's.
fn children_cpu_ticks() -> Result<f64, String> {
    let fields = stat_fields("self")?;
    Ok(fields[13] + fields[14])
}

fn clock_ticks() -> Result<f64, String> {
    let output = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .map_err(|e| format!("getconf CLK_TCK: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("getconf CLK_TCK: {e}"))
}

/// The client's sockets to the stand-in's port, once the client has exited: the side that
/// closes a TCP connection first keeps its socket for a minute (FIN-WAIT, then TIME-WAIT),
/// and the exit closes every connection the client still had. Each run gets a stand-in on
/// a new port, so these are the connections of this run, however many it opened.
fn client_connections(port: u16) -> Option<u64> {
    let output = Command::new("ss")
        .args(["-Htan", &format!("( dport = :{port} )")])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).lines().count() as u64)
}

fn load_average() -> Result<[f64; 3], String> {
    let text = std::fs::read_to_string("/proc/loadavg").map_err(|e| e.to_string())?;
    let mut values = text
        .split_whitespace()
        .map(|value| value.parse().unwrap_or(f64::NAN));
    Ok([
        values.next().unwrap_or(f64::NAN),
        values.next().unwrap_or(f64::NAN),
        values.next().unwrap_or(f64::NAN),
    ])
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

fn machine(python: Option<&str>) -> Result<Machine, String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").map_err(|e| e.to_string())?;
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, model)| {
            model.trim().to_owned()
        });
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get() as u64);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_err(|e| e.to_string())?
        .trim()
        .to_owned();
    let rustc = command_output("rustc", &["--version"]).ok_or("rustc --version failed")?;
    let (python_version, aiohttp) = match python {
        Some(python) => (
            command_output(python, &["--version"]),
            command_output(
                python,
                &["-c", "import aiohttp; print(aiohttp.__version__)"],
            ),
        ),
        None => (None, None),
    };
    let date = command_output("date", &["-u", "+%F"]).ok_or("date failed")?;
    Ok(Machine {
        cpu,
        cores,
        kernel,
        rustc,
        python: python_version,
        aiohttp,
        date,
        load_before: load_average()?,
        load_after: [f64::NAN; 3],
    })
}
