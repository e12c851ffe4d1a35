#![no_main]
// Body and invariants: nhiscan::fuzzing::jwt (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::jwt(data));
