//! The receiver's notifications in the order of their call: one worker task per call that has
//! notifications waiting, fed by a channel and ended as soon as that channel is empty, so calls run
//! in parallel and a slow handler of one call never delays another. Every task runs on the
//! receiver's task tracker, and the notifications accepted but not yet handled are counted against
//! a limit.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

/// The handling of one notification, ready to run.
pub(crate) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The call a resource URL is about: `{id}` of `/communications/calls/{id}...`, or of the
/// deprecated `/app/calls/{id}...`.
pub(crate) fn call_id(resource_url: &str) -> Option<&str> {
    let path = resource_url.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .windows(3)
        .find(|w| {
            (w[0].eq_ignore_ascii_case("communications") || w[0].eq_ignore_ascii_case("app"))
                && w[1].eq_ignore_ascii_case("calls")
                && !w[2].is_empty()
        })
        .map(|w| w[2])
}

/// The queues of the calls that have notifications waiting.
pub(crate) struct CallQueues {
    busy: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    pending: Arc<AtomicUsize>,
    limit: usize,
    tracker: TaskTracker,
}

/// The place of one notification among those accepted but not yet handled; given back when
/// dropped, so a job holds it until it has run (or is dropped unrun).
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CallQueues {
    /// Queues that accept at most `limit` notifications not yet handled, and run every task on
    /// `tracker`.
    pub(crate) fn new(limit: usize, tracker: TaskTracker) -> Arc<Self> {
        Arc::new(Self {
            busy: Mutex::default(),
            pending: Arc::default(),
            limit,
            tracker,
        })
    }

    /// The tracker every task runs on.
    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// `count` slots, or `None` if they would take the notifications not yet handled over the
    /// limit.
    pub(crate) fn reserve(&self, count: usize) -> Option<Vec<Slot>> {
        let before = self.pending.fetch_add(count, Ordering::AcqRel);
        if before.saturating_add(count) > self.limit {
            self.pending.fetch_sub(count, Ordering::AcqRel);
            return None;
        }
        Some((0..count).map(|_| Slot(self.pending.clone())).collect())
    }

    /// Runs `job` once the jobs of `call` queued before it have run, or at once on a task of its
    /// own if it belongs to no call.
    pub(crate) fn push(self: &Arc<Self>, call: Option<&str>, job: Job) {
        let Some(call) = call else {
            self.tracker.spawn(job);
            return;
        };
        let mut busy = self.lock();
        let job = match busy.get(call) {
            Some(queue) => match queue.send(job) {
                Ok(()) => return,
                // Its worker is gone (its runtime is shutting down): start another.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        // The receiving end is right here, so this cannot fail.
        let _ = queue.send(job);
        busy.insert(call.to_owned(), queue);
        drop(busy);
        self.tracker.spawn(self.clone().work(call.to_owned(), jobs));
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Job>>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The worker of `call`: runs its jobs in order, each on a task of its own so that a handler
    /// that panics costs only its own notification, and ends when none is left.
    async fn work(self: Arc<Self>, call: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = self.next(&call, &mut jobs) {
            if let Err(err) = self.tracker.spawn(job).await
                && err.is_panic()
            {
                tracing::error!(call_id = %call, "a notification handler panicked");
            }
        }
    }

    /// The next job of `call`; `None` once its queue is empty, and then the call is no longer
    /// busy. Jobs are queued under the lock, so a queue found empty under it stays empty.
    fn next(&self, call: &str, jobs: &mut mpsc::UnboundedReceiver<Job>) -> Option<Job> {
        if let Ok(job) = jobs.try_recv() {
            return Some(job);
        }
        let mut busy = self.lock();
        match jobs.try_recv() {
            Ok(job) => Some(job),
            Err(_) => {
                busy.remove(call);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::call_id;

    #[test]
    fn the_call_id_comes_from_both_paths_and_their_sub_resources() {
        for (url, id) in [
            ("/communications/calls/abc", Some("abc")),
            ("/communications/calls/abc/participants", Some("abc")),
            ("/communications/calls/abc/operations/op-1", Some("abc")),
            ("/app/calls/abc", Some("abc")),
            (
                "https://graph.microsoft.com/v1.0/communications/calls/abc?x=1",
                Some("abc"),
            ),
            ("/communications/calls/", None),
            ("/communications/onlineMeetings/abc", None),
            ("", None),
        ] {
            assert_eq!(call_id(url), id, "{url}");
        }
    }
}
