// Example 3c with a panic instead of an error, for asyncio's "Task exception
// was never retrieved" and `future.result()` re-raising: two tasks that panic.
// Nobody awaits the first one's handle, so only the panic hook reports it and
// main goes on. The second one's handle is awaited, and its panic comes back
// to main as a JoinError.
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::{Instant, sleep};

/// Waits as a request would, then takes the address under `key`, sure that
/// it is there: if it is not, the task panics.
async fn read_ip(answer: Value, key: &'static str) -> String {
    sleep(Duration::from_millis(100)).await;
    match answer[key].as_str() {
        Some(ip) => ip.to_owned(),
        None => panic!("the answer has no {key} key"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    let answer = json!({ "ip": "203.0.113.7" });

    // Spawned, and its handle dropped on the spot: the task runs on, but
    // nobody can ever learn how it ended.
    let ignored = tokio::spawn(read_ip(answer.clone(), "this-is-not-an-attr"));
    drop(ignored);

    // main's own work, during which the task above panics.
    sleep(Duration::from_millis(200)).await;
    println!(
        "main goes on at {:.1} seconds",
        start.elapsed().as_secs_f64()
    );

    let awaited = tokio::spawn(read_ip(answer, "this-is-not-an-attr"));
    match awaited.await {
        Ok(ip) => println!("the task returned {ip}"),
        Err(error) if error.is_panic() => {
            println!("awaiting the task gave: {error}");
            // The payload is what was passed to panic!: a String when the
            // message was formatted, a &'static str when it was a literal.
            let payload = error.into_panic();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(not a string)");
            println!("its panic message: {message}");
        }
        Err(error) => println!("the task was cancelled: {error}"),
    }
    println!("main ends at {:.1} seconds", start.elapsed().as_secs_f64());
}
