//! `cargo run -p stand-in`: the stand-in services as a server of their own, for readers who
//! run the listings by hand. Tests start it in-process through the library instead.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use stand_in::scenario::parse_failure;
use stand_in::{Behaviour, Config, ENV_VAR, Failure, Latency, Scenario, ScenarioError, StandIn};

/// One local server that stands in for GitHub's events API, ipify, ip-api and
/// Hacker News, so that the book's listings run offline.
//
// The help text is shown in the book's Appendix B (stand-in/book/help.txt) and checked
// against it by tests/appendix.rs. clap does not wrap it (no `wrap_help` feature), so the
// line breaks below are the ones a reader sees: keep lines under 80 columns.
#[derive(Debug, Parser)]
#[command(
    version,
    verbatim_doc_comment,
    next_line_help = true,
    after_help = "\
Scenarios (--scenario <RULES>, or a /scenario/<RULES> prefix on BOOK_STAND_IN):
  <RULES> is a comma-separated list of rules, each of them one of
    [SERVICE.]latency=DURATION
    [SERVICE.]latency=DURATION..DURATION
    [SERVICE.]fail=FAILURE
    hn.fail=null         every Hacker News item answers null
    hn.fail-at=N         the Nth Hacker News request answers 500
    hn.fail-every=N      so does every Nth
  where SERVICE is github, ipify, ip-api or hn (none: all four), and
  DURATION is like 200ms or 1.5s (at most 60s), or 0. A rule naming a
  service wins over one for all four, and a request's prefix wins over
  these options. fail-at and fail-every count from the stand-in's start,
  for each prefix apart.

  GET /stand-in/stats answers how many requests came, and how many were
  in flight at most; ?reset starts the counts afresh.

  A slow ipify and a broken ip-api for one run of a listing:
    BOOK_STAND_IN=http://127.0.0.1:8000/scenario/ipify.latency=2s,ip-api.fail=500

The book's Appendix B, \"The stand-in services\", explains it all."
)]
struct Options {
    /// Address to listen on. The loopback default keeps the stand-in
    /// private to this machine
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        verbatim_doc_comment
    )]
    bind: IpAddr,

    /// Port to listen on; 0 picks a free one
    #[arg(long, short, default_value_t = 8000, verbatim_doc_comment)]
    port: u16,

    /// How long every answer waits: fixed (200ms, 1.5s), random in a
    /// range (100ms..300ms), or 0 for no wait. The default is about
    /// what the real services take
    #[arg(long, default_value = "100ms..300ms", verbatim_doc_comment)]
    latency: Latency,

    /// How every answer fails: none, 500, 429, rate-limit, malformed,
    /// missing-key, cut (the connection drops mid-body) or hang (the
    /// body never ends)
    #[arg(
        long,
        value_name = "FAILURE",
        default_value = "none",
        value_parser = parse_fail_option,
        verbatim_doc_comment
    )]
    fail: FailOption,

    /// More rules for this run, in the scenario syntax below; they win
    /// over the two options above
    #[arg(long, value_name = "RULES", verbatim_doc_comment)]
    scenario: Option<Scenario>,
}

/// `--fail`'s value. A field of type `Option<Failure>` would make clap treat the option as
/// optional instead, and `none` is a value here, not a missing option.
#[derive(Clone, Copy, Debug)]
struct FailOption(Option<Failure>);

fn parse_fail_option(text: &str) -> Result<FailOption, ScenarioError> {
    // `--fail` is for every service, and `null` is for Hacker News only: the scenario says
    // how to write it instead.
    if text == Failure::NullItem.name() {
        return format!("fail={text}")
            .parse::<Scenario>()
            .map(|_| FailOption(None));
    }
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
    let server = stand_in::spawn(Config {
        addr,
        scenario,
        ..Config::default()
    })
    .await
    .map_err(|error| cannot_listen(addr, &error))?;
    // Listen for Ctrl-C before the banner asks for it, so that an early one is not missed
    // (until then, Ctrl-C would end the process at once, without a clean shutdown).
    let stop = StopSignals::listen().map_err(|error| format!("cannot wait for Ctrl-C: {error}"))?;
    print_how_to_use(&server, &options.latency, options.fail.0);

    let signal = stop
        .received()
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
    // The hint goes on a line of its own, so that the message stays readable in a
    // terminal (and in the book, which shows it).
    let hint = match error.kind() {
        io::ErrorKind::AddrInUse => {
            "\nstand-in: is another stand-in already running? Choose another port with --port."
        }
        io::ErrorKind::PermissionDenied => {
            "\nstand-in: ports below 1024 need privileges; use --port 8000."
        }
        io::ErrorKind::AddrNotAvailable => {
            "\nstand-in: that address is not one of this machine's; try --bind 127.0.0.1."
        }
        _ => "",
    };
    format!("cannot listen on {addr}: {error}{hint}")
}

fn print_how_to_use(server: &StandIn, latency: &Latency, failure: Option<Failure>) {
    let base_url = server.base_url();
    // Short lines: the book shows this text (Appendix B). `ci/copy-ready` reads the address
    // from the line that says `answering at`.
    println!("stand-in: answering at {base_url}");
    println!("stand-in: as GitHub's events API, ipify, ip-api and Hacker News");
    println!(
        "stand-in: every answer: latency {latency}, fail={}",
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

/// Ctrl-C, or the SIGTERM that `kill` and CI runners send. Listening starts when this is
/// made: from then on such a signal is caught and queued instead of ending the process.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// Waits for the first stop signal and names it.
    #[cfg(unix)]
    async fn received(mut self) -> io::Result<&'static str> {
        tokio::select! {
            _ = self.interrupt.recv() => Ok("Ctrl-C"),
            _ = self.terminate.recv() => Ok("SIGTERM"),
        }
    }

    /// Waits for Ctrl-C. Elsewhere than Unix, Tokio only offers a future that starts
    /// listening when it is first polled.
    #[cfg(not(unix))]
    async fn received(self) -> io::Result<&'static str> {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}
