#![no_main]
// Body and invariants: nhiscan::fuzzing::spanned_json (replayed by cargo test).
libfuzzer_sys::fuzz_target!(|data: &[u8]| nhiscan::fuzzing::spanned_json(data));
