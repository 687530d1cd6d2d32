//! Fuzz target: `tests::invariants::notification_round_trip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::invariants::notification_round_trip(data));
