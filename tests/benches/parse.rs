//! Parsing the notifications Graph posts to a bot: the generated types against `serde_json::Value`,
//! in the same run, on the documented notifications and on a batch of 150 with non-ASCII names.
//! Run with `cargo bench -p tests --bench parse`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use msgraph_calls::types::CommsNotifications;
use serde_json::Value;
use tests::HttpExample;

/// The documented notification bodies, by name.
fn documented() -> Vec<(&'static str, String)> {
    ["incoming", "deleted"]
        .into_iter()
        .map(|name| {
            let example = HttpExample::load(&format!("notifications/{name}.http"));
            (
                name,
                example.body.expect("a documented notification has a body"),
            )
        })
        .collect()
}

/// One delivery of 150 incoming-call notifications with non-ASCII caller names.
fn batch_of_150() -> String {
    let incoming = HttpExample::load("notifications/incoming.http").json();
    let template = incoming["value"][0].clone();
    let names = [
        "Zoë Çelik",
        "Jürgen Groß",
        "Łukasz Żółć",
        "李小龍",
        "Ana María Núñez",
        "Ødegård",
    ];
    let value: Vec<Value> = (0..150)
        .map(|i| {
            let mut item = template.clone();
            let id = format!("57dab8b1-894c-409a-b240-{i:012}");
            item["resourceUrl"] = Value::from(format!("/communications/calls/{id}"));
            item["resourceData"]["@odata.id"] = Value::from(format!("/communications/calls/{id}"));
            item["resourceData"]["source"]["identity"]["user"]["displayName"] =
                Value::from(format!("{} {i}", names[i % names.len()]));
            item
        })
        .collect();
    serde_json::json!({ "@odata.type": "#microsoft.graph.commsNotifications", "value": value })
        .to_string()
}

fn parse(c: &mut Criterion) {
    let mut inputs = documented();
    inputs.push(("batch-150", batch_of_150()));
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
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = parse
}
criterion_main!(benches);
