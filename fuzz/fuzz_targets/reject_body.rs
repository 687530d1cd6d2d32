//! Fuzz target: `tests::invariants::reject_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::invariants::reject_body(data));
