#![no_main]
// Body and invariants: nhiscan::fuzzing::config_baseline (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::config_baseline(data));
