//! The generated client's request path: `reject` against a server on 127.0.0.1 that answers
//! `202`, against the same request sent with plain `reqwest`, in the same run. The difference is
//! what the client's hooks cost. Run with `cargo bench -p tests --bench client`.

use criterion::{Criterion, criterion_group, criterion_main};
use msgraph_calls::Client;
use msgraph_calls::types::{RejectReason, RejectRequestBody};
use tests::fixtures::CALL_ID;
use tests::recorder::{Recorder, Reply};

fn client(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let recorder = runtime.block_on(Recorder::start(Reply::empty(202)));
    let base_url = format!("{}/beta", recorder.base_url);
    let client = Client::builder()
        .base_url(&base_url)
        .bearer_token("bench-token")
        .build();
    let body = RejectRequestBody {
        reason: Some(RejectReason::Busy),
        ..Default::default()
    };
    let http = reqwest::Client::new();
    let url = format!("{base_url}/communications/calls/{CALL_ID}/microsoft.graph.reject");

    let mut group = c.benchmark_group("client");
    group.bench_function("reject", |b| {
        b.iter(|| {
            runtime
                .block_on(client.reject(CALL_ID, &body))
                .expect("202")
        })
    });
    group.bench_function("reqwest", |b| {
        b.iter(|| {
            let request = http
                .post(&url)
                .bearer_auth("bench-token")
                .json(&body)
                .send();
            let response = runtime.block_on(request).expect("sent");
            assert_eq!(response.status().as_u16(), 202);
        })
    });
    group.finish();
}

criterion_group!(benches, client);
criterion_main!(benches);
