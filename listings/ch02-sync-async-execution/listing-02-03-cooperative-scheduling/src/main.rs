// Example 1b of the article: two futures wait on a timer while a third one
// gets its work done.
use std::time::Duration;

// Tokio's Instant rather than std's: it follows Tokio's clock, which tests
// can pause and move forward without waiting.
use tokio::time::{Instant, sleep};

/// Seconds since `start`, the way the article's `time.time() - start` is used.
fn since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

async fn gr1(start: Instant) {
    println!("gr1 started work: at {:.1} seconds", since(start));
    // Like `await asyncio.sleep(2)`: this future is parked, the thread is not.
    sleep(Duration::from_secs(2)).await;
    println!("gr1 ended work: at {:.1} seconds", since(start));
}

async fn gr2(start: Instant) {
    println!("gr2 started work: at {:.1} seconds", since(start));
    sleep(Duration::from_secs(2)).await;
    println!("gr2 ended work: at {:.1} seconds", since(start));
}

async fn gr3(start: Instant) {
    println!(
        "Let's do some stuff while the coroutines are blocked, at {:.1} seconds",
        since(start)
    );
    sleep(Duration::from_secs(1)).await;
    println!("Done!");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    futures::join!(gr1(start), gr2(start), gr3(start));
}
