//! What the generated receiver promises about deliveries, on 127.0.0.1: how large a delivery may
//! be.

use std::time::Duration;

use msgraph_calls::runtime::auth::InboundAuth;
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::types::CommsNotification;
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use tests::fixtures::serve;
use tests::http::{Answer, post};
use tokio::sync::mpsc;

/// What the handler saw: the change type and the notification's `resourceUrl`.
type Seen = (&'static str, String);

/// A handler that reports every notification it is given.
struct Recording(mpsc::UnboundedSender<Seen>);

impl Recording {
    fn record(&self, change: &'static str, notification: &CommsNotification) {
        let url = notification.resource_url.clone().unwrap_or_default();
        let _ = self.0.send((change, url));
    }
}

impl CommsNotificationsHandler for Recording {
    async fn created(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.record("created", &notification);
    }

    async fn updated(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.record("updated", &notification);
    }

    async fn deleted(&self, _delivery: &Delivery, notification: CommsNotification) {
        self.record("deleted", &notification);
    }
}

/// A receiver for `handler` on 127.0.0.1 without authentication (it is not what these tests
/// test), and its webhook URL.
async fn start<H: CommsNotificationsHandler>(
    configure: impl FnOnce(CommsNotificationsReceiver<H>) -> CommsNotificationsReceiver<H>,
    handler: H,
) -> String {
    let auth = InboundAuth::insecure_disabled_for_local_development_only();
    let receiver = configure(CommsNotificationsReceiver::new(handler, auth));
    format!("{}/api/calls", serve(receiver.into_router()).await)
}

/// Posts `body` as JSON to `url` with the extra `headers`.
async fn deliver(url: &str, headers: &[(&str, &str)], body: impl Into<String>) -> Answer {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    post(url, &all, body.into()).await
}

/// The resource URL of call `call`.
fn call_url(call: usize) -> String {
    format!("/communications/calls/call-{call}")
}

/// One `updated` notification of `call`, padded with `padding` bytes of subject.
fn updated(call: usize, sequence: usize, padding: usize) -> serde_json::Value {
    serde_json::json!({
        "changeType": "updated",
        "resourceUrl": call_url(call),
        "resourceData": {"sequence": sequence, "subject": "x".repeat(padding)},
    })
}

/// A delivery of `notifications`.
fn body(notifications: Vec<serde_json::Value>) -> String {
    serde_json::json!({ "value": notifications }).to_string()
}

/// Waits for the next thing the handler saw.
async fn next(seen: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("the handler is called within 10 s")
        .expect("the handler channel is open")
}

#[tokio::test]
async fn a_1_mib_batch_is_accepted_and_a_5_mib_delivery_gets_413() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let url = start(|receiver| receiver, Recording(tx)).await;

    let batch = body((0..256).map(|i| updated(i % 8, i, 4096)).collect());
    assert!(batch.len() > 1024 * 1024, "{} bytes", batch.len());
    let answer = deliver(&url, &[], batch).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    for _ in 0..256 {
        assert_eq!(next(&mut seen).await.0, "updated");
    }

    // Exactly 5 MiB: the receiver reads it all before it answers, so the answer is read too.
    let padding = 5 * 1024 * 1024 - body(vec![updated(0, 0, 0)]).len();
    let huge = body(vec![updated(0, 0, padding)]);
    assert_eq!(huge.len(), 5 * 1024 * 1024);
    let answer = deliver(&url, &[], huge).await;
    answer.assert_graph_error(413, "RequestEntityTooLarge");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(seen.try_recv().is_err(), "the handler was called");
}
