//! Parses one input of the parse bench `count` times, for counting instructions with callgrind
//! (which, unlike timings, do not drift on a shared machine): run it at two counts and divide the
//! difference by the difference of the counts.
//!
//! `cargo build --release -p tests --example parse_instructions`, then
//! `valgrind --tool=callgrind target/release/examples/parse_instructions <generated|value|closed>
//! <incoming|deleted|batch-150> <count> [round-trip]`.

#[path = "../benches/parse/closed.rs"]
mod closed;
#[path = "../benches/parse/inputs.rs"]
mod inputs;

use std::hint::black_box;

use msgraph_calls::types::CommsNotifications;
use serde::{Deserialize, Serialize};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reader, input, count, rest @ ..] = args.as_slice() else {
        panic!("usage: parse_instructions <generated|value|closed> <input> <count> [round-trip]");
    };
    let count: usize = count.parse().expect("a count");
    let round_trip = rest.first().is_some_and(|arg| arg == "round-trip");
    let body = inputs::all()
        .into_iter()
        .find(|(name, _)| name == input)
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no input {input}"));
    match reader.as_str() {
        "generated" => run::<CommsNotifications>(&body, count, round_trip),
        "value" => run::<serde_json::Value>(&body, count, round_trip),
        "closed" => run::<closed::CommsNotifications>(&body, count, round_trip),
        other => panic!("no reader {other}"),
    }
}

/// Parses `body` as `T` (and writes it back out, for a round trip) `count` times.
fn run<T: for<'de> Deserialize<'de> + Serialize>(body: &str, count: usize, round_trip: bool) {
    for _ in 0..count {
        let parsed: T = serde_json::from_str(black_box(body)).expect("parses");
        if round_trip {
            black_box(serde_json::to_string(&parsed).expect("serializes"));
        } else {
            black_box(parsed);
        }
    }
}
