// The threads variant of example 1c: nine blocking tasks, run one after
// another, then handed from async code to a pool of 8 threads (asyncio's
// `loop.run_in_executor`), then rewritten as coroutines that await a timer.
use std::error::Error;
use std::thread;
use std::time::Duration;

use futures::future::{join_all, try_join_all};
use tokio::task::spawn_blocking;
use tokio::time::sleep;

/// A random 0, 10 or 20 ms (the article's 0, 1 or 2 ms, spread as in 3-1).
fn random_delay() -> Duration {
    Duration::from_millis(rand::random_range(0..=2) * 10)
}

/// Ordinary blocking code, such as a library call that has no async version.
fn blocking_task(pid: u32) {
    thread::sleep(random_delay());
    println!("Task {pid} done");
}

/// The same task as a coroutine: it awaits a timer instead of holding the thread.
async fn task_coro(pid: u32) {
    sleep(random_delay()).await;
    println!("Task {pid} done");
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("Synchronous:");
    for pid in 1..10 {
        blocking_task(pid);
    }

    // One runtime for both asynchronous sections, as the article uses one
    // event loop. Its blocking pool is capped at 8 threads, like
    // `ThreadPoolExecutor(8)`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .max_blocking_threads(8)
        .build()?;

    println!("Asynchronous threads:");
    runtime.block_on(async {
        // Like `loop.run_in_executor(executor, task, pid)`: each call runs on
        // a pool thread, and its JoinHandle is a future that awaits the result.
        // At most eight run at once; the ninth may wait for a free thread.
        let handles = (1..10).map(|pid| spawn_blocking(move || blocking_task(pid)));
        // If a closure panics, its handle gives a JoinError: `try_join_all`
        // stops there, and `?` passes it on.
        try_join_all(handles).await
    })?;

    println!("Asynchronous using coroutines:");
    // No threads at all: the nine timers wait together on this one thread.
    runtime.block_on(join_all((1..10).map(task_coro)));
    Ok(())
}
