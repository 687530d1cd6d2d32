//! What a load run reads of the simulator (`GET /_sim/stats`): how many calls were placed and
//! rejected since it started, and the time from placement to reject in a histogram of 1 ms buckets
//! up to a minute. Its size is fixed however many calls pass, so a long run holds no more than a
//! short one; the calls themselves are freed after their retention.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The histogram's last bucket holds every reject slower than this.
const HISTOGRAM_SPAN_MS: usize = 60_000;

/// The counts since the simulator started.
#[derive(Default)]
pub(crate) struct Stats {
    placed: AtomicU64,
    rejects: Mutex<Rejects>,
}

/// The rejects counted: how many, the slowest, and how many took each millisecond.
#[derive(Default)]
struct Rejects {
    count: u64,
    slowest: Duration,
    /// `by_ms[n]`: rejects that came `n` to `n + 1` ms after placement; allocated at the first.
    by_ms: Vec<u32>,
}

impl Stats {
    /// Counts a placed call.
    pub(crate) fn placed(&self) {
        self.placed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reject that came `after` the call was placed.
    pub(crate) fn rejected(&self, after: Duration) {
        let mut rejects = self
            .rejects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if rejects.by_ms.is_empty() {
            rejects.by_ms = vec![0; HISTOGRAM_SPAN_MS + 1];
        }
        let bucket = usize::try_from(after.as_millis())
            .map_or(HISTOGRAM_SPAN_MS, |ms| ms.min(HISTOGRAM_SPAN_MS));
        rejects.by_ms[bucket] = rejects.by_ms[bucket].saturating_add(1);
        rejects.count += 1;
        rejects.slowest = rejects.slowest.max(after);
    }

    /// The counts as JSON: `placed`, `rejected`, and `rejectedAfterMs` with `p50`, `p99` (the upper
    /// edge of their 1 ms bucket) and `max`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let rejects = self
            .rejects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let quantile = |q: f64| {
            let rank = ((q * rejects.count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            rejects
                .by_ms
                .iter()
                .position(|count| {
                    seen += u64::from(*count);
                    seen >= rank
                })
                .map(|ms| (ms + 1) as f64)
        };
        serde_json::json!({
            "placed": self.placed.load(Ordering::Relaxed),
            "rejected": rejects.count,
            "rejectedAfterMs": {
                "p50": quantile(0.50),
                "p99": quantile(0.99),
                "max": (rejects.count > 0).then(|| rejects.slowest.as_secs_f64() * 1000.0),
            },
        })
    }
}
