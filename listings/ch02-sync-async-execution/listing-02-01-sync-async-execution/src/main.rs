// Example 1 of the article: two futures take turns on one thread.
use tokio::task::yield_now;

async fn foo() {
    println!("Running in foo");
    // The counterpart of `await asyncio.sleep(0)`: give the executor one
    // chance to run something else before we carry on.
    yield_now().await;
    println!("Explicit context switch to foo again");
}

async fn bar() {
    println!("Explicit context to bar");
    yield_now().await;
    println!("Implicit context switch back to bar");
}

// One thread, like asyncio's event loop.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The counterpart of `asyncio.gather(foo(), bar())`: drive both futures
    // at once, polling them in the order they are written.
    futures::join!(foo(), bar());
}
