// The same race between two spawned tasks, like the asyncio Tasks that
// `asyncio.wait` makes: the loser's JoinHandle is dropped, the task is not.
use std::time::Duration;

use tokio::task::JoinError;
use tokio::time::{Instant, sleep};

/// Stands for an open connection; says so when it is dropped.
struct Connection {
    service: &'static str,
}

impl Drop for Connection {
    fn drop(&mut self) {
        println!("{}: connection closed", self.service);
    }
}

// Two steps this time, each ending at an `.await`: connecting, then waiting
// for the answer.
async fn fetch_ip(service: &'static str, latency: Duration, start: Instant) -> &'static str {
    let _connection = Connection { service };
    println!("{service}: request sent");
    sleep(latency).await;
    println!("{service}: connected at {} ms", start.elapsed().as_millis());
    sleep(latency).await;
    println!(
        "{service}: answer received at {} ms",
        start.elapsed().as_millis()
    );
    service
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), JoinError> {
    let start = Instant::now();
    // Like `asyncio.create_task`: both start running as soon as main yields.
    let ipify = tokio::spawn(fetch_ip("ipify", Duration::from_millis(50), start));
    let ip_api = tokio::spawn(fetch_ip("ip-api", Duration::from_millis(200), start));

    // Awaiting a JoinHandle gives the task's output, or a JoinError if the
    // task panicked or was cancelled (aborted, or dropped by a runtime that
    // shut down). The losing handle is dropped here; that detaches its task.
    let winner = tokio::select! {
        biased;
        service = ipify => service?,
        service = ip_api => service?,
    };
    println!("{winner} won at {} ms", start.elapsed().as_millis());

    // Other work, long enough for the detached task to take its next step.
    sleep(Duration::from_millis(200)).await;
    println!("main: returning at {} ms", start.elapsed().as_millis());
    // Returning ends the runtime, which drops the tasks still pending.
    Ok(())
}
