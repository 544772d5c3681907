// The threads variant of example 1c: blocking work moved off the thread
// that drives the futures.
use std::error::Error;
use std::thread;
use std::time::Duration;

use futures::future::try_join_all;
use tokio::task::spawn_blocking;

/// Ordinary blocking code, such as a library call that has no async version.
fn blocking_task(pid: u32) {
    let delay = Duration::from_millis(rand::random_range(0..=2) * 10);
    thread::sleep(delay);
    println!("Task {pid} done");
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("Synchronous:");
    for pid in 1..10 {
        blocking_task(pid);
    }

    println!("Asynchronous threads:");
    // Plain threads, one per task; the scope waits for all of them.
    thread::scope(|scope| {
        for pid in 1..10 {
            scope.spawn(move || blocking_task(pid));
        }
    });

    println!("Asynchronous using coroutines:");
    // Tokio keeps a separate pool for blocking work; we cap it at 8 threads,
    // like the article's `ThreadPoolExecutor(max_workers=8)`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(8)
        .build()?;
    runtime.block_on(async {
        // The counterpart of `loop.run_in_executor(executor, blocking_task, pid)`.
        let handles = (1..10).map(|pid| spawn_blocking(move || blocking_task(pid)));
        // A task that panicked comes back as a JoinError, which `?` passes on.
        try_join_all(handles).await?;
        Ok(())
    })
}
