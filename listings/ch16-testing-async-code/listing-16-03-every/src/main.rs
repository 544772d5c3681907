// Chapter 11's periodic work, shaped for tests: `every` keeps the beat and
// stops when told, and is given the work and the signal to stop; `main` gives
// it a check of the public address, and Ctrl-C.
use std::pin::pin;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use tokio::time::{MissedTickBehavior, interval};

// The client's own deadlines, for every request whoever waits for it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often to check.
const PERIOD: Duration = Duration::from_secs(5);

/// Runs `work(1)`, `work(2)`, ... a `period` apart, start to start, until
/// `stop` completes, and returns how many runs it started. A run still going
/// then is dropped, which cancels it. After a run longer than a period, the
/// next starts at once and the ticks it missed are skipped: no burst of runs.
async fn every<W, F>(period: Duration, stop: impl Future<Output = ()>, mut work: W) -> u64
where
    W: FnMut(u64) -> F,
    F: Future<Output = ()>,
{
    let mut ticks = interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut stop = pin!(stop);
    let mut runs = 0;
    loop {
        tokio::select! {
            biased;
            () = &mut stop => return runs,
            _ = ticks.tick() => {}
        }
        runs += 1;
        tokio::select! {
            biased;
            () = &mut stop => return runs,
            () = work(runs) => {}
        }
    }
}

async fn ask(client: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let answer = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    let ip = answer["ip"]
        .as_str()
        .context("no \"ip\" key in the answer")?;
    Ok(ip.to_owned())
}

async fn print_address(client: &reqwest::Client, url: &str, run: u64) {
    match ask(client, url).await {
        Ok(ip) => println!("Check {run}: {ip}"),
        Err(error) => println!("Check {run} failed: {error:#}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let url = endpoint("https://api.ipify.org?format=json");
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("Cannot wait for Ctrl-C ({error}), so stopping now");
        }
    };
    let runs = every(PERIOD, ctrl_c, |run| print_address(&client, &url, run)).await;
    println!("Stopped; checks started: {runs}");
    Ok(())
}

// The book's offline switch, BOOK_STAND_IN: see Appendix B, "The switch".
fn endpoint(real: &str) -> String {
    let url = reqwest::Url::parse(real).expect("the listing's URLs are valid");
    match (std::env::var("BOOK_STAND_IN"), url.host_str()) {
        (
            Ok(stand_in),
            Some("api.github.com" | "api.ipify.org" | "ip-api.com" | "hacker-news.firebaseio.com"),
        ) => {
            let query = url.query().map_or(String::new(), |q| format!("?{q}"));
            format!("{}{}{query}", stand_in.trim_end_matches('/'), url.path())
        }
        _ => real.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::{mpsc, oneshot};
    use tokio::time::{Instant, advance, sleep};

    const FIVE_SECONDS: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn runs_start_a_period_apart_until_stopped() {
        let start = Instant::now();
        let mut starts = Vec::new();
        let stop = sleep(Duration::from_secs(12));
        let runs = every(FIVE_SECONDS, stop, |_| {
            starts.push(start.elapsed().as_secs_f64());
            sleep(Duration::from_millis(200))
        })
        .await;
        assert_eq!(runs, 3);
        assert_eq!(starts, [0.0, 5.0, 10.0]);
        assert_eq!(start.elapsed(), Duration::from_secs(12));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_run_is_followed_by_one_run_not_a_burst() {
        let start = Instant::now();
        let mut starts = Vec::new();
        let stop = sleep(Duration::from_secs(21));
        every(FIVE_SECONDS, stop, |run| {
            starts.push(start.elapsed().as_secs_f64());
            // The second run takes 12 s, past the ticks due at 10 and 15 s.
            sleep(Duration::from_secs(if run == 2 { 12 } else { 1 }))
        })
        .await;
        assert_eq!(starts, [0.0, 5.0, 17.0, 20.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_cancels_the_run_in_flight() {
        let (alive, mut run_1) = oneshot::channel::<()>();
        let mut alive = Some(alive);
        let start = Instant::now();
        let stop = sleep(Duration::from_secs(3));
        let runs = every(FIVE_SECONDS, stop, |_| {
            let alive = alive.take();
            async move {
                let _alive = alive; // dropped when this run ends, or is dropped
                sleep(Duration::from_secs(10)).await;
            }
        })
        .await;
        assert_eq!(runs, 1);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // Dropped, not finished, before `every` returned: no need to wait.
        assert_eq!(run_1.try_recv(), Err(oneshot::error::TryRecvError::Closed));
    }

    #[tokio::test(start_paused = true)]
    async fn a_clock_that_jumps_ahead() {
        let start = Instant::now();
        let (sender, mut runs) = mpsc::unbounded_channel();
        let task = tokio::spawn(every(FIVE_SECONDS, std::future::pending(), move |run| {
            let _ = sender.send((run, start.elapsed()));
            std::future::ready(())
        }));
        // Wait for what the task does, not for time: `recv` returns when it has.
        assert_eq!(runs.recv().await, Some((1, Duration::ZERO)));
        // As if the machine had slept for 12 s: the ticks due at 5 and 10 s are
        // late. `advance` returns before the task has run again.
        advance(Duration::from_secs(12)).await;
        assert_eq!(runs.recv().await, Some((2, Duration::from_secs(12))));
        assert_eq!(runs.recv().await, Some((3, Duration::from_secs(15))));
        task.abort();
    }
}
