//! The runtime's `serve` on 127.0.0.1: connections that send no request head in time, or sit idle,
//! are closed while requests in flight are not; the connection bound holds; hyper's own refusals
//! are what the known limits say; and a graceful shutdown answers requests in flight and runs every
//! acknowledged notification to completion, or says what the grace period left.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use msgraph_calls::runtime::auth::InboundAuth;
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::runtime::serve::{Builder, Shutdown, TaskTracker};
use msgraph_calls::types::CommsNotification;
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use tests::HttpExample;
use tests::fixtures::listen_local;
use tests::http::post;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The margin a close or an answer may take beyond its timeout.
const MARGIN: Duration = Duration::from_secs(5);

/// A server on 127.0.0.1 running `router` with `builder`, stopped by `stop`.
struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    ended: JoinHandle<Shutdown>,
}

impl Server {
    async fn start(builder: Builder, router: axum::Router) -> Self {
        let (listener, _) = listen_local().await;
        let address = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let ended = tokio::spawn(builder.serve(listener, router, async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop: Some(stop),
            ended,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.expect("connect")
    }

    /// Starts the shutdown and waits for the server to say how it ended.
    async fn shut_down(mut self) -> Shutdown {
        let _ = self.stop.take().expect("running").send(());
        tokio::time::timeout(Duration::from_secs(30), &mut self.ended)
            .await
            .expect("the server ends within the grace period and a margin")
            .expect("the server task")
    }
}

/// `GET /ok` answers `ok`; `GET /slow` answers `slow` after 1.5 seconds.
fn routes() -> axum::Router {
    axum::Router::new()
        .route("/ok", axum::routing::get(|| async { "ok" }))
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "slow"
            }),
        )
}

/// Sends `GET path` on a kept-alive connection and reads the whole answer.
async fn exchange(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    tokio::time::timeout(MARGIN, read_answer(stream))
        .await
        .expect("an answer within the margin")
}

/// Reads one answer with a `content-length`: its head and its body.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return text;
            }
        }
        let read = stream.read(&mut buffer).await.expect("read");
        assert!(read > 0, "the connection closed mid-answer: {text}");
        bytes.extend_from_slice(&buffer[..read]);
    }
}

/// Whether the server closes `stream` within `within`: the read ends (or fails) instead of waiting.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn connections_that_send_no_complete_request_head_in_time_are_closed() {
    let header_timeout = Duration::from_secs(2);
    let server = Server::start(
        Builder::new()
            .header_timeout(header_timeout)
            .idle_timeout(Duration::from_secs(120)),
        routes(),
    )
    .await;

    let mut silent = server.connect().await;
    let mut slow = server.connect().await;
    let (mut reader, mut writer) = slow.split();
    let dribble = async {
        // One byte of a request head every quarter second: activity, but never a whole head.
        for byte in b"GET /ok HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: "
            .iter()
            .cycle()
        {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let mut buffer = [0u8; 64];
    let slow_closed = async {
        tokio::time::timeout(header_timeout + MARGIN, reader.read(&mut buffer))
            .await
            .is_ok()
    };
    let slow_closed = tokio::select! {
        closed = slow_closed => closed,
        () = dribble => true,
    };
    assert!(slow_closed, "a head sent one byte at a time is cut off");
    assert!(
        closed_within(&mut silent, header_timeout + MARGIN).await,
        "a connection that sends nothing is closed after the header timeout, not the idle timeout"
    );
    drop(slow);

    let mut working = server.connect().await;
    assert!(exchange(&mut working, "/ok").await.ends_with("ok"));
    assert_eq!(server.shut_down().await, Shutdown::Complete);
}

#[tokio::test]
async fn idle_connections_are_closed_but_requests_in_flight_are_not() {
    let idle_timeout = Duration::from_secs(1);
    let server = Server::start(
        Builder::new()
            .header_timeout(Duration::from_secs(120))
            .idle_timeout(idle_timeout),
        routes(),
    )
    .await;
    let mut stream = server.connect().await;
    assert!(exchange(&mut stream, "/ok").await.ends_with("ok"));
    assert!(
        exchange(&mut stream, "/slow").await.ends_with("slow"),
        "a request that takes longer than the idle timeout is answered"
    );
    assert!(
        closed_within(&mut stream, idle_timeout + MARGIN).await,
        "an idle keep-alive connection is closed after the idle timeout, not the header timeout"
    );
    assert_eq!(server.shut_down().await, Shutdown::Complete);
}

#[tokio::test]
async fn no_more_connections_than_the_bound_are_served_at_once() {
    let server = Server::start(Builder::new().max_connections(2), routes()).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert!(exchange(&mut first, "/ok").await.ends_with("ok"));
    assert!(exchange(&mut second, "/ok").await.ends_with("ok"));

    let mut third = server.connect().await;
    third
        .write_all(b"GET /ok HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), read_answer(&mut third))
            .await
            .is_err(),
        "the third connection waits while two are open"
    );
    drop(first);
    let answer = tokio::time::timeout(MARGIN, read_answer(&mut third))
        .await
        .expect("served once the first closed");
    assert!(answer.ends_with("ok"), "{answer}");
    assert_eq!(server.shut_down().await, Shutdown::Complete);
}

#[tokio::test]
async fn hypers_own_refusals_carry_no_body() {
    let server = Server::start(Builder::new().max_header_size(8 * 1024), routes()).await;
    let mut stream = server.connect().await;
    let request = format!(
        "GET /ok HTTP/1.1\r\nhost: 127.0.0.1\r\nx-large: {}\r\n\r\n",
        "x".repeat(16 * 1024)
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let answer = tokio::time::timeout(MARGIN, read_answer(&mut stream))
        .await
        .expect("an answer");
    assert!(
        answer.starts_with("HTTP/1.1 431 "),
        "an oversized head gets 431: {answer}"
    );
    assert!(
        answer.ends_with("\r\n\r\n"),
        "hyper answers it without a body (a known limit): {answer}"
    );
    assert_eq!(server.shut_down().await, Shutdown::Complete);
}

/// A handler that takes `work` for each notification, then counts it.
struct Slow {
    work: Duration,
    handled: Arc<AtomicUsize>,
}

impl CommsNotificationsHandler for Slow {
    async fn created(&self, _delivery: &Delivery, _notification: CommsNotification) {
        tokio::time::sleep(self.work).await;
        self.handled.fetch_add(1, Ordering::SeqCst);
    }
}

/// A receiver whose handler takes `work` per notification, spawning on `tracker`, beside a route
/// `/in-flight` that says when it starts and answers 1.5 seconds later.
fn slow_bot(
    work: Duration,
    handled: Arc<AtomicUsize>,
    tracker: TaskTracker,
    started: Option<oneshot::Sender<()>>,
) -> axum::Router {
    let started = Arc::new(std::sync::Mutex::new(started));
    let in_flight = axum::routing::get(move || {
        if let Some(started) = started.lock().expect("lock").take() {
            let _ = started.send(());
        }
        async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "finished"
        }
    });
    CommsNotificationsReceiver::new(
        Slow { work, handled },
        InboundAuth::insecure_disabled_for_local_development_only(),
    )
    .task_tracker(tracker)
    .into_router()
    .merge(axum::Router::new().route("/in-flight", in_flight))
}

/// Delivers `count` documented incoming-call notifications at once, as distinct deliveries; each
/// must be acknowledged.
async fn deliver_incoming(server: &Server, count: usize) {
    let body = HttpExample::load("notifications/incoming.http")
        .body
        .expect("body");
    let url = server.url("/api/calls");
    // Each delivery has its own message id: the same body sent again would be handled once.
    let deliveries = (0..count).map(|index| {
        let (url, body) = (url.clone(), body.clone());
        tokio::spawn(async move {
            let message_id = format!("delivery-{index}");
            let headers = [
                ("content-type", "application/json"),
                ("x-microsoft-skype-message-id", message_id.as_str()),
            ];
            post(&url, &headers, body).await.status
        })
    });
    for delivery in deliveries.collect::<Vec<_>>() {
        assert_eq!(delivery.await.expect("delivered"), 202);
    }
}

#[tokio::test]
async fn shutdown_answers_requests_in_flight_and_handles_every_acknowledged_notification() {
    const DELIVERIES: usize = 30;
    let handled = Arc::new(AtomicUsize::new(0));
    let tracker = TaskTracker::new();
    let (started, in_flight_started) = oneshot::channel();
    let router = slow_bot(
        Duration::from_millis(500),
        handled.clone(),
        tracker.clone(),
        Some(started),
    );
    let server = Server::start(Builder::new().task_tracker(tracker), router).await;
    deliver_incoming(&server, DELIVERIES).await;
    let in_flight = tokio::spawn(tests::http::answer(
        tests::http::client().get(server.url("/in-flight")),
    ));
    in_flight_started.await.expect("the request is in flight");
    let address = server.address;

    assert_eq!(server.shut_down().await, Shutdown::Complete);
    assert_eq!(
        handled.load(Ordering::SeqCst),
        DELIVERIES,
        "every acknowledged notification was handled before the server returned"
    );
    assert_eq!(
        in_flight.await.expect("answered").status,
        200,
        "the request in flight was answered"
    );
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no connection is accepted after the shutdown"
    );
}

#[tokio::test]
async fn a_grace_period_shorter_than_the_work_says_what_was_left() {
    const DELIVERIES: usize = 5;
    let handled = Arc::new(AtomicUsize::new(0));
    let tracker = TaskTracker::new();
    let router = slow_bot(
        Duration::from_secs(600),
        handled.clone(),
        tracker.clone(),
        None,
    );
    let builder = Builder::new()
        .task_tracker(tracker)
        .grace_period(Duration::from_secs(1));
    let server = Server::start(builder, router).await;
    deliver_incoming(&server, DELIVERIES).await;
    // The notifications of one call run one after another on the call's worker: what is left is
    // that worker and the handler it runs, however many notifications wait behind it.
    let ended = server.shut_down().await;
    assert!(
        matches!(ended, Shutdown::GraceExpired { connections: 0, tasks } if tasks >= 1),
        "{ended:?}"
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}
