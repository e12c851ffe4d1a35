#![no_main]
// Body and invariants: nhiscan::fuzzing::rule_file (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::rule_file(data));
