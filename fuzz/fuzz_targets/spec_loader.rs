//! Fuzz target: `tests::invariants::spec_loader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::invariants::spec_loader(data));
