//! Parsing the notifications Graph posts to a bot: the generated types against `serde_json::Value`
//! and against plain closed derive structs ([`closed`]), in the same run, on the documented
//! notifications and on a batch of 150 with non-ASCII names. Run with
//! `cargo bench -p tests --bench parse`.

#[path = "parse/closed.rs"]
mod closed;
#[path = "parse/inputs.rs"]
mod inputs;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use msgraph_calls::types::{CommsNotificationResourceData, CommsNotifications};
use serde_json::Value;

fn parse(c: &mut Criterion) {
    let inputs = inputs::all();
    for (name, body) in &inputs {
        check_anchors_agree(name, body);
    }
    let mut group = c.benchmark_group("parse");
    for (name, body) in &inputs {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("generated", name), body, |b, body| {
            b.iter(|| serde_json::from_str::<CommsNotifications>(body).expect("parses"))
        });
        group.bench_with_input(
            BenchmarkId::new("serde_json::Value", name),
            body,
            |b, body| b.iter(|| serde_json::from_str::<Value>(body).expect("parses")),
        );
        group.bench_with_input(BenchmarkId::new("closed", name), body, |b, body| {
            b.iter(|| serde_json::from_str::<closed::CommsNotifications>(body).expect("parses"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("round-trip");
    for (name, body) in &inputs {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("generated", name), body, |b, body| {
            b.iter(|| {
                let parsed: CommsNotifications = serde_json::from_str(body).expect("parses");
                serde_json::to_string(&parsed).expect("serializes")
            })
        });
        group.bench_with_input(
            BenchmarkId::new("serde_json::Value", name),
            body,
            |b, body| {
                b.iter(|| {
                    let parsed: Value = serde_json::from_str(body).expect("parses");
                    serde_json::to_string(&parsed).expect("serializes")
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("closed", name), body, |b, body| {
            b.iter(|| {
                let parsed: closed::CommsNotifications =
                    serde_json::from_str(body).expect("parses");
                serde_json::to_string(&parsed).expect("serializes")
            })
        });
    }
    group.finish();
}

/// The three readings of `body` hold the same notifications: every one a call, with its URL.
fn check_anchors_agree(name: &str, body: &str) {
    let generated: CommsNotifications = serde_json::from_str(body).expect("parses");
    let closed: closed::CommsNotifications = serde_json::from_str(body).expect("parses");
    let value: Value = serde_json::from_str(body).expect("parses");
    let generated = generated.value.expect("notifications");
    let closed = closed.value.expect("notifications");
    assert_eq!(generated.len(), closed.len(), "{name}");
    assert_eq!(
        generated.len(),
        value["value"].as_array().map_or(0, Vec::len),
        "{name}"
    );
    for (generated, closed) in generated.iter().zip(&closed) {
        assert!(matches!(
            generated.resource_data,
            Some(CommsNotificationResourceData::Call(_))
        ));
        assert!(closed.resource_data.is_some(), "{name}");
        assert_eq!(generated.resource_url, closed.resource_url, "{name}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
