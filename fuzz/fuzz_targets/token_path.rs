//! Fuzz target: `tests::invariants::token_path`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::invariants::token_path(data));
