// Not in the article: the same two-step futures, joined four ways, to show
// which of them keep asyncio's "first in, first polled" order.
use tokio::task::yield_now;

/// Prints, yields to the executor once, and prints again.
async fn two_steps(name: &str) {
    println!("  {name}: first poll");
    yield_now().await;
    println!("  {name}: second poll");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("futures::join! polls in the order written:");
    futures::join!(two_steps("a"), two_steps("b"));

    println!("tokio::join! starts each poll at the next branch:");
    tokio::join!(two_steps("a"), two_steps("b"));

    println!("tokio::join! with biased; polls in the order written:");
    tokio::join!(biased; two_steps("a"), two_steps("b"));

    println!("tokio::spawn hands both to the scheduler:");
    let a = tokio::spawn(two_steps("a"));
    let b = tokio::spawn(two_steps("b"));
    // An Err here means the task panicked or was aborted (nothing aborts
    // these); say so and move on.
    for (name, handle) in [("a", a), ("b", b)] {
        if let Err(error) = handle.await {
            eprintln!("task {name} failed: {error}");
        }
    }
}
