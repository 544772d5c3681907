// The article's list of future states, for tasks: asyncio's `task.done()`,
// `task.cancel()` and `task.cancelled()`, printed as two tasks go through
// them. One task is left to finish; another is aborted halfway.
use std::time::Duration;

use tokio::task::JoinHandle;
// Tokio's Instant follows the runtime's clock, which a test may pause.
use tokio::time::{Instant, sleep};

/// One second of "work", then an answer.
async fn work() -> u32 {
    println!("    the task starts");
    sleep(Duration::from_secs(1)).await;
    println!("    the task ends");
    42
}

/// Prints the time, what just happened, and the task's state as asyncio's
/// `task.done()` would put it: finished means done for any reason, with an
/// output, with a panic, or cancelled.
fn show<T>(start: Instant, event: &str, task: &JoinHandle<T>) {
    let state = if task.is_finished() {
        "finished"
    } else {
        "pending"
    };
    let at = start.elapsed().as_secs_f64();
    println!("  {at:.1} s, {event}: {state}");
}

/// Awaits a task and says how it ended.
async fn outcome(task: JoinHandle<u32>) {
    match task.await {
        Ok(answer) => println!("  awaited: Ok({answer})"),
        Err(error) if error.is_cancelled() => println!("  awaited: Err(JoinError), cancelled"),
        Err(error) => println!("  awaited: Err(JoinError), {error}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();

    println!("A task left to finish:");
    let task = tokio::spawn(work());
    show(start, "spawned", &task);
    // main's sleep hands the runtime control for the first time: it starts the task.
    sleep(Duration::from_millis(500)).await;
    show(start, "main woke up", &task);
    sleep(Duration::from_secs(1)).await;
    show(start, "main woke up", &task);
    // The output waits in the handle until someone takes it with `.await`.
    outcome(task).await;

    println!("A task that is aborted:");
    let task = tokio::spawn(work());
    sleep(Duration::from_millis(500)).await;
    show(start, "main woke up", &task);
    // Like asyncio's `task.cancel()`: a request that the runtime carries out on
    // its next turn, by dropping the task's future where it waits.
    task.abort();
    show(start, "abort() called", &task);
    tokio::task::yield_now().await;
    show(start, "after one yield", &task);
    outcome(task).await;
}
