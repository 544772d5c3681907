// A logger task's loop: it takes log lines from a channel and writes them in
// batches, and reports every 1.7 s, both in one `select!`. The batch's future
// takes a line and then waits for more. When the report's tick wins,
// `select!` drops that future, and the line it took goes with it: asyncio's
// coroutine cancelled after `line = await queue.get()`, before it writes.
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{self, Instant, sleep, sleep_until};

/// The walk sends this many log lines, one every SEND_EVERY.
const LINES: u32 = 6;
const SEND_EVERY: Duration = Duration::from_millis(500);
/// After the first line of a batch, how long to wait for more.
const BATCH_WINDOW: Duration = Duration::from_millis(700);
const REPORT_EVERY: Duration = Duration::from_millis(1700);

/// Waits for a line, then BATCH_WINDOW more, and takes the lines that came
/// meanwhile. `None` once the channel is closed and empty.
async fn next_batch(lines: &mut mpsc::Receiver<String>) -> Option<Vec<String>> {
    let first = lines.recv().await?;
    // The line is out of the channel and in this future: dropped during this
    // sleep, the future drops it too.
    sleep(BATCH_WINDOW).await;
    let mut batch = vec![first];
    while let Ok(line) = lines.try_recv() {
        batch.push(line);
    }
    Some(batch)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    let (sender, mut lines) = mpsc::channel(100);
    // Stands in for the walk, logging as it goes, on a fixed schedule.
    let walk = tokio::spawn(async move {
        for n in 1..=LINES {
            sleep_until(start + SEND_EVERY * n).await;
            let line = format!("line {n}");
            sender
                .send(line)
                .await
                .expect("the logger outlives the walk");
        }
        LINES
        // `sender` is dropped here, which closes the channel.
    });

    let mut written: Vec<String> = Vec::new();
    let mut report = time::interval_at(start + REPORT_EVERY, REPORT_EVERY);
    loop {
        tokio::select! {
            _ = report.tick() => {
                let ms = start.elapsed().as_millis();
                println!("{ms} ms: {} lines written so far", written.len());
            }
            // A new `next_batch` future on every turn of the loop.
            batch = next_batch(&mut lines) => {
                let Some(batch) = batch else { break };
                let ms = start.elapsed().as_millis();
                println!("{ms} ms: wrote {}", batch.join(", "));
                written.extend(batch);
            }
        }
    }

    let sent = walk.await.expect("the walk does not panic");
    let lost: Vec<String> = (1..=sent)
        .map(|n| format!("line {n}"))
        .filter(|line| !written.contains(line))
        .collect();
    let lost = if lost.is_empty() {
        "none".to_owned()
    } else {
        lost.join(", ")
    };
    println!("Sent {sent} lines, wrote {}; lost: {lost}", written.len());
}
