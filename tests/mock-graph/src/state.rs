//! The simulator's calls, kept in memory. The lock is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::delivery::Job;

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CallState {
    /// Ringing: the bot may answer or reject it.
    Incoming,
    /// Answered.
    Established,
    /// Rejected, or timed out.
    Terminated,
}

/// The protocol a notification was sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Protocol {
    /// The Graph protocol: a `commsNotifications` body.
    Graph,
    /// The legacy format of a call's first notification, which a bot answers with `204 No Content`
    /// to have it sent again in the Graph protocol.
    Legacy,
}

/// One notification the simulator delivered, or tried to.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// The change type of the first notification in the body (`created`, `updated`, `deleted`).
    pub change_type: String,
    /// The `resourceUrl` (legacy: `resource`) of the first notification in the body.
    pub resource_url: Option<String>,
    /// The protocol of the body.
    pub protocol: Protocol,
    /// `X-Microsoft-Skype-Message-ID`: the same for every attempt of this delivery.
    pub message_id: String,
    /// The faults injected into this delivery: `duplicate` (a second send of the delivery before,
    /// under its message id), `heldBack` (sent after the call's next notification, or late),
    /// `delayed`.
    pub faults: Vec<&'static str>,
    /// The URL it was posted to.
    pub url: String,
    /// Where the last attempt was answered, if redirects led elsewhere.
    pub redirected_to: Option<String>,
    /// A redirect target that was refused (it fails the rule callbacks must pass, or is one
    /// redirect too many): nothing was sent there, and the delivery failed.
    pub refused_redirect: Option<String>,
    /// The status of each attempt; `null` where no answer came (refused connection, timeout).
    pub attempts: Vec<Option<u16>>,
    /// The status of the last attempt.
    pub status: Option<u16>,
    /// Why the last attempt failed, if it got no answer.
    pub error: Option<String>,
    /// Whether the delivery is finished (answered with 2xx, refused with 4xx, out of attempts, or
    /// redirected to a refused target).
    pub done: bool,
    /// The body that was posted.
    pub payload: serde_json::Value,
}

/// A call's deliveries waiting to be sent, in order, and those held back by a fault.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// Deliveries to send, first in front.
    pub(crate) jobs: VecDeque<Job>,
    /// Whether a task is sending them.
    pub(crate) running: bool,
    /// A delivery (and its duplicate) held back, to go after the call's next notification.
    pub(crate) held: Vec<Job>,
}

impl Queue {
    /// Whether nothing is waiting, held back or being sent.
    pub(crate) fn idle(&self) -> bool {
        !self.running && self.jobs.is_empty() && self.held.is_empty()
    }
}

/// One simulated call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) state: CallState,
    pub(crate) reject_reason: Option<String>,
    /// Where the call's notifications go: the bot's webhook, or the `callbackUri` of a reject.
    pub(crate) callback: String,
    pub(crate) tenant_id: String,
    /// The `Scenario-ID` of every delivery of this call.
    pub(crate) scenario_id: String,
    /// The caller's `identitySet`, for roster updates.
    pub(crate) caller: serde_json::Value,
    /// The sequence number of the last roster update.
    pub(crate) roster_sequence: u64,
    /// Whether a notification was queued for this call yet.
    pub(crate) notified: bool,
    pub(crate) rang_at: Instant,
    /// When the bot rejected the call, if it did.
    pub(crate) rejected_at: Option<Instant>,
    pub(crate) deliveries: Vec<DeliveryRecord>,
    pub(crate) queue: Queue,
}

/// Every call, by id.
#[derive(Default)]
pub(crate) struct Calls {
    calls: Mutex<HashMap<String, Call>>,
}

impl Calls {
    /// Runs `f` on the calls.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Call>) -> R) -> R {
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut calls)
    }
}
