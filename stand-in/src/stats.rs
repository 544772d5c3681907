//! What the stand-in has seen: how many requests, how many at once, and a log of each, so
//! that the book's checks can tell how a listing called the services (how many requests it
//! had in flight, when each run started).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::time::Instant;

use crate::scenario::Service;

/// The request log keeps the most recent this many requests, so that a stand-in left
/// running for hours does not grow without bound.
pub const LOG_LIMIT: usize = 100_000;

/// Counts over every service, since the stand-in started or since the last reset.
/// `GET /stand-in/stats` answers them as `{"requests":N,"in_flight":N,"peak_in_flight":N}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests that arrived (`/stand-in/stats` itself is not counted).
    pub requests: usize,
    /// Requests that have arrived and not yet been answered.
    pub in_flight: usize,
    /// The most requests in flight at any one moment.
    pub peak_in_flight: usize,
}

impl Stats {
    pub fn to_json(self) -> String {
        format!(
            r#"{{"requests":{},"in_flight":{},"peak_in_flight":{}}}"#,
            self.requests, self.in_flight, self.peak_in_flight
        )
    }
}

/// One request, as [`crate::StandIn::requests`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The service its path belongs to; `None` for a path no service answers.
    pub service: Option<Service>,
    /// The rules of its `/scenario/` prefix, as written (empty without a prefix).
    pub scenario: String,
    /// The real service's path and query, without the prefix: `/v0/item/8863.json`.
    pub path: String,
    /// The answer's status; `None` while it is in flight, or if the client went away first.
    pub status: Option<u16>,
    /// When it arrived, measured from the stand-in's start.
    pub arrived: Duration,
    /// When the stand-in sent the status and headers (a `cut` or `hang` body goes on after
    /// that), from the stand-in's start; `None` as for `status`.
    pub answered: Option<Duration>,
}

/// The most requests of `records` that were in flight at one moment, each counted from
/// `arrived` to `answered`, both included (a record without `answered` counts as not yet
/// over). So a request answered at once still counts, and two requests of which one
/// arrived exactly when the other was answered overlap.
pub fn peak_in_flight<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> usize {
    // (time, 0 for an arrival or 1 for an answer): at equal times, arrivals first.
    let mut edges: Vec<(Duration, u8)> = Vec::new();
    for record in records {
        edges.push((record.arrived, 0));
        if let Some(answered) = record.answered {
            edges.push((answered, 1));
        }
    }
    edges.sort();
    let (mut now, mut peak) = (0_usize, 0_usize);
    for (_, edge) in edges {
        if edge == 0 {
            now += 1;
            peak = peak.max(now);
        } else {
            now -= 1;
        }
    }
    peak
}

#[derive(Debug)]
pub(crate) struct Tracker {
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stats: Stats,
    log: VecDeque<RequestRecord>,
    /// The sequence number of `log[0]`; requests are numbered from 0 as they arrive.
    first: u64,
}

impl Tracker {
    pub(crate) fn new() -> Arc<Tracker> {
        Arc::new(Tracker {
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The lock is never held across anything that can panic, but a poisoned lock
        // would still hold consistent counts.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request has arrived; the returned guard says when it is answered, or, dropped
    /// without an answer, that the client went away.
    pub(crate) fn arrive(
        self: &Arc<Self>,
        service: Option<Service>,
        scenario: String,
        path: String,
    ) -> InFlight {
        let arrived = self.started.elapsed();
        let mut inner = self.lock();
        inner.stats.requests += 1;
        inner.stats.in_flight += 1;
        inner.stats.peak_in_flight = inner.stats.peak_in_flight.max(inner.stats.in_flight);
        if inner.log.len() == LOG_LIMIT {
            inner.log.pop_front();
            inner.first += 1;
        }
        inner.log.push_back(RequestRecord {
            service,
            scenario,
            path,
            status: None,
            arrived,
            answered: None,
        });
        let number = inner.first + inner.log.len() as u64 - 1;
        InFlight {
            tracker: Arc::clone(self),
            number,
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats
    }

    /// Starts the counts and the log afresh and returns the counts as they were. Requests
    /// still in flight stay counted in `in_flight` (and so in the new peak).
    pub(crate) fn reset(&self) -> Stats {
        let mut inner = self.lock();
        let before = inner.stats;
        inner.stats = Stats {
            requests: 0,
            in_flight: before.in_flight,
            peak_in_flight: before.in_flight,
        };
        inner.first += inner.log.len() as u64;
        inner.log.clear();
        before
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.lock().log.iter().cloned().collect()
    }

    /// The moment `arrived` and `answered` are measured from.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }
}

/// A request in flight; see [`Tracker::arrive`].
#[derive(Debug)]
pub(crate) struct InFlight {
    tracker: Arc<Tracker>,
    number: u64,
}

impl InFlight {
    pub(crate) fn answered(self, status: StatusCode) {
        let answered = self.tracker.started.elapsed();
        let mut inner = self.tracker.lock();
        // Not there any more if the log was reset, or is that far past it.
        if let Some(at) = self.number.checked_sub(inner.first)
            && let Some(record) = usize::try_from(at)
                .ok()
                .and_then(|at| inner.log.get_mut(at))
        {
            record.status = Some(status.as_u16());
            record.answered = Some(answered);
        }
        drop(inner);
        // `Drop` takes it out of `in_flight`.
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.tracker.lock();
        inner.stats.in_flight = inner.stats.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(arrived: u64, answered: Option<u64>) -> RequestRecord {
        RequestRecord {
            service: None,
            scenario: String::new(),
            path: "/".to_owned(),
            status: answered.map(|_| 200),
            arrived: Duration::from_millis(arrived),
            answered: answered.map(Duration::from_millis),
        }
    }

    #[test]
    fn the_peak_of_a_log_counts_overlapping_requests() {
        let peak = |records: &[RequestRecord]| peak_in_flight(records);
        assert_eq!(peak(&[]), 0);
        assert_eq!(peak(&[record(0, Some(0))]), 1);
        let one_after_another = [record(0, Some(10)), record(20, Some(30))];
        assert_eq!(peak(&one_after_another), 1);
        let touching = [record(0, Some(10)), record(10, Some(30))];
        assert_eq!(peak(&touching), 2);
        let nested = [
            record(0, Some(100)),
            record(10, Some(20)),
            record(15, None),
            record(30, Some(40)),
        ];
        assert_eq!(peak(&nested), 3);
    }
}
