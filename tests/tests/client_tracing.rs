//! The client's tracing: a `graph.request` span per call (operation, method, `client-request-id`)
//! with a `graph.attempt` span per attempt inside it (attempt, status, Graph's `request-id`), seen
//! by a subscriber that records every span's fields.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_calls::types::RejectRequestBody;
use msgraph_calls::{Client, RetryPolicy};
use tests::fixtures::CALL_ID;
use tests::recorder::{Recorder, Reply};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A span as recorded: its name, its parent's name, and its fields as text.
#[derive(Debug, Default, Clone)]
struct Seen {
    name: String,
    parent: Option<String>,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Visit for Seen {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields.push((
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        ));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name().to_owned(), value.to_owned()));
    }
}

#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(Id, Seen)>>>);

impl<S> Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut seen = Seen {
            name: attrs.metadata().name().to_owned(),
            parent: ctx
                .span(id)
                .and_then(|s| s.parent())
                .map(|p| p.name().to_owned()),
            ..Seen::default()
        };
        attrs.record(&mut seen);
        self.0.lock().unwrap().push((id.clone(), seen));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, seen)) = spans.iter_mut().rev().find(|(i, _)| i == id) {
            values.record(seen);
        }
    }
}

#[tokio::test]
async fn calls_and_attempts_are_spans_with_their_ids() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let recorder = Recorder::start_sequence(vec![
        Reply::json(503, "{}").header("request-id", "graph-1"),
        Reply::empty(202).header("request-id", "graph-2"),
    ])
    .await;
    let client = Client::builder()
        .base_url(format!("{}/beta", recorder.base_url))
        .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(10)))
        .build();
    client
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect("rejected on the retry");

    let sent = recorder.requests();
    let id = sent[0].headers["client-request-id"].to_str().unwrap();
    let spans: Vec<Seen> = spans
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, s)| s.clone())
        .collect();
    let calls: Vec<&Seen> = spans.iter().filter(|s| s.name == "graph.request").collect();
    assert_eq!(calls.len(), 1, "{spans:#?}");
    assert_eq!(calls[0].field("operation"), Some("reject"));
    assert_eq!(calls[0].field("method"), Some("POST"));
    assert_eq!(calls[0].field("client_request_id"), Some(id));
    let attempts: Vec<&Seen> = spans.iter().filter(|s| s.name == "graph.attempt").collect();
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    for (n, (attempt, (status, request_id))) in attempts
        .iter()
        .zip([("503", "graph-1"), ("202", "graph-2")])
        .enumerate()
    {
        assert_eq!(attempt.parent.as_deref(), Some("graph.request"));
        assert_eq!(attempt.field("attempt"), Some((n + 1).to_string().as_str()));
        assert_eq!(attempt.field("status"), Some(status));
        assert_eq!(attempt.field("request_id"), Some(request_id));
    }
}
