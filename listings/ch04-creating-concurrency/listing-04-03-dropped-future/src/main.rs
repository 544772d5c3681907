// The race of example 2b, with timers in place of the network and a value that
// reports when it is dropped: what happens to the future that loses?
use std::time::Duration;

use tokio::time::{Instant, sleep};

/// Stands for an open connection. Its destructor runs when it goes out of
/// scope, whether its owner finished or was cancelled, like a `finally:` block.
struct Connection {
    service: &'static str,
}

impl Drop for Connection {
    fn drop(&mut self) {
        println!("{}: connection closed", self.service);
    }
}

async fn fetch_ip(service: &'static str, latency: Duration, start: Instant) -> &'static str {
    let _connection = Connection { service };
    println!("{service}: request sent");
    sleep(latency).await;
    // The loser never gets here.
    println!(
        "{service}: answer received at {} ms",
        start.elapsed().as_millis()
    );
    service
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    let winner = tokio::select! {
        biased;
        service = fetch_ip("ipify", Duration::from_millis(100), start) => service,
        service = fetch_ip("ip-api", Duration::from_millis(300), start) => service,
    };
    // By now `select!` has dropped the ip-api future, in the middle of its sleep.
    println!("{winner} won at {} ms", start.elapsed().as_millis());

    // Wait past the moment ip-api would have answered: nothing more happens.
    sleep(Duration::from_millis(400)).await;
    println!("main: done at {} ms", start.elapsed().as_millis());
}
