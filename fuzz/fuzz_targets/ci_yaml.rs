#![no_main]
// Body and invariants: nhiscan::fuzzing::ci_yaml (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::ci_yaml(data));
