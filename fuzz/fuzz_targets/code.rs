#![no_main]
// Body and invariants: nhiscan::fuzzing::code (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::code(data));
