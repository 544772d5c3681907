//! `cargo run -p stand-in`: the stand-in services as a server of their own, for readers who
//! run the listings by hand. Tests start it in-process through the library instead.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use stand_in::scenario::parse_failure;
use stand_in::{Behaviour, Config, ENV_VAR, Failure, Latency, Scenario, ScenarioError, StandIn};

/// One local server that stands in for GitHub's events API, ipify and ip-api, so that the
/// book's listings run offline.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "\
Scenarios (--scenario, and the /scenario/<rules> prefix of BOOK_STAND_IN):
  rules are separated by commas; a rule is [SERVICE.]latency=DURATION[..DURATION]
  or [SERVICE.]fail=FAILURE, where SERVICE is github, ipify or ip-api.
  A rule naming a service beats a rule for all; a request's prefix beats these options.
  Example: BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ipify.latency=2s,ip-api.fail=500"
)]
struct Options {
    /// Address to listen on. The loopback default keeps the stand-in private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,

    /// Port to listen on; 0 picks a free one.
    #[arg(long, short, default_value_t = 8000)]
    port: u16,

    /// How long every answer waits: fixed (200ms, 1.5s) or random in a range (100ms..300ms);
    /// 0 for no wait. The default is about what the real services take over the internet.
    #[arg(long, default_value = "100ms..300ms")]
    latency: Latency,

    /// How every answer fails: none, 500, 429, rate-limit, malformed, missing-key, cut
    /// (connection dropped mid-body) or hang (body never ends).
    #[arg(long, default_value = "none", value_parser = parse_fail_option)]
    fail: FailOption,

    /// More rules for this run, in the scenario syntax below; they beat --latency and --fail.
    #[arg(long)]
    scenario: Option<Scenario>,
}

/// `--fail`'s value. A field of type `Option<Failure>` would make clap treat the option as
/// optional instead, and `none` is a value here, not a missing option.
#[derive(Clone, Copy, Debug)]
struct FailOption(Option<Failure>);

fn parse_fail_option(text: &str) -> Result<FailOption, ScenarioError> {
    parse_failure(text).map(FailOption)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stand-in: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let addr = SocketAddr::new(options.bind, options.port);
    let mut scenario = Scenario::everywhere(Behaviour {
        latency: options.latency,
        failure: options.fail.0,
    });
    if let Some(more_rules) = options.scenario {
        scenario.extend(more_rules);
    }
    let server = stand_in::spawn(Config { addr, scenario })
        .await
        .map_err(|error| cannot_listen(addr, &error))?;
    print_how_to_use(&server, &options.latency, options.fail.0);

    let signal = stop_signal()
        .await
        .map_err(|error| format!("cannot wait for Ctrl-C: {error}"))?;
    println!("stand-in: {signal} received, stopping");
    server
        .shutdown()
        .await
        .map_err(|error| format!("stopping: {error}"))?;
    println!("stand-in: stopped");
    Ok(())
}

fn cannot_listen(addr: SocketAddr, error: &io::Error) -> String {
    let hint = match error.kind() {
        io::ErrorKind::AddrInUse => {
            " Is another stand-in already running? Choose another port with --port."
        }
        io::ErrorKind::PermissionDenied => " Ports below 1024 need privileges; use --port 8000.",
        io::ErrorKind::AddrNotAvailable => {
            " That address is not one of this machine's; try --bind 127.0.0.1."
        }
        _ => "",
    };
    format!("cannot listen on {addr}: {error}.{hint}")
}

fn print_how_to_use(server: &StandIn, latency: &Latency, failure: Option<Failure>) {
    let base_url = server.base_url();
    println!(
        "stand-in: GitHub's events API, ipify and ip-api are answering at {base_url} \
         (latency {latency}, fail={})",
        failure.map_or("none", Failure::name)
    );
    if !server.addr().ip().is_loopback() {
        println!(
            "stand-in: listening on {}, reachable from other machines",
            server.addr()
        );
    }
    println!("Point a listing at it with:");
    println!();
    println!("    {ENV_VAR}={base_url} cargo run -p <listing>");
    println!();
    println!("Give one run its own scenario with a prefix, for example a slow ipify:");
    println!();
    println!(
        "    {ENV_VAR}={} cargo run -p <listing>",
        server.scenario_url("ipify.latency=2s")
    );
    println!();
    println!("Press Ctrl-C to stop.");
}

/// Waits for Ctrl-C, or for the SIGTERM that `kill` and CI runners send.
async fn stop_signal() -> io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| "Ctrl-C"),
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}
