//! The decision on an incoming call. Graph gives a bot a window from the incoming-call notification
//! (15 seconds) to answer or reject the call. The handler claims the decision; a receiver given a
//! fallback runs it, once, for a call still undecided shortly before the deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

/// How long after the incoming-call notification a bot may answer or reject the call: 15 seconds,
/// the timeout of Graph's reject and answer pages.
pub const DECISION_WINDOW: Duration = Duration::from_secs(15);

const OPEN: u8 = 0;
const BY_HANDLER: u8 = 1;
const BY_FALLBACK: u8 = 2;

/// Who decided an incoming call, if anyone has.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    state: AtomicU8,
    decided: Notify,
}

impl Decision {
    /// Claims the decision for the handler: `true` unless the fallback took it first.
    pub(crate) fn claim(&self) -> bool {
        match self
            .state
            .compare_exchange(OPEN, BY_HANDLER, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                self.decided.notify_one();
                true
            }
            Err(state) => state == BY_HANDLER,
        }
    }

    /// Claims the decision for the fallback: `true` if nobody had.
    fn claim_for_fallback(&self) -> bool {
        self.state
            .compare_exchange(OPEN, BY_FALLBACK, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// The fallback's callback: decides the call whose id it is given.
pub(crate) type Decide = dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// What decides an incoming call the handler left undecided, and how long before the deadline.
#[derive(Clone)]
pub(crate) struct Fallback {
    pub(crate) margin: Duration,
    pub(crate) decide: Arc<Decide>,
}

impl Fallback {
    /// Waits, on a task of `tracker`, until `margin` before `deadline` or until the handler claims
    /// `decision`; then, if nobody has, runs the fallback for `call`.
    pub(crate) fn watch(
        &self,
        tracker: &TaskTracker,
        decision: Arc<Decision>,
        call: String,
        deadline: Instant,
    ) {
        let at = deadline
            .checked_sub(self.margin)
            .unwrap_or_else(Instant::now);
        let decide = self.decide.clone();
        tracker.spawn(async move {
            let at = tokio::time::Instant::from_std(at);
            let _ = tokio::time::timeout_at(at, decision.decided.notified()).await;
            if decision.claim_for_fallback() {
                tracing::info!(call_id = %call, "the incoming call is undecided near its deadline; the fallback decides");
                decide(call).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Decision;

    #[test]
    fn the_first_claim_wins_and_the_handler_may_claim_again() {
        let decision = Decision::default();
        assert!(decision.claim());
        assert!(decision.claim(), "the handler already holds it");
        assert!(!decision.claim_for_fallback());

        let decision = Decision::default();
        assert!(decision.claim_for_fallback());
        assert!(!decision.claim(), "the fallback took it");
        assert!(!decision.claim_for_fallback(), "the fallback runs once");
    }
}
