// Not in the article: what goes wrong when a future blocks the thread
// instead of awaiting.
use std::time::Duration;

use futures::future::join_all;

async fn task(pid: u32) {
    let delay = Duration::from_millis(rand::random_range(0..=2) * 10);
    // A mistake on purpose: std::thread::sleep blocks the whole thread, and
    // with it every other future this runtime could be running.
    std::thread::sleep(delay);
    println!("Task {pid} done");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("Asynchronous, but blocking:");
    // Nothing here ever yields, so the tasks run strictly one after another,
    // whatever their delays: this prints 1 to 9 in order, every time.
    join_all((1..10).map(task)).await;
}
