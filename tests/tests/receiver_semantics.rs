//! What the generated receiver promises about deliveries, on 127.0.0.1: the notifications of one
//! call in the order they were received, calls in parallel, every task on the receiver's task
//! tracker, a delivery sent again handled once, the deadline of an incoming call and the fallback
//! that decides it, how large a delivery may be, the legacy first notification, and redirects.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::Uri;
use msgraph_calls::runtime::auth::InboundAuth;
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::types::{CommsNotification, CommsNotificationResourceData};
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use tests::fixtures::serve;
use tests::http::{Answer, post};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::task::TaskTracker;

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

/// A handler that records `(resourceUrl, sequence)` of every `updated` notification, after a
/// pause of a few random milliseconds; the first notification of the gated call, if any, waits
/// for the gate first.
struct Sequenced {
    seen: mpsc::UnboundedSender<(String, u64)>,
    gate: Option<(String, Arc<Semaphore>)>,
    random: AtomicU64,
}

impl Sequenced {
    fn new(seen: mpsc::UnboundedSender<(String, u64)>) -> Self {
        Self {
            seen,
            gate: None,
            random: AtomicU64::new(0x2545_f491_4f6c_dd1d),
        }
    }

    fn gated(
        seen: mpsc::UnboundedSender<(String, u64)>,
        call: usize,
        gate: Arc<Semaphore>,
    ) -> Self {
        Self {
            gate: Some((call_url(call), gate)),
            ..Self::new(seen)
        }
    }

    /// 0 to 15 ms (longer than a delivery takes on 127.0.0.1), from a xorshift sequence shared by
    /// all notifications.
    fn pause(&self) -> Duration {
        let mut x = self.random.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random.store(x, Ordering::Relaxed);
        Duration::from_millis(x % 16)
    }
}

impl CommsNotificationsHandler for Sequenced {
    async fn updated(&self, _delivery: &Delivery, notification: CommsNotification) {
        let url = notification.resource_url.clone().unwrap_or_default();
        let sequence = notification
            .resource_data
            .as_ref()
            .and_then(|resource| match resource {
                CommsNotificationResourceData::Call(call) => {
                    call.additional_properties.get("sequence")
                }
                // At a URL that is no call's, the same object is a resource of no known kind.
                CommsNotificationResourceData::Unknown(value) => value.get("sequence"),
                _ => None,
            })
            .and_then(|sequence| sequence.as_u64())
            .unwrap_or(u64::MAX);
        if let Some((gated, gate)) = &self.gate
            && *gated == url
            && sequence == 0
        {
            let _ = gate.acquire().await.expect("the gate stays open");
        }
        tokio::time::sleep(self.pause()).await;
        let _ = self.seen.send((url, sequence));
    }
}

#[tokio::test]
async fn the_notifications_of_a_call_reach_the_handler_in_the_order_they_were_received() {
    const CALLS: usize = 8;
    const EACH: usize = 20;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let url = start(|receiver| receiver, Sequenced::new(tx)).await;
    // Each call's deliveries go one after another, the calls' side by side.
    let senders: Vec<_> = (0..CALLS)
        .map(|call| {
            let url = url.clone();
            tokio::spawn(async move {
                for sequence in 0..EACH {
                    let answer = deliver(&url, &[], body(vec![updated(call, sequence, 0)])).await;
                    assert_eq!(answer.status, 202, "{:#}", answer.json);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.expect("every delivery is answered 202");
    }
    let mut by_call: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for _ in 0..CALLS * EACH {
        let (call, sequence) = next_sequenced(&mut seen).await;
        by_call.entry(call).or_default().push(sequence);
    }
    assert_eq!(by_call.len(), CALLS);
    let expected: Vec<u64> = (0..EACH as u64).collect();
    for (call, sequences) in by_call {
        assert_eq!(sequences, expected, "{call}");
    }
}

#[tokio::test]
async fn a_slow_call_delays_neither_other_calls_nor_notifications_without_a_call() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let tracker = TaskTracker::new();
    let handler = Sequenced::gated(tx, 0, gate.clone());
    let url = start(|receiver| receiver.task_tracker(tracker.clone()), handler).await;

    // Call 0 waits at the gate; its second notification waits behind its first.
    for sequence in [0, 1] {
        let answer = deliver(&url, &[], body(vec![updated(0, sequence, 0)])).await;
        assert_eq!(answer.status, 202, "{:#}", answer.json);
    }
    let mut no_call = updated(0, 7, 0);
    no_call["resourceUrl"] = "/communications/onlineMeetings/meeting-1".into();
    let answer = deliver(&url, &[], body(vec![updated(1, 0, 0), no_call])).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let mut others = vec![
        next_sequenced(&mut seen).await,
        next_sequenced(&mut seen).await,
    ];
    others.sort();
    assert_eq!(
        others,
        [
            ("/communications/calls/call-1".to_owned(), 0),
            ("/communications/onlineMeetings/meeting-1".to_owned(), 7),
        ]
    );
    assert!(seen.try_recv().is_err(), "call 0 is still at the gate");

    // The waiting handler is a task of the tracker the receiver was given.
    tracker.close();
    assert!(
        !tracker.is_empty(),
        "the receiver's tasks are on the tracker"
    );
    gate.add_permits(1);
    for sequence in [0, 1] {
        assert_eq!(
            next_sequenced(&mut seen).await,
            (call_url(0), sequence),
            "call 0 in order"
        );
    }
    tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .expect("the tracker empties once the handlers are done");
}

/// Waits for the next notification a [`Sequenced`] handler saw.
async fn next_sequenced(seen: &mut mpsc::UnboundedReceiver<(String, u64)>) -> (String, u64) {
    tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("the handler is called within 10 s")
        .expect("the handler channel is open")
}

#[tokio::test]
async fn over_the_queue_limit_a_delivery_gets_503_and_none_of_it_is_handled() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(0));
    let handler = Sequenced::gated(tx, 0, gate.clone());
    let url = start(|receiver| receiver.queue_limit(2), handler).await;
    let answer = deliver(&url, &[], body(vec![updated(0, 0, 0)])).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let two = body(vec![updated(1, 0, 0), updated(1, 1, 0)]);
    deliver(&url, &[], two)
        .await
        .assert_graph_error(503, "ServiceUnavailable");
    let answer = deliver(&url, &[], body(vec![updated(1, 5, 0)])).await;
    assert_eq!(answer.status, 202, "one more fits: {:#}", answer.json);
    assert_eq!(next_sequenced(&mut seen).await, (call_url(1), 5));
    gate.add_permits(1);
    assert_eq!(next_sequenced(&mut seen).await, (call_url(0), 0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(seen.try_recv().is_err(), "the refused delivery was handled");
}

#[tokio::test]
async fn a_delivery_sent_again_is_answered_and_handled_once() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let url = start(|receiver| receiver, Sequenced::new(tx)).await;
    let id = |value| vec![("X-Microsoft-Skype-Message-ID", value)];
    let first = body(vec![updated(0, 0, 0)]);
    let deliveries = [
        (id("m-1"), first.clone()),
        // The same message id is the same delivery, whatever its body.
        (id("m-1"), first.clone()),
        (id("m-1"), body(vec![updated(0, 9, 0)])),
        // Another message id is another delivery, whatever its body.
        (id("m-2"), first),
        // Without a message id, the body tells.
        (vec![], body(vec![updated(0, 1, 0)])),
        (vec![], body(vec![updated(0, 1, 0)])),
        (vec![], body(vec![updated(0, 2, 0)])),
    ];
    for (headers, body) in deliveries {
        let answer = deliver(&url, &headers, body).await;
        assert_eq!(answer.status, 202, "{headers:?}: {:#}", answer.json);
    }
    // One call's notifications arrive in order, so a duplicate handled would show up in between.
    for sequence in [0, 0, 1, 2] {
        assert_eq!(next_sequenced(&mut seen).await, (call_url(0), sequence));
    }
}

/// An incoming call: change type `created`, the call in state `incoming`.
fn incoming(call: usize) -> String {
    body(vec![serde_json::json!({
        "changeType": "created",
        "resourceUrl": call_url(call),
        "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "incoming"},
    })])
}

/// A handler that claims the decision on the incoming calls of `deciding`, and hands over every
/// delivery of an incoming call it is given.
struct Deciding {
    deciding: Vec<String>,
    seen: mpsc::UnboundedSender<(Delivery, bool)>,
}

impl CommsNotificationsHandler for Deciding {
    async fn created(&self, delivery: &Delivery, _notification: CommsNotification) {
        let claimed = self
            .deciding
            .iter()
            .any(|call| Some(call.as_str()) == delivery.call_id())
            && delivery.mark_decided();
        let _ = self.seen.send((delivery.clone(), claimed));
    }
}

/// A receiver whose decision window is `window` and whose fallback, `margin` before the deadline,
/// reports the call id and when it ran.
async fn deciding(
    deciding: &[usize],
    window: Duration,
    margin: Duration,
) -> (
    String,
    mpsc::UnboundedReceiver<(Delivery, bool)>,
    mpsc::UnboundedReceiver<(String, Instant)>,
) {
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let (fallback_tx, fallbacks) = mpsc::unbounded_channel();
    let handler = Deciding {
        deciding: deciding.iter().map(|call| format!("call-{call}")).collect(),
        seen: seen_tx,
    };
    let url = start(
        move |receiver| {
            receiver
                .decision_window(window)
                .fallback_decision(margin, move |call| {
                    let _ = fallback_tx.send((call, Instant::now()));
                    async {}
                })
        },
        handler,
    )
    .await;
    (url, seen, fallbacks)
}

#[tokio::test]
async fn an_undecided_incoming_call_is_decided_by_the_fallback_before_its_deadline() {
    let window = Duration::from_secs(3);
    let (url, mut seen, mut fallbacks) = deciding(&[], window, Duration::from_secs(2)).await;
    // A notification that is no incoming call has no deadline to keep, and gets no fallback.
    let deleted = body(vec![serde_json::json!({
        "changeType": "deleted",
        "resourceUrl": call_url(1),
    })]);
    assert_eq!(deliver(&url, &[], deleted).await.status, 202);
    assert_eq!(deliver(&url, &[], incoming(2)).await.status, 202);

    let (delivery, claimed) = tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("the handler is called")
        .expect("open");
    assert!(!claimed);
    assert!(delivery.is_incoming_call());
    assert_eq!(delivery.call_id(), Some("call-2"));
    assert_eq!(delivery.deadline() - delivery.received_at(), window);
    assert!(delivery.time_left() <= window);

    let (call, at) = tokio::time::timeout(Duration::from_secs(10), fallbacks.recv())
        .await
        .expect("the fallback runs")
        .expect("open");
    assert_eq!(call, "call-2");
    assert!(
        at < delivery.deadline(),
        "the fallback ran before the deadline"
    );
    assert!(!delivery.mark_decided(), "the fallback took the decision");
    assert!(fallbacks.try_recv().is_err(), "the fallback ran once");
}

#[tokio::test]
async fn the_fallback_leaves_alone_an_incoming_call_the_handler_decided() {
    // The handler has a second to claim call 1 before the fallback would.
    let window = Duration::from_secs(2);
    let margin = Duration::from_secs(1);
    let (url, mut seen, mut fallbacks) = deciding(&[1], window, margin).await;
    assert_eq!(deliver(&url, &[], incoming(1)).await.status, 202);
    assert_eq!(deliver(&url, &[], incoming(2)).await.status, 202);
    let mut deadline_of_1 = None;
    for _ in 0..2 {
        let (delivery, claimed) = tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .expect("the handler is called")
            .expect("open");
        assert_eq!(claimed, delivery.call_id() == Some("call-1"));
        if claimed {
            deadline_of_1 = Some(delivery.deadline());
        }
    }
    // Call 2 was received after call 1, so its fallback runs after call 1's would have.
    let (call, _) = tokio::time::timeout(Duration::from_secs(10), fallbacks.recv())
        .await
        .expect("the fallback runs for call 2")
        .expect("open");
    assert_eq!(call, "call-2");
    let deadline = deadline_of_1.expect("call 1 was handled");
    tokio::time::sleep_until(deadline.into()).await;
    assert!(fallbacks.try_recv().is_err(), "no fallback for call 1");
}

#[tokio::test]
async fn a_legacy_first_notification_gets_204_and_the_handler_is_told_nothing() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let url = start(|receiver| receiver, Recording(tx)).await;
    let legacy = serde_json::json!({
        "subscriptionId": "2887ad07-1b15-4d60-9bd7-6ce9a0adb4a7",
        "subscriptionExpirationDateTime": "2026-11-27T12:00:00Z",
        "changeType": "created",
        "resource": "/app/calls/call-0",
        "resourceData": {"state": "incoming"},
    });
    for body in [
        serde_json::json!({ "value": [legacy.clone()] }),
        legacy.clone(),
    ] {
        let answer = deliver(&url, &[], body.to_string()).await;
        assert_eq!(answer.status, 204, "{body}: {:#}", answer.json);
        assert_eq!(answer.json, serde_json::Value::Null, "no body");
    }
    // Graph's own format may carry `resource` and more beside `resourceUrl`: it is handled.
    let mut graph = legacy;
    graph["resourceUrl"] = call_url(0).into();
    let answer = deliver(&url, &[], body(vec![graph])).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    assert_eq!(next(&mut seen).await, ("created", call_url(0)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        seen.try_recv().is_err(),
        "the handler was told of the legacy ones"
    );
}

#[tokio::test]
async fn the_redirect_hook_answers_307_with_location_before_any_handling() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let url = start(
        |receiver| {
            receiver.redirect_with(|request| {
                let region = request.headers.get("x-bot-region")?;
                (region == "emea" && request.path == "/api/calls")
                    .then(|| Uri::from_static("https://emea.bot.example/api/calls"))
            })
        },
        Recording(tx),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only(std::iter::empty())
        .build()
        .expect("a client");
    let post = |region: &'static str| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-bot-region", region)
            .body(incoming(0))
            .send()
    };
    let redirected = post("emea").await.expect("an answer");
    assert_eq!(redirected.status(), 307);
    assert_eq!(
        redirected.headers()["location"],
        "https://emea.bot.example/api/calls"
    );
    let here = post("amer").await.expect("an answer");
    assert_eq!(here.status(), 202);
    assert_eq!(next(&mut seen).await, ("created", call_url(0)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        seen.try_recv().is_err(),
        "the redirected delivery was handled"
    );
}
