// Listing 15-1's logger, fixed: each batch's future is created once and polled
// by every `select!` until it completes, so that when the report's tick wins,
// the batch goes on where it was, with the line it took. asyncio's
// `wait(..., return_when=FIRST_COMPLETED)` works this way by itself: it
// cancels nothing, and a loop hands the pending tasks to the next `wait`.
use std::pin::pin;
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
        // One batch per turn of this loop: its future, pinned, lives until it
        // completes. `select!` gets a `&mut` to it, and when the tick wins,
        // drops only the reference.
        let mut next = pin!(next_batch(&mut lines));
        let batch = loop {
            tokio::select! {
                _ = report.tick() => {
                    let ms = start.elapsed().as_millis();
                    println!("{ms} ms: {} lines written so far", written.len());
                }
                batch = &mut next => break batch,
            }
        };
        let Some(batch) = batch else { break };
        let ms = start.elapsed().as_millis();
        println!("{ms} ms: wrote {}", batch.join(", "));
        written.extend(batch);
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
