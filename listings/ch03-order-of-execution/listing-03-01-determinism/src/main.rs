// Example 1c of the article: the same nine tasks, awaited one after another
// and then all at once.
use std::time::Duration;

use futures::future::join_all;
use tokio::time::sleep;

async fn task(pid: u32) {
    // The article sleeps 0, 1 or 2 ms. Tokio's timer counts whole
    // milliseconds, so we spread the delays ten times wider to make the
    // shuffle plain to see.
    let delay = Duration::from_millis(rand::random_range(0..=2) * 10);
    sleep(delay).await;
    println!("Task {pid} done");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("Synchronous:");
    for pid in 1..10 {
        // Each `.await` finishes before the loop moves on.
        task(pid).await;
    }

    println!("Asynchronous:");
    // The counterpart of `asyncio.gather(*tasks)`: all nine wait at once,
    // so they finish in the order their timers fire.
    join_all((1..10).map(task)).await;
}
